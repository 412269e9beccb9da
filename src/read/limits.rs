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
    use quick_xml::events::Event;

    let mut reader = quick_xml::Reader::from_reader(content);
    let mut buf = Vec::new();
    let mut grid = Grid::default();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| ReadError::Damaged {
                path: path.into(),
                detail: format!("content.xml: {e}"),
            })?;
        match event {
            Event::Start(e) => grid.start(&e, true),
            Event::Empty(e) => grid.start(&e, false),
            Event::End(e) => {
                if let Some(what) = grid.end(e.name().as_ref()) {
                    return Err(too_large(path, what));
                }
            }
            Event::Text(t) if !t.trim().is_empty() => grid.text(),
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

/// The size of the ods table being read, as calamine would expand it.
#[derive(Default)]
struct Grid {
    table: String,
    /// Rows so far, rows up to the last non-empty one, the widest non-empty row.
    rows: u64,
    used_rows: u64,
    width: u64,
    /// The row being read: its repeat count, its columns so far, up to its last non-empty cell.
    row_repeats: u64,
    cols: u64,
    used_cols: u64,
    /// Inside a cell with content: the column after it.
    in_cell: Option<u64>,
}

fn repeats(e: &quick_xml::events::BytesStart, attr: &str) -> u64 {
    e.try_get_attribute(attr)
        .ok()
        .flatten()
        .and_then(|a| a.value.trim().parse().ok())
        .unwrap_or(1)
}

fn is_cell(name: &str) -> bool {
    matches!(name, "table:table-cell" | "table:covered-table-cell")
}

impl Grid {
    /// An element opens (`opens`: it has content, `<x>…</x>` rather than `<x/>`).
    fn start(&mut self, e: &quick_xml::events::BytesStart, opens: bool) {
        match e.name().as_ref() {
            "table:table" => {
                *self = Grid {
                    table: e
                        .try_get_attribute("table:name")
                        .ok()
                        .flatten()
                        .map(|a| a.value.into_owned())
                        .unwrap_or_default(),
                    ..Grid::default()
                };
            }
            "table:table-row" if opens => {
                (self.row_repeats, self.cols, self.used_cols) =
                    (repeats(e, "table:number-rows-repeated"), 0, 0);
            }
            "table:table-row" => {
                self.rows = self
                    .rows
                    .saturating_add(repeats(e, "table:number-rows-repeated"));
            }
            name if is_cell(name) => {
                self.cols = self
                    .cols
                    .saturating_add(repeats(e, "table:number-columns-repeated"));
                let valued = e.attributes().flatten().any(|a| {
                    let key = a.key.as_ref();
                    key == "office:value-type" || key == "table:formula"
                });
                if valued {
                    self.used_cols = self.cols;
                }
                self.in_cell = opens.then_some(self.cols);
            }
            _ => {}
        }
    }

    /// Text inside a cell makes it non-empty.
    fn text(&mut self) {
        if let Some(col) = self.in_cell {
            self.used_cols = self.used_cols.max(col);
        }
    }

    /// An element closes; what is too large, once the grid passes [`MAX_GRID_CELLS`].
    fn end(&mut self, name: &str) -> Option<String> {
        if is_cell(name) {
            self.in_cell = None;
        }
        if name != "table:table-row" {
            return None;
        }
        self.rows = self.rows.saturating_add(self.row_repeats);
        if self.used_cols > 0 {
            self.used_rows = self.rows;
            self.width = self.width.max(self.used_cols);
        }
        let (table, rows, width) = (&self.table, self.used_rows, self.width);
        (rows.saturating_mul(width) > MAX_GRID_CELLS).then(|| {
            format!(
                "工作表 {table:?} 展开重复单元格后超过 {MAX_GRID_CELLS} 个单元格 (sheet {table:?} spans {rows} rows × {width} columns once its repeated cells are expanded, more than the {MAX_GRID_CELLS} cells bgy reads from an .ods sheet)"
            )
        })
    }
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
