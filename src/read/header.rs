//! Header matching: which row is the header, and which column is which field.
//!
//! The header is the first row naming at least two known columns. Names match by the
//! company's own names first (`--map`, `bgy.toml`), then by Chinese label, API key or a common
//! alias, ignoring case, spaces, full-width forms and a trailing `*`.

use crate::model::{Field, Layout};

use super::{Cell, RawRow};

/// How far down the header row may be (title rows above it are skipped).
pub const HEADER_SEARCH_ROWS: usize = 50;

/// What one input column is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Field(Field),
    /// A column a report adds (源行号, 错误, 结果): read back without complaint, never sent.
    Meta,
    /// A known field this command does not use (e.g. 部门 in a delete sheet).
    Unused(Field),
    Unknown,
    /// A column the company said to ignore (`--map HEADER=-`): kept in the report, never warned
    /// about, never sent.
    Ignored,
    /// A second column for a field already matched.
    Duplicate(Field),
    /// A column HR systems have that 办公逸 has no field for (序号, 身份证号, 学历 …,
    /// [`has_no_place`]): kept in the report, never sent, said once for all of them.
    NoPlace,
}

/// A header as a person chooses its columns: each title, what bgy made of it, and for a
/// column it does not know (or 工号 where 帐号 is missing) the column it most likely means.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ColumnsSeen {
    /// The header's row in the sheet.
    pub row: u32,
    pub columns: Vec<SeenColumn>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SeenColumn {
    pub title: String,
    /// The field's API key when bgy reads the column as one.
    pub field: Option<String>,
    /// bgy does not know the column (it is ignored, with a warning).
    pub unknown: bool,
    /// The field's API key this column most likely holds, for a column bgy does not know.
    pub guess: Option<String>,
    /// Ignored, as the company said or as a column 办公逸 has no field for.
    #[serde(default)]
    pub ignored: bool,
    /// A known column this sheet's kind does not read (姓名 in a sheet of accounts to delete).
    #[serde(default)]
    pub unused: bool,
}

impl ColumnsSeen {
    /// Columns a person should choose for: unknown ones.
    pub fn questions(&self) -> usize {
        self.columns.iter().filter(|c| c.unknown).count()
    }
}

#[derive(Debug, Clone)]
pub struct Header {
    /// 1-based sheet row of the header.
    pub row: u32,
    /// The header cells as written.
    pub titles: Vec<String>,
    pub columns: Vec<Column>,
    /// The columns that together hold the 部门 path, top level first, when an HR system split
    /// it into 一级部门, 二级部门 … ([`dept_level`]); empty when one column holds it.
    pub levels: Vec<usize>,
    /// A header of two rows ([`under_groups`]): its upper row as written (`联系方式` over `手机`
    /// and `邮箱`); empty for a header of one row.
    pub groups: Vec<String>,
}

impl Header {
    /// The column of a report's 源行号 Source row (the row in the person's own file).
    pub fn source_row_column(&self) -> Option<usize> {
        self.titles
            .iter()
            .zip(&self.columns)
            .position(|(t, c)| *c == Column::Meta && normalize(t).starts_with("源行号"))
    }

    /// Column `i`'s title in a report's 失败 Failed sheet, which is read again as an input: its
    /// own when it names its column by itself (a departments sheet's titles too), the
    /// template's label when the company's names (`--map`, the console's choices) had to say
    /// what it is. Fed back without them, the rows still read.
    pub fn report_title(&self, i: usize) -> &str {
        let title = &self.titles[i];
        match self.columns.get(i) {
            Some(Column::Field(f))
                if field_of(title) != Some(*f) && dept_field(title) != Some(*f) =>
            {
                f.label()
            }
            _ => title,
        }
    }

    pub fn position(&self, field: Field) -> Option<usize> {
        self.columns.iter().position(|c| *c == Column::Field(field))
    }

    /// The known column an unknown `title` of this header most likely meant ([`nearest`]),
    /// unless another column already reads it: beside a 部门 column, 原部门 is no 部门 (read
    /// as one, it would make the real 部门 a duplicate, and put everyone where it says).
    /// An HR number (工号, 员工编号 …) is guessed as nothing: it is the account only when the
    /// person says so ([`Header::seen`] asks), and 员工编号 is near 考勤机员工编号, but whether
    /// the attendance machine numbers people as HR does is the company's to say (chosen for it,
    /// an overwrite would put HR's numbers in everyone's 考勤号).
    pub fn guess(&self, title: &str) -> Option<Field> {
        (!is_employee_number(title))
            .then(|| nearest(title))
            .flatten()
            .filter(|f| self.position(*f).is_none())
    }

    /// The header as a person chooses its columns; for a `layout` missing its 帐号, a 工号
    /// column is offered as it (and the person confirms it).
    pub fn seen(&self, layout: Layout) -> ColumnsSeen {
        let no_account = layout.required().contains(&Field::WeUserid)
            && self.position(Field::WeUserid).is_none();
        let columns = self
            .columns
            .iter()
            .zip(&self.titles)
            .filter(|(c, t)| **c != Column::Meta && !t.trim().is_empty())
            .map(|(c, title)| {
                let unknown = *c == Column::Unknown;
                let guess = match unknown {
                    true if no_account && is_employee_number(title) => Some(Field::WeUserid),
                    true => self.guess(title),
                    false => None,
                };
                SeenColumn {
                    title: title.clone(),
                    field: match c {
                        Column::Field(f) => Some(f.key().to_string()),
                        _ => None,
                    },
                    unknown,
                    guess: guess.map(|f| f.key().to_string()),
                    ignored: matches!(c, Column::Ignored | Column::NoPlace),
                    unused: matches!(c, Column::Unused(_)),
                }
            })
            .collect();
        ColumnsSeen {
            row: self.row,
            columns,
        }
    }
}

/// What HR templates write beside a title to say whether it must be filled in, folded as
/// [`normalize`] folds the rest of a title (full-width brackets as ASCII): `手机（必填）`.
const FILL_MARKS: &[&str] = &[
    "(必填)",
    "(必填项)",
    "(选填)",
    "(非必填)",
    "(可选)",
    "(必选)",
    "(required)",
    "(optional)",
];

/// The title before a bracket that says how to write the column's values, as
/// [`normalize`] folds it: `入职时间(yyyy-mm-dd)`, `入职日期（格式：2024-01-01）`,
/// `转正日期(例:2024-06-01)`. A bracket that says what the column holds (`姓名(英文)`,
/// `手机(备用)`) is part of the title.
fn without_hint(title: &str) -> Option<&str> {
    let (before, hint) = bracketed(title)?;
    let how = hint.contains("yyyy")
        || ["格式", "例", "如:", "e.g."]
            .iter()
            .any(|p| hint.starts_with(p));
    how.then_some(before)
}

/// A title that ends in a bracket, [`normalize`]d: what is before it, and what is in it.
fn bracketed(title: &str) -> Option<(&str, &str)> {
    let open = title.strip_suffix(')')?.rfind('(')?;
    Some((&title[..open], &title[open + 1..title.len() - 1]))
}

/// Case, spaces, full-width forms, and the marks of a column to fill in folded away: a `*`
/// before or after the title (`*姓名`, `帐号*`), a `(必填)` or `(选填)` after it, and a bracket
/// that says how to write it ([`without_hint`]).
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        };
        if c.is_whitespace() || crate::text::is_invisible(c) {
            continue;
        }
        out.extend(c.to_lowercase());
    }
    // Peeled in place, a mark at a time: a cell of 32,767 characters of marks is one pass.
    let mut title = out.as_str();
    loop {
        let marked = (FILL_MARKS.iter())
            .find_map(|m| title.strip_suffix(m))
            .or_else(|| without_hint(title));
        let bare = marked.unwrap_or(title).trim_matches('*');
        if bare.len() == title.len() {
            break;
        }
        title = bare;
    }
    match title.len() == out.len() {
        true => out,
        false => title.to_string(),
    }
}

/// Other names people and HR systems give these columns.
///
/// 工号 and 员工编号 are deliberately absent: they are the HR system's employee number, which
/// is often not the WeCom account, and guessing wrong would create the whole company under the
/// wrong accounts. A sheet with such a column and no 帐号 is told how to map it (`--map`).
const ALIASES: &[(&str, Field)] = &[
    ("账号", Field::WeUserid),
    ("帐户", Field::WeUserid),
    ("账户", Field::WeUserid),
    ("用户名", Field::WeUserid),
    ("userid", Field::WeUserid),
    ("企业微信账号", Field::WeUserid),
    ("企业微信帐号", Field::WeUserid),
    ("名字", Field::WeName),
    ("员工姓名", Field::WeName),
    ("成员姓名", Field::WeName),
    ("name", Field::WeName),
    ("英文名称", Field::EnglishName),
    // 企业微信 calls the English name 别名 since 2019, and its export says so.
    ("别名", Field::EnglishName),
    ("englishname", Field::EnglishName),
    ("gender", Field::WeGender),
    ("手机号", Field::WeMobile),
    ("手机号码", Field::WeMobile),
    ("联系电话", Field::WeMobile),
    ("移动电话", Field::WeMobile),
    ("mobile", Field::WeMobile),
    ("电子邮箱", Field::WeEmail),
    ("电子邮件", Field::WeEmail),
    ("邮箱地址", Field::WeEmail),
    // The company's mailbox, as HR systems that also keep a 个人邮箱 (personal, not
    // guessed) call it.
    ("工作邮箱", Field::WeEmail),
    ("公司邮箱", Field::WeEmail),
    ("企业邮箱", Field::WeEmail),
    ("办公邮箱", Field::WeEmail),
    ("email", Field::WeEmail),
    ("e-mail", Field::WeEmail),
    ("所在部门", Field::WeDepartment),
    ("所属部门", Field::WeDepartment),
    ("部门名称", Field::WeDepartment),
    ("部门路径", Field::WeDepartment),
    ("部门全路径", Field::WeDepartment),
    ("部门(全路径)", Field::WeDepartment),
    ("department", Field::WeDepartment),
    ("部门编号", Field::WeId),
    ("岗位", Field::WePosition),
    ("职务", Field::WePosition),
    ("岗位名称", Field::WePosition),
    ("position", Field::WePosition),
    ("级别", Field::PositionLevelId),
    ("职级编号", Field::PositionLevelId),
    ("上级", Field::LeadId),
    ("直属上级", Field::LeadId),
    ("汇报对象", Field::LeadId),
    // Columns that HR systems fill with the leader's name (钉钉's 直属主管): read as
    // 直接上级, whose names are found as accounts (`validate::leaders`).
    ("直属主管", Field::LeadId),
    ("直接主管", Field::LeadId),
    ("汇报上级", Field::LeadId),
    ("直属领导", Field::LeadId),
    ("直接领导", Field::LeadId),
    ("上级姓名", Field::LeadId),
    ("直接上级姓名", Field::LeadId),
    ("直属上级姓名", Field::LeadId),
    ("直属主管姓名", Field::LeadId),
    ("下属", Field::Subordinate),
    ("座机", Field::WeTel),
    ("办公电话", Field::WeTel),
    ("工作地点", Field::Address),
    ("办公地点", Field::Address),
    ("员工状态", Field::Status),
    ("人员状态", Field::Status),
    ("在职状态", Field::Status),
    ("入职日期", Field::EntryTime),
    ("转正日期", Field::PositiveTime),
    ("离职日期", Field::QuiteTime),
    ("离职理由", Field::QuiteReason),
    ("复职日期", Field::BackTime),
    ("参加工作日期", Field::WorkTime),
    ("开始工作日期", Field::WorkTime),
    ("首次参加工作时间", Field::WorkTime),
    ("出生日期", Field::BirthdayG),
    ("生日", Field::BirthdayG),
    ("阳历生日", Field::BirthdayG),
    ("公历出生日期", Field::BirthdayG),
    ("阳历出生日期", Field::BirthdayG),
    ("生日(公历)", Field::BirthdayG),
    ("生日(阳历)", Field::BirthdayG),
    ("出生日期(公历)", Field::BirthdayG),
    ("出生日期(阳历)", Field::BirthdayG),
    ("阴历生日", Field::BirthdayL),
    ("农历出生日期", Field::BirthdayL),
    ("阴历出生日期", Field::BirthdayL),
    ("生日(农历)", Field::BirthdayL),
    ("生日(阴历)", Field::BirthdayL),
    ("出生日期(农历)", Field::BirthdayL),
    ("出生日期(阴历)", Field::BirthdayL),
    ("银行卡账户", Field::BankCard),
    ("银行账号", Field::BankCard),
    ("工资卡号", Field::BankCard),
    ("开户银行", Field::BankName),
    ("考勤机编号", Field::CheckId),
    ("考勤编号", Field::CheckId),
    ("考勤机员工编号", Field::CheckId),
    ("是否同步到企业号", Field::ToQy),
];

/// Columns HR systems' exports have that 办公逸 has no field for: each is ignored without a
/// question (the console does not ask what it holds), all of them named in one warning. An ID
/// number's column is one too ([`crate::report`] masks it wherever it is shown).
const NO_PLACE: &[&str] = &[
    "序号",
    "行号",
    "年龄",
    "民族",
    "籍贯",
    "户籍",
    "户籍地址",
    "户籍所在地",
    "户口所在地",
    "户口性质",
    "政治面貌",
    "婚姻状况",
    "婚姻状态",
    "学历",
    "最高学历",
    "学位",
    "毕业院校",
    "毕业学校",
    "专业",
    "所学专业",
    "毕业时间",
    "毕业日期",
    "家庭住址",
    "现住址",
    "居住地址",
    "现居住地址",
    "紧急联系人",
    "紧急联系人电话",
    "紧急联系电话",
    "紧急联系人关系",
    "合同类型",
    "合同开始日期",
    "合同结束日期",
    "合同到期日",
    "合同到期日期",
    "合同期限",
    "司龄",
    "工龄",
    "备注",
    "社保账号",
    "社保号",
    "公积金账号",
    "血型",
    "身高",
    "体重",
    "健康状况",
    "照片",
    // 企业微信's own export of its directory: statuses of the WeCom account, not the person.
    "激活状态",
    "禁用状态",
    "微信插件",
    "对外职务",
    "视频号",
    "no.",
    "age",
    "remark",
    "remarks",
    "notes",
];

/// A column HR systems have that 办公逸 has no field for ([`NO_PLACE`]), or an ID number's.
pub fn has_no_place(title: &str) -> bool {
    let n = normalize(title);
    NO_PLACE.iter().any(|t| normalize(t) == n) || is_id_number_title(title)
}

/// A column of ID numbers (身份证号, 证件号码, ID card …): bgy never sends one, and masks it
/// wherever a person sees it.
pub fn is_id_number_title(title: &str) -> bool {
    let t = title.to_lowercase();
    let words: Vec<&str> = (t.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .collect();
    ["身份证", "证件号", "证件编号"]
        .iter()
        .any(|w| t.contains(w))
        || words.contains(&"idcard")
        || (words.windows(2)).any(|w| w[0] == "id" && matches!(w[1], "card" | "number" | "no"))
}

/// The HR system's employee number: never taken for 帐号 on its own (see [`ALIASES`]).
const EMPLOYEE_NUMBERS: &[&str] = &["工号", "员工编号", "员工号", "职工编号", "人员编号"];

/// The company's own column names, from `bgy.toml`'s `[columns]` and `--map`: a header that
/// matches one (as [`normalize`] folds it) is that field, or ignored silently when `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names(Vec<(String, Option<Field>)>);

impl Names {
    /// Adds `header` → `field`; a later name for the same header wins (`--map` over `bgy.toml`).
    pub fn add(&mut self, header: &str, field: Option<Field>) {
        self.put(normalize(header), field);
    }

    /// Adds every name of `other`, over these.
    pub fn extend(&mut self, other: &Names) {
        for (h, f) in &other.0 {
            self.put(h.clone(), *f);
        }
    }

    fn put(&mut self, normalized: String, field: Option<Field>) {
        self.0.retain(|(h, _)| *h != normalized);
        self.0.push((normalized, field));
    }

    fn get(&self, normalized: &str) -> Option<Option<Field>> {
        self.0
            .iter()
            .find(|(h, _)| h == normalized)
            .map(|(_, f)| *f)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `工号→帐号, 紧急联系人→-`, for the history.
    pub fn describe(&self) -> String {
        self.0
            .iter()
            .map(|(h, f)| format!("{h}→{}", f.map_or("-", Field::label)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `HEADER=COLUMN` as `--map` takes it; COLUMN is a label, an API key or an alias, or `-`
    /// to ignore the column.
    pub fn parse_pair(pair: &str) -> Result<(String, Option<Field>), String> {
        let Some((header, column)) = pair.rsplit_once('=') else {
            return Err(format!(
                "{pair:?} 应写成 表头=列,如 --map 工号=帐号,或 --map 备注=- 忽略一列 ({pair:?} is not HEADER=COLUMN (e.g. --map 工号=帐号, or --map 备注=- to ignore a column))"
            ));
        };
        if normalize(header).is_empty() {
            return Err(format!(
                "{pair:?}:= 前面的表头是空的 ({pair:?}: the header before = is empty)"
            ));
        }
        Ok((header.trim().to_string(), Names::target(column)?))
    }

    /// What a mapping's right-hand side names: a field, or `-` for none.
    pub fn target(column: &str) -> Result<Option<Field>, String> {
        if column.trim() == "-" {
            return Ok(None);
        }
        builtin(column).map(Some).ok_or_else(|| {
            let (hint_zh, hint) = nearest(column)
                .map(|f| {
                    (
                        format!("是否指 {} ({})?", f.label(), f.key()),
                        format!("did you mean {} ({})? ", f.label(), f.key()),
                    )
                })
                .unwrap_or_default();
            format!(
                "{column:?} 不是 bgy 认识的列;{hint_zh}请用模板的表头(如 帐号、姓名、手机、部门)、API 字段名(如 we_userid),或用 - 忽略该列 ({column:?} is not a column bgy knows; {hint}use a template header such as 帐号, 姓名, 手机, 部门 or an API key such as we_userid, or - to ignore the column)"
            )
        })
    }
}

/// Columns the report adds; read back silently.
const META: &[&str] = &[
    "源行号sourcerow",
    "源行号",
    "错误error",
    "错误",
    "结果outcome",
    "结果",
];

/// The field a header names by the template's labels, API keys and [`ALIASES`].
pub fn field_of(title: &str) -> Option<Field> {
    builtin(title)
}

fn builtin(title: &str) -> Option<Field> {
    let n = normalize(title);
    (named(&n).or_else(|| with_choices(&n)))
        .or_else(|| dept_level(title).map(|_| Field::WeDepartment))
}

/// The level of a column that holds one level of the 部门 path, as HR systems export it:
/// 一级部门, 二级部门 … (or 2级部门, 三级组织, 一级机构, 二级部门名称). Beside a column that
/// holds the whole path they are read as nothing (see [`map`]).
pub fn dept_level(title: &str) -> Option<u32> {
    const NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
    let n = normalize(title);
    let n = n.strip_suffix("名称").unwrap_or(&n);
    let level = ["级部门", "级组织", "级机构"]
        .iter()
        .find_map(|s| n.strip_suffix(s))?;
    match NUMERALS.iter().position(|d| *d == level) {
        Some(i) => Some(i as u32 + 1),
        None => level.parse().ok().filter(|l| (1..=20).contains(l)),
    }
}

/// The field a [`normalize`]d title names.
fn named(n: &str) -> Option<Field> {
    if n.is_empty() {
        return None;
    }
    Field::ALL
        .iter()
        .copied()
        .find(|f| normalize(f.label()) == n || normalize(f.key()) == n)
        .or_else(|| {
            ALIASES
                .iter()
                .find(|(a, _)| normalize(a) == n)
                .map(|(_, f)| *f)
        })
}

/// The field of a [`normalize`]d title whose bracket lists the column's choices, each one the
/// field takes: `性别（男/女）`, `同步到企业号(是/否)`.
fn with_choices(n: &str) -> Option<Field> {
    let (before, listed) = bracketed(n)?;
    let field = named(before)?;
    let mut listed = listed.split(['/', '、', ',']);
    listed
        .all(|c| field.choice_value(c).is_some())
        .then_some(field)
}

/// The known column a header that matched none most likely meant: within a third of its
/// length in edits (at least one; none for two characters), or one contains the other
/// (员工手机 → 手机).
pub fn nearest(title: &str) -> Option<Field> {
    let n = normalize(title);
    let len = n.chars().count();
    if len < 2 {
        return None;
    }
    let names = Field::ALL
        .iter()
        .flat_map(|f| [(normalize(f.label()), *f), (normalize(f.key()), *f)])
        .chain(ALIASES.iter().map(|(a, f)| (normalize(a), *f)));
    let mut best: Option<(usize, Field)> = None;
    for (name, field) in names {
        if other_calendar(&n, field) {
            continue;
        }
        let distance = strsim::levenshtein(&n, &name);
        let contained = name.chars().count() >= 2 && (n.contains(&name) || name.contains(&n));
        // A title of two characters one apart from a name is half another word (序号 is no
        // 帐号): only a longer one is guessed by its edits.
        let close = (len > 2 && distance <= (len / 3).max(1)) || contained;
        if close && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, field));
        }
    }
    best.map(|(_, f)| f)
}

/// A title that names one calendar is never guessed as the other's birthday: `生日(农历)`
/// is one letter from `生日`, and 公历生日 filled with lunar days would be wrong everywhere.
fn other_calendar(title: &str, field: Field) -> bool {
    let lunar = ["农历", "阴历", "旧历", "農曆", "陰曆"]
        .iter()
        .any(|w| title.contains(w));
    let solar = ["公历", "阳历", "新历", "公曆", "陽曆"]
        .iter()
        .any(|w| title.contains(w));
    match field {
        Field::BirthdayG => lunar,
        Field::BirthdayL => solar,
        _ => false,
    }
}

/// A header the HR system gives its employee number (工号, 员工编号 …).
pub fn is_employee_number(title: &str) -> bool {
    let n = normalize(title);
    EMPLOYEE_NUMBERS.iter().any(|e| normalize(e) == n)
}

/// What a header names: the company's own names first, then the built-in ones.
/// `Some(None)`: a column the company told bgy to ignore. A departments sheet has titles of its
/// own (the company's names are for staff columns).
fn resolve(title: &str, names: &Names, layout: Layout) -> Option<Option<Field>> {
    if layout == Layout::Departments {
        return dept_field(title).map(Some);
    }
    names
        .get(&normalize(title))
        .or_else(|| builtin(title).map(Some))
}

/// The column a departments sheet's title names ([`DEPT_NAMES`]).
fn dept_field(title: &str) -> Option<Field> {
    let n = normalize(title);
    DEPT_NAMES
        .iter()
        .find(|(name, _)| normalize(name) == n)
        .map(|(_, f)| *f)
}

/// A departments sheet's titles, as `bgy export` writes them and as people shorten them: the
/// API's keys for a department are the staff columns' keys (we_id, we_name), and its full path
/// is what a staff sheet's 部门 holds.
const DEPT_NAMES: &[(&str, Field)] = &[
    ("部门ID we_id", Field::WeId),
    ("部门ID", Field::WeId),
    ("we_id", Field::WeId),
    ("名称 Name", Field::WeName),
    ("名称", Field::WeName),
    ("name", Field::WeName),
    ("we_name", Field::WeName),
    ("部门名称", Field::WeName),
    ("完整路径 Path", Field::WeDepartment),
    ("完整路径", Field::WeDepartment),
    ("path", Field::WeDepartment),
    ("路径", Field::WeDepartment),
    ("部门路径", Field::WeDepartment),
];

/// Columns a layout reads back without using or warning about: a report's, and for a
/// departments sheet the export's other columns (上级ID, 排序, 人数).
fn is_meta(title: &str, layout: Layout) -> bool {
    let n = normalize(title);
    META.iter().any(|m| *m == n)
        || (layout == Layout::Departments
            && crate::model::DEPT_TITLES.iter().any(|t| normalize(t) == n))
}

/// Finds the header among the first rows; `None` when no row names two known columns. The
/// index is of the header's last row: a header of two rows ([`under_groups`]) ends on its
/// second.
pub fn find(rows: &[RawRow], layout: Layout, names: &Names) -> Option<(usize, Header)> {
    let (i, titles) = rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .enumerate()
        .find_map(|(i, row)| {
            let titles: Vec<String> = row.cells.iter().map(Cell::display).collect();
            // Distinct columns: a row naming one column twice, by its title and by its key
            // (`帐号*`, `we_userid`, as bgy's own 说明 Instructions sheet lists them), is no
            // header.
            let mut fields: Vec<Field> = titles
                .iter()
                .filter_map(|t| field(t, names, layout))
                .collect();
            // An HR number (工号) is a known column here, though never read as the account on
            // its own: HR's list of 工号 and 姓名 has a header, whose 工号 the person is asked
            // about ([`Header::seen`]).
            if titles.iter().any(|t| is_employee_number(t)) {
                fields.push(Field::WeUserid);
            }
            fields.sort_unstable_by_key(|&f| f as usize);
            fields.dedup();
            let known = fields.len();
            let alone = match layout {
                Layout::Delete => titles.len() == 1,
                // A departments sheet may be its paths alone.
                Layout::Departments => true,
                _ => false,
            };
            (known >= 2 || (known == 1 && alone)).then_some((i, titles))
        })?;
    let Some(both) = (rows.get(i + 1)).and_then(|next| under_groups(&titles, next, layout, names))
    else {
        return Some((i, map(rows[i].source_row, titles, layout, names)));
    };
    let header = map(rows[i + 1].source_row, both, layout, names);
    Some((
        i + 1,
        Header {
            groups: titles,
            ..header
        },
    ))
}

/// The field a title names, if any.
fn field(title: &str, names: &Names, layout: Layout) -> Option<Field> {
    resolve(title, names, layout).flatten()
}

/// A header of two rows, as HR's rosters (花名册) group their columns: `联系方式` over `手机` and
/// `邮箱`, `姓名` merged down both rows. When the row under the header names two known columns
/// the header does not, the two are one header: each column's title is the lower row's, or the
/// upper's where the lower is empty. A row of people never holds two cells that are column
/// titles.
fn under_groups(
    top: &[String],
    next: &RawRow,
    layout: Layout,
    names: &Names,
) -> Option<Vec<String>> {
    let below: Vec<String> = next.cells.iter().map(Cell::display).collect();
    let new = (below.iter().enumerate())
        .filter_map(|(c, t)| Some((c, field(t, names, layout)?)))
        .filter(|&(c, f)| top.get(c).and_then(|t| field(t, names, layout)) != Some(f))
        .count();
    if new < 2 {
        return None;
    }
    let width = top.len().max(below.len());
    Some(
        (0..width)
            .map(|c| match below.get(c).filter(|t| !t.trim().is_empty()) {
                Some(t) => t.clone(),
                None => top.get(c).cloned().unwrap_or_default(),
            })
            .collect(),
    )
}

fn map(row: u32, titles: Vec<String>, layout: Layout, names: &Names) -> Header {
    let mut seen = Vec::new();
    // The 部门 path split into a column a level, unless a column holds it whole: then the
    // levels are repeats of it, whichever comes first.
    let dept = |t: &String| resolve(t, names, layout) == Some(Some(Field::WeDepartment));
    let whole = titles.iter().any(|t| dept(t) && dept_level(t).is_none());
    let reads = |f: Field| layout.columns().contains(&f);
    let level = |t: &String| {
        (!whole && reads(Field::WeDepartment) && dept(t))
            .then(|| dept_level(t))
            .flatten()
    };
    let mut levels: Vec<(u32, usize)> = (titles.iter().enumerate())
        .filter_map(|(i, t)| Some((level(t)?, i)))
        .collect();
    // Top level first; of two columns of one level, the first.
    levels.sort_unstable();
    levels.dedup_by_key(|(l, _)| *l);
    let columns = titles
        .iter()
        .enumerate()
        .map(|(i, t)| match resolve(t, names, layout) {
            Some(Some(f)) if reads(f) && levels.iter().any(|&(_, c)| c == i) => Column::Field(f),
            Some(Some(f @ Field::WeDepartment)) if reads(f) && dept_level(t).is_some() => {
                Column::Duplicate(f)
            }
            Some(Some(f)) if seen.contains(&f) => Column::Duplicate(f),
            Some(Some(f)) if layout.columns().contains(&f) => {
                seen.push(f);
                Column::Field(f)
            }
            Some(Some(f)) => Column::Unused(f),
            Some(None) => Column::Ignored,
            None if is_meta(t, layout) || t.trim().is_empty() => Column::Meta,
            None if layout != Layout::Departments && has_no_place(t) => Column::NoPlace,
            None => Column::Unknown,
        })
        .collect();
    let levels = match levels.len() {
        0 | 1 => Vec::new(),
        _ => levels.into_iter().map(|(_, i)| i).collect(),
    };
    Header {
        row,
        titles,
        columns,
        levels,
        groups: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: u32, cells: &[&str]) -> RawRow {
        RawRow {
            source_row: n,
            hidden: false,
            cells: cells.iter().map(|c| Cell::Text(c.to_string())).collect(),
        }
    }

    #[test]
    fn a_column_a_department_level_is_known_by_its_level() {
        for (title, level) in [
            ("一级部门", Some(1)),
            ("二级部门名称", Some(2)),
            ("3级组织", Some(3)),
            ("十级机构*", Some(10)),
            ("部门", None),
            ("上级部门", None),
            ("一级", None),
            ("0级部门", None),
            ("21级部门", None),
        ] {
            assert_eq!(dept_level(title), level, "{title}");
        }
    }

    /// The levels are read top level first, whatever their columns' order; a second column of
    /// a level repeats the first; a sheet of dates does not read them.
    #[test]
    fn a_department_split_into_levels_is_read_from_each_levels_first_column() {
        let names = Names::default();
        let titles = [
            "帐号",
            "三级部门",
            "姓名",
            "一级部门",
            "一级部门",
            "二级部门",
        ];
        let h = map(1, titles.map(String::from).to_vec(), Layout::Staff, &names);
        assert_eq!(h.levels, vec![3, 5, 1]);
        let dept = Column::Field(Field::WeDepartment);
        assert_eq!(
            h.columns[1..],
            [
                dept.clone(),
                Column::Field(Field::WeName),
                dept.clone(),
                Column::Duplicate(Field::WeDepartment),
                dept
            ]
        );
        let h = map(1, titles.map(String::from).to_vec(), Layout::Times, &names);
        assert!(h.levels.is_empty());
        assert_eq!(h.columns[1], Column::Unused(Field::WeDepartment));
        // One level alone is the path.
        let h = map(
            1,
            ["帐号", "一级部门"].map(String::from).to_vec(),
            Layout::Staff,
            &names,
        );
        assert_eq!(
            (h.levels.len(), &h.columns[1]),
            (0, &Column::Field(Field::WeDepartment))
        );
    }

    /// A roster's header of two rows: groups over their columns, the columns of no group
    /// merged down (read into both rows) or left empty below. A row of people under a header
    /// is not taken for its second row.
    #[test]
    fn a_header_of_two_rows_is_one() {
        let names = Names::default();
        let rows = [
            row(1, &["花名册"]),
            row(2, &["帐号", "姓名", "部门", "联系方式", "", "任职信息", ""]),
            row(3, &["帐号", "", "部门", "手机", "邮箱", "职位", "入职日期"]),
            row(
                4,
                &[
                    "zs",
                    "张三",
                    "研发部",
                    "13800138000",
                    "zs@x.com",
                    "工程师",
                    "2020-01-01",
                ],
            ),
        ];
        let (i, h) = find(&rows, Layout::Staff, &names).unwrap();
        assert_eq!((i, h.row), (2, 3));
        assert_eq!(
            h.titles,
            ["帐号", "姓名", "部门", "手机", "邮箱", "职位", "入职日期"]
        );
        assert!(
            h.columns.iter().all(|c| matches!(c, Column::Field(_))),
            "{:?}",
            h.columns
        );

        let (i, h) = find(&[rows[1].clone(), rows[3].clone()], Layout::Staff, &names).unwrap();
        assert_eq!((i, h.row), (0, 2));
        // One cell that reads as a title (a person called 姓名) does not make a header.
        let lone = row(3, &["zs", "姓名", "研发部"]);
        assert_eq!(
            find(&[rows[1].clone(), lone], Layout::Staff, &names)
                .unwrap()
                .0,
            0
        );
    }

    #[test]
    fn a_report_heads_a_column_the_company_named_by_its_label() {
        let titles = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        fn shown(h: &Header) -> Vec<&str> {
            (0..h.titles.len()).map(|i| h.report_title(i)).collect()
        }
        let mut names = Names::default();
        names.add("工号", Some(Field::WeUserid));
        names.add("紧急联系人", None);
        let h = map(
            1,
            titles(&["工号", "员工姓名", "手机号码", "紧急联系人", "身份证号"]),
            Layout::Staff,
            &names,
        );
        assert_eq!(
            shown(&h),
            ["帐号", "员工姓名", "手机号码", "紧急联系人", "身份证号"]
        );
        // A departments sheet's own titles are read back as they are.
        let depts = ["部门ID we_id", "名称 Name", "完整路径 Path"];
        let h = map(1, titles(&depts), Layout::Departments, &Names::default());
        assert_eq!(shown(&h), depts);
    }

    #[test]
    fn labels_keys_case_fullwidth_and_stars() {
        assert_eq!(field_of("帐号*"), Some(Field::WeUserid));
        assert_eq!(field_of(" 帐 号 ＊"), Some(Field::WeUserid));
        assert_eq!(field_of("WE_USERID"), Some(Field::WeUserid));
        assert_eq!(field_of("ｗｅ＿ｍｏｂｉｌｅ"), Some(Field::WeMobile));
        assert_eq!(field_of("部门id"), Some(Field::WeId));
        assert_eq!(field_of("账号"), Some(Field::WeUserid));
        assert_eq!(field_of("toqy"), Some(Field::ToQy));
        // What comes along with a title pasted from a chat or a web page.
        assert_eq!(field_of("\u{FEFF}姓名"), Some(Field::WeName));
        assert_eq!(field_of("手机\u{200B}"), Some(Field::WeMobile));
        assert_eq!(field_of("邮\u{200D}箱"), Some(Field::WeEmail));
        // HR templates' marks of a column to fill in, before or after the title.
        assert_eq!(field_of("*姓名"), Some(Field::WeName));
        assert_eq!(field_of("＊手机号码（必填）"), Some(Field::WeMobile));
        assert_eq!(field_of("邮箱(选填)*"), Some(Field::WeEmail));
        assert_eq!(field_of("入职时间\n(非必填)"), Some(Field::EntryTime));
        assert!(is_employee_number("*工号"));
        // Only those marks: a bracket that says what the column holds still tells it apart.
        assert_eq!(field_of("姓名(英文)"), None);
        assert_eq!(field_of("*"), None);
        assert_eq!(field_of("部门（全路径）"), Some(Field::WeDepartment));
        // A bracket that says how to write the values, not what they are.
        assert_eq!(field_of("入职时间(YYYY-MM-DD)"), Some(Field::EntryTime));
        assert_eq!(
            field_of("*入职日期（格式：2024-01-01）"),
            Some(Field::EntryTime)
        );
        assert_eq!(field_of("转正日期(例:2024-06-01)必填"), None);
        assert_eq!(
            field_of("转正日期(例:2024-06-01)"),
            Some(Field::PositiveTime)
        );
        assert_eq!(field_of("手机(备用)"), None);
        // A bracket that lists the column's choices.
        assert_eq!(field_of("性别（男/女）"), Some(Field::WeGender));
        assert_eq!(
            field_of("人事状态(试用期、已转正、已离职)"),
            Some(Field::Status)
        );
        assert_eq!(field_of("性别(男/女/其他)"), None);
        assert_eq!(field_of("姓名(男/女)"), None);
        let marks = "(必填)(yyyy)*".repeat(32_767 / 11);
        assert_eq!(normalize(&format!("*手机{marks}")), "手机");
        assert_eq!(field_of("备注"), None);
    }

    #[test]
    fn id_number_columns_are_told_by_their_titles() {
        for title in [
            "身份证号",
            "身份证号码",
            "证件号码",
            "ID card",
            "ID No.",
            "Id_Number",
        ] {
            assert!(is_id_number_title(title), "{title}");
        }
        for title in ["Paid notes", "工号", "Idea", "备注"] {
            assert!(!is_id_number_title(title), "{title}");
        }
    }

    /// An HR export's 一级部门 beside its 部门 is not guessed to be 部门: taken as it, the real
    /// 部门 was ignored as a duplicate and everyone went into the top-level department.
    #[test]
    fn no_column_is_guessed_as_one_the_header_already_reads() {
        let h = map(
            1,
            ["帐号", "一级部门", "部门", "个人邮箱"]
                .map(String::from)
                .to_vec(),
            Layout::Staff,
            &Names::default(),
        );
        assert_eq!(nearest("一级部门"), Some(Field::WeDepartment));
        assert_eq!(h.guess("一级部门"), None);
        assert_eq!(
            (nearest("原部门"), h.guess("原部门")),
            (Some(Field::WeDepartment), None)
        );
        // Near 考勤机员工编号, but an HR number is guessed as nothing.
        assert_eq!(nearest("员工编号"), Some(Field::CheckId));
        assert_eq!((h.guess("员工编号"), h.guess("工号")), (None, None));
        // Beside the whole path, a level is a repeat of it: no question either.
        assert_eq!(h.columns[1], Column::Duplicate(Field::WeDepartment));
        let guesses: Vec<_> = (h.seen(Layout::Staff).columns.into_iter())
            .filter(|c| c.unknown)
            .map(|c| (c.title, c.guess))
            .collect();
        assert_eq!(
            guesses,
            [("个人邮箱".to_string(), Some("we_email".to_string()))]
        );
    }

    /// What HR systems' exports have and 办公逸 has not: ignored without a question, and no
    /// two-character title guessed as the known one it shares a character with.
    #[test]
    fn columns_without_a_place_in_bangongyi_are_no_questions() {
        let h = map(
            1,
            [
                "序号",
                "帐号",
                "身份证号码",
                "学历",
                "Remarks",
                "爱好",
                "电子油箱",
            ]
            .map(String::from)
            .to_vec(),
            Layout::Staff,
            &Names::default(),
        );
        assert_eq!(
            h.columns,
            vec![
                Column::NoPlace,
                Column::Field(Field::WeUserid),
                Column::NoPlace,
                Column::NoPlace,
                Column::NoPlace,
                Column::Unknown,
                Column::Unknown
            ]
        );
        assert_eq!(h.seen(Layout::Staff).questions(), 2);
        // 企业微信's own export: its English name, and its account's statuses.
        let titles = ["账号", "别名", "激活状态", "禁用状态", "微信插件"];
        let h = map(
            1,
            titles.map(String::from).to_vec(),
            Layout::Staff,
            &Names::default(),
        );
        assert_eq!(h.columns[1], Column::Field(Field::EnglishName));
        assert_eq!(
            h.columns[2..],
            [Column::NoPlace, Column::NoPlace, Column::NoPlace]
        );
        assert_eq!(nearest("序号"), None);
        assert_eq!(nearest("电子油箱"), Some(Field::WeEmail));
        // The company's own name for one wins.
        let names = Names(vec![(normalize("备注"), Some(Field::WePosition))]);
        let h = map(1, vec!["备注".into()], Layout::Staff, &names);
        assert_eq!(h.columns, vec![Column::Field(Field::WePosition)]);
    }

    #[test]
    fn title_rows_above_the_header_are_skipped() {
        let rows = vec![
            row(1, &["2026 年入职名单"]),
            row(2, &["帐号"]),
            row(3, &["帐号*", "姓名*", "爱好", "源行号 Source row", "帐号"]),
        ];
        let (i, h) = find(&rows, Layout::Staff, &Names::default()).unwrap();
        assert_eq!(i, 2);
        assert_eq!(h.row, 3);
        assert_eq!(
            h.columns,
            vec![
                Column::Field(Field::WeUserid),
                Column::Field(Field::WeName),
                Column::Unknown,
                Column::Meta,
                Column::Duplicate(Field::WeUserid)
            ]
        );
    }

    /// HR's list of 工号 and 姓名 (a 离职名单, people to delete) has a header: its 工号 is no
    /// account until the person says so, but it is a column the list is headed by.
    #[test]
    fn an_hr_number_and_a_name_are_a_header() {
        for layout in [Layout::Staff, Layout::Delete, Layout::Leave] {
            let rows = [row(1, &["工号", "姓名"]), row(2, &["A001", "张三"])];
            let (i, h) = find(&rows, layout, &Names::default()).unwrap();
            assert_eq!(i, 0, "{layout:?}");
            assert_eq!(h.columns[0], Column::Unknown, "{layout:?}");
        }
        let lone = [row(1, &["员工编号"]), row(2, &["A001"])];
        assert!(find(&lone, Layout::Delete, &Names::default()).is_some());
        assert!(find(&lone, Layout::Staff, &Names::default()).is_none());
    }

    #[test]
    fn no_header_is_none() {
        assert!(find(
            &[row(1, &["a", "b"]), row(2, &["1", "2"])],
            Layout::Staff,
            &Names::default()
        )
        .is_none());
        // One column by its title and by its key, as the 说明 Instructions sheet lists them.
        let listed = [
            row(1, &["帐号*", "we_userid", "必填"]),
            row(2, &["姓名", "we_name"]),
        ];
        assert!(find(&listed, Layout::Staff, &Names::default()).is_none());
    }

    #[test]
    fn hr_system_names_and_the_company_s_own() {
        for (title, field) in [
            ("员工姓名", Field::WeName),
            ("手机号码", Field::WeMobile),
            ("联系电话", Field::WeMobile),
            ("Email", Field::WeEmail),
            ("所属部门", Field::WeDepartment),
            ("部门名称", Field::WeDepartment),
            ("岗位", Field::WePosition),
            ("入职日期", Field::EntryTime),
            ("转正日期", Field::PositiveTime),
            ("离职日期", Field::QuiteTime),
            ("参加工作日期", Field::WorkTime),
            ("考勤机编号", Field::CheckId),
            ("工作邮箱", Field::WeEmail),
            ("直属主管", Field::LeadId),
            ("汇报上级", Field::LeadId),
        ] {
            assert_eq!(field_of(title), Some(field), "{title}");
        }
        assert_eq!(
            field_of("个人邮箱"),
            None,
            "a personal mailbox is not guessed"
        );
        assert_eq!(field_of("工号"), None, "never guessed to be the account");
        assert!(is_employee_number("员工编号"));

        let mut names = Names::default();
        let (h, f) = Names::parse_pair("工号=帐号").unwrap();
        names.add(&h, f);
        names.add("部门", None);
        let (_, header) =
            find(&[row(1, &["工号", "姓名", "部门"])], Layout::Staff, &names).unwrap();
        assert_eq!(
            header.columns,
            vec![
                Column::Field(Field::WeUserid),
                Column::Field(Field::WeName),
                Column::Ignored
            ],
            "the company's names win over the built-in ones"
        );
        assert!(Names::parse_pair("工号").is_err());
        assert!(Names::parse_pair("=帐号").is_err());
        let e = Names::parse_pair("工号=帐户名").unwrap_err();
        assert!(
            e.contains("did you mean 帐号") && e.contains("是否指 帐号"),
            "{e}"
        );
    }

    #[test]
    fn the_nearest_known_column() {
        assert_eq!(nearest("手机号吗"), Some(Field::WeMobile));
        assert_eq!(nearest("员工手机"), Some(Field::WeMobile));
        assert_eq!(nearest("参加工作日起"), Some(Field::WorkTime));
        assert_eq!(nearest("紧急联系人"), None);
        assert_eq!(nearest("x"), None);
    }

    #[test]
    fn a_birthday_of_one_calendar_is_never_the_others() {
        for (title, field) in [
            ("生日（农历）", Field::BirthdayL),
            ("出生日期(阴历)", Field::BirthdayL),
            ("农历出生日期", Field::BirthdayL),
            ("生日(公历)", Field::BirthdayG),
            ("出生日期（阳历）", Field::BirthdayG),
        ] {
            assert_eq!(field_of(title), Some(field), "{title}");
        }
        // Unknown titles: guessed as the birthday of the calendar they name, or as nothing.
        assert_eq!(nearest("旧历生日"), Some(Field::BirthdayL));
        assert_eq!(nearest("生日（旧历）"), Some(Field::BirthdayL));
        assert_eq!(nearest("新历生日"), Some(Field::BirthdayG));
        assert_ne!(nearest("農曆出生"), Some(Field::BirthdayG));
    }

    #[test]
    fn fields_outside_the_layout_are_unused() {
        let (_, h) = find(
            &[row(1, &["帐号", "姓名", "部门"])],
            Layout::Delete,
            &Names::default(),
        )
        .unwrap();
        assert_eq!(h.columns[2], Column::Unused(Field::WeDepartment));
    }
}
