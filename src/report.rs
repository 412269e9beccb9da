//! The report workbook: 汇总 Summary, 失败 Failed (in the input's layout, so it can be fixed
//! and fed back), 全部 All (every row with its outcome), and 计划 Plan when there is one.
//!
//! In: the validated table and each row's outcome. Out: one .xlsx file, written in constant
//! memory. It never prints the ticket: the server is given as a URL without query.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, Note, Workbook, Worksheet, XlsxError,
};

use crate::model::StaffRecord;
use crate::model::{Command, Field, Layout, Outcome};
use crate::outcome::{Counts, PlanLine, PlanLines, Reason};
use crate::read::header::{is_id_number_title, Column, Header};
use crate::read::{REPORT_COMMAND, REPORT_FAILED_SHEET, REPORT_SUMMARY_SHEET};
use crate::validate::{Issue, RawCells, Row, Severity, Table};

pub const REPORT_ALL_SHEET: &str = "全部 All";
pub const REPORT_PLAN_SHEET: &str = "计划 Plan";
pub const SOURCE_ROW_TITLE: &str = "源行号 Source row";
pub const ERROR_TITLE: &str = "错误 Error";
pub const OUTCOME_TITLE: &str = "结果 Outcome";

/// What the reports of `input` are named after: its stem, without a report's own
/// `.report-…`, so that a rerun of a report gets NAME.report-…, not NAME.report-….report-….
pub fn report_stem(input: &Path) -> String {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bgy".into());
    stem.split(".report-").next().unwrap_or(&stem).to_string()
}

/// `DIR/NAME.report-YYYYMMDD-HHMMSS.xlsx` next to the input.
pub fn default_path(input: &Path, at: crate::model::Moment) -> PathBuf {
    input.with_file_name(report_name(input, at))
}

/// `NAME.report-YYYYMMDD-HHMMSS.xlsx`.
fn report_name(input: &Path, at: crate::model::Moment) -> String {
    format!(
        "{}.report-{}.xlsx",
        report_stem(input),
        at.format("%Y%m%d-%H%M%S")
    )
}

/// The first of `NAME.report-YYYYMMDD-HHMMSS.xlsx`, `…-2.xlsx`, `…-3.xlsx` … beside the input
/// (or in `dir`, `--report-dir`) that no report and no journal uses, taken at once, so two
/// runs started in the same second never share a report or a journal.
pub fn reserve_path(
    input: &Path,
    dir: Option<&Path>,
    at: crate::model::Moment,
) -> std::io::Result<PathBuf> {
    let first = match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir.join(report_name(input, at))
        }
        None => default_path(input, at),
    };
    reserve(&first, |p| journal_path(p).exists())
}

/// The first of `FIRST`, `FIRST-2.xlsx`, `FIRST-3.xlsx` … that is no file yet and not `taken`,
/// created empty at once (`create_new`), so two runs never write the same file.
pub fn reserve(first: &Path, taken: impl Fn(&Path) -> bool) -> std::io::Result<PathBuf> {
    for n in 1..=1000 {
        let candidate = if n == 1 {
            first.to_path_buf()
        } else {
            first.with_file_name(format!(
                "{}-{n}.xlsx",
                first.file_stem().unwrap_or_default().to_string_lossy()
            ))
        };
        if taken(&candidate) {
            continue;
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(_) => return Ok(candidate),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!(
        "no free name like {}",
        first.display()
    )))
}

/// The journal beside a report: `REPORT.journal.jsonl`.
pub fn journal_path(report: &Path) -> PathBuf {
    report.with_extension("journal.jsonl")
}

pub struct Report<'a> {
    pub command: Command,
    /// The input as a person knows it (an upload's own name, not the run store's copy).
    pub input: String,
    pub server: &'a str,
    pub table: &'a Table,
    /// One per `table.rows`, in order.
    pub outcomes: &'a [Outcome],
    /// The run's counts: the outcomes', and what it did besides its rows (a sync's prunes).
    pub counts: &'a Counts,
    pub started: crate::model::Moment,
    pub finished: crate::model::Moment,
    /// Why the run stopped early, if it did.
    pub stopped: Option<String>,
    pub plan: Option<&'a dyn PlanLines>,
    /// The reasons rows failed or were warned about, as stderr shows them.
    pub reasons: &'a [Reason],
}

struct Formats {
    header: Format,
    text: Format,
    bad: Format,
    key: Format,
    wrap: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: crate::write::header_format().set_num_format("@"),
            text: Format::new().set_num_format("@"),
            bad: Format::new()
                .set_num_format("@")
                .set_background_color(Color::RGB(0xFFC7CE))
                .set_font_color(Color::RGB(0x9C0006)),
            key: Format::new().set_bold(),
            wrap: Format::new().set_text_wrap(),
        }
    }
}

/// The input columns the Failed and All sheets repeat (a rerun's own 源行号/错误 dropped).
fn layout_columns(header: &Header) -> Vec<usize> {
    header
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| **c != Column::Meta)
        .map(|(i, _)| i)
        .collect()
}

/// The input columns the All sheet repeats: those that name a row (帐号 and 姓名; a
/// departments sheet's 姓名 and 部门 path), in the input's order. The sheet shows every row's
/// outcome; the row's other cells are in the person's own file at its 源行号, and on the Failed
/// sheet when it did not go well. Repeating all of them cost as much as reading the file.
fn key_columns(header: &Header, columns: &[usize]) -> Vec<usize> {
    let keys = match header.position(Field::WeUserid) {
        Some(_) => [Field::WeUserid, Field::WeName],
        None => [Field::WeName, Field::WeDepartment],
    };
    let named: Vec<usize> = columns
        .iter()
        .copied()
        .filter(|&i| matches!(header.columns[i], Column::Field(f) if keys.contains(&f)))
        .collect();
    match named.is_empty() {
        true => columns.to_vec(),
        false => named,
    }
}

impl Report<'_> {
    pub fn write(&self, path: &Path) -> Result<(), XlsxError> {
        let mut sheets = Sheets::new(&self.table.header)?;
        for (row, outcome) in self.table.rows.iter().zip(self.outcomes) {
            sheets.row(row, outcome)?;
        }
        sheets.finish(self, path)
    }

    /// The command as it would be typed, with the kind a check read the sheet as: a report
    /// uploaded again to the console is read the same way ([`crate::read::report_layout`]).
    fn typed(&self) -> String {
        match (self.command, self.table.layout) {
            (Command::Check, layout @ (Layout::Times | Layout::Delete | Layout::Leave)) => {
                format!("bgy check --kind {}", layout.name())
            }
            (command, _) => format!("bgy {command}"),
        }
    }

    /// `unnoted`: red cells left without a note (past [`MAX_NOTES`]).
    fn write_summary(
        &self,
        ws: &mut Worksheet,
        f: &Formats,
        unnoted: u32,
    ) -> Result<(), XlsxError> {
        let c = self.counts;
        let elapsed = (self.finished - self.started).num_milliseconds().max(0) as f64 / 1000.0;
        let text = |k: &'static str, v: String| (k, Line::Text(v));
        let ok_title = if self.command == Command::Check {
            "有效 Valid"
        } else {
            "成功 OK"
        };
        let mut lines: Vec<(&str, Line)> = vec![
            text(REPORT_COMMAND, self.typed()),
            text("输入 Input", self.input.clone()),
            text("工作表 Sheet", self.table.sheet.clone()),
            text("服务器 Server", self.server.to_string()),
            text(
                "开始 Started",
                self.started.format("%Y-%m-%d %H:%M:%S").to_string(),
            ),
            text(
                "结束 Finished",
                self.finished.format("%Y-%m-%d %H:%M:%S").to_string(),
            ),
            text("用时 Elapsed", format!("{elapsed:.1} s")),
            ("总行数 Rows", Line::Count(c.total)),
            (ok_title, Line::Count(c.ok)),
            ("新增 Created", Line::Count(c.created)),
            ("更新 Updated", Line::Count(c.updated)),
            ("已存在跳过 Skipped", Line::Count(c.skipped)),
            ("无变化 Unchanged", Line::Count(c.unchanged)),
            ("已删除 Deleted", Line::Count(c.deleted)),
            ("校验失败 Invalid", Line::Count(c.invalid)),
            ("失败 Failed", Line::Count(c.failed)),
            ("未发送 Not sent", Line::Count(c.not_sent)),
        ];
        if let Some(why) = &self.stopped {
            lines.push(text("提前停止 Stopped", why.clone()));
        }
        for w in &self.table.warnings {
            lines.push(text("警告 Warning", w.text.clone()));
        }
        if unnoted > 0 {
            lines.push(text(
                "批注 Notes",
                format!("只有前 {MAX_NOTES} 个标红的单元格带批注,其余 {unnoted} 个的原因见所在行的 {ERROR_TITLE} 列 / only the first {MAX_NOTES} red cells have a note; the reason for the other {unnoted} is in their row's {ERROR_TITLE} column"),
            ));
        }
        lines.push(text(
            "重新运行 Rerun",
            format!("修改 {REPORT_FAILED_SHEET} 表中标红的单元格后,把本文件作为输入再运行一次,只会发送这些行 / fix the red cells in {REPORT_FAILED_SHEET} and run this file again: only those rows are sent"),
        ));
        ws.set_column_width(0, 22)?;
        ws.set_column_width(1, 80)?;
        ws.set_column_width(2, 12)?;
        ws.set_column_width(3, 60)?;
        for (i, (k, v)) in lines.iter().enumerate() {
            ws.write_string_with_format(i as u32, 0, *k, &f.key)?;
            match v {
                Line::Text(v) => ws.write_string_with_format(i as u32, 1, cell(v), &f.wrap)?,
                Line::Count(n) => ws.write_number(i as u32, 1, *n as f64)?,
            };
        }
        // The reasons stderr shows, as a table.
        let top = lines.len() as u32 + 1;
        for (j, t) in ["原因 Reason", "行数 Rows", "首行 First row", "例 Example"]
            .iter()
            .enumerate()
        {
            ws.write_string_with_format(top, j as u16, *t, &f.header)?;
        }
        for (k, r) in self.reasons.iter().enumerate() {
            let at = top + 1 + k as u32;
            let mark = if r.warning { "警告 warning: " } else { "" };
            ws.write_string_with_format(at, 0, cell(&format!("{mark}{}", r.rule)), &f.wrap)?;
            ws.write_number(at, 1, r.count as f64)?;
            ws.write_number(at, 2, f64::from(r.first_row))?;
            ws.write_string_with_format(at, 3, cell(&r.example), &f.wrap)?;
        }
        Ok(())
    }
}

/// The report's workbook while its rows are written, one at a time and in order: the Failed
/// and All sheets in constant memory, the Summary (and Plan) once the run is over.
struct Sheets {
    workbook: Workbook,
    formats: Formats,
    header: Header,
    /// The input columns the Failed sheet repeats, and the widest cell of each in the first
    /// rows; the All sheet's, that name a row ([`key_columns`]), and theirs.
    columns: Vec<usize>,
    widths: Vec<usize>,
    keys: Vec<usize>,
    key_widths: Vec<usize>,
    /// Rows written so far: of the input, and to the Failed sheet.
    rows: u32,
    failed: u32,
    /// Red cells given a note, and red cells past [`MAX_NOTES`] left without one.
    notes: u32,
    unnoted: u32,
    /// The last row's outcome and issues, and the 错误 text they made, cut to fit a cell: a
    /// text of the same ones is made once (an export checked online: one warning on every
    /// row).
    said: Option<(Outcome, thin_vec::ThinVec<Issue>, String)>,
}

/// Red cells that get a note. rust_xlsxwriter holds every note, and builds its drawing, in
/// memory (~15 KB a note: 100,000 of them took 1.5 GB); past this many, a red cell's reason is
/// in its row's 错误 Error column only, as it is for every row anyway.
pub const MAX_NOTES: u32 = 2_000;

/// The sheets' positions in the workbook.
const FAILED: usize = 1;
const ALL: usize = 2;

impl Sheets {
    fn new(header: &Header) -> Result<Sheets, XlsxError> {
        let mut workbook = Workbook::new();
        // Reports are written once and read a few times: favour speed over size.
        workbook.set_zip_compression_level(1);
        workbook.add_worksheet().set_name(REPORT_SUMMARY_SHEET)?;
        workbook
            .add_worksheet_with_constant_memory()?
            .set_name(REPORT_FAILED_SHEET)?;
        workbook
            .add_worksheet_with_constant_memory()?
            .set_name(REPORT_ALL_SHEET)?;
        let columns = layout_columns(header);
        let keys = key_columns(header, &columns);
        let title_widths =
            |cols: &[usize]| cols.iter().map(|&i| width(&header.titles[i])).collect();
        let mut sheets = Sheets {
            workbook,
            formats: Formats::new(),
            header: header.clone(),
            widths: title_widths(&columns),
            key_widths: title_widths(&keys),
            columns,
            keys,
            rows: 0,
            failed: 0,
            notes: 0,
            unnoted: 0,
            said: None,
        };
        sheets.titles(FAILED, &[SOURCE_ROW_TITLE, ERROR_TITLE])?;
        sheets.titles(ALL, &[SOURCE_ROW_TITLE, OUTCOME_TITLE, ERROR_TITLE])?;
        Ok(sheets)
    }

    fn titles(&mut self, sheet: usize, extra: &[&str]) -> Result<(), XlsxError> {
        let columns = match sheet {
            ALL => &self.keys,
            _ => &self.columns,
        };
        let ws = self.workbook.worksheet_from_index(sheet)?;
        let f = &self.formats;
        // Formats by column, not by cell (a cell without one takes its column's): one given
        // to a cell costs a hash of the whole format, more than writing the cell.
        for (j, &i) in columns.iter().enumerate() {
            let title = match sheet {
                FAILED => self.header.report_title(i),
                _ => &self.header.titles[i],
            };
            ws.write_string_with_format(0, j as u16, title, &f.header)?;
            if sheet == FAILED {
                // Text, so what HR types in to fix a row stays as typed.
                ws.set_column_format(j as u16, &f.text)?;
            }
        }
        for (k, title) in extra.iter().enumerate() {
            let col = (columns.len() + k) as u16;
            ws.write_string_with_format(0, col, *title, &f.header)?;
            let w = if *title == ERROR_TITLE {
                ws.set_column_format(col, &f.wrap)?;
                60
            } else {
                width(title) + 2
            };
            ws.set_column_width(col, w as f64)?;
        }
        ws.set_freeze_panes(1, 0)?;
        Ok(())
    }

    /// The next input row: on the All sheet, and on the Failed sheet unless it went well.
    fn row(&mut self, row: &Row, outcome: &Outcome) -> Result<(), XlsxError> {
        // Every cell only for a row on the Failed sheet (or sized for the widths); the All
        // sheet's few, looked up.
        let cells: Option<Vec<&str>> = (!outcome.is_ok() || (self.rows as usize) < WIDTH_SAMPLE)
            .then(|| row.raw().iter().collect());
        let cell_of = |i: usize| match &cells {
            Some(cells) => cells.get(i).copied().unwrap_or(""),
            None => row.raw().get(i),
        };
        if (self.rows as usize) < WIDTH_SAMPLE {
            for (w, &i) in self.widths.iter_mut().zip(&self.columns) {
                *w = (*w).max(width(cell_of(i)));
            }
            for (w, &i) in self.key_widths.iter_mut().zip(&self.keys) {
                *w = (*w).max(width(cell_of(i)));
            }
        }
        self.rows += 1;
        let text = self.error_text(row, outcome);
        let n = self.columns.len() as u16;
        if !outcome.is_ok() {
            self.failed += 1;
            let r = self.failed;
            let notes = red_cells(&self.header, row);
            let f = &self.formats;
            let ws = self.workbook.worksheet_from_index(FAILED)?;
            for (j, &i) in self.columns.iter().enumerate() {
                let value = cell_of(i);
                if let Some(text) = notes.get(&i) {
                    ws.write_string_with_format(r, j as u16, value, &f.bad)?;
                    if self.notes < MAX_NOTES {
                        self.notes += 1;
                        ws.insert_note(
                            r,
                            j as u16,
                            &Note::new(cell(&text.join("\n")))
                                .set_author("bgy")
                                .set_width(320),
                        )?;
                    } else {
                        self.unnoted += 1;
                    }
                } else if !value.is_empty() {
                    ws.write_string(r, j as u16, value)?;
                }
            }
            ws.write_number(r, n, row.source_row as f64)?;
            ws.write_string(r, n + 1, &text)?;
        }
        let r = self.rows;
        let ws = self.workbook.worksheet_from_index(ALL)?;
        for (j, &i) in self.keys.iter().enumerate() {
            let value = cell_of(i);
            if !value.is_empty() {
                ws.write_string(r, j as u16, value)?;
            }
        }
        let n = self.keys.len() as u16;
        ws.write_number(r, n, row.source_row as f64)?;
        ws.write_string(r, n + 1, outcome.label())?;
        if !text.is_empty() {
            ws.write_string(r, n + 2, &text)?;
        }
        Ok(())
    }

    /// [`error_text`] cut to fit a cell, or the last row's again when its outcome and issues
    /// were the same.
    fn error_text(&mut self, row: &Row, outcome: &Outcome) -> String {
        match &self.said {
            Some((o, issues, text)) if o == outcome && *issues == row.issues => text.clone(),
            _ => {
                let text = cell(&error_text(row, outcome)).into_owned();
                self.said = Some((outcome.clone(), row.issues.clone(), text.clone()));
                text
            }
        }
    }

    /// Column widths from the first rows, the Summary (and Plan) sheet, print setup, saved;
    /// the workbook let go on a thread of its own ([`crate::os::drop_later`]).
    fn finish(mut self, report: &Report, path: &Path) -> Result<(), XlsxError> {
        let created = ExcelDateTime::parse_from_str(
            &report.finished.format("%Y-%m-%dT%H:%M:%S").to_string(),
        )?;
        self.workbook.set_properties(
            &DocProperties::new()
                .set_author("bgy")
                .set_creation_datetime(&created),
        );
        for (sheet, widths) in [(FAILED, &self.widths), (ALL, &self.key_widths)] {
            let ws = self.workbook.worksheet_from_index(sheet)?;
            for (j, w) in widths.iter().enumerate() {
                // As wide as the title and the first rows need, within reason.
                ws.set_column_width(j as u16, (w + 2).clamp(8, 50) as f64)?;
            }
        }
        let summary = self.workbook.worksheet_from_index(0)?;
        report.write_summary(summary, &self.formats, self.unnoted)?;
        if let Some(plan) = report.plan {
            let lines = plan.each(report.table);
            write_plan(
                &mut self.workbook,
                &self.formats,
                lines,
                crate::events::PLAN_SHEET_LINES,
            )?;
        }
        for ws in self.workbook.worksheets_mut() {
            print_setup(ws)?;
        }
        let saved = crate::write::save(&mut self.workbook, path);
        crate::os::drop_later(self.workbook);
        saved
    }
}

/// A row's cells to fill red, by input column, each with the reasons for its note: the
/// errors that name a field.
fn red_cells(header: &Header, row: &Row) -> BTreeMap<usize, Vec<String>> {
    let mut notes: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for issue in row.errors() {
        if let Some(col) = issue.field.and_then(|fl| header.position(fl)) {
            notes.entry(col).or_default().push(issue.cell_text());
        }
    }
    notes
}

/// The 失败 Failed sheet's titles as data, and which columns hold bank card numbers, or ID
/// numbers (a column bgy does not send, which an HR system's export often has).
pub fn failed_header(header: &Header) -> crate::events::FailedHeader {
    let columns = layout_columns(header);
    let secret = |c: &Column, title: &str| match c {
        Column::Field(f) | Column::Unused(f) | Column::Duplicate(f) => *f == Field::BankCard,
        Column::Unknown | Column::Ignored | Column::NoPlace => is_id_number_title(title),
        Column::Meta => false,
    };
    let mut titles: Vec<String> = columns.iter().map(|&i| header.titles[i].clone()).collect();
    let mut masked: Vec<bool> = (columns.iter())
        .map(|&i| secret(&header.columns[i], &header.titles[i]))
        .collect();
    titles.extend([SOURCE_ROW_TITLE.to_string(), ERROR_TITLE.to_string()]);
    masked.extend([false, false]);
    crate::events::FailedHeader { titles, masked }
}

/// A row of the 失败 Failed sheet as data (`None` for a row that went well): the cells, the
/// source row, the reason, and which cells are red.
pub fn failed_row(
    header: &Header,
    row: &Row,
    outcome: &Outcome,
) -> Option<crate::events::FailedRow> {
    if outcome.is_ok() {
        return None;
    }
    let columns = layout_columns(header);
    let red = red_cells(header, row);
    let cells: Vec<&str> = row.raw().iter().collect();
    let mut out: Vec<String> = columns
        .iter()
        .map(|&i| cells.get(i).copied().unwrap_or("").to_string())
        .collect();
    let bad = columns
        .iter()
        .enumerate()
        .filter(|(_, i)| red.contains_key(i))
        .map(|(j, _)| j)
        .collect();
    let reasons = error_parts(row, outcome);
    out.push(row.source_row.to_string());
    out.push(cell(&reasons.join("; ")).into_owned());
    Some(crate::events::FailedRow {
        cells: out,
        bad,
        reasons,
    })
}

/// A report written on a thread of its own while the rows are still being read and validated
/// (an offline check, a dry run), checked online or planned (a sync's row to send as its send
/// succeeding leaves it), or sent ([`Stream::settle`]), on the guess that nothing after
/// changes them. [`Stream::finish`] checks the guess row by row; when a later stage did change
/// a row (a duplicate found across rows, a send that failed or was never made), the report is
/// written whole.
pub struct Stream {
    tx: Option<SyncSender<Vec<(Row, Outcome)>>>,
    batch: Vec<(Row, Outcome)>,
    writer: Option<JoinHandle<Result<Streamed, XlsxError>>>,
    /// The rows' digests' hash, the writer's and [`Stream::finish`]'s alike.
    hasher: foldhash::fast::RandomState,
    /// The rows streamed so far: the index of the next.
    next: usize,
}

/// What the writer thread leaves: the sheets so far, and what each row was written as.
struct Streamed {
    sheets: Sheets,
    digests: Vec<u64>,
}

/// Rows handed to the writer thread at a time.
const STREAM_BATCH: usize = 256;

impl Stream {
    pub fn start(header: &Header) -> Stream {
        let (tx, rx) = sync_channel::<Vec<(Row, Outcome)>>(64);
        let header = header.clone();
        let hasher = foldhash::fast::RandomState::default();
        let theirs = hasher.clone();
        let writer = std::thread::spawn(move || {
            let mut sheets = Sheets::new(&header)?;
            let mut digests = Vec::new();
            for (row, outcome) in rx.into_iter().flatten() {
                digests.push(digest(&theirs, &row, &outcome));
                sheets.row(&row, &outcome)?;
            }
            Ok(Streamed { sheets, digests })
        });
        Stream {
            tx: Some(tx),
            batch: Vec::with_capacity(STREAM_BATCH),
            writer: Some(writer),
            hasher,
            next: 0,
        }
    }

    /// A row as validation left it, with the outcome a run that sends nothing gives it.
    pub fn row(&mut self, row: &mut Row) {
        let outcome = Outcome::initial(row.is_valid());
        self.row_as(row, outcome);
    }

    /// A row with the outcome a later stage gave it (a plan's: unchanged, or to be sent; a
    /// sync's: unchanged, or as its send succeeding leaves it). Its cells are moved into the
    /// report, not copied: the row keeps them no more ([`Row::take_cells`]).
    pub fn row_as(&mut self, row: &mut Row, outcome: Outcome) {
        let raw = row.take_cells();
        self.push_cells(row, raw, outcome);
        if self.batch.len() >= STREAM_BATCH {
            self.send();
        }
    }

    /// As [`Stream::row_as`], letting the row go ([`Row::forget_into_copy`]): its cells go to
    /// the writer in the row's own box.
    pub fn row_letting_go(&mut self, row: &mut Row, outcome: Outcome) {
        self.next += 1;
        self.batch.push((row.forget_into_copy(), outcome));
        if self.batch.len() >= STREAM_BATCH {
            self.send();
        }
    }

    /// Copies a row for the writer into the batch.
    fn push(&mut self, row: &Row, outcome: Outcome) {
        self.push_cells(row, row.raw().clone(), outcome);
    }

    /// A row for the writer into the batch, with its cells `raw`.
    fn push_cells(&mut self, row: &Row, raw: RawCells, outcome: Outcome) {
        self.next += 1;
        let copy = Row::new(row.source_row, raw, StaffRecord::new(), row.issues.clone());
        self.batch.push((copy, outcome));
    }

    /// Streams the rows from the next on, as far as each has its outcome: the table's rows
    /// and outcomes while the sends settle them ([`Outcome::Valid`]: still to send). Never
    /// waits for the writer (it is called between the sends' answers, which must not wait
    /// on it): with the writer behind, the rest goes at the next call, or at the end.
    pub fn settle(&mut self, rows: &[Row], outcomes: &[Outcome]) {
        loop {
            if self.batch.len() >= STREAM_BATCH && !self.try_send() {
                return;
            }
            match (rows.get(self.next), outcomes.get(self.next)) {
                (Some(row), Some(outcome)) if *outcome != Outcome::Valid => {
                    self.push(row, outcome.clone());
                }
                _ => return,
            }
        }
    }

    /// Hands the batch to the writer if it has room: `false` when it has not.
    fn try_send(&mut self) -> bool {
        let Some(tx) = &self.tx else {
            return true;
        };
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(STREAM_BATCH));
        match tx.try_send(batch) {
            Err(std::sync::mpsc::TrySendError::Full(batch)) => {
                self.batch = batch;
                false
            }
            // Sent, or the writer failed and has gone: the report is then written whole.
            _ => true,
        }
    }

    fn send(&mut self) {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(STREAM_BATCH));
        if let Some(tx) = &self.tx {
            // A writer that failed has gone; the report is then written whole at the end.
            let _ = tx.send(batch);
        }
    }

    /// Ends the stream and writes `report` from it when every row and outcome streamed is
    /// the report's (the rows not streamed yet written now): `Ok(false)` (nothing written)
    /// when one is not, or the writer failed.
    pub fn finish(mut self, report: &Report, path: &Path) -> Result<bool, XlsxError> {
        self.send();
        self.tx = None;
        let Some(Ok(Ok(streamed))) = self.writer.take().map(JoinHandle::join) else {
            return Ok(false);
        };
        let Streamed {
            mut sheets,
            digests,
        } = streamed;
        let rows = report.table.rows.iter().zip(report.outcomes);
        let same = digests.len() <= report.table.rows.len()
            && rows
                .clone()
                .zip(&digests)
                .all(|((row, outcome), d)| digest(&self.hasher, row, outcome) == *d);
        if !same {
            return Ok(false);
        }
        for (row, outcome) in rows.skip(digests.len()) {
            sheets.row(row, outcome)?;
        }
        sheets.finish(report, path)?;
        Ok(true)
    }
}

/// What the report shows of a row that a later stage can change: its outcome and its issues
/// (its cells are the input's, never changed once read, and may be let go once written:
/// [`Row::take_cells`]). A text of the program's own is hashed by where it is, not by what it
/// says: the same warning on each of an export's 100,000 rows, checked online, was hashed
/// whole twice a row. Two copies of one text in two places only read as a change, and the
/// report is then written whole.
fn digest(hasher: &foldhash::fast::RandomState, row: &Row, outcome: &Outcome) -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    fn text(t: &crate::validate::fields::Text, h: &mut impl Hasher) {
        match t {
            std::borrow::Cow::Borrowed(s) => (0u8, s.as_ptr() as usize, s.len()).hash(h),
            std::borrow::Cow::Owned(s) => (1u8, s).hash(h),
        }
    }
    let mut h = hasher.build_hasher();
    (row.source_row, outcome, row.issues.len()).hash(&mut h);
    for issue in &row.issues {
        // Named one by one, so that a field added to an issue is not left out.
        let Issue {
            field,
            severity,
            reason,
            zh,
            en,
            remedy,
        } = issue;
        (
            field,
            severity,
            reason.en.as_ptr() as usize,
            reason.en.len(),
            remedy,
        )
            .hash(&mut h);
        text(zh, &mut h);
        text(en, &mut h);
    }
    h.finish()
}

/// How many rows the column widths are worked out from.
const WIDTH_SAMPLE: usize = 1000;

/// A line of the Summary sheet: text, or a count written as a number.
enum Line {
    Text(String),
    Count(usize),
}

/// The columns a text takes on screen (a Chinese character two).
fn width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// Landscape, one page wide, the header row on every page.
fn print_setup(ws: &mut Worksheet) -> Result<(), XlsxError> {
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    if ws.name() != REPORT_SUMMARY_SHEET {
        ws.set_repeat_rows(0, 0)?;
    }
    Ok(())
}

/// A text cut to what one cell holds (a server's message can be longer).
fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    crate::text::cut_chars(text, crate::text::CELL_CHARS)
}

/// What the report's 错误 column says for a row: the API's answer, or every issue.
pub fn error_text(row: &crate::validate::Row, outcome: &Outcome) -> String {
    error_parts(row, outcome).join("; ")
}

/// The sentences of a row's 错误 cell: the API's answer, then its issues, errors first.
pub fn error_parts(row: &crate::validate::Row, outcome: &Outcome) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    if let Some(e) = crate::outcome::why(outcome) {
        parts.push(e);
    }
    let mut issues: Vec<_> = row.issues.iter().collect();
    issues.sort_by_key(|i| i.severity);
    for i in issues {
        let prefix = if i.severity == Severity::Warning {
            "警告 warning: "
        } else {
            ""
        };
        parts.push(format!("{prefix}{}", i.cell_text()));
    }
    parts
}

/// The 计划 Plan sheet, `per_sheet` lines at most, and its continuations (计划 Plan 2, …) for
/// a plan longer than a sheet holds (100,000 people with 11 fields changed each).
fn write_plan(
    wb: &mut Workbook,
    f: &Formats,
    lines: impl Iterator<Item = PlanLine>,
    per_sheet: usize,
) -> Result<(), XlsxError> {
    let titles = [
        "操作 Action",
        "对象 Target",
        "字段 Field",
        "原值 Old",
        "新值 New",
    ];
    let mut lines = lines.peekable();
    for part in 1.. {
        let ws = wb.add_worksheet_with_constant_memory()?;
        match part {
            1 => ws.set_name(REPORT_PLAN_SHEET)?,
            _ => ws.set_name(format!("{REPORT_PLAN_SHEET} {part}"))?,
        };
        for (j, t) in titles.iter().enumerate() {
            ws.write_string_with_format(0, j as u16, *t, &f.header)?;
            ws.set_column_width(j as u16, if j == 1 { 28 } else { 18 })?;
        }
        for (k, line) in lines.by_ref().take(per_sheet).enumerate() {
            let r = k as u32 + 1;
            for (j, v) in [
                &line.action,
                &line.target,
                &line.field,
                &line.old,
                &line.new,
            ]
            .iter()
            .enumerate()
            {
                if !v.is_empty() {
                    ws.write_string_with_format(r, j as u16, cell(v), &f.text)?;
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
        if lines.peek().is_none() {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[&[&str]]) -> Table {
        let rows = rows
            .iter()
            .enumerate()
            .map(|(i, cells)| crate::read::RawRow {
                source_row: i as u32 + 1,
                hidden: false,
                cells: cells
                    .iter()
                    .map(|c| crate::read::Cell::Text(c.to_string()))
                    .collect(),
            })
            .collect();
        let sheet = crate::read::Sheet {
            name: "S".into(),
            format: crate::read::Format::Csv,
            rows,
            is_report: false,
            warnings: vec![],
            merged: Vec::new(),
        };
        crate::validate::from_sheet(Path::new("s.csv"), sheet, crate::model::Layout::Staff).unwrap()
    }

    fn report<'a>(
        table: &'a Table,
        outcomes: &'a [Outcome],
        counts: &'a Counts,
        reasons: &'a [Reason],
    ) -> Report<'a> {
        let at = chrono::TimeZone::with_ymd_and_hms(&chrono::Local, 2026, 11, 26, 9, 0, 0)
            .unwrap()
            .fixed_offset();
        Report {
            command: Command::Check,
            input: table.path.display().to_string(),
            server: "offline",
            table,
            outcomes,
            counts,
            started: at,
            finished: at,
            stopped: None,
            plan: None,
            reasons,
        }
    }

    #[test]
    fn a_streamed_report_is_the_report_written_whole_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let table = table(&[
            &["帐号", "姓名", "手机", "部门"],
            &["a1", "甲", "13800138000", "办公逸/研发部"],
            &["a2", "乙", "123", "办公逸/研发部"],
            &["a3", "丙", "13800138003", ""],
        ]);
        let outcomes: Vec<_> = table.initial_outcomes().collect();
        let reasons = crate::outcome::reasons(&table, &outcomes);
        let counts = Counts::of(&outcomes);
        let whole_report = report(&table, &outcomes, &counts, &reasons);
        let stream = |outcomes: &[Outcome], name: &str| {
            let mut stream = Stream::start(&table.header);
            // The rows' cells are moved into the report: the table's own are kept here for
            // the report written whole.
            let mut rows = table.rows.clone();
            for row in &mut rows {
                stream.row(row);
            }
            assert!(rows
                .iter()
                .all(|r| r.cells_gone && r.raw().get(0).is_empty()));
            let reasons = crate::outcome::reasons(&table, outcomes);
            let counts = Counts::of(outcomes);
            let path = dir.path().join(name);
            let written = stream
                .finish(&report(&table, outcomes, &counts, &reasons), &path)
                .unwrap();
            (written, path)
        };
        let whole = dir.path().join("whole.xlsx");
        whole_report.write(&whole).unwrap();
        let (written, streamed) = stream(&outcomes, "streamed.xlsx");
        assert!(written);
        assert_eq!(
            std::fs::read(&whole).unwrap(),
            std::fs::read(&streamed).unwrap(),
            "the same workbook, byte for byte"
        );
        // A row whose outcome changed after it was streamed (a send, a check across rows):
        // nothing is written from the stream, the caller writes the report whole.
        let mut changed = outcomes.clone();
        changed[0] = Outcome::Created;
        let (written, path) = stream(&changed, "changed.xlsx");
        assert!(!written);
        assert!(!path.exists());

        // A row that gained an issue after it was streamed (an online warning), its outcome
        // still the same: written whole too.
        let mut warned = self::table(&[
            &["帐号", "姓名", "手机", "部门"],
            &["a1", "甲", "13800138000", "办公逸/研发部"],
            &["a2", "乙", "123", "办公逸/研发部"],
            &["a3", "丙", "13800138003", ""],
        ]);
        warned.rows[0].issues.push(crate::validate::Issue::warning(
            None,
            crate::validate::problem(
                crate::validate::rule::ACCOUNT_EXISTS,
                "帐号已存在",
                "the account exists",
            ),
        ));
        assert_eq!(warned.initial_outcomes().collect::<Vec<_>>(), outcomes);
        let mut stream = Stream::start(&table.header);
        for row in &table.rows {
            stream.row(&mut row.clone());
        }
        let reasons = crate::outcome::reasons(&warned, &outcomes);
        let path = dir.path().join("warned.xlsx");
        assert!(!stream
            .finish(&report(&warned, &outcomes, &counts, &reasons), &path)
            .unwrap());
        assert!(!path.exists());

        // The same rule saying something else of a row, in a text made for it: written
        // whole too (a text is compared by what it says unless it is the program's own).
        let mut reworded = self::table(&[
            &["帐号", "姓名", "手机", "部门"],
            &["a1", "甲", "13800138000", "办公逸/研发部"],
            &["a2", "乙", "123", "办公逸/研发部"],
            &["a3", "丙", "13800138003", ""],
        ]);
        let issue = &mut reworded.rows[1].issues[0];
        assert!(matches!(issue.en, std::borrow::Cow::Owned(_)));
        issue.en = format!("{} (again)", issue.en).into();
        let mut stream = Stream::start(&table.header);
        for row in &table.rows {
            stream.row(&mut row.clone());
        }
        let reasons = crate::outcome::reasons(&reworded, &outcomes);
        let path = dir.path().join("reworded.xlsx");
        assert!(!stream
            .finish(&report(&reworded, &outcomes, &counts, &reasons), &path)
            .unwrap());
        assert!(!path.exists());
    }

    /// The `<col>` widths of the sheet `n` (1-based, as the package names it), one a column
    /// (an element may span columns of one width).
    fn col_widths(path: &Path, n: usize) -> Vec<f64> {
        use crate::read::marks::{attr, each_start};
        let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
        let sheet = zip.by_name(&format!("xl/worksheets/sheet{n}.xml")).unwrap();
        let mut widths = Vec::new();
        each_start(std::io::BufReader::new(sheet), |e| {
            if e.local_name().as_ref() == "col" {
                let number = |name: &str| attr(e, name).unwrap().parse::<f64>().unwrap();
                let span = number("max") - number("min") + 1.0;
                widths.extend(std::iter::repeat_n(number("width"), span as usize));
            }
            true
        })
        .unwrap();
        widths
    }

    /// The Summary says how long the run took and each reason's rows; the sheets' columns are
    /// as wide as their titles and the first rows' cells need, not as a later row's.
    #[test]
    fn the_summary_and_the_columns_as_hr_reads_them() {
        use calamine::Reader;
        let dir = tempfile::tempdir().unwrap();
        let long = "长".repeat(15);
        let mut rows: Vec<Vec<String>> = vec![
            ["帐号", "姓名", "手机", "部门"].map(String::from).to_vec(),
            ["a1", long.as_str(), "123", "办公逸/研发部"]
                .map(String::from)
                .to_vec(),
        ];
        for k in 2..=WIDTH_SAMPLE {
            rows.push(vec![
                format!("a{k}"),
                "甲".into(),
                "1234".into(),
                "研发部".into(),
            ]);
        }
        rows.push(vec![
            "a0".into(),
            "乙".into(),
            "5".repeat(40),
            "研发部".into(),
        ]);
        let rows: Vec<Vec<&str>> = rows
            .iter()
            .map(|r| r.iter().map(String::as_str).collect())
            .collect();
        let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
        let table = table(&rows);
        let outcomes: Vec<_> = table.initial_outcomes().collect();
        let reasons = crate::outcome::reasons(&table, &outcomes);
        let counts = Counts::of(&outcomes);
        let mut report = report(&table, &outcomes, &counts, &reasons);
        report.finished = report.started + chrono::TimeDelta::milliseconds(2_500);
        let path = dir.path().join("r.xlsx");
        report.write(&path).unwrap();

        let mut read = calamine::open_workbook_auto(&path).unwrap();
        let summary = read.worksheet_range(REPORT_SUMMARY_SHEET).unwrap();
        let line = |key: &str| {
            let row = summary.rows().find(|r| r[0] == key).unwrap();
            row[1].to_string()
        };
        assert_eq!(line("用时 Elapsed"), "2.5 s");
        assert_eq!(line("总行数 Rows"), (WIDTH_SAMPLE + 1).to_string());
        // Every red cell has its note: no line that says some have none.
        assert!(!summary.rows().any(|r| r[0] == "批注 Notes"));
        // The reasons' table comes after the last line, an empty row between.
        let at = |key: &str| summary.rows().position(|r| r[0] == key).unwrap();
        assert!(line("重新运行 Rerun").contains("only those rows are sent"));
        assert_eq!(at("原因 Reason"), at("重新运行 Rerun") + 2);
        // Every row's phone is wrong: one reason, of every row, first at row 2.
        let reason = summary
            .rows()
            .skip_while(|r| r[0] != "原因 Reason")
            .nth(1)
            .unwrap();
        assert_eq!(
            reason[1..3]
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>(),
            [(WIDTH_SAMPLE + 1).to_string(), "2".into()]
        );
        // 帐号 8 (its floor), 姓名 as the first row's 30 columns, 手机 as its title, not the
        // 40 digits of a row past the first 1,000; 部门 as 办公逸/研发部; the row's number as
        // its title, the reason 60.
        // (The file's widths hold Excel's padding of some 0.71 besides.)
        let failed: Vec<f64> = col_widths(&path, 2).iter().map(|w| w.floor()).collect();
        let source = width(SOURCE_ROW_TITLE) as f64 + 2.0;
        assert_eq!(failed, [8.0, 32.0, 8.0, 15.0, source, 60.0]);
        // Printed, the sheets of rows repeat their titles on every page; the Summary, one page
        // of its own, does not.
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
        let mut book = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("xl/workbook.xml").unwrap(), &mut book)
            .unwrap();
        let mut repeated: Vec<&str> = book
            .split("<definedName name=\"_xlnm.Print_Titles\"")
            .skip(1)
            .filter_map(|d| d.split_once('>')?.1.split_once("</definedName>"))
            .map(|(titles, _)| titles)
            .collect();
        repeated.sort_unstable();
        assert_eq!(
            repeated,
            [
                format!("'{REPORT_ALL_SHEET}'!$1:$1"),
                format!("'{REPORT_FAILED_SHEET}'!$1:$1")
            ]
        );
    }

    /// Three valid rows, a1 to a3.
    fn three_valid() -> Table {
        table(&[
            &["帐号", "姓名", "手机", "部门"],
            &["a1", "甲", "13800138001", "办公逸/研发部"],
            &["a2", "乙", "13800138002", "办公逸/研发部"],
            &["a3", "丙", "13800138003", "办公逸/研发部"],
        ])
    }

    /// The writer is handed rows a batch at a time, not one by one.
    #[test]
    fn a_stream_hands_its_rows_over_a_batch_at_a_time() {
        let table = three_valid();
        // Rows kept, and rows let go as they are streamed.
        let ways: [fn(&mut Stream, &mut Row, Outcome); 2] =
            [Stream::row_as, Stream::row_letting_go];
        for push in ways {
            let mut stream = Stream::start(&table.header);
            for k in 1..STREAM_BATCH {
                push(
                    &mut stream,
                    &mut table.rows[k % 3].clone(),
                    Outcome::Unchanged,
                );
                assert_eq!(stream.batch.len(), k);
            }
            push(&mut stream, &mut table.rows[0].clone(), Outcome::Unchanged);
            assert!(stream.batch.is_empty(), "a full batch goes to the writer");
            assert_eq!(stream.next, STREAM_BATCH);
        }
    }

    #[test]
    fn a_stream_goes_on_as_the_sends_settle_its_rows() {
        let table = three_valid();
        // As an import sends: a1 and a3 settled first, a2 still out.
        let mut outcomes = vec![Outcome::Created, Outcome::Valid, Outcome::Created];
        let mut stream = Stream::start(&table.header);
        stream.settle(&table.rows, &outcomes);
        assert_eq!(stream.next, 1, "a2 not sent yet: a3 waits for it");
        outcomes[1] = Outcome::Updated;
        stream.settle(&table.rows, &outcomes);
        assert_eq!(stream.next, 3, "a2 settled: a2 and a3 streamed");

        assert_streamed_is_whole(stream, &table, &outcomes);
    }

    #[test]
    fn a_sync_streams_its_sends_as_succeeding_and_is_written_whole_when_one_did_not() {
        let dir = tempfile::tempdir().unwrap();
        let table = three_valid();
        // As a sync plans: a1 unchanged, a2 to update (streamed as updated), a3 unchanged.
        let planned = [Outcome::Unchanged, Outcome::Updated, Outcome::Unchanged];
        let run = |sent: Outcome, name: &str| {
            let mut stream = Stream::start(&table.header);
            for (row, outcome) in table.rows.iter().zip(&planned) {
                stream.row_as(&mut row.clone(), outcome.clone());
            }
            let mut outcomes = planned.to_vec();
            outcomes[1] = sent;
            // The sends settle nothing more: every row is streamed.
            stream.settle(&table.rows, &outcomes);
            assert_eq!(stream.next, 3);
            let reasons = crate::outcome::reasons(&table, &outcomes);
            let counts = Counts::of(&outcomes);
            let path = dir.path().join(name);
            let report = report(&table, &outcomes, &counts, &reasons);
            (stream.finish(&report, &path).unwrap(), path)
        };
        let (written, path) = run(Outcome::Updated, "sent.xlsx");
        assert!(
            written,
            "the send succeeded: the streamed report is the report"
        );
        assert!(path.exists());
        let failed = Outcome::Failed {
            errno: Some(60104),
            message: "手机号码已存在".into(),
        };
        let (written, path) = run(failed, "failed.xlsx");
        assert!(
            !written,
            "the send failed: the caller writes the report whole"
        );
        assert!(!path.exists());
    }

    /// `stream` finished is written, and is the report of `table` and `outcomes` written
    /// whole, byte for byte.
    fn assert_streamed_is_whole(stream: Stream, table: &Table, outcomes: &[Outcome]) {
        let dir = tempfile::tempdir().unwrap();
        let reasons = crate::outcome::reasons(table, outcomes);
        let counts = Counts::of(outcomes);
        let report = report(table, outcomes, &counts, &reasons);
        let streamed = dir.path().join("streamed.xlsx");
        assert!(stream.finish(&report, &streamed).unwrap());
        let whole = dir.path().join("whole.xlsx");
        report.write(&whole).unwrap();
        assert_eq!(
            std::fs::read(&whole).unwrap(),
            std::fs::read(&streamed).unwrap()
        );
    }

    /// Rows let go as they are streamed (a sync's unchanged rows) are kept no more, and the
    /// report written from the stream is the report.
    #[test]
    fn rows_let_go_as_they_stream_are_in_the_report_and_kept_no_more() {
        let table = three_valid();
        let outcomes = [Outcome::Unchanged, Outcome::Unchanged, Outcome::Unchanged];
        let mut stream = Stream::start(&table.header);
        let mut rows = table.rows.clone();
        for row in &mut rows {
            stream.row_letting_go(row, Outcome::Unchanged);
        }
        assert_eq!(stream.next, 3);
        assert!(rows
            .iter()
            .all(|r| r.values_gone && r.raw().get(0).is_empty()));
        assert_streamed_is_whole(stream, &table, &outcomes);
    }

    #[test]
    fn settling_never_waits_for_a_writer_that_is_behind() {
        // A writer that takes nothing: the channel holds one batch. `settle` (called between
        // the sends' answers, which must not wait) hands over what fits, keeps the next batch,
        // and stops; once the writer takes one, it goes on from there.
        let cells: Vec<[String; 3]> = (0..STREAM_BATCH * 3)
            .map(|i| [format!("a{i}"), "甲".into(), format!("138{i:08}")])
            .collect();
        let refs: Vec<[&str; 3]> = cells
            .iter()
            .map(|[a, b, c]| [a.as_str(), b.as_str(), c.as_str()])
            .collect();
        let mut rows: Vec<&[&str]> = vec![&["帐号", "姓名", "手机"]];
        rows.extend(refs.iter().map(|r| &r[..]));
        let table = table(&rows);
        let outcomes = vec![Outcome::Unchanged; table.rows.len()];
        let (tx, rx) = sync_channel(1);
        let mut stream = Stream {
            tx: Some(tx),
            batch: Vec::new(),
            writer: None,
            hasher: foldhash::fast::RandomState::default(),
            next: 0,
        };
        stream.settle(&table.rows, &outcomes);
        assert_eq!(stream.next, STREAM_BATCH * 2, "one batch sent, one kept");
        assert_eq!(stream.batch.len(), STREAM_BATCH);
        let first = rx.try_recv().unwrap();
        assert_eq!(first[0].0.raw().get(0), "a0");
        stream.settle(&table.rows, &outcomes);
        assert_eq!(
            stream.next,
            STREAM_BATCH * 3,
            "the kept batch sent, the last one kept"
        );
        let second = rx.try_recv().unwrap();
        assert_eq!(second[0].0.raw().get(0), format!("a{STREAM_BATCH}"));
        assert_eq!(
            stream.batch[0].0.raw().get(0),
            format!("a{}", STREAM_BATCH * 2)
        );
    }

    #[test]
    fn two_runs_in_the_same_second_get_two_reports() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("staff.xlsx");
        let at = chrono::TimeZone::with_ymd_and_hms(&chrono::Local, 2026, 11, 24, 9, 5, 7)
            .unwrap()
            .fixed_offset();
        let a = reserve_path(&input, None, at).unwrap();
        let b = reserve_path(&input, None, at).unwrap();
        assert_eq!(a, dir.path().join("staff.report-20261124-090507.xlsx"));
        assert_eq!(b, dir.path().join("staff.report-20261124-090507-2.xlsx"));
        assert!(a.exists() && b.exists(), "both names are taken at once");
        // A journal left without its report still holds its name.
        std::fs::write(
            journal_path(&dir.path().join("staff.report-20261124-090507-3.xlsx")),
            "",
        )
        .unwrap();
        let c = reserve_path(&input, None, at).unwrap();
        assert_eq!(c, dir.path().join("staff.report-20261124-090507-4.xlsx"));
        assert_eq!(report_stem(&c), "staff");
        // A folder that is not there is said as such, not as a thousand names taken.
        let missing = reserve(&dir.path().join("gone").join("x.xlsx"), |_| false).unwrap_err();
        assert_eq!(missing.kind(), std::io::ErrorKind::NotFound, "{missing}");
    }

    #[test]
    fn a_plan_longer_than_a_sheet_goes_on_in_the_next() {
        use calamine::Reader;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.xlsx");
        let line = |k: usize| PlanLine {
            action: "更新 (update)".into(),
            target: format!("a{k} (甲)"),
            field: "职位 we_position".into(),
            old: String::new(),
            new: format!("岗{k}"),
        };
        let mut wb = Workbook::new();
        write_plan(&mut wb, &Formats::new(), (1..=5).map(line), 2).unwrap();
        wb.save(&path).unwrap();
        let mut read = calamine::open_workbook_auto(&path).unwrap();
        let names = read.sheet_names();
        assert_eq!(names, ["计划 Plan", "计划 Plan 2", "计划 Plan 3"]);
        let mut targets = Vec::new();
        for name in names {
            let range = read.worksheet_range(&name).unwrap();
            let mut rows = range.rows();
            assert_eq!(rows.next().unwrap()[0].to_string(), "操作 Action");
            targets.extend(rows.map(|r| r[1].to_string()));
        }
        assert_eq!(
            targets,
            ["a1 (甲)", "a2 (甲)", "a3 (甲)", "a4 (甲)", "a5 (甲)"]
        );

        // A plan that fills its sheet exactly has no empty sheet after it.
        let mut wb = Workbook::new();
        write_plan(&mut wb, &Formats::new(), (1..=4).map(line), 2).unwrap();
        wb.save(&path).unwrap();
        let read = calamine::open_workbook_auto(&path).unwrap();
        assert_eq!(read.sheet_names(), ["计划 Plan", "计划 Plan 2"]);
        // The 对象 Target column, an account and a name, is the wide one.
        let widths: Vec<f64> = col_widths(&path, 1).iter().map(|w| w.floor()).collect();
        assert_eq!(widths, [18.0, 28.0, 18.0, 18.0, 18.0]);
    }

    #[test]
    fn report_paths() {
        let at = chrono::TimeZone::with_ymd_and_hms(&chrono::Local, 2026, 11, 24, 9, 5, 7)
            .unwrap()
            .fixed_offset();
        assert_eq!(
            default_path(Path::new("/x/staff.xlsx"), at),
            Path::new("/x/staff.report-20261124-090507.xlsx")
        );
        assert_eq!(
            default_path(Path::new("/x/staff.report-20261101-000000.xlsx"), at),
            Path::new("/x/staff.report-20261124-090507.xlsx")
        );
        assert_eq!(
            journal_path(Path::new("/x/staff.report-20261124-090507.xlsx")),
            Path::new("/x/staff.report-20261124-090507.journal.jsonl")
        );
    }
}
