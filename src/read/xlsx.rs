//! Workbooks through calamine: xlsx/xlsm (streamed cell by cell, no full `Range`), xls and ods.

use std::io::Cursor;

use calamine::{DataType, Ods, Reader, SheetType, Xls, Xlsx, XlsxError};

use super::{cell_ref, Cell, Emit, Format, RawRow, ReadError, SheetInfo, MAX_CELL_CHARS};
use super::{REPORT_FAILED_SHEET, REPORT_SUMMARY_SHEET};

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
        Format::Xlsx => {
            let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| match e {
                XlsxError::Password => ReadError::Encrypted { path: name.into() },
                other => damaged(other.to_string()),
            })?;
            let (chosen, is_report) = choose(name, wb.sheets_metadata(), sheet)?;
            stream_xlsx(&mut wb, &chosen, name, emit)?;
            Ok(SheetInfo {
                name: chosen,
                format,
                is_report,
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
    let (chosen, is_report) = choose(name, wb.sheets_metadata(), sheet)?;
    let range = wb
        .worksheet_range(&chosen)
        .map_err(|e| ReadError::Damaged {
            path: name.into(),
            detail: e.to_string(),
        })?;
    from_range(&range, name, &chosen, emit)?;
    Ok(SheetInfo {
        name: chosen,
        format,
        is_report,
    })
}

/// The sheet to read: the one asked for, a report's Failed sheet, or the first worksheet.
fn choose(
    name: &str,
    sheets: &[calamine::Sheet],
    wanted: Option<&str>,
) -> Result<(String, bool), ReadError> {
    let names: Vec<&str> = sheets
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| s.name.as_str())
        .collect();
    let is_report = names.contains(&REPORT_FAILED_SHEET) && names.contains(&REPORT_SUMMARY_SHEET);
    if let Some(wanted) = wanted {
        return match names.iter().find(|n| n.trim() == wanted.trim()) {
            Some(n) => Ok((n.to_string(), is_report && *n == REPORT_FAILED_SHEET)),
            None => Err(ReadError::NoSuchSheet {
                path: name.into(),
                sheet: wanted.into(),
                available: names.join(", "),
            }),
        };
    }
    if is_report {
        return Ok((REPORT_FAILED_SHEET.into(), true));
    }
    names
        .first()
        .map(|n| (n.to_string(), false))
        .ok_or_else(|| ReadError::NoSheets { path: name.into() })
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
        match dt.as_datetime() {
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

fn check_length(
    cell: &Cell,
    col: usize,
    row: u32,
    name: &str,
    sheet: &str,
) -> Result<(), ReadError> {
    if let Cell::Text(s) = cell {
        // Bytes first: cheap, and a char count only when it could matter.
        if s.len() > MAX_CELL_CHARS {
            let chars = s.chars().count();
            if chars > MAX_CELL_CHARS {
                return Err(ReadError::CellTooLong {
                    path: name.into(),
                    sheet: sheet.into(),
                    cell: cell_ref(col, row),
                    chars,
                });
            }
        }
    }
    Ok(())
}

/// Streams an xlsx sheet cell by cell into rows, never holding a full `Range`.
fn stream_xlsx(
    wb: &mut Xlsx<Cursor<&[u8]>>,
    sheet: &str,
    name: &str,
    emit: Emit,
) -> Result<(), ReadError> {
    let damaged = |e: XlsxError| ReadError::Damaged {
        path: name.into(),
        detail: e.to_string(),
    };
    let mut reader = wb.worksheet_cells_reader(sheet).map_err(damaged)?;
    let mut row = RawRow {
        source_row: 0,
        cells: Vec::new(),
    };
    while let Some(cell) = reader.next_cell().map_err(damaged)? {
        let (r, c) = cell.get_position();
        let value = convert(cell.get_value());
        if value.is_empty() {
            continue;
        }
        let source_row = r + 1;
        check_length(&value, c as usize, source_row, name, sheet)?;
        if source_row != row.source_row {
            let width = row.cells.len();
            let done = std::mem::replace(
                &mut row,
                RawRow {
                    source_row,
                    cells: Vec::with_capacity(width),
                },
            );
            if !done.cells.is_empty() && !emit(done) {
                return Ok(());
            }
        }
        let c = c as usize;
        if c >= row.cells.len() {
            row.cells.resize(c + 1, Cell::Empty);
        }
        row.cells[c] = value;
    }
    if !row.cells.is_empty() {
        emit(row);
    }
    Ok(())
}

fn from_range(
    range: &calamine::Range<calamine::Data>,
    name: &str,
    sheet: &str,
    emit: Emit,
) -> Result<(), ReadError> {
    let Some((r0, c0)) = range.start() else {
        return Ok(());
    };
    for (i, values) in range.rows().enumerate() {
        let source_row = r0 + i as u32 + 1;
        let mut cells = vec![Cell::Empty; c0 as usize];
        for (j, v) in values.iter().enumerate() {
            let cell = convert(v);
            check_length(&cell, c0 as usize + j, source_row, name, sheet)?;
            cells.push(cell);
        }
        while cells.last().is_some_and(Cell::is_empty) {
            cells.pop();
        }
        if !cells.is_empty() && !emit(RawRow { source_row, cells }) {
            break;
        }
    }
    Ok(())
}
