//! A 直接上级 given as a person's name, as HR systems export it (钉钉's 直属主管, the 直接上级
//! of a roster), found as the account the API takes: first among the sheet's own people,
//! then in the directory ([`crate::live`]). Several people by that name are told apart by the
//! row's department: the one who sits in it, else in the nearest department above it
//! ([`crate::model::tree::nearest`]), the sheet's own people by the 部门 their rows give. A
//! name that names nobody, or several people no department tells apart, is an error once the
//! directory has been looked at too: a leader guessed wrong would be sent.

use std::borrow::Cow;
use std::sync::OnceLock;

use foldhash::HashMap;

use super::{fields::is_account, problem, rule, Hashed, Issue, KeyHash, Row};
use crate::model::tree::{self, Placement};
use crate::model::{AccountKey, Field};

/// What makes two names the same: no spaces (`张 三`, a full-width space), no letter case.
/// Made only when the name is not already its key (a Chinese name is).
pub fn name_key(name: &str) -> Cow<'_, str> {
    match name.chars().any(|c| c.is_whitespace() || c.is_uppercase()) {
        true => Cow::Owned(
            name.chars()
                .filter(|c| !c.is_whitespace())
                .flat_map(char::to_lowercase)
                .collect(),
        ),
        false => Cow::Borrowed(name),
    }
}

/// A row's 直接上级 is a name, not an account (validation lets either through).
pub fn is_name(lead: &str) -> bool {
    !is_account(lead)
}

/// A 直接上级 written as many HR systems write a person, the name with an account in brackets
/// (`林超俊(wang0002)`, or in full-width ones): the name and the account. The brackets may hold
/// HR's own number instead: they are the leader's account only when the person of that account
/// has the name; an account of somebody else is an error ([`not_theirs`]), one nobody has is
/// taken for such a number, and the leader is looked for by the name alone.
pub fn bracketed(lead: &str) -> Option<(&str, &str)> {
    let inside = lead.strip_suffix([')', '）'])?;
    let (name, account) = inside.split_at(inside.rfind(['(', '（'])?);
    let (name, account) = (name.trim(), account.trim_start_matches(['(', '（']).trim());
    (!name.is_empty() && is_account(account)).then_some((name, account))
}

/// The name a 直接上级 gives: all of it, or the name before an account in brackets.
pub fn name_of(lead: &str) -> &str {
    bracketed(lead).map_or(lead, |(name, _)| name)
}

/// Two names are one person's ([`name_key`]).
pub fn same_name(a: &str, b: &str) -> bool {
    name_key(a) == name_key(b)
}

/// Who in a list of people a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found<T> {
    Nobody,
    One(T),
    /// Several people, the first two of them.
    Several(T, T),
}

impl<T> Found<T> {
    /// The same finding of another kind of person.
    pub fn map<U>(self, f: impl Fn(T) -> U) -> Found<U> {
        match self {
            Found::Nobody => Found::Nobody,
            Found::One(a) => Found::One(f(a)),
            Found::Several(a, b) => Found::Several(f(a), f(b)),
        }
    }

    /// Who the name is once `next` has it too, unless `next` is `same` as the one found.
    pub fn and(self, next: T, same: impl Fn(&T, &T) -> bool) -> Found<T> {
        match self {
            Found::Nobody => Found::One(next),
            Found::One(first) if same(&first, &next) => Found::One(first),
            Found::One(first) => Found::Several(first, next),
            several => several,
        }
    }
}

/// The sheet's people by name, gathered as the rows are validated, for the rows whose
/// 直接上级 is a name. Kept only for a sheet with a 直接上级 column, as each person's name,
/// account copied and where its 部门 is, ~40 bytes a row (each 部门 is copied once):
/// the names are hashed and sorted only when some row gives
/// its leader by name (a sheet of accounts pays for the copies alone). Kept past the read
/// ([`super::FileAccounts::names`]) when some 直接上级 is an account's spelling (online, one
/// that nobody has as an account may be a name: `Tom`), or when namesakes wait for the
/// directory's tree ([`SheetNames::decide`]).
#[derive(Debug, Clone)]
pub struct SheetNames {
    people: Vec<Person>,
    /// Every person's name and account, one after the other, and each 部门 the first time a
    /// row gives it.
    text: String,
    /// Where the last 部门 is in `text`.
    last_dept: Span,
    /// Where each 部门 given is in `text`, by its hash, up to [`DEPTS_KEPT`] of them: a
    /// directory's rows name a few hundred departments, in no order (an export lists people
    /// as they were added), and each copied again for every row held ~5 MB more at 100,000 rows.
    depts: HashMap<Hashed, Span>,
    /// The rows whose 直接上级 is a name.
    named: Vec<Named>,
    /// The rows whose leader's name several people of the sheet have, none of them in the
    /// row's 部门 or above it as the rows spell them (`后端组` is under `研发部` only in the
    /// directory's tree): their index, the name and where their 部门 is in `text`, for
    /// [`SheetNames::decide`] once the directory completes the paths.
    undecided: Vec<(u32, Box<str>, Span)>,
    /// Some 直接上级 is spelled as an account, or gives in brackets an account the sheet does
    /// not have (both are looked for in the directory).
    accounts_led: bool,
    hash: KeyHash,
    /// Each person's name hashed, with their index in `people`: by name, then in the sheet's
    /// order. Made the first time a name is looked for.
    by_name: OnceLock<Vec<(Hashed, u32)>>,
    /// Each person's account hashed (letter case aside), with their index in `people`, sorted.
    /// Made the first time a 直接上级 gives an account in brackets ([`bracketed`]).
    by_account: OnceLock<Vec<(Hashed, u32)>>,
    /// Who of the people read so far has each name, once some row gives its leader by name:
    /// a row's leader found among the people before it is the guess its report row is
    /// written with as it is read. The guess holds unless a later row has the name too.
    so_far: Option<HashMap<Hashed, Found<u32>>>,
}

/// The most 部门 texts [`SheetNames`] finds again by their hash: past them (a sheet whose every
/// row has a 部门 of its own) each is copied as it comes, without a map that grows as well.
const DEPTS_KEPT: usize = 4096;

/// A person of the sheet: its row in the sheet, and where its name, account and 部门 are in
/// [`SheetNames::text`] (the name from `start` to `mid`, the account from there to `end`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Person {
    source_row: u32,
    start: u32,
    mid: u32,
    end: u32,
    dept: Span,
}

/// Where a text is in [`SheetNames::text`], from `.0` to `.1`; empty for none.
type Span = (u32, u32);

/// A row whose 直接上级 is a name: its index, the name, where its 部门 is in
/// [`SheetNames::text`], whether it was given the leader found among the people before it
/// ([`SheetNames::so_far`]), and whether the name is the row's own ([`own_name`]).
#[derive(Debug, Clone)]
struct Named {
    i: u32,
    lead: Box<str>,
    dept: Span,
    guessed: bool,
    own: bool,
}

impl SheetNames {
    pub(super) fn new() -> SheetNames {
        SheetNames {
            people: Vec::new(),
            text: String::new(),
            last_dept: (0, 0),
            depts: HashMap::default(),
            named: Vec::new(),
            undecided: Vec::new(),
            accounts_led: false,
            hash: KeyHash::random(),
            by_name: OnceLock::new(),
            by_account: OnceLock::new(),
            so_far: None,
        }
    }

    /// Row `i`, in order: its name and account, and its 直接上级 when that is a name. Such a
    /// row is given the warning of the one person before it by that name, if there is one:
    /// the guess a report streamed as the rows are read writes ([`SheetNames::finish`]
    /// takes it back when a later row has the name too).
    pub(super) fn add(&mut self, i: u32, row: &mut Row) {
        let dept = self.dept(row.values().get(Field::WeDepartment));
        match row.values().get(Field::LeadId) {
            Some(lead) if is_name(lead) => {
                let lead: Box<str> = lead.into();
                // A name with an account in brackets is no guess: the account may be a later
                // row's.
                let guess = (bracketed(&lead).is_none())
                    .then(|| self.so_far(&lead, row.source_row))
                    .flatten()
                    .map(|p| {
                        let issue = found_in_file(&lead, self.account(&p), p.source_row);
                        row.issues.push(issue);
                    });
                let own = own_name(&lead, row.values().get(Field::WeName));
                self.named.push(Named {
                    i,
                    lead,
                    dept,
                    guessed: guess.is_some(),
                    own,
                });
            }
            Some(_) => self.accounts_led = true,
            None => {}
        }
        let values = row.values();
        let (Some(name), Some(account)) = (values.get(Field::WeName), values.get(Field::WeUserid))
        else {
            return;
        };
        if !is_account(account) {
            return;
        }
        let start = self.text.len();
        self.text.push_str(name);
        let mid = self.text.len();
        self.text.push_str(account);
        let at = |n: usize| u32::try_from(n).ok();
        if let (Some(start), Some(mid), Some(end)) = (at(start), at(mid), at(self.text.len())) {
            let person = Person {
                source_row: row.source_row,
                start,
                mid,
                end,
                dept,
            };
            self.people.push(person);
            if self.so_far.is_some() {
                self.seen(person, self.people.len() as u32 - 1);
            }
        }
    }

    /// The one person of the rows read so far called `lead`, but the person of row `except`
    /// (the row that asks). The people read are gathered the first time a name is asked.
    fn so_far(&mut self, lead: &str, except: u32) -> Option<Person> {
        if self.so_far.is_none() {
            self.so_far = Some(HashMap::default());
            for (k, p) in (0..).zip(self.people.clone()) {
                self.seen(p, k);
            }
        }
        let key = self.hash.of(&name_key(lead));
        match self.so_far.as_ref()?.get(&key)? {
            Found::One(k) => Some(self.people[*k as usize]).filter(|p| p.source_row != except),
            _ => None,
        }
    }

    /// Person `p`, `k` in `people`, read: in [`SheetNames::so_far`].
    fn seen(&mut self, p: Person, k: u32) {
        let key = self.hash.of(&name_key(self.name(&p)));
        let (people, text) = (&self.people, &self.text);
        let account = |k: &u32| account_in(text, &people[*k as usize]);
        if let Some(so_far) = &mut self.so_far {
            let found = so_far.entry(key).or_insert(Found::Nobody);
            *found = found.and(k, |a, b| same_account(account(a), account(b)));
        }
    }

    /// Where the row's 部门 `paths` is in `text`: the last one's place when it is the same,
    /// else where it was first copied, else copied now.
    fn dept(&mut self, paths: Option<&str>) -> Span {
        let paths = paths.unwrap_or_default();
        if paths == self.text(self.last_dept) {
            return self.last_dept;
        }
        let key = self.hash.of(paths);
        self.last_dept = match self.depts.get(&key) {
            Some(&span) if self.text(span) == paths => span,
            _ => {
                let start = self.text.len();
                self.text.push_str(paths);
                let at = |n: usize| u32::try_from(n).ok();
                let span = match (at(start), at(self.text.len())) {
                    (Some(start), Some(end)) => (start, end),
                    _ => (0, 0),
                };
                if self.depts.len() < DEPTS_KEPT {
                    self.depts.insert(key, span);
                }
                span
            }
        };
        self.last_dept
    }

    fn text(&self, (start, end): Span) -> &str {
        &self.text[start as usize..end as usize]
    }

    fn name(&self, p: &Person) -> &str {
        &self.text[p.start as usize..p.mid as usize]
    }

    fn account(&self, p: &Person) -> &str {
        account_in(&self.text, p)
    }

    /// Each row whose leader is a name: the account of the one person of the sheet by that
    /// name, with a warning that says so (given already when that person was before the row:
    /// [`SheetNames::add`]'s guess, else taken back); the one [`SheetNames::nearest`] by
    /// department where several are, else an error; where nobody is, a warning that the
    /// directory will be asked (an online check asks it, and takes the warning back:
    /// [`rule::LEADER_NOT_IN_FILE`]). Whether the names are still wanted after the read (some leader is
    /// spelled as an account, or some namesakes wait for the directory's tree:
    /// [`SheetNames::decide`]).
    pub(super) fn finish(&mut self, rows: &mut [Row]) -> bool {
        for Named {
            i,
            lead,
            dept,
            guessed,
            own,
        } in std::mem::take(&mut self.named)
        {
            let row = &mut rows[i as usize];
            if let Some((name, account)) = bracketed(&lead) {
                // The row's own account is taken as the account alone would be.
                match self.with_account(account) {
                    Some((theirs, account, _)) if same_name(theirs, name) => {
                        if !row.values_gone {
                            row.values_mut().put(Field::LeadId, account);
                        }
                    }
                    Some((theirs, account, at)) => row.issues.push(not_theirs(
                        &lead,
                        (account, theirs),
                        (
                            &format!("本文件第 {at} 行"),
                            &format!("(row {at} of this file)"),
                        ),
                    )),
                    None => {
                        self.accounts_led = true;
                        row.issues.push(account_not_in_file(&lead, (name, account)));
                    }
                }
                continue;
            }
            let named = self.named(&lead, row.source_row);
            if guessed {
                // The guess stands when nobody after has the name: the one before is the one,
                // its warning given already.
                if let Found::One((account, _)) = named {
                    if !row.values_gone {
                        row.values_mut().put(Field::LeadId, account);
                    }
                    continue;
                }
                row.issues.retain(|i| {
                    !(i.reason == rule::LEADER_BY_NAME && i.field == Some(Field::LeadId))
                });
            }
            let found = match named {
                Found::One((account, at)) => Ok((account, found_in_file(&lead, account, at))),
                Found::Several((_, a), (_, b)) => {
                    let paths = self.text(dept);
                    match self.nearest(&lead, row.source_row, paths, &mut Cow::Borrowed) {
                        Some((account, at, dept)) => {
                            Ok((account, found_near(&lead, account, (&dept, Some(at)))))
                        }
                        None => {
                            self.undecided.push((i, lead.clone(), dept));
                            Err(several(
                                &lead,
                                ("本文件", format!("第 {a}、{b} 行")),
                                ("this file", format!("rows {a}, {b}")),
                            ))
                        }
                    }
                }
                Found::Nobody if own => Err(only_own_in_file(&lead)),
                Found::Nobody => Err(not_in_file(&lead)),
            };
            let issue = match found {
                Ok((account, issue)) => {
                    if !row.values_gone {
                        row.values_mut().put(Field::LeadId, account);
                    }
                    issue
                }
                Err(issue) => issue,
            };
            row.issues.push(issue);
        }
        self.accounts_led || !self.undecided.is_empty()
    }

    /// The rows whose leader several people of the sheet are called, none in the row's 部门
    /// or above it as the rows spell them, told apart again with each 部门 `complete`d (as
    /// the directory's tree completes `一线支持` to `办公逸/客服部/一线支持`, where the sheet
    /// gives each person's own department only, as HR systems export it): the one found is
    /// the row's leader, with a warning that says so, in place of the row's error.
    pub fn decide(&self, rows: &mut [Row], complete: &mut dyn FnMut(&str) -> String) {
        for (i, lead, dept) in &self.undecided {
            let Some(row) = rows.get_mut(*i as usize) else {
                continue;
            };
            let still = |issue: &Issue| {
                issue.reason == rule::LEADER_SEVERAL && issue.field == Some(Field::LeadId)
            };
            if !row.issues.iter().any(still) {
                continue;
            }
            let paths = complete(self.text(*dept));
            let mut complete = |d: &str| Cow::Owned(complete(d));
            let found = self.nearest(lead, row.source_row, &paths, &mut complete);
            let Some((account, at, dept)) = found else {
                continue;
            };
            row.issues.retain(|i| !still(i));
            if !row.values_gone {
                row.values_mut().put(Field::LeadId, account);
            }
            row.issues
                .push(found_near(lead, account, (&dept, Some(at))));
        }
    }

    /// The people of the sheet called `lead`: their accounts and rows in the sheet, but for the
    /// person of row `except` (the row that asks: nobody leads themselves). People of one
    /// account (a row twice, an error of its own) are one.
    pub fn named(&self, lead: &str, except: u32) -> Found<(&str, u32)> {
        let mut found = Found::Nobody;
        for p in self.called(lead, except) {
            let person = (self.account(p), p.source_row);
            found = found.and(person, |a, b| same_account(a.0, b.0));
            // Two are several, however many more there are (a 姓名 dragged down 20,000 rows).
            if let Found::Several(..) = found {
                break;
            }
        }
        found
    }

    /// Of the people of the sheet called `lead` but the person of row `except`, the one a row
    /// in department `paths` reports to ([`tree::nearest`]), by the 部门 of their rows, each as
    /// `complete` gives it (as written, or completed by the directory's tree): the account,
    /// its row and that department.
    fn nearest<'s>(
        &'s self,
        lead: &str,
        except: u32,
        paths: &str,
        complete: &mut dyn FnMut(&'s str) -> Cow<'s, str>,
    ) -> Option<(&'s str, u32, String)> {
        // One more than are told apart: enough for tree::nearest to tell there are too many.
        let people: Vec<(&Person, Cow<str>)> = (self.called(lead, except))
            .take(tree::NAMESAKES_TOLD_APART + 1)
            .map(|p| (p, complete(self.text(p.dept))))
            .collect();
        let candidates = (people.iter()).map(|(p, dept)| {
            (
                *p,
                Placement::new(None, Some(&**dept).filter(|d| !d.is_empty())),
            )
        });
        let row = Placement::new(None, Some(paths).filter(|p| !p.is_empty()));
        let (p, dept) = tree::nearest(&row, candidates)?;
        Some((self.account(p), p.source_row, dept.to_string()))
    }

    /// The (first) person of the sheet whose account is `account`: their name, account and
    /// row.
    fn with_account(&self, account: &str) -> Option<(&str, &str, u32)> {
        let key = |account: &str| self.hash.of(&AccountKey::text(account));
        let by_account =
            (self.by_account).get_or_init(|| index_by(&self.people, |p| key(self.account(p))));
        let k = under(by_account, key(account)).next()?;
        let p = &self.people[k as usize];
        Some((self.name(p), self.account(p), p.source_row))
    }

    /// The people of the sheet called `lead` (its name: [`name_of`]), in the sheet's order,
    /// but the person of row `except`.
    fn called(&self, lead: &str, except: u32) -> impl Iterator<Item = &Person> {
        let key = |name: &str| self.hash.of(&name_key(name));
        let by_name = (self.by_name).get_or_init(|| index_by(&self.people, |p| key(self.name(p))));
        under(by_name, key(name_of(lead)))
            .map(|k| &self.people[k as usize])
            .filter(move |p| p.source_row != except)
    }
}

/// Each of `people`'s `key`, with their index, sorted: by key, then in the sheet's order.
fn index_by(people: &[Person], key: impl Fn(&Person) -> Hashed) -> Vec<(Hashed, u32)> {
    let mut index: Vec<(Hashed, u32)> = people.iter().zip(0..).map(|(p, k)| (key(p), k)).collect();
    index.sort_unstable();
    index
}

/// The indexes `index` ([`index_by`]) has under `key`, in order.
fn under(index: &[(Hashed, u32)], key: Hashed) -> impl Iterator<Item = u32> + '_ {
    let from = index.partition_point(|(h, _)| *h < key);
    (index[from..].iter())
        .take_while(move |(h, _)| *h == key)
        .map(|&(_, k)| k)
}

/// Where person `p`'s account is in [`SheetNames::text`].
fn account_in<'t>(text: &'t str, p: &Person) -> &'t str {
    &text[p.mid as usize..p.end as usize]
}

fn same_account(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn not_in_file(lead: &str) -> Issue {
    Issue::warning(
        Some(Field::LeadId),
        problem(
            rule::LEADER_NOT_IN_FILE,
            format!("直接上级“{lead}”不是帐号,本文件中也没有叫这个名字的人:联网检查和导入时在通讯录中按姓名查找,找不到则该行失败"),
            format!("leader \"{lead}\" is not an account, and nobody in this file has that name: a check online or an import looks for the name in the directory, and fails the row if it is not there"),
        ),
    )
}

/// A 直接上级 whose name ([`name_of`]) is the row's own `name`: looked for among the others
/// only (nobody is found as their own leader by name).
pub fn own_name(lead: &str, name: Option<&str>) -> bool {
    name.is_some_and(|name| same_name(name, name_of(lead)))
}

/// The warning of a leader's name that only the row's own person has in the sheet.
fn only_own_in_file(lead: &str) -> Issue {
    Issue::warning(
        Some(Field::LeadId),
        problem(
            rule::LEADER_NOT_IN_FILE,
            format!("直接上级“{lead}”是本行本人的姓名,本文件中没有别人叫这个名字:联网检查和导入时在通讯录中找别人,找不到则该行失败(按姓名找上级时不算本人)"),
            format!("leader \"{lead}\" is this row's own name, and nobody else in this file has it: a check online or an import looks for someone else of that name in the directory, and fails the row if there is nobody (a leader given by name is never the person themselves)"),
        ),
    )
}

/// The error of a leader's name that nobody but the row's own person has, in the sheet or
/// the directory.
pub fn only_own(lead: &str) -> Issue {
    Issue::error(
        Some(Field::LeadId),
        problem(
            rule::LEADER_NOT_FOUND,
            format!("直接上级“{lead}”是本行本人的姓名,本文件和通讯录中没有别人叫这个名字(按姓名找上级时不算本人):请填写上级的帐号或姓名;没有上级则留空"),
            format!("leader \"{lead}\" is this row's own name, and nobody else in this file or the directory has it (a leader given by name is never the person themselves): give the leader's account or name, or leave it empty"),
        ),
    )
}

/// The warning of a leader's name whose account in brackets nobody in the sheet has: a check
/// online or an import looks for it in the directory ([`rule::LEADER_NOT_IN_FILE`]).
fn account_not_in_file(lead: &str, (name, account): (&str, &str)) -> Issue {
    Issue::warning(
        Some(Field::LeadId),
        problem(
            rule::LEADER_NOT_IN_FILE,
            format!("直接上级“{lead}”:本文件中没有帐号 {account}。联网检查和导入时在通讯录中找这个帐号(须是{name}本人);通讯录中也没有,则把括号中的当作工号,按姓名“{name}”查找"),
            format!("leader \"{lead}\": nobody in this file has account {account}. A check online or an import looks for the account in the directory (it must be {name}'s); if nobody has it there either, the brackets are taken for an HR number and the name \"{name}\" is looked for"),
        ),
    )
}

/// The error of a leader's name with an account in brackets ([`bracketed`]) that is
/// somebody else's: the account, whose it is, and where (Chinese, English).
pub fn not_theirs(lead: &str, (account, theirs): (&str, &str), (zh, en): (&str, &str)) -> Issue {
    let name = name_of(lead);
    Issue::error(
        Some(Field::LeadId),
        problem(
            rule::LEADER_ACCOUNT_ELSEWHERE,
            format!("直接上级“{lead}”:帐号 {account} 是{zh}的“{theirs}”,不是“{name}”。请核对后只填上级的帐号"),
            format!("leader \"{lead}\": account {account} is \"{theirs}\" {en}, not \"{name}\"; check it and give the leader's account alone"),
        ),
    )
}

/// While the sheet is read: `row`'s leader is the one person of the rows before it by that
/// name ([`SheetNames::add`]'s guess, its only warning of a leader found by name until the
/// read ends).
pub fn guessed(row: &Row) -> bool {
    (row.issues.iter()).any(|i| i.reason == rule::LEADER_BY_NAME && i.field == Some(Field::LeadId))
}

/// The warning of a leader's name found among the sheet's people, at row `at`.
pub fn found_in_file(lead: &str, account: &str, at: u32) -> Issue {
    Issue::warning(
        Some(Field::LeadId),
        problem(
            rule::LEADER_BY_NAME,
            format!("直接上级“{lead}”按姓名是本文件第 {at} 行的帐号 {account}"),
            format!("leader \"{lead}\", by name, is account {account} (row {at} of this file)"),
        ),
    )
}

/// The warning of a leader's name found in the directory.
pub fn found_in_directory(lead: &str, account: &str) -> Issue {
    Issue::warning(
        Some(Field::LeadId),
        problem(
            rule::LEADER_BY_NAME,
            format!("直接上级“{lead}”按姓名是通讯录中的帐号 {account}"),
            format!("leader \"{lead}\", by name, is account {account} in the directory"),
        ),
    )
}

/// The warning of a leader's name that several people of the directory (or of the sheet, the
/// one taken at row `at`) have, told apart by the row's department: the one in `dept`, the
/// row's own or the nearest above it.
pub fn found_near(lead: &str, account: &str, (dept, at): (&str, Option<u32>)) -> Issue {
    let (zh, en) = match at {
        Some(at) => (
            ("本文件", format!("第 {at} 行;")),
            ("this file", format!(" (row {at})")),
        ),
        None => (("通讯录", String::new()), ("the directory", String::new())),
    };
    Issue::warning(
        Some(Field::LeadId),
        problem(
            rule::LEADER_BY_NAME_AND_DEPARTMENT,
            format!("{}中不止一人叫“{lead}”:按部门取 {dept} 的帐号 {account}({}本行所在部门或其上级部门);不对请填写帐号", zh.0, zh.1),
            format!("more than one person in {} is named \"{lead}\": account {account}{}, in {dept} (this row's department or one above it), is taken; give the account if that is wrong", en.0, en.1),
        ),
    )
}

/// The error of a leader's name that several people have: where (the file, the directory)
/// and who (the first two), in Chinese and in English.
pub fn several(lead: &str, zh: (&str, String), en: (&str, String)) -> Issue {
    Issue::error(
        Some(Field::LeadId),
        problem(
            rule::LEADER_SEVERAL,
            format!("直接上级“{lead}”在{}中不止一人同名(如{}):请填写其帐号", zh.0, zh.1),
            format!(
                "more than one person in {} is named \"{lead}\" (such as {}): give the leader's account",
                en.0, en.1
            ),
        ),
    )
}

/// The error of a leader's name that nobody in the file or the directory has.
pub fn nobody(lead: &str) -> Issue {
    Issue::error(
        Some(Field::LeadId),
        problem(
            rule::LEADER_NOT_FOUND,
            format!("直接上级“{lead}”不是帐号(字母、数字和 _ - . @),也不是本文件或通讯录中任何人的姓名"),
            format!("leader \"{lead}\" is neither an account (letters, digits, _ - . @) nor the name of anyone in this file or the directory"),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use thin_vec::ThinVec;

    #[test]
    fn names_are_the_same_but_for_spaces_and_letter_case() {
        for (a, b) in [
            ("张三", "张 三"),
            ("张三", "张\u{3000}三"),
            ("Li Lei", "lilei"),
        ] {
            assert_eq!(name_key(a), name_key(b), "{a:?} {b:?}");
        }
        assert_ne!(name_key("张三"), name_key("张叁"));
        // A name that is its key already is not copied.
        assert!(matches!(name_key("张三"), Cow::Borrowed(_)));
    }

    #[test]
    fn an_account_is_no_name() {
        assert!(!is_name("zhangsan"));
        assert!(!is_name("li.lei@example.com"));
        assert!(is_name("张三"));
        assert!(is_name("Li Lei"));
    }

    #[test]
    fn a_name_with_an_account_in_brackets_is_told_apart() {
        for (lead, parts) in [
            ("林超俊(wang0002)", Some(("林超俊", "wang0002"))),
            ("林超俊 （ wang0002 ）", Some(("林超俊", "wang0002"))),
            ("Li Lei(10086)", Some(("Li Lei", "10086"))),
            ("张三(销售)", None),
            ("(wang0002)", None),
            ("林超俊(wang0002)副总", None),
            ("林超俊", None),
        ] {
            assert_eq!(bracketed(lead), parts, "{lead}");
        }
        assert_eq!(name_of("林超俊(wang0002)"), "林超俊");
        assert_eq!(name_of("张三(销售)"), "张三(销售)");
    }

    /// A sheet row: its name, account, 部门, and 直接上级 if any.
    fn row(at: u32, (name, account, dept): (&str, &str, &str), lead: Option<&str>) -> Row {
        let mut values = crate::model::record::StaffRecord::new();
        values.put(Field::WeName, name);
        values.put(Field::WeUserid, account);
        values.put(Field::WeDepartment, dept);
        if let Some(lead) = lead {
            values.put(Field::LeadId, lead);
        }
        Row::new(
            at,
            super::super::RawCells::default(),
            values,
            ThinVec::new(),
        )
    }

    #[test]
    fn namesakes_are_told_apart_by_departments_given_again_rows_apart() {
        let (dev, sales) = ("总部/研发部", "总部/销售部");
        let mut rows = vec![
            row(2, ("张三", "zhangsan", dev), None),
            row(3, ("李四", "lisi", sales), None),
            row(4, ("张三", "zhangsan2", sales), None),
            row(5, ("王五", "wangwu", dev), Some("张三")),
            row(6, ("赵六", "zhaoliu", sales), Some("张三")),
            row(7, ("钱七", "qianqi", dev), Some("张三")),
        ];
        let mut names = SheetNames::new();
        for (i, row) in (0..).zip(rows.iter_mut()) {
            names.add(i, row);
        }
        names.finish(&mut rows);
        let leads: Vec<_> = rows.iter().map(|r| r.values().get(Field::LeadId)).collect();
        assert_eq!(
            leads[3..],
            [Some("zhangsan"), Some("zhangsan2"), Some("zhangsan")]
        );
        // Each 部门 is copied once, however often the rows give it again.
        assert_eq!(names.text.matches(dev).count(), 1, "{}", names.text);
        assert_eq!(names.text.matches(sales).count(), 1, "{}", names.text);
    }
}
