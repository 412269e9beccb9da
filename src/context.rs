//! The directory a run works on: the client (and the in-process emulator behind it), where
//! calls go, and the run's front-end and stop.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use anyhow::Context as _;

use crate::api::{Client, ClientOptions, Ticket};
use crate::config::{Config, Target};
use crate::emulator;
use crate::events::{Emit as _, Observer};
use crate::history::History;
use crate::stop::Stop;

/// What every command may need: the client (when online) and the in-process emulator.
pub struct Context {
    pub client: Option<Client>,
    /// Keeps the in-process emulator alive for the run.
    pub emulator: Option<Arc<emulator::Running>>,
    /// Where calls go, for the report (never the ticket).
    pub server: String,
    /// Where the run's events go (the front-end).
    pub events: Arc<dyn Observer>,
    /// Stops the run: a fatal API condition, or the person (Ctrl-C, a Stop button).
    pub stop: Stop,
    /// Who runs it, for the history: the OS user, or the web console's.
    pub who: String,
    /// The front-end already holds the directory's sending lock for this run (the web console
    /// takes it before it answers the page), so `cmd::run` does not take it again.
    pub directory_held: bool,
    history_path: PathBuf,
    /// Opened when a run first records something.
    history: Arc<OnceLock<Arc<History>>>,
}

impl Context {
    pub async fn new(config: &Config, events: Arc<dyn Observer>) -> anyhow::Result<Context> {
        let (target, emulator) = match &config.target {
            Target::Offline => (None, None),
            Target::Server { base_url, ticket } => (Some((base_url.clone(), ticket.clone())), None),
            Target::Emulator { state } => {
                let store = emulator::open_store(state, None, events.as_ref())?;
                let running = emulator::start_local(store, emulator::Options::default())
                    .await
                    .context("cannot start the embedded emulator")?;
                let url = reqwest::Url::parse(&running.base_url())?;
                (
                    Some((url, Ticket::new(emulator::DEFAULT_TICKET))),
                    Some(running),
                )
            }
        };
        let (client, server) = match target {
            None => (None, "(offline)".to_string()),
            Some((base_url, ticket)) => {
                let server = if emulator.is_some() {
                    format!(
                        "embedded emulator ({})",
                        base_url.as_str().trim_end_matches('/')
                    )
                } else {
                    base_url.as_str().trim_end_matches('/').to_string()
                };
                let mut options = ClientOptions::new(base_url, ticket);
                options.concurrency = config.concurrency;
                options.rate = config.rate;
                options.timeout = config.timeout;
                options.backoff = config.retry_base;
                (Some(Client::new(options)?), server)
            }
        };
        let stop = Stop::new();
        if let Some(c) = &client {
            stop.cancels(c);
        }
        Ok(Context {
            client,
            emulator: emulator.map(Arc::new),
            server,
            events,
            stop,
            who: config.who.clone(),
            directory_held: false,
            history_path: config.history.clone(),
            history: Arc::new(OnceLock::new()),
        })
    }

    /// The folder of the history store, for what runs keep beside it.
    pub fn history_dir(&self) -> PathBuf {
        self.history_path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), PathBuf::from)
    }

    /// A history store exists (opened, or on disk): a command that only reads can ask it
    /// without making one.
    pub fn has_history(&self) -> bool {
        self.history.get().is_some() || self.history_path.exists()
    }

    /// The history store (opened on first use). Opened while no run changes the directory,
    /// the runs it says are running were killed: they become interrupted.
    pub fn history(&self) -> anyhow::Result<Arc<History>> {
        if let Some(h) = self.history.get() {
            return Ok(h.clone());
        }
        let opened = Arc::new(History::open(&self.history_path)?);
        if opened.was_emptied() {
            self.events.warn(format!(
                "历史记录 {} 是空文件 (0 字节):之前记录的运行已丢失,无法撤销 (the history {} was empty, 0 bytes: the runs it recorded are lost and cannot be undone; it starts again from here)",
                self.history_path.display(),
                self.history_path.display()
            ));
        }
        if !self.directory_held && crate::lock::directory_is_free(&self.history_dir()) {
            match opened.interrupt_stale() {
                Ok(0) => {}
                Ok(n) => self.events.note(format!(
                    "bgy: {n} run(s) recorded as running had been stopped (killed, or the machine went down): now interrupted 已中断"
                )),
                Err(e) => self.events.warn(format!(
                    "历史记录没能整理 (the history could not be tidied: {e:#})"
                )),
            }
        }
        Ok(self.history.get_or_init(|| opened).clone())
    }

    /// The same directory for another run by `who`: its own front-end, its own `stop`, and a
    /// client whose waits only that stop ends (a Stop pressed for one run in the web console
    /// must not end the waits of the next).
    pub fn for_run(&self, events: Arc<dyn Observer>, who: &str, stop: Stop) -> Context {
        let client = self.client.as_ref().map(Client::for_run);
        if let Some(c) = &client {
            stop.cancels(c);
        }
        Context {
            client,
            emulator: self.emulator.clone(),
            server: self.server.clone(),
            events,
            stop,
            who: who.to_string(),
            directory_held: false,
            history_path: self.history_path.clone(),
            history: self.history.clone(),
        }
    }

    /// The client, for commands that cannot work offline.
    pub fn client(&self) -> anyhow::Result<&Client> {
        self.client
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!(crate::config::NO_TICKET))
    }
}
