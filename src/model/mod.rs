//! The nouns: the columns of the spreadsheet layout, the layouts themselves, and a row's outcome.
//!
//! Everything here is plain data; reading, validating and sending live in their own stages.

pub mod record;
pub mod tree;

pub use record::StaffRecord;

use std::fmt;

/// What a column holds, which decides how its cells are read and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Digits a person typed (account, phone, card, check id): a number cell is its integer text.
    Digits,
    Date,
    /// A 农历 date: month 1–12 and day 1–30 of the Chinese calendar, never a date cell.
    LunarDate,
}

macro_rules! fields {
    ($( $var:ident => $key:literal, $label:literal, $english:literal, $kind:ident, $help:literal; )*) => {
        /// One column of the layout, named by its API key.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[allow(non_camel_case_types)]
        pub enum Field { $($var),* }

        impl Field {
            /// Every column, in template order.
            pub const ALL: &'static [Field] = &[$(Field::$var),*];

            /// The API parameter name.
            pub fn key(self) -> &'static str {
                match self { $(Field::$var => $key),* }
            }

            /// The Chinese header label (without the required mark).
            pub fn label(self) -> &'static str {
                match self { $(Field::$var => $label),* }
            }

            /// The column's name in English, as the console says it in English.
            pub fn english(self) -> &'static str {
                match self { $(Field::$var => $english),* }
            }

            pub fn kind(self) -> Kind {
                match self { $(Field::$var => Kind::$kind),* }
            }

            /// One line for the Instructions sheet and `--help`.
            pub fn help(self) -> &'static str {
                match self { $(Field::$var => $help),* }
            }
        }
    };
}

fields! {
    WeUserid => "we_userid", "帐号", "Account", Digits, "必填;文件内唯一;字母、数字及 _ - . @,最多 64 字符 / required, unique, letters digits _ - . @, at most 64";
    WeName => "we_name", "姓名", "Name", Text, "必填,最多 64 字符 / required, at most 64 characters";
    EnglishName => "english_name", "英文名", "English name", Text, "英文名 / English name";
    WeGender => "we_gender", "性别", "Gender", Text, "男/女 (1/2, M/F)";
    WeMobile => "we_mobile", "手机", "Mobile", Digits, "中国大陆 11 位手机号,或 +国家码 加数字 / mainland mobile or +CC digits";
    WeEmail => "we_email", "邮箱", "E-mail", Text, "邮箱地址 / e-mail address";
    WeWeixinid => "we_weixinid", "微信号", "WeChat ID", Text, "手机、邮箱、微信号至少填一项 / one of mobile, e-mail, WeChat id is required";
    WeDepartment => "we_department", "部门", "Department", Text, "从根部门开始的路径,层级用 / 分隔,多个部门用 ; 分隔:办公逸/研发部;办公逸/客服部 (部门 或 部门ID 必填一项)";
    WeId => "we_id", "部门ID", "Department ID", Digits, "部门 we_id,多个用逗号分隔:2,4,8 / department ids, comma separated";
    WePosition => "we_position", "职位", "Position", Text, "职位 / position";
    PositionLevelId => "position_level_id", "职级", "Grade", Text, "职级,如 P1 / grade";
    LeadId => "lead_id", "直接上级", "Manager", Text, "上级的帐号,或本文件、通讯录中只有一人叫的姓名,或 姓名(帐号) / the manager's account, a name only one person in this file or the directory has, or name(account)";
    Subordinate => "subordinate", "直接下属", "Direct reports", Text, "下属帐号,用 / 分隔 / accounts separated by /";
    WeTag => "we_tag", "标签", "Tags", Text, "标签名称,用 / 分隔 / tag names separated by /";
    WeTel => "we_tel", "工作电话", "Office phone", Digits, "座机 / office phone";
    Address => "address", "工作地址", "Office address", Text, "工作地址 / office address";
    Status => "status", "人事状态", "HR status", Text, "已转正/试用期/兼职/已离职 (0-3)";
    EntryTime => "entry_time", "入职时间", "Entry date", Date, "日期:2016-01-01、2016/1/1、2016.1.1、2016年1月1日、20160101 或日期单元格";
    PositiveTime => "positive_time", "转正时间", "Probation end date", Date, "日期;早于入职时间时给出警告 / date; before entry date is a warning";
    QuiteTime => "quite_time", "离职时间", "Leave date", Date, "日期 / date";
    QuiteReason => "quite_reason", "离职原因", "Reason for leaving", Text, "离职原因 / reason for leaving";
    BackTime => "back_time", "复职时间", "Return date", Date, "日期 / date";
    WorkTime => "work_time", "参加工作时间", "Started working", Date, "日期 / date";
    BirthdayG => "birthday_g", "公历生日", "Birthday", Date, "日期 / date";
    BirthdayL => "birthday_l", "农历生日", "Lunar birthday", LunarDate, "农历日期:1998-02-30、1998年腊月初八 (月 1–12,日 1–30;闰月按其月份发送) / lunar date: month 1–12, day 1–30; a leap month is sent as its number";
    BankCard => "bank_card", "银行卡号", "Bank card", Digits, "只能是数字;不会打印到屏幕或日志 / digits only; never printed";
    BankName => "bank_name", "开户行", "Bank", Text, "开户行 / bank";
    CheckId => "check_id", "考勤号", "Attendance ID", Digits, "纯数字,不能以 0 开头,不大于 2147483647,文件内唯一";
    ToQy => "toQy", "同步到企业号", "Sync to WeCom", Text, "是/否,默认同步 / yes/no, default yes";
}

impl Field {
    pub fn index(self) -> usize {
        self as usize
    }

    /// The label as the template shows it: required columns carry a `*`.
    pub fn header(self, layout: Layout) -> String {
        if layout.required().contains(&self) {
            format!("{}*", self.label())
        } else {
            self.label().to_string()
        }
    }

    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.iter().copied().find(|f| f.key() == key)
    }
}

/// A field is written as its API key.
impl serde::Serialize for Field {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.key())
    }
}

impl<'de> serde::Deserialize<'de> for Field {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Field, D::Error> {
        let key = String::deserialize(d)?;
        Field::from_key(&key).ok_or_else(|| serde::de::Error::custom(format!("no field {key:?}")))
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What `staff/add` does with an account that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cover {
    /// Leave it as it is (cover=0).
    Skip,
    /// Overwrite it with the sheet's values (cover=1).
    Overwrite,
}

impl Cover {
    /// The value of `staff/add`'s `cover` field.
    pub fn api_value(self) -> &'static str {
        match self {
            Cover::Skip => "0",
            Cover::Overwrite => "1",
        }
    }
}

/// What a sync does with the people the directory has and the sheet does not name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PruneMode {
    /// Leaves them alone.
    #[default]
    None,
    /// Marks them as leavers: 人事状态 已离职, 离职时间 today, and why (`staff/add` cover=1).
    Leave,
    /// Deletes them (`staff/delete`).
    Delete,
}

impl PruneMode {
    pub fn any(self) -> bool {
        self != PruneMode::None
    }

    /// As `bgy.toml` and `--prune-mode` spell it.
    pub fn name(self) -> &'static str {
        match self {
            PruneMode::None => "none",
            PruneMode::Leave => "leave",
            PruneMode::Delete => "delete",
        }
    }
}

/// What a plan or a sync does beyond the sheet's own rows: with the people the directory has
/// and the sheet does not name, and with the departments the sheet's 部门 paths name and the
/// directory lacks (made, parents first, before anyone is sent; else those rows are invalid).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reach {
    pub prune: PruneMode,
    pub create_departments: bool,
}

/// Which sheet a command reads: the columns it uses and the ones it requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// Staff records for import, plan and sync.
    Staff,
    /// Date updates for `bgy times`.
    Times,
    /// Accounts for `bgy delete`.
    Delete,
    /// People to mark as leavers, for `bgy leave`: a 离职名单's accounts, each with its
    /// 离职时间 and 离职原因 when the list gives them.
    Leave,
    /// The departments sheet of an export (部门 Departments): a department's we_id, its name
    /// and its full path (the same columns' keys as the API's).
    Departments,
}

impl Layout {
    pub fn columns(self) -> &'static [Field] {
        use Field::*;
        match self {
            Layout::Staff => Field::ALL,
            Layout::Times => &[
                WeUserid,
                WeName,
                EntryTime,
                WorkTime,
                PositiveTime,
                QuiteTime,
            ],
            // 姓名 is read to be compared with the directory's, never sent.
            Layout::Delete => &[WeUserid, WeName],
            Layout::Leave => &[WeUserid, WeName, QuiteTime, QuiteReason],
            Layout::Departments => &[WeId, WeName, WeDepartment],
        }
    }

    /// The columns a header must have; a departments row needs its we_id or its path, which
    /// is a rule on the row.
    pub fn required(self) -> &'static [Field] {
        match self {
            Layout::Staff => &[Field::WeUserid, Field::WeName],
            Layout::Times | Layout::Delete | Layout::Leave => &[Field::WeUserid],
            Layout::Departments => &[],
        }
    }

    /// The kind of sheet a person names ([`Layout::name`]): staff, times, delete or leave.
    pub fn of_kind(name: &str) -> Option<Layout> {
        [Layout::Staff, Layout::Times, Layout::Delete, Layout::Leave]
            .into_iter()
            .find(|l| l.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Layout::Staff => "staff",
            Layout::Times => "times",
            Layout::Delete => "delete",
            Layout::Leave => "leave",
            Layout::Departments => "departments",
        }
    }

    /// What a person calls a sheet of this layout: in Chinese, in English.
    pub fn called(self) -> (&'static str, &'static str) {
        match self {
            Layout::Staff => ("员工资料表", "staff sheet"),
            Layout::Times => ("日期表", "sheet of dates"),
            Layout::Delete => ("删除表", "sheet of accounts to delete"),
            Layout::Leave => ("离职名单", "list of leavers"),
            Layout::Departments => ("部门表", "departments sheet"),
        }
    }

    /// The name of the data sheet in templates and exports.
    pub fn sheet_name(self) -> &'static str {
        match self {
            Layout::Staff => "成员 Staff",
            Layout::Times => "时间 Times",
            Layout::Delete => "删除 Delete",
            Layout::Leave => "离职 Leave",
            Layout::Departments => DEPT_SHEET,
        }
    }
}

/// One choice of a column whose cells come from a list: the label a person writes and
/// reads, the value the API takes, and other spellings accepted on the way in.
#[derive(Debug)]
pub struct Choice {
    pub label: &'static str,
    pub api: &'static str,
    pub also: &'static [&'static str],
}

const GENDERS: &[Choice] = &[
    Choice {
        label: "男",
        api: "1",
        also: &["m", "male", "男性"],
    },
    Choice {
        label: "女",
        api: "2",
        also: &["f", "female", "女性"],
    },
];

const STATUSES: &[Choice] = &[
    Choice {
        label: "已转正",
        api: "0",
        // As HR systems write them: 正式员工, 试用员工 …
        also: &["转正", "正式", "正式员工"],
    },
    Choice {
        label: "试用期",
        api: "1",
        also: &["试用", "试用员工"],
    },
    Choice {
        label: "兼职",
        api: "2",
        also: &["兼职员工"],
    },
    Choice {
        label: "已离职",
        api: "3",
        also: &["离职"],
    },
];

/// 同步到企业号: yes is the API's default, so it sends nothing.
const TO_QY: &[Choice] = &[
    Choice {
        label: "是",
        api: "",
        also: &["yes", "y", "true", "1"],
    },
    Choice {
        label: "否",
        api: "-1",
        also: &["no", "n", "false", "0"],
    },
];

impl Field {
    /// The list a column's cells come from: the one mapping each way between what a person
    /// writes (labels, in the template's dropdowns and in exports) and what the API takes.
    pub fn choices(self) -> Option<&'static [Choice]> {
        match self {
            Field::WeGender => Some(GENDERS),
            Field::Status => Some(STATUSES),
            Field::ToQy => Some(TO_QY),
            _ => None,
        }
    }

    /// The API value of what a person wrote (a label, the API value itself, or another
    /// accepted spelling; any case).
    pub fn choice_value(self, text: &str) -> Option<&'static str> {
        let text = text.trim().to_lowercase();
        self.choices()?
            .iter()
            .find(|c| {
                c.label == text
                    || (!c.api.is_empty() && c.api == text)
                    || c.also.contains(&text.as_str())
            })
            .map(|c| c.api)
    }

    /// The label a person reads for an API value (`we_gender` 1 → 男); `None` when the column
    /// has no list or the value is not on it.
    pub fn choice_label(self, api: &str) -> Option<&'static str> {
        self.choices()?
            .iter()
            .find(|c| !c.api.is_empty() && c.api == api)
            .map(|c| c.label)
    }

    /// The text a person reads for an API value: its label when the column has a list
    /// (`we_gender` 1 → 男), the value itself otherwise.
    pub fn display(self, value: &str) -> String {
        match (self, self.choice_label(value)) {
            // The API's "unknown" gender.
            (Field::WeGender, None) if value == "0" => String::new(),
            (_, Some(label)) => label.to_string(),
            (_, None) => value.to_string(),
        }
    }

    /// A value as a person may see it in a plan: [`Field::display`]'s, a bank card masked.
    pub fn shown(self, value: &str) -> String {
        match self {
            Field::BankCard => mask_card(value),
            _ => self.display(value),
        }
    }
}

/// A bank card number as a person may see it: its last four digits.
pub fn mask_card(card: &str) -> String {
    let digits: Vec<char> = card.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        0 if card.trim().is_empty() => String::new(),
        n if n >= 8 => format!("**** {}", digits[n - 4..].iter().collect::<String>()),
        _ => "****".into(),
    }
}

/// The company's time zone, once bgy.toml names one ([`set_zone`]).
static ZONE: std::sync::OnceLock<chrono_tz::Tz> = std::sync::OnceLock::new();

/// The days bgy writes are the company's: its job's zone (bgy.toml's `[schedule] tz`), not
/// the machine's, which on a server is often UTC, eight hours behind the 02:30 of a job in
/// Shanghai. Set once, before a run; a later call changes nothing.
pub fn set_zone(tz: chrono_tz::Tz) {
    let _ = ZONE.set(tz);
}

/// The company's zone, when bgy.toml named one ([`set_zone`]).
pub fn zone() -> Option<chrono_tz::Tz> {
    ZONE.get().copied()
}

/// A moment as bgy writes it down and shows it: in the company's zone.
pub type Moment = chrono::DateTime<chrono::FixedOffset>;

/// Now, in the company's zone ([`set_zone`]), else the machine's: the times of the history,
/// the console's runs, the reports and their file names.
pub fn now() -> Moment {
    let now = chrono::Utc::now();
    match ZONE.get() {
        Some(tz) => now.with_timezone(tz).fixed_offset(),
        None => now.with_timezone(&chrono::Local).fixed_offset(),
    }
}

/// Today's date as the API takes a date (`2026-12-02`): a leave's 离职时间, a return's
/// 复职时间. The company's day ([`now`]).
pub fn today() -> String {
    now().format("%Y-%m-%d").to_string()
}

/// The departments sheet of an export (and of a sheet that reorganises departments).
pub const DEPT_SHEET: &str = "部门 Departments";
pub const DEPT_TITLES: [&str; 6] = [
    "部门ID we_id",
    "名称 Name",
    "上级ID Parent",
    "完整路径 Path",
    "排序 Rank",
    "人数 Members",
];

/// An account as WeCom compares them: ignoring letter case (办公逸 mirrors into WeCom, so
/// `Zhang` and `zhang` are one person). The one place bgy folds an account's case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountKey(String);

impl AccountKey {
    pub fn new(account: &str) -> AccountKey {
        AccountKey(account.trim().to_lowercase())
    }

    /// The key's text, made only when `account` is not already it (trimmed, lower case):
    /// a map of keys is looked up with it (`map.get(&*AccountKey::text(a))`).
    pub fn text(account: &str) -> std::borrow::Cow<'_, str> {
        let plain = account
            .bytes()
            .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
            && crate::text::trim(account).len() == account.len();
        match plain {
            true => std::borrow::Cow::Borrowed(account),
            false => std::borrow::Cow::Owned(AccountKey::new(account).0),
        }
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A key hashes and compares as its text, so maps of keys are looked up by `&str`.
impl std::borrow::Borrow<str> for AccountKey {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for AccountKey {
    fn from(account: &str) -> AccountKey {
        AccountKey::new(account)
    }
}

impl From<&String> for AccountKey {
    fn from(account: &String) -> AccountKey {
        AccountKey::new(account)
    }
}

/// A command that runs over a sheet: what its session, journal, report and history say it is,
/// and what steers the few things that differ between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    Check,
    Import,
    Times,
    Delete,
    Leave,
    Plan,
    Sync,
    Undo,
}

impl Command {
    /// As `bgy NAME` runs it.
    pub fn name(self) -> &'static str {
        match self {
            Command::Check => "check",
            Command::Import => "import",
            Command::Times => "times",
            Command::Delete => "delete",
            Command::Leave => "leave",
            Command::Plan => "plan",
            Command::Sync => "sync",
            Command::Undo => "undo",
        }
    }

    /// Its rows keep the outcome validation gave them (valid or invalid) to the end, whether
    /// or not it checked them online: its report can be written while the rows are read.
    pub fn keeps_validation_outcomes(self) -> bool {
        self == Command::Check
    }
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What happened to one input row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    Created,
    Updated,
    /// `cover=0` and the account already existed.
    Skipped,
    Unchanged,
    Deleted,
    /// Marked as a leaver (人事状态 已离职): a sync's `--prune-mode leave`.
    Left,
    /// A delete of an account the directory does not have: nothing to do, not a failure.
    NotFound,
    /// Valid, and nothing sent (`check`, `--dry-run`).
    Valid,
    /// Rejected before sending; the reasons are in the row's issues.
    Invalid,
    Failed {
        errno: Option<i64>,
        message: String,
    },
    /// Not sent because the run stopped (fatal condition or Ctrl-C).
    NotSent {
        reason: String,
    },
}

impl Outcome {
    /// A row's outcome before anything is sent: valid or invalid.
    pub fn initial(valid: bool) -> Outcome {
        if valid {
            Outcome::Valid
        } else {
            Outcome::Invalid
        }
    }

    pub fn is_ok(&self) -> bool {
        matches!(
            self,
            Outcome::Created
                | Outcome::Updated
                | Outcome::Skipped
                | Outcome::Unchanged
                | Outcome::Deleted
                | Outcome::Left
                | Outcome::NotFound
                | Outcome::Valid
        )
    }

    /// The word in the report's outcome column.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Created => "created 新增",
            Outcome::Updated => "updated 更新",
            Outcome::Skipped => "skipped 已存在跳过",
            Outcome::Unchanged => "unchanged 无变化",
            Outcome::Deleted => "deleted 已删除",
            Outcome::Left => "left 已标记离职",
            Outcome::NotFound => "not found 不在通讯录",
            Outcome::Valid => "valid 校验通过",
            Outcome::Invalid => "invalid 校验失败",
            Outcome::Failed { .. } => "failed 失败",
            Outcome::NotSent { .. } => "not sent 未发送",
        }
    }
}
