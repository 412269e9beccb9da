//! The history: every run that changes the directory, and every change it made, recorded as
//! it happens in SQLite (`.bgy/history.sqlite`, or `--history` / `BGY_HISTORY`), so a kill
//! loses at most the calls in flight, as with the journal (an import resumed from its journal
//! records those of them the server had applied).
//!
//! In: a run's start and end, and each row it changed: the account, the kind of change, the
//! person's record before (what the listing returned, and what bgy itself last sent, each
//! field marked with its source) and the values sent; and each call that changes people
//! (`staff/add`, `staff/delete`, `staff/entry-time`) as it is about to go, turned into its
//! change or crossed out when its answer comes, so the calls a run never heard back from are
//! known. Out: the runs and their changes, for `bgy history` and for complete backups. Bank
//! card numbers are stored, because a restore needs them, and never shown: [`mask`] hides them
//! in everything this module hands out to be printed.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::{AccountKey, Field, StaffRecord};
use crate::text::Unwritten;

/// The history of a run that changes departments, where each rename is written down before
/// it goes (`execute::depts::rename`).
#[derive(Clone, Copy)]
pub struct Written<'h> {
    pub history: &'h History,
    pub run: i64,
}

pub struct History {
    conn: Mutex<Connection>,
    /// The file was there and empty (0 bytes) when opened: the runs it held are lost.
    emptied: bool,
}

/// Text kept in SQLite as a word of its own: written with `as_str`, read back with `parse`.
macro_rules! stored_as_text {
    ($t:ty) => {
        impl rusqlite::types::ToSql for $t {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(self.as_str().into())
            }
        }

        impl rusqlite::types::FromSql for $t {
            fn column_result(
                v: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                let text = v.as_str()?;
                <$t>::parse(text).ok_or_else(|| {
                    rusqlite::types::FromSqlError::Other(
                        format!("not a {}: {text:?}", stringify!($t)).into(),
                    )
                })
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// How a run stands in the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RunStatus {
    #[serde(rename = "running")]
    Running,
    #[serde(rename = "ok")]
    Ok,
    #[serde(rename = "rows failed")]
    RowsFailed,
    #[serde(rename = "fatal")]
    Fatal,
    #[serde(rename = "interrupted")]
    Interrupted,
    /// The schedule paused it: it waits for `bgy approve` / `bgy reject`.
    #[serde(rename = "pending")]
    Pending,
    #[serde(rename = "approved")]
    Approved,
    #[serde(rename = "rejected")]
    Rejected,
}

impl RunStatus {
    pub(crate) const ALL: [RunStatus; 8] = [
        RunStatus::Running,
        RunStatus::Ok,
        RunStatus::RowsFailed,
        RunStatus::Fatal,
        RunStatus::Interrupted,
        RunStatus::Pending,
        RunStatus::Approved,
        RunStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Ok => "ok",
            RunStatus::RowsFailed => "rows failed",
            RunStatus::Fatal => "fatal",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Pending => "pending",
            RunStatus::Approved => "approved",
            RunStatus::Rejected => "rejected",
        }
    }

    /// The status in the Chinese half of a message, as the console says it.
    pub fn chinese(self) -> &'static str {
        match self {
            RunStatus::Running => "进行中",
            RunStatus::Ok => "完成",
            RunStatus::RowsFailed => "部分行未通过",
            RunStatus::Fatal => "已中止",
            RunStatus::Interrupted => "已中断",
            RunStatus::Pending => "待确认",
            RunStatus::Approved => "已批准",
            RunStatus::Rejected => "已拒绝",
        }
    }

    pub fn parse(text: &str) -> Option<RunStatus> {
        RunStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl From<crate::outcome::Status> for RunStatus {
    fn from(s: crate::outcome::Status) -> RunStatus {
        use crate::outcome::Status;
        match s {
            Status::Ok => RunStatus::Ok,
            Status::RowsFailed => RunStatus::RowsFailed,
            Status::Fatal => RunStatus::Fatal,
            Status::Interrupted => RunStatus::Interrupted,
            Status::Paused => RunStatus::Pending,
        }
    }
}

stored_as_text!(RunStatus);

/// A change a run made, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
    /// `bgy times`: dates.
    Dates,
    /// Marked as a leaver (人事状态 已离职).
    Left,
    DeptCreated,
    DeptRenamed,
}

impl ChangeKind {
    pub(crate) const ALL: [ChangeKind; 7] = [
        ChangeKind::Created,
        ChangeKind::Updated,
        ChangeKind::Deleted,
        ChangeKind::Dates,
        ChangeKind::Left,
        ChangeKind::DeptCreated,
        ChangeKind::DeptRenamed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Updated => "updated",
            ChangeKind::Deleted => "deleted",
            ChangeKind::Dates => "dates",
            ChangeKind::Left => "left",
            ChangeKind::DeptCreated => "dept_created",
            ChangeKind::DeptRenamed => "dept_renamed",
        }
    }

    pub fn parse(text: &str) -> Option<ChangeKind> {
        ChangeKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Its values are what bgy last sent the account (restores and backups take them).
    fn is_sent_record(self) -> bool {
        matches!(
            self,
            ChangeKind::Created | ChangeKind::Updated | ChangeKind::Left
        )
    }
}

stored_as_text!(ChangeKind);

/// A run as the history lists it.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub id: i64,
    pub started: String,
    pub finished: Option<String>,
    pub command: String,
    pub input: String,
    pub sha256: String,
    pub server: String,
    pub who: String,
    pub status: RunStatus,
    pub counts: Value,
    pub report: Option<String>,
    pub changes: i64,
    /// The columns a person named for the run, if any.
    pub columns: Option<String>,
    /// Its calls that were never answered (a kill, tries that ran out on lost answers): they
    /// may have taken effect, and an undo asks the directory which did.
    pub unanswered: i64,
}

/// One change a run made.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeRecord {
    pub at: String,
    pub account: String,
    pub kind: ChangeKind,
    /// The record before: `{"field": {"value": …, "source": "listing" | "sent"}}`.
    pub before: Value,
    /// The values sent.
    pub sent: Value,
}

/// A change as the history stores it: the record before and the values sent as JSON text.
pub struct ChangeText {
    pub account: String,
    pub kind: ChangeKind,
    pub before: String,
    pub sent: String,
}

fn now() -> String {
    crate::model::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Hides bank card numbers in a value about to be shown.
pub fn mask(mut v: Value) -> Value {
    match &mut v {
        Value::Object(map) => {
            for (k, field) in map.iter_mut() {
                if k == "bank_card" {
                    *field = Value::String("***".into());
                } else {
                    *field = mask(std::mem::take(field));
                }
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                *item = mask(std::mem::take(item));
            }
        }
        _ => {}
    }
    v
}

/// The history's settings and tables, made when missing (a new or an older history).
fn set_up(conn: &Connection) -> rusqlite::Result<()> {
    // WAL: each change is committed on its own and survives a kill of the process.
    // NORMAL: no fsync per change (the journal makes the same trade), so recording keeps
    // up with sending.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "busy_timeout", 5000)?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started TEXT NOT NULL, finished TEXT, command TEXT NOT NULL,
            input TEXT NOT NULL, sha256 TEXT NOT NULL, server TEXT NOT NULL, who TEXT NOT NULL,
            status TEXT NOT NULL, counts TEXT NOT NULL DEFAULT '{}', report TEXT);
         CREATE TABLE IF NOT EXISTS changes (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, run INTEGER NOT NULL,
            at TEXT NOT NULL, account TEXT NOT NULL, kind TEXT NOT NULL,
            before TEXT NOT NULL, sent TEXT NOT NULL);
         CREATE INDEX IF NOT EXISTS changes_run ON changes(run);
         -- Whether bgy created an account (a backup asks it of each person it holds):
         -- without it, each question read every change ever made.
         CREATE INDEX IF NOT EXISTS changes_account
            ON changes(account COLLATE NOCASE, kind);
         -- A call that changes people, not answered yet: what it is to change, written
         -- before it goes and moved to changes (or removed) when its answer comes. What
         -- a kill, or retries that ran out on lost answers, leaves here may have been
         -- applied: an undo asks the directory which were, and takes those back.
         CREATE TABLE IF NOT EXISTS unanswered (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, run INTEGER NOT NULL,
            at TEXT NOT NULL, account TEXT NOT NULL, kind TEXT NOT NULL,
            before TEXT NOT NULL, sent TEXT NOT NULL);
         CREATE INDEX IF NOT EXISTS unanswered_run ON unanswered(run);
         CREATE TABLE IF NOT EXISTS last_sent (
            account TEXT PRIMARY KEY, fields TEXT NOT NULL);
         -- The 人事状态 bgy last sent (a plan asks it once, not a person at a time).
         CREATE INDEX IF NOT EXISTS last_sent_status
            ON last_sent(json_extract(fields, '$.status'));
         CREATE TABLE IF NOT EXISTS pending (
            run INTEGER PRIMARY KEY, path TEXT NOT NULL, options TEXT NOT NULL,
            plan_hash TEXT NOT NULL, why TEXT NOT NULL, lines TEXT NOT NULL DEFAULT '[]',
            decided TEXT, decided_by TEXT, decided_run INTEGER);",
    )?;
    // Added later: the columns a person named for the run (`工号→帐号`), and its journal
    // (an undo of a run that was killed reads the calls it sent and never heard back from).
    for column in ["columns", "journal"] {
        let has = conn
            .prepare("SELECT 1 FROM pragma_table_info('runs') WHERE name = ?1")?
            .exists([column])?;
        if !has {
            conn.execute_batch(&format!("ALTER TABLE runs ADD COLUMN {column} TEXT"))?;
        }
    }
    Ok(())
}

impl History {
    pub fn open(path: &Path) -> anyhow::Result<History> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).cannot_make_folder(dir)?;
        }
        // SQLite takes an empty file for a new database: a history cut to 0 bytes (a full disk,
        // a mistake) would silently start again. Say so instead.
        let emptied = std::fs::metadata(path).is_ok_and(|m| m.len() == 0);
        let conn = Connection::open(path)
            .and_then(|conn| set_up(&conn).map(|()| conn))
            .unwritten(|| {
                let path = path.display();
                (
                    format!("无法打开历史记录 {path}({{why}})"),
                    format!("cannot open the history {path}"),
                )
            })?;
        Ok(History {
            conn: Mutex::new(conn),
            emptied,
        })
    }

    /// The file was empty when opened: whatever it recorded before is lost.
    pub fn was_emptied(&self) -> bool {
        self.emptied
    }

    /// Runs recorded as running, when nothing runs: their process was killed. They become
    /// `interrupted`; how many.
    pub fn interrupt_stale(&self) -> anyhow::Result<usize> {
        Ok(self.conn().execute(
            "UPDATE runs SET status = ?1, finished = ?2 WHERE status = ?3",
            params![RunStatus::Interrupted, now(), RunStatus::Running],
        )?)
    }

    /// Whether the history has run `id`.
    pub fn knows(&self, id: i64) -> bool {
        self.conn()
            .query_row("SELECT 1 FROM runs WHERE id = ?1", [id], |_| Ok(()))
            .optional()
            .ok()
            .flatten()
            .is_some()
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a run's start, on the input whose content hashes to `sha` (of the bytes the run
    /// read, not the file as it is by now), known as `name` (the file's own name, or the name a
    /// person uploaded it under); its id.
    pub fn begin(
        &self,
        command: &str,
        sha: &str,
        name: &str,
        server: &str,
        who: &str,
    ) -> anyhow::Result<i64> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO runs (started, command, input, sha256, server, who, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![now(), command, name, sha, server, who, RunStatus::Running],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// Records the columns a person named for a run (`工号→帐号, 紧急联系人→-`).
    pub fn columns(&self, run: i64, columns: &str) -> anyhow::Result<()> {
        self.conn().execute(
            "UPDATE runs SET columns = ?1 WHERE id = ?2",
            params![columns, run],
        )?;
        Ok(())
    }

    /// Records where a run's journal is, as it starts (absolute: an undo may run elsewhere).
    pub fn journal(&self, run: i64, path: &Path) -> anyhow::Result<()> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        self.conn().execute(
            "UPDATE runs SET journal = ?1 WHERE id = ?2",
            params![path.to_string_lossy(), run],
        )?;
        Ok(())
    }

    /// Where run `run`'s journal was written, if the history knows.
    pub fn journal_of(&self, run: i64) -> Option<PathBuf> {
        self.conn()
            .query_row("SELECT journal FROM runs WHERE id = ?1", [run], |r| {
                r.get::<_, Option<String>>(0)
            })
            .ok()
            .flatten()
            .map(PathBuf::from)
    }

    /// The run that wrote the journal at `path` (a run a killed console never said the end of).
    pub fn run_of_journal(&self, path: &Path) -> Option<i64> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        self.conn()
            .query_row(
                "SELECT id FROM runs WHERE journal = ?1 ORDER BY id DESC LIMIT 1",
                [path.to_string_lossy()],
                |r| r.get(0),
            )
            .ok()
    }

    /// Whether a run after `run` changed `account`.
    pub fn changed_after(&self, run: i64, account: &str) -> bool {
        self.conn()
            .query_row(
                "SELECT 1 FROM changes WHERE account = ?1 COLLATE NOCASE AND run > ?2 LIMIT 1",
                params![account, run],
                |_| Ok(()),
            )
            .optional()
            .ok()
            .flatten()
            .is_some()
    }

    /// Records a run's end.
    pub fn end(
        &self,
        run: i64,
        status: RunStatus,
        counts: &Value,
        report: Option<&str>,
    ) -> anyhow::Result<()> {
        self.conn().execute(
            "UPDATE runs SET finished = ?1, status = ?2, counts = ?3, report = ?4 WHERE id = ?5",
            params![now(), status, counts.to_string(), report, run],
        )?;
        Ok(())
    }

    /// Records one change, and for creates and updates what bgy last sent for the account:
    /// both in one transaction (a run of 100,000 changes writes 100,000 of these, each with
    /// statements prepared once).
    pub fn change(
        &self,
        run: i64,
        account: &str,
        kind: ChangeKind,
        before: &Value,
        sent: &Value,
    ) -> anyhow::Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.prepare_cached(
            "INSERT INTO changes (run, at, account, kind, before, sent) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![run, now(), account, kind, before.to_string(), sent.to_string()])?;
        sent_last(&tx, account, kind, sent)?;
        tx.commit()?;
        Ok(())
    }

    /// Writes down, before calls go, what each is to change: for each account, the kind of
    /// change, the record before and the values sent (null for a delete). Each stays until
    /// [`History::answered`], so a kill while the call is in flight leaves it for an undo. One
    /// transaction; their ids.
    pub fn unanswered(
        &self,
        run: i64,
        calls: &[(&str, ChangeKind, Value, &Value)],
    ) -> anyhow::Result<Vec<i64>> {
        let at = now();
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut ids = Vec::with_capacity(calls.len());
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO unanswered (run, at, account, kind, before, sent) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (account, kind, before, sent) in calls {
                let (before, sent) = (before.to_string(), sent.to_string());
                insert.execute(params![run, at, account, kind, before, sent])?;
                ids.push(tx.last_insert_rowid());
            }
        }
        tx.commit()?;
        Ok(ids)
    }

    /// The calls [`History::unanswered`] wrote down were answered: those `applied` took
    /// effect and become changes of their run (the record before and the values sent as
    /// written down, at this time; what bgy last sent moved on as [`History::change`] does),
    /// without the record before looked up and made again; those `crossed` need no change
    /// here (not made, or recorded already). One transaction (a batch of deletes is one).
    pub fn answered(&self, crossed: &[i64], applied: &[Applied]) -> anyhow::Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let at = now();
            let mut record = tx.prepare_cached(
                "INSERT INTO changes (run, at, account, kind, before, sent)
                 SELECT run, ?1, account, ?2, before, sent FROM unanswered WHERE seq = ?3",
            )?;
            for a in applied {
                record.execute(params![at, a.kind, a.id])?;
                sent_last(&tx, a.account, a.kind, a.sent)?;
            }
            let mut delete = tx.prepare_cached("DELETE FROM unanswered WHERE seq = ?1")?;
            for id in crossed.iter().chain(applied.iter().map(|a| &a.id)) {
                delete.execute([id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The calls of run `run` never answered (see [`History::unanswered`]), as
    /// [`History::each_change_text`] hands a run's changes over: accounts in byte order.
    pub fn each_unanswered(
        &self,
        run: i64,
        f: impl FnMut(ChangeText) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        self.each_row("unanswered", run, "account, seq", change_text, f)
    }

    /// bgy created the account (so every field it had then is one bgy sent).
    pub fn created(&self, account: &str) -> bool {
        self.conn()
            .query_row(CREATED, params![account, ChangeKind::Created], |_| Ok(()))
            .optional()
            .ok()
            .flatten()
            .is_some()
    }

    /// What bgy last sent for an account: field → value (bank card included).
    pub fn last_sent(&self, account: &str) -> Map<String, Value> {
        last_sent_in(&self.conn(), &AccountKey::new(account).into_string()).unwrap_or_default()
    }

    /// The 人事状态 bgy last sent each account that it sent one: the key of each, with the
    /// status.
    pub fn statuses(&self) -> anyhow::Result<Vec<(String, String)>> {
        let conn = self.conn();
        let mut sent = conn.prepare_cached(STATUSES)?;
        let rows = sent.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// What bgy last sent of `fields` (columns `staff/list` does not return; 人事状态 has
    /// [`History::statuses`]): the key of each account it sent any, with those values. One
    /// scan of what was last sent, each person's fields parsed once, in place (5 columns of
    /// 100,000 people in ~70 ms; SQLite's `json_extract` of them took ~110): a plan
    /// asks only for the columns its sheet has.
    pub fn sent_values(&self, fields: &[Field]) -> anyhow::Result<Vec<(String, StaffRecord)>> {
        let mut fields = fields.to_vec();
        fields.sort_unstable();
        fields.dedup();
        if fields.is_empty() {
            return Ok(Vec::new());
        }
        let conn = self.conn();
        let mut query = conn.prepare("SELECT account, fields FROM last_sent")?;
        let mut rows = query.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let rusqlite::types::ValueRef::Text(text) = row.get_ref(1)? else {
                continue;
            };
            let mut record = sent_of(text, &fields);
            if record.iter().next().is_some() {
                record.shrink_to_fit();
                out.push((row.get(0)?, record));
            }
        }
        Ok(out)
    }

    /// The people bgy marked as leavers and has sent nothing of a 人事状态 since: the key of
    /// each account whose last status sent is 已离职 (3) by a leave ([`ChangeKind::Left`]), with
    /// the status bgy had last sent before that leave (`None`: it never sent one). Not those
    /// whom a sheet's own 已离职 marked: only the leave is bgy's guess, to take back when the
    /// person is named again.
    pub fn marked_left(&self) -> anyhow::Result<Vec<(String, Option<String>)>> {
        let conn = self.conn();
        let mut marked = conn.prepare_cached(MARKED_LEFT)?;
        let mut last = conn.prepare_cached(
            "SELECT kind, json_extract(before, '$.status.value') FROM changes
             WHERE account = ?1 COLLATE NOCASE AND kind IN ('created', 'updated', 'left')
               AND json_extract(sent, '$.status') IS NOT NULL
             ORDER BY seq DESC LIMIT 1",
        )?;
        let accounts = marked
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut out = Vec::new();
        for account in accounts {
            let by: Option<(ChangeKind, Option<String>)> = last
                .query_row([&account], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if let Some((ChangeKind::Left, before)) = by {
                out.push((account, before.filter(|s| !s.is_empty())));
            }
        }
        Ok(out)
    }

    /// The runs, newest first.
    pub fn runs(&self, limit: usize) -> anyhow::Result<Vec<RunRecord>> {
        self.select_runs("ORDER BY r.id DESC LIMIT ?1", params![limit as i64])
    }

    /// A run as JSON; a paused run a person approved (`bgy approve` or the console's button)
    /// also names the run that sent it (`sent_as`) and that run's changes (`sent_changes`),
    /// its own being 0.
    pub fn with_sent_as(&self, run: RunRecord) -> serde_json::Value {
        let sent = (run.status == RunStatus::Approved)
            .then(|| self.paused_run(run.id).ok().flatten()?.decided_run)
            .flatten()
            .and_then(|id| self.run(id).ok().flatten());
        let mut value = serde_json::to_value(&run).unwrap_or_default();
        if let (Some(sent), Some(v)) = (sent, value.as_object_mut()) {
            v.insert("sent_as".into(), serde_json::json!(sent.id));
            v.insert("sent_changes".into(), serde_json::json!(sent.changes));
        }
        value
    }

    /// Run `id`, if the history has it.
    pub fn run(&self, id: i64) -> anyhow::Result<Option<RunRecord>> {
        Ok(self.select_runs("WHERE r.id = ?1", params![id])?.pop())
    }

    /// The newest runs by `who`.
    pub fn runs_by(&self, who: &str, limit: usize) -> anyhow::Result<Vec<RunRecord>> {
        self.select_runs(
            "WHERE r.who = ?1 ORDER BY r.id DESC LIMIT ?2",
            params![who, limit as i64],
        )
    }

    /// The runs `filter` (what follows `FROM runs r`) picks.
    fn select_runs(
        &self,
        filter: &str,
        params: impl rusqlite::Params,
    ) -> anyhow::Result<Vec<RunRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("SELECT {RUN_COLUMNS} FROM runs r {filter}"))?;
        let rows = stmt.query_map(params, run_record)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A run's changes, in the order they happened (bank cards included: [`mask`] them
    /// before showing).
    pub fn changes(&self, run: i64) -> anyhow::Result<Vec<ChangeRecord>> {
        self.records("changes", run)
    }

    /// A run's calls never answered, as [`History::changes`] gives its changes.
    pub fn unanswered_records(&self, run: i64) -> anyhow::Result<Vec<ChangeRecord>> {
        self.records("unanswered", run)
    }

    fn records(&self, table: &str, run: i64) -> anyhow::Result<Vec<ChangeRecord>> {
        let mut all = Vec::new();
        self.each_record(table, run, |c| {
            all.push(c);
            Ok(())
        })?;
        Ok(all)
    }

    /// A run's changes, in the order they happened, handed to `f` one at a time: a run of
    /// 100,000 changes is never held whole (the audit log). The history waits meanwhile.
    pub fn each_change(
        &self,
        run: i64,
        f: impl FnMut(ChangeRecord) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        self.each_record("changes", run, f)
    }

    /// The calls of run `run` never answered ([`History::unanswered`]), as
    /// [`History::each_change`] hands its changes over, in the order they were written down:
    /// what each was to change (the audit log, `bgy history show`).
    pub fn each_unanswered_record(
        &self,
        run: i64,
        f: impl FnMut(ChangeRecord) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        self.each_record("unanswered", run, f)
    }

    /// [`History::each_change`] of `table`.
    fn each_record(
        &self,
        table: &str,
        run: i64,
        f: impl FnMut(ChangeRecord) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let change = |r: &rusqlite::Row| {
            let json = |i| json_column(r, i);
            Ok(ChangeRecord {
                at: r.get(0)?,
                account: r.get(1)?,
                kind: r.get(2)?,
                before: json(3)?,
                sent: json(4)?,
            })
        };
        self.each_row(table, run, "seq", change, f)
    }

    /// [`History::each_change`] with the record before and the values sent as the JSON text
    /// the history keeps (not made into JSON trees only to be written out as text again),
    /// each account's changes one after the other, accounts in byte order: for undo, which
    /// then needs only one account's changes at a time (SQLite sorts them within its own
    /// cache, spilling to a temporary file, not in memory whole).
    pub fn each_change_text(
        &self,
        run: i64,
        f: impl FnMut(ChangeText) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        self.each_row("changes", run, "account, seq", change_text, f)
    }

    /// A run's changes (or calls never answered: `table`) as `row` reads each (columns: at,
    /// account, kind, before, sent), in `order` (`seq`: the order they happened), handed to
    /// `f` one at a time.
    fn each_row<T>(
        &self,
        table: &str,
        run: i64,
        order: &str,
        row: impl FnMut(&rusqlite::Row) -> rusqlite::Result<T>,
        mut f: impl FnMut(T) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT at, account, kind, before, sent FROM {table} WHERE run = ?1 ORDER BY {order}"
        ))?;
        for change in stmt.query_map([run], row)? {
            f(change?)?;
        }
        Ok(())
    }
}

/// A call [`History::unanswered`] wrote down as `id` that took effect: the change its outcome
/// says (`kind`; a create whose retry found the account made is a create), of `account`, with
/// the values `sent`.
pub struct Applied<'a> {
    pub id: i64,
    pub kind: ChangeKind,
    pub account: &'a str,
    pub sent: &'a Value,
}

/// Moves on what bgy last sent `account` by the values `sent` of a change of `kind`, when its
/// values are ones bgy keeps so ([`ChangeKind::is_sent_record`]).
fn sent_last(
    tx: &Connection,
    account: &str,
    kind: ChangeKind,
    sent: &Value,
) -> rusqlite::Result<()> {
    let (Value::Object(fields), true) = (sent, kind.is_sent_record()) else {
        return Ok(());
    };
    let key = AccountKey::new(account).into_string();
    let mut merged = last_sent_in(tx, &key)?;
    for (k, v) in fields {
        if k != "cover" && v.as_str().is_some_and(|s| !s.is_empty()) {
            merged.insert(k.clone(), v.clone());
        }
    }
    tx.prepare_cached(
        "INSERT INTO last_sent (account, fields) VALUES (?1, ?2)
         ON CONFLICT(account) DO UPDATE SET fields = excluded.fields",
    )?
    .execute(params![key, Value::Object(merged).to_string()])?;
    Ok(())
}

/// A row of [`History::each_row`] as the text the history keeps.
fn change_text(r: &rusqlite::Row) -> rusqlite::Result<ChangeText> {
    Ok(ChangeText {
        account: r.get(1)?,
        kind: r.get(2)?,
        before: r.get(3)?,
        sent: r.get(4)?,
    })
}

/// Whether bgy created an account: one look in the `changes_account` index.
const CREATED: &str =
    "SELECT 1 FROM changes WHERE account = ?1 COLLATE NOCASE AND kind = ?2 LIMIT 1";

/// A run's columns, as [`run_record`] reads them (`r` is the runs table).
const RUN_COLUMNS: &str = "r.id, r.started, r.finished, r.command, r.input, r.sha256, r.server,
    r.who, r.status, r.counts, r.report, (SELECT COUNT(*) FROM changes c WHERE c.run = r.id),
    r.columns, (SELECT COUNT(*) FROM unanswered u WHERE u.run = r.id)";

/// The run of a row whose first columns are [`RUN_COLUMNS`].
fn run_record(r: &rusqlite::Row) -> rusqlite::Result<RunRecord> {
    Ok(RunRecord {
        id: r.get(0)?,
        started: r.get(1)?,
        finished: r.get(2)?,
        command: r.get(3)?,
        input: r.get(4)?,
        sha256: r.get(5)?,
        server: r.get(6)?,
        who: r.get(7)?,
        status: r.get(8)?,
        counts: json_column(r, 9)?,
        report: r.get(10)?,
        changes: r.get(11)?,
        columns: r.get(12)?,
        unanswered: r.get(13)?,
    })
}

/// A run the schedule paused, waiting for a person.
#[derive(Debug, Clone, Serialize)]
pub struct Pending {
    /// The run itself: its status is pending, approved or rejected.
    #[serde(flatten)]
    pub run: RunRecord,
    /// The sheet it read, where it read it.
    pub path: String,
    /// How it was to be applied (prune mode, what invalid rows do), as JSON.
    pub options: Value,
    /// The plan's fingerprint: an approval sends only this plan.
    pub plan_hash: String,
    /// Why it waits.
    pub why: String,
    pub decided_by: Option<String>,
    /// The run that carried out the approval.
    pub decided_run: Option<i64>,
    /// The plan's first lines, to read before deciding (bank cards never in them).
    pub lines: Value,
}

/// A run that ends as it starts (a pause, a sheet that sent nothing): what the history keeps.
pub struct Settled<'a> {
    pub command: &'a str,
    pub input: &'a Path,
    /// The hash of the bytes the run read.
    pub sha256: &'a str,
    pub name: &'a str,
    pub server: &'a str,
    pub who: &'a str,
    pub status: RunStatus,
    pub counts: &'a Value,
    pub report: Option<&'a str>,
}

impl History {
    /// Records a run that sent nothing and is over as it starts; its id.
    pub fn settled(&self, run: &Settled) -> anyhow::Result<i64> {
        let id = self.begin(run.command, run.sha256, run.name, run.server, run.who)?;
        self.end(id, run.status, run.counts, run.report)?;
        Ok(id)
    }

    /// Records a paused run: `run` (status `pending`) and what an approval needs.
    pub fn pause(
        &self,
        run: &Settled,
        options: &Value,
        plan: (&str, &Value),
        why: &str,
    ) -> anyhow::Result<i64> {
        let id = self.settled(run)?;
        let (plan_hash, lines) = plan;
        self.conn().execute(
            "INSERT INTO pending (run, path, options, plan_hash, why, lines)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                run.input.to_string_lossy(),
                options.to_string(),
                plan_hash,
                why,
                lines.to_string()
            ],
        )?;
        Ok(id)
    }

    /// The paused runs, newest first (`all`: decided ones too).
    pub fn paused(&self, all: bool, limit: usize) -> anyhow::Result<Vec<Pending>> {
        self.select_paused(
            "WHERE ?1 OR r.status = ?2 ORDER BY p.run DESC LIMIT ?3",
            params![all, RunStatus::Pending, limit as i64],
        )
    }

    /// Paused run `run`, decided or not.
    pub fn paused_run(&self, run: i64) -> anyhow::Result<Option<Pending>> {
        Ok(self.select_paused("WHERE p.run = ?1", params![run])?.pop())
    }

    /// The paused runs `filter` (what follows the join) picks.
    fn select_paused(
        &self,
        filter: &str,
        params: impl rusqlite::Params,
    ) -> anyhow::Result<Vec<Pending>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {RUN_COLUMNS}, p.path, p.options, p.plan_hash, p.why, p.decided_by,
                    p.decided_run, p.lines
             FROM pending p JOIN runs r ON r.id = p.run {filter}"
        ))?;
        let rows = stmt.query_map(params, |r| {
            let json = |i| json_column(r, i);
            Ok(Pending {
                run: run_record(r)?,
                path: r.get(14)?,
                options: json(15)?,
                plan_hash: r.get(16)?,
                why: r.get(17)?,
                decided_by: r.get(18)?,
                decided_run: r.get(19)?,
                lines: json(20)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Decides paused run `run` (`approved` or `rejected`) by `who`, carried out by `by_run`;
    /// false when it was no longer pending (someone decided first).
    pub fn decide(
        &self,
        run: i64,
        status: RunStatus,
        who: &str,
        by_run: Option<i64>,
    ) -> anyhow::Result<bool> {
        let conn = self.conn();
        let changed = conn.execute(
            "UPDATE runs SET status = ?1 WHERE id = ?2 AND status = ?3",
            params![status, run, RunStatus::Pending],
        )?;
        if changed == 1 {
            conn.execute(
                "UPDATE pending SET decided = ?1, decided_by = ?2, decided_run = ?3 WHERE run = ?4",
                params![now(), who, by_run, run],
            )?;
        }
        Ok(changed == 1)
    }

    /// The newest run by `who` of a file with this content that ran to an end (not killed,
    /// not stopped by a fatal error): its id and status.
    pub fn seen_source(&self, who: &str, sha256: &str) -> Option<(i64, RunStatus)> {
        self.conn()
            .query_row(
                "SELECT id, status FROM runs WHERE who = ?1 AND sha256 = ?2
                   AND status NOT IN (?3, ?4, ?5)
                 ORDER BY id DESC LIMIT 1",
                params![
                    who,
                    sha256,
                    RunStatus::Running,
                    RunStatus::Interrupted,
                    RunStatus::Fatal
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .ok()
            .flatten()
    }
}

/// A column holding JSON text, as a value (`null` when it is not JSON).
fn json_column(r: &rusqlite::Row, i: usize) -> rusqlite::Result<Value> {
    Ok(serde_json::from_str(&r.get::<_, String>(i)?).unwrap_or_default())
}

/// The SHA-256 of `bytes`, in hex.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

/// A digest as lowercase hex.
pub fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Each account's last 人事状态 sent (a text, as every value sent is), found in their index: a
/// range, which the planner takes the index for where `IS NOT NULL` it did not.
const STATUSES: &str = "SELECT account, json_extract(fields, '$.status') FROM last_sent
     WHERE json_extract(fields, '$.status') > ''";

/// The accounts whose last 人事状态 sent is 已离职, found in their index.
const MARKED_LEFT: &str =
    "SELECT account FROM last_sent WHERE json_extract(fields, '$.status') = '3'";

/// What bgy last sent a person of `fields`, read in place from `last_sent`'s `json`: texts
/// only, as every value sent is (nothing, for a person with another kind of value in one of
/// them); every other key is passed over unread.
fn sent_of(json: &[u8], fields: &[Field]) -> StaffRecord {
    let mut json = serde_json::Deserializer::from_slice(json);
    serde::Deserializer::deserialize_map(&mut json, SentOf(fields)).unwrap_or_default()
}

/// [`sent_of`]'s reader of one `last_sent` object.
struct SentOf<'f>(&'f [Field]);

/// A text borrowed from the JSON where it has no escapes.
#[derive(serde::Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

impl<'de> serde::de::Visitor<'de> for SentOf<'_> {
    type Value = StaffRecord;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the object of what bgy last sent")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<StaffRecord, A::Error> {
        let mut record = StaffRecord::new();
        while let Some(Text(key)) = map.next_key()? {
            match self.0.iter().find(|f| f.key() == key) {
                Some(&field) => {
                    let Text(value) = map.next_value()?;
                    if !value.is_empty() {
                        record.put(field, &value);
                    }
                }
                None => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(record)
    }
}

/// What bgy last sent for the account whose key is `key`, as [`History::last_sent`] gives it.
fn last_sent_in(conn: &Connection, key: &str) -> rusqlite::Result<Map<String, Value>> {
    let text: Option<String> = conn
        .prepare_cached("SELECT fields FROM last_sent WHERE account = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?;
    Ok(text
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_leavers_bgy_marked_are_found_in_an_index_with_the_status_before() {
        let dir = tempfile::tempdir().unwrap();
        let h = History::open(&dir.path().join("h.sqlite")).unwrap();
        for query in [STATUSES, MARKED_LEFT] {
            let plan: Vec<String> = h
                .conn()
                .prepare(&format!("EXPLAIN QUERY PLAN {query}"))
                .unwrap()
                .query_map([], |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                plan.iter().any(|p| p.contains("INDEX last_sent_status")),
                "every plan of a sheet with a 人事状态 asks it: {plan:?}"
            );
        }
        let run = h
            .begin("sync", "", "a.csv", "https://example", "hr")
            .unwrap();
        let sent = |status: &str| serde_json::json!({"status": status});
        let before =
            |status: &str| serde_json::json!({"status": {"value": status, "source": "sent"}});
        // On probation, then marked by a leave.
        h.change(run, "Ann", ChangeKind::Updated, &Value::Null, &sent("1"))
            .unwrap();
        h.change(run, "Ann", ChangeKind::Left, &before("1"), &sent("3"))
            .unwrap();
        // Marked by a leave, bgy never having sent a status.
        h.change(run, "bo", ChangeKind::Left, &Value::Null, &sent("3"))
            .unwrap();
        // 已离职 as a sheet said it: not bgy's guess.
        h.change(run, "cy", ChangeKind::Updated, &Value::Null, &sent("3"))
            .unwrap();
        // Marked, then given a status again (an undo).
        h.change(run, "di", ChangeKind::Left, &Value::Null, &sent("3"))
            .unwrap();
        h.change(run, "di", ChangeKind::Updated, &before("3"), &sent("0"))
            .unwrap();
        let mut sent = h.statuses().unwrap();
        sent.sort();
        let last = |a: &str, s: &str| (a.to_string(), s.to_string());
        assert_eq!(
            sent,
            [
                last("ann", "3"),
                last("bo", "3"),
                last("cy", "3"),
                last("di", "0")
            ]
        );
        let mut marked = h.marked_left().unwrap();
        marked.sort();
        assert_eq!(
            marked,
            [
                ("ann".to_string(), Some("1".to_string())),
                ("bo".to_string(), None)
            ]
        );
    }

    #[test]
    fn whether_bgy_created_someone_is_one_look_in_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let h = History::open(&dir.path().join("h.sqlite")).unwrap();
        let plan: Vec<String> = h
            .conn()
            .prepare(&format!("EXPLAIN QUERY PLAN {CREATED}"))
            .unwrap()
            .query_map(params!["Zs", ChangeKind::Created], |r| {
                r.get::<_, String>(3)
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter()
                .any(|p| p.contains("USING COVERING INDEX changes_account")),
            "a backup of 100,000 people asks this 100,000 times: {plan:?}"
        );
        let run = h
            .begin("import", "", "a.csv", "https://example", "hr")
            .unwrap();
        h.change(run, "Zs", ChangeKind::Created, &Value::Null, &Value::Null)
            .unwrap();
        assert!(h.created("zS") && !h.created("ls"));
    }

    #[test]
    fn what_was_last_sent_of_the_unlisted_columns_is_read_for_those_asked() {
        let dir = tempfile::tempdir().unwrap();
        let h = History::open(&dir.path().join("h.sqlite")).unwrap();
        let run = h
            .begin("import", "x", "s.csv", "https://example", "hr")
            .unwrap();
        let people = [
            serde_json::json!({"we_userid": "Zs", "bank_card": "6222", "address": "北京\"海淀\"", "toQy": "1"}),
            serde_json::json!({"we_userid": "ls", "we_name": "李四", "check_id": "7"}),
            serde_json::json!({"we_userid": "ww", "we_name": "王五"}),
        ];
        for sent in &people {
            let account = sent["we_userid"].as_str().unwrap();
            h.change(run, account, ChangeKind::Created, &Value::Null, sent)
                .unwrap();
        }
        let asked = [Field::ToQy, Field::Address, Field::CheckId, Field::Address];
        let mut read = h.sent_values(&asked).unwrap();
        read.sort_by(|a, b| a.0.cmp(&b.0));
        let read: Vec<(String, Vec<(Field, String)>)> = (read.into_iter())
            .map(|(k, r)| (k, r.iter().map(|(f, v)| (f, v.to_string())).collect()))
            .collect();
        let text = |f: Field, v: &str| (f, v.to_string());
        assert_eq!(
            read,
            [
                ("ls".to_string(), vec![text(Field::CheckId, "7")]),
                (
                    "zs".to_string(),
                    vec![text(Field::Address, "北京\"海淀\""), text(Field::ToQy, "1")]
                ),
            ]
        );
    }

    #[test]
    fn runs_changes_and_what_was_last_sent() {
        let dir = tempfile::tempdir().unwrap();
        let h = History::open(&dir.path().join("h.sqlite")).unwrap();
        let run = h
            .begin(
                "import",
                &sha256("帐号\n".as_bytes()),
                "staff.csv",
                "https://example",
                "hr",
            )
            .unwrap();
        let sent = serde_json::json!({"we_userid": "Zs", "bank_card": "6222", "cover": "0"});
        h.change(run, "Zs", ChangeKind::Created, &Value::Null, &sent)
            .unwrap();
        h.change(
            run,
            "zs",
            ChangeKind::Updated,
            &Value::Null,
            &serde_json::json!({"we_name": "张三"}),
        )
        .unwrap();
        h.end(run, RunStatus::Ok, &serde_json::json!({"created": 1}), None)
            .unwrap();
        let runs = h.runs(10).unwrap();
        assert_eq!(runs[0].changes, 2);
        assert_eq!(runs[0].sha256, sha256("帐号\n".as_bytes()));
        assert_eq!(runs[0].sha256.len(), 64);
        let last = h.last_sent("ZS");
        assert_eq!(last["bank_card"], "6222", "stored for restores");
        assert_eq!(last["we_name"], "张三");
        assert!(!last.contains_key("cover"));
        let shown = mask(serde_json::to_value(h.changes(run).unwrap()).unwrap());
        assert!(!shown.to_string().contains("6222"), "{shown}");
    }
}
