//! The bounds that keep a hostile file from exhausting memory or time: checked before the work
//! they bound, so a zip bomb is refused in milliseconds instead of being inflated.
//!
//! xlsx and ods are zip archives. The zip crate refuses to inflate a part past the size the
//! archive declares for it, so checking the declared sizes here bounds what calamine can
//! inflate. calamine expands an ods sheet's repeated cells into one dense grid, so that grid's
//! size is worked out from the XML first. Everything else is counted as rows are read
//! ([`Budget`]).

use std::io::{BufReader, Cursor};

use super::{cell_ref, Cell, Format, ReadError, MAX_CELL_CHARS};

/// Excel's last row.
pub const MAX_ROWS: u32 = 1_048_576;
/// Excel's last column (XFD).
pub const MAX_COLUMNS: usize = 16_384;
/// An input file.
pub const MAX_FILE_BYTES: u64 = 512 << 20;
/// One worksheet part (`xl/worksheets/*.xml`, an ods `content.xml`), inflated. It is streamed,
/// so this bounds time more than memory: about 5 s of parsing.
pub const MAX_SHEET_PART_BYTES: u64 = 512 << 20;
/// Any other part (shared strings, styles …), inflated: these are held in memory whole.
pub const MAX_OTHER_PART_BYTES: u64 = 128 << 20;
/// All parts of one archive, inflated.
pub const MAX_ARCHIVE_BYTES: u64 = 1 << 30;
/// The text of the cells kept from one sheet: some 800,000 rows of staff data. bgy holds
/// about four bytes for each byte of text (the cells as read, then the row as validated).
pub const MAX_TEXT_BYTES: usize = 128 << 20;
/// An ods sheet's grid once repeated rows and cells are expanded (calamine holds it whole).
pub const MAX_GRID_CELLS: u64 = 10_000_000;

fn too_large(path: &str, what: String) -> ReadError {
    ReadError::TooLarge {
        path: path.into(),
        what,
    }
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes >> 20)
}

pub fn check_file_size(size: u64, path: &str) -> Result<(), ReadError> {
    if size > MAX_FILE_BYTES {
        return Err(too_large(
            path,
            format!(
                "文件有 {} 字节,超过上限 {} (the file has {size} bytes, more than the {} bgy reads)",
                size,
                mib(MAX_FILE_BYTES),
                mib(MAX_FILE_BYTES)
            ),
        ));
    }
    Ok(())
}

/// Refuses an archive whose parts declare more inflated bytes than the bounds above, and an ods
/// whose repeated cells expand past [`MAX_GRID_CELLS`].
pub fn check_zip(bytes: &[u8], format: Format, path: &str) -> Result<(), ReadError> {
    let damaged = |e: zip::result::ZipError| ReadError::Damaged {
        path: path.into(),
        detail: e.to_string(),
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(damaged)?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let part = archive.by_index_raw(i).map_err(damaged)?;
        let name = String::from_utf8_lossy(part.name_raw()).into_owned();
        let size = part.size();
        let is_sheet = name.starts_with("xl/worksheets/") || name == "content.xml";
        let limit = if is_sheet {
            MAX_SHEET_PART_BYTES
        } else {
            MAX_OTHER_PART_BYTES
        };
        if size > limit {
            return Err(too_large(
                path,
                format!(
                    "压缩包中的 {name:?} 解压后有 {size} 字节,超过上限 {} (part {name:?} inflates to {size} bytes, more than the {} allowed: a zip bomb, or not a staff sheet)",
                    mib(limit),
                    mib(limit)
                ),
            ));
        }
        total = total.saturating_add(size);
    }
    if total > MAX_ARCHIVE_BYTES {
        return Err(too_large(
            path,
            format!(
                "解压后共 {total} 字节,超过上限 {} (the parts inflate to {total} bytes in all, more than the {} allowed)",
                mib(MAX_ARCHIVE_BYTES),
                mib(MAX_ARCHIVE_BYTES)
            ),
        ));
    }
    if format == Format::Ods {
        if let Ok(content) = archive.by_name("content.xml") {
            check_ods_grid(BufReader::new(content), path)?;
        }
    }
    Ok(())
}

/// Works out each ods table's grid as calamine would expand it (rows up to the last non-empty
/// one, times the widest non-empty row) without expanding anything.
fn check_ods_grid(content: impl std::io::BufRead, path: &str) -> Result<(), ReadError> {
    use quick_xml::events::{BytesStart, Event};

    fn repeats(e: &BytesStart, attr: &str) -> u64 {
        e.try_get_attribute(attr)
            .ok()
            .flatten()
            .and_then(|a| a.value.trim().parse().ok())
            .unwrap_or(1)
    }
    fn has_value(e: &BytesStart) -> bool {
        e.attributes().flatten().any(|a| {
            let key = a.key.as_ref();
            key == "office:value-type" || key == "table:formula"
        })
    }

    let mut reader = quick_xml::Reader::from_reader(content);
    let mut buf = Vec::new();
    let mut table = String::new();
    // Per table: rows so far, rows up to the last non-empty one, widest non-empty row.
    let (mut rows, mut used_rows, mut width) = (0u64, 0u64, 0u64);
    // Per row: its repeat count, columns so far, columns up to its last non-empty cell.
    let (mut row_repeats, mut cols, mut used_cols) = (1u64, 0u64, 0u64);
    let mut in_cell: Option<u64> = None;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| ReadError::Damaged {
                path: path.into(),
                detail: format!("content.xml: {e}"),
            })?;
        // A cell with content (`<table:table-cell>…</…>`) rather than `<table:table-cell/>`.
        let opens = matches!(event, Event::Start(_));
        match event {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "table:table" => {
                table = e
                    .try_get_attribute("table:name")
                    .ok()
                    .flatten()
                    .map(|a| a.value.into_owned())
                    .unwrap_or_default();
                (rows, used_rows, width) = (0, 0, 0);
            }
            Event::Start(e) if e.name().as_ref() == "table:table-row" => {
                (row_repeats, cols, used_cols) = (repeats(&e, "table:number-rows-repeated"), 0, 0);
            }
            Event::Empty(e) if e.name().as_ref() == "table:table-row" => {
                rows = rows.saturating_add(repeats(&e, "table:number-rows-repeated"));
            }
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                rows = rows.saturating_add(row_repeats);
                if used_cols > 0 {
                    used_rows = rows;
                    width = width.max(used_cols);
                }
                if used_rows.saturating_mul(width) > MAX_GRID_CELLS {
                    return Err(too_large(
                        path,
                        format!(
                            "工作表 {table:?} 展开重复单元格后超过 {MAX_GRID_CELLS} 个单元格 (sheet {table:?} spans {used_rows} rows × {width} columns once its repeated cells are expanded, more than the {MAX_GRID_CELLS} cells bgy reads from an .ods sheet)"
                        ),
                    ));
                }
            }
            Event::Start(e) | Event::Empty(e)
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                let n = repeats(&e, "table:number-columns-repeated");
                cols = cols.saturating_add(n);
                if has_value(&e) {
                    used_cols = cols;
                }
                if opens {
                    in_cell = Some(cols);
                }
            }
            Event::Text(t) if in_cell.is_some() && !t.trim().is_empty() => {
                used_cols = used_cols.max(in_cell.unwrap_or(0));
            }
            Event::End(e)
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                in_cell = None;
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(())
}

/// Counts what a sheet's rows cost as they are read: refuses a row or column past Excel's
/// last, a cell past Excel's 32,767 characters, and more than [`MAX_TEXT_BYTES`] of text.
pub struct Budget<'a> {
    path: &'a str,
    sheet: &'a str,
    text: usize,
}

impl<'a> Budget<'a> {
    pub fn new(path: &'a str, sheet: &'a str) -> Budget<'a> {
        Budget {
            path,
            sheet,
            text: 0,
        }
    }

    /// Checks one non-empty cell at 0-based `col` of 1-based `row`.
    pub fn cell(&mut self, cell: &Cell, col: usize, row: u32) -> Result<(), ReadError> {
        if row > MAX_ROWS || col >= MAX_COLUMNS {
            return Err(too_large(
                self.path,
                format!(
                    "工作表 {:?} 的单元格 {} 超出了 Excel 的范围 (sheet {:?}: cell {} lies past Excel's last row {MAX_ROWS} or last column XFD)",
                    self.sheet,
                    cell_ref(col.min(MAX_COLUMNS), row),
                    self.sheet,
                    cell_ref(col.min(MAX_COLUMNS), row),
                ),
            ));
        }
        if let Cell::Text(s) | Cell::Error(s) = cell {
            // Bytes first: cheap, and a char count only when it could matter.
            if s.len() > MAX_CELL_CHARS {
                let chars = s.chars().count();
                if chars > MAX_CELL_CHARS {
                    return Err(ReadError::CellTooLong {
                        path: self.path.into(),
                        sheet: self.sheet.into(),
                        cell: cell_ref(col, row),
                        chars,
                    });
                }
            }
            self.text += s.len();
            if self.text > MAX_TEXT_BYTES {
                return Err(too_large(
                    self.path,
                    format!(
                        "工作表 {:?} 的文字超过 {} (sheet {:?} holds more than {} of text by row {row})",
                        self.sheet,
                        mib(MAX_TEXT_BYTES as u64),
                        self.sheet,
                        mib(MAX_TEXT_BYTES as u64)
                    ),
                ));
            }
        }
        Ok(())
    }
}
