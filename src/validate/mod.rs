//! Validation: every rule of the layout, per cell, per row and across rows.
//!
//! In: a [`Sheet`](crate::read::Sheet). Out: a [`Table`] whose rows carry their normalised
//! values and their issues. A bad row is data (issues), never an `Err`; only a sheet that
//! cannot be understood at all (no header, no 帐号 column) is an error.

mod cross;
pub mod dates;
pub mod fields;
pub mod leaders;
pub mod lunar;
pub mod rule;

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use thin_vec::ThinVec;

use crate::model::{AccountKey, Field, Layout, Outcome, StaffRecord};
use crate::read::header::{self, Column, Header, Names};
use crate::read::{self, Cell, RawRow, ReadError, Sheet};
use crate::remedy::{Advice, Remedy};

use cross::CrossRows;
pub use cross::{FileAccounts, FirstLevel, Hashed, KeyHash};
pub use fields::{problem, Problem};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// One thing wrong (or doubtful) about a row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Issue {
    pub field: Option<Field>,
    pub severity: Severity,
    /// The rule it breaks, to group issues by.
    pub reason: rule::Rule,
    pub zh: fields::Text,
    pub en: fields::Text,
    /// What the person can do about it, besides fixing the cell.
    pub remedy: Option<Remedy>,
}

impl Issue {
    pub fn error(field: Option<Field>, p: Problem) -> Issue {
        Issue {
            field,
            severity: Severity::Error,
            reason: p.reason,
            zh: p.zh,
            en: p.en,
            remedy: None,
        }
    }

    /// The same issue, with what can be done about it.
    pub fn with_remedy(self, remedy: Remedy) -> Issue {
        Issue {
            remedy: Some(remedy),
            ..self
        }
    }

    pub fn warning(field: Option<Field>, p: Problem) -> Issue {
        Issue {
            severity: Severity::Warning,
            ..Issue::error(field, p)
        }
    }

    /// `第 12 行 考勤号: 不能以 0 开头 (row 12, check_id: must not start with 0)`
    pub fn describe(&self, row: u32) -> String {
        match self.field {
            Some(f) => format!(
                "第 {row} 行 {}: {} (row {row}, {}: {})",
                f.label(),
                self.zh,
                f.key(),
                self.en
            ),
            None => format!("第 {row} 行: {} (row {row}: {})", self.zh, self.en),
        }
    }

    /// The text of a report's error cell: `考勤号: 不能以 0 开头 (check_id: must not start with 0)`.
    pub fn cell_text(&self) -> String {
        match self.field {
            Some(f) => format!("{}: {} ({}: {})", f.label(), self.zh, f.key(), self.en),
            None => format!("{} ({})", self.zh, self.en),
        }
    }
}

/// An input row's cells as the person sees them, kept in one string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RawCells(Box<str>);

/// Between cells in [`RawCells`]; an invisible control character nobody types.
const SEP: char = '\u{1F}';

impl RawCells {
    /// A sheet row's cells as the person sees them, written straight into the one string.
    pub fn of(cells: &[Cell]) -> RawCells {
        let mut s = String::with_capacity(cells.iter().map(|c| c.len_hint() + 1).sum());
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                s.push(SEP);
            }
            match c {
                Cell::Text(t) | Cell::Error(t) if t.contains(SEP) => {
                    s.push_str(&t.replace(SEP, " "));
                }
                other => other.write_to(&mut s),
            }
        }
        // Kept for the whole run (a row each): without the room its size guess left over,
        // and without a capacity of its own (8 bytes a row).
        RawCells(s.into_boxed_str())
    }

    /// Every cell, from column A (trailing empty cells may be missing).
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.split(SEP)
    }

    pub fn get(&self, i: usize) -> &str {
        self.iter().nth(i).unwrap_or("")
    }
}

/// One input row, validated.
#[derive(Debug, Clone)]
pub struct Row {
    pub source_row: u32,
    /// Its cells were let go, once written to a report streamed as the rows come
    /// ([`Row::take_cells`]): [`Table::recall`] reads them again.
    pub cells_gone: bool,
    /// Its values were let go too ([`Row::forget`]): they are not read again.
    pub values_gone: bool,
    /// Most rows have none: a vector's length and capacity are kept with its items, not in
    /// every row (16 bytes a row).
    pub issues: ThinVec<Issue>,
    /// Its cells and values, boxed apart: a row let go ([`Row::forget`]) is 24 bytes in the
    /// table's vector, not 64 (a check of 100,000 rows holds every row to its end).
    body: Option<Box<Body>>,
}

const _: () = assert!(std::mem::size_of::<Row>() == 24);

/// A [`Row`]'s cells and values.
#[derive(Debug, Clone, Default)]
struct Body {
    /// The input cells as the person sees them.
    raw: RawCells,
    values: StaffRecord,
}

/// What a row let go reads as: no cells, no values.
static GONE: std::sync::LazyLock<Body> = std::sync::LazyLock::new(Body::default);

impl Row {
    pub fn new(source_row: u32, raw: RawCells, values: StaffRecord, issues: ThinVec<Issue>) -> Row {
        Row {
            source_row,
            cells_gone: false,
            values_gone: false,
            issues,
            body: Some(Box::new(Body { raw, values })),
        }
    }

    fn body(&self) -> &Body {
        self.body.as_deref().unwrap_or(&GONE)
    }

    fn body_mut(&mut self) -> &mut Body {
        self.body.get_or_insert_with(Box::default)
    }

    /// The input cells as the person sees them (none once let go).
    pub fn raw(&self) -> &RawCells {
        &self.body().raw
    }

    /// The row's values (none once let go).
    pub fn values(&self) -> &StaffRecord {
        &self.body().values
    }

    pub fn values_mut(&mut self) -> &mut StaffRecord {
        &mut self.body_mut().values
    }

    /// Its cells read again ([`Table::recall`]).
    pub fn set_raw(&mut self, raw: RawCells) {
        self.body_mut().raw = raw;
    }

    /// Lets the row's cells and values go, its number and issues kept: a valid row once its
    /// report row is written, when nothing after needs them (a check's every row, a plan's or
    /// a sync's unchanged ones: a check of 100,000 people then holds ~50 MB, not ~100).
    /// [`Table::recall`] reads the cells again if the report is written whole after all.
    pub fn forget(&mut self) {
        self.cells_gone = true;
        self.values_gone = true;
        self.body = None;
    }

    /// As [`Row::forget`], its cells handed to a copy of it (its number and issues, no values)
    /// rather than freed: what a report streamed as the rows come is given of a row let go once
    /// written, in the row's own box, not a new one. The values are dropped here, on this
    /// thread.
    pub fn forget_into_copy(&mut self) -> Row {
        let mut body = self.body.take();
        if let Some(body) = &mut body {
            body.values = StaffRecord::new();
        }
        self.forget();
        Row {
            source_row: self.source_row,
            cells_gone: false,
            values_gone: false,
            issues: self.issues.clone(),
            body,
        }
    }

    /// The row's cells, for a report streamed as the rows come: nothing else reads them, and
    /// a report written whole after all reads them again ([`Table::recall`]). ~0.1 KB a row
    /// of the input's 28 columns, held to the end of a run that sends (a sync of 100,000
    /// people held ~11 MB of them).
    pub fn take_cells(&mut self) -> RawCells {
        self.cells_gone = true;
        match &mut self.body {
            Some(body) => std::mem::take(&mut body.raw),
            None => RawCells::default(),
        }
    }

    /// As [`Row::forget`], keeping the row's 部门ID and 部门 values: what a run that creates
    /// the departments its rows name counts the paths to create again from, should a late
    /// duplicate fail a row ([`crate::live::Online::recount`]). ~0.1 KB a row, where the
    /// whole row is ~1 KB.
    pub fn forget_but_place(&mut self) {
        let mut place = StaffRecord::new();
        for field in [Field::WeId, Field::WeDepartment] {
            if let Some(v) = self.values().get(field) {
                place.put(field, v);
            }
        }
        self.forget();
        *self.values_mut() = place;
    }

    pub fn is_valid(&self) -> bool {
        !self.issues.iter().any(|i| i.severity == Severity::Error)
    }

    /// Its 人事状态 says 在职/在岗 ([`rule::IN_SERVICE`]): no status is sent, but a leaver
    /// bgy marked comes back.
    pub fn says_in_service(&self) -> bool {
        self.issues.iter().any(|i| i.reason == rule::IN_SERVICE)
    }

    pub fn account(&self) -> &str {
        self.values().account()
    }

    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|i| i.severity == Severity::Error)
    }
}

/// A validated sheet.
#[derive(Debug)]
pub struct Table {
    pub path: PathBuf,
    pub sheet: String,
    pub layout: Layout,
    pub header: Header,
    pub rows: Vec<Row>,
    /// Sheet-level warnings (unknown columns …), one line each.
    pub warnings: Vec<Advice>,
    /// The input was a report's Failed sheet.
    pub is_report: bool,
    /// Every row's account, whatever becomes of the rows' values.
    pub accounts: FileAccounts,
    /// The rows left out as the header again, in order.
    pub header_again: Vec<u32>,
}

impl Table {
    pub fn valid_rows(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.is_valid())
    }

    /// Each row's outcome before anything is sent: valid or invalid.
    pub fn initial_outcomes(&self) -> impl Iterator<Item = Outcome> + '_ {
        self.rows.iter().map(|r| Outcome::initial(r.is_valid()))
    }

    /// Some row's cells were let go ([`Row::take_cells`]): a report written whole needs
    /// [`Table::recall`].
    pub fn cells_gone(&self) -> bool {
        self.rows.iter().any(|r| r.cells_gone)
    }

    /// The cells of the rows let go ([`Row::take_cells`]), read again from `bytes`, the input
    /// read as the first time (its `sheet`, `layout` and column `names` as then): for a report
    /// written whole after all (a duplicate found once its first row was written). Their
    /// values stay gone.
    pub fn recall(
        &mut self,
        bytes: &[u8],
        sheet: Option<&str>,
        names: &Names,
    ) -> Result<(), LoadError> {
        if !self.cells_gone() {
            return Ok(());
        }
        let rows = &mut self.rows;
        let (mut next, mut same) = (0, true);
        load_watched(
            bytes,
            &self.path,
            sheet,
            ReadAs::Layout(self.layout),
            names,
            &mut |_, _, again| {
                let Some(again) = again.last_mut() else {
                    return;
                };
                match rows.get_mut(next) {
                    Some(row) if row.source_row == again.source_row => {
                        if row.cells_gone {
                            row.set_raw(again.take_cells());
                            row.cells_gone = false;
                        }
                    }
                    _ => same = false,
                }
                // Only its number and issues are left of the row read again, as the first time.
                again.forget();
                next += 1;
            },
        )?;
        match same && next == rows.len() {
            true => Ok(()),
            false => Err(LoadError::Read(ReadError::Damaged {
                path: self.path.display().to_string(),
                detail: "its rows read differently the second time".into(),
            })),
        }
    }

    /// The input column of `field`, to paint a report cell.
    pub fn column_of(&self, field: Field) -> Option<usize> {
        self.header.position(field)
    }
}

/// Why a sheet could not be used at all (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{path}, sheet {sheet:?}: {}", both(no_header(*layout, Front::CommandLine, with_header.as_deref())))]
    NoHeader {
        path: String,
        sheet: String,
        layout: Layout,
        /// The first visible sheet after it that has a header row, when no sheet was asked
        /// for (an HR system's cover or 说明 sheet comes first): the one to ask for.
        with_header: Option<String>,
    },
    #[error("{path}, sheet {sheet:?}: {}", missing_column(*row, label, *field, candidate.as_deref()))]
    MissingColumn {
        path: String,
        sheet: String,
        row: u32,
        label: &'static str,
        field: Field,
        /// The title of the column that seems to hold it under another name.
        candidate: Option<String>,
        /// The header, for a front-end that lets the person choose the columns.
        columns: Box<header::ColumnsSeen>,
    },
}

/// A missing column's error after its file and sheet, `中文 (English)`: the column missing,
/// and the hint when another column seems to hold it. One pair, not a pair a sentence: a line
/// cut to fit is cut in each half ([`crate::text::line`]), which a text of two pairs is not.
fn missing_column(row: u32, label: &str, field: Field, candidate: Option<&str>) -> String {
    both(missing_column_with_hint(row, label, field, candidate))
}

/// The column missing, then the hint when another column seems to hold it, in Chinese and in
/// English apart.
fn missing_column_with_hint(
    row: u32,
    label: &str,
    field: Field,
    candidate: Option<&str>,
) -> (String, String) {
    let (mut zh, mut en) = missing_column_in(row, label);
    if let Some((hint_zh, hint_en)) = missing_hint_in(field, candidate) {
        zh.push_str(&format!(";{hint_zh}"));
        en.push_str(&format!("; {hint_en}"));
    }
    (zh, en)
}

/// Where a message is read: the command line names the commands to run, the console what to
/// click.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Front {
    CommandLine,
    Console,
}

/// `中文 (English)`.
fn both((zh, en): (String, String)) -> String {
    format!("{zh} ({en})")
}

/// That no header row was found, in Chinese and in English, with where the layout is shown.
fn no_header_in(layout: Layout, front: Front) -> (String, String) {
    let n = header::HEADER_SEARCH_ROWS;
    let console = front == Front::Console;
    match layout {
        Layout::Departments => {
            let (by_zh, by_en) = match console {
                true => ("导出的部门表", "the export"),
                false => ("bgy export 写出的部门表", "`bgy export`"),
            };
            (
                format!("找不到表头:前 {n} 行中没有一行写着部门表的列名 (部门ID、名称、完整路径,与{by_zh}一样)"),
                format!("no header row: none of the first {n} rows names a department's columns (部门ID we_id, 名称 Name, 完整路径 Path, as {by_en} writes them)"),
            )
        }
        _ => {
            let (see_zh, see_en) = match console {
                true => ("首页有导入模板", "the home page has the templates"),
                false => (
                    "模板的格式见 bgy template",
                    "run `bgy template` for the layout",
                ),
            };
            (
                format!("找不到表头:前 {n} 行中没有一行写着两个已知的列名,例如 帐号 和 姓名 ({see_zh})"),
                format!("no header row: none of the first {n} rows names two known columns such as 帐号 and 姓名 ({see_en})"),
            )
        }
    }
}

/// [`no_header_in`], and which sheet has one when another does.
fn no_header(layout: Layout, front: Front, with_header: Option<&str>) -> (String, String) {
    let (mut zh, mut en) = no_header_in(layout, front);
    if let Some(other) = with_header {
        zh.push_str(&format!(";工作表 {other:?} 有表头"));
        en.push_str(&format!("; sheet {other:?} has one"));
    }
    (zh, en)
}

/// That the header row has no column `label`, in Chinese and in English.
fn missing_column_in(row: u32, label: &str) -> (String, String) {
    (
        format!("表头 (第 {row} 行) 没有 {label} 列"),
        format!("the header row (row {row}) has no {label} column"),
    )
}

/// The hint of [`missing_column`], in Chinese and in English.
fn missing_hint_in(field: Field, candidate: Option<&str>) -> Option<(String, String)> {
    let t = candidate?;
    Some(match field {
        Field::WeUserid => (
            format!("列 {t:?} 可能就是帐号,但工号不会自动当作帐号"),
            format!("column {t:?} may hold it, but an HR number is never taken for the account on its own"),
        ),
        _ => (
            format!("列 {t:?} 可能就是 {}", field.label()),
            format!("column {t:?} may hold it"),
        ),
    })
}

impl LoadError {
    /// The error in Chinese and in English apart, each naming the file, for the console, which
    /// shows one half: its usual `中文 (English)` split cannot tell the halves apart in a
    /// sentence of two such parts, and the console names its own pages where the command line
    /// names a command.
    pub fn in_languages(&self) -> Option<(String, String)> {
        let at = |path: &str, sheet: &str| {
            (
                format!("{path},工作表 {sheet:?}:"),
                format!("{path}, sheet {sheet:?}: "),
            )
        };
        let ((at_zh, at_en), (zh, en)) = match self {
            LoadError::Read(e) => {
                let text = e.to_string();
                let (zh, en) = crate::text::bilingual(&text)?;
                return Some((zh.to_string(), en.to_string()));
            }
            LoadError::NoHeader {
                path,
                sheet,
                layout,
                with_header,
            } => (
                at(path, sheet),
                no_header(*layout, Front::Console, with_header.as_deref()),
            ),
            LoadError::MissingColumn {
                path,
                sheet,
                row,
                label,
                field,
                candidate,
                ..
            } => (
                at(path, sheet),
                missing_column_with_hint(*row, label, *field, candidate.as_deref()),
            ),
        };
        Some((format!("{at_zh}{zh}"), format!("{at_en}{en}")))
    }
}

/// Reads and validates `path` for `layout`: one thread reads, this one validates as the rows
/// arrive, so neither the whole sheet nor a second copy of it is ever held.
pub fn load(path: &Path, sheet: Option<&str>, layout: Layout) -> Result<Table, LoadError> {
    let bytes = read::read_file(path)?;
    load_bytes(&bytes, path, sheet, layout, &Names::default())
}

/// As [`load`], from the file's bytes already read (`path` names it in messages).
pub fn load_bytes(
    bytes: &[u8],
    path: &Path,
    sheet: Option<&str>,
    layout: Layout,
    names: &Names,
) -> Result<Table, LoadError> {
    load_watched(
        bytes,
        path,
        sheet,
        ReadAs::Layout(layout),
        names,
        &mut |_, _, _| {},
    )
}

/// The rows validated so far (before the checks across rows), with the sheet's header: called
/// once a row, as soon as it is validated, the new row last. A watcher may add to rows it has
/// not seen yet (the online checks, once the directory is listed); it keeps its own place.
pub type Watch<'a> = &'a mut dyn FnMut(Layout, &Header, &mut [Row]);

/// As [`load_bytes`], showing `watch` every row as soon as it is validated, on this thread.
/// Read as its header's layout, the header's columns say which it is ([`layout_of`]), before
/// any row is validated. Without a `sheet`, a first visible sheet with no header row is an
/// error that names the first sheet after it that has one (the sheet read is never guessed: a
/// run that removes people reads the one it was told to).
pub fn load_watched(
    bytes: &[u8],
    path: &Path,
    sheet: Option<&str>,
    read_as: ReadAs,
    names: &Names,
    watch: Watch,
) -> Result<Table, LoadError> {
    let name = path.display().to_string();
    // A few batches ahead, no more: a CSV is read faster than it is validated, and each row
    // waiting holds its cells (32 batches were 18 MB of a 100,000-row check's 70).
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<RawRow>>(4);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            let info = read::stream_bytes(bytes, &name, sheet, &mut |row| {
                batch.push(row);
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    return tx.send(full).is_ok();
                }
                true
            })?;
            let _ = tx.send(batch);
            Ok::<_, ReadError>(info)
        });
        let rows = validate_stream(path, rx.into_iter().flatten(), read_as, names, watch);
        let info = reader.join().unwrap_or_else(|_| {
            Err(ReadError::Damaged {
                path: path.display().to_string(),
                detail: "the reader stopped unexpectedly".into(),
            })
        })?;
        let table = match rows {
            Ok(table) => table,
            // The first visible sheet had none: the other that has one is named.
            Err(LoadError::NoHeader { path, layout, .. }) => {
                let with_header = with_header(&info.others, layout, names).first().copied();
                return Err(LoadError::NoHeader {
                    path,
                    sheet: info.name,
                    layout,
                    with_header: with_header.map(str::to_string),
                });
            }
            Err(e) => return Err(e.in_sheet(&info.name)),
        };
        let mut warnings = info.warnings;
        warnings.extend(unread_with_header(&info.others, table.layout, names));
        Ok(table.in_sheet(info.name, warnings, &info.merged, info.is_report))
    })
}

/// The warning for a workbook whose other visible sheets have a header row too (one sheet a
/// department, one a status …): only one was read, which a prune must know before it removes
/// the people of the others. Its remedy names the first.
fn unread_with_header(
    others: &[(String, Vec<RawRow>)],
    layout: Layout,
    names: &Names,
) -> Option<Advice> {
    let unread = with_header(others, layout, names);
    let first = unread.first()?;
    let listed: Vec<String> = unread.iter().map(|n| format!("{n:?}")).collect();
    Some(Advice {
        text: format!(
            "工作簿中另有工作表也有表头,没有读取:{};每次只读一个工作表 (other sheets of the workbook have a header row too and were not read: {}; one sheet is read at a time)",
            listed.join("、"),
            listed.join(", ")
        ),
        remedy: Some(Remedy::ChooseSheet {
            sheet: Some(first.to_string()),
        }),
    })
}

/// The names of the sheets among `others` (each with its first rows) that have a header row.
fn with_header<'a>(
    others: &'a [(String, Vec<RawRow>)],
    layout: Layout,
    names: &Names,
) -> Vec<&'a str> {
    (others.iter())
        .filter(|(_, head)| header::find(head, layout, names).is_some())
        .map(|(name, _)| name.as_str())
        .collect()
}

/// Rows sent from the reader thread at a time.
const BATCH: usize = 512;

impl LoadError {
    fn in_sheet(self, name: &str) -> LoadError {
        match self {
            LoadError::NoHeader {
                path,
                layout,
                with_header,
                ..
            } => LoadError::NoHeader {
                path,
                sheet: name.into(),
                layout,
                with_header,
            },
            LoadError::MissingColumn {
                path,
                row,
                label,
                field,
                candidate,
                columns,
                ..
            } => LoadError::MissingColumn {
                path,
                sheet: name.into(),
                row,
                label,
                field,
                candidate,
                columns,
            },
            other => other,
        }
    }
}

/// People held as values (an undo's rows), validated as the sheet of `columns` that shows them
/// would be, without writing and reading one; each person is let go as their row is made.
pub fn from_values(
    path: &Path,
    layout: Layout,
    columns: &[Field],
    people: impl IntoIterator<Item = StaffRecord>,
) -> Result<Table, LoadError> {
    let text = |s: String| match s.is_empty() {
        true => read::Cell::Empty,
        false => read::Cell::Text(s),
    };
    let header = RawRow {
        source_row: 1,
        hidden: false,
        cells: columns
            .iter()
            .map(|f| text(f.header(layout).to_string()))
            .collect(),
    };
    // Made a row at a time as validation takes them: never a second copy of every cell.
    let rows = people.into_iter().enumerate().map(|(i, v)| RawRow {
        source_row: i as u32 + 2,
        hidden: false,
        cells: columns
            .iter()
            .map(|f| text(v.get(*f).map(|x| f.display(x)).unwrap_or_default()))
            .collect(),
    });
    let name = layout.sheet_name();
    let table = validate_stream(
        path,
        std::iter::once(header).chain(rows),
        ReadAs::Layout(layout),
        &Names::default(),
        &mut |_, _, _| {},
    )
    .map_err(|e| e.in_sheet(name))?;
    Ok(table.in_sheet(name.to_string(), Vec::new(), &[], false))
}

pub fn from_sheet(path: &Path, sheet: Sheet, layout: Layout) -> Result<Table, LoadError> {
    let table = validate_stream(
        path,
        sheet.rows.into_iter(),
        ReadAs::Layout(layout),
        &Names::default(),
        &mut |_, _, _| {},
    )
    .map_err(|e| e.in_sheet(&sheet.name))?;
    Ok(table.in_sheet(sheet.name, sheet.warnings, &sheet.merged, sheet.is_report))
}

impl Table {
    /// The table of the sheet `name`, the reading's `warnings` and the one of its `merged`
    /// ranges' values before validation's.
    fn in_sheet(
        mut self,
        name: String,
        mut warnings: Vec<Advice>,
        merged: &[read::merged::Used],
        is_report: bool,
    ) -> Table {
        warnings.extend(read::merged::said(
            merged,
            self.header.row,
            &self.header_again,
        ));
        warnings.append(&mut self.warnings);
        Table {
            sheet: name,
            warnings,
            is_report,
            ..self
        }
    }
}

/// The header among the sheet's first rows `head`, where it is in them, and the layout it is
/// read as (`layout`, else the one its columns say), every column the layout requires there.
fn header_of(
    head: &[RawRow],
    shown: &str,
    read_as: ReadAs,
    names: &Names,
) -> Result<(usize, Header, Layout), LoadError> {
    let asked = match read_as {
        ReadAs::Layout(layout) => layout,
        ReadAs::Header { .. } => Layout::Staff,
    };
    let no_header = || LoadError::NoHeader {
        path: shown.to_string(),
        sheet: String::new(),
        layout: asked,
        with_header: None,
    };
    let (mut header_index, mut header) = header::find(head, asked, names).ok_or_else(no_header)?;
    let layout = match read_as {
        ReadAs::Layout(layout) => layout,
        ReadAs::Header { delete } => {
            let sniffed = match layout_of(&header) {
                Layout::Delete if !delete => Layout::Staff,
                sniffed => sniffed,
            };
            if sniffed != Layout::Staff {
                // The same header, its columns read as that layout's.
                (header_index, header) =
                    header::find(head, sniffed, names).ok_or_else(no_header)?;
            }
            sniffed
        }
    };
    for f in layout.required() {
        if header.position(*f).is_none() {
            return Err(LoadError::MissingColumn {
                path: shown.to_string(),
                sheet: String::new(),
                row: header.row,
                label: f.label(),
                field: *f,
                candidate: candidate(&header, *f),
                columns: Box::new(header.seen(layout)),
            });
        }
    }
    Ok((header_index, header, layout))
}

/// Finds the header among the first rows, then validates every row after it as it comes (the
/// table's sheet not named yet: [`Table::in_sheet`]).
fn validate_stream(
    path: &Path,
    mut rows: impl Iterator<Item = RawRow>,
    read_as: ReadAs,
    names: &Names,
    watch: Watch,
) -> Result<Table, LoadError> {
    let shown = path.display().to_string();
    let head: Vec<RawRow> = rows.by_ref().take(header::HEADER_SEARCH_ROWS).collect();
    let (header_index, header, layout) = header_of(&head, &shown, read_as, names)?;
    let mut warnings = header_warnings(&header, layout);
    let mut cross = CrossRows::new(layout);
    let mut names = (layout == Layout::Staff && header.position(Field::LeadId).is_some())
        .then(leaders::SheetNames::new);
    let mut out: Vec<Row> = Vec::new();
    let (mut totals, mut headers) = (Vec::new(), Vec::new());
    for read in head
        .into_iter()
        .skip(header_index + 1)
        .chain(rows)
        .filter_map(|r| validate_row(r, &header, layout))
    {
        let mut row = match read {
            Read::Person(row) => row,
            Read::Total(at) => {
                totals.push(at);
                continue;
            }
            Read::Header(at) => {
                headers.push(at);
                continue;
            }
        };
        cross.add(&row);
        if let Some(names) = &mut names {
            names.add(out.len() as u32, &mut row);
        }
        out.push(row);
        watch(layout, &header, &mut out);
    }
    warnings.extend(left_out(&totals, ("合计行", "a total")));
    warnings.extend(left_out(&headers, ("表头的重复", "the header again")));
    let mut accounts = cross.finish(&mut out).map_err(|error| {
        LoadError::Read(ReadError::Io {
            path: format!("the temporary file of {shown}'s checks across rows"),
            error,
        })
    })?;
    if let Some(mut names) = names {
        if names.finish(&mut out) {
            accounts.names = Some(names);
        }
    }
    Ok(Table {
        path: path.to_path_buf(),
        sheet: String::new(),
        layout,
        header,
        rows: out,
        warnings,
        is_report: false,
        accounts,
        header_again: headers,
    })
}

/// What the header says of its columns: unknown ones (each with the known column it most
/// likely meant), repeated ones, ones the layout does not use, and those 办公逸 has no field
/// for, together.
fn header_warnings(header: &Header, layout: Layout) -> Vec<Advice> {
    let mut warnings = Vec::new();
    for (i, (col, title)) in header.columns.iter().zip(&header.titles).enumerate() {
        let at = read::cell_ref(i, header.row);
        match col {
            Column::Unknown => warnings.push(unknown_column(&at, title, header.guess(title))),
            Column::Duplicate(f) => warnings.push(Advice::new(format!("列 {at} {title:?} 与前面的 {label} 列重复,已忽略 (column {at} {title:?} repeats the {label} column before it; ignored)", label = f.label()))),
            Column::Unused(_) if !matches!(layout, Layout::Delete | Layout::Leave) => {
                let (zh, en) = layout.called();
                warnings.push(Advice::new(format!("列 {at} {title:?} 不是{zh}的列,不会读取 (column {at} {title:?} is not read in a {en}; ignored)")));
            }
            _ => {}
        }
    }
    warnings.extend(no_place(header));
    warnings
}

/// The warning for a column no name matched, naming the known column it most likely meant
/// (`guess`); its remedy is reading it as that column.
fn unknown_column(at: &str, title: &str, guess: Option<Field>) -> Advice {
    let text = match guess {
        Some(f) => format!(
            "列 {at} {title:?} 不是已知的列,已忽略;是否指 {}? (column {at} {title:?} is not a known column; ignored; did you mean {} ({})?)",
            f.label(), f.label(), f.key()
        ),
        None => format!(
            "列 {at} {title:?} 不是已知的列,已忽略 (column {at} {title:?} is not a known column; ignored)"
        ),
    };
    Advice {
        text,
        remedy: Some(Remedy::MapColumn {
            header: title.trim().to_string(),
            field: guess,
        }),
    }
}

/// One warning naming every column 办公逸 has no field for ([`Column::NoPlace`]), if any.
fn no_place(header: &Header) -> Option<Advice> {
    let titles: Vec<String> = (header.columns.iter().zip(&header.titles))
        .filter(|(c, _)| **c == Column::NoPlace)
        .map(|(_, t)| format!("{:?}", t.trim()))
        .collect();
    if titles.is_empty() {
        return None;
    }
    Some(Advice::new(format!(
        "办公逸没有对应资料的列,已忽略:{} (columns ignored, as 办公逸 has no field for them: {})",
        titles.join("、"),
        titles.join(", ")
    )))
}

/// For a required column the header lacks: the column that seems to hold it.
fn candidate(header: &Header, field: Field) -> Option<String> {
    let unknown = |i: usize| header.columns[i] == Column::Unknown;
    header
        .titles
        .iter()
        .enumerate()
        .find(|&(i, t)| {
            unknown(i)
                && ((field == Field::WeUserid && header::is_employee_number(t))
                    || header::nearest(t) == Some(field))
        })
        .map(|(_, t)| t.trim().to_string())
}

/// The layout a sheet's header (read as a staff sheet) is in: only 帐号 and 姓名 make a delete
/// sheet, 离职原因 without a contact column (手机, 邮箱, 微信号: a staff sheet's row needs one) a
/// 离职名单, only the times sheet's columns a times sheet; anything else staff, but for a sheet
/// without a contact column whose every column bgy knows (one it does not know may be the
/// contact), as HR's lists also say each person's 部门 and 职位: with an entry, work or
/// confirmation date a sheet of dates (a 转正名单), else with a 离职时间 a 离职名单.
pub fn layout_of(header: &Header) -> Layout {
    let fields: Vec<Field> = header
        .columns
        .iter()
        .filter_map(|c| match c {
            Column::Field(f) => Some(*f),
            _ => None,
        })
        .collect();
    let listed = !fields.iter().any(is_contact) && !header.columns.contains(&Column::Unknown);
    if fields
        .iter()
        .all(|f| matches!(f, Field::WeUserid | Field::WeName))
    {
        Layout::Delete
    } else if fields.contains(&Field::QuiteReason) && !fields.iter().any(is_contact) {
        Layout::Leave
    } else if fields.iter().all(|f| Layout::Times.columns().contains(f))
        || (listed && fields.iter().any(|f| DATES.contains(f)))
    {
        Layout::Times
    } else if listed && fields.contains(&Field::QuiteTime) {
        Layout::Leave
    } else {
        Layout::Staff
    }
}

/// The dates of a times sheet that only it sets (a 离职时间 alone is more likely a 离职名单's).
const DATES: [Field; 3] = [Field::EntryTime, Field::WorkTime, Field::PositiveTime];

/// The kind a sheet read as staff seems to be instead, by its header: a sheet of dates or a
/// 离职名单, whose rows would all fail as staff for want of a contact. Never a sheet of
/// accounts to delete: a staff sheet of 帐号 and 姓名 is only incomplete.
pub fn other_kind(header: &Header) -> Option<Layout> {
    match layout_of(header) {
        kind @ (Layout::Times | Layout::Leave) => Some(kind),
        _ => None,
    }
}

/// What a sheet is read as: the layout asked for, or the one its header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAs {
    Layout(Layout),
    /// Its header's ([`layout_of`]); without `delete`, a header that says accounts to delete
    /// is read as staff's (the console, whose page offers to do what its check read: deleting
    /// people is chosen, never guessed from a sheet of 帐号 and 姓名).
    Header {
        delete: bool,
    },
}

/// A staff row needs one of these (1205).
const CONTACTS: [Field; 3] = [Field::WeMobile, Field::WeEmail, Field::WeWeixinid];

fn is_contact(f: &Field) -> bool {
    CONTACTS.contains(f)
}

/// The template's example row: its 帐号 starts with 示例 or "example".
pub fn is_example(account_cell: &str) -> bool {
    let t = account_cell.trim();
    t.starts_with("示例")
        || t.get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("example"))
}

/// One row on its own; `None` for the example row and rows with nothing in known columns.
/// What a row of the sheet is read as: a person's row (valid or not), or a row of totals under
/// the people or one that repeats the header, which is no row of the sheet's people
/// ([`left_out`]).
enum Read {
    Person(Row),
    /// At this row.
    Total(u32),
    /// At this row.
    Header(u32),
}

fn validate_row(raw: RawRow, header: &Header, layout: Layout) -> Option<Read> {
    if repeats_header(&raw, header) {
        return Some(Read::Header(raw.source_row));
    }
    let empty = Cell::Empty;
    let cell = |i: usize| raw.cells.get(i).unwrap_or(&empty);
    // Room for the filled cells of the columns this layout reads, only: a delete of a whole
    // export keeps its 帐号 of each row's 16 cells, and an export's row fills about 12 of its
    // 29 columns (room for all 29 was ~20 MB of a sync of 100,000).
    let (fields, text_bytes) = header
        .columns
        .iter()
        .enumerate()
        .filter(|&(i, col)| matches!(col, Column::Field(_)) && !cell(i).is_empty())
        .fold((0, 0), |(n, bytes), (i, _)| {
            (n + 1, bytes + cell(i).len_hint())
        });
    let mut values = StaffRecord::with_capacity(fields, text_bytes);
    let mut issues = ThinVec::new();
    // The last filled column read: with `fields`, a row of one cell's.
    let mut last = None;
    // A 部门 path split into a column a level is read once, joined, at its top level's column.
    let path = (header.levels.first()).map(|&top| (top, level_path(&header.levels, cell)));
    for (i, col) in header.columns.iter().enumerate() {
        let Column::Field(f) = col else { continue };
        let c = match &path {
            Some((top, path)) if *f == Field::WeDepartment => match i == *top {
                true => path,
                false => continue,
            },
            _ => cell(i),
        };
        if c.is_empty() {
            continue;
        }
        last = Some(*f);
        if *f == Field::WeUserid && is_example(&c.text()) {
            return None;
        }
        if *f == Field::Status && fields::in_service(c) {
            issues.push(Issue::warning(Some(*f), fields::in_service_problem()));
            continue;
        }
        if let Some(p) = fields::leap_month(*f, c) {
            issues.push(Issue::warning(Some(*f), p));
        }
        match fields::normalize(*f, c) {
            Ok(v) => values.set(*f, v.as_deref()),
            Err(p) => issues.push(Issue::error(Some(*f), p)),
        }
    }
    let last = last?;
    // One filled cell and no account: a total, a note or a signature under the people (合计:4人,
    // 制表人 …), one error, not each required column's. A row of totals (合计 | 300人 | …),
    // whatever it fills, is no person at all: [`validate_stream`] leaves it out, as it does
    // one whose account is its count and whose name is none or the word (序号 | 工号 as 帐号 |
    // 姓名 exported as 合计 | 320 | , or 姓名 | 工号 as 合计 | 320). In a delete sheet or a
    // 离职名单 such a row is a total whatever it fills: no account begins with 合计, and its
    // count under the 工号 is no account to delete or mark as left (a company whose accounts
    // are numbers has a `320`). The lone cell's error is for sheets of people with more than
    // their account: a delete sheet's row is its account alone, and its error says what is
    // wrong with it.
    let people = matches!(layout, Layout::Staff | Layout::Times);
    let lone = people && values.get(Field::WeUserid).is_none();
    let unnamed = people && values.get(Field::WeName).is_none_or(begins_a_total);
    let total = matches!(layout, Layout::Delete | Layout::Leave) || lone || unnamed;
    // A rerun of a report keeps the row of the person's own file, not the report's.
    let source_row = header
        .source_row_column()
        .and_then(|c| raw.cells.get(c))
        .and_then(|c| c.display().trim().parse().ok())
        .unwrap_or(raw.source_row);
    match () {
        _ if total && is_total(&raw) => return Some(Read::Total(source_row)),
        _ if lone && fields == 1 => {
            issues = ThinVec::from([Issue::error(Some(last), lone_cell_problem())]);
        }
        _ => issues.extend(row_rules(&values, &issues, layout)),
    }
    if raw.hidden {
        issues.push(Issue::error(None, hidden_row_problem()));
    }
    Some(Read::Person(Row::new(
        source_row,
        RawCells::of(&raw.cells),
        values,
        issues,
    )))
}

/// The 部门 path of a row whose department is split into a column a level: the `levels`'
/// cells, top level first, joined by `/`, the empty ones left out.
fn level_path<'c>(levels: &[usize], cell: impl Fn(usize) -> &'c Cell) -> Cell {
    let mut path = String::new();
    for &j in levels {
        let text = cell(j).text();
        let level = crate::text::trim(&text);
        if !level.is_empty() {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(level);
        }
    }
    Cell::Text(path)
}

/// A row hidden in the sheet (a filter, 筛选, or by hand): the person does not see it, and bgy
/// sends only what they see. Its outcome is in the report, and a rerun of the report's Failed
/// sheet (where nothing is hidden) sends it.
fn hidden_row_problem() -> Problem {
    problem(
        rule::HIDDEN_ROW,
        "这一行在表格里是隐藏的(筛选或隐藏了行),没有处理:bgy 只处理看得见的行。若也要处理它,在 Excel 或 WPS 里清除筛选、取消隐藏后保存,再运行一次",
        "this row is hidden in the sheet (by a filter or by hand) and was left alone: bgy acts only on the rows you can see. To include it, clear the filter or unhide the row in Excel or WPS, save, and run again",
    )
}

/// Words a row of totals begins with, under the people of a roster.
const TOTALS: [&str; 6] = ["合计", "总计", "小计", "共计", "总人数", "汇总"];

/// The row's first filled cell begins with one of [`TOTALS`].
fn is_total(raw: &RawRow) -> bool {
    (raw.cells.iter().find(|c| !c.is_empty())).is_some_and(|c| begins_a_total(&c.text()))
}

/// `text` begins with one of [`TOTALS`].
fn begins_a_total(text: &str) -> bool {
    TOTALS.iter().any(|t| text.trim_start().starts_with(t))
}

/// The row holds the header's titles again, each under its own and nothing else (two at
/// least): a sheet pasted under another with its header, or a header printed on each page.
/// Of a header of two rows, either row (a cell of the upper one may be its group's title).
fn repeats_header(raw: &RawRow, header: &Header) -> bool {
    let is_title = |titles: &[String], i: usize, text: &str| {
        titles
            .get(i)
            .is_some_and(|t| crate::text::trim(t) == crate::text::trim(text))
    };
    let mut same = 0;
    for (i, cell) in raw.cells.iter().enumerate().filter(|(_, c)| !c.is_empty()) {
        match cell {
            Cell::Text(text)
                if is_title(&header.titles, i, text) || is_title(&header.groups, i, text) =>
            {
                same += 1;
            }
            _ => return false,
        }
    }
    same >= 2
}

/// The warning naming the rows left out as `what` (in Chinese and English), no person's: an
/// HR system that ends its export with 合计 | 300人, or a sheet pasted under another with its
/// header, would otherwise fail a scheduled sync every night.
fn left_out(rows: &[u32], (what_zh, what_en): (&str, &str)) -> Option<Advice> {
    let shown: Vec<String> = rows.iter().take(5).map(u32::to_string).collect();
    let more = if rows.len() > 5 { " …" } else { "" };
    let (zh, en) = (shown.join("、"), shown.join(", "));
    (!rows.is_empty()).then(|| {
        Advice::new(format!(
            "第 {zh}{more} 行是{what_zh},不是人员,没有读取 (row {en}{more}: {what_en}, not a person; not read)"
        ))
    })
}

/// A row of one filled cell and no account, said once.
fn lone_cell_problem() -> Problem {
    problem(
        rule::ONE_CELL,
        "这一行只填了一格,不像一个人的资料:若是合计、备注等行,请删掉这一行;若是一个人,请填上帐号等必填列",
        "only one cell of this row is filled, unlike a person's: if it is a total or a note, delete the row; if it is a person, fill in the account and the other required columns",
    )
}

/// A warning when the row's 转正时间 is before its 入职时间 (a sheet of people's, and of dates').
fn positive_before_entry(values: &StaffRecord) -> Option<Issue> {
    let entry = values.date(Field::EntryTime)?;
    let positive = values.date(Field::PositiveTime)?;
    (positive < entry).then(|| {
        Issue::warning(
            Some(Field::PositiveTime),
            problem(
                rule::POSITIVE_BEFORE_ENTRY,
                format!("转正时间 {positive} 早于入职时间 {entry}"),
                format!("probation end date {positive} is before the entry date {entry}"),
            ),
        )
    })
}

/// The rules on a row as a whole: required columns, one contact, a department, dates in order.
fn row_rules(values: &StaffRecord, issues: &[Issue], layout: Layout) -> Vec<Issue> {
    let failed = |f: Field| issues.iter().any(|i: &Issue| i.field == Some(f));
    // Neither given nor given wrong (a wrong value already has its error).
    let absent = |f: &Field| values.get(*f).is_none() && !failed(*f);
    let mut more = Vec::new();
    for f in layout.required() {
        if absent(f) {
            more.push(Issue::error(
                Some(*f),
                problem(rule::REQUIRED, "必填", "required"),
            ));
        }
    }
    match layout {
        Layout::Staff => {
            if CONTACTS.iter().all(absent) {
                more.push(Issue::error(
                    Some(Field::WeMobile),
                    problem(
                        rule::NO_CONTACT,
                        "手机、邮箱、微信号至少填一项 (1205)",
                        "one of mobile, e-mail, WeChat id is required (1205)",
                    ),
                ));
            }
            let place = [Field::WeId, Field::WeDepartment];
            if place.iter().all(absent) {
                more.push(Issue::error(
                    Some(Field::WeDepartment),
                    problem(
                        rule::NO_DEPARTMENT,
                        "部门 或 部门ID 必填一项 (1207)",
                        "部门 (department path) or 部门ID is required (1207)",
                    ),
                ));
            }
            more.extend(positive_before_entry(values));
        }
        Layout::Times => {
            let dates = [
                Field::EntryTime,
                Field::WorkTime,
                Field::PositiveTime,
                Field::QuiteTime,
            ];
            if dates.iter().all(absent) {
                more.push(Issue::error(
                    None,
                    problem(
                        rule::NO_DATE,
                        "没有要更新的日期 (入职/参加工作/转正/离职时间)",
                        "no date to update (entry, probation end, work start, leave)",
                    ),
                ));
            }
            more.extend(positive_before_entry(values));
        }
        Layout::Delete | Layout::Leave => {}
        Layout::Departments => more.extend(department_rules(values, &failed)),
    }
    more
}

/// A departments row: one we_id and one path; a row with a we_id names (or renames) that
/// department, so its name must be one; a row without one is a path, whose name (if given) is
/// its last level. Whether the we_id exists is the plan's to say.
fn department_rules(values: &StaffRecord, failed: &dyn Fn(Field) -> bool) -> Vec<Issue> {
    let error = |f: Field, reason: rule::Rule, zh: String, en: String| {
        Issue::error(Some(f), problem(reason, zh, en))
    };
    let mut more = Vec::new();
    let id = values.get(Field::WeId);
    let path = values.get(Field::WeDepartment);
    let name = values.get(Field::WeName).unwrap_or("");
    if let Some(id) = id.filter(|id| id.contains(',')) {
        more.push(error(
            Field::WeId,
            rule::DEPARTMENT_ID,
            format!("部门ID {id:?} 只能是一个正整数"),
            format!("we_id {id:?} must be one positive number"),
        ));
    }
    if let Some(path) = path.filter(|p| p.contains(';')) {
        more.push(error(
            Field::WeDepartment,
            rule::DEPARTMENT_PATH,
            format!("完整路径 {path:?} 只能是一个部门"),
            format!("the path {path:?} must name one department"),
        ));
    }
    let rule = |name: &str| {
        crate::model::tree::name_rule(name)
            .map(|e| error(Field::WeName, rule::DEPARTMENT_NAME, e.zh, e.en))
    };
    match (id, path) {
        _ if failed(Field::WeId) || failed(Field::WeDepartment) || failed(Field::WeName) => {}
        (Some(_), _) => more.extend(rule(name)),
        (None, None) => more.push(error(
            Field::WeDepartment,
            rule::NO_DEPARTMENT,
            "没有部门ID时必须填写完整路径".into(),
            "a row without we_id needs a full path".into(),
        )),
        (None, Some(path)) => {
            let last = path.rsplit('/').next().unwrap_or(path);
            if !name.is_empty() && name != last {
                more.push(error(
                    Field::WeName,
                    rule::DEPARTMENT_NAME,
                    format!("名称 {name:?} 与完整路径的最后一级不一致"),
                    "the name differs from the path's last level".into(),
                ));
            }
        }
    }
    more
}

/// What makes two values of `field` the same: accounts and e-mails without letter case,
/// phones as their digits (a mainland number with or without +86). Made only when the value
/// is not already its key (most are not changed: an 11-digit mobile, a lower-case e-mail).
pub fn same_key(field: Field, value: &str) -> Option<Cow<'_, str>> {
    let value = crate::text::trim(value);
    if value.is_empty() {
        return None;
    }
    Some(match field {
        Field::WeUserid => AccountKey::text(value),
        Field::WeEmail
            if !value
                .bytes()
                .any(|b| b.is_ascii_uppercase() || !b.is_ascii()) =>
        {
            Cow::Borrowed(value)
        }
        Field::WeEmail => Cow::Owned(value.to_lowercase()),
        Field::WeMobile if value.bytes().all(|b| b.is_ascii_digit()) => Cow::Borrowed(value),
        Field::WeMobile => {
            let digits: String = value.chars().filter(char::is_ascii_digit).collect();
            Cow::Owned(match digits.strip_prefix("86") {
                Some(rest) if value.starts_with('+') && rest.len() == 11 => rest.to_string(),
                _ if value.starts_with('+') => format!("+{digits}"),
                _ => digits,
            })
        }
        _ => Cow::Borrowed(value),
    })
}

/// For every row of every group sharing a key (several indexes): the row it clashes with, by
/// its number in the sheet. Every row names the group's first; the first names the second.
/// One number a row, however many share the key (20,000 rows of one value would otherwise
/// each name the 19,999 others).
pub fn first_of<'a>(
    groups: impl Iterator<Item = &'a Vec<usize>>,
    source_row: impl Fn(usize) -> u32,
) -> Vec<(usize, u32)> {
    let mut out = Vec::new();
    for indexes in groups.filter(|v| v.len() > 1) {
        let (first, second) = (indexes[0], indexes[1]);
        out.push((first, source_row(second)));
        out.extend(indexes[1..].iter().map(|&i| (i, source_row(first))));
    }
    out
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_made_only_when_the_value_is_not_already_one() {
        let key = |f, v| same_key(f, v).map(|k| (k.to_string(), matches!(k, Cow::Borrowed(_))));
        let cases = [
            (Field::WeUserid, "zhang", Some(("zhang", true))),
            (Field::WeUserid, "Zhang", Some(("zhang", false))),
            (Field::WeUserid, " zhang ", Some(("zhang", true))),
            (Field::WeUserid, "ÄBC", Some(("äbc", false))),
            (Field::WeEmail, "a@b.cn", Some(("a@b.cn", true))),
            (Field::WeEmail, "A@B.cn", Some(("a@b.cn", false))),
            (Field::WeMobile, "13800000001", Some(("13800000001", true))),
            (
                Field::WeMobile,
                "138-0000-0001",
                Some(("13800000001", false)),
            ),
            (
                Field::WeMobile,
                "+86 138 0000 0001",
                Some(("13800000001", false)),
            ),
            (
                Field::WeMobile,
                "+852 1234 5678",
                Some(("+85212345678", false)),
            ),
            // +86 before what is no mainland mobile: kept as an international number.
            (
                Field::WeMobile,
                "+86 1234 5678",
                Some(("+8612345678", false)),
            ),
            (Field::WeMobile, "  ", None),
        ];
        for (field, value, want) in cases {
            let want = want.map(|(k, b)| (k.to_string(), b));
            assert_eq!(key(field, value), want, "{field:?} {value:?}");
        }
        // An account's key is the same text whichever way it was made.
        for a in ["zhang", "Zhang", " ZHANG", "Ünal"] {
            assert_eq!(
                *AccountKey::text(a),
                *AccountKey::new(a).into_string(),
                "{a}"
            );
        }
    }

    fn sheet(rows: &[&[&str]]) -> Sheet {
        Sheet {
            name: "S".into(),
            format: read::Format::Csv,
            warnings: vec![],
            merged: Vec::new(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, cells)| RawRow {
                    source_row: i as u32 + 1,
                    hidden: false,
                    cells: cells
                        .iter()
                        .map(|c| {
                            if c.is_empty() {
                                Cell::Empty
                            } else {
                                Cell::Text(c.to_string())
                            }
                        })
                        .collect(),
                })
                .collect(),
            is_report: false,
        }
    }

    fn table(rows: &[&[&str]]) -> Table {
        from_sheet(Path::new("t.csv"), sheet(rows), Layout::Staff).unwrap()
    }

    const HEAD: &[&str] = &[
        "帐号*",
        "姓名*",
        "手机",
        "部门",
        "考勤号",
        "入职时间",
        "转正时间",
    ];

    #[test]
    fn the_message_names_row_and_column() {
        let t = table(&[
            HEAD,
            &["zs", "张三", "13800138000", "办公逸", "0123", "", ""],
        ]);
        let row = &t.rows[0];
        assert!(!row.is_valid());
        assert_eq!(
            row.issues[0].describe(row.source_row),
            "第 2 行 考勤号: 考勤号不能以 0 开头 (1208) (row 2, check_id: check id must not start with 0 (1208))"
        );
    }

    #[test]
    fn row_rules() {
        let t = table(&[
            HEAD,
            &["a1", "甲", "", "", "", "", ""],
            &[
                "a2",
                "乙",
                "13800138000",
                "办公逸",
                "",
                "2020-05-01",
                "2020-01-01",
            ],
            &["", "丙", "13800138001", "办公逸", "", "", ""],
        ]);
        let reasons = |i: usize| {
            t.rows[i]
                .issues
                .iter()
                .map(|x| x.reason)
                .collect::<Vec<_>>()
        };
        assert_eq!(reasons(0), vec![rule::NO_CONTACT, rule::NO_DEPARTMENT]);
        assert!(t.rows[1].is_valid(), "a warning does not block");
        assert_eq!(reasons(1), vec![rule::POSITIVE_BEFORE_ENTRY]);
        assert_eq!(reasons(2), vec![rule::REQUIRED]);
    }

    #[test]
    fn a_header_of_accounts_alone_is_read_as_deletes_only_where_that_may_be_guessed() {
        let read = |csv: &str, read_as| {
            let table = load_watched(
                csv.as_bytes(),
                Path::new("t.csv"),
                None,
                read_as,
                &Names::default(),
                &mut |_, _, _| {},
            );
            table.unwrap().layout
        };
        let accounts = "帐号,姓名\na1,甲\n";
        let dates = "帐号,姓名,部门,转正时间\na1,甲,研发部,2026-12-01\n";
        for (delete, want) in [(true, Layout::Delete), (false, Layout::Staff)] {
            assert_eq!(read(accounts, ReadAs::Header { delete }), want);
            assert_eq!(read(dates, ReadAs::Header { delete }), Layout::Times);
        }
        let asked = ReadAs::Layout(Layout::Staff);
        assert_eq!(read(dates, asked), Layout::Staff);
    }

    #[test]
    fn a_sheet_of_dates_warns_of_a_positive_date_before_the_entry_as_a_sheet_of_people_does() {
        let t = from_sheet(
            Path::new("t.csv"),
            sheet(&[
                &["帐号*", "姓名", "入职时间", "转正时间"],
                &["a1", "甲", "2020-03-01", "2019-01-01"],
                &["a2", "乙", "2020-03-01", "2020-06-01"],
                // Confirmed on the day of entry (no probation) is not before it.
                &["a3", "丙", "2020-03-01", "2020-03-01"],
                &["a4", "丁", "", ""],
            ]),
            Layout::Times,
        )
        .unwrap();
        let reasons = |i: usize| {
            t.rows[i]
                .issues
                .iter()
                .map(|x| x.reason)
                .collect::<Vec<_>>()
        };
        assert_eq!(reasons(0), vec![rule::POSITIVE_BEFORE_ENTRY]);
        assert!(t.rows[0].is_valid(), "a warning does not block");
        assert!(reasons(1).is_empty());
        assert!(reasons(2).is_empty());
        assert_eq!(reasons(3), vec![rule::NO_DATE]);
    }

    #[test]
    fn a_departments_row_names_one_department() {
        let head: Vec<&str> = crate::model::DEPT_TITLES.to_vec();
        let t = from_sheet(
            Path::new("d.csv"),
            sheet(&[
                &head,
                &["2,3", "研发部", "1", ""],
                &["", "", "1", "办公逸/研发部;办公逸/客服部"],
                &["2", "研发部", "1", "办公逸/研发部"],
            ]),
            Layout::Departments,
        )
        .unwrap();
        let reasons = |i: usize| {
            (t.rows[i].issues.iter())
                .map(|x| (x.reason, x.field))
                .collect::<Vec<_>>()
        };
        assert_eq!(reasons(0), [(rule::DEPARTMENT_ID, Some(Field::WeId))]);
        assert_eq!(
            reasons(1),
            [(rule::DEPARTMENT_PATH, Some(Field::WeDepartment))]
        );
        assert_eq!(reasons(2), []);
    }

    #[test]
    fn a_row_of_one_cell_without_an_account_is_one_error() {
        let t = table(&[
            HEAD,
            &["a1", "甲", "13800138000", "办公逸", "", "", ""],
            // A signature under the people, in the 帐号 column; a note in the 姓名 column.
            &["制表人:李四", "", "", "", "", "", ""],
            &["", "以上截至 11 月", "", "", "", "", ""],
            // One cell, but an account: what it lacks is said column by column.
            &["zs", "", "", "", "", "", ""],
            // No account, but more than one cell: as before.
            &["", "丙", "13800138001", "", "", "", ""],
        ]);
        let issues = |i: usize| {
            let row = &t.rows[i];
            (row.issues.iter())
                .map(|x| (x.field, x.reason))
                .collect::<Vec<_>>()
        };
        assert!(t.rows[0].is_valid());
        assert_eq!(issues(1), vec![(Some(Field::WeUserid), rule::ONE_CELL)]);
        assert_eq!(issues(2), vec![(Some(Field::WeName), rule::ONE_CELL)]);
        assert!(t.rows[1].issues[0]
            .en
            .contains("if it is a total or a note, delete the row"));
        assert_eq!(
            issues(3),
            vec![
                (Some(Field::WeName), rule::REQUIRED),
                (Some(Field::WeMobile), rule::NO_CONTACT),
                (Some(Field::WeDepartment), rule::NO_DEPARTMENT),
            ]
        );
        assert_eq!(
            issues(4),
            vec![
                (Some(Field::WeUserid), rule::REQUIRED),
                (Some(Field::WeDepartment), rule::NO_DEPARTMENT)
            ]
        );
    }

    #[test]
    fn a_row_of_totals_without_an_account_or_a_name_is_left_out_with_a_warning() {
        let t = table(&[
            HEAD,
            &["a1", "甲", "13800138000", "办公逸", "", "", ""],
            &["合计", "2人", "", "", "", "", ""],
            &["", " 总计:", "13800138000", "", "", "", ""],
            // One cell, and a total: said as a total.
            &["合计:2人", "", "", "", "", "", ""],
            // An account: a person, whatever the name says.
            &["hj", "合计", "13800138002", "办公逸", "", "", ""],
        ]);
        // A 序号 column first, and the count under the 工号 read as the account: no name.
        let numbered = table(&[
            &["序号", "帐号", "姓名", "手机", "部门"],
            &["1", "a1", "甲", "13800138000", "办公逸"],
            &["合计", "1", "", "", ""],
            &["总人数:1", "", "", "", "小计"],
        ]);
        assert_eq!(numbered.rows.len(), 1, "{:?}", numbered.rows);
        // The word under the 姓名 and the count under the 工号.
        let named = table(&[
            &["姓名", "帐号", "手机", "部门"],
            &["甲", "a1", "13800138000", "办公逸"],
            &["合计", "1", "", ""],
        ]);
        assert_eq!(named.rows.len(), 1, "{:?}", named.rows);
        assert!(numbered.rows[0].is_valid());
        let said = &numbered.warnings;
        assert!(
            said.iter()
                .any(|w| w.text.starts_with("第 3、4 行是合计行")),
            "{said:?}"
        );
        // Left out of the rows, and named in one warning.
        let accounts: Vec<&str> = t.rows.iter().map(|r| r.account()).collect();
        assert_eq!(accounts, ["a1", "hj"]);
        assert!(t.rows.iter().all(|r| r.is_valid()));
        let said: Vec<&str> = t.warnings.iter().map(|w| w.text.as_str()).collect();
        assert!(
            said.contains(&"第 3、4、5 行是合计行,不是人员,没有读取 (row 3, 4, 5: a total, not a person; not read)"),
            "{said:?}"
        );
    }

    #[test]
    fn duplicates_name_the_other_row() {
        let t = table(&[
            HEAD,
            &["dup", "甲", "13800138000", "办公逸", "7", "", ""],
            &["ok", "乙", "13800138001", "办公逸", "8", "", ""],
            &["DUP", "丙", "13800138002", "办公逸", "7", "", ""],
        ]);
        assert!(t.rows[1].is_valid());
        let msgs: Vec<String> = t.rows[2].issues.iter().map(|i| i.zh.to_string()).collect();
        assert_eq!(
            msgs,
            vec!["帐号与第 2 行重复", "考勤号与第 2 行重复 (1206)"]
        );
        assert!(!t.rows[0].is_valid());
    }

    #[test]
    fn a_rows_cells_are_kept_as_shown_in_one_string() {
        let cells = [
            Cell::Text("a\u{1F}b".into()),
            Cell::Empty,
            Cell::Number(13800138000.0),
        ];
        let raw = RawCells::of(&cells);
        assert_eq!(raw.iter().collect::<Vec<_>>(), ["a b", "", "13800138000"]);
        assert_eq!(raw.get(2), "13800138000");
        assert_eq!(raw.get(7), "");
    }

    #[test]
    fn clashes_are_found_from_the_keys_hashes_once_the_rows_values_are_gone() {
        let mut t = table(&[
            HEAD,
            &["one", "甲", "13800138000", "办公逸", "7", "", ""],
            &["two", "乙", "13800138001", "办公逸", "8", "", ""],
            &["One", "丙", "13800138002", "办公逸", "9", "", ""],
        ]);
        let mut cross = CrossRows::new(Layout::Staff);
        for row in &mut t.rows {
            row.issues.clear();
            cross.add(row);
            row.forget();
        }
        let accounts = cross.finish(&mut t.rows).unwrap();
        let msgs = |i: usize| -> Vec<String> {
            t.rows[i].issues.iter().map(|x| x.zh.to_string()).collect()
        };
        assert_eq!(
            msgs(0),
            ["帐号与第 4 行重复"],
            "one and One are one account"
        );
        assert!(msgs(1).is_empty(), "{:?}", msgs(1));
        assert_eq!(msgs(2), ["帐号与第 2 行重复"]);
        assert!(accounts.contains("ONE") && accounts.contains(" two"));
        assert!(!accounts.contains("three") && !accounts.contains(""));
    }

    #[test]
    fn example_accounts() {
        for yes in ["示例-zhangsan", "example1", " Example-lisi", "EXAMPLE"] {
            assert!(is_example(yes), "{yes}");
        }
        for no in ["zhangsan", "exam", "例子例子例子", "ex-ample"] {
            assert!(!is_example(no), "{no}");
        }
    }

    #[test]
    fn example_and_empty_rows_are_skipped_and_unknown_columns_warned() {
        let t = from_sheet(
            Path::new("t.csv"),
            sheet(&[
                &["帐号", "姓名", "备注"],
                &["示例-zhangsan", "张三", ""],
                &["", "", "only a note"],
                &["x", "y", ""],
            ]),
            Layout::Staff,
        )
        .unwrap();
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].source_row, 4);
        assert_eq!(t.warnings.len(), 1);
        assert!(t.warnings[0].text.contains("备注"));
    }

    /// A header again under the people (a second sheet pasted with its own, a header on each
    /// printed page) is no person: left out and named; a person whose name is a title is not.
    #[test]
    fn a_row_that_repeats_the_header_is_left_out() {
        let t = from_sheet(
            Path::new("t.csv"),
            sheet(&[
                &["帐号", "姓名", "手机"],
                &["zhangsan", "张三", "13800138000"],
                &[" 帐号", "姓名 ", ""],
                &["lisi", "李四", "13900139000"],
                &["手机", "姓名", ""],
                &["帐号", "王五", "13700137000"],
                &["", "姓名", ""],
            ]),
            Layout::Staff,
        )
        .unwrap();
        let rows: Vec<u32> = t.rows.iter().map(|r| r.source_row).collect();
        assert_eq!(rows, [2, 4, 5, 6, 7], "one title alone is a row");
        let said: Vec<&str> = t.warnings.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(
            said,
            ["第 3 行是表头的重复,不是人员,没有读取 (row 3: the header again, not a person; not read)"]
        );
    }

    /// A header of two rows (联系方式 over 手机 and 邮箱) repeated: both of its rows.
    #[test]
    fn both_rows_of_a_grouped_header_repeated_are_left_out() {
        let top: &[&str] = &["帐号", "姓名", "联系方式", "", "部门"];
        let below: &[&str] = &["", "", "手机", "邮箱", ""];
        let t = from_sheet(
            Path::new("t.csv"),
            sheet(&[
                top,
                below,
                &["zhangsan", "张三", "13800138000", "", "研发部"],
                top,
                below,
                &["lisi", "李四", "", "lisi@example.com", "研发部"],
                &["帐号", "姓名", "手机", "邮箱", ""],
            ]),
            Layout::Staff,
        )
        .unwrap();
        let rows: Vec<u32> = t.rows.iter().map(|r| r.source_row).collect();
        assert_eq!(rows, [3, 6]);
        assert!(t.rows.iter().all(Row::is_valid), "{:?}", t.rows);
        let said: Vec<&str> = t.warnings.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(
            said,
            ["第 4、5、7 行是表头的重复,不是人员,没有读取 (row 4, 5, 7: the header again, not a person; not read)"]
        );
    }

    #[test]
    fn no_header_and_missing_account_column_are_errors() {
        let e = from_sheet(
            Path::new("t.csv"),
            sheet(&[&["a", "b"], &["c", "d"]]),
            Layout::Staff,
        )
        .unwrap_err();
        assert!(e.to_string().contains("no header row"), "{e}");
        let e = from_sheet(
            Path::new("t.csv"),
            sheet(&[&["姓名", "手机"]]),
            Layout::Staff,
        )
        .unwrap_err();
        assert!(e.to_string().contains("has no 帐号 column"), "{e}");
    }
}
