//! Why a run stops early, shared by its tasks: a fatal API condition, or the person (Ctrl-C
//! or SIGTERM on the command line, the Stop button in the web console). New work stops; calls
//! in flight finish; waits between tries end at once.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use crate::api::{ApiError, Client};
use crate::outcome::Status;
use crate::remedy::Remedy;

const RUNNING: u8 = 0;
const FATAL: u8 = 1;
const INTERRUPTED: u8 = 2;

/// The reason a run stopped, and what can be done about it.
type Why = (String, Option<Remedy>);

#[derive(Clone, Default)]
pub struct Stop {
    state: Arc<AtomicU8>,
    /// Why it stopped, and what can be done about it (a fatal API condition's remedy), set
    /// together by the first stop.
    why: Arc<Mutex<Option<Why>>>,
    /// Clients whose waits an interruption ends.
    clients: Arc<Mutex<Vec<Client>>>,
}

impl Stop {
    pub fn new() -> Stop {
        Stop::default()
    }

    /// An interruption also ends this client's waits between tries.
    pub fn cancels(&self, client: &Client) {
        self.clients
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(client.clone());
    }

    /// Stops the run for a fatal condition.
    pub fn fatal(&self, reason: impl Into<String>) {
        self.stop(FATAL, reason.into(), None);
    }

    /// Stops the run for a fatal API condition, with what can be done about it.
    pub fn fatal_api(&self, e: &ApiError) {
        self.stop(FATAL, e.to_string(), e.remedy());
    }

    /// Stops the run because a person asked, in their words (the web console's Stop button
    /// names who pressed it).
    pub fn interrupt_because(&self, reason: impl Into<String>) {
        self.stop(INTERRUPTED, reason.into(), None);
        for client in self
            .clients
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            client.cancel();
        }
    }

    /// The first stop wins, with its reason and remedy.
    fn stop(&self, state: u8, reason: String, remedy: Option<Remedy>) {
        if self
            .state
            .compare_exchange(RUNNING, state, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            *self.why.lock().unwrap_or_else(|e| e.into_inner()) = Some((reason, remedy));
        }
    }

    pub fn is_stopped(&self) -> bool {
        self.state.load(Ordering::SeqCst) != RUNNING
    }

    pub fn reason(&self) -> Option<String> {
        let why = self.why.lock().unwrap_or_else(|e| e.into_inner());
        why.as_ref().map(|(reason, _)| reason.clone())
    }

    /// What can be done about the condition that stopped the run.
    pub fn remedy(&self) -> Option<Remedy> {
        let why = self.why.lock().unwrap_or_else(|e| e.into_inner());
        why.as_ref().and_then(|(_, remedy)| remedy.clone())
    }

    /// The status a stopped run ends with.
    pub fn status(&self) -> Option<Status> {
        match self.state.load(Ordering::SeqCst) {
            FATAL => Some(Status::Fatal),
            INTERRUPTED => Some(Status::Interrupted),
            _ => None,
        }
    }
}
