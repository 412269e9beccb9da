//! `bgy.toml`'s schedule while the console serves: its job run on its cron, each run holding
//! the directory's sending lock as a person's run does, stopped by the console's shutdown.
//!
//! In: the settings' schedule. Out: the run, which writes how it went beside the history (the
//! 定时同步 page reads it there). Never: a run late by a suspend or a clock set after start, a
//! run begun while the console closes.

use std::sync::Arc;

use super::jobs::{take_directory, until_stopped, SHUT_DOWN};
use super::App;
use crate::stop::Stop;

/// The scheduled run in progress in this console, if any, so that the console's shutdown
/// stops it as it stops the runs people started (the calls in flight finish, the report and
/// the history say it was interrupted), and starts no other.
#[derive(Default)]
pub struct Scheduled {
    /// The run's stop, and whether the console is closing.
    state: std::sync::Mutex<(Option<Stop>, bool)>,
}

impl Scheduled {
    fn state(&self) -> std::sync::MutexGuard<'_, (Option<Stop>, bool)> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A scheduled run begins: its stop, unless the console is closing.
    fn begin(&self) -> Option<Stop> {
        let mut state = self.state();
        if state.1 {
            return None;
        }
        let stop = Stop::new();
        state.0 = Some(stop.clone());
        Some(stop)
    }

    fn end(&self) {
        self.state().0 = None;
    }

    /// No scheduled run begins from now on; the one in progress is stopped, and waited for
    /// (a minute at most, as [`super::jobs::Jobs::stop_all`] waits: [`until_stopped`]).
    pub async fn close(&self) {
        let running = {
            let mut state = self.state();
            state.1 = true;
            state.0.clone()
        };
        let Some(stop) = running else {
            return;
        };
        stop.interrupt_because(SHUT_DOWN);
        until_stopped(|| self.state().0.is_none()).await;
    }
}

/// How long to sleep before looking at the clock again, a minute at most, or `None` once
/// `next` has come. tokio's sleep counts on the machine's monotonic clock: slept through whole,
/// a machine that was suspended (a laptop, a paused VM) ran the job as many hours late as it
/// slept, and one whose clock was set right after the console started (NTP on a VM that booted
/// with the wrong time) ran it off by as much as the clock was.
fn until(
    now: chrono::DateTime<chrono::Utc>,
    next: chrono::DateTime<chrono::Utc>,
) -> Option<std::time::Duration> {
    let left = (next - now).to_std().ok().filter(|d| !d.is_zero())?;
    Some(left.min(std::time::Duration::from_secs(60)))
}

/// `bgy.toml`'s job on its cron while the console serves. Each run holds the directory's lock
/// (while a person's sending run holds it, it tries again each minute), runs off the runtime's
/// threads, says on the terminal what it does, and leaves how it went for the 定时同步 page.
pub async fn scheduled(app: Arc<App>, settings: Arc<crate::config::unattended::Settings>) {
    let Some(job) = settings.schedule.as_ref() else {
        return;
    };
    loop {
        let Some(next) = job.next_after(chrono::Utc::now()) else {
            return;
        };
        let next = next.with_timezone(&chrono::Utc);
        while let Some(wait) = until(chrono::Utc::now(), next) {
            tokio::time::sleep(wait).await;
        }
        let lock = loop {
            match take_directory(&app, "bgy schedule (bgy serve)".into()).await {
                Ok(lock) => break lock,
                // Again in a minute, or at the next tick when that is sooner.
                Err(_) => {
                    let now = chrono::Utc::now();
                    let tick = job
                        .next_after(now)
                        .and_then(|t| (t.with_timezone(&chrono::Utc) - now).to_std().ok());
                    let minute = std::time::Duration::from_secs(60);
                    tokio::time::sleep(tick.map_or(minute, |t| t.min(minute))).await;
                }
            }
        };
        let Some(stop) = app.scheduled.begin() else {
            return;
        };
        let events = Arc::new(crate::console::Console::new(true, false));
        let mut ctx = app.ctx.for_run(events, crate::cmd::schedule::WHO, stop);
        ctx.directory_held = true;
        let shared = settings.clone();
        let handle = tokio::runtime::Handle::current();
        // How it ended, the run writes beside the history itself: the 定时同步 page reads it
        // there, as it does a run system cron started.
        let ran = tokio::task::spawn_blocking(move || {
            handle.block_on(crate::cmd::schedule::once(&ctx, &shared))
        })
        .await;
        if let Err(e) = ran {
            crate::console::say(format!(
                "bgy serve: the scheduled run stopped unexpectedly: {e}"
            ));
        }
        app.scheduled.end();
        drop(lock);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A console closing stops the scheduled run in progress and waits for it to end, then
    /// begins no other; one with no run in progress closes at once (a run that ended but was
    /// still counted as going kept the console's shutdown waiting its whole minute).
    #[tokio::test(start_paused = true)]
    async fn closing_stops_the_scheduled_run_and_begins_no_other() {
        let scheduled = Arc::new(Scheduled::default());
        let stop = scheduled.begin().unwrap();
        let ends = {
            let (scheduled, stop) = (scheduled.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.is_stopped() {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                scheduled.end();
            })
        };
        let start = tokio::time::Instant::now();
        scheduled.close().await;
        let waited = start.elapsed();
        assert_eq!(stop.reason().as_deref(), Some(SHUT_DOWN));
        assert!(
            waited >= std::time::Duration::from_secs(2)
                && waited < std::time::Duration::from_secs(3),
            "{waited:?}"
        );
        ends.await.unwrap();
        assert!(scheduled.begin().is_none());

        let idle = Scheduled::default();
        drop(idle.begin().unwrap());
        idle.end();
        let start = tokio::time::Instant::now();
        idle.close().await;
        assert!(
            start.elapsed() < std::time::Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
    }

    /// The schedule looks at the wall clock again at least every minute, and runs once its
    /// time has come, not before.
    #[test]
    fn the_schedule_looks_at_the_clock_every_minute() {
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        let next = at("2026-12-08T02:30:00Z");
        let secs = |now: &str| until(at(now), next).map(|d| d.as_secs());
        assert_eq!(secs("2026-12-07T16:00:00Z"), Some(60));
        assert_eq!(secs("2026-12-08T02:29:30Z"), Some(30));
        assert_eq!(secs("2026-12-08T02:30:00Z"), None);
        assert_eq!(secs("2026-12-08T05:00:00Z"), None);
    }
}
