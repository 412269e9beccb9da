//! The diff of a sheet against the live directory: what to create, what to update field by
//! field, what is unchanged, and (for pruning) who is on the server but not in the sheet.
//!
//! In: a validated table and the live directory. Out: a [`Plan`]. Only the fields `staff/list`
//! returns can be compared, and the others as bgy last sent them ([`Sent`]); an empty cell means
//! "leave as is", as it does for `staff/add`.

use std::collections::HashMap;

use crate::live::{is_listed, Live};
use crate::model::tree::{DeptTree, Placement};
use crate::model::{AccountKey, StaffRecord};
use crate::model::{Field, PruneMode};
use crate::outcome::{PlanLine, StaffCounts};
use crate::validate::{Row, Table};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub field: Field,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create,
    Update(Vec<Change>),
    Unchanged,
}

#[derive(Debug)]
pub struct Plan {
    /// One per table row; `None` for invalid rows.
    pub actions: Vec<Option<Action>>,
    /// Accounts on the server and not in the sheet (with `--prune`).
    pub prune: Vec<String>,
    /// Accounts on the server and not in the sheet, to mark as leavers (`--prune-mode
    /// leave`), less those marked already.
    pub leave: Vec<String>,
    /// How many people the sheet does not name a prune left alone, as `bgy.toml`'s `[prune]`
    /// keeps them.
    pub kept: usize,
    /// The 对象 Target of each row it creates or updates, "account (name)", for its Plan
    /// sheet: kept apart from the rows, whose values a sync moves into what it sends.
    targets: Vec<Option<Box<str>>>,
}

/// The changes that would bring `live` to `sheet` (empty cells left alone).
pub fn changes(sheet: &StaffRecord, live: &StaffRecord, tree: &DeptTree) -> Vec<Change> {
    let mut out = Vec::new();
    for (field, new, old) in sheet.beside(live) {
        // The account is the key; 部门ID and 部门 are compared as departments, below.
        let apart = matches!(field, Field::WeUserid | Field::WeId | Field::WeDepartment);
        if apart || !is_listed(field) {
            continue;
        }
        let old = old.unwrap_or("");
        if new != old {
            out.push(Change {
                field,
                old: field.display(old),
                new: field.display(new),
            });
        }
    }
    let place = sheet.placement();
    // The same 部门ID as listed names the same departments, whatever the paths say (the ids
    // decide): nothing to resolve, unless an id is not a number (then neither resolves).
    let same_ids = place.has_ids()
        && sheet.get(Field::WeId) == live.get(Field::WeId)
        && place.ids().all(|id| id.parse::<i64>().is_ok());
    if !same_ids && (place.has_ids() || place.has_paths()) {
        let old_ids = live.placement().resolve(tree).unwrap_or_default();
        let new = match place.resolve(tree) {
            Some(ids) if Placement::same_departments(&ids, &old_ids) => None,
            Some(ids) => Some(tree.paths(&ids)),
            // A path that does not exist yet (created by sync before the staff rows).
            None => sheet.get(Field::WeDepartment).map(str::to_string),
        };
        if let Some(new) = new {
            out.push(Change {
                field: Field::WeDepartment,
                old: tree.paths(&old_ids),
                new,
            });
        }
    }
    // Most people change in a field or two: not the four a first push makes room for.
    out.shrink_to_fit();
    out
}

/// What bgy knows it sent of the columns `staff/list` does not return: each person's 人事状态
/// ([`crate::history::History::statuses`]), the leavers its leaves marked
/// ([`crate::history::History::marked_left`]), and of the sheet's other such columns (直接上级,
/// 银行卡号, 考勤号 …) the value it last sent ([`crate::history::History::sent_values`]). A row
/// is compared with them, and in a plan that marks who is missing from the sheet
/// (`--prune-mode leave`), where the sheet is the list of who works here, a marked leaver it
/// names again (a rehire, a night the HR system's export left them out) is brought back, not
/// left 已离职 for good; in any plan, one whose row says 在职.
#[derive(Debug, Default)]
pub struct Sent {
    /// Each account's key, with the status bgy last sent it.
    statuses: HashMap<String, String>,
    /// Each leaver bgy marked (and has sent no status since), with the 人事状态 to give back:
    /// the one bgy last sent before the leave, 已转正 when it never sent one (as an undo of the
    /// leave gives).
    marked: HashMap<String, String>,
    /// A marked leaver whose row says nothing of a status is brought back (a leave-marking
    /// plan's: the sheet lists who works here).
    bring_back: bool,
    /// 复职时间 for those brought back, when the row gives none: the API cannot empty the
    /// 离职时间.
    today: String,
    /// Each account's key, with what bgy last sent of the sheet's unlisted columns other than
    /// 人事状态 (only those the sheet has are read).
    values: HashMap<String, StaffRecord>,
}

impl Sent {
    pub fn new(
        statuses: Vec<(String, String)>,
        marked: Vec<(String, Option<String>)>,
        bring_back: bool,
        today: &str,
    ) -> Sent {
        let marked = marked
            .into_iter()
            .map(|(account, before)| (account, before.unwrap_or_else(|| "0".into())));
        Sent {
            statuses: statuses.into_iter().collect(),
            marked: marked.collect(),
            bring_back,
            today: today.into(),
            values: HashMap::new(),
        }
    }

    /// With what bgy last sent of other unlisted columns: the key of each account, with the
    /// values.
    pub fn with_values(mut self, values: Vec<(String, StaffRecord)>) -> Sent {
        self.values = values.into_iter().collect();
        self
    }

    /// Someone already marked as a leaver: the status bgy last sent is 已离职, or it sent none
    /// and the listing shows a leave (HR marked them by hand). One whose leave an undo took
    /// back (a status sent again) is not.
    pub fn has_left(&self, live: &StaffRecord) -> bool {
        match self.statuses.get(&*AccountKey::text(live.account())) {
            Some(status) => status == "3",
            None => left_in_listing(live),
        }
    }

    /// Whether the row's `field`, one `staff/list` does not return, is compared (a plan that
    /// cannot says so): bgy sent one, or for 人事状态, the row says 已离职, which the listing's
    /// 离职时间 tells.
    pub fn compares(&self, sheet: &StaffRecord, field: Field) -> bool {
        let key = AccountKey::text(sheet.account());
        match field {
            Field::Status => {
                self.statuses.contains_key(&*key) || sheet.get(Field::Status) == Some("3")
            }
            _ => (self.values.get(&*key)).is_some_and(|sent| sent.get(field).is_some()),
        }
    }

    /// A leaver bgy marked, whose row says they are `在职` (which sends no status itself),
    /// given back the status they had (and 复职时间 today unless the row dates it): what an
    /// import that updates the people it has sends, as a plan does. Whether they were.
    pub fn bring_back_in_service(&self, sheet: &mut StaffRecord, live: &StaffRecord) -> bool {
        !self
            .status_changes(sheet, live, (self.marked_of(sheet), true), None)
            .is_empty()
    }

    /// The status to give back to a leaver bgy marked, when the row's person is one.
    fn marked_of(&self, sheet: &StaffRecord) -> Option<&String> {
        self.marked.get(&*AccountKey::text(sheet.account()))
    }

    /// The changes the row's unlisted columns make against what bgy last sent, and a marked
    /// leaver's return put into its values (a sync sends them): in a leave-marking plan, or
    /// when the row says the person is `in_service` (在职, which sends no status itself).
    fn changes(
        &self,
        sheet: &mut StaffRecord,
        live: &StaffRecord,
        in_service: bool,
    ) -> Vec<Change> {
        let bring_back = self.bring_back || in_service;
        let returns = bring_back && !self.marked.is_empty();
        if sheet.get(Field::Status).is_none() && !returns && self.values.is_empty() {
            return Vec::new();
        }
        // Looked up by the account as written (a key made only when it is not one): a
        // leave-marking plan asks this of every row.
        let (marked, status, values) = {
            let key = AccountKey::text(sheet.account());
            let values = self.values.get(&*key);
            (self.marked.get(&*key), self.statuses.get(&*key), values)
        };
        let mut out = self.status_changes(sheet, live, (marked, bring_back), status);
        let said = out.len();
        for (field, old) in values.into_iter().flat_map(StaffRecord::iter) {
            // A return's 复职时间 is said with its 人事状态.
            if out[..said].iter().any(|c| c.field == field) {
                continue;
            }
            match sheet.get(field) {
                Some(new) if !same_sent(field, new, old) => {
                    let (old, mut new) = (field.shown(old), field.shown(new));
                    // Two cards masked alike: the plan still says it changes.
                    if new == old {
                        new.push_str(" (另一张卡 another card)");
                    }
                    out.push(Change { field, old, new });
                }
                _ => {}
            }
        }
        out
    }

    /// The change the row's 人事状态 makes, given the status bgy last `sent`, whether it marked
    /// the person as a leaver (with the status to give back) and whether a row that says
    /// nothing of a status brings them back. Taking back bgy's own mark is dated 复职时间 today
    /// unless the row dates it (as an undo of the leave does); any other return is the row's
    /// to date: a listing's 离职时间 may be of a leave HR has since taken back by hand.
    fn status_changes(
        &self,
        sheet: &mut StaffRecord,
        live: &StaffRecord,
        (marked, bring_back): (Option<&String>, bool),
        sent: Option<&String>,
    ) -> Vec<Change> {
        let (from, to) = match (sheet.get(Field::Status), sent) {
            (Some(to), Some(from)) if to == from => return Vec::new(),
            (Some(to), Some(from)) => (from.clone(), to.to_string()),
            // 已离职 where the directory shows no leave.
            (Some("3"), None) if !left_in_listing(live) => (String::new(), "3".to_string()),
            // Which of 已转正/试用期/兼职 the person is, the listing does not say.
            (Some(_), None) => return Vec::new(),
            (None, _) => match marked {
                // A row that says the person left (a 离职时间) is not a return.
                Some(before) if bring_back && sheet.get(Field::QuiteTime).is_none() => {
                    sheet.put(Field::Status, before);
                    ("3".to_string(), before.clone())
                }
                _ => return Vec::new(),
            },
        };
        let field = Field::Status;
        let mut out = vec![Change {
            field,
            old: field.display(&from),
            new: field.display(&to),
        }];
        if marked.is_some() && to != "3" {
            // Said as "today", not the date: a paused run's plan is approved only when it is
            // the same, and it may be approved another day.
            let new = match sheet.get(Field::BackTime) {
                Some(dated) => dated.to_string(),
                None => {
                    sheet.put(Field::BackTime, &self.today);
                    TODAY.to_string()
                }
            };
            out.push(Change {
                field: Field::BackTime,
                old: String::new(),
                new,
            });
        }
        out
    }
}

/// A row's value is the one bgy sent: the same text, or for the columns that name accounts
/// (直接上级, 直接下属) the same but for letter case, as accounts are compared everywhere.
fn same_sent(field: Field, new: &str, sent: &str) -> bool {
    match field {
        Field::LeadId | Field::Subordinate => AccountKey::text(new) == AccountKey::text(sent),
        _ => new == sent,
    }
}

/// A date a run sends as the day it sends (复职时间), as its plan shows it.
const TODAY: &str = "今天 (today)";

/// A leave, as a plan's line of a leaver says it.
const LEFT: &str = "已离职 (left)";

/// What a column the listing does not show held before, when bgy never sent it either.
const UNKNOWN: &str = "未知 (unknown)";

/// The values of a plan's lines that are bgy's words, in Chinese and English, not a value of
/// the sheet or the directory.
pub const WORDED: [&str; 3] = [TODAY, LEFT, UNKNOWN];

/// The listing shows the person left: a 离职时间 (it has no 复职时间 to say they came back, and
/// the API cannot empty a date).
fn left_in_listing(live: &StaffRecord) -> bool {
    live.get(Field::QuiteTime).is_some()
}

/// What one row would do to `live`: `None` for an invalid row. Its columns `staff/list` does
/// not return are compared with what bgy knows it sent (`sent`), and a marked leaver the row
/// names again brought back, the values that do it put into the row.
pub fn action(row: &mut Row, live: &Live, sent: &Sent) -> Option<Action> {
    row.is_valid().then(|| match live.person(row.account()) {
        None => Action::Create,
        Some(person) => {
            let mut changes = changes(row.values(), person, &live.tree);
            let in_service = row.says_in_service();
            changes.extend(sent.changes(row.values_mut(), person, in_service));
            for c in changes.iter_mut().filter(|c| c.field == Field::LeadId) {
                c.old = named(live, &c.old);
                c.new = named(live, &c.new);
            }
            if changes.is_empty() {
                Action::Unchanged
            } else {
                let unknown = unknown_before(row.values(), &changes, sent, live);
                changes.extend(unknown);
                Action::Update(changes)
            }
        }
    })
}

/// An update sends every value of its row: those in columns the listing does not show and bgy
/// has not sent (so not compared, as [`Sent::compares`] says), as changes from a value nobody
/// knows. A card the sheet gave went unsaid in the plan of an update, and was sent.
fn unknown_before(sheet: &StaffRecord, said: &[Change], sent: &Sent, live: &Live) -> Vec<Change> {
    let unsaid = |f: Field| !is_listed(f) && !said.iter().any(|c| c.field == f);
    sheet
        .iter()
        .filter(|&(f, _)| unsaid(f) && !sent.compares(sheet, f))
        .map(|(field, new)| Change {
            field,
            old: UNKNOWN.to_string(),
            new: match field {
                Field::LeadId => named(live, new),
                _ => field.shown(new),
            },
        })
        .collect()
}

/// An account as a plan shows it (a leader, someone to delete or mark), with the name the
/// directory has for it: [`leader_shown`].
fn named(live: &Live, account: &str) -> String {
    leader_shown(
        account,
        live.person(account).and_then(|p| p.get(Field::WeName)),
    )
}

/// `wanglei_a (王磊)`, as a plan names its target (two 王磊 told apart by department differ by
/// the account alone); the account alone without a `name` (a leader the same sync creates).
/// Never `王磊 (wanglei_a)`: the console would take that for a text in Chinese and English
/// ([`crate::text::bilingual`]) and show one half.
fn leader_shown(account: &str, name: Option<&str>) -> String {
    match name {
        Some(name) if !account.is_empty() => target(account, name),
        _ => account.to_string(),
    }
}

impl Plan {
    /// The plan of `table` against `live` whose rows do `actions` (one a row, from
    /// [`action`]); `prune` lists the server's accounts missing from the sheet (any row naming
    /// an account, valid or not, keeps it) and not `kept` (`bgy.toml`'s `[prune]`) to delete,
    /// or to mark as leavers unless `has_left` says they are already.
    pub fn of(
        actions: Vec<Option<Action>>,
        table: &Table,
        live: &Live,
        prune: PruneMode,
        has_left: impl Fn(&StaffRecord) -> bool,
        kept: impl Fn(&StaffRecord) -> bool,
    ) -> Plan {
        let (mut missing, mut spared) = (Vec::new(), 0);
        if prune.any() {
            let unnamed = (live.staff.iter()).filter(|s| !table.accounts.contains(s.account()));
            for s in unnamed {
                match kept(s) {
                    true => spared += 1,
                    false => missing.push(s),
                }
            }
        }
        let missing = || missing.iter().copied();
        let (prune, leave) = match prune {
            PruneMode::None => (Vec::new(), Vec::new()),
            PruneMode::Delete => (
                missing().map(|s| s.account().to_string()).collect(),
                Vec::new(),
            ),
            PruneMode::Leave => (
                Vec::new(),
                missing()
                    .filter(|s| !has_left(s))
                    .map(|s| s.account().to_string())
                    .collect(),
            ),
        };
        let targets = (table.rows.iter().zip(&actions))
            .map(|(row, action)| {
                matches!(action, Some(Action::Create | Action::Update(_))).then(|| {
                    let name = row.values().get(Field::WeName).unwrap_or("");
                    target(row.account(), name).into_boxed_str()
                })
            })
            .collect();
        Plan {
            actions,
            prune,
            leave,
            kept: spared,
            targets,
        }
    }
}

/// Planned counts: (create, update, unchanged, delete).
impl Plan {
    pub fn counts(&self) -> StaffCounts {
        let count = |f: fn(&Action) -> bool| self.actions.iter().flatten().filter(|a| f(a)).count();
        StaffCounts {
            create: count(|a| *a == Action::Create),
            update: count(|a| matches!(a, Action::Update(_))),
            unchanged: count(|a| *a == Action::Unchanged),
            delete: self.prune.len(),
            leave: self.leave.len(),
            conflicts: 0,
        }
    }

    /// How many lines [`Plan::lines`] makes.
    pub fn line_count(&self) -> usize {
        let rows: usize = (self.actions.iter().flatten())
            .map(|a| match a {
                Action::Create => 1,
                Action::Update(changes) => changes.len(),
                Action::Unchanged => 0,
            })
            .sum();
        rows + self.prune.len() + self.leave.len()
    }

    /// The first `n` of the people the sheet does not name that it deletes or marks as leavers,
    /// as its lines name them (`wanglei (王磊)`): who a person approving it should look at.
    pub fn leaving(&self, live: &Live, n: usize) -> Vec<String> {
        (self.prune.iter().chain(&self.leave))
            .take(n)
            .map(|account| named(live, account))
            .collect()
    }

    /// The Plan sheet's lines, made one row at a time: one per create, one per changed field,
    /// one per deletion, one per leaver.
    pub fn lines<'s>(
        &'s self,
        table: &'s Table,
        live: &'s Live,
    ) -> impl Iterator<Item = PlanLine> + 's {
        let rows = (table.rows.iter().zip(&self.actions).zip(&self.targets))
            .flat_map(|((row, action), target)| row_lines(row, action.as_ref(), target));
        let prunes = self.prune.iter().map(move |account| PlanLine {
            action: "删除 (delete)".into(),
            target: named(live, account),
            field: String::new(),
            old: String::new(),
            new: String::new(),
        });
        let leavers = self.leave.iter().map(move |account| PlanLine {
            action: "标记离职 (mark as leaver)".into(),
            target: named(live, account),
            field: format!("{} status", Field::Status.label()),
            old: String::new(),
            new: LEFT.into(),
        });
        rows.chain(prunes).chain(leavers)
    }
}

/// A Plan line's 对象 Target: "account (name)".
pub fn target(account: &str, name: &str) -> String {
    format!("{account} ({name})")
}

/// A row's lines in the Plan sheet: its create, or one per field it changes.
fn row_lines(row: &Row, action: Option<&Action>, target: &Option<Box<str>>) -> Vec<PlanLine> {
    let target = || target.as_deref().unwrap_or_default().to_string();
    match action {
        Some(Action::Create) => vec![PlanLine {
            action: "新增 (create)".into(),
            target: target(),
            field: String::new(),
            old: String::new(),
            new: format!("第 {} 行 (row {})", row.source_row, row.source_row),
        }],
        Some(Action::Update(changes)) => {
            let target = target();
            (changes.iter())
                .map(|c| PlanLine {
                    action: "更新 (update)".into(),
                    target: target.clone(),
                    field: format!("{} {}", c.field.label(), c.field.key()),
                    old: c.old.clone(),
                    new: c.new.clone(),
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A leader shown in a plan keeps both its account and its name in the console, which
    /// shows one half of a `中文 (English)` text.
    #[test]
    fn a_leader_is_shown_with_the_name_after_the_account() {
        let shown = leader_shown("wanglei_a", Some("王磊"));
        assert_eq!(shown, "wanglei_a (王磊)");
        assert_eq!(crate::text::bilingual(&shown), None);
        assert_eq!(leader_shown("newcomer", None), "newcomer");
        assert_eq!(leader_shown("", Some("王磊")), "");
    }

    fn record(fields: &[(Field, &str)]) -> StaffRecord {
        let mut r = StaffRecord::new();
        for (field, value) in fields {
            r.put(*field, value);
        }
        r
    }

    #[test]
    fn an_unlisted_column_is_compared_with_what_bgy_sent_and_a_card_is_masked() {
        let was = record(&[(Field::LeadId, "ls"), (Field::BankCard, "6222020200112233")]);
        let sent = Sent::new(Vec::new(), Vec::new(), false, "2026-12-02")
            .with_values(vec![("zs".into(), was)]);
        let live = record(&[(Field::WeUserid, "ZS")]);
        let mut sheet = record(&[
            (Field::WeUserid, "ZS"),
            (Field::LeadId, "LS"),
            (Field::BankCard, "6222020200119988"),
            (Field::CheckId, "7"),
        ]);
        let changes = sent.changes(&mut sheet, &live, false);
        assert_eq!(
            changes,
            [Change {
                field: Field::BankCard,
                old: "**** 2233".into(),
                new: "**** 9988".into(),
            }]
        );
        assert!(sent.compares(&sheet, Field::LeadId));
        assert!(!sent.compares(&sheet, Field::CheckId));
        // Another card with the same last four digits.
        sheet.put(Field::BankCard, "6222029999992233");
        let changes = sent.changes(&mut sheet, &live, false);
        assert_eq!(changes[0].old, "**** 2233");
        assert_eq!(changes[0].new, "**** 2233 (另一张卡 another card)");
    }

    #[test]
    fn a_returns_back_time_is_said_once_though_bgy_sent_one_before() {
        let sent = Sent::new(
            Vec::new(),
            vec![("zs".into(), Some("1".into()))],
            true,
            "2026-12-02",
        )
        .with_values(vec![(
            "zs".into(),
            record(&[(Field::BackTime, "2025-01-02")]),
        )]);
        let live = record(&[(Field::WeUserid, "zs"), (Field::QuiteTime, "2026-11-30")]);
        let mut sheet = record(&[(Field::WeUserid, "zs"), (Field::WeName, "张三")]);
        let changes = sent.changes(&mut sheet, &live, false);
        let fields: Vec<Field> = changes.iter().map(|c| c.field).collect();
        assert_eq!(fields, [Field::Status, Field::BackTime], "{changes:?}");
        assert_eq!(changes[1].new, TODAY);
        assert_eq!(sheet.get(Field::BackTime), Some("2026-12-02"));
    }
}
