//! Ctrl-C (SIGINT), SIGTERM (`kill`, `timeout`, `systemctl stop`, `docker stop`) and SIGHUP
//! (the terminal or the ssh connection closed) end a run the same way. A run that sends stops:
//! the calls in flight finish, the report, journal and history are written, the exit code is
//! 130. A second signal, or the first in a run that sends nothing, ends the process at once,
//! after removing the files it had begun and not finished ([`Unfinished`]): a reserved report
//! still empty (Excel calls it broken), a workbook half saved, an export's partial file (the
//! directory's phones and bank cards).
//!
//! The signals are watched on a thread of their own, not on the async runtime, whose threads
//! a check's or a plan's work may keep busy when the signal comes. A signal ignored when bgy
//! started stays ignored: `nohup bgy …` goes on when the terminal closes, and a run started in
//! the background of a script is not stopped by a Ctrl-C meant for the script.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// The exit code of a run a signal ended.
pub const EXIT: i32 = 130;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT: Ctrl-C in the terminal.
    Interrupt,
    /// SIGTERM: `kill`, `timeout`, a service manager stopping bgy.
    Terminate,
    /// SIGHUP: the terminal or the ssh connection bgy ran in closed.
    Hangup,
}

impl Signal {
    /// As the terminal says it: `Ctrl-C`, `SIGTERM`, `SIGHUP`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "Ctrl-C",
            Signal::Terminate => "SIGTERM",
            Signal::Hangup => "SIGHUP",
        }
    }

    /// Why a run it stopped ended early, as the report and the history say it.
    pub fn reason(self) -> &'static str {
        match self {
            Signal::Interrupt => "按了 Ctrl-C,已中断 (interrupted by Ctrl-C)",
            Signal::Terminate => {
                "收到 SIGTERM (kill、timeout 或 systemctl stop),已中断 (interrupted by SIGTERM: kill, timeout or systemctl stop)"
            }
            Signal::Hangup => {
                "终端或 ssh 连接已断开 (SIGHUP),已中断 (interrupted by SIGHUP: the terminal or the ssh connection closed)"
            }
        }
    }
}

/// Signals are heard, and `on` called with each, for as long as this lives.
pub struct Watch {
    #[cfg(unix)]
    handle: signal_hook::iterator::Handle,
    #[cfg(not(unix))]
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        #[cfg(unix)]
        self.handle.close();
        #[cfg(not(unix))]
        self.task.abort();
    }
}

/// Calls `on` on a thread of its own with each Ctrl-C, SIGTERM and SIGHUP from now on, but for
/// those ignored when bgy started.
#[cfg(unix)]
pub fn watch(mut on: impl FnMut(Signal) + Send + 'static) -> std::io::Result<Watch> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let heard = [SIGINT, SIGTERM, SIGHUP]
        .into_iter()
        .filter(|&s| !ignored(s));
    let mut signals = signal_hook::iterator::Signals::new(heard)?;
    let handle = signals.handle();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for number in signals.forever() {
                on(match number {
                    SIGTERM => Signal::Terminate,
                    SIGHUP => Signal::Hangup,
                    _ => Signal::Interrupt,
                });
            }
        })?;
    Ok(Watch { handle })
}

/// Whether `signal` is ignored (`nohup`, a shell's background job): its disposition read, not
/// changed.
#[cfg(unix)]
fn ignored(signal: libc::c_int) -> bool {
    // SAFETY: with no new action, sigaction only writes the current one into `current`, a
    // plain C struct for which all zeroes is a valid value.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut current) == 0
            && current.sa_sigaction == libc::SIG_IGN
    }
}

/// Calls `on` with each Ctrl-C from now on (no SIGTERM nor SIGHUP off unix).
#[cfg(not(unix))]
pub fn watch(mut on: impl FnMut(Signal) + Send + 'static) -> std::io::Result<Watch> {
    let task = tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            on(Signal::Interrupt);
        }
    });
    Ok(Watch { task })
}

/// The first signal ([`watch`]'s), as a future, for a server's shutdown; a second one ends the
/// process at once, after saying `again` with its name. Heard while the watch lives; without
/// one (no thread could be made) a signal ends bgy as it would any program.
pub fn first(again: &'static str) -> (Option<Watch>, impl std::future::Future<Output = ()>) {
    let (told, heard) = tokio::sync::oneshot::channel();
    let mut told = Some(told);
    let watch = watch(move |signal| match told.take() {
        Some(told) => {
            let _ = told.send(());
        }
        None => {
            // As `console::say`: a closed stderr is no reason to stay.
            let _ = writeln!(std::io::stderr(), "\n{}: {again}", signal.name());
            exit_now();
        }
    });
    let heard = async move {
        if heard.await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    (watch.ok(), heard)
}

/// The run is waiting for a person to confirm it at the terminal: nothing was sent yet, so a
/// signal then ends it at once ([`asking`]).
static ASKING: AtomicBool = AtomicBool::new(false);

/// Runs `ask` (a prompt read from the terminal) as a time when a signal ends bgy at once.
pub fn asking<T>(ask: impl FnOnce() -> T) -> T {
    ASKING.store(true, Ordering::SeqCst);
    let answer = ask();
    ASKING.store(false, Ordering::SeqCst);
    answer
}

/// Whether the run is at a prompt ([`asking`]).
pub fn is_asking() -> bool {
    ASKING.load(Ordering::SeqCst)
}

/// Removes what the run left unfinished and ends the process at once.
pub fn exit_now() -> ! {
    remove_unfinished();
    std::process::exit(EXIT)
}

/// The files begun and not finished, each with its guard's number and whether it is removed
/// only while still empty.
static UNFINISHED: Mutex<Vec<(u64, PathBuf, bool)>> = Mutex::new(Vec::new());

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A file the run has begun and not finished: removed if a signal ends the process while this
/// lives; once dropped (finished, or removed by its owner), left alone.
#[must_use]
pub struct Unfinished(u64);

impl Unfinished {
    /// `path`, removed whatever it holds.
    pub fn file(path: &Path) -> Unfinished {
        Unfinished::keep(path, false)
    }

    /// `path`, a name taken for a file not written yet: removed only while still empty.
    pub fn reserved(path: &Path) -> Unfinished {
        Unfinished::keep(path, true)
    }

    /// Removes the file now, as a signal would (a reserved name only while still empty): a
    /// run that ends without writing it.
    pub fn remove(self) {
        remove(unfinished().iter().filter(|(id, ..)| *id == self.0));
    }

    fn keep(path: &Path, while_empty: bool) -> Unfinished {
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        unfinished().push((id, path.to_path_buf(), while_empty));
        Unfinished(id)
    }
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        unfinished().retain(|(id, ..)| *id != self.0);
    }
}

fn unfinished() -> std::sync::MutexGuard<'static, Vec<(u64, PathBuf, bool)>> {
    UNFINISHED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes every file begun and not finished.
fn remove_unfinished() {
    remove(unfinished().iter());
}

/// Removes `files`, a reserved one only while empty.
fn remove<'a>(files: impl Iterator<Item = &'a (u64, PathBuf, bool)>) {
    for (_, path, while_empty) in files {
        let empty = || std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0);
        if !*while_empty || empty() {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_unfinished_goes_and_what_was_finished_stays() {
        let dir = tempfile::tempdir().unwrap();
        let [partial, reserved, written, done] =
            ["partial", "reserved.xlsx", "written.xlsx", "done.xlsx"].map(|n| dir.path().join(n));
        std::fs::write(&partial, "half of it").unwrap();
        std::fs::write(&reserved, "").unwrap();
        std::fs::write(&written, "a whole report").unwrap();
        std::fs::write(&done, "").unwrap();
        let _guards = [
            Unfinished::file(&partial),
            Unfinished::reserved(&reserved),
            Unfinished::reserved(&written),
        ];
        drop(Unfinished::file(&done));
        // Only this test's files: others running in this process may have some of their own.
        remove(
            unfinished()
                .iter()
                .filter(|(_, p, _)| p.starts_with(dir.path())),
        );
        assert!(!partial.exists(), "a partial file goes whatever it holds");
        assert!(!reserved.exists(), "a name taken and never written goes");
        assert!(written.exists(), "a reserved name written since stays");
        assert!(done.exists(), "a file whose guard was dropped is finished");
    }
}
