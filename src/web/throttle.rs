//! Failed console logins, by name and by address: past a few, each one doubles the wait, so
//! that guessing a password is slow whichever names or addresses it comes from, and a flood of
//! names neither wipes the wait of the one under attack nor fills the console's memory.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed logins by name and by address; past a few, each one doubles the wait.
#[derive(Default)]
pub struct Throttle {
    names: Mutex<HashMap<String, Failures>>,
    addrs: Mutex<HashMap<IpAddr, Failures>>,
}

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    until: Instant,
}

/// Failures before the waits begin.
const FREE_FAILURES: u32 = 3;
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// The bytes of a name its failures are kept by. Kept whole, 10,000 failed names of the 2 MB a
/// form then took could hold 20 GB.
const NAME_KEPT: usize = 256;

/// The start of `name` its failures are kept by: [`NAME_KEPT`] bytes at most, cut where a
/// character begins (names alike in their first 256 bytes share their waits).
fn name_key(name: &str) -> &str {
    let mut end = name.len().min(NAME_KEPT);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

impl Throttle {
    /// How long a login by `name` from `addr` must wait, if it must.
    pub fn wait(&self, name: &str, addr: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let left = |f: Option<&Failures>| f.and_then(|f| f.until.checked_duration_since(now));
        let by_name = left(
            self.names
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(name_key(name)),
        );
        let by_addr = left(
            self.addrs
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&addr),
        );
        by_name.max(by_addr)
    }

    pub fn failed(&self, name: &str, addr: IpAddr) {
        fn bump<K: std::hash::Hash + Eq>(map: &Mutex<HashMap<K, Failures>>, key: K) {
            let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
            if map.len() >= 10_000 {
                let now = Instant::now();
                map.retain(|_, f| f.until > now);
            }
            let f = map.entry(key).or_insert(Failures {
                count: 0,
                until: Instant::now(),
            });
            f.count += 1;
            if f.count > FREE_FAILURES {
                let wait = Duration::from_secs(1 << (f.count - FREE_FAILURES - 1).min(12));
                f.until = Instant::now() + wait.min(MAX_WAIT);
            }
        }
        bump(&self.names, name_key(name).to_string());
        bump(&self.addrs, addr);
    }

    pub fn forget(&self, name: &str, addr: IpAddr) {
        self.names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name_key(name));
        self.addrs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&addr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_past_three_wait_longer_each_time_and_a_success_forgets_them() {
        let t = Throttle::default();
        let addr: IpAddr = "10.0.0.7".parse().unwrap();
        for _ in 0..FREE_FAILURES {
            t.failed("alice", addr);
            assert!(t.wait("alice", addr).is_none());
        }
        t.failed("alice", addr);
        let first = t.wait("alice", addr).expect("a wait");
        t.failed("alice", addr);
        assert!(t.wait("alice", addr).unwrap() > first);
        // The address waits for any name; the name from any address.
        assert!(t.wait("bob", addr).is_some());
        assert!(t.wait("alice", "10.0.0.8".parse().unwrap()).is_some());
        t.forget("alice", addr);
        assert!(t.wait("alice", addr).is_none());
    }

    #[test]
    fn the_waits_are_one_two_four_seconds_up_to_a_quarter_of_an_hour() {
        let t = Throttle::default();
        let addr: IpAddr = "10.0.0.7".parse().unwrap();
        let mut waits = Vec::new();
        for _ in 0..30 {
            t.failed("alice", addr);
            waits.push(
                t.wait("alice", addr)
                    .map_or(0, |w| w.as_secs_f64().ceil() as u64),
            );
        }
        assert_eq!(waits[..8], [0, 0, 0, 1, 2, 4, 8, 16]);
        assert_eq!(waits[14], 15 * 60, "{waits:?}");
        assert_eq!(waits[29], 15 * 60, "{waits:?}");
    }

    #[test]
    fn a_flood_of_names_does_not_wipe_the_wait_of_the_one_under_attack() {
        let t = Throttle::default();
        let addr: IpAddr = "10.0.0.7".parse().unwrap();
        for _ in 0..=FREE_FAILURES {
            t.failed("alice", addr);
        }
        for i in 0..10_050u32 {
            t.failed(&format!("name{i}"), IpAddr::from(i.to_be_bytes()));
        }
        assert!(t.wait("alice", "10.0.0.8".parse().unwrap()).is_some());
        let names = t.names.lock().unwrap().len();
        assert!(
            names < 100,
            "names that wait for nothing are let go: {names}"
        );
    }

    #[test]
    fn a_long_name_s_failures_are_kept_by_its_start_and_still_wait() {
        let t = Throttle::default();
        let long = format!("{}名", "x".repeat(NAME_KEPT - 1));
        for i in 0..=FREE_FAILURES {
            t.failed(&long, IpAddr::from((i + 1).to_be_bytes()));
        }
        let kept: Vec<usize> = t.names.lock().unwrap().keys().map(String::len).collect();
        assert_eq!(kept, [NAME_KEPT - 1], "cut before the character it splits");
        assert!(t.wait(&long, "10.0.0.9".parse().unwrap()).is_some());
        t.forget(&long, "10.0.0.9".parse().unwrap());
        assert!(t.names.lock().unwrap().is_empty());
    }
}
