//! The live directory (departments and staff as the server lists them) and the online checks
//! against it: every department exists (or will be created),
//! leaders exist, and which accounts are already there. Reads only; never changes anything.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::BTreeSet;

use foldhash::{HashMap, HashMapExt};

use crate::api::{ApiError, Client, Endpoint, Staff, StaffPage};
use crate::events::{phases, Emit, Event, Observer};
use crate::model::tree::{self, DeptTree, Placement, SEPARATORS};
use crate::model::{AccountKey, Field};

use crate::model::StaffRecord;
use crate::remedy::Remedy;
use crate::validate::leaders::{self, Found};
use crate::validate::{
    problem, rule, same_key, FileAccounts, FirstLevel, Hashed, Issue, KeyHash, Row, Severity, Table,
};

/// Lists every department; an incomplete listing is an error.
pub async fn departments(client: &Client) -> Result<DeptTree, ApiError> {
    let list = client
        .departments()
        .await?
        .complete(Endpoint::DepartmentList)?;
    Ok(DeptTree::new(list.into_iter().map(placed).collect()))
}

/// Every department and the first page of everyone, asked for at once: one round trip less
/// before a listing. Both answers are waited for; the departments' error comes first, as when
/// asked for in turn.
pub async fn departments_and_first_page(
    client: &Client,
) -> Result<(DeptTree, StaffPage), ApiError> {
    let (tree, first) = futures::join!(departments(client), client.staff_page(0, false, 1));
    Ok((tree?, first?))
}

/// A listed department as the tree holds it.
fn placed(d: crate::api::Department) -> tree::Department {
    tree::Department {
        we_id: d.we_id,
        we_name: d.we_name,
        we_parentid: d.we_parentid,
        rank: d.rank,
    }
}

/// Lists the people of `we_id` (0: everyone), telling `events` how far it got.
pub async fn staff(
    client: &Client,
    we_id: i64,
    fetch_child: bool,
    events: &dyn Observer,
) -> Result<crate::api::Listing<Staff>, ApiError> {
    client
        .staff_with_progress(we_id, fetch_child, start_listing(events))
        .await
}

/// Starts the staff listing's phase and gives the progress callback of its pages (people
/// listed so far, of the `count` the server gives).
pub fn start_listing(events: &dyn Observer) -> impl Fn(usize, i64) + '_ {
    events.phase(phases::LISTING, 0);
    move |got, count| {
        events.event(Event::Progress {
            done: got as u64,
            total: count.max(0) as u64,
        })
    }
}

/// The live directory: departments and staff.
pub struct Live {
    pub tree: DeptTree,
    /// Everyone listed, each as one record made as their page came (~0.3 KB a person, where
    /// the listing's own records are ~1 KB): their departments' paths are the tree's when
    /// listed; their 部门ID decide.
    pub staff: Vec<StaffRecord>,
    /// Each account's key, hashed → its index in `staff`. A key's text would be a string of
    /// its own, somewhere in the heap: a second cache miss each lookup (a tenth of a plan's
    /// validating thread at 100,000 people).
    by_account: HashMap<Hashed, u32>,
    /// Each name's key ([`leaders::name_key`]), hashed → who has it: made the first time a
    /// row gives its leader by name.
    by_name: std::sync::OnceLock<HashMap<Hashed, Found<u32>>>,
    /// Each name that several people have, hashed → all of them: made the first time a
    /// leader's name is several people's ([`Live::nearest`]).
    namesakes: std::sync::OnceLock<HashMap<Hashed, Vec<u32>>>,
    keys: KeyHash,
    /// The staff listing came back with every record its `count` announced.
    pub complete: bool,
    pub count: i64,
}

impl Live {
    pub async fn fetch(client: &Client, events: &dyn Observer) -> Result<Live, ApiError> {
        let (tree, first) = departments_and_first_page(client).await?;
        let mut staff = Vec::new();
        let mut records = Records::new(&tree);
        let count = client
            .staff_pages_after(first, 0, false, start_listing(events), |page| {
                staff.extend(page.iter().map(|s| records.record(s)));
                true
            })
            .await?;
        let keys = KeyHash::random();
        let by_account = staff
            .iter()
            .enumerate()
            .map(|(i, s)| (keys.of(&AccountKey::text(s.account())), i as u32))
            .collect();
        Ok(Live {
            tree,
            count,
            complete: staff.len() as i64 >= count,
            staff,
            by_account,
            by_name: std::sync::OnceLock::new(),
            namesakes: std::sync::OnceLock::new(),
            keys,
        })
    }

    pub fn person(&self, account: &str) -> Option<&StaffRecord> {
        self.index(account).map(|i| &self.staff[i])
    }

    /// Where `account` is in [`Live::staff`].
    pub fn index(&self, account: &str) -> Option<usize> {
        let key = self.keys.of(&AccountKey::text(account));
        self.by_account.get(&key).map(|&i| i as usize)
    }

    /// The directory has `account`.
    pub fn has(&self, account: &str) -> bool {
        self.person(account).is_some()
    }

    /// Who in the directory is called `name` (spaces and letter case aside), but for account
    /// `except` (a row's own: nobody leads themselves): the accounts.
    pub fn named(&self, name: &str, except: &str) -> Found<&str> {
        let account = |i: u32| self.staff[i as usize].account();
        let key = self.name_hash(name);
        let others = |i: &u32| !account(*i).eq_ignore_ascii_case(except);
        match self.by_name().get(&key) {
            Some(&Found::One(i)) if others(&i) => Found::One(account(i)),
            Some(Found::Several(..)) => (self.namesakes().get(&key).into_iter().flatten())
                .copied()
                .filter(others)
                // Two are several, however many more there are.
                .take(2)
                .fold(Found::Nobody, |found, i| found.and(i, |_, _| false))
                .map(account),
            _ => Found::Nobody,
        }
    }

    /// Each name that several people have, hashed → all of them (made the first time).
    fn namesakes(&self) -> &HashMap<Hashed, Vec<u32>> {
        self.namesakes.get_or_init(|| {
            let by_name = self.by_name();
            let mut namesakes: HashMap<Hashed, Vec<u32>> = HashMap::new();
            for (i, person) in self.staff.iter().enumerate() {
                let key = self.name_hash(person.get(Field::WeName).unwrap_or_default());
                if let Some(Found::Several(..)) = by_name.get(&key) {
                    namesakes.entry(key).or_default().push(i as u32);
                }
            }
            namesakes
        })
    }

    /// Each name's key, hashed → who has it (made the first time it is asked).
    fn by_name(&self) -> &HashMap<Hashed, Found<u32>> {
        self.by_name.get_or_init(|| {
            let mut by_name: HashMap<Hashed, Found<u32>> = HashMap::new();
            for (i, person) in self.staff.iter().enumerate() {
                let name = person.get(Field::WeName).unwrap_or_default();
                if leaders::name_key(name).is_empty() {
                    continue;
                }
                let found = by_name.entry(self.name_hash(name)).or_insert(Found::Nobody);
                // The directory's accounts are its own: no two are one person.
                *found = found.and(i as u32, |_, _| false);
            }
            by_name
        })
    }

    fn name_hash(&self, name: &str) -> Hashed {
        self.keys.of(&leaders::name_key(name))
    }

    /// Of the several people called `name`, the one a row in department `paths` (its 部门,
    /// `;` between paths) reports to, as HR would tell them apart: the one who sits in the
    /// row's department, else in the nearest department above it. With that department's
    /// path; none when nobody of that name sits there, or two sit as near. Account `except`
    /// (the row's own) is none of them.
    pub fn nearest(&self, name: &str, paths: &str, except: &str) -> Option<(&str, &str)> {
        let namesakes = self.namesakes().get(&self.name_hash(name));
        let person = |i: u32| &self.staff[i as usize];
        let candidates = (namesakes.into_iter().flatten().copied())
            .filter(|&i| !person(i).account().eq_ignore_ascii_case(except))
            .map(|i| (i, Placement::new(None, person(i).get(Field::WeDepartment))));
        let row = Placement::new(None, Some(paths));
        let (i, dept) = tree::nearest(&row, candidates)?;
        Some((person(i).account(), dept))
    }
}

/// Of the directory's several people called `lead`, the one `row` reports to by department
/// ([`Live::nearest`]): where the row puts the person, its 部门, else the departments its
/// 部门ID names (a valid row has one of the two).
fn nearest<'a>(row: &Row, lead: &str, live: &'a Live) -> Option<(&'a str, &'a str)> {
    let v = row.values();
    let paths = match v.get(Field::WeDepartment) {
        Some(paths) => Cow::Borrowed(paths),
        None => {
            let ids = Placement::new(v.get(Field::WeId), None).resolve(&live.tree)?;
            Cow::Owned(live.tree.paths(&ids))
        }
    };
    live.nearest(lead, &paths, row.account())
}

/// The issue of a row's leader `lead`, whom the directory does not have as an account, once
/// the whole sheet is read:
/// - an account's spelling the sheet has: none;
/// - a name with an account in brackets ([`leaders::bracketed`]) the sheet does not have: that
///   account when the directory has it as that name's (none), an error when as somebody
///   else's; when nobody has it, the name alone, looked for as below (in the sheet too);
/// - a name ([`leaders`]; the sheet's were found while it was read): the account of the one
///   person in the directory by that name, put into the row, with a warning that says so; an
///   error when several people or nobody has it (the sheet's warning that the directory would
///   be asked is taken back);
/// - an account's spelling nobody has (`Tom`): the account of the one person of the sheet,
///   else of the directory, by that name, with a warning; else a warning that nobody has it
///   (the row is still sent, as the API takes any account there).
fn leader_checked(row: &mut Row, lead: &str, live: &Live, in_file: &FileAccounts) -> Option<Issue> {
    let is_name = leaders::is_name(lead);
    if !is_name && in_file.contains(lead) {
        return None;
    }
    row.issues.retain(|i| i.reason != rule::LEADER_NOT_IN_FILE);
    let bracketed = leaders::bracketed(lead);
    if let Some((name, account)) = bracketed {
        // The row's own account is the sheet's, found as the sheet was read.
        if let Some(p) = live.person(account) {
            let theirs = p.get(Field::WeName).unwrap_or_default();
            if leaders::same_name(theirs, name) {
                row.values_mut().put(Field::LeadId, p.account());
                return None;
            }
            let whose = (p.account(), theirs);
            return Some(leaders::not_theirs(
                lead,
                whose,
                ("通讯录中", "in the directory"),
            ));
        }
    }
    let name = leaders::name_of(lead);
    let in_sheet = match (is_name, &in_file.names) {
        (false, Some(names)) => names.named(lead, row.source_row),
        (true, Some(names)) if bracketed.is_some() => names.named(name, row.source_row),
        _ => Found::Nobody,
    };
    let found = match in_sheet {
        Found::One((account, at)) => Ok((account, leaders::found_in_file(lead, account, at))),
        Found::Several((_, a), (_, b)) if is_name => Err(leaders::several(
            lead,
            ("本文件", format!("第 {a}、{b} 行")),
            ("this file", format!("rows {a}, {b}")),
        )),
        // Not the directory's one of that name when the sheet has several.
        Found::Several((_, a), (_, b)) => Err(not_found(
            lead,
            Some((
                format!("本文件第 {a}、{b} 行"),
                format!("rows {a}, {b} of this file"),
            )),
        )),
        Found::Nobody => match live.named(name, row.account()) {
            Found::One(account) => Ok((account, leaders::found_in_directory(lead, account))),
            Found::Several(a, b) if is_name => match nearest(row, name, live) {
                Some((account, dept)) => {
                    Ok((account, leaders::found_near(lead, account, (dept, None))))
                }
                None => Err(leaders::several(
                    lead,
                    ("通讯录", format!("{a}、{b}")),
                    ("the directory", format!("{a}, {b}")),
                )),
            },
            Found::Several(a, b) => Err(not_found(
                lead,
                Some((
                    format!("通讯录中的 {a}、{b}"),
                    format!("{a}, {b} in the directory"),
                )),
            )),
            Found::Nobody
                if is_name && leaders::own_name(lead, row.values().get(Field::WeName)) =>
            {
                Err(leaders::only_own(lead))
            }
            Found::Nobody if is_name => Err(leaders::nobody(lead)),
            Found::Nobody => Err(not_found(lead, None)),
        },
    };
    Some(match found {
        Ok((account, issue)) => {
            row.values_mut().put(Field::LeadId, account);
            issue
        }
        Err(issue) => issue,
    })
}

/// The warning of a leader spelled as an account that neither the directory nor the sheet
/// has (it is sent as written); with who, in Chinese and in English, has it as a name when
/// several people do.
fn not_found(lead: &str, several: Option<(String, String)>) -> Issue {
    let (zh, en) = several.map_or_else(Default::default, |(zh, en)| {
        (
            format!(";叫这个名字的不止一人({zh}),请填写帐号"),
            format!("; more than one person is called so ({en}): give the account"),
        )
    });
    Issue::warning(
        Some(Field::LeadId),
        problem(
            rule::LEADER_NOT_FOUND,
            format!("直接上级 {lead} 既不在通讯录中,也不在本文件中{zh}"),
            format!("leader {lead} is neither in the directory nor in this file{en}"),
        ),
    )
}

/// The columns `staff/list` can fill, in template order: what exports, backups and plans use.
pub const LISTED: &[Field] = &[
    Field::WeUserid,
    Field::WeName,
    Field::WeGender,
    Field::WeMobile,
    Field::WeEmail,
    Field::WeWeixinid,
    Field::WeDepartment,
    Field::WeId,
    Field::WePosition,
    Field::WeTel,
    Field::EntryTime,
    Field::PositiveTime,
    Field::QuiteTime,
    Field::WorkTime,
    Field::BirthdayG,
    Field::BirthdayL,
];

/// [`LISTED`] as one bit a column: asked of every value of every row a plan compares.
const LISTED_BITS: u64 = {
    let mut bits = 0u64;
    let mut i = 0;
    while i < LISTED.len() {
        bits |= 1 << LISTED[i] as u32;
        i += 1;
    }
    bits
};

/// `staff/list` can fill column `f` ([`LISTED`]).
pub fn is_listed(f: Field) -> bool {
    LISTED_BITS >> f as u32 & 1 == 1
}

/// The listing's side of a record (the validated row's is built in `validate`): makes one
/// record a listed person, each department's path worked out once however many people it
/// has, each record built in one scratch record and copied out at its exact size.
pub struct Records<'t> {
    tree: &'t DeptTree,
    paths: HashMap<i64, Option<String>>,
    scratch: StaffRecord,
    buf: String,
}

impl<'t> Records<'t> {
    pub fn new(tree: &'t DeptTree) -> Records<'t> {
        Records {
            tree,
            paths: HashMap::new(),
            scratch: StaffRecord::with_capacity(16, 512),
            buf: String::new(),
        }
    }

    /// A `staff/list` record as import-layout values, to keep: [`Records::fill`]'s.
    pub fn record(&mut self, s: &Staff) -> StaffRecord {
        self.fill(s).clone()
    }

    /// A `staff/list` record as import-layout values, until the next one: departments as
    /// paths and ids, dates as `YYYY-MM-DD` (the server's zero dates as empty), gender 0
    /// (unknown) as empty.
    pub fn fill(&mut self, s: &Staff) -> &StaffRecord {
        use std::fmt::Write;
        let Records {
            tree,
            paths,
            scratch: v,
            buf,
        } = self;
        v.clear();
        fn put(v: &mut StaffRecord, f: Field, value: &str) {
            let value = value.trim();
            if !value.is_empty() {
                v.put(f, value);
            }
        }
        put(v, Field::WeUserid, s.we_userid());
        put(v, Field::WeName, s.we_name());
        if s.we_gender() == "1" || s.we_gender() == "2" {
            put(v, Field::WeGender, s.we_gender());
        }
        put(v, Field::WeMobile, s.we_mobile());
        put(v, Field::WeEmail, s.we_email());
        put(v, Field::WeWeixinid, s.we_weixinid());
        let ids = s.department_ids();
        buf.clear();
        for id in &ids {
            if let Some(path) = paths.entry(*id).or_insert_with(|| tree.path(*id)) {
                if !buf.is_empty() {
                    buf.push(';');
                }
                buf.push_str(path);
            }
        }
        put(v, Field::WeDepartment, buf);
        buf.clear();
        for (i, id) in ids.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(buf, "{sep}{id}");
        }
        put(v, Field::WeId, buf);
        put(v, Field::WePosition, s.we_position());
        put(v, Field::WeTel, s.we_tel());
        for (f, d) in [
            (Field::EntryTime, s.entry_time()),
            (Field::PositiveTime, s.positive_time()),
            (Field::QuiteTime, s.quite_time()),
            (Field::WorkTime, s.work_time()),
            (Field::BirthdayG, s.birthday_g()),
        ] {
            if let Ok(date) = crate::validate::dates::parse_text(d) {
                buf.clear();
                crate::read::push_iso_date(buf, date);
                put(v, f, buf);
            }
        }
        if let Some(date) = crate::validate::lunar::listed(s.birthday_l()) {
            put(v, Field::BirthdayL, &date);
        }
        v
    }
}

/// Adds the online issues to `table`'s rows; returns the department paths to create (when
/// `create_departments`, else missing paths are row errors). `warn_existing` also warns
/// about accounts that already exist (for `bgy check`).
pub fn check_staff(
    table: &mut Table,
    live: &Live,
    create_departments: bool,
    warn_existing: bool,
) -> BTreeSet<String> {
    let mut online = Online::new(live, create_departments, warn_existing);
    online.rest(&mut table.rows, &table.accounts, 0, &mut |_| {});
    online.to_create
}

/// The online checks of a sheet's rows against the live directory, row by row, with what the
/// rows share (the department checks of each 部门ID and 部门 pair, the directory's mobiles
/// and e-mails): [`Online::row`] while the sheet is still being read, [`Online::rest`] once
/// it is whole.
pub struct Online<'a> {
    live: &'a Live,
    taken: Taken<'a>,
    paths: Vec<String>,
    /// An unknown path's suggestions, worked out once however many rows name it.
    nearest: HashMap<String, Vec<String>>,
    /// What a row's 部门ID and 部门 come to, worked out once for each pair the sheet has
    /// (a directory of 100,000 people has a few hundred), keyed by [`Online::key`].
    placed: HashMap<String, Placed>,
    key: String,
    /// The department paths to create (with `create_departments`; else missing paths are
    /// row errors).
    pub to_create: BTreeSet<String>,
    create_departments: bool,
    warn_existing: bool,
    /// The sheet's first levels ([`FileAccounts::firsts`]), once it is read.
    firsts: Vec<FirstLevel>,
    /// A row whose leader the sheet found by name among the rows before it is checked while
    /// the sheet is read ([`Online::trusting_guesses`]).
    guesses: bool,
}

/// The department checks of one 部门ID and 部门 pair.
#[derive(Clone)]
struct Placed {
    /// 部门 with its tails completed, when that changed it.
    completed: Option<String>,
    issues: Vec<Issue>,
}

/// Pairs remembered at most: a sheet of that many different placements gains nothing more.
const PLACED_KEPT: usize = 10_000;

impl<'a> Online<'a> {
    /// `warn_existing` also warns about accounts that already exist (for `bgy check`).
    pub fn new(live: &'a Live, create_departments: bool, warn_existing: bool) -> Online<'a> {
        Online {
            live,
            taken: Taken::of(live),
            paths: live.tree.all_paths(),
            nearest: HashMap::new(),
            placed: HashMap::new(),
            key: String::new(),
            to_create: BTreeSet::new(),
            create_departments,
            warn_existing,
            firsts: Vec::new(),
            guesses: false,
        }
    }

    /// The same, checking while the sheet is read a row whose 直接上级 names one person of the
    /// rows before it ([`leaders::guessed`]), for a run that sends nothing (`bgy check`): the
    /// leader is that person of the sheet, whom no online check looks at, and should a later
    /// row have the name too, the row's leader issue changes and its report row is written
    /// again. A run that plans must not: the row's values do not have the leader's account
    /// until the read ends.
    pub fn trusting_guesses(self) -> Online<'a> {
        Online {
            guesses: true,
            ..self
        }
    }

    /// The directory the rows are checked against.
    pub fn live(&self) -> &'a Live {
        self.live
    }

    /// The online checks of `rows[from..]`, the sheet's rows once all are read (its accounts
    /// `in_file`), showing `each` every row (valid or not, in order) once its online issues
    /// are in.
    pub fn rest(
        &mut self,
        rows: &mut [Row],
        in_file: &FileAccounts,
        from: usize,
        each: &mut dyn FnMut(&mut Row),
    ) {
        if let Some(names) = &in_file.names {
            let (tree, all) = (&self.live.tree, &self.paths);
            // Each 部门 completed once: a name that many rows give and many people have asks
            // for the same few departments again and again.
            let mut completed: HashMap<String, String> = HashMap::new();
            names.decide(rows, &mut |paths| {
                let full = completed.entry(paths.to_string()).or_insert_with(|| {
                    let full = complete_tails(paths, tree, all, &in_file.firsts).1;
                    full.unwrap_or_else(|| paths.to_string())
                });
                full.clone()
            });
        }
        for row in &mut rows[from..] {
            if row.is_valid() {
                self.row(row, Some(in_file));
            } else {
                self.failed_row(row, Some(in_file));
            }
            each(row);
        }
    }

    /// One valid row's online issues, added to it. While the sheet is still being read (the
    /// file's accounts not `in_file` yet), a row whose leader the directory lacks cannot be
    /// checked yet (the leader may be further down the sheet; but see
    /// [`Online::trusting_guesses`]), nor one whose 部门 is one level that names no
    /// department (the sheet's other paths may name the root so): false, and the row is left
    /// as it was.
    pub fn row(&mut self, row: &mut Row, in_file: Option<&FileAccounts>) -> bool {
        if !self.ready(row.values(), in_file) {
            return false;
        }
        let live = self.live;
        let lead = row
            .values()
            .get(Field::LeadId)
            .filter(|lead| !live.has(lead));
        if lead.is_some() && in_file.is_none() && !(self.guesses && leaders::guessed(row)) {
            return false;
        }
        let lead = lead.map(str::to_string);
        let placed = self.placed(row.values(), true);
        let mut issues = placed.issues;
        if let Some(full) = &placed.completed {
            row.values_mut().put(Field::WeDepartment, full);
        }
        // Its department whole: a leader's name that several people have may be told apart by it.
        if let (Some(lead), Some(in_file)) = (lead, in_file) {
            issues.extend(leader_checked(row, &lead, live, in_file));
        }
        let own = self.against_people(row, &mut issues);
        if self.warn_existing && own.is_some() {
            issues.push(
                Issue::warning(
                    Some(Field::WeUserid),
                    problem(
                        rule::ACCOUNT_EXISTS,
                        "帐号已在通讯录中,导入时默认跳过",
                        "the account is in the directory: an import skips it unless told to overwrite",
                    ),
                )
                .with_remedy(Remedy::Overwrite),
            );
        }
        // Room for exactly these: a row is kept to the end of the run, and an export checked
        // online has a warning on each of its 100,000 rows (a vector grown by one keeps room
        // for four, ~0.3 KB a row more).
        row.issues.reserve_exact(issues.len());
        row.issues.extend(issues);
        true
    }

    /// A row that failed validation: the online checks' errors too, so that the person fixes
    /// every reason in one go, not one a run (a mistyped mobile, then the department that does
    /// not exist). Its departments, its mobile and e-mail against the directory's; not its
    /// leader (a warning at most) nor an existing account (a warning: the row goes nowhere).
    /// A row without an account (a note, a total under the people) is left as it is. As
    /// [`Online::row`], false when it cannot be checked yet, and the row is left as it was.
    pub fn failed_row(&mut self, row: &mut Row, in_file: Option<&FileAccounts>) -> bool {
        if row.values().get(Field::WeUserid).is_none() {
            return true;
        }
        if !self.ready(row.values(), in_file) {
            return false;
        }
        let mut issues = self.placed(row.values(), false).issues;
        self.against_people(row, &mut issues);
        row.issues
            .extend(issues.into_iter().filter(|i| i.severity == Severity::Error));
        true
    }

    /// A row's `issues` (its department checks, first) as the person the directory has under
    /// its account, if any, makes them ([`one_edited`]), and its mobile and e-mail if the
    /// directory has them on someone else; that person.
    fn against_people(&self, row: &mut Row, issues: &mut Vec<Issue>) -> Option<&'a StaffRecord> {
        let own = self.live.person(row.account());
        if let Some(own) = own {
            one_edited(issues, row.values_mut(), own, &self.live.tree);
        }
        issues.extend(self.taken.clashes(row.account(), own, row.values()));
        own
    }

    /// Whether a row with values `v` can be checked now: not while the sheet is still read
    /// (no `in_file` yet) if its 部门 is one level that names no department
    /// ([`Online::lone_unknown`]). The sheet's first levels kept once it is read.
    fn ready(&mut self, v: &StaffRecord, in_file: Option<&FileAccounts>) -> bool {
        match in_file {
            Some(in_file) if self.firsts.is_empty() => self.firsts.clone_from(&in_file.firsts),
            Some(_) => {}
            None => return !self.lone_unknown(v),
        }
        true
    }

    /// The department checks of a row's 部门ID and 部门, once for each pair; with
    /// `create_departments`, its missing paths to create only if the row will be sent
    /// (`sent`).
    fn placed(&mut self, v: &StaffRecord, sent: bool) -> Placed {
        let (ids, paths) = (v.get(Field::WeId), v.get(Field::WeDepartment));
        // A control character is never in a cell: the key is unambiguous.
        self.key.clear();
        for part in [ids, paths] {
            self.key.push_str(part.unwrap_or("\u{1}"));
            self.key.push('\u{0}');
        }
        match self.placed.get(self.key.as_str()) {
            Some(p) => p.clone(),
            None => {
                let p = self.place(ids, paths, sent);
                // A pair met first in a failed row, its paths not put down to be created, is
                // not the pair's answer for a row that will be sent.
                if (sent || !self.create_departments) && self.placed.len() < PLACED_KEPT {
                    self.placed.insert(self.key.clone(), p.clone());
                }
                p
            }
        }
    }

    /// The paths to create worked out again from `rows`' valid rows alone: the checks across
    /// rows (a duplicate) can fail a row after it was checked while the sheet was read.
    pub fn recount(&mut self, rows: &[Row]) {
        if !self.create_departments {
            return;
        }
        self.to_create.clear();
        self.placed.clear();
        for row in rows.iter().filter(|r| r.is_valid()) {
            self.placed(row.values(), true);
        }
    }

    /// A 部门 path whose first level names no department, in a directory of one root, and
    /// which is not read from the root as it is: the company, maybe, as the sheet's other
    /// paths call it, which only the whole sheet tells. Of one level (`某某科技有限公司` beside
    /// `某某科技有限公司/研发部`, [`company_root`]), or with levels under it that name no
    /// department yet ([`under_company_name`]).
    fn lone_unknown(&self, v: &StaffRecord) -> bool {
        let tree = &self.live.tree;
        let Some(root) = tree.only_root() else {
            return false;
        };
        let unknown = |p: &str| match p.split_once('/') {
            None => names_no_department(p, tree),
            // Checked cheapest first: a path from the root, or from a department under it,
            // is most sheets' every row.
            Some((first, _)) => {
                first != root.we_name
                    && tree.child(root.we_id, first).is_none()
                    && !tree.names(first)
                    && with_other_root(p, tree, &self.paths).is_none()
            }
        };
        v.get(Field::WeDepartment)
            .is_some_and(|paths| paths.split(';').any(|p| !p.is_empty() && unknown(p)))
    }

    /// The department checks of a 部门ID and 部门 pair; its paths to create (with
    /// `create_departments`) go into `to_create` here, when [`Online::placed`] first meets the
    /// pair of a row that will be sent (`sent`).
    fn place(&mut self, ids: Option<&str>, paths: Option<&str>, sent: bool) -> Placed {
        let tree = &self.live.tree;
        let (mut issues, completed) = match paths {
            Some(paths) => complete_tails(paths, tree, &self.paths, &self.firsts),
            None => (Vec::new(), None),
        };
        let place = Placement::new(ids, completed.as_deref().or(paths));
        let unknown = unknown_ids(place, tree);
        if !unknown.is_empty() && place.has_paths() {
            // 部门ID that names nothing (an export of another directory, or an old one) is
            // neither "a different department" from the paths nor "used": say what the paths
            // would do without it.
            issues.extend(unknown.into_iter().map(|i| without_ids(i, place, tree)));
            return Placed { completed, issues };
        }
        issues.extend(unknown);
        match (place.has_ids(), place.has_paths()) {
            (true, true) => issues.extend(ids_against_paths(place, tree)),
            // An ambiguous tail is already the row's error.
            (false, true) if issues.iter().any(|i| i.severity == Severity::Error) => {}
            (false, true) => {
                for path in place.paths() {
                    match missing_path(path, tree) {
                        Ok(None) => {}
                        Ok(Some(_)) if self.create_departments => {
                            if sent {
                                self.to_create.insert(path.to_string());
                            }
                        }
                        Ok(Some(issue)) | Err(issue) => {
                            let all = &self.paths;
                            let hint = self.nearest.entry(path.to_string()).or_insert_with(|| {
                                tree::nearest_paths(all, path)
                                    .into_iter()
                                    .map(String::from)
                                    .collect()
                            });
                            issues.push(did_you_mean(issue, hint));
                        }
                    }
                }
            }
            _ => {}
        }
        Placed { completed, issues }
    }
}

/// The directory's mobiles and e-mails, and whose they are: one member's each, in WeCom.
/// Keyed by their hashes, as [`Live`]'s accounts are. Each map is made when a row first needs
/// it: a plan of the directory's own export needs neither (~6 MB at 100,000 people).
struct Taken<'a> {
    live: &'a Live,
    by: [(Field, OnceCell<HashMap<Hashed, u32>>); 2],
}

impl<'a> Taken<'a> {
    fn of(live: &'a Live) -> Taken<'a> {
        Taken {
            live,
            by: [Field::WeMobile, Field::WeEmail].map(|f| (f, OnceCell::new())),
        }
    }

    /// Whose each of the directory's `field`s is, in `map` once made.
    fn index<'m>(
        live: &Live,
        field: Field,
        map: &'m OnceCell<HashMap<Hashed, u32>>,
    ) -> &'m HashMap<Hashed, u32> {
        map.get_or_init(|| {
            // Room for everyone's at once, not grown as it fills: each larger table was made
            // while the last was still there.
            let mut map = HashMap::with_capacity(live.staff.len());
            map.extend(live.staff.iter().enumerate().filter_map(|(i, s)| {
                Some((live.keys.of(&same_key(field, s.get(field)?)?), i as u32))
            }));
            map
        })
    }

    /// The row's mobile or e-mail the directory has on another account (the row's `own`
    /// listed record, if it has one).
    fn clashes(&self, account: &str, own: Option<&StaffRecord>, v: &StaffRecord) -> Vec<Issue> {
        self.by
            .iter()
            .filter_map(|(field, map)| {
                let key = same_key(*field, v.get(*field)?)?;
                // The directory has it on this very account: no one else's, then (a plan of an
                // export looks up none of its rows' mobiles and e-mails).
                if own.and_then(|p| same_key(*field, p.get(*field)?)).is_some_and(|k| k == key) {
                    return None;
                }
                let map = Taken::index(self.live, *field, map);
                let owner = self.live.staff[*map.get(&self.live.keys.of(&key))? as usize].account();
                (AccountKey::text(owner) != AccountKey::text(account)).then(|| {
                    let (zh, en) = match field {
                        Field::WeMobile => ("手机号", "mobile"),
                        _ => ("邮箱", "e-mail"),
                    };
                    Issue::error(
                        Some(*field),
                        problem(
                            rule::TAKEN,
                            format!("{zh}已属于通讯录中的 {owner}:企业微信中一个{zh}只属于一人"),
                            format!("the directory has this {en} on {owner}: in WeCom it belongs to one member"),
                        ),
                    )
                })
            })
            .collect()
    }
}

/// 部门 paths that do not start at the root but end exactly one existing path
/// (`研发部/后端组`) become that path, with a warning; a tail several paths end with is an
/// error naming them. Other paths are left for [`missing_path`]. The paths completed, when
/// that changed them.
fn complete_tails(
    paths: &str,
    tree: &DeptTree,
    all: &[String],
    firsts: &[FirstLevel],
) -> (Vec<Issue>, Option<String>) {
    let mut issues = Vec::new();
    let mut full = Vec::new();
    for path in Placement::new(None, Some(paths)).paths() {
        // From the root: as it is, to be created where it names none yet.
        let from_root = tree.missing(path);
        if from_root.as_ref().is_ok_and(Vec::is_empty) {
            full.push(path.to_string());
            continue;
        }
        let several = || {
            let why = (
                " (几个部门之间用 ; 分隔)".to_string(),
                " (departments are separated by ;)".to_string(),
            );
            as_several(path, tree, all).map(|several| (several, rule::DEPARTMENTS_SEPARATOR, why))
        };
        // The path taken instead, and why, as the warning's reason and its note.
        let taken = if from_root.is_ok() {
            several()
        } else {
            match tree::ending_with(all, path).as_slice() {
                [one] => Some((
                    one.to_string(),
                    rule::DEPARTMENT_COMPLETED,
                    (String::new(), String::new()),
                )),
                [] => match with_separator(path, tree, all, firsts) {
                    Some((one, root)) => {
                        let why = separated_why(root.as_deref());
                        Some((one, rule::DEPARTMENT_SEPARATOR, why))
                    }
                    None => several().or_else(|| {
                        (with_other_root(path, tree, all))
                            .or_else(|| company_root(path, tree, firsts))
                            .or_else(|| under_company_name(path, tree, all, firsts))
                            .map(|(one, root)| {
                                let why = (
                                    format!(" (通讯录的根部门是 {root})"),
                                    format!(" (the directory's root department is {root})"),
                                );
                                (one, rule::DEPARTMENT_ROOT, why)
                            })
                    }),
                },
                many => {
                    issues.push(ambiguous(path, many));
                    None
                }
            }
        };
        match taken {
            Some((one, reason, (zh, en))) => {
                issues.push(Issue::warning(
                    Some(Field::WeDepartment),
                    problem(
                        reason,
                        format!("部门 {path} 按 {one} 处理{zh}"),
                        format!("department {path} taken as {one}{en}"),
                    ),
                ));
                full.push(one);
            }
            None => full.push(path.to_string()),
        }
    }
    let full = full.join(";");
    let changed = (full != paths).then_some(full);
    (issues, changed)
}

/// A path that ends as several departments do, none from the root.
fn ambiguous(path: &str, many: &[&str]) -> Issue {
    let shown = many.iter().take(5).copied().collect::<Vec<_>>().join("、");
    Issue::error(
        Some(Field::WeDepartment),
        problem(
            rule::AMBIGUOUS_DEPARTMENT,
            format!("部门 {path} 不明确,可能是: {shown};请写从根部门开始的完整路径"),
            format!(
                "department {path} could be any of: {shown}; write the full path from the root"
            ),
        ),
    )
}

/// Why a path was read with `/` between its levels ([`with_separator`]), and from which
/// `root` when its first level was another name for it.
fn separated_why(root: Option<&str>) -> (String, String) {
    let (zh, en) = match root {
        Some(root) => (
            format!(";通讯录的根部门是 {root}"),
            format!("; the directory's root department is {root}"),
        ),
        None => Default::default(),
    };
    (
        format!(" (部门路径的各级用 / 分隔{zh})"),
        format!(" (a path's levels are separated by /{en})"),
    )
}

/// `path`, which names no department, read with one of [`SEPARATORS`] as `/`: the existing
/// department that reading names (from the root, or by its end alone as [`complete_tails`]
/// does), when exactly one reading names one; with the root's name when the reading's first
/// level is an HR system's name for the company and the rest is read from the root
/// ([`under_other_root`]: `总公司-研发部-后端组`, `总公司/研发部/后端组` written with dashes),
/// or, as [`under_company_name`] reads a sheet's paths under the company's name, to be made
/// under the root (`总公司-新中心-一组`). A department whose own name holds the separator was
/// found before this (`市场部-华东区` as one name).
fn with_separator(
    path: &str,
    tree: &DeptTree,
    all: &[String],
    firsts: &[FirstLevel],
) -> Option<(String, Option<String>)> {
    if path.contains('/') {
        return None;
    }
    let mut found = SEPARATORS
        .iter()
        .filter(|sep| path.contains(**sep))
        .filter_map(|sep| {
            let levels: Vec<&str> = path.split(*sep).map(str::trim).collect();
            if levels.iter().any(|l| l.is_empty()) {
                return None;
            }
            let read = levels.join("/");
            existing(tree, all, &read, &read)
                .map(|one| (one, None))
                .or_else(|| under_other_root(&read, tree))
                .or_else(|| {
                    let (one, root) = under_company_name(&read, tree, all, firsts)?;
                    Some((one, Some(root)))
                })
        });
    let one = found.next()?;
    found.next().is_none().then_some(one)
}

/// `path` with its first level, which names no department, read as the directory's one root,
/// when the rest names a department under the root from it, or starts with one and goes on
/// below it (a department to be made: `总公司-研发部-移动组`): the path and the root's name.
/// Stricter than [`with_other_root`] (no department found by its end alone): a name split at
/// a dash is only a guess at a path.
fn under_other_root(path: &str, tree: &DeptTree) -> Option<(String, Option<String>)> {
    let (_, rest, root) = another_name(path, tree)?;
    let read = format!("{root}/{rest}");
    let below = |(level, _): (&str, &str)| tree.resolve(&format!("{root}/{level}")).is_some();
    let found = tree.resolve(&read).is_some() || rest.split_once('/').is_some_and(below);
    found.then(|| (read, Some(root.to_string())))
}

/// What HR systems write between a person's departments instead of `;`: `研发部,产品部`,
/// `研发部、产品部`, and the full-width comma and semicolon.
const LIST_SEPARATORS: [char; 4] = [',', '，', '、', '；'];

/// `path`, which names no department, read as several apart by [`LIST_SEPARATORS`]: each
/// part the existing department it names (from the root, or by its end alone), joined by
/// `;`. None when a part names none, or one department is another's or under it (`研发部、
/// 后端组` is more likely one path written otherwise than a person in both).
fn as_several(path: &str, tree: &DeptTree, all: &[String]) -> Option<String> {
    if !path.contains(LIST_SEPARATORS) {
        return None;
    }
    let found = (path.split(LIST_SEPARATORS).map(str::trim))
        .map(|part| (!part.is_empty()).then(|| existing(tree, all, part, part))?)
        .collect::<Option<Vec<String>>>()?;
    let within = |a: &str, b: &str| a == b || b.strip_prefix(a).is_some_and(|r| r.starts_with('/'));
    let nested = (found.iter().enumerate())
        .any(|(i, a)| found[i + 1..].iter().any(|b| within(a, b) || within(b, a)));
    (!nested).then(|| found.join(";"))
}

/// `path`, whose first level names no department, read from the directory's one root
/// instead: an HR system calls the company by another name than 办公逸's root department
/// (`某某集团/研发中心` for `办公逸/研发中心`). The existing department the rest of the path
/// names under the root, or by its end alone as [`complete_tails`] does, and the root's name.
fn with_other_root(path: &str, tree: &DeptTree, all: &[String]) -> Option<(String, String)> {
    let (_, rest, root) = another_name(path, tree)?;
    let one = existing(tree, all, &format!("{root}/{rest}"), rest)?;
    Some((one, root.to_string()))
}

/// `path`'s first level, when it names no department and has levels under it, the rest, and
/// the directory's one root: the first level may be an HR system's name for the company,
/// which [`with_other_root`], [`under_other_root`] and [`under_company_name`] each read so.
fn another_name<'p, 't>(path: &'p str, tree: &'t DeptTree) -> Option<(&'p str, &'p str, &'t str)> {
    let (first, rest) = path.split_once('/')?;
    let root = &tree.only_root()?.we_name;
    (!rest.is_empty() && !tree.names(first)).then_some((first, rest, root.as_str()))
}

/// `path`, one level that names no department, read as the directory's one root when the
/// sheet's other paths start with it ([`FileAccounts::firsts`]): the company's people, its
/// head first, are in the department an HR system names after the company. The root's name,
/// as the department and as the root.
fn company_root(path: &str, tree: &DeptTree, firsts: &[FirstLevel]) -> Option<(String, String)> {
    let root = &tree.only_root()?.we_name;
    let lone = names_no_department(path, tree);
    (lone && firsts.iter().any(|f| f.name == path)).then(|| (root.clone(), root.clone()))
}

/// `path`, whose first level names no department and the rest of which names none under the
/// directory's one root either, read from the root, to be created there: when every path of
/// the sheet with levels starts with that first level, and some of them are read from the root
/// by [`with_other_root`]. An HR system's export writes its company's name above every
/// department, and the departments HR has made since the directory's last import are in it
/// too (`某某科技有限公司/研发中心/移动端` beside `某某科技有限公司/人力资源部`, only the
/// second in the directory). A sheet whose paths start at several first levels is not read so:
/// the first level may be a department to be made.
fn under_company_name(
    path: &str,
    tree: &DeptTree,
    all: &[String],
    firsts: &[FirstLevel],
) -> Option<(String, String)> {
    let (first, rest, root) = another_name(path, tree)?;
    let [company] = firsts else {
        return None;
    };
    if company.name != first {
        return None;
    }
    let read = |under: &String| with_other_root(&format!("{first}/{under}"), tree, all);
    company
        .under
        .iter()
        .any(|under| read(under).is_some())
        .then(|| (format!("{root}/{rest}"), root.to_string()))
}

/// `path` is one level, and no department of `tree` is called so.
fn names_no_department(path: &str, tree: &DeptTree) -> bool {
    !path.contains('/') && !tree.names(path)
}

/// The existing department a reading of a path names: `from_root` when it is one, else the
/// one department whose path ends with `tail` (as [`complete_tails`] reads a path without its
/// root).
fn existing(tree: &DeptTree, all: &[String], from_root: &str, tail: &str) -> Option<String> {
    if tree.resolve(from_root).is_some() {
        return Some(from_root.to_string());
    }
    match tree::ending_with(all, tail).as_slice() {
        [one] => Some(one.to_string()),
        _ => None,
    }
}

/// 部门ID values that name no department.
fn unknown_ids(place: Placement, tree: &DeptTree) -> Vec<Issue> {
    place
        .ids()
        .filter(|id| id.parse().ok().and_then(|id| tree.get(id)).is_none())
        .map(|id| {
            Issue::error(
                Some(Field::WeId),
                problem(
                    rule::UNKNOWN_DEPARTMENT_ID,
                    format!("部门ID {id} 不存在"),
                    format!("no department with we_id {id}"),
                ),
            )
        })
        .collect()
}

/// An unknown 部门ID's issue on a row that has paths too, with what clearing the column does:
/// the paths are used when they exist, or can be created.
fn without_ids(mut issue: Issue, place: Placement, tree: &DeptTree) -> Issue {
    let missing: Vec<&str> = place
        .paths()
        .filter(|p| tree.resolve(p).is_none())
        .collect();
    let paths = place.paths().collect::<Vec<_>>().join(";");
    let (zh, en) = match missing.as_slice() {
        [] => (
            format!(";清空 部门ID 列即按 部门 {paths} 处理"),
            format!("; clear 部门ID and 部门 {paths} is used"),
        ),
        _ => (
            format!(
                ";部门 {} 也不存在:清空 部门ID 列后可以自动创建",
                missing.join(";")
            ),
            format!(
                "; neither is there a department {}: clear 部门ID and it can be created",
                missing.join(";")
            ),
        ),
    };
    issue.zh.to_mut().push_str(&zh);
    issue.en.to_mut().push_str(&en);
    issue
}

/// A row of an export whose 部门ID and 部门 disagree ([`ids_against_paths`]), for a person
/// the directory has: when one of the two still names the departments the person is in, the
/// other is HR's edit (a person moved by typing a new 部门, the export's 部门ID left as it
/// was). The edit is taken, with a warning instead of the error: a path edited has the row's
/// 部门ID let go, so that the path decides. Both edited, or neither, stays an error.
fn one_edited(issues: &mut [Issue], v: &mut StaffRecord, own: &StaffRecord, tree: &DeptTree) {
    let Some(at) = issues
        .iter()
        .position(|i| i.reason == rule::DEPARTMENT_MISMATCH)
    else {
        return;
    };
    let sorted = |place: Placement| {
        let mut ids = place.resolve(tree)?;
        ids.sort_unstable();
        ids.dedup();
        Some(ids)
    };
    let (Some(now), Some(by_id), Some(by_path)) = (
        sorted(Placement::new(own.get(Field::WeId), None)),
        sorted(Placement::new(v.get(Field::WeId), None)),
        sorted(Placement::new(None, v.get(Field::WeDepartment))),
    ) else {
        return;
    };
    // The column edited, and the one left as the export had it.
    let (edited, kept) = match (by_id == now, by_path == now) {
        (true, false) => (Field::WeDepartment, Field::WeId),
        (false, true) => (Field::WeId, Field::WeDepartment),
        _ => return,
    };
    if edited == Field::WeDepartment {
        v.set(Field::WeId, None);
    }
    let (edited, kept) = (edited.label(), kept.label());
    issues[at] = Issue::warning(
        Some(Field::WeDepartment),
        problem(
            rule::DEPARTMENT_EDITED,
            format!("{kept} 还是此人现在的部门,{edited} 改过了:按改过的 {edited} 处理"),
            format!("{kept} still names the person's departments and {edited} was changed: the change is taken"),
        ),
    );
}

/// A row with both 部门ID and 部门 (as exports have): the ids decide. Paths that all exist
/// must name the same departments; a path that no longer exists (a department renamed since
/// the sheet was exported) is only worth a warning.
fn ids_against_paths(place: Placement, tree: &DeptTree) -> Option<Issue> {
    let by_path: Result<Vec<i64>, &str> = place.paths().map(|p| tree.resolve(p).ok_or(p)).collect();
    match by_path {
        Ok(mut by_path) => {
            let mut by_id = place.resolve(tree)?;
            by_id.sort_unstable();
            by_path.sort_unstable();
            (by_id != by_path).then(|| {
                Issue::error(
                    Some(Field::WeDepartment),
                    problem(
                        rule::DEPARTMENT_MISMATCH,
                        "部门 与 部门ID 指向不同的部门;请只改其中一列,或清空另一列",
                        "部门 (paths) and 部门ID name different departments; change one and clear the other",
                    ),
                )
            })
        }
        Err(stale) => Some(Issue::warning(
            Some(Field::WeDepartment),
            problem(
                rule::STALE_DEPARTMENT_PATH,
                format!("部门 {stale} 不存在,以 部门ID 为准"),
                format!("no department {stale}; 部门ID is used"),
            ),
        )),
    }
}

/// An unknown path's issue with the existing paths it most likely meant.
fn did_you_mean(mut issue: Issue, nearest: &[String]) -> Issue {
    if !nearest.is_empty() {
        issue
            .zh
            .to_mut()
            .push_str(&format!(";是否指 {}?", nearest.join(" 或 ")));
        issue
            .en
            .to_mut()
            .push_str(&format!("; did you mean {}?", nearest.join(" or ")));
    }
    issue
}

/// A path that does not exist: `Ok(None)` when it does, `Ok(Some(issue))` when levels below
/// the root are missing (they could be created), `Err` when even the root is unknown.
fn missing_path(path: &str, tree: &DeptTree) -> Result<Option<Issue>, Issue> {
    match tree.missing(path) {
        Ok(m) if m.is_empty() => Ok(None),
        Ok(m) => Ok(Some(
            Issue::error(
                Some(Field::WeDepartment),
                problem(
                    rule::UNKNOWN_DEPARTMENT,
                    format!("部门 {} 不存在,可以自动创建", m[0]),
                    format!("no department {}; it can be created", m[0]),
                ),
            )
            .with_remedy(Remedy::CreateDepartments),
        )),
        Err(root) => Err(Issue::error(
            Some(Field::WeDepartment),
            problem(
                rule::UNKNOWN_ROOT,
                format!(
                    "根部门 {root} 不存在;路径要从根部门开始,例如 {}",
                    tree.path(1).unwrap_or_else(|| "办公逸".into())
                ),
                format!("no root department {root}; paths start at the root"),
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_listed_is_listed_s_list() {
        for f in Field::ALL {
            assert_eq!(is_listed(*f), LISTED.contains(f), "{f:?}");
        }
        assert!(Field::ALL.len() <= 64, "one bit a column");
    }
}
