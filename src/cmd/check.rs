//! `bgy check FILE`: validate offline, and online when a ticket or `--emulator` is given.
//! Writes the report; sends nothing that changes data.

use std::cell::OnceCell;
use std::collections::HashSet;

use super::{Checking, Listing};
use crate::config::Input;
use crate::context::Context;
use crate::events::Emit;
use crate::execute::session::{Extra, Session};
use crate::live::Live;
use crate::model::{AccountKey, Command, Field, Layout, StaffRecord};
use crate::outcome::Summary;
use crate::validate::leaders::{name_key, same_name};
use crate::validate::{problem, rule, Issue, Row};

pub async fn run(
    ctx: &Context,
    input: &Input,
    layout: Option<Layout>,
    create_departments: bool,
) -> anyhow::Result<Summary> {
    let listed = OnceCell::new();
    let summary = check(ctx, input, layout, create_departments, &listed).await;
    crate::os::drop_later(listed);
    summary
}

async fn check(
    ctx: &Context,
    input: &Input,
    layout: Option<Layout>,
    create_departments: bool,
    listed: &OnceCell<Live>,
) -> anyhow::Result<Summary> {
    let mut checking = Checking::new(
        Listing::start(ctx),
        listed,
        !input.no_report,
        create_departments,
        true,
    )
    .forgetting(|_| true)
    .trusting_guesses();
    let mut s =
        Session::open_watched(ctx, Command::Check, input, layout, false, &mut |l, h, r| {
            checking.watch(l, h, r)
        })?;
    let layout = s.table.layout;
    let mut extra = Extra::default();
    match checking.live(ctx).await? {
        Some(live) => {
            let (found, not_found) = online(&mut s, checking, live, layout);
            // A sheet of people is told by the warnings, as the row's values may be gone by
            // now; one of dates, deletes or leavers counts each person found once, however
            // many rows name them, as that is how many the run changes.
            let warned = |r: &Row, reason| r.issues.iter().any(|i| i.reason == reason);
            extra.existing = match layout {
                Layout::Staff => Some(count_valid(&s, |r| warned(r, rule::ACCOUNT_EXISTS))),
                Layout::Times | Layout::Delete | Layout::Leave => Some(found),
                Layout::Departments => None,
            };
            extra.not_found = matches!(layout, Layout::Times | Layout::Delete | Layout::Leave)
                .then_some(not_found);
            extra.directory = Some(live.staff.len());
        }
        None if ctx.client.is_none() => ctx.events.note("bgy check: 离线检查 (没有 ticket):部门、直接上级和已有帐号没有检查 (offline, no ticket: departments, leaders and existing accounts were not checked)"),
        // A fatal condition: the offline checks still make a report; the run ends as fatal.
        None => {}
    }
    s.outcomes_as_validated();
    s.finish(None, extra)
}

/// What a row of dates, deletes or leavers whose account the `live` directory lacks is told:
/// an error for dates, which would have nobody to go to (`bgy times` sends it nowhere), a
/// warning for deletes and leavers, who are already not there. A listing that came back
/// incomplete cannot say someone is not there: a warning then, as `bgy times` sends the row.
pub fn not_in_directory(layout: Layout, live: &Live) -> Issue {
    let p = problem(
        rule::ACCOUNT_NOT_FOUND,
        "帐号不在通讯录中",
        "the account is not in the directory",
    );
    match layout {
        Layout::Times if live.complete => Issue::error(Some(Field::WeUserid), p),
        _ => Issue::warning(Some(Field::WeUserid), p),
    }
}

/// The issue of a row of dates, deletes or leavers whose 姓名 is not the name the directory has
/// for its account: the account may be mistyped, and it is the directory's person the row
/// changes. `None` when the sheet gives no name, or the same one (spaces and case aside).
pub fn another_name(layout: Layout, row: &Row, person: &StaffRecord) -> Option<Issue> {
    let given = row
        .values()
        .get(Field::WeName)
        .filter(|g| !name_key(g).is_empty())?;
    let theirs = person.get(Field::WeName).unwrap_or_default();
    if same_name(given, theirs) {
        return None;
    }
    let (zh, en) = match layout {
        Layout::Times => (
            "更新的是通讯录里这个人的日期,姓名不会改",
            "the dates go to the directory's person, whose name stays",
        ),
        Layout::Delete => (
            "删除的会是通讯录里的这个人",
            "it is the directory's person who is deleted",
        ),
        _ => (
            "标记为已离职的会是通讯录里的这个人",
            "it is the directory's person who is marked as a leaver",
        ),
    };
    let account = row.account();
    Some(Issue::warning(
        Some(Field::WeName),
        problem(
            rule::NAME_DIFFERS,
            format!("帐号 {account} 在通讯录中叫 {theirs},不是 {given}:帐号可能填错了;{zh}"),
            format!("account {account} is {theirs} in the directory, not {given}: the account may be wrong; {en}"),
        ),
    ))
}

/// Warns on each valid row of dates, deletes or leavers whose 姓名 is not the directory's
/// ([`another_name`]), and says so before anything is sent or confirmed: the count, and the
/// first.
pub fn warn_of_other_names(ctx: &Context, rows: &mut [Row], live: &Live, layout: Layout) {
    let (mut n, mut first) = (0, None);
    for row in rows.iter_mut().filter(|r| r.is_valid()) {
        let Some(issue) = live
            .person(row.account())
            .and_then(|p| another_name(layout, row, p))
        else {
            continue;
        };
        n += 1;
        first.get_or_insert_with(|| issue.describe(row.source_row));
        row.issues.push(issue);
    }
    if let Some(first) = first {
        ctx.events.warn(format!(
            "{n} 行的姓名与通讯录中该帐号的姓名不同 (in {} the name is not the directory's for the account); {first}",
            crate::text::count(n, "row", "rows")
        ));
    }
}

/// The valid rows of the run that `pick` takes.
fn count_valid(s: &Session, pick: impl Fn(&Row) -> bool) -> usize {
    s.table
        .rows
        .iter()
        .filter(|r| r.is_valid() && pick(r))
        .count()
}

/// Checks the rows against the directory; returns how many different accounts a sheet of dates,
/// deletes or leavers names that the directory has, and that it lacks (a row written twice
/// counts once).
fn online<'a>(
    s: &mut Session,
    checking: Checking<'a>,
    live: &'a Live,
    layout: Layout,
) -> (usize, usize) {
    let mut found = HashSet::new();
    let mut lacked = HashSet::new();
    match layout {
        // Every row of a sheet of people the directory has gets a warning: the report is
        // written again as the rows are checked, on its own thread, not whole at the end
        // (from while they are read, once the directory is listed).
        Layout::Staff => {
            checking.rest(s, live);
        }
        // A departments sheet is checked against the tree by the plan it is part of.
        Layout::Departments => {}
        Layout::Times | Layout::Delete | Layout::Leave => {
            for row in s.table.rows.iter_mut().filter(|r| r.is_valid()) {
                if let Some(i) = live.index(row.account()) {
                    found.insert(i);
                    if let Some(issue) = another_name(layout, row, &live.staff[i]) {
                        row.issues.push(issue);
                    }
                } else {
                    lacked.insert(AccountKey::new(row.account()));
                    row.issues.push(not_in_directory(layout, live));
                }
            }
        }
    }
    (found.len(), lacked.len())
}
