//! `bgy undo RUN`: the inverse of a run, from its history, shown like a plan and then applied
//! as a run of its own (its report, journal and history), so undoing an undo redoes.
//!
//! created → deleted (the guard, the confirmation and the backup, as `bgy delete`);
//! updated → the old values sent back (cover=1), only where the live record still holds what
//! the run set (otherwise a conflict, left alone unless `--force`); deleted → re-created with
//! every field bgy knew; dates → the old dates. A run that was killed also made the people
//! whose create it sent and never heard back from: its journal names them, and those the
//! listing has (and no later run changed) are deleted too. So are taken back the calls any run
//! sent and never heard back from (a kill, tries that ran out on lost answers: creates,
//! updates, leaves, deletes, dates), which the history wrote down before they went: those the
//! directory shows took effect. A department renamed goes back to its old name; one created
//! stays, as the API cannot delete one (the undo says so).

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config::{Destructive, Input};
use crate::context::Context;
use crate::events::{phases, Emit, Event, PlanShown};
use crate::execute::delete::delete_all;
use crate::execute::session::{Extra, Session};
use crate::execute::times::dates_of;
use crate::execute::{self, AddJob};
use crate::history::{ChangeKind, ChangeText, History, RunStatus};
use crate::journal::{self, Call};
use crate::live::{Live, LISTED};
use crate::model::tree::{DeptTree, Placement};
use crate::model::StaffRecord;
use crate::model::{AccountKey, Command, Field, Layout, Outcome};
use crate::outcome::{DeptCounts, PlanLine, PlanLines, StaffCounts, Summary};
use crate::safety;
use crate::validate::{rule, Table};

/// What undoing one account's changes does.
enum Inverse {
    /// Send these old values (cover=1).
    Restore(StaffRecord),
    /// Re-create with every field bgy knew (cover=0).
    Recreate(StaffRecord),
    /// The run created the account: delete it.
    Delete,
    /// The live record no longer holds what the run set: the record, and what changed.
    Conflict(Box<(StaffRecord, Changed)>),
    /// The run renamed a department: give it its old name (we_id, old name, the run's name).
    RenameBack(Box<(i64, String, String)>),
    /// The department was renamed since: left alone unless `--force`.
    DeptConflict(String),
    /// Nothing to do, and why.
    Nothing(String),
    /// Nothing to do for a department, and why: counted apart from the people.
    DeptStays(String),
}

// The rare kinds boxed: an undo's plan holds one of these an account (100,000 of them took
// 8.8 MB with their accounts at 88 bytes each, now 64).
const _: () = assert!(std::mem::size_of::<Inverse>() <= 40);

/// Renames the departments back; what failed (and department conflicts) counted.
async fn departments_back(
    ctx: &Context,
    client: &crate::api::Client,
    s: &Session<'_>,
    plan: &[(String, Inverse)],
) -> Extra {
    let mut extra = Extra::default();
    for (_, inverse) in plan {
        if let Inverse::DeptConflict(_) = inverse {
            extra.failed += 1;
        }
        if let Inverse::RenameBack(back) = inverse {
            let (we_id, old, set) = &**back;
            let written = s.recorder().map(crate::execute::session::Recorder::written);
            match crate::execute::depts::rename(client, written, *we_id, set, old).await {
                Ok(recorded) => {
                    if let Err(e) = recorded {
                        (ctx.events).warn(crate::execute::depts::unrecorded_rename(&e));
                    }
                }
                Err(e) => {
                    extra.failed += 1;
                    ctx.events
                        .warn(format!("部门 {we_id} 没能改回原名 (we_id {we_id} could not be renamed back: {e:#})"));
                }
            }
        }
    }
    extra
}

/// The values of a record before, as the history keeps it: `{"field": {"value": …}}`.
fn before_values(json: &str) -> StaffRecord {
    fields_of(json, |v| v.get("value"))
}

/// The values a run sent, as the history keeps them: `{"field": "value"}`.
fn sent_values(json: &str) -> StaffRecord {
    fields_of(json, |v| Some(v))
}

/// The fields of a JSON object of `json`, each value found by `value` in the field's entry
/// (text as it is, a number or a truth as written; anything else, and keys that are not
/// fields, such as `cover`, left out).
fn fields_of(json: &str, value: fn(&Value) -> Option<&Value>) -> StaffRecord {
    let mut record = StaffRecord::new();
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(json) else {
        return record;
    };
    for (key, entry) in &map {
        let Some(f) = Field::from_key(key) else {
            continue;
        };
        match value(entry) {
            Some(Value::String(text)) => record.put(f, text),
            Some(v @ (Value::Number(_) | Value::Bool(_))) => record.put(f, &v.to_string()),
            _ => {}
        }
    }
    record.shrink_to_fit();
    record
}

/// An error unless the history knows run `run` and it changed something bgy can undo, or may
/// have: the creates it was sending when it was cut off ([`cut_off_creates`]) and the calls it
/// never heard back from ([`unanswered`]), which it returns.
fn known_run(ctx: &Context, run: i64) -> anyhow::Result<(Vec<AccountKey>, Vec<ChangeText>)> {
    let history = ctx.history()?;
    anyhow::ensure!(
        history.knows(run),
        "历史中没有运行 {run},无法撤销 (run {run} is not in the history{}; bgy history lists the runs it knows)",
        if history.was_emptied() {
            ", which was an empty file when opened: the runs recorded before are lost"
        } else {
            ""
        }
    );
    let changes = history.run(run)?.map_or(0, |r| r.changes);
    let (cut_off, unanswered) = (
        cut_off_creates(ctx, &history, run),
        unanswered(ctx, &history, run),
    );
    anyhow::ensure!(
        changes > 0 || !cut_off.is_empty() || !unanswered.is_empty(),
        "运行 {run} 没有 bgy 能撤销的改动 (run {run} changed nothing that bgy can undo (bgy history lists the runs))"
    );
    Ok((cut_off, unanswered))
}

/// Each account's inverse of what run `run` changed, accounts in byte order (see
/// [`each_account`]).
fn inverse(
    history: &History,
    run: i64,
    live: &Live,
    force: bool,
) -> anyhow::Result<(Vec<(String, Inverse)>, Kept)> {
    let (mut plan, mut kept) = (Vec::new(), Kept::new());
    each_account(history, run, |account, first, before, sent| {
        let inverse = invert(&account, first, &before, &sent, live, force);
        note_kept(&mut kept, &account, &inverse, (first, &before, &sent));
        plan.push((account, inverse));
    })?;
    Ok((plan, kept))
}

/// The fields each restore cannot take back (a bit each, by [`Field`] order), by account: only
/// the accounts that have some.
type Kept = HashMap<String, u64>;

/// Notes in `kept` what the restore of `account` (as the plan names it) cannot take back of
/// its change: its first kind, the record before and what was sent.
fn note_kept(
    kept: &mut Kept,
    account: &str,
    inverse: &Inverse,
    (first, before, sent): (ChangeKind, &StaffRecord, &StaffRecord),
) {
    if let Inverse::Restore(_) | Inverse::Conflict(_) = inverse {
        let fields = cannot_go_back(first, before, sent);
        if fields != 0 {
            kept.insert(account.to_string(), fields);
        }
    }
}

/// What the run `sent` that a restore leaves as the run set it: the fields that were empty
/// `before` (the API cannot empty a field), or that bgy did not know (a column the listing
/// does not show, never sent before). A leave's 人事状态 and 离职时间 are taken back by
/// [`reinstate`]. An undo said nothing of these, and HR found the run's 职级 still there.
fn cannot_go_back(first: ChangeKind, before: &StaffRecord, sent: &StaffRecord) -> u64 {
    let reinstated =
        |f: Field| first == ChangeKind::Left && matches!(f, Field::Status | Field::QuiteTime);
    sent.iter()
        .filter(|&(f, x)| {
            !x.is_empty()
                && !matches!(f, Field::WeUserid | Field::WeDepartment | Field::WeId)
                && !reinstated(f)
                && before.get(f).is_none_or(str::is_empty)
        })
        .fold(0, |bits, (f, _)| bits | 1 << f as u64)
}

/// Each account run `run` changed, in byte order, to `f` with the kind of its first change,
/// the record before it and the last values sent. The history hands over one account's
/// changes after another: only one account's are held at a time (an undo of 100,000 updates
/// held every record before and every form sent, ~45 MB, beside the directory).
fn each_account(
    history: &History,
    run: i64,
    mut f: impl FnMut(String, ChangeKind, StaffRecord, StaffRecord),
) -> anyhow::Result<()> {
    // The account whose changes are being read: its first kind and record before, and the
    // last values sent, as text until its last change is read.
    let mut current: Option<(String, ChangeKind, StaffRecord, String)> = None;
    let mut done = |(account, first, before, sent): (String, ChangeKind, StaffRecord, String)| {
        f(account, first, before, sent_values(&sent));
    };
    history.each_change_text(run, |c| {
        match &mut current {
            Some((account, _, _, sent)) if *account == c.account => *sent = c.sent,
            _ => {
                let next = (c.account, c.kind, before_values(&c.before), c.sent);
                if let Some(ended) = current.replace(next) {
                    done(ended);
                }
            }
        }
        Ok(())
    })?;
    if let Some(ended) = current {
        done(ended);
    }
    Ok(())
}

/// The accounts run `run` sent a create for and never heard back from, because it was killed
/// (its journal says so): the server may have made them, and the history could not say.
fn cut_off_creates(ctx: &Context, history: &History, run: i64) -> Vec<AccountKey> {
    let interrupted = history.run(run).ok().flatten();
    let Some(r) = interrupted.filter(|r| r.status == RunStatus::Interrupted) else {
        return Vec::new();
    };
    let Some(path) = history.journal_of(run) else {
        return Vec::new();
    };
    match journal::successes(&path, &r.command) {
        Ok(done) => (done.cut_off.into_iter())
            .filter(|(_, call)| *call == Call::Create)
            .map(|(account, _)| account)
            .collect(),
        Err(e) => {
            ctx.events.warn(format!(
                "运行 {run} 被中断,但它的日志读不到:被中断时正在创建的人无法撤销 (run {run} was cut off, and its journal cannot be read: the people it was creating when it was cut off cannot be undone): {e:#}"
            ));
            Vec::new()
        }
    }
}

/// Adds to `plan` the deletes of the `cut_off` creates the server made (listed now), unless
/// the run changed them after all or a later run did; how many, and the accounts a later run
/// changed (a resume took them over: its undo removes them).
fn delete_cut_off(
    plan: &mut Vec<(String, Inverse)>,
    cut_off: &[AccountKey],
    history: &History,
    run: i64,
    live: &Live,
) -> (usize, Vec<AccountKey>) {
    let planned: HashSet<AccountKey> = plan.iter().map(|(a, _)| AccountKey::new(a)).collect();
    let (before, mut later) = (plan.len(), Vec::new());
    for key in cut_off {
        let account: &str = key.borrow();
        let Some(person) = live.person(account) else {
            continue;
        };
        if planned.contains(key) {
            continue;
        }
        if history.changed_after(run, account) {
            later.push(key.clone());
        } else {
            plan.push((person.account().to_string(), Inverse::Delete));
        }
    }
    plan.sort_by(|a, b| a.0.cmp(&b.0));
    (plan.len() - before, later)
}

/// The calls of run `run` that were never answered (a kill, or tries that ran out on lost
/// answers): what each was to change, which the history wrote down before it went.
fn unanswered(ctx: &Context, history: &History, run: i64) -> Vec<ChangeText> {
    let mut all = Vec::new();
    if let Err(e) = history.each_unanswered(run, |c| {
        all.push(c);
        Ok(())
    }) {
        ctx.events.warn(format!(
            "运行 {run} 没有收到回答的调用读不到,无法撤销 (the calls of run {run} that were never answered cannot be read, and are not undone): {e:#}"
        ));
    }
    all
}

/// Adds to `plan` the inverse of each `unanswered` call the directory shows was applied (the
/// person holds what it sent; exists, when it was a create; is gone, a delete), unless the
/// run changed the account after all or a later run did; how many, how many were not, and the
/// accounts a later run changed.
fn take_back_unanswered(
    (plan, kept): (&mut Vec<(String, Inverse)>, &mut Kept),
    unanswered: &[ChangeText],
    history: &History,
    run: i64,
    live: &Live,
) -> (usize, usize, Vec<AccountKey>) {
    let mut planned: HashSet<AccountKey> = plan.iter().map(|(a, _)| AccountKey::new(a)).collect();
    let (mut applied, mut not_applied, mut later) = (0, 0, Vec::new());
    for call in unanswered {
        let account = call.account.as_str();
        if planned.contains(&*AccountKey::text(account)) {
            continue;
        }
        if history.changed_after(run, account) {
            later.push(AccountKey::new(account));
            continue;
        }
        let (before, sent) = (before_values(&call.before), sent_values(&call.sent));
        let landed = match (call.kind, live.person(account)) {
            (ChangeKind::DeptRenamed, _) => named_as_sent(&sent, live).unwrap_or(false),
            (ChangeKind::Created, found) => found.is_some(),
            (ChangeKind::Deleted, found) => found.is_none(),
            (_, Some(p)) => changed_since(p, &sent, &live.tree).is_none(),
            (_, None) => false,
        };
        if !landed {
            not_applied += 1;
            continue;
        }
        let inverse = invert(account, call.kind, &before, &sent, live, false);
        planned.insert(AccountKey::new(account));
        // As the directory spells it: the plan's lines, and what it cannot take back, by it.
        let named = live.person(account).map_or(account, |p| p.account());
        note_kept(kept, named, &inverse, (call.kind, &before, &sent));
        plan.push((named.to_string(), inverse));
        applied += 1;
    }
    plan.sort_by(|a, b| a.0.cmp(&b.0));
    (applied, not_applied, later)
}

/// [`inverse`] of run `run`, with the deletes of the people its `cut_off` creates made, and
/// the inverse of its `unanswered` calls that were applied.
fn undo_plan(
    ctx: &Context,
    run: i64,
    (cut_off, unanswered): (&[AccountKey], &[ChangeText]),
    live: &Live,
    force: bool,
) -> anyhow::Result<(Vec<(String, Inverse)>, Kept)> {
    let history = ctx.history()?;
    let (mut plan, mut kept) = inverse(&history, run, live, force)?;
    let (found, later_creates) = delete_cut_off(&mut plan, cut_off, &history, run, live);
    if found > 0 {
        ctx.events.warn(format!(
            "运行 {run} 被中断时正在创建的 {found} 个帐号已在服务器上,一并删除 ({found} account(s) that run {run} was creating when it was cut off are on the server: deleted with the rest)"
        ));
    }
    let (applied, not_applied, later_calls) =
        take_back_unanswered((&mut plan, &mut kept), unanswered, &history, run, live);
    if applied + not_applied > 0 {
        ctx.events.warn(format!(
            "运行 {run} 有 {} 个调用在途中 (已发出或正要发出) 没有收到回答:{applied} 个已生效,一并撤销;{not_applied} 个没有生效 (run {run} had {} call(s) under way, sent or about to be, that were never answered: {applied} took effect and are undone with the rest, {not_applied} did not)",
            applied + not_applied,
            applied + not_applied,
        ));
    }
    // A create cut off is an unanswered call too: each account once.
    let later: HashSet<AccountKey> = later_creates.into_iter().chain(later_calls).collect();
    let later = later.len();
    if later > 0 {
        ctx.events.warn(format!(
            "运行 {run} 没有收到回答的 {later} 个帐号后来又被别的运行改过 (比如续跑),留给那次运行的撤销 ({later} account(s) whose call run {run} never heard back about were changed by a later run since, a resume perhaps: left to that run's undo)"
        ));
    }
    Ok((plan, kept))
}

pub async fn run(
    ctx: &Context,
    run: i64,
    dry_run: bool,
    destructive: Destructive,
    report: Option<PathBuf>,
) -> anyhow::Result<Summary> {
    let (cut_off, unanswered) = known_run(ctx, run)?;
    let client = ctx.client()?;
    let live = Live::fetch(client, ctx.events.as_ref()).await?;
    let (mut plan, kept) = undo_plan(ctx, run, (&cut_off, &unanswered), &live, destructive.force)?;
    // Made before the rows are written, which takes the plan's records.
    let (restored, (counts, departments)) = (restored(&plan, &live, &kept), planned_counts(&plan));
    // Beside its report when it has one (the web console's run folder), so the backup is too.
    let folder = report
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf);
    let (mut input, table) = write_input(ctx, run, &mut plan, folder)?;
    input.report = report;
    let mut s = Session::of_table(ctx, Command::Undo, &input, table, !dry_run)?;
    let lines = UndoLines {
        plan: &plan,
        restored,
        live: &live,
    };
    show(ctx, &lines, (counts, departments), run);
    let deletes: Vec<String> = plan
        .iter()
        .filter(|(_, i)| matches!(i, Inverse::Delete))
        .map(|(a, _)| a.clone())
        .collect();
    mark(&mut s, &plan);
    if dry_run {
        // Before anyone confirms: what a backup of the people it would delete cannot restore.
        if !deletes.is_empty() {
            safety::Backup::collect(ctx, &live, &deletes)?.warn(ctx);
        }
        ctx.events.note("dry run: nothing was sent");
        let planned = Extra {
            planned: Some(counts),
            ..Extra::default()
        };
        return s.finish(Some(&lines), planned);
    }
    safety::before_removing(
        ctx,
        "undo",
        &live,
        &deletes,
        destructive,
        &input.file,
        s.started,
    )
    .await?;
    s.start_journal()?;
    s.remember(&live, plan.iter().map(|(a, _)| a.as_str()));
    let jobs = jobs(&mut s, &plan);
    ctx.events
        .phase(phases::UNDOING, (jobs.len() + deletes.len()) as u64);
    // A dates run changed nothing but dates: they go back the way they came, 50 a call.
    let dates_only = ctx
        .history()?
        .run(run)?
        .is_some_and(|r| r.command == "times");
    if dates_only {
        let items = jobs
            .into_iter()
            .map(|j| (j.index, j.row.unwrap_or_default(), dates_of(&j.form)))
            .collect();
        for (i, outcome) in execute::times::send_all(client, items, &s.sink()).await {
            s.outcomes[i] = outcome;
        }
    } else {
        s.send_staff(client, jobs).await;
    }
    let targets = deletes.iter().map(|a| (None, a.as_str())).collect();
    let mut extra = departments_back(ctx, client, &s, &plan).await;
    for (_, outcome) in delete_all(client, targets, &s.sink()).await {
        match outcome {
            Outcome::Deleted => extra.deleted += 1,
            _ => extra.failed += 1,
        }
    }
    s.finish(Some(&lines), extra)
}

/// An account's inverse, from its first change's kind and record `before` and the last
/// values `sent`.
fn invert(
    account: &str,
    first: ChangeKind,
    before: &StaffRecord,
    sent: &StaffRecord,
    live: &Live,
    force: bool,
) -> Inverse {
    if let Some(inverse) = department(first, before, sent, live, force) {
        return inverse;
    }
    match (first, live.person(account)) {
        (ChangeKind::Created, Some(_)) => Inverse::Delete,
        (ChangeKind::Created, None) => Inverse::Nothing("已不存在 (gone already)".into()),
        (ChangeKind::Deleted, None) => Inverse::Recreate(values_of(account, before, |_| true)),
        (ChangeKind::Deleted, Some(_)) => Inverse::Nothing("已重新存在 (exists again)".into()),
        (_, None) => Inverse::Nothing("已被删除 (deleted since)".into()),
        (_, Some(p)) => {
            // The record as it is now, with the old values of what the run set.
            let mut old = p.clone();
            let set = |f: Field| sent.get(f).is_some();
            if set(Field::WeDepartment) || set(Field::WeId) {
                old.set(Field::WeDepartment, None);
            }
            for (f, x) in values_of(account, before, set).iter() {
                old.put(f, x);
            }
            if first == ChangeKind::Left {
                reinstate(&mut old, before);
            }
            old.shrink_to_fit();
            match changed_since(p, sent, &live.tree) {
                Some(why) if !force => Inverse::Conflict(Box::new((old, why))),
                _ => Inverse::Restore(old),
            }
        }
    }
}

/// The inverse of a department's change: a rename goes back (a conflict when renamed since);
/// a department created stays, as the API cannot delete one.
fn department(
    kind: ChangeKind,
    before: &StaffRecord,
    sent: &StaffRecord,
    live: &Live,
    force: bool,
) -> Option<Inverse> {
    match kind {
        ChangeKind::DeptCreated => Some(Inverse::DeptStays(
            "部门不能通过接口删除,保留 (the API cannot delete a department; left in place)".into(),
        )),
        ChangeKind::DeptRenamed => {
            let we_id: i64 = sent.get(Field::WeId)?.parse().ok()?;
            let old = before.get(Field::WeName)?.to_string();
            let set = sent.get(Field::WeName)?.to_string();
            Some(match named_as_sent(sent, live) {
                None => Inverse::DeptStays("部门已不存在 (the department is gone)".into()),
                Some(false) if !force => {
                    let n = live.tree.get(we_id).map_or("", |d| &d.we_name);
                    Inverse::DeptConflict(format!("部门已改名为 {n:?} (renamed since to {n:?})"))
                }
                Some(_) => Inverse::RenameBack(Box::new((we_id, old, set))),
            })
        }
        _ => None,
    }
}

/// Whether the department a rename `sent` holds the name it sent; `None` when there is no
/// such department (or the rename sent is not one).
fn named_as_sent(sent: &StaffRecord, live: &Live) -> Option<bool> {
    let we_id: i64 = sent.get(Field::WeId)?.parse().ok()?;
    let now = live.tree.get(we_id)?;
    Some(sent.get(Field::WeName) == Some(now.we_name.as_str()))
}

/// A leave taken back: the 人事状态 bgy last sent before it (已转正 when it never sent one),
/// and 复职时间 today when the person had no 离职时间 before (the API cannot empty a date, so
/// the day of return says the leave is over).
fn reinstate(old: &mut StaffRecord, before: &StaffRecord) {
    if old.get(Field::Status).is_none() {
        old.put(Field::Status, "0");
    }
    let had_left = before
        .get(Field::QuiteTime)
        .is_some_and(|s| !s.trim().is_empty());
    if !had_left {
        let today = crate::model::today();
        old.put(Field::BackTime, &today);
    }
}

/// The values of a record before whose field `keep` admits.
fn values_of(account: &str, before: &StaffRecord, keep: impl Fn(Field) -> bool) -> StaffRecord {
    let mut v = StaffRecord::new();
    v.put(Field::WeUserid, account);
    for (f, text) in before.iter() {
        // Departments go back by we_id; the paths are shown, not sent.
        if f != Field::WeUserid && f != Field::WeDepartment && keep(f) && !text.is_empty() {
            v.put(f, text);
        }
    }
    if keep(Field::WeDepartment) || keep(Field::WeId) {
        if let Some(ids) = before.get(Field::WeId).filter(|s| !s.is_empty()) {
            v.put(Field::WeId, ids);
        }
    }
    v
}

/// A listed field whose live value is no longer what the run sent, or departments it is no
/// longer in: the person was changed since.
fn changed_since(now: &StaffRecord, sent: &StaffRecord, tree: &DeptTree) -> Option<Changed> {
    LISTED
        .iter()
        .filter(|f| !matches!(f, Field::WeUserid | Field::WeDepartment | Field::WeId))
        .find_map(|&field| {
            let set = sent.get(field).filter(|s| !s.is_empty())?;
            let is = now.get(field).unwrap_or("");
            (is != set).then(|| Changed {
                field,
                is: is.into(),
                set: set.into(),
            })
        })
        .or_else(|| moved_since(now, sent, tree))
}

/// The run placed the person in departments they are no longer in: compared as sets of
/// we_ids, as a plan compares them, whether the run sent paths or ids. A path it sent that
/// names no department now (renamed or removed since) is a change too: the directory is not
/// as the run left it.
fn moved_since(now: &StaffRecord, sent: &StaffRecord, tree: &DeptTree) -> Option<Changed> {
    let set = sent.placement();
    if !set.has_ids() && !set.has_paths() {
        return None;
    }
    if let (Some(set), Some(is)) = (set.resolve(tree), now.placement().resolve(tree)) {
        if Placement::same_departments(&set, &is) {
            return None;
        }
    }
    let shown = |r: &StaffRecord| {
        (r.get(Field::WeDepartment).filter(|s| !s.is_empty()))
            .or(r.get(Field::WeId))
            .unwrap_or("")
            .to_string()
    };
    Some(Changed {
        field: Field::WeDepartment,
        is: shown(now),
        set: shown(sent),
    })
}

/// A field changed since the run: what it is now, and what the run set.
struct Changed {
    field: Field,
    is: String,
    set: String,
}

/// A conflict's outcome: its row fails, and an issue of its own says what changed since the
/// run (the reasons count those by field, and the report fills the cell red).
const CONFLICT: &str = "冲突,未恢复 (conflict, left alone)";

impl Changed {
    fn problem(&self) -> crate::validate::fields::Problem {
        let (is, set) = (&self.is, &self.set);
        crate::validate::fields::problem(
            rule::CHANGED_SINCE,
            format!("已改为 {is:?},不是本次运行设的 {set:?}"),
            format!("changed since: now {is:?}, the run set {set:?}"),
        )
    }

    /// As a plan line says it.
    fn text(&self) -> String {
        let p = self.problem();
        format!("{} {} ({})", self.field.label(), p.zh, p.en)
    }
}

/// The rows the undo sends (restores, re-creates, conflicts): validated as they are, and kept
/// as a sheet of their own under `.bgy/undo/` (the record of what it sent, which its report,
/// journal and history name; never read back). The plan's records are taken, not copied: the
/// table's rows are what is sent.
fn write_input(
    ctx: &Context,
    run: i64,
    plan: &mut [(String, Inverse)],
    folder: Option<PathBuf>,
) -> anyhow::Result<(Input, crate::validate::Table)> {
    let dir = folder.unwrap_or_else(|| ctx.history_dir().join("undo"));
    std::fs::create_dir_all(&dir)?;
    let file: PathBuf = dir.join(format!(
        "undo-{run}-{}.xlsx",
        crate::model::now().format("%Y%m%d-%H%M%S")
    ));
    let rows = plan.iter_mut().filter_map(|(_, i)| match i {
        Inverse::Restore(v) | Inverse::Recreate(v) => Some(std::mem::take(v)),
        Inverse::Conflict(c) => Some(std::mem::take(&mut c.0)),
        _ => None,
    });
    let rows: Vec<StaffRecord> = rows.collect();
    // Written first, then validated, each record let go as its row is made: never the
    // records and the table whole at once.
    crate::write::write_people(&file, Layout::Staff, Field::ALL, &rows, None)?;
    let table = crate::validate::from_values(&file, Layout::Staff, Field::ALL, rows)?;
    Ok((Input::file(file), table))
}

/// What the inverse would do, by kind: to the people, and to departments when it names any
/// (an undo's "unchanged" counted the departments an import made as people).
fn planned_counts(plan: &[(String, Inverse)]) -> (StaffCounts, Option<DeptCounts>) {
    let (mut c, mut d) = (StaffCounts::default(), DeptCounts::default());
    for (_, inverse) in plan {
        match inverse {
            Inverse::Restore(_) => c.update += 1,
            Inverse::Recreate(_) => c.create += 1,
            Inverse::Delete => c.delete += 1,
            Inverse::Nothing(_) => c.unchanged += 1,
            Inverse::Conflict(_) => c.conflicts += 1,
            Inverse::RenameBack(_) => d.rename += 1,
            Inverse::DeptStays(_) => d.kept += 1,
            Inverse::DeptConflict(_) => d.conflicts += 1,
        }
    }
    let named = d != DeptCounts::default();
    (c, named.then_some(d))
}

/// The last four digits of a card number.
fn last4(card: &str) -> String {
    let digits: Vec<char> = card.chars().collect();
    digits[digits.len().saturating_sub(4)..].iter().collect()
}

/// The inverse's plan lines, one an account, made as they are shown and written. What a
/// restore sends back is all they keep of the plan's records, which the rows sent take (an undo
/// of 100,000 updates held 28 MB of lines, each its five strings).
struct UndoLines<'p> {
    plan: &'p [(String, Inverse)],
    /// What each restore sends back (nothing for the rest).
    restored: Vec<Restored>,
    /// The directory as listed: what a restore's fields are now.
    live: &'p Live,
}

/// What a restore sends back: the fields whose values are not the live record's (a bit each,
/// by [`Field`] order), and those values as a person reads them. The fields it sends as they
/// are now go unsaid (an undo of 100,000 updates wrote every field of every person, 14 MB).
#[derive(Default)]
struct Restored {
    fields: u64,
    text: Box<str>,
    /// A re-create's name, which its plan line shows after its record went into the rows.
    name: Option<Box<str>>,
    /// The fields the restore leaves as the run set them ([`cannot_go_back`]), a bit each.
    kept: u64,
}

const _: () = assert!(Field::ALL.len() <= 64);

/// What each restore of `plan` sends back, before the rows take its records.
fn restored(plan: &[(String, Inverse)], live: &Live, kept: &Kept) -> Vec<Restored> {
    let kept = |account: &str| kept.get(account).copied().unwrap_or(0);
    plan.iter()
        .map(|(account, inverse)| match inverse {
            Inverse::Restore(v) => {
                let now = live.person(account);
                let (mut fields, mut text) = (0, String::new());
                for (f, x) in v.iter() {
                    if f == Field::WeUserid || now.and_then(|p| p.get(f)) == Some(x) {
                        continue;
                    }
                    fields |= 1 << f as u64;
                    push_shown(&mut text, f, x, live);
                }
                Restored {
                    fields,
                    text: text.into_boxed_str(),
                    name: None,
                    kept: kept(account),
                }
            }
            Inverse::Recreate(v) => Restored {
                name: v.get(Field::WeName).map(Box::from),
                ..Restored::default()
            },
            Inverse::Conflict(_) => Restored {
                kept: kept(account),
                ..Restored::default()
            },
            _ => Restored::default(),
        })
        .collect()
}

/// `label=value` after a space, as a person reads it: a bank card never whole, departments by
/// their paths.
fn push_shown(text: &mut String, f: Field, x: &str, live: &Live) {
    use std::fmt::Write as _;
    if !text.is_empty() {
        text.push(' ');
    }
    let _ = match f {
        Field::BankCard if !x.is_empty() => write!(text, "{}=****{}", f.label(), last4(x)),
        Field::WeId => {
            let ids = Placement::new(Some(x), None)
                .ids()
                .map(|id| id.trim().parse().ok());
            match ids.collect::<Option<Vec<i64>>>() {
                Some(ids) => {
                    let paths = live.tree.paths(&ids);
                    write!(text, "{}={paths}", Field::WeDepartment.label())
                }
                None => write!(text, "{}={x}", f.label()),
            }
        }
        f => write!(text, "{}={}", f.label(), f.display(x)),
    };
}

/// Why an undo leaves the `kept` fields (a bit each) as its run set them, naming them.
fn not_emptied(kept: u64) -> String {
    let fields = || (Field::ALL.iter()).filter(|&&f| kept & (1 << f as u64) != 0);
    let zh: Vec<&str> = fields().map(|f| f.label()).collect();
    let en: Vec<&str> = fields().map(|f| f.english()).collect();
    format!(
        "{}:之前为空或未知,接口不能清空,保持本次运行的值 ({}: empty or unknown before, and the API cannot empty a field: the run's value stays)",
        zh.join("、"),
        en.join(", ")
    )
}

impl UndoLines<'_> {
    fn len(&self) -> usize {
        self.plan.len() + self.restored.iter().filter(|r| r.kept != 0).count()
    }

    fn iter(&self) -> impl Iterator<Item = PlanLine> + '_ {
        self.plan
            .iter()
            .zip(&self.restored)
            .flat_map(|((account, inverse), restored)| {
                // `wang01 (王一)`, as a plan names a person: an undo's list of accounts alone
                // asked HR to look each one up. The name as listed, or as the history recorded
                // it for someone to re-create; a department's path alone.
                let name = match inverse {
                    Inverse::Recreate(_) => restored.name.as_deref(),
                    _ => self.live.person(account).and_then(|p| p.get(Field::WeName)),
                };
                let target = match name {
                    Some(name) => crate::plan::target(account, name),
                    None => account.clone(),
                };
                let line = |action: &str, old: String, new: &str| PlanLine {
                    action: action.into(),
                    target: target.clone(),
                    field: String::new(),
                    old,
                    new: new.into(),
                };
                let first = match inverse {
                    // Nothing it sends differs from the person as listed.
                    Inverse::Restore(_) if restored.text.is_empty() => {
                        line("恢复 (restore)", String::new(), "与现在相同 (as it is now)")
                    }
                    Inverse::Restore(_) => line(
                        "恢复 (restore)",
                        self.now(account, restored),
                        &restored.text,
                    ),
                    Inverse::Recreate(_) => line("重建 (re-create)", String::new(), ""),
                    Inverse::Delete => line("删除 (delete)", String::new(), ""),
                    Inverse::Conflict(c) => line("冲突 (conflict)", String::new(), &c.1.text()),
                    Inverse::RenameBack(back) => line("改回 (rename back)", String::new(), &back.1),
                    Inverse::DeptConflict(why) => line("冲突 (conflict)", String::new(), why),
                    Inverse::Nothing(why) | Inverse::DeptStays(why) => {
                        line("无需改动 (nothing to do)", String::new(), why)
                    }
                };
                // What it cannot take back, said on a line of its own.
                let kept = (restored.kept != 0)
                    .then(|| line("保留 (kept)", String::new(), &not_emptied(restored.kept)));
                std::iter::once(first).chain(kept)
            })
    }

    /// What the fields a restore sends back are now, as a person reads them: those the
    /// listing has (it never has a bank card, for one).
    fn now(&self, account: &str, restored: &Restored) -> String {
        let mut text = String::new();
        if let Some(now) = self.live.person(account) {
            for &f in Field::ALL {
                match now.get(f) {
                    Some(x) if restored.fields & (1 << f as u64) != 0 => {
                        push_shown(&mut text, f, x, self.live);
                    }
                    _ => {}
                }
            }
        }
        text
    }
}

impl PlanLines for UndoLines<'_> {
    fn each<'s>(&'s self, _: &'s Table) -> Box<dyn Iterator<Item = PlanLine> + 's> {
        Box::new(self.iter())
    }
}

/// Shows the inverse's first plan lines and its counts.
fn show(
    ctx: &Context,
    lines: &UndoLines,
    (staff, departments): (StaffCounts, Option<DeptCounts>),
    run: i64,
) {
    ctx.events
        .note(format!("bgy undo: the inverse of run {run}"));
    let shown = ctx.events.plan_lines();
    ctx.events.event(Event::Plan(PlanShown {
        lines: lines.iter().take(shown).collect(),
        more: lines.len().saturating_sub(shown),
        staff,
        departments,
    }));
}

/// Conflicts are failures of their rows (left alone); the rest stay to be sent.
fn mark(s: &mut Session, plan: &[(String, Inverse)]) {
    let conflicts: BTreeMap<&str, &Changed> = plan
        .iter()
        .filter_map(|(a, i)| match i {
            Inverse::Conflict(c) => Some((a.as_str(), &c.1)),
            _ => None,
        })
        .collect();
    for (i, row) in s.table.rows.iter_mut().enumerate() {
        if let Some(changed) = conflicts.get(row.account()) {
            s.outcomes[i] = Outcome::Failed {
                errno: None,
                message: CONFLICT.into(),
            };
            let issue = crate::validate::Issue::error(Some(changed.field), changed.problem());
            // Room for this one: a vector grown by one keeps room for four (~0.3 KB a row).
            row.issues.reserve_exact(1);
            row.issues.push(issue);
        }
    }
}

/// `staff/add` for each row still to send: cover=1 to restore, cover=0 to re-create.
fn jobs(s: &mut Session, plan: &[(String, Inverse)]) -> Vec<AddJob> {
    // A set: the undo of a delete of 100,000 re-creates 100,000, each row looked up in it.
    let recreate: HashSet<AccountKey> = plan
        .iter()
        .filter(|(_, i)| matches!(i, Inverse::Recreate(_)))
        .map(|(a, _)| AccountKey::new(a))
        .collect();
    s.take_jobs(|account| !recreate.contains(&AccountKey::new(account)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_historys_json_is_read_into_the_fields_values() {
        let before = before_values(
            r#"{"we_userid":{"source":"listing","value":"zs"},"quite_time":{"source":"listing","value":"2024-05-01"},"check_id":{"value":7},"nonsense":{"value":"x"},"we_name":{"source":"listing"}}"#,
        );
        assert_eq!(
            before.iter().collect::<Vec<_>>(),
            [
                (Field::WeUserid, "zs"),
                (Field::QuiteTime, "2024-05-01"),
                (Field::CheckId, "7")
            ]
        );
        let sent = sent_values(r#"{"cover":"1","we_position":"","status":"3","we_id":[2]}"#);
        assert_eq!(
            sent.iter().collect::<Vec<_>>(),
            [(Field::WePosition, ""), (Field::Status, "3")],
            "an emptied value was still sent"
        );
        assert_eq!(sent_values("not json").iter().count(), 0);
    }

    #[test]
    fn each_account_has_its_first_record_before_and_its_last_values_sent() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::open(&dir.path().join("h.sqlite")).unwrap();
        let run = history.begin("sync", "", "s.csv", "", "").unwrap();
        let before = |v: &str| serde_json::json!({ "we_position": { "value": v } });
        let sent = |v: &str| serde_json::json!({ "we_position": v });
        // zs changed twice, ls between, and ab after: as they happened, not by account.
        let changes = [
            ("zs", ChangeKind::Updated, "工程师", "经理"),
            ("ls", ChangeKind::Created, "", "顾问"),
            ("zs", ChangeKind::Left, "经理", "总监"),
            ("ab", ChangeKind::Updated, "专员", "助理"),
        ];
        for (account, kind, was, set) in changes {
            (history.change(run, account, kind, &before(was), &sent(set))).unwrap();
        }
        let mut seen = Vec::new();
        each_account(&history, run, |account, first, before, sent| {
            let was = before.get(Field::WePosition).unwrap_or("").to_string();
            let set = sent.get(Field::WePosition).unwrap_or("").to_string();
            seen.push((account, first, was, set));
        })
        .unwrap();
        let seen: Vec<_> = (seen.iter())
            .map(|(a, k, was, set)| (a.as_str(), *k, was.as_str(), set.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("ab", ChangeKind::Updated, "专员", "助理"),
                ("ls", ChangeKind::Created, "", "顾问"),
                ("zs", ChangeKind::Updated, "工程师", "总监"),
            ]
        );
    }

    #[test]
    fn a_leave_taken_back_dates_the_return_only_when_there_was_no_leave_before() {
        let today = crate::model::today();
        let had_left = before_values(r#"{"quite_time":{"value":"2024-05-01"}}"#);
        let never = before_values(r#"{"quite_time":{"value":" "}}"#);
        let (mut a, mut b) = (StaffRecord::new(), StaffRecord::new());
        reinstate(&mut a, &had_left);
        reinstate(&mut b, &never);
        assert_eq!(a.get(Field::BackTime), None);
        assert_eq!(b.get(Field::BackTime), Some(today.as_str()));
        assert_eq!(a.get(Field::Status), Some("0"));
    }
}
