//! What the benchmarks share: the allocator the binary uses, and memory figures.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A memory figure of this process from `/proc/self/status`, in MB: `"VmRSS:"` now,
/// `"VmHWM:"` the peak. NaN where there is no /proc.
pub fn rss_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

pub mod workbooks;
