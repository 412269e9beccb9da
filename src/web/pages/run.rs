//! A run's page: its status and counts, its progress while it runs (and Stop), its failed
//! rows (bank cards masked) and plan, what can be done next; and its server-sent progress.
//! Its downloads are [`super::download`]'s.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path as UrlPath, Query, State};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;

use super::{acting_on, to_run, Nothing, Posted};
use crate::events::PlanShown;
use crate::model::mask_card;
use crate::model::Layout;
use crate::outcome::{Counts, PlanLine};
use crate::remedy::Remedy;
use crate::web::auth::{Role, Session};
use crate::web::error::AppError;
use crate::web::i18n::{self, tr};
use crate::web::runs::{self, Command, RunInfo, Status};
use crate::web::{html, App};

/// Failed rows a page.
const PAGE_ROWS: usize = 100;

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<usize>,
}

pub async fn page(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let (mut info, dir) = app.store.get(&id).ok_or(AppError::NotFound)?;
    let running = app.jobs.snapshot(&id);
    if running.is_none() && info.status == Status::Running {
        // Carried out by a console that is gone.
        app.store.settle(std::slice::from_mut(&mut info));
    }
    let mine = s.owns(&info.who);
    let pages = info.failed_rows.div_ceil(PAGE_ROWS).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let (header, rows) = match mine {
        true => runs::failed(&dir, (page - 1) * PAGE_ROWS, PAGE_ROWS).unwrap_or_default(),
        false => Default::default(),
    };
    let plan = runs::plan(&dir);
    let resumable = mine
        && running.is_none()
        && info.command == Command::Import
        && matches!(
            info.status,
            Status::Interrupted | Status::Fatal | Status::Stopped | Status::Failed
        )
        && crate::report::journal_path(&dir.join(runs::REPORT)).is_file();
    // A sheet whose every row names a department still to be made has no valid row, and is
    // imported (or synced) once they are made: the page offers that, not a dead end.
    let importable = mine
        && info.command == Command::Check
        && info.kind == Layout::Staff
        && (info.count(|c| c.ok) > 0 || info.remedies.contains(&Remedy::CreateDepartments));
    Ok(html::render(
        "run.html",
        minijinja::context! {
            status => info.status.name(), asks => info.asks_columns(),
            title => format!("{} · {}", i18n::command(info.command.name()), info.shown()),
            counts => counts(&info, plan.as_ref()),
            plan_lines => plan.as_ref().filter(|_| mine).map(plan_lines).unwrap_or_default(),
            plan_more => plan.as_ref().map_or(0, |p| p.more),
            plan_past_a_sheet => plan.as_ref().is_some_and(PlanShown::past_a_sheet),
            deleting => deleting(&info, plan.as_ref()),
            nothing_to_undo => info.command == Command::UndoPlan && plan.as_ref().is_some_and(nothing_to_undo),
            leaving => leaving(&info, plan.as_ref()),
            header => header.titles[..header.titles.len().saturating_sub(2)],
            rows => rows.iter().map(shown_row).collect::<Vec<_>>(),
            page, pages, failed_rows => info.failed_rows,
            failed_title => failed_title(&info),
            in_directory => info.in_directory(),
            // Past the guard on removing many people: the box that allows it must be ticked.
            past_guard => info.directory.is_some_and(|d| crate::safety::guard(info.in_directory(), d).is_some()),
            plan_past_guard => plan.as_ref().is_some_and(plan_past_guard),
            lacks => lacks(&info).map(crate::model::Field::label),
            directory => info.directory,
            not_found => info.not_found.unwrap_or_else(|| info.count(|c| c.ok).saturating_sub(info.in_directory())),
            reasons => reasons(&info),
            columns => columns(&info, mine),
            error => info.error.as_deref().map(i18n::pick),
            warnings => info.warnings.iter().map(|w| i18n::pick(w)).collect::<Vec<_>>(),
            new_people => info.existing.map(|e| info.count(|c| c.ok).saturating_sub(e)),
            remedies => remedies(&info),
            other_sheet => info.other_sheet(),
            other_kind => info.other_kind().map(crate::model::Layout::name),
            // A sheet whose kind the person did not choose, read as other than staff.
            recognised => (info.by_header && info.command == Command::Check && info.kind != Layout::Staff && info.counts.is_some()).then(|| info.kind.called()),
            rerun => matches!(info.command, Command::Check | Command::Import | Command::Times | Command::Delete | Command::Leave) && info.failed_rows > 0,
            info, running, mine, importable, resumable,
            busy => app.jobs.sending(), csrf => s.csrf, user => s.user,
            approver => s.role == Role::Approve,
            report => mine && runs::servable(&dir.join(runs::REPORT)),
            backup => mine && runs::backup(&dir).is_some(),
            output => mine && info.output.as_ref().is_some_and(|o| runs::servable(&dir.join(o))),
        },
    ))
}

/// The column a check stopped for lacking, when none of the sheet's columns could be it (no
/// column bgy does not know, to choose): the page says to add it, not only that it is missing.
fn lacks(info: &RunInfo) -> Option<crate::model::Field> {
    let seen = info
        .columns
        .as_ref()
        .filter(|_| info.missing_column && !info.asks_columns())?;
    let has = |f: &crate::model::Field| {
        (seen.columns.iter()).any(|c| c.field.as_deref() == Some(f.key()))
    };
    info.kind.required().iter().find(|f| !has(f)).copied()
}

/// The heading of the rows a run did not do, by what they are: a stopped import's rows not
/// sent are not "failed" beside a count of 0 failed.
fn failed_title(info: &RunInfo) -> [&'static str; 2] {
    // A run's failed count takes in the rows it did not send, as its counts on the page do not.
    let kinds = [
        info.count(|c| c.invalid),
        info.count(|c| c.failed.saturating_sub(c.not_sent)),
        info.count(|c| c.not_sent),
    ];
    match kinds {
        [_, 0, 0] => ["未通过检查的行", "Rows that did not pass the check"],
        [0, _, 0] => ["发送失败的行", "Rows that failed"],
        [0, 0, _] => ["未发送的行", "Rows not sent"],
        _ => ["未完成的行", "Rows not done"],
    }
}

/// A failed row as the page shows it: where it is and why first, each reason in the page's
/// language, then the sheet's own cells.
fn shown_row(row: &crate::events::FailedRow) -> minijinja::Value {
    let n = row.cells.len().saturating_sub(2);
    let reasons: Vec<String> = row
        .reasons
        .iter()
        .map(|r| match r.strip_prefix("警告 warning: ") {
            Some(rest) => format!("{}{}", tr("警告:", "warning: "), i18n::pick(rest)),
            None => i18n::pick(r),
        })
        .collect();
    minijinja::context! {
        source_row => row.cells.get(n), reason => reasons.join("; "),
        cells => row.cells[..n], bad => row.bad,
    }
}

/// Why rows failed or were warned about: how many, the first row, an example.
fn reasons(info: &RunInfo) -> Vec<minijinja::Value> {
    info.reasons
        .iter()
        .map(|r| {
            minijinja::context! {
                count => r.count, warning => r.warning, first_row => r.first_row,
                text => i18n::pick(&r.example),
            }
        })
        .collect()
}

/// What the run said could be done, by name, for the page's controls.
fn remedies(info: &RunInfo) -> Vec<&'static str> {
    info.remedies
        .iter()
        .map(|r| match r {
            Remedy::MapColumn { .. } => "map_column",
            Remedy::CreateDepartments => "create_departments",
            Remedy::Overwrite => "overwrite",
            Remedy::Force => "force",
            Remedy::ChooseSheet { .. } => "choose_sheet",
            Remedy::ChooseKind { .. } => "choose_kind",
            Remedy::Confirm => "confirm",
            Remedy::Ticket => "ticket",
            Remedy::ServerAddress => "server_address",
            Remedy::SlowDown => "slow_down",
            Remedy::Recursive => "recursive",
        })
        .collect()
}

/// The column choices of a check whose sheet had columns bgy did not know: every header, a
/// choice for each unknown one (its best guess chosen), and the columns to choose from.
fn columns(info: &RunInfo, mine: bool) -> Option<minijinja::Value> {
    let seen = info
        .columns
        .as_ref()
        .filter(|c| mine && c.questions() > 0)?;
    let fields: Vec<(&str, &str)> = info
        .kind
        .columns()
        .iter()
        .map(|f| (f.key(), f.label()))
        .collect();
    // The notice that an employee number is no account is for a sheet without 帐号.
    let account = Some(crate::model::Field::WeUserid.key());
    let has_account = (seen.columns.iter()).any(|c| c.field.as_deref() == account);
    let list: Vec<minijinja::Value> = seen
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let label = c
                .field
                .as_deref()
                .and_then(crate::model::Field::from_key)
                .map(crate::model::Field::label);
            minijinja::context! {
                name => format!("c{i}"), title => c.title, unknown => c.unknown,
                guess => c.guess, label, ignored => c.ignored, unused => c.unused,
                employee_number => !has_account && crate::read::header::is_employee_number(&c.title),
            }
        })
        .collect();
    Some(minijinja::context! { list, fields })
}

/// How many people the run would delete (a plan's prunes, an undo's deletes), to confirm.
fn deleting(info: &RunInfo, plan: Option<&PlanShown>) -> usize {
    match info.command {
        Command::Plan | Command::UndoPlan => plan.map_or(0, |p| p.staff.delete),
        _ => 0,
    }
}

/// A plan that removes (or marks) enough of the people it matched or removes to be past the
/// guard. They are at most the directory (not those `[prune]` keeps, nor leavers already
/// marked), so a plan short of it is short of the sync's guard too: the box is not offered
/// where it can change nothing.
fn plan_past_guard(plan: &PlanShown) -> bool {
    let s = &plan.staff;
    let removing = s.delete + s.leave;
    crate::safety::guard(removing, s.update + s.unchanged + removing).is_some()
}

/// How many people a plan would mark as leavers, to confirm.
fn leaving(info: &RunInfo, plan: Option<&PlanShown>) -> usize {
    match info.command {
        Command::Plan => plan.map_or(0, |p| p.staff.leave),
        _ => 0,
    }
}

/// The plan's lines as the page shows them ([`shown_line`]).
fn plan_lines(plan: &PlanShown) -> Vec<[String; 5]> {
    plan.lines.iter().map(shown_line).collect()
}

/// A plan's line as a page shows it (a run's, a paused run's): bank cards masked, bgy's own
/// words in the page's language, and the sheet's and the directory's values as they are: a
/// 姓名 or 职位 such as `王伟 (David Wang)` is not one of bgy's texts in Chinese and English,
/// to show half of.
pub(super) fn shown_line(l: &PlanLine) -> [String; 5] {
    shown_line_in(i18n::lang(), l)
}

/// [`shown_line`] in `lang`, for what is said after the request (a run's end).
pub(crate) fn shown_line_in(lang: i18n::Lang, l: &PlanLine) -> [String; 5] {
    let pick = |text: &str| i18n::pick_in(lang, text);
    let card = l.field == "bank_card" || l.field == crate::model::Field::BankCard.label();
    // bgy's own: a line of no field says what it does (a create's row), and a field's value
    // that bgy words (a return dated today, a leave).
    let worded = |v: &str| crate::plan::staff::WORDED.contains(&v);
    let own = |v: &str| l.field.is_empty() || worded(v);
    let shown = |v: &str| match (card, own(v)) {
        // A card bgy never knew: said, not masked into `****`.
        (true, _) if worded(v) => pick(v),
        (true, _) => mask_card(v),
        (false, true) => pick(v),
        (false, false) => v.to_string(),
    };
    // A person or a department is named as the directory names it; a departments row that is
    // invalid, by bgy (`部门表第 33 行 (departments row 33)`).
    let target = match l.action.as_str() {
        crate::plan::depts::INVALID_ROW => pick(&l.target),
        _ => l.target.clone(),
    };
    [
        pick(&l.action),
        target,
        // The column as the sheet names it (`姓名 we_name` → `姓名`).
        l.field.split(' ').next().unwrap_or_default().to_string(),
        shown(&l.old),
        shown(&l.new),
    ]
}

/// A count a run's page shows: its `data-count` name, its words, the number.
type Shown = (&'static str, String, usize);

fn n(key: &'static str, zh: &str, en: &str, count: usize) -> Shown {
    (key, tr(zh, en), count)
}

/// The rows a run did not get done: invalid, failed when sent, never sent.
fn not_done(c: &Counts, failed: usize) -> [Shown; 3] {
    [
        n("invalid", "未通过", "Invalid", c.invalid),
        n("failed", "失败", "Failed", failed),
        n("not_sent", "未发送", "Not sent", c.not_sent),
    ]
}

/// The counts a run's page shows, by `data-count` name.
fn counts(info: &RunInfo, plan: Option<&PlanShown>) -> Vec<Shown> {
    let Some(c) = &info.counts else {
        return vec![];
    };
    let warnings = info.warnings.len() + info.row_warnings as usize;
    let failed = c.failed.saturating_sub(c.not_sent);
    match info.command {
        Command::Check => vec![
            n("total", "总行数", "Rows", c.total),
            n("valid", "通过", "Valid", c.ok),
            n("invalid", "未通过", "Invalid", c.invalid),
            n("warnings", "警告", "Warnings", warnings),
        ],
        Command::Delete => [
            n("total", "总行数", "Rows", c.total),
            n("deleted", "已删除", "Deleted", c.deleted),
            n("not_found", "不在通讯录", "Not found", c.not_found),
        ]
        .into_iter()
        .chain(not_done(c, failed))
        .collect(),
        Command::Leave => [
            n("total", "总行数", "Rows", c.total),
            n("left", "已标记离职", "Marked as leavers", c.left),
            n("unchanged", "已是已离职", "Already left", c.unchanged),
            n("not_found", "不在通讯录", "Not found", c.not_found),
            n("skipped", "重复,跳过", "Repeated, skipped", c.skipped),
        ]
        .into_iter()
        .chain(not_done(c, failed))
        .collect(),
        Command::Plan => vec![
            n("total", "总行数", "Rows", c.total),
            n("created", "将新增", "To create", c.created),
            n("updated", "将更新", "To update", c.updated),
            n("unchanged", "无变化", "Unchanged", c.unchanged),
            n("deleted", "将删除", "To delete", c.deleted),
            n("left", "将标记离职", "To mark as leavers", c.left),
            n("invalid", "未通过", "Invalid", c.invalid),
        ],
        Command::UndoPlan => undo_plan_counts(plan),
        Command::Export => vec![n("total", "导出人数", "People exported", c.total)],
        Command::Undo => {
            // An undo's numbers count people, as the command line's do: its deletes are no
            // rows of the sheet it sends (the re-created and restored), so rows would say 4
            // beside 4 restored and 1 deleted.
            let mut shown = sent_counts(info.command, c, failed);
            let changes = plan.map_or(info.total(c), |p| p.staff.changes() + p.staff.conflicts);
            shown[0] = n("total", "改动", "Changes", changes);
            shown
        }
        _ => sent_counts(info.command, c, failed),
    }
}

/// An undo's plan that sends nothing, even with 覆盖 ticked: no person to change or left alone
/// for a later change, no department to rename back (the departments a run made stay).
fn nothing_to_undo(plan: &PlanShown) -> bool {
    let d = plan.departments.unwrap_or_default();
    plan.staff.changes() + plan.staff.conflicts + d.rename + d.conflicts == 0
}

/// An undo's plan, by what it would do to people, and to the departments it names.
fn undo_plan_counts(plan: Option<&PlanShown>) -> Vec<Shown> {
    let p = plan.map(|p| p.staff).unwrap_or_default();
    let mut shown = vec![
        n("created", "将重建", "To re-create", p.create),
        n("updated", "将恢复", "To restore", p.update),
        n("deleted", "将删除", "To delete", p.delete),
        n("unchanged", "无需改动", "Nothing to do", p.unchanged),
        n(
            "conflicts",
            "已被改动,不恢复",
            "Changed since, left alone",
            p.conflicts,
        ),
    ];
    // The departments it names, apart from the people: those it does something to.
    if let Some(d) = plan.and_then(|p| p.departments) {
        let depts = [
            n(
                "dept_renamed",
                "部门将改回",
                "Departments renamed back",
                d.rename,
            ),
            n("dept_kept", "部门保留", "Departments kept", d.kept),
            n(
                "dept_conflicts",
                "部门已被改名,不改回",
                "Departments renamed since, left alone",
                d.conflicts,
            ),
        ];
        shown.extend(depts.into_iter().filter(|(.., count)| *count > 0));
    }
    shown
}

/// The counts of a run that sent rows (import, sync, dates, undo).
fn sent_counts(command: Command, c: &Counts, failed: usize) -> Vec<Shown> {
    // What the command does is shown even at 0; what it may also do (a sync's deletes
    // with --prune, an import's skips), only when it happened: no 0 已删除 on a dates run.
    let always: &[&str] = match command {
        Command::Import => &["created", "updated", "skipped"],
        Command::Sync => &["created", "updated", "unchanged"],
        Command::Times => &["updated"],
        _ => &["created", "updated", "deleted"],
    };
    let mut shown = vec![
        n("total", "总行数", "Rows", c.total),
        n("created", "新增", "Created", c.created),
        n("deleted", "已删除", "Deleted", c.deleted),
        n("updated", "更新", "Updated", c.updated),
        n("unchanged", "无变化", "Unchanged", c.unchanged),
        n("left", "已标记离职", "Marked as leavers", c.left),
        n("skipped", "已存在,跳过", "Skipped", c.skipped),
    ];
    shown.retain(|(key, _, count)| *key == "total" || *count > 0 || always.contains(key));
    shown.extend(not_done(c, failed));
    shown
}

/// Stop: as Ctrl-C, in-flight calls finish and the report and journal are written. It stops
/// this run, and no other.
pub async fn stop(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Posted(Nothing {}): Posted<Nothing>,
) -> Result<Response, AppError> {
    let (info, _) = app.store.get(&id).ok_or(AppError::NotFound)?;
    if !info.command.sends() {
        return Err(AppError::NotFound);
    }
    acting_on(&app, &s, &id, &[info.command], None)?;
    if let Some(w) = app.jobs.watch(&id) {
        w.stop_by(&s.user);
    }
    Ok(to_run(&id))
}

/// Progress as server-sent events: a `progress` event on every change (at most ten a
/// second), `done` at the end.
pub async fn events(State(app): State<Arc<App>>, UrlPath(id): UrlPath<String>) -> Response {
    let watch = app.jobs.watch(&id);
    // The stream is written after this function returns: it keeps the request's language.
    let lang = i18n::lang();
    let stream = futures::stream::unfold((watch, false), move |(watch, done)| async move {
        if done {
            return None;
        }
        let Some(w) = watch else {
            return Some((
                Ok::<_, std::convert::Infallible>(SseEvent::default().event("done").data("{}")),
                (None, true),
            ));
        };
        let mut rx = w.subscribe();
        let mut snap = w.snapshot();
        snap.phase = i18n::pick_in(lang, &snap.phase);
        let data = serde_json::to_string(&snap).unwrap_or_default();
        if snap.finished {
            return Some((
                Ok(SseEvent::default().event("done").data(data)),
                (None, true),
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), rx.changed()).await;
        Some((
            Ok(SseEvent::default().event("progress").data(data)),
            (Some(w), false),
        ))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{DeptCounts, StaffCounts};

    #[test]
    fn the_rows_not_done_are_titled_by_what_they_are() {
        let title = |invalid, failed, not_sent| {
            let mut info = RunInfo::new("r1", "hr", Command::Import, "花名册.xlsx", "input.xlsx");
            info.counts = Some(Counts {
                invalid,
                failed,
                not_sent,
                ..Counts::default()
            });
            failed_title(&info)[1]
        };
        assert_eq!(title(2, 0, 0), "Rows that did not pass the check");
        assert_eq!(title(0, 3, 0), "Rows that failed");
        // The rows a stopped import did not send are in its failed count too.
        assert_eq!(title(0, 5, 5), "Rows not sent");
        assert_eq!(title(0, 5, 2), "Rows not done");
        assert_eq!(title(1, 2, 0), "Rows not done");
    }

    fn plan(staff: StaffCounts, departments: Option<DeptCounts>) -> PlanShown {
        PlanShown {
            lines: Vec::new(),
            more: 0,
            staff,
            departments,
        }
    }

    #[test]
    fn the_guard_s_box_is_offered_for_leavers_as_for_deletes_and_for_both_together() {
        let past = |delete, leave| {
            let staff = StaffCounts {
                update: 80,
                delete,
                leave,
                ..StaffCounts::default()
            };
            plan_past_guard(&plan(staff, None))
        };
        assert!(past(30, 0), "30 of 110 deleted");
        assert!(past(0, 30), "30 of 110 marked as leavers");
        assert!(past(15, 15), "as many, some of each");
        assert!(!past(10, 10), "a fifth of 100");
        assert!(!past(0, 0));
    }

    #[test]
    fn an_undo_has_something_to_do_while_a_person_or_a_department_would_change() {
        let none = |staff, departments| nothing_to_undo(&plan(staff, departments));
        let staff = StaffCounts::default();
        let kept = DeptCounts {
            kept: 2,
            ..DeptCounts::default()
        };
        let unchanged = StaffCounts {
            unchanged: 5,
            ..staff
        };
        assert!(
            none(unchanged, Some(kept)),
            "departments kept change nothing"
        );
        let conflict = StaffCounts {
            conflicts: 1,
            ..staff
        };
        assert!(!none(conflict, None), "changed since: 覆盖 restores it");
        let update = StaffCounts { update: 1, ..staff };
        assert!(!none(update, Some(kept)));
        let rename = DeptCounts { rename: 1, ..kept };
        assert!(!none(staff, Some(rename)));
        let renamed_since = DeptCounts {
            conflicts: 1,
            ..kept
        };
        assert!(!none(staff, Some(renamed_since)));
    }

    #[test]
    fn an_undo_s_page_counts_every_kind_of_person_and_only_the_departments_it_names() {
        let departments = DeptCounts {
            rename: 1,
            conflicts: 2,
            ..DeptCounts::default()
        };
        let shown = undo_plan_counts(Some(&plan(StaffCounts::default(), Some(departments))));
        let shown: Vec<(&str, usize)> = shown.iter().map(|&(key, _, n)| (key, n)).collect();
        assert_eq!(
            shown,
            [
                ("created", 0),
                ("updated", 0),
                ("deleted", 0),
                ("unchanged", 0),
                ("conflicts", 0),
                ("dept_renamed", 1),
                ("dept_conflicts", 2),
            ]
        );
    }

    #[test]
    fn a_run_that_sent_shows_what_its_command_does_even_at_0_and_the_rest_when_it_happened() {
        let keys = |command, counts: &Counts| -> Vec<&str> {
            let shown = sent_counts(command, counts, 0);
            let shown = shown.iter().map(|&(key, ..)| key);
            shown
                .filter(|&key| !["invalid", "failed", "not_sent"].contains(&key))
                .collect()
        };
        let none = Counts::default();
        assert_eq!(
            keys(Command::Import, &none),
            ["total", "created", "updated", "skipped"]
        );
        assert_eq!(
            keys(Command::Sync, &none),
            ["total", "created", "updated", "unchanged"]
        );
        assert_eq!(keys(Command::Times, &none), ["total", "updated"]);
        assert_eq!(
            keys(Command::Undo, &none),
            ["total", "created", "deleted", "updated"]
        );
        let pruned = Counts {
            deleted: 3,
            left: 2,
            ..none
        };
        assert_eq!(
            keys(Command::Sync, &pruned),
            [
                "total",
                "created",
                "deleted",
                "updated",
                "unchanged",
                "left"
            ]
        );
    }
}
