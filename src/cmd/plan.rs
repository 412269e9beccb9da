//! `bgy plan FILE` shows what a sheet would change; `bgy sync FILE` applies exactly that:
//! `staff/add` cover=0 for creates, cover=1 for updates, `staff/delete` for prunes, nothing
//! for unchanged rows.

use std::cell::{OnceCell, RefCell};
use std::sync::Arc;

use anyhow::Context as _;

use crate::config::keep::{Keep, Kept};
use crate::config::unattended::{OnInvalid, Threshold};
use crate::config::{Destructive, Input, PruneMode};
use crate::context::Context;
use crate::events::{phases, Emit, Event, PlanShown};
use crate::execute::session::{Extra, Session};
use crate::execute::{self, delete::delete_all, depts, AddJob};
use crate::history::{History, RunStatus, Settled};
use crate::live::Live;
use crate::model::{Command, Layout, Outcome, Reach};
use crate::model::{Field, StaffRecord};
use crate::outcome::{Counts, Summary};
use crate::outcome::{Detail, Status};
use crate::outcome::{PlanLine, PlanLines};
use crate::plan::depts::DeptPlan;
use crate::plan::{self, Action, Plan, Sent};
use crate::read::header::{Column, Header};
use crate::safety;
use crate::validate::{Row, Table};

struct Prepared<'a> {
    session: Session<'a>,
    live: &'a Live,
    /// The departments sheet's plan, when the workbook has one.
    depts: Option<DeptPlan>,
    plan: Plan,
    /// The departments sheet's plan lines (the staff's are made as they are written).
    dept_lines: Vec<PlanLine>,
}

impl Prepared<'_> {
    fn lines(&self) -> Lines<'_> {
        Lines::of(&self.dept_lines, &self.plan, self.live)
    }
}

/// A plan's lines as they are shown and written: the departments sheet's, the staff plan's,
/// then `after` (what happened besides a sync's rows, its failures). The staff lines are
/// made from the plan when read, not kept.
struct Lines<'p> {
    depts: &'p [PlanLine],
    plan: &'p Plan,
    live: &'p Live,
    after: Vec<PlanLine>,
}

impl<'p> Lines<'p> {
    fn of(depts: &'p [PlanLine], plan: &'p Plan, live: &'p Live) -> Lines<'p> {
        Lines {
            depts,
            plan,
            live,
            after: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.depts.len() + self.plan.line_count() + self.after.len()
    }
}

impl PlanLines for Lines<'_> {
    fn each<'s>(&'s self, table: &'s Table) -> Box<dyn Iterator<Item = PlanLine> + 's> {
        let staff = self.plan.lines(table, self.live);
        Box::new(
            (self.depts.iter().cloned())
                .chain(staff)
                .chain(self.after.iter().cloned()),
        )
    }
}

async fn prepare<'a>(
    ctx: &'a Context,
    command: Command,
    input: &'a Input,
    reach: Reach,
    listed: &'a OnceCell<Live>,
) -> anyhow::Result<Prepared<'a>> {
    let (prune, create) = (reach.prune, reach.create_departments);
    ctx.client()?;
    // The departments sheet, planned on the tree as listed: staff rows are checked against
    // the tree as it will be.
    let depts = RefCell::new(None);
    let ready = |live: &mut Live| {
        let planned = departments_sheet(ctx, input)
            .map(|rows| rows.map(|rows| plan::depts::plan(rows, &live.tree)));
        if let Ok(Some(d)) = &planned {
            live.tree = d.planned.clone();
        }
        let ok = planned.is_ok();
        *depts.borrow_mut() = Some(planned);
        ok
    };
    // The report is written as the rows are checked and planned, from while they are read:
    // a row's planned outcome is its outcome in a plan, and in a sync for a row it sends
    // nothing to. A sync's row to send is written as its send succeeding would leave it: the
    // report is then written while the sheet is read, not after the sends; a send that does
    // not succeed has the report written whole at the end.
    let mut actions = Vec::new();
    // The rows that fill a column the listing does not show, and those columns: an unchanged
    // one sends nothing, so what it says there never reaches the directory.
    let mut unlisted = Unlisted::default();
    let sent = RefCell::new(SentLater::start(ctx, prune)?);
    let keep = keep(prune)?;
    let outcome = |i: usize, row: &mut Row, live: &Live| {
        let mut sent = sent.borrow_mut();
        let sent = sent.get();
        let action = plan::action(row, live, sent);
        unlisted.note(i, row, action.as_ref(), |row, f| {
            sent.compares(row.values(), f)
        });
        let outcome = streamed_outcome(command, action.as_ref());
        match actions.get_mut(i) {
            // A row the checks across rows failed after it was planned: it does nothing.
            Some(planned) => *planned = action,
            None => actions.push(action),
        }
        outcome
    };
    let listing = super::Listing::start(ctx);
    // A plan needs a row's values after its check only to say, and send, what it changes.
    let mut checking = super::Checking::new(listing, listed, !input.no_report, create, false)
        .with(ready, outcome)
        .forgetting(|o| *o == Outcome::Unchanged);
    let sends = command == Command::Sync;
    let staff = Some(Layout::Staff);
    let mut session = Session::open_watched(ctx, command, input, staff, sends, &mut |l, h, r| {
        sent.borrow_mut().watch(h, r);
        checking.watch(l, h, r)
    })?;
    match checking.listed().await? {
        Some(listed) => drop(listed?),
        None => anyhow::bail!("bgy {command} needs the directory: set a ticket or use --emulator"),
    };
    let live = listed.get().context("the directory was not kept")?;
    let depts = depts
        .borrow_mut()
        .take()
        .context("the departments sheet was not read")??;
    let kept = prunable(prune, live, &keep)?;
    let depts = DeptPlan::with_named(depts, &checking.rest(&mut session, live), &live.tree);
    let sent = sent.into_inner().done()?;
    unlisted.tell(ctx, &actions);
    let has_left = |s: &StaffRecord| sent.has_left(s);
    let plan = Plan::of(actions, &session.table, live, prune, has_left, |s| {
        kept.keeps(s)
    });
    tell_kept(ctx, &plan);
    let dept_lines = depts.as_ref().map(DeptPlan::lines).unwrap_or_default();
    let lines = Lines::of(&dept_lines, &plan, live);
    let shown = ctx.events.plan_lines();
    ctx.events.event(Event::Plan(PlanShown {
        lines: lines.each(&session.table).take(shown).collect(),
        more: lines.len().saturating_sub(shown),
        staff: plan.counts(),
        departments: depts.as_ref().map(DeptPlan::counts),
    }));
    // In the vector that held the rows' first outcomes: a second was 4 MB at 100,000 rows, at
    // the sync's peak.
    session.outcomes.clear();
    let planned = plan.actions.iter().map(Option::as_ref).map(planned_outcome);
    session.outcomes.extend(planned);
    Ok(Prepared {
        session,
        live,
        depts,
        plan,
        dept_lines,
    })
}

/// What bgy knows it sent of the columns `staff/list` does not return ([`Sent`]): from the
/// history when there is one (a plan does not make one), read on threads of their own while
/// the sheet is read and the directory listed. The 人事状态 it sent, from the start (a history
/// that sent 100,000 people a status gives them in ~30 ms); what it sent of the sheet's other
/// such columns, from the first row that fills one: an export has them all, empty, and a scan
/// of what bgy sent 100,000 people takes ~0.1 s of CPU. A leave-marking plan also brings
/// back the leavers bgy marked that the sheet names again.
struct SentLater {
    /// The history, for the other columns' values, until a row fills one.
    history: Option<Arc<History>>,
    statuses: Option<Reading<Sent>>,
    values: Option<Reading<Vec<(String, StaffRecord)>>>,
    /// The rows looked at for a value in those columns.
    seen: usize,
    read: Option<Sent>,
    /// Why it could not be read: the plan is then refused ([`SentLater::done`]).
    error: Option<anyhow::Error>,
}

/// What a thread of its own is reading from the history.
type Reading<T> = std::thread::JoinHandle<anyhow::Result<T>>;

impl SentLater {
    fn start(ctx: &Context, prune: PruneMode) -> anyhow::Result<SentLater> {
        let leave = prune == PruneMode::Leave;
        let mut later = SentLater {
            history: None,
            statuses: None,
            values: None,
            seen: 0,
            read: None,
            error: None,
        };
        if leave || ctx.has_history() {
            // Only a leave-marking plan needs the history: any other plans without it.
            let history = match ctx.history() {
                Ok(history) => history,
                Err(e) if !leave => {
                    ctx.events.warn(format!(
                        "历史记录无法读取,人事状态等通讯录列表读不到的列不做比较 (the history cannot be read, so 人事状态 and the other columns the directory's listing does not show are not compared): {e:#}"
                    ));
                    return Ok(later);
                }
                Err(e) => return Err(e),
            };
            later.history = Some(history.clone());
            later.statuses = Some(std::thread::spawn(move || {
                let (sent, marked) = (history.statuses()?, history.marked_left()?);
                let today = crate::model::today();
                Ok(Sent::new(sent, marked, leave, &today))
            }));
        }
        Ok(later)
    }

    /// Looks at the rows validated since the last call (before they are planned): the first
    /// that fills a column the listing does not show, other than 人事状态, starts reading what
    /// bgy sent of the `header`'s such columns.
    fn watch(&mut self, header: &Header, rows: &[Row]) {
        let unlisted = |f: Field| !crate::live::is_listed(f) && f != Field::Status;
        let fresh = rows.get(self.seen..).unwrap_or_default();
        self.seen = rows.len();
        let fills = |row: &Row| (row.values().iter()).any(|(f, v)| unlisted(f) && !v.is_empty());
        let Some(history) = self.history.take_if(|_| fresh.iter().any(fills)) else {
            return;
        };
        let fields: Vec<Field> = (header.columns.iter())
            .filter_map(|c| match c {
                Column::Field(f) if unlisted(*f) => Some(*f),
                _ => None,
            })
            .collect();
        self.values = Some(std::thread::spawn(move || history.sent_values(&fields)));
    }

    /// As read, to plan a row with (waiting for what is being read); nothing known when it
    /// could not be read.
    fn get(&mut self) -> &Sent {
        fn joined<T>(reading: Reading<T>) -> anyhow::Result<T> {
            (reading.join()).unwrap_or_else(|_| Err(anyhow::anyhow!("reading the history failed")))
        }
        if self.read.is_none() {
            let read = self.statuses.take().map_or(Ok(Sent::default()), joined);
            self.read = Some(read.unwrap_or_else(|e| {
                self.error = Some(e);
                Sent::default()
            }));
        }
        if let Some(values) = self.values.take() {
            match joined(values) {
                Ok(values) => {
                    let sent = self.read.take().unwrap_or_default();
                    self.read = Some(sent.with_values(values));
                }
                Err(e) => self.error = Some(e),
            }
        }
        self.read.get_or_insert_with(Sent::default)
    }

    /// What the rows were planned with, or why it could not be read.
    fn done(mut self) -> anyhow::Result<Sent> {
        self.get();
        match self.error {
            Some(e) => Err(e.context("cannot read what the history says bgy sent")),
            None => Ok(self.read.unwrap_or_default()),
        }
    }
}

/// `bgy.toml`'s `[prune]`, for a plan that prunes: read before the sheet, so that a bad key
/// stops the run before anything is read.
fn keep(prune: PruneMode) -> anyhow::Result<Keep> {
    Ok(match prune.any() {
        true => crate::config::Company::read(std::path::Path::new("."))?.keep()?,
        false => Keep::default(),
    })
}

/// Says how many of the people the sheet does not name `[prune]` kept, if any.
fn tell_kept(ctx: &Context, plan: &Plan) {
    if plan.kept > 0 {
        ctx.events.note(format!(
            "bgy: 表格里没有的人中,{n} 人按 bgy.toml [prune] 保留,不删除也不标记离职 ({n} of the people not in the sheet are kept by bgy.toml [prune]: neither deleted nor marked as leavers)",
            n = plan.kept
        ));
    }
}

/// Who a prune of `live` leaves alone (`keep`), once it is known that it may prune: a listing
/// that came back incomplete is refused.
fn prunable(prune: PruneMode, live: &Live, keep: &Keep) -> anyhow::Result<Kept> {
    refuse_incomplete(prune, live)?;
    Ok(keep.in_tree(&live.tree)?)
}

/// A prune of a listing that came back incomplete is refused: who is missing from the sheet is
/// not known.
fn refuse_incomplete(prune: PruneMode, live: &Live) -> anyhow::Result<()> {
    anyhow::ensure!(
        !prune.any() || live.complete,
        "员工列表不完整 (只收到 {got} / {count} 人),不做清理 (the staff listing came back incomplete ({got} of {count} people): refusing to prune)",
        got = live.staff.len(),
        count = live.count
    );
    Ok(())
}

/// The rows planned unchanged that fill a column `staff/list` does not return (人事状态, 直接上级,
/// 银行卡号 …): the plan cannot compare it, and the row is not sent, so the value stays in the
/// sheet. Told, so that nobody takes "unchanged" for "the directory holds it".
#[derive(Default)]
struct Unlisted {
    rows: Vec<usize>,
    fields: std::collections::BTreeSet<Field>,
}

impl Unlisted {
    /// Row `i`, planned to do `action`; a column the listing does not show is compared as bgy
    /// knows it sent it if `sent_compares` says so.
    fn note(
        &mut self,
        i: usize,
        row: &Row,
        action: Option<&Action>,
        sent_compares: impl Fn(&Row, Field) -> bool,
    ) {
        if action != Some(&Action::Unchanged) {
            return;
        }
        let compared = |f: Field| crate::live::is_listed(f) || sent_compares(row, f);
        let mut filled = row
            .values()
            .iter()
            .filter(|(f, v)| !compared(*f) && !v.is_empty())
            .map(|(f, _)| f)
            .peekable();
        if filled.peek().is_some() {
            self.fields.extend(filled);
            self.rows.push(i);
        }
    }

    /// The warning, counting the rows still unchanged once the checks across rows are done.
    fn tell(&self, ctx: &Context, actions: &[Option<Action>]) {
        let n = (self.rows.iter())
            .filter(|&&i| matches!(actions.get(i), Some(Some(Action::Unchanged))))
            .count();
        if n == 0 {
            return;
        }
        let zh: Vec<&str> = self.fields.iter().map(|f| f.label()).collect();
        let en: Vec<&str> = self.fields.iter().map(|f| f.key()).collect();
        ctx.events.advise(crate::remedy::Advice {
            text: format!(
                "{n} 行计划为不变,但填了通讯录列表读不到、bgy 也没有发送过的列 ({}):这些列无法比较,同步不会发送这些行;要发送它们,请以覆盖方式导入表格 ({n} unchanged {} columns the directory's listing does not show ({}) and bgy has not sent before: they cannot be compared, and a sync does not send such rows; to send them, import the sheet overwriting existing people)",
                zh.join("、"),
                if n == 1 { "row fills" } else { "rows fill" },
                en.join(", "),
            ),
            remedy: Some(crate::remedy::Remedy::Overwrite),
        });
    }
}

/// `input` with its bytes read, once: its departments sheet is read when the directory is
/// listed, its staff sheet as the run starts, both from these bytes, so that a workbook saved
/// again in between cannot give the run one version's departments and another's people.
fn read_once(input: &Input) -> anyhow::Result<Input> {
    let bytes = match &input.bytes {
        Some(held) if held.get().is_some() => held.clone(),
        _ => crate::input::Bytes::new(crate::read::read_file(&input.file)?.into()),
    };
    Ok(Input {
        bytes: Some(bytes),
        ..input.clone()
    })
}

/// The workbook's 部门 Departments sheet, when it has one (from the bytes of [`read_once`]),
/// what its reading said warned of, the sheet named (a remedy of a column would be the staff
/// sheet's). Read once the staff sheet's reader has them: the input's hold on them goes then
/// (the reader, and the run's copy after it, hold their own; cells come again from that copy).
fn departments_sheet(
    ctx: &Context,
    input: &Input,
) -> anyhow::Result<Option<Vec<plan::depts::DeptRow>>> {
    let bytes = input.held_bytes().context("the input was not read")?;
    if let Some(held) = &input.bytes {
        held.let_go();
    }
    let Some(sheet) = plan::depts::read(&bytes, &input.file)? else {
        return Ok(None);
    };
    let named = crate::model::DEPT_SHEET;
    for w in sheet.warnings {
        // In both languages' parts: the console shows one of them.
        ctx.events.warn(match crate::text::bilingual(&w.text) {
            Some((zh, en)) => format!("{named}: {zh} ({named}: {en})"),
            None => format!("{named}: {}", w.text),
        });
    }
    Ok(Some(sheet.rows))
}

/// A row's outcome as its report row is written while the sheet is read: a sync's as its
/// send succeeding would leave it, a plan's as planned.
fn streamed_outcome(command: Command, action: Option<&Action>) -> Outcome {
    match command {
        Command::Sync => sent_outcome(action),
        _ => planned_outcome(action),
    }
}

/// A row's outcome once planned: unchanged, or valid (to be sent).
fn planned_outcome(action: Option<&Action>) -> Outcome {
    match action {
        None => Outcome::Invalid,
        Some(Action::Unchanged) => Outcome::Unchanged,
        Some(_) => Outcome::Valid,
    }
}

/// A row's outcome once its send succeeds: created or updated (as planned for the others).
fn sent_outcome(action: Option<&Action>) -> Outcome {
    match action {
        Some(Action::Create) => Outcome::Created,
        Some(Action::Update(_)) => Outcome::Updated,
        planned => planned_outcome(planned),
    }
}

/// How many of the people a prune deletes or marks as leavers its summary names.
const LEAVING_NAMED: usize = 10;

/// What a plan says besides its rows: [`dept_extra`], how many people `[prune]` kept, and the
/// first of those it deletes or marks.
fn plan_extra(p: &Prepared, done: Option<(usize, usize)>) -> Extra {
    Extra {
        kept: (p.plan.kept > 0).then_some(p.plan.kept),
        leaving: p.plan.leaving(p.live, LEAVING_NAMED),
        ..dept_extra(p.depts.as_ref(), done)
    }
}

/// The departments sheet's invalid rows, and its creates and renames (planned, or `done`).
fn dept_extra(depts: Option<&DeptPlan>, done: Option<(usize, usize)>) -> Extra {
    let Some(d) = depts else {
        return Extra::default();
    };
    let c = d.counts();
    let (created, renamed) = done.unwrap_or((c.create, c.rename));
    Extra {
        invalid: c.invalid,
        departments_created: Some(created),
        departments_renamed: Some(renamed),
        ..Extra::default()
    }
}

pub async fn plan(ctx: &Context, input: &Input, reach: Reach) -> anyhow::Result<Summary> {
    let input = &read_once(input)?;
    let listed = OnceCell::new();
    let summary = plan_listed(ctx, input, reach, &listed).await;
    crate::os::drop_later(listed);
    summary
}

async fn plan_listed(
    ctx: &Context,
    input: &Input,
    reach: Reach,
    listed: &OnceCell<Live>,
) -> anyhow::Result<Summary> {
    let p = prepare(ctx, Command::Plan, input, reach, listed).await?;
    let counts = p.plan.counts();
    let extra = Extra {
        planned: Some(counts),
        ..plan_extra(&p, None)
    };
    let lines = Lines::of(&p.dept_lines, &p.plan, p.live);
    let summary = p.session.finish(Some(&lines), extra)?;
    // A plan counts what it would do, not what it did.
    Ok(Summary {
        counts: Counts {
            created: counts.create,
            updated: counts.update,
            unchanged: counts.unchanged,
            deleted: counts.delete,
            left: counts.leave,
            ..summary.counts
        },
        ..summary
    })
}

pub async fn sync(
    ctx: &Context,
    input: &Input,
    reach: Reach,
    destructive: Destructive,
) -> anyhow::Result<Summary> {
    sync_gated(ctx, input, reach, destructive, None).await
}

/// An unattended sync's limits: past them it sends nothing and waits for a person.
#[derive(Debug, Clone)]
pub struct Gate {
    pub max_changes: Threshold,
    pub on_invalid: OnInvalid,
    /// An approval of a paused run: the plan it paused with, the only plan it may send.
    pub approving: Option<Approving>,
}

/// What a paused run keeps of how it planned, for its approval to plan the same way.
fn pause_options(reach: Reach, on_invalid: OnInvalid) -> serde_json::Value {
    serde_json::json!({
        "prune": reach.prune,
        "create_departments": reach.create_departments,
        "on_invalid": on_invalid,
    })
}

/// How a paused run planned ([`pause_options`]; a run paused before bgy made departments
/// has no `create_departments`: it made none).
pub fn paused_options(options: &serde_json::Value) -> (Reach, OnInvalid) {
    let reach = Reach {
        prune: serde_json::from_value(options["prune"].clone()).unwrap_or_default(),
        create_departments: options["create_departments"].as_bool().unwrap_or(false),
    };
    let on_invalid = serde_json::from_value(options["on_invalid"].clone()).unwrap_or_default();
    (reach, on_invalid)
}

/// The paused run a person approves, and the plan it paused with.
#[derive(Debug, Clone)]
pub struct Approving {
    pub run: i64,
    /// The plan's fingerprint ([`plan_hash`]).
    pub hash: String,
    /// Its first lines, to say what changed since.
    pub lines: Vec<PlanLine>,
}

/// Why an unattended run should wait for a person, if it should.
fn pause_reason(p: &Prepared, gate: &Gate) -> Option<String> {
    let directory = p.live.staff.len();
    let counts = p.plan.counts();
    // A sheet that has lost most of the directory (an empty or cut-off export): never pruned
    // on its own.
    let named = p
        .session
        .table
        .rows
        .iter()
        // A row let go was planned unchanged: its account is in the directory.
        .filter(|r| r.values_gone || p.live.person(r.account()).is_some())
        .count();
    if (counts.leave + counts.delete) > 0 && named * 2 < directory {
        return Some(format!(
            "表格只有通讯录 {directory} 人中的 {named} 人,像是不完整的导出;未做任何改动 (the sheet names only {named} of the {directory} people in the directory, like an empty or cut-off export; nothing was changed)"
        ));
    }
    let limit = gate.max_changes.limit(directory);
    if counts.changes() > limit {
        return Some(format!(
            "改动 {} 处,超过 max_changes {} (上限 {limit}) (the run would make {} changes, past max_changes {}: at most {limit})",
            counts.changes(),
            gate.max_changes.describe(),
            counts.changes(),
            gate.max_changes.describe()
        ));
    }
    let marking = safety::guard(counts.leave, directory).map(|mut g| {
        g.what = crate::remedy::Removal::MarkLeft;
        g
    });
    safety::guard(counts.delete, directory)
        .or(marking)
        .map(|g| g.to_string())
}

/// The plan's fingerprint: the same lines give the same hash (that of their text joined, as
/// an earlier bgy hashed it: a run it paused is approved by this one).
pub fn plan_hash(lines: impl IntoIterator<Item = PlanLine>) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for l in lines {
        for part in [&l.action, &l.target, &l.field, &l.old, &l.new] {
            hasher.update(part.as_bytes());
            hasher.update("\u{1f}".as_bytes());
        }
        hasher.update(b"\n");
    }
    crate::history::hex(&hasher.finalize())
}

/// [`sync`], or with a `gate` the unattended one: a sheet with invalid rows sends nothing
/// (unless `send-valid`), a run past the limits is paused (recorded as `pending` with its
/// plan), an approval sends only the plan it approved.
pub async fn sync_gated(
    ctx: &Context,
    input: &Input,
    reach: Reach,
    destructive: Destructive,
    gate: Option<&Gate>,
) -> anyhow::Result<Summary> {
    let input = &read_once(input)?;
    let listed = OnceCell::new();
    let summary = sync_listed(ctx, input, reach, destructive, gate, &listed).await;
    crate::os::drop_later(listed);
    summary
}

async fn sync_listed(
    ctx: &Context,
    input: &Input,
    reach: Reach,
    destructive: Destructive,
    gate: Option<&Gate>,
    listed: &OnceCell<Live>,
) -> anyhow::Result<Summary> {
    let p = prepare(ctx, Command::Sync, input, reach, listed).await?;
    let mut destructive = destructive;
    if let Some(gate) = gate {
        if let Some(held) = hold(&p, gate) {
            return held.finish(ctx, p, input, reach, gate);
        }
        // Approved by a person, or within the limits the person set in bgy.toml.
        destructive = Destructive {
            yes: true,
            force: gate.approving.is_some(),
        };
    }
    send(ctx, p, input, destructive).await
}

/// The plan lines a paused run keeps for its page.
const PENDING_LINES: usize = 500;

/// Why a gated run sends nothing, when it does not.
enum Held {
    Invalid,
    Paused(String),
    /// The approved run, and how today's plan differs from the one it paused with.
    Changed(PlanChanged),
}

/// An approval whose plan is not the one the run paused with: nothing was sent, and the run
/// still waits. The lines one plan has and the other has not, a few of each.
#[derive(Debug, thiserror::Error)]
#[error("计划已变:运行 {run} 暂停后通讯录有了变化;什么也没有发送,运行 {run} 仍在等待 (the plan changed since run {run} was paused; nothing was sent and run {run} still waits: bgy reject {run}, or approve it again once the plan is what you want){}", self.difference())]
pub struct PlanChanged {
    pub run: i64,
    /// Lines today's plan has and the paused one had not.
    pub new: Vec<PlanLine>,
    /// Lines the paused plan had and today's has not.
    pub gone: Vec<PlanLine>,
}

impl PlanChanged {
    fn of(run: i64, was: &[PlanLine], now: &[PlanLine]) -> PlanChanged {
        let only = |a: &[PlanLine], b: &[PlanLine]| -> Vec<PlanLine> {
            a.iter()
                .filter(|l| !b.contains(l))
                .take(10)
                .cloned()
                .collect()
        };
        PlanChanged {
            run,
            new: only(now, was),
            gone: only(was, now),
        }
    }

    /// The lines that differ, as the terminal says them.
    fn difference(&self) -> String {
        let shown = |l: &PlanLine| {
            let mut text = format!("{} {}", l.action, l.target);
            if !l.field.is_empty() {
                text.push_str(&format!(" {}: {} → {}", l.field, l.old, l.new));
            }
            text
        };
        let mut out = String::new();
        for (words, lines) in [
            ("now also 现在多了", &self.new),
            ("no longer 不再", &self.gone),
        ] {
            if !lines.is_empty() {
                let lines: Vec<String> = lines.iter().map(shown).collect();
                out.push_str(&format!("\n  {words}: {}", lines.join("; ")));
            }
        }
        out
    }
}

fn hold(p: &Prepared, gate: &Gate) -> Option<Held> {
    let invalid = p
        .session
        .table
        .rows
        .iter()
        .filter(|r| !r.is_valid())
        .count();
    if let Some(a) = &gate.approving {
        let view = p.lines();
        let lines = || view.each(&p.session.table);
        return (plan_hash(lines()) != a.hash).then(|| {
            let now: Vec<PlanLine> = lines().collect();
            Held::Changed(PlanChanged::of(a.run, &a.lines, &now))
        });
    }
    if invalid > 0 && gate.on_invalid == OnInvalid::Skip {
        return Some(Held::Invalid);
    }
    pause_reason(p, gate).map(Held::Paused)
}

impl Held {
    fn finish(
        self,
        ctx: &Context,
        mut p: Prepared,
        input: &Input,
        reach: Reach,
        gate: &Gate,
    ) -> anyhow::Result<Summary> {
        let counts = p.plan.counts();
        // The hash and the first lines in one pass, before the session finishes (it holds the
        // rows the lines are made from).
        let mut first: Vec<PlanLine> = Vec::new();
        let hash = plan_hash(p.lines().each(&p.session.table).inspect(|l| {
            if first.len() < PENDING_LINES {
                first.push(l.clone());
            }
        }));
        let sha = p.session.hash_input();
        let extra = Extra {
            planned: Some(counts),
            ..plan_extra(&p, None)
        };
        let lines = Lines::of(&p.dept_lines, &p.plan, p.live);
        let mut summary = p.session.finish(Some(&lines), extra)?;
        let history = ctx.history()?;
        let name = input
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let planned = serde_json::to_value(counts).unwrap_or_default();
        let run = Settled {
            command: "sync",
            input: &input.file,
            sha256: &sha,
            name: &name,
            server: &ctx.server,
            who: &ctx.who,
            status: RunStatus::Running,
            counts: &planned,
            report: summary.report.as_deref(),
        };
        if let Detail::Sheet(d) = &mut summary.detail {
            d.planned = Some(counts);
        }
        match self {
            Held::Invalid => {
                let id = history.settled(&Settled {
                    status: RunStatus::RowsFailed,
                    ..run
                })?;
                ctx.events.warn(format!(
                    "表格有 {n} 行无效,按 on_invalid = \"skip\"(默认)什么也没有发送,报告列出了这些行;设 on_invalid = \"send-valid\" 则发送有效的行 (the sheet has {n} invalid {rows}: with on_invalid = \"skip\", the default, nothing was sent, and the report names them; on_invalid = \"send-valid\" sends the valid rows)",
                    n = summary.counts.invalid,
                    rows = if summary.counts.invalid == 1 { "row" } else { "rows" },
                ));
                summary.history_run = Some(id);
                summary.status = Status::RowsFailed;
            }
            Held::Paused(why) => {
                let options = pause_options(reach, gate.on_invalid);
                // What a person reads before deciding (the whole plan is in the report).
                let lines = serde_json::to_value(&first).unwrap_or_default();
                let id = history.pause(
                    &Settled {
                        status: RunStatus::Pending,
                        ..run
                    },
                    &options,
                    (&hash, &lines),
                    &why,
                )?;
                ctx.events.warn(format!(
                    "运行 {id} 等待确认:{why};批准 bgy approve {id},拒绝 bgy reject {id} (run {id} waits for approval; nothing was sent)"
                ));
                summary.history_run = Some(id);
                if let Detail::Sheet(d) = &mut summary.detail {
                    d.paused = Some(why);
                }
                summary.status = Status::Paused;
            }
            Held::Changed(changed) => return Err(changed.into()),
        }
        Ok(summary)
    }
}

async fn send(
    ctx: &Context,
    mut p: Prepared<'_>,
    input: &Input,
    destructive: Destructive,
) -> anyhow::Result<Summary> {
    let client = ctx.client()?;
    let prunes = p.plan.prune.clone();
    let leavers = p.plan.leave.clone();
    let started = p.session.started;
    safety::before_removing(
        ctx,
        "sync",
        p.live,
        &prunes,
        destructive,
        &input.file,
        started,
    )
    .await?;
    safety::before_marking(ctx, "sync", p.live, &leavers, destructive).await?;
    p.session.start_journal()?;
    remember_changed(&mut p);
    // Departments first, so staff can be placed in departments made in this run.
    let applied = match &p.depts {
        Some(d) => {
            let history = p.session.recorder();
            Some(depts::apply_departments(client, d, ctx.events.as_ref(), history).await?)
        }
        None => None,
    };
    let jobs = add_jobs(&mut p, applied.as_ref().map(|a| &a.tree));
    ctx.events.phase(
        phases::SYNCING,
        (jobs.len() + prunes.len() + leavers.len()) as u64,
    );
    let s = &mut p.session;
    s.send_staff(client, jobs).await;
    // A value of the directory, read in 办公逸's Chinese pages: the file by its name, in
    // Chinese alone.
    let name = input.name();
    let file = name.rsplit(['/', '\\']).next().unwrap_or(&name);
    let why = format!("不在 {file} 中(bgy 同步)");
    let today = crate::model::today();
    let leave_jobs = leavers
        .iter()
        .enumerate()
        .map(|(i, a)| AddJob::leaver(i, None, a, &today, &why))
        .collect();
    let left = execute::add_staff(client, leave_jobs, &s.sink()).await;
    let targets = prunes.iter().map(|a| (None, a.as_str())).collect();
    let pruned = delete_all(client, targets, &s.sink()).await;
    let mut lines = Lines::of(&p.dept_lines, &p.plan, p.live);
    if let Some(a) = &applied {
        lines.after.extend(a.failures.iter().cloned());
    }
    let mut extra = plan_extra(&p, applied.as_ref().map(|a| (a.created, a.renamed)));
    let left = left.into_iter().map(|(i, o)| (leavers[i].clone(), o));
    tally_besides(
        &mut extra,
        &mut lines.after,
        pruned,
        "删除失败 (delete failed)",
    );
    let failed = "标记离职失败 (marking as leaver failed)";
    tally_besides(&mut extra, &mut lines.after, left, failed);
    if extra.deleted + extra.left > 0 {
        ctx.events.note(format!(
            "bgy sync: of the accounts not in the sheet, {} deleted, {} marked as leavers",
            extra.deleted, extra.left
        ));
    }
    p.session.finish(Some(&lines), extra)
}

/// Keeps the records before of the people the sync changes, only: an unchanged row is never
/// recorded, and keeping 100,000 of them cost a sync its plan's time and memory again.
fn remember_changed(p: &mut Prepared) {
    let actions = &p.plan.actions;
    let updated = |i: usize| matches!(actions.get(i), Some(Some(Action::Update(_))));
    let besides = p.plan.prune.iter().chain(&p.plan.leave);
    p.session
        .remember_rows(p.live, updated, besides.map(String::as_str));
}

/// Counts the accounts the sheet does not name (deleted, marked as leavers, or failed: a plan
/// line each, `action` and why).
fn tally_besides<A: Into<String>>(
    extra: &mut Extra,
    lines: &mut Vec<PlanLine>,
    outcomes: impl IntoIterator<Item = (A, Outcome)>,
    action: &str,
) {
    for (account, outcome) in outcomes {
        match outcome {
            Outcome::Deleted => {
                extra.deleted += 1;
                continue;
            }
            Outcome::Left => {
                extra.left += 1;
                continue;
            }
            _ => {}
        }
        extra.failed += 1;
        lines.push(PlanLine {
            action: action.into(),
            target: account.into(),
            field: String::new(),
            old: String::new(),
            new: crate::outcome::why(&outcome).unwrap_or_default(),
        });
    }
}

/// `staff/add` for each create (cover=0) and update (cover=1); departments resolved in the
/// `real` tree when the sync changed it, else the rows' values moved into the jobs.
fn add_jobs(p: &mut Prepared, real: Option<&crate::model::tree::DeptTree>) -> Vec<AddJob> {
    let sent = |a: &Option<Action>| matches!(a, Some(Action::Create | Action::Update(_)));
    // Sized first: grown a job at a time, 100,000 jobs' vector took twice their room.
    let mut jobs = Vec::with_capacity(p.plan.actions.iter().filter(|a| sent(a)).count());
    let made = p
        .session
        .table
        .rows
        .iter_mut()
        .zip(&p.plan.actions)
        .enumerate()
        .filter_map(|(index, (row, action))| {
            let existed = match action {
                Some(Action::Create) => false,
                Some(Action::Update(_)) => true,
                _ => return None,
            };
            Some(match real {
                Some(real) => {
                    let form = depts::resolved(row.values(), &p.live.tree, real);
                    AddJob::to_match(index, row, form, existed)
                }
                None => AddJob::taking(index, row, existed),
            })
        });
    jobs.extend(made);
    jobs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plans_hash_is_its_lines_text_hashed_as_before() {
        let line = |target: &str, new: &str| PlanLine {
            action: "更新 (update)".into(),
            target: target.into(),
            field: "职位 we_position".into(),
            old: String::new(),
            new: new.into(),
        };
        let lines = vec![line("a1 (甲)", "岗"), line("a2 (乙)", "")];
        // The text a paused run's hash was taken of, before the lines were made as read.
        let mut text = String::new();
        for l in &lines {
            for part in [&l.action, &l.target, &l.field, &l.old, &l.new] {
                text.push_str(part);
                text.push('\u{1f}');
            }
            text.push('\n');
        }
        assert_eq!(
            plan_hash(lines.clone()),
            crate::history::sha256(text.as_bytes())
        );
        let moved = vec![line("a1 (甲)", ""), line("a2 (乙)", "岗")];
        assert_ne!(plan_hash(lines), plan_hash(moved));
    }
}
