//! Reading sheets: every format yields the same [`RawRow`]s with their sheet row numbers.
//!
//! In: a file path (format sniffed from the content, not only the name) and an optional sheet
//! name. Out: the rows of one sheet, cells as the person sees them. Never: validation, or a
//! panic on a malformed file (it is a [`ReadError`]).

pub mod csv;
pub mod header;
pub mod limits;
pub mod marks;
pub mod merged;
pub mod xlsx;

pub use limits::{Budget, MAX_COLUMNS, MAX_ROWS};

use std::io::Read as _;
use std::path::Path;

use chrono::NaiveDateTime;

/// Excel's own limit on the characters in one cell.
pub const MAX_CELL_CHARS: usize = crate::text::CELL_CHARS;

/// One cell as read, before any column rule applies.
///
/// Tagged by a whole word: with a one-byte tag, a cell moved from where it was made copies the
/// seven bytes after the tag in loads that straddle the stores that wrote it, and the CPU
/// waits for each (a tenth of the reader's own time on a 100,000-row sheet).
#[derive(Debug, Clone, PartialEq)]
#[repr(u64)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDateTime),
    Bool(bool),
    /// An Excel error value such as `#N/A`.
    Error(String),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => crate::text::trim(s).is_empty(),
            _ => false,
        }
    }

    /// About how many bytes the cell's text takes (a date or a number: its usual length).
    pub fn len_hint(&self) -> usize {
        match self {
            Cell::Empty => 0,
            Cell::Text(s) | Cell::Error(s) => s.len(),
            Cell::Number(_) | Cell::Date(_) => 12,
            Cell::Bool(_) => 5,
        }
    }

    /// As [`Cell::display`], borrowing text cells.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Cell::Text(s) => std::borrow::Cow::Borrowed(s),
            other => std::borrow::Cow::Owned(other.display()),
        }
    }

    /// The text a person sees in the cell, with numbers as they would type them.
    pub fn display(&self) -> String {
        match self {
            Cell::Text(s) | Cell::Error(s) => s.clone(),
            other => {
                let mut text = String::with_capacity(other.len_hint());
                other.write_to(&mut text);
                text
            }
        }
    }

    /// As [`Cell::display`], onto the end of `out` (no string of its own: a 100,000-row sheet
    /// has over a million cells).
    pub fn write_to(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            Cell::Empty => {}
            Cell::Text(s) | Cell::Error(s) => out.push_str(s),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e17 => {
                let _ = write!(out, "{}", *n as i64);
            }
            Cell::Number(n) => {
                let _ = write!(out, "{n}");
            }
            Cell::Date(d) => {
                use chrono::Timelike;
                push_iso_date(out, d.date());
                if d.time() != chrono::NaiveTime::MIN {
                    out.push(' ');
                    for (i, part) in [d.hour(), d.minute(), d.second()].into_iter().enumerate() {
                        if i > 0 {
                            out.push(':');
                        }
                        push_two(out, part);
                    }
                }
            }
            Cell::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        }
    }
}

/// `YYYY-MM-DD`, written out digit by digit: chrono's `format` parses its pattern on every
/// call, and even `format!` costs more than the rest of a date's checks.
pub fn push_iso_date(out: &mut String, d: chrono::NaiveDate) {
    use chrono::Datelike;
    match u32::try_from(d.year()) {
        Ok(y @ 0..=9999) => {
            push_two(out, y / 100);
            push_two(out, y % 100);
        }
        _ => {
            use std::fmt::Write;
            let _ = write!(out, "{:04}", d.year());
        }
    }
    out.push('-');
    push_two(out, d.month());
    out.push('-');
    push_two(out, d.day());
}

/// `n` (below 100) as two digits.
fn push_two(out: &mut String, n: u32) {
    out.push(char::from(b'0' + (n / 10 % 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// `13800138000.0` → `13800138000`; `3.5` stays.
pub fn number_text(n: f64) -> String {
    Cell::Number(n).display()
}

/// One sheet row: its 1-based row number in the sheet and its cells from column A.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    pub source_row: u32,
    /// Hidden in the sheet (a filter, 筛选, or by hand): not a row the person sees.
    pub hidden: bool,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    /// Excel's binary workbook (a zip of `.bin` parts).
    Xlsb,
    Xls,
    Ods,
    Csv,
}

/// Which sheet was read.
#[derive(Debug, Clone)]
pub struct SheetInfo {
    pub name: String,
    pub format: Format,
    /// The workbook is a bgy report and this is its Failed sheet.
    pub is_report: bool,
    /// What a person should know about how the sheet was chosen (hidden sheets skipped).
    pub warnings: Vec<crate::remedy::Advice>,
    /// The merged ranges that gave their value to cells under their first (xlsx): warned about
    /// once the header is known ([`merged::said`]).
    pub merged: Vec<merged::Used>,
    /// When no sheet was asked for, the workbook's other visible sheets by name, each with its
    /// first rows (up to [`header::HEADER_SEARCH_ROWS`]): whether one has a header row too (a
    /// workbook of a sheet a department, of which one is read).
    pub others: Vec<(String, Vec<RawRow>)>,
}

/// The rows of the sheet that was read.
#[derive(Debug)]
pub struct Sheet {
    pub name: String,
    pub format: Format,
    pub rows: Vec<RawRow>,
    /// The workbook is a bgy report and this is its Failed sheet.
    pub is_report: bool,
    pub warnings: Vec<crate::remedy::Advice>,
    pub merged: Vec<merged::Used>,
}

/// Receives rows as they are read; returning `false` stops the reading.
pub type Emit<'a> = &'a mut dyn FnMut(RawRow) -> bool;

/// Why a file could not be read: each is one clear sentence, `中文 (English)`, and exit 2.
/// The console shows the half in its language ([`crate::text::bilingual`]).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(
        "无法读取 {path}:{} (cannot read {path}: {error})",
        crate::text::io_reason(error, crate::text::Access::ReadFile)
    )]
    Io {
        path: String,
        // Not a `source`: the message already says it, and anyhow's `{:#}` would say it twice.
        error: std::io::Error,
    },
    #[error("{path} 是空文件 ({path} is empty)")]
    Empty { path: String },
    #[error("{path} 不是工作簿,也不是 CSV 文件:其内容既不是 zip (xlsx/ods)、OLE 文件 (xls),也不是文本 ({path} is not a workbook or a CSV file: its content is neither a zip (xlsx/ods), an OLE file (xls) nor text)")]
    NotASheet { path: String },
    #[error("{path} 的文件名是工作簿,内容却不是:既不是 zip,也不是 OLE 文件 ({path} is named like a workbook but its content is not one (it is neither a zip nor an OLE file))")]
    NotAWorkbook { path: String },
    #[error("{path} 是网页 (HTML) 格式的表格,不是真正的 Excel 文件 (一些人事系统这样导出 .xls):请用 Excel 或 WPS 打开它,另存为 Excel 工作簿 (*.xlsx) 后再试 ({path} is a web page (HTML) table, not a real Excel file (some HR systems export .xls this way): open it in Excel or WPS, save it as an Excel workbook (.xlsx), and try again)")]
    WebPage { path: String },
    #[error("{path} 是“XML 电子表格 2003”格式,bgy 不读取这种格式:请用 Excel 或 WPS 打开它,另存为 Excel 工作簿 (*.xlsx) 后再试 ({path} is an XML Spreadsheet 2003 file, which bgy does not read: open it in Excel or WPS, save it as an Excel workbook (.xlsx), and try again)")]
    XmlSpreadsheet { path: String },
    #[error("{path} 设了密码:请用 Excel 或 WPS 打开它,取消密码 (文件 → 信息 → 保护工作簿),保存后再试 ({path} is password-protected: open it in Excel or WPS, remove the password (File → Info → Protect Workbook), save, and try again)")]
    Encrypted { path: String },
    #[error("{path} 已损坏,或不是 Excel 能打开的表格 ({path} is damaged or not a spreadsheet Excel can open: {detail})")]
    Damaged { path: String, detail: String },
    #[error("{path} 是 {},不是 bgy 能读取的表格:{} ({path} is {}, not a spreadsheet bgy can read: {})", what.zh, what.todo_zh, what.en, what.todo_en)]
    OtherDocument { path: String, what: Other },
    #[error("{path} 没有名为 {sheet:?} 的工作表,它有:{available} ({path} has no sheet named {sheet:?} (it has: {available}))")]
    NoSuchSheet {
        path: String,
        sheet: String,
        available: String,
    },
    #[error("{path} 没有工作表 ({path} has no sheets)")]
    NoSheets { path: String },
    #[error("{path} 既不是 UTF-8 也不是 GBK/GB18030 编码的文本 (第一个无法识别的字节在 {offset} 处);请在 Excel 中另存为“CSV UTF-8”后再试 ({path} is neither UTF-8 nor GBK/GB18030 text (first bad byte at offset {offset}); save it from Excel as \"CSV UTF-8\" and try again)")]
    Encoding { path: String, offset: usize },
    #[error("{path} 是 UTF-16 文本 (Excel 的“Unicode 文本”),但第 {offset} 字节处不是有效的 UTF-16;请在 Excel 中另存为“CSV UTF-8”后再试 ({path} is UTF-16 text (Excel's \"Unicode Text\") but not valid UTF-16 at offset {offset}; save it from Excel as \"CSV UTF-8\" and try again)")]
    Utf16 { path: String, offset: usize },
    #[error("{path},工作表 {sheet:?},单元格 {cell}:{chars} 个字符,超过一个单元格最多能放的 {MAX_CELL_CHARS} 个 ({path}, sheet {sheet:?}, cell {cell}: {chars} characters, more than the {MAX_CELL_CHARS} a spreadsheet cell can hold)")]
    CellTooLong {
        path: String,
        sheet: String,
        cell: String,
        chars: usize,
    },
    #[error("{path}:CSV 格式有误 ({path}: CSV error: {detail})")]
    Csv { path: String, detail: String },
    #[error("{path}: 第 {line} 行的引号一直没有闭合,吞掉了后面的行;请检查该行的 \" (line {line}: a quote opens a field that {how}; check the \" on that line, or save the file from Excel again)")]
    CsvQuote {
        path: String,
        line: u32,
        /// "swallows the next N lines" or "is never closed".
        how: String,
    },
    /// Past one of the bounds in [`limits`]: reading on could exhaust memory or time. `what`
    /// is `中文 (English)`; each half is said in its own language.
    #[error("{}", too_large(path, what))]
    TooLarge { path: String, what: String },
}

/// A [`ReadError::TooLarge`]: the bound passed, and that bgy refuses such files, in each
/// language.
fn too_large(path: &str, what: &str) -> String {
    let refuses = "bgy refuses such files: see \"What bgy refuses\" in its README";
    match crate::text::bilingual(what) {
        Some((zh, en)) => format!("{path}: {zh};bgy 不读取这样的文件 ({en}; {refuses})"),
        None => format!("{path}: {what} ({refuses})"),
    }
}

/// The name of a report workbook's failed-rows sheet; a workbook with it is read as a rerun.
pub const REPORT_FAILED_SHEET: &str = "失败 Failed";
/// The report's summary sheet, which marks a workbook as a bgy report.
pub const REPORT_SUMMARY_SHEET: &str = "汇总 Summary";
/// The summary's line that says the command, as typed: `bgy times`, `bgy check --kind delete`.
pub const REPORT_COMMAND: &str = "命令 Command";

/// The kind of sheet the run that wrote a bgy report read, by its summary's command: a report
/// of `bgy times` (or of `bgy check --kind times`) holds rows of dates, and is read as such
/// again. `None` for anything else: not an xlsx, not a report, a report that does not say.
/// Only the workbook's list of sheets is read before the file is known to be a report.
pub fn report_layout(path: &Path) -> Option<crate::model::Layout> {
    use crate::model::Layout;
    let file = std::fs::File::open(path).ok()?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).ok()?;
    let mut listed = String::new();
    zip.by_name("xl/workbook.xml")
        .ok()?
        .take(1 << 20)
        .read_to_string(&mut listed)
        .ok()?;
    if !(listed.contains(REPORT_FAILED_SHEET) && listed.contains(REPORT_SUMMARY_SHEET)) {
        return None;
    }
    let summary = read_sheet(path, Some(REPORT_SUMMARY_SHEET)).ok()?;
    let line = summary.rows.iter().find_map(|r| match r.cells.as_slice() {
        [Cell::Text(k), Cell::Text(v), ..] if k == REPORT_COMMAND => Some(v.as_str()),
        _ => None,
    })?;
    let mut words = line.split_whitespace().skip(1);
    let kind = match words.next()? {
        "check" => match (words.next(), words.next()) {
            (Some("--kind"), Some(kind)) => kind,
            _ => "staff",
        },
        command => command,
    };
    Some(Layout::of_kind(kind).unwrap_or(Layout::Staff))
}

/// Reads one sheet of `path`: `sheet` by name, or the report's Failed sheet, or the first.
pub fn read_sheet(path: &Path, sheet: Option<&str>) -> Result<Sheet, ReadError> {
    collect(|emit| stream_file(path, sheet, emit))
}

/// As [`read_sheet`], from bytes already in memory; `name` is used in messages and to tell
/// a workbook's extension.
pub fn read_bytes(bytes: &[u8], name: &str, sheet: Option<&str>) -> Result<Sheet, ReadError> {
    collect(|emit| stream_bytes(bytes, name, sheet, emit))
}

/// Every row a stream emits, in one [`Sheet`].
fn collect(stream: impl FnOnce(Emit) -> Result<SheetInfo, ReadError>) -> Result<Sheet, ReadError> {
    let mut rows = Vec::new();
    let info = stream(&mut |r| {
        rows.push(r);
        true
    })?;
    Ok(Sheet {
        name: info.name,
        format: info.format,
        rows,
        is_report: info.is_report,
        warnings: info.warnings,
        merged: info.merged,
    })
}

/// Reads the file, handing each row to `emit` as soon as it is read.
pub fn stream_file(path: &Path, sheet: Option<&str>, emit: Emit) -> Result<SheetInfo, ReadError> {
    let bytes = read_file(path)?;
    stream_bytes(&bytes, &path.display().to_string(), sheet, emit)
}

/// A file's bytes, when it is not past [`limits::MAX_FILE_BYTES`].
pub fn read_file(path: &Path) -> Result<Vec<u8>, ReadError> {
    let shown = path.display().to_string();
    let io = |error| ReadError::Io {
        path: shown.clone(),
        error,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    limits::check_file_size(size, &shown)?;
    std::fs::read(path).map_err(io)
}

/// A sheet piped in (`FILE` given as `-`): standard input's bytes, read to the end, when they
/// are not past [`limits::MAX_FILE_BYTES`] (named `name` in messages).
pub fn read_stdin(name: &str) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    let limit = limits::MAX_FILE_BYTES + 1;
    (std::io::stdin().lock().take(limit))
        .read_to_end(&mut bytes)
        .map_err(|error| ReadError::Io {
            path: name.into(),
            error,
        })?;
    limits::check_file_size(bytes.len() as u64, name)?;
    Ok(bytes)
}

/// Hands each row of the chosen sheet to `emit` as soon as it is read.
pub fn stream_bytes(
    bytes: &[u8],
    name: &str,
    sheet: Option<&str>,
    emit: Emit,
) -> Result<SheetInfo, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty { path: name.into() });
    }
    let format = sniff(bytes);
    let lower = name.to_lowercase();
    let named_workbook = [".xlsx", ".xlsm", ".xls", ".ods", ".xlsb"]
        .iter()
        .any(|e| lower.ends_with(e));
    match format {
        Some(Format::Csv) => match markup(bytes) {
            Some(Markup::WebPage) => Err(ReadError::WebPage { path: name.into() }),
            Some(Markup::XmlSpreadsheet) => Err(ReadError::XmlSpreadsheet { path: name.into() }),
            None if named_workbook => Err(ReadError::NotAWorkbook { path: name.into() }),
            None => csv::read(bytes, name, emit),
        },
        Some(f) => {
            let f = match f {
                Format::Xlsx if zip_holds(bytes, "xl/workbook.bin") => Format::Xlsb,
                f => f,
            };
            limits::check_file_size(bytes.len() as u64, name)?;
            if f == Format::Xls {
                limits::check_xls(bytes, name)?;
            } else {
                limits::check_zip(bytes, f, name)?;
            }
            guard(name, || xlsx::read(bytes, f, name, sheet, emit)).map_err(|e| match e {
                ReadError::Damaged { .. } => match other_document(bytes, f) {
                    Some(what) => ReadError::OtherDocument {
                        path: name.into(),
                        what,
                    },
                    None => e,
                },
                e => e,
            })
        }
        None if named_workbook => Err(ReadError::NotAWorkbook { path: name.into() }),
        None => Err(ReadError::NotASheet { path: name.into() }),
    }
}

/// A file that is no spreadsheet though it is packed as one (a zip, an OLE file): what it is,
/// and what to do, in Chinese and in English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Other {
    zh: &'static str,
    en: &'static str,
    todo_zh: &'static str,
    todo_en: &'static str,
}

const CHOOSE_THE_SHEET: (&str, &str) = (
    "请选择要导入的 Excel 表格",
    "choose the Excel sheet to import instead",
);

impl Other {
    const WORD: Other = Other::choose("Word 文档", "a Word document");
    const POWERPOINT: Other = Other::choose("PowerPoint 演示文稿", "a PowerPoint presentation");
    const NUMBERS: Other = Other {
        zh: "Apple Numbers 文件",
        en: "an Apple Numbers file",
        todo_zh: "请在 Numbers 中选择“文件 → 导出为 → Excel”,再用导出的 .xlsx",
        todo_en: "in Numbers, choose File → Export To → Excel, and use the .xlsx it writes",
    };
    const ARCHIVE: Other = Other {
        zh: "zip 压缩包",
        en: "a zip archive",
        todo_zh: "请先解压,再选择其中的表格",
        todo_en: "unzip it first, and choose the sheet in it",
    };

    const fn choose(zh: &'static str, en: &'static str) -> Other {
        Other {
            zh,
            en,
            todo_zh: CHOOSE_THE_SHEET.0,
            todo_en: CHOOSE_THE_SHEET.1,
        }
    }
}

/// What a file that could not be read as a workbook of `format` is instead, by its parts:
/// looked for only once the read failed, so a workbook costs nothing more.
fn other_document(bytes: &[u8], format: Format) -> Option<Other> {
    match format {
        Format::Xls => {
            let file = cfb::CompoundFile::open(std::io::Cursor::new(bytes)).ok()?;
            if file.is_stream("/WordDocument") {
                Some(Other::WORD)
            } else if file.is_stream("/PowerPoint Document") {
                Some(Other::POWERPOINT)
            } else {
                None
            }
        }
        Format::Xlsx => {
            let zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
            let has = |part: &str| zip.index_for_name(part).is_some();
            if has("word/document.xml") {
                Some(Other::WORD)
            } else if has("ppt/presentation.xml") {
                Some(Other::POWERPOINT)
            } else if has("Index/Document.iwa") || has("Index.zip") {
                Some(Other::NUMBERS)
            } else if !has("[Content_Types].xml") {
                Some(Other::ARCHIVE)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The zip archive has a part of that name (an xlsb's `xl/workbook.bin`).
fn zip_holds(bytes: &[u8], part: &str) -> bool {
    zip::ZipArchive::new(std::io::Cursor::new(bytes)).is_ok_and(|mut zip| zip.by_name(part).is_ok())
}

/// The format by content: zip (xlsx or ods), OLE (xls, or an encrypted xlsx), or text.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(b"PK\x03\x04") {
        // An ODF package names its mimetype first, uncompressed.
        let head = &bytes[..bytes.len().min(100)];
        if head.windows(11).any(|w| w == b"opendocumen") {
            return Some(Format::Ods);
        }
        return Some(Format::Xlsx);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Some(Format::Xls);
    }
    // Text: UTF-16 with its byte-order mark (what Excel and WPS save as "Unicode 文本", tab
    // separated), or no NUL bytes in the first 8 KiB (UTF-16 without one is not told apart).
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Some(Format::Csv);
    }
    let head = &bytes[..bytes.len().min(8192)];
    (!head.contains(&0)).then_some(Format::Csv)
}

/// A text that is a spreadsheet's markup, not rows of cells: what HR systems export as `.xls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Markup {
    /// An HTML table (Excel and WPS open it, and show it as a sheet).
    WebPage,
    /// Excel 2003's XML Spreadsheet (SpreadsheetML).
    XmlSpreadsheet,
}

/// Whether a text file is one of [`Markup`]'s, by its first 4 KiB: it opens with a tag, and
/// names the XML Spreadsheet's namespace or an HTML page or table.
fn markup(bytes: &[u8]) -> Option<Markup> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if !head.trim_ascii_start().starts_with(b"<") {
        return None;
    }
    let has = |needle: &[u8]| {
        head.windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
    };
    if has(b"urn:schemas-microsoft-com:office:spreadsheet") {
        Some(Markup::XmlSpreadsheet)
    } else if has(b"<html") || has(b"<table") || has(b"<!doctype html") {
        Some(Markup::WebPage)
    } else {
        None
    }
}

/// Runs a third-party parser so that a panic on a malformed file becomes an error.
fn guard<T>(name: &str, f: impl FnOnce() -> Result<T, ReadError>) -> Result<T, ReadError> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    result.unwrap_or_else(|_| {
        Err(ReadError::Damaged {
            path: name.into(),
            detail: "the parser could not make sense of it".into(),
        })
    })
}

/// `A1`-style reference of a 0-based column and a 1-based row.
pub fn cell_ref(col: usize, row: u32) -> String {
    format!("{}{row}", column_letters(col))
}

pub fn column_letters(mut col: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(cell_ref(701, 3), "ZZ3");
        assert_eq!(cell_ref(702, 3), "AAA3");
    }

    #[test]
    fn numbers_display_as_typed() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        assert_eq!(
            Cell::Date(day.and_hms_opt(0, 0, 0).unwrap()).display(),
            "2026-01-05"
        );
        assert_eq!(
            Cell::Date(day.and_hms_opt(9, 3, 7).unwrap()).display(),
            "2026-01-05 09:03:07"
        );
        assert_eq!(Cell::Number(13800138000.0).display(), "13800138000");
        assert_eq!(Cell::Number(3.5).display(), "3.5");
        assert_eq!(number_text(-2.0), "-2");
        let early = chrono::NaiveDate::from_ymd_opt(987, 3, 4).unwrap();
        assert_eq!(crate::validate::dates::iso(early), "0987-03-04");
        assert_eq!(Cell::Bool(true).display(), "TRUE");
    }

    #[test]
    fn sniffing_is_by_content() {
        assert_eq!(
            sniff(b"PK\x03\x04....mimetypeapplication/vnd.oasis.opendocument.spreadsheet"),
            Some(Format::Ods)
        );
        assert_eq!(sniff(b"PK\x03\x04\x14\x00"), Some(Format::Xlsx));
        assert_eq!(
            sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            Some(Format::Xls)
        );
        assert_eq!(sniff("帐号,姓名\n".as_bytes()), Some(Format::Csv));
        assert_eq!(sniff(b"\x00\x01\x02"), None);
        assert_eq!(sniff(b"\xFF\xFE\x5E\x5E"), Some(Format::Csv));
        assert_eq!(sniff(b"\xFE\xFF\x5E\x5E"), Some(Format::Csv));
    }

    /// What HR systems export as `.xls` and is not one: the error says what it is and what
    /// to do, whatever the file is called.
    #[test]
    fn a_web_page_or_an_xml_spreadsheet_is_told_for_what_it_is() {
        let page = "\u{feff}\r\n<html xmlns:x=\"urn:schemas-microsoft-com:office:excel\"><body><TABLE><tr><td>帐号</td><td>姓名</td></tr></TABLE></body></html>";
        for name in ["员工.xls", "员工.csv", "员工"] {
            let e = read_bytes(page.as_bytes(), name, None).unwrap_err();
            assert!(matches!(e, ReadError::WebPage { .. }), "{name}: {e}");
            assert!(e.to_string().contains("另存为 Excel 工作簿"), "{e}");
        }
        let table = b"<table><tr><td>a</td></tr></table>";
        assert!(matches!(
            read_bytes(table, "a.xls", None),
            Err(ReadError::WebPage { .. })
        ));
        let xml = br#"<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Sheet1"/></Workbook>"#;
        assert!(matches!(
            read_bytes(xml, "a.xls", None),
            Err(ReadError::XmlSpreadsheet { .. })
        ));
        // A CSV whose cell holds a tag is still a CSV.
        let csv = "帐号,姓名,备注\nzhangsan,张三,<table>\n";
        assert!(read_bytes(csv.as_bytes(), "a.csv", None).is_ok());
    }

    #[test]
    fn bad_files_are_one_sentence_errors() {
        let e = read_bytes(b"", "a.xlsx", None).unwrap_err();
        assert_eq!(e.to_string(), "a.xlsx 是空文件 (a.xlsx is empty)");
        let e = read_bytes(b"hello", "a.xlsx", None).unwrap_err();
        assert!(matches!(e, ReadError::NotAWorkbook { .. }));
        let e = read_bytes(b"PK\x03\x04garbage", "a.xlsx", None).unwrap_err();
        assert!(matches!(e, ReadError::Damaged { .. }), "{e}");
    }

    /// Each says it in Chinese and in English, split as the console splits it.
    #[test]
    fn every_read_error_is_said_in_chinese_and_in_english() {
        let path = || "staff (2).xlsx".to_string();
        let errors = [
            ReadError::Io {
                path: path(),
                error: std::io::Error::from(std::io::ErrorKind::NotFound),
            },
            ReadError::Empty { path: path() },
            ReadError::NotASheet { path: path() },
            ReadError::NotAWorkbook { path: path() },
            ReadError::Encrypted { path: path() },
            ReadError::Damaged {
                path: path(),
                detail: "invalid zip header".into(),
            },
            ReadError::OtherDocument {
                path: path(),
                what: Other::NUMBERS,
            },
            ReadError::NoSuchSheet {
                path: path(),
                sheet: "Sheet9".into(),
                available: "Cover, Staff".into(),
            },
            ReadError::NoSheets { path: path() },
            ReadError::Encoding {
                path: path(),
                offset: 7,
            },
            ReadError::Utf16 {
                path: path(),
                offset: 7,
            },
            ReadError::WebPage { path: path() },
            ReadError::XmlSpreadsheet { path: path() },
            ReadError::CellTooLong {
                path: path(),
                sheet: "Staff".into(),
                cell: "B7".into(),
                chars: 40_000,
            },
            ReadError::Csv {
                path: path(),
                detail: "found record with 3 fields".into(),
            },
            ReadError::CsvQuote {
                path: path(),
                line: 3,
                how: "is never closed".into(),
            },
            ReadError::TooLarge {
                path: path(),
                what: "文件太大 (the file is too large)".into(),
            },
        ];
        for e in errors {
            let text = e.to_string();
            let (zh, en) = crate::text::bilingual(&text)
                .unwrap_or_else(|| panic!("not `中文 (English)`: {text}"));
            assert!(zh.contains("staff (2).xlsx"), "{text}");
            assert!(!crate::text::has_chinese(en), "{text}");
        }
        let missing = ReadError::Io {
            path: "a.xlsx".into(),
            error: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert!(missing
            .to_string()
            .starts_with("无法读取 a.xlsx:文件不存在 (cannot read a.xlsx: "));
        let large = ReadError::TooLarge {
            path: "a.xlsx".into(),
            what: "文件太大 (the file is too large)".into(),
        };
        assert_eq!(
            crate::text::bilingual(&large.to_string()),
            Some((
                "a.xlsx: 文件太大;bgy 不读取这样的文件",
                "the file is too large; bgy refuses such files: see \"What bgy refuses\" in its README"
            ))
        );
    }

    #[test]
    fn an_xlsb_is_read_cell_for_cell_as_calamine_reads_it() {
        use calamine::{open_workbook, Reader, Xlsb};
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/issues.xlsb");
        let bytes = std::fs::read(path).unwrap();
        let mut rows = Vec::new();
        let info = stream_bytes(&bytes, "issues.xlsb", None, &mut |r| {
            rows.push(r);
            true
        })
        .expect("an xlsb is read");
        assert_eq!(info.format, Format::Xlsb);
        let mut wb: Xlsb<_> = open_workbook(path).unwrap();
        let range = wb.worksheet_range(&info.name).unwrap();
        let mut expected = Vec::new();
        from_range_for_test(&range, &mut expected);
        assert!(!rows.is_empty());
        assert_eq!(rows, expected);
    }

    /// calamine's whole `Range`, as rows the way bgy's readers make them.
    fn from_range_for_test(range: &calamine::Range<calamine::Data>, out: &mut Vec<RawRow>) {
        xlsx::rows_of(range, "x", "x", &mut |r| {
            out.push(r);
            true
        })
        .unwrap();
    }
}
