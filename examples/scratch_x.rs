use std::time::Instant;
mod support;
use rust_xlsxwriter::Workbook;
fn main() -> anyhow::Result<()> {
    let cells: Vec<String> = (0..19).map(|j| format!("value{j}-用户")).collect();
    for mode in 0..3 {
        let t = Instant::now();
        let mut wb = Workbook::new();
        wb.set_zip_compression_level(1);
        let ws = match mode {
            0 => wb.add_worksheet_with_constant_memory()?,
            1 => wb.add_worksheet_with_low_memory()?,
            _ => wb.add_worksheet(),
        };
        for r in 1..=100_000u32 {
            for (j, c) in cells.iter().enumerate() {
                ws.write_string(r, j as u16, c)?;
            }
        }
        let t1 = t.elapsed();
        wb.save("/tmp/perf/x.xlsx")?;
        println!(
            "mode {mode}: cells {:.3} save {:.3} peak {:.0} MB",
            t1.as_secs_f64(),
            (t.elapsed() - t1).as_secs_f64(),
            support::rss_mb("VmHWM:")
        );
    }
    Ok(())
}
