//! Workbooks through calamine: xlsx/xlsm (streamed cell by cell, no full `Range`), xls and ods.

use crate::remedy::{Advice, Remedy};
use std::io::Cursor;

use calamine::{DataType, ExcelDateTime, ExcelDateTimeType, Ods, Reader, SheetType, SheetVisible};
use calamine::{Xls, Xlsb, Xlsx, XlsxError};

use super::{marks, merged, REPORT_FAILED_SHEET, REPORT_SUMMARY_SHEET};
use super::{Budget, Cell, Emit, Format, RawRow, ReadError, SheetInfo};

pub fn read(
    bytes: &[u8],
    format: Format,
    name: &str,
    sheet: Option<&str>,
    emit: Emit,
) -> Result<SheetInfo, ReadError> {
    let damaged = |detail: String| ReadError::Damaged {
        path: name.into(),
        detail,
    };
    match format {
        Format::Xlsx => read_xlsx(bytes, name, sheet, emit),
        Format::Xlsb => {
            let mut wb: Xlsb<_> = Xlsb::new(Cursor::new(bytes)).map_err(|e| match e {
                calamine::XlsbError::Password => ReadError::Encrypted { path: name.into() },
                other => damaged(other.to_string()),
            })?;
            let (chosen, is_report, warnings) = choose(name, wb.sheets_metadata(), sheet)?;
            stream_xlsb(&mut wb, &chosen, name, emit)?;
            let others = others(wb.sheets_metadata(), &chosen, sheet.is_some() || is_report);
            let others = heads(others, |other, emit| {
                stream_xlsb(&mut wb, other, name, emit)
            });
            Ok(SheetInfo {
                name: chosen,
                format,
                is_report,
                warnings,
                merged: Vec::new(),
                others,
            })
        }
        Format::Xls => {
            // An encrypted xlsx is an OLE file too; calamine's xlsx reader recognises it.
            if let Err(XlsxError::Password) = Xlsx::new(Cursor::new(bytes)) {
                return Err(ReadError::Encrypted { path: name.into() });
            }
            let mut wb: Xls<_> = Xls::new(Cursor::new(bytes)).map_err(|e| match e {
                calamine::XlsError::Password => ReadError::Encrypted { path: name.into() },
                other => damaged(other.to_string()),
            })?;
            whole_sheet(&mut wb, format, name, sheet, emit)
        }
        Format::Ods => {
            let mut wb: Ods<_> = Ods::new(Cursor::new(bytes)).map_err(|e| match e {
                calamine::OdsError::Password => ReadError::Encrypted { path: name.into() },
                other => damaged(other.to_string()),
            })?;
            whole_sheet(&mut wb, format, name, sheet, emit)
        }
        Format::Csv => Err(damaged("not a workbook".into())),
    }
}

/// xls and ods: calamine builds the whole sheet's `Range`, then it is emitted row by row.
fn whole_sheet<RS, R>(
    wb: &mut R,
    format: Format,
    name: &str,
    sheet: Option<&str>,
    emit: Emit,
) -> Result<SheetInfo, ReadError>
where
    RS: std::io::Read + std::io::Seek,
    R: Reader<RS>,
    R::Error: std::fmt::Display,
{
    let (chosen, is_report, warnings) = choose(name, wb.sheets_metadata(), sheet)?;
    let range = wb
        .worksheet_range(&chosen)
        .map_err(|e| ReadError::Damaged {
            path: name.into(),
            detail: e.to_string(),
        })?;
    rows_of(&range, name, &chosen, emit)?;
    let others = others(wb.sheets_metadata(), &chosen, sheet.is_some() || is_report);
    let others = heads(others, |other, emit| match wb.worksheet_range(other) {
        Ok(range) => rows_of(&range, name, other, emit),
        Err(e) => Err(ReadError::Damaged {
            path: name.into(),
            detail: e.to_string(),
        }),
    });
    Ok(SheetInfo {
        name: chosen,
        format,
        is_report,
        warnings,
        merged: Vec::new(),
        others,
    })
}

/// xlsx and xlsm: the sheet's marks first ([`marks`]: hidden rows, merged ranges, formulas
/// without a result), then its cells streamed.
fn read_xlsx(
    bytes: &[u8],
    name: &str,
    sheet: Option<&str>,
    emit: Emit,
) -> Result<SheetInfo, ReadError> {
    let mut wb = xlsx_cells::open(bytes).map_err(|e| match e {
        XlsxError::Password => ReadError::Encrypted { path: name.into() },
        other => ReadError::Damaged {
            path: name.into(),
            detail: other.to_string(),
        },
    })?;
    let (chosen, is_report, mut warnings) = choose(name, wb.sheets_metadata(), sheet)?;
    let filtered = marks::has_filter(wb.defined_names(), &chosen);
    let marks = match marks::worth_reading(bytes.len(), filtered) {
        true => marks::read(bytes, &chosen),
        false => marks::Marks::default(),
    };
    warnings.extend(marks::uncalculated_said(&marks));
    let mut fill = merged::Fill::new(marks.merged);
    let mut hidden = marks.hidden.into_iter().peekable();
    match fill.is_empty() && hidden.peek().is_none() {
        true => stream_xlsx(&mut wb, &chosen, name, emit)?,
        false => stream_xlsx(&mut wb, &chosen, name, &mut |mut row| {
            fill.apply(&mut row);
            // Rows come in order: the hidden ones passed are let go.
            let r = row.source_row.saturating_sub(1);
            while hidden.next_if(|&h| h < r).is_some() {}
            row.hidden = hidden.next_if_eq(&r).is_some();
            emit(row)
        })?,
    }
    let others = others(wb.sheets_metadata(), &chosen, sheet.is_some() || is_report);
    let others = heads(others, |other, emit| {
        stream_xlsx(&mut wb, other, name, emit)
    });
    Ok(SheetInfo {
        name: chosen,
        format: Format::Xlsx,
        is_report,
        warnings,
        merged: fill.used(),
        others,
    })
}

/// The workbook's visible worksheets other than `chosen`, at most [`MAX_OTHERS`]; none when a
/// sheet was asked for (`asked`) or the workbook is a report.
fn others(sheets: &[calamine::Sheet], chosen: &str, asked: bool) -> Vec<String> {
    if asked {
        return Vec::new();
    }
    (sheets.iter())
        .filter(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
        .filter(|s| s.name != chosen)
        .take(MAX_OTHERS)
        .map(|s| s.name.clone())
        .collect()
}

/// Other sheets looked at for a header row: a workbook of thousands is not opened a thousand
/// times.
const MAX_OTHERS: usize = 32;

/// Each sheet's first rows (up to [`super::header::HEADER_SEARCH_ROWS`]), as `read` reads them;
/// a sheet that cannot be read is left out (it is not the one the run reads).
fn heads(
    sheets: Vec<String>,
    mut read: impl FnMut(&str, Emit) -> Result<(), ReadError>,
) -> Vec<(String, Vec<RawRow>)> {
    let mut out = Vec::new();
    for sheet in sheets {
        let mut head = Vec::new();
        let read = read(&sheet, &mut |row| {
            head.push(row);
            head.len() < super::header::HEADER_SEARCH_ROWS
        });
        if read.is_ok() {
            out.push((sheet, head));
        }
    }
    out
}

/// The sheet to read: the one asked for, a report's Failed sheet, or the first visible
/// worksheet (a hidden one holds lookups or old data, not what the person sees first), with a
/// warning naming the hidden sheets passed over.
fn choose(
    name: &str,
    sheets: &[calamine::Sheet],
    wanted: Option<&str>,
) -> Result<(String, bool, Vec<Advice>), ReadError> {
    let names: Vec<&str> = sheets
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| s.name.as_str())
        .collect();
    let is_report = names.contains(&REPORT_FAILED_SHEET) && names.contains(&REPORT_SUMMARY_SHEET);
    if let Some(wanted) = wanted {
        return match names.iter().find(|n| n.trim() == wanted.trim()) {
            Some(n) => Ok((
                n.to_string(),
                is_report && *n == REPORT_FAILED_SHEET,
                vec![],
            )),
            None => Err(ReadError::NoSuchSheet {
                path: name.into(),
                sheet: wanted.into(),
                available: names.join(", "),
            }),
        };
    }
    if is_report {
        return Ok((REPORT_FAILED_SHEET.into(), true, vec![]));
    }
    let worksheets: Vec<&calamine::Sheet> = sheets
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .collect();
    let first = worksheets
        .first()
        .ok_or_else(|| ReadError::NoSheets { path: name.into() })?;
    let Some(at) = worksheets
        .iter()
        .position(|s| s.visible == SheetVisible::Visible)
    else {
        let warning = format!(
            "所有工作表都是隐藏的,读取了第一个 {:?} (every sheet is hidden; read the first, {:?})",
            first.name, first.name
        );
        return Ok((first.name.clone(), false, vec![Advice::new(warning)]));
    };
    let chosen = worksheets[at].name.clone();
    let hidden: Vec<String> = worksheets[..at]
        .iter()
        .map(|s| format!("{:?}", s.name))
        .collect();
    let warnings = if hidden.is_empty() {
        vec![]
    } else {
        vec![Advice {
            text: format!(
                "读取了第一个可见的工作表 {chosen:?},跳过了隐藏的 {} (read the first visible sheet, {chosen:?}; hidden sheets before it were skipped: {})",
                hidden.join("、"),
                hidden.join(", ")
            ),
            remedy: Some(Remedy::ChooseSheet { sheet: None }),
        }]
    };
    Ok((chosen, false, warnings))
}

fn convert<T: DataType>(v: &T) -> Cell {
    if v.is_empty() {
        Cell::Empty
    } else if let Some(s) = v.get_string() {
        Cell::Text(s.to_string())
    } else if let Some(i) = v.get_int() {
        Cell::Number(i as f64)
    } else if let Some(f) = v.get_float() {
        Cell::Number(f)
    } else if let Some(b) = v.get_bool() {
        Cell::Bool(b)
    } else if let Some(dt) = v.get_datetime() {
        match excel_datetime(&dt) {
            Some(d) if dt.is_datetime() => Cell::Date(d),
            _ => Cell::Number(dt.as_f64()),
        }
    } else if v.is_datetime_iso() {
        v.as_datetime()
            .map(Cell::Date)
            .unwrap_or_else(|| Cell::Text(v.get_datetime_iso().unwrap_or_default().to_string()))
    } else if let Some(e) = v.get_error() {
        Cell::Error(e.to_string())
    } else {
        Cell::Text(v.as_string().unwrap_or_default())
    }
}

/// The date and time of an Excel serial date, as calamine's `as_datetime` gives it. A whole day
/// of the 1900 date system (what nearly every date cell holds) is that day itself: calamine's
/// way, through milliseconds and chrono's duration arithmetic, was ~8 ms of a 100,000-row
/// sheet's 0.6 s read in `perf`'s samples, this one ~2.
fn excel_datetime(dt: &ExcelDateTime) -> Option<chrono::NaiveDateTime> {
    /// 1899-12-30, the day before Excel's day 1 (its 1900 being a leap year counted in).
    const EPOCH: i32 = 693_594;
    let v = dt.as_f64();
    let whole_day_1900 = (60.0..=2_958_465.0).contains(&v)
        && v.fract() == 0.0
        && *dt == ExcelDateTime::new(v, ExcelDateTimeType::DateTime, false);
    if whole_day_1900 {
        return chrono::NaiveDate::from_num_days_from_ce_opt(EPOCH + v as i32)
            .map(|d| d.and_time(chrono::NaiveTime::MIN));
    }
    dt.as_datetime()
}

/// Streams an xlsx sheet cell by cell into rows, never holding a full `Range`.
fn stream_xlsx(
    wb: &mut xlsx_cells::Workbook,
    sheet: &str,
    name: &str,
    emit: Emit,
) -> Result<(), ReadError> {
    let damaged = |e: XlsxError| ReadError::Damaged {
        path: name.into(),
        detail: e.to_string(),
    };
    let mut reader = xlsx_cells::cells(wb, sheet).map_err(damaged)?;
    // Per style id: the mantissa's decimals of a scientific number format (`0.00E+00` → 2).
    let scientific: Vec<Option<usize>> = reader
        .styles()
        .iter()
        .map(|s| {
            s.number_format
                .as_ref()
                .and_then(|f| scientific_decimals(&f.format_code))
        })
        .collect();
    let mut rows = Rows::new(name, sheet, emit);
    // `Ok(false)` once the reader wants no more; the first error.
    let mut going = Ok(true);
    xlsx_cells::each_cell(&mut reader, &mut |r, c, value, style| {
        let value = match (convert(value), scientific.get(style)) {
            // What the person saw: `1.38E+10`, its other digits gone from the screen.
            (Cell::Number(n), Some(Some(decimals))) => Cell::Text(excel_scientific(n, *decimals)),
            (value, _) => value,
        };
        going = rows.cell(r, c, value);
        matches!(going, Ok(true))
    })
    .map_err(damaged)?;
    if !going? {
        return Ok(());
    }
    rows.end();
    Ok(())
}

/// xlsb: streamed cell by cell like xlsx (its number formats are not read: a number is its
/// value).
fn stream_xlsb(
    wb: &mut Xlsb<Cursor<&[u8]>>,
    sheet: &str,
    name: &str,
    emit: Emit,
) -> Result<(), ReadError> {
    let damaged = |e: calamine::XlsbError| ReadError::Damaged {
        path: name.into(),
        detail: e.to_string(),
    };
    let mut reader = wb.worksheet_cells_reader(sheet).map_err(damaged)?;
    let mut rows = Rows::new(name, sheet, emit);
    while let Some(cell) = reader.next_cell().map_err(damaged)? {
        let (r, c) = cell.get_position();
        if !rows.cell(r, c, convert(cell.get_value()))? {
            return Ok(());
        }
    }
    rows.end();
    Ok(())
}

/// Cells in sheet order, gathered into rows and handed on a row at a time, within the
/// sheet's budget.
struct Rows<'n, 'e> {
    budget: Budget<'n>,
    row: RawRow,
    emit: Emit<'e>,
}

impl<'n, 'e> Rows<'n, 'e> {
    fn new(name: &'n str, sheet: &'n str, emit: Emit<'e>) -> Self {
        Rows {
            budget: Budget::new(name, sheet),
            row: RawRow {
                source_row: 0,
                hidden: false,
                cells: Vec::new(),
            },
            emit,
        }
    }

    /// The cell at 0-based (row, column); false once the reader wants no more.
    fn cell(&mut self, r: u32, c: u32, value: Cell) -> Result<bool, ReadError> {
        if value.is_empty() {
            return Ok(true);
        }
        let source_row = r.saturating_add(1);
        self.budget.cell(&value, c as usize, source_row)?;
        if source_row != self.row.source_row {
            let width = self.row.cells.len();
            let done = std::mem::replace(
                &mut self.row,
                RawRow {
                    source_row,
                    hidden: false,
                    cells: Vec::with_capacity(width),
                },
            );
            if !done.cells.is_empty() && !(self.emit)(done) {
                return Ok(false);
            }
        }
        let (c, cells) = (c as usize, &mut self.row.cells);
        if c < cells.len() {
            cells[c] = value;
        } else {
            if c > cells.len() {
                cells.resize(c, Cell::Empty);
            }
            cells.push(value);
        }
        Ok(true)
    }

    fn end(self) {
        if !self.row.cells.is_empty() {
            (self.emit)(self.row);
        }
    }
}

/// The decimals a scientific number format shows (`0.00E+00` → 2, `0E+0` → 0); `None` for any
/// other format. Quoted text and `[...]` sections are skipped; only the first section counts.
fn scientific_decimals(code: &str) -> Option<usize> {
    let section = code.split(';').next().unwrap_or("");
    let mut plain = String::new();
    let (mut quoted, mut bracket) = (false, false);
    for ch in section.chars() {
        match ch {
            '"' => quoted = !quoted,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            _ if !quoted && !bracket => plain.push(ch),
            _ => {}
        }
    }
    let at = plain
        .to_ascii_uppercase()
        .find("E+")
        .or_else(|| plain.to_ascii_uppercase().find("E-"))?;
    let mantissa = &plain[..at];
    Some(match mantissa.split_once('.') {
        Some((_, frac)) => frac
            .chars()
            .filter(|c| matches!(c, '0' | '#' | '?'))
            .count(),
        None => 0,
    })
}

/// `13800138000` with 2 decimals → `1.38E+10`, as Excel shows it.
fn excel_scientific(n: f64, decimals: usize) -> String {
    let s = format!("{:.*e}", decimals.min(30), n);
    let Some((mantissa, exp)) = s.split_once('e') else {
        return s;
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}E{sign}{:02}", exp.abs())
}

/// A whole `Range` (xls, ods) as rows.
pub(super) fn rows_of(
    range: &calamine::Range<calamine::Data>,
    name: &str,
    sheet: &str,
    emit: Emit,
) -> Result<(), ReadError> {
    let Some((r0, c0)) = range.start() else {
        return Ok(());
    };
    let mut budget = Budget::new(name, sheet);
    for (i, values) in range.rows().enumerate() {
        let source_row = r0.saturating_add(i as u32).saturating_add(1);
        let mut cells = Vec::new();
        for (j, v) in values.iter().enumerate() {
            let cell = convert(v);
            if !cell.is_empty() {
                let col = c0 as usize + j;
                budget.cell(&cell, col, source_row)?;
                cells.resize(col, Cell::Empty);
                cells.push(cell);
            }
        }
        while cells.last().is_some_and(Cell::is_empty) {
            cells.pop();
        }
        if !cells.is_empty()
            && !emit(RawRow {
                source_row,
                hidden: false,
                cells,
            })
        {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cells come a row at a time, each in its column whatever order the file lists them in;
    /// a row of empty cells (formatting carried down a sheet) is no row.
    #[test]
    fn cells_are_gathered_into_rows() {
        let mut rows = Vec::new();
        let mut emit = |row: RawRow| {
            rows.push((row.source_row, row.cells));
            true
        };
        let mut gather = Rows::new("a.xlsx", "s", &mut emit);
        let text = |t: &str| Cell::Text(t.into());
        for (r, c, value) in [
            (0, 1, text("B")),
            (0, 0, text("A")),
            (0, 3, text("D")),
            (1, 0, Cell::Empty),
            (1, 2, Cell::Empty),
            (2, 1, text("x")),
        ] {
            assert!(gather.cell(r, c, value).unwrap());
        }
        gather.end();
        let a_row = vec![text("A"), text("B"), Cell::Empty, text("D")];
        assert_eq!(rows, [(1, a_row), (3, vec![Cell::Empty, text("x")])]);
    }

    /// A whole sheet (xls, ods) whose cells begin below and right of A1 keeps its rows' and
    /// columns' places.
    #[test]
    fn a_range_keeps_its_rows_and_columns() {
        let mut range = calamine::Range::new((2, 1), (3, 2));
        range.set_value((2, 1), calamine::Data::String("帐号".into()));
        range.set_value((3, 2), calamine::Data::String("x".into()));
        let mut rows = Vec::new();
        rows_of(&range, "a.ods", "s", &mut |row| {
            rows.push((row.source_row, row.cells));
            true
        })
        .unwrap();
        let text = |t: &str| Cell::Text(t.into());
        assert_eq!(
            rows,
            [
                (3, vec![Cell::Empty, text("帐号")]),
                (4, vec![Cell::Empty, Cell::Empty, text("x")])
            ]
        );
    }

    /// A hidden row with nothing in it does not keep the hidden rows after it from being told.
    #[test]
    fn a_hidden_row_after_an_empty_hidden_one_is_told() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (r, cells) in [(0, ["帐号", "姓名"]), (2, ["a", "甲"]), (3, ["b", "乙"])] {
            for (c, v) in cells.iter().enumerate() {
                ws.write_string(r, c as u16, *v).unwrap();
            }
        }
        ws.set_row_hidden(1).unwrap();
        ws.set_row_hidden(3).unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let mut rows = Vec::new();
        read(&bytes, Format::Xlsx, "a.xlsx", None, &mut |row| {
            rows.push((row.source_row, row.hidden));
            true
        })
        .unwrap();
        assert_eq!(rows, [(1, false), (3, false), (4, true)]);
    }

    /// A date cell is a date; a duration (`[h]:mm`) is its number of days; an error cell is
    /// an error, whose text is Excel's.
    #[test]
    fn cells_are_what_calamine_reads_them_as() {
        use calamine::{CellErrorType, Data};
        let at = |v, kind| convert(&Data::DateTime(ExcelDateTime::new(v, kind, false)));
        let day = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        assert_eq!(
            at(45_658.0, ExcelDateTimeType::DateTime),
            Cell::Date(day.and_time(chrono::NaiveTime::MIN))
        );
        assert_eq!(at(1.5, ExcelDateTimeType::TimeDelta), Cell::Number(1.5));
        assert_eq!(
            convert(&Data::Error(CellErrorType::NA)),
            Cell::Error("#N/A".into())
        );
        assert_eq!(convert(&Data::Int(7)), Cell::Number(7.0));
        assert_eq!(convert(&Data::Bool(true)), Cell::Bool(true));
    }

    /// The sheet asked for by its name, spaces around it aside; a report is read from its
    /// 失败 Failed sheet, and is a report only with its 汇总 Summary too.
    #[test]
    fn the_sheet_read_and_whether_it_is_a_report() {
        let sheets = |names: &[&str]| -> Vec<calamine::Sheet> {
            (names.iter())
                .map(|n| calamine::Sheet {
                    name: n.to_string(),
                    typ: SheetType::WorkSheet,
                    visible: SheetVisible::Visible,
                })
                .collect()
        };
        let chosen = |names: &[&str], wanted| {
            let (sheet, is_report, _) = choose("a.xlsx", &sheets(names), wanted).unwrap();
            (sheet, is_report)
        };
        assert_eq!(
            chosen(&["封面", "花名册 "], Some(" 花名册")),
            ("花名册 ".into(), false)
        );
        let report = [REPORT_SUMMARY_SHEET, REPORT_FAILED_SHEET];
        assert_eq!(chosen(&report, None), (REPORT_FAILED_SHEET.into(), true));
        assert_eq!(
            chosen(&report, Some(REPORT_FAILED_SHEET)),
            (REPORT_FAILED_SHEET.into(), true)
        );
        assert_eq!(
            chosen(&report, Some(REPORT_SUMMARY_SHEET)),
            (REPORT_SUMMARY_SHEET.into(), false)
        );
        assert_eq!(
            chosen(&["名单", REPORT_FAILED_SHEET], None),
            ("名单".into(), false)
        );
        // A workbook of thousands of sheets is not looked through a thousand times.
        let names: Vec<String> = (0..40).map(|i| format!("表{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(others(&sheets(&names), "表0", false).len(), MAX_OTHERS);
    }

    /// Other sheets are read for their first rows only, and one that cannot be read is left
    /// out (it is not the one the run reads).
    #[test]
    fn other_sheets_give_their_first_rows_or_nothing() {
        let heads = heads(vec!["长".into(), "坏".into()], |sheet, emit| {
            for n in 1..=1000 {
                let cells = vec![Cell::Text("x".into())];
                if !emit(RawRow {
                    source_row: n,
                    hidden: false,
                    cells,
                }) {
                    break;
                }
            }
            match sheet {
                "坏" => Err(ReadError::Empty {
                    path: "a.xlsx".into(),
                }),
                _ => Ok(()),
            }
        });
        assert_eq!(heads.len(), 1);
        assert_eq!(heads[0].0, "长");
        assert_eq!(heads[0].1.len(), super::super::header::HEADER_SEARCH_ROWS);
    }

    #[test]
    fn a_whole_day_is_the_day_calamine_makes_of_it() {
        use ExcelDateTimeType::{DateTime, TimeDelta};
        let days = (0..=3_000_000).step_by(997).chain([
            59, 60, 61, 366, 1462, 44_927, 45_658, 2_958_464, 2_958_465, 2_958_466,
        ]);
        for v in days
            .map(f64::from)
            .chain([-1.0, 0.5, 45_658.25, 45_658.999_99, 1e12])
        {
            for (kind, is_1904) in [(DateTime, false), (DateTime, true), (TimeDelta, false)] {
                let dt = ExcelDateTime::new(v, kind, is_1904);
                assert_eq!(excel_datetime(&dt), dt.as_datetime(), "{dt:?}");
            }
        }
        let day = ExcelDateTime::new(45_658.0, DateTime, false);
        assert_eq!(
            excel_datetime(&day).unwrap().to_string(),
            "2025-01-01 00:00:00"
        );
    }

    #[test]
    fn scientific_formats_and_what_they_show() {
        assert_eq!(scientific_decimals("0.00E+00"), Some(2));
        assert_eq!(scientific_decimals("0E+0"), Some(0));
        assert_eq!(scientific_decimals("##0.0E+0"), Some(1));
        assert_eq!(scientific_decimals("0.00e-00"), Some(2));
        assert_eq!(scientific_decimals("General"), None);
        assert_eq!(scientific_decimals("0"), None);
        assert_eq!(
            scientific_decimals("\"E+\"0"),
            None,
            "quoted text is not the exponent"
        );
        assert_eq!(scientific_decimals("yyyy-mm-dd"), None);
        assert_eq!(
            scientific_decimals("#.##E+0"),
            Some(2),
            "# and ? are digits"
        );
        assert_eq!(
            scientific_decimals("0.00;0.0E+00"),
            None,
            "the first section counts"
        );
        assert_eq!(
            scientific_decimals("[>=1E+6]0.0E+00"),
            Some(1),
            "a condition is not the exponent"
        );
        assert_eq!(excel_scientific(13800138000.0, 2), "1.38E+10");
        assert_eq!(excel_scientific(13800138000.0, 10), "1.3800138000E+10");
        assert_eq!(excel_scientific(0.000123, 1), "1.2E-04");
        // A hostile format's thousands of decimals: Excel shows 30 at most.
        assert_eq!(
            excel_scientific(1.0, 5_000).len(),
            "1.".len() + 30 + "E+00".len()
        );
    }
}
