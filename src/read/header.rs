//! Header matching: which row is the header, and which column is which field.
//!
//! The header is the first row naming at least two known columns. Names match by Chinese
//! label, API key or a common alias, ignoring case, spaces, full-width forms and a trailing `*`.

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
    /// A second column for a field already matched.
    Duplicate(Field),
}

#[derive(Debug, Clone)]
pub struct Header {
    /// 1-based sheet row of the header.
    pub row: u32,
    /// The header cells as written.
    pub titles: Vec<String>,
    pub columns: Vec<Column>,
}

impl Header {
    /// The column of a report's 源行号 Source row (the row in the person's own file).
    pub fn source_row_column(&self) -> Option<usize> {
        self.titles
            .iter()
            .zip(&self.columns)
            .position(|(t, c)| *c == Column::Meta && normalize(t).starts_with("源行号"))
    }

    pub fn position(&self, field: Field) -> Option<usize> {
        self.columns.iter().position(|c| *c == Column::Field(field))
    }
}

/// Case, spaces, full-width forms and trailing `*` folded away.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        };
        if c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}' {
            continue;
        }
        out.extend(c.to_lowercase());
    }
    while out.ends_with('*') {
        out.pop();
    }
    out
}

/// Other names people give these columns.
const ALIASES: &[(&str, Field)] = &[
    ("账号", Field::WeUserid),
    ("帐户", Field::WeUserid),
    ("账户", Field::WeUserid),
    ("用户名", Field::WeUserid),
    ("userid", Field::WeUserid),
    ("名字", Field::WeName),
    ("手机号", Field::WeMobile),
    ("手机号码", Field::WeMobile),
    ("电子邮箱", Field::WeEmail),
    ("email", Field::WeEmail),
    ("所在部门", Field::WeDepartment),
    ("部门路径", Field::WeDepartment),
    ("部门编号", Field::WeId),
    ("上级", Field::LeadId),
    ("下属", Field::Subordinate),
    ("座机", Field::WeTel),
    ("考勤机员工编号", Field::CheckId),
    ("离职理由", Field::QuiteReason),
    ("阳历生日", Field::BirthdayG),
    ("阴历生日", Field::BirthdayL),
    ("开始工作日期", Field::WorkTime),
    ("银行卡账户", Field::BankCard),
    ("是否同步到企业号", Field::ToQy),
];

/// Columns the report adds; read back silently.
const META: &[&str] = &[
    "源行号sourcerow",
    "源行号",
    "错误error",
    "错误",
    "结果outcome",
    "结果",
];

pub fn field_of(title: &str) -> Option<Field> {
    let n = normalize(title);
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

fn is_meta(title: &str) -> bool {
    let n = normalize(title);
    META.iter().any(|m| *m == n)
}

/// Finds the header among the first rows; `None` when no row names two known columns.
pub fn find(rows: &[RawRow], layout: Layout) -> Option<(usize, Header)> {
    rows.iter()
        .take(HEADER_SEARCH_ROWS)
        .enumerate()
        .find_map(|(i, row)| {
            let titles: Vec<String> = row.cells.iter().map(Cell::display).collect();
            let known = titles.iter().filter(|t| field_of(t).is_some()).count();
            (known >= 2 || (known == 1 && layout == Layout::Delete && titles.len() == 1))
                .then(|| (i, map(row.source_row, titles, layout)))
        })
}

fn map(row: u32, titles: Vec<String>, layout: Layout) -> Header {
    let mut seen = Vec::new();
    let columns = titles
        .iter()
        .map(|t| match field_of(t) {
            Some(f) if seen.contains(&f) => Column::Duplicate(f),
            Some(f) if layout.columns().contains(&f) => {
                seen.push(f);
                Column::Field(f)
            }
            Some(f) => Column::Unused(f),
            None if is_meta(t) || t.trim().is_empty() => Column::Meta,
            None => Column::Unknown,
        })
        .collect();
    Header {
        row,
        titles,
        columns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: u32, cells: &[&str]) -> RawRow {
        RawRow {
            source_row: n,
            cells: cells.iter().map(|c| Cell::Text(c.to_string())).collect(),
        }
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
        assert_eq!(field_of("备注"), None);
    }

    #[test]
    fn title_rows_above_the_header_are_skipped() {
        let rows = vec![
            row(1, &["2026 年入职名单"]),
            row(2, &["帐号"]),
            row(3, &["帐号*", "姓名*", "备注", "源行号 Source row", "帐号"]),
        ];
        let (i, h) = find(&rows, Layout::Staff).unwrap();
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

    #[test]
    fn no_header_is_none() {
        assert!(find(&[row(1, &["a", "b"]), row(2, &["1", "2"])], Layout::Staff).is_none());
    }

    #[test]
    fn fields_outside_the_layout_are_unused() {
        let (_, h) = find(&[row(1, &["帐号", "姓名", "部门"])], Layout::Delete).unwrap();
        assert_eq!(h.columns[2], Column::Unused(Field::WeDepartment));
    }
}
