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
/// An xls sheet's declared dimensions (calamine reserves room for each cell of them at once,
/// before reading any). An xls holds at most 65,536 rows; 64 columns of them fit.
pub const MAX_XLS_CELLS: u64 = 4_194_304;

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

/// Refuses an xls whose sheets would make calamine hold more than [`MAX_XLS_CELLS`] cells:
/// it reserves room for every cell a sheet's DIMENSIONS record declares before it reads one,
/// and then allocates the whole box between the first and the last cell it read, so a few
/// damaged bytes could ask for hundreds of gigabytes. The records are read where calamine
/// reads them: from each sheet's offset that the workbook's BOUNDSHEET records give.
pub fn check_xls(bytes: &[u8], path: &str) -> Result<(), ReadError> {
    let stream = match workbook_stream(bytes) {
        Ok(Some(stream)) => stream,
        // No workbook stream (an encrypted package, say): calamine says what it is.
        Ok(None) => return Ok(()),
        // calamine's own reader is more lenient, and then nothing here could tell how much
        // it would allocate: refused, with the way out.
        Err(e) => {
            return Err(ReadError::Damaged {
                path: path.to_string(),
                detail: format!(
                    "文件结构已损坏,请用 Excel 或 WPS 打开并另存为 .xlsx (its compound-file structure is broken: {e}; open it in Excel or WPS and save it as .xlsx)"
                ),
            })
        }
    };
    let cells = records(&stream, 0)
        .take_while(|(typ, _)| *typ != 0x000A)
        .filter(|(typ, data)| *typ == 0x0085 && data.len() >= 4)
        .map(|(_, data)| u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize)
        .map(|start| sheet_cells(&stream, start))
        .max();
    match cells {
        Some(cells) if cells > MAX_XLS_CELLS => Err(too_large(
            path,
            format!(
                "工作表有 {cells} 个单元格,超过上限 {MAX_XLS_CELLS} (a sheet spans {cells} cells, more than the {MAX_XLS_CELLS} bgy reads from an .xls sheet)"
            ),
        )),
        _ => Ok(()),
    }
}

/// The most cells calamine allocates for the sheet at `start`: what its DIMENSIONS records
/// declare, or the box around the cells it holds, records of embedded charts skipped as
/// calamine skips them. (Its formulas' box, allocated too, lies within the cells'.)
fn sheet_cells(stream: &[u8], start: usize) -> u64 {
    let mut cells = Span::default();
    let (mut declared, mut depth, mut seen_bof) = (0, 0usize, false);
    for (typ, r) in records(stream, start) {
        let u16_at = |i: usize| {
            r.get(i..i + 2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]) as u32)
        };
        let at = u16_at(0).zip(u16_at(2));
        match (depth, typ) {
            (0, 0x000A) => break,
            (_, 0x0809) if depth > 0 || seen_bof => depth += 1,
            (_, 0x0809) => seen_bof = true,
            (_, 0x000A) => depth -= 1,
            (0, 0x0200) => declared = declared.max(declared_cells(r)),
            (0, 0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006) => cells.add(at),
            (0, 0x00BD) => {
                cells.add(at);
                cells.add(u16_at(0).zip(u16_at(r.len().saturating_sub(2))));
            }
            // An embedded chart's records (depth 1 and below), and the sheet's others.
            _ => {}
        }
    }
    declared.max(cells.cells())
}

/// The box around the (row, column) positions seen so far.
#[derive(Default)]
struct Span(Option<(u32, u32, u32, u32)>);

impl Span {
    fn add(&mut self, at: Option<(u32, u32)>) {
        let Some((r, c)) = at else { return };
        let (r0, r1, c0, c1) = self.0.unwrap_or((r, r, c, c));
        self.0 = Some((r0.min(r), r1.max(r), c0.min(c), c1.max(c)));
    }

    fn cells(&self) -> u64 {
        self.0.map_or(0, |(r0, r1, c0, c1)| {
            (u64::from(r1 - r0) + 1) * (u64::from(c1 - c0) + 1)
        })
    }
}

/// The Workbook (or BIFF5 Book) stream of an OLE compound file, if it has one.
fn workbook_stream(bytes: &[u8]) -> std::io::Result<Option<Vec<u8>>> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes))?;
    let Ok(mut s) = file
        .open_stream("/Workbook")
        .or_else(|_| file.open_stream("/Book"))
    else {
        return Ok(None);
    };
    let mut stream = Vec::new();
    std::io::Read::read_to_end(&mut s, &mut stream)?;
    Ok(Some(stream))
}

/// The BIFF records of `stream` from `start`: (type, data), until one does not fit.
fn records(stream: &[u8], start: usize) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = start;
    std::iter::from_fn(move || {
        let head = stream.get(at..at.checked_add(4)?)?;
        let typ = u16::from_le_bytes([head[0], head[1]]);
        let len = u16::from_le_bytes([head[2], head[3]]) as usize;
        let data = stream.get(at + 4..at + 4 + len)?;
        at += 4 + len;
        Some((typ, data))
    })
}

/// The cells a DIMENSIONS record makes calamine reserve, with its arithmetic (which wraps).
fn declared_cells(r: &[u8]) -> u64 {
    let u16_at = |i: usize| u16::from_le_bytes([r[i], r[i + 1]]) as u32;
    let u32_at = |i: usize| u32::from_le_bytes([r[i], r[i + 1], r[i + 2], r[i + 3]]);
    let (rf, rl, mut cf, cl) = match r.len() {
        10 => (u16_at(0), u16_at(2), u16_at(4), u16_at(6)),
        14 | 16 => (u32_at(0), u32_at(4), u16_at(8), u16_at(10)),
        _ => return 0,
    };
    if 0xFF < cf || cl < cf {
        cf = 0;
    }
    let (start, end) = if 1 <= rl && 1 <= cl {
        ((rf, cf), (rl - 1, cl - 1))
    } else {
        ((rf, cf), (rf, cf))
    };
    let rows = end.0.wrapping_sub(start.0).wrapping_add(1) as u64;
    let cols = end.1.wrapping_sub(start.1).wrapping_add(1) as u64;
    rows.saturating_mul(cols)
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

/// Whether a cell's attribute may give it a value in calamine's reading: a formula, or any
/// `office:` value or type. `office:value="1"` alone is a number to calamine, with no
/// `office:value-type`; a cell's text is read only when its type says string, so its text is
/// no sign of its own.
fn holds_value(key: &str) -> bool {
    key == "table:formula" || key.starts_with("office:")
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
                if e.attributes()
                    .flatten()
                    .any(|a| holds_value(a.key.as_ref()))
                {
                    self.used_cols = self.cols;
                }
            }
            _ => {}
        }
    }

    /// An element closes; what is too large, once the grid passes [`MAX_GRID_CELLS`].
    fn end(&mut self, name: &str) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A BIFF record: its type, its length, its data.
    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let len = u16::try_from(data.len()).unwrap().to_le_bytes();
        [&typ.to_le_bytes()[..], &len, data].concat()
    }

    /// A cell record of `typ` at (row, column), as a NUMBER's (LABELSST, FORMULA … begin so).
    fn cell(typ: u16, row: u16, col: u16) -> Vec<u8> {
        record(
            typ,
            &[&row.to_le_bytes()[..], &col.to_le_bytes(), &[0; 10]].concat(),
        )
    }

    /// A DIMENSIONS record of BIFF8 (14 bytes) or larger: rows, then columns, each the first
    /// and one past the last.
    fn dimensions(rows: (u32, u32), cols: (u16, u16), len: usize) -> Vec<u8> {
        let mut data = [
            &rows.0.to_le_bytes()[..],
            &rows.1.to_le_bytes(),
            &cols.0.to_le_bytes(),
            &cols.1.to_le_bytes(),
        ]
        .concat();
        data.resize(len, 0);
        record(0x0200, &data)
    }

    const BOF: u16 = 0x0809;
    const EOF: u16 = 0x000A;

    /// A substream: BOF, `records`, EOF.
    fn substream(records: &[Vec<u8>]) -> Vec<u8> {
        [record(BOF, &[0; 16]), records.concat(), record(EOF, &[])].concat()
    }

    /// A workbook stream: its globals (`extra` records, then a BOUNDSHEET for each sheet at its
    /// offset), then the sheets, then `after` (a substream no BOUNDSHEET names).
    fn workbook(extra: &[Vec<u8>], sheets: &[Vec<u8>], after: &[u8]) -> Vec<u8> {
        let bound = |at: usize| {
            let at = u32::try_from(at).unwrap().to_le_bytes();
            record(0x0085, &[&at[..], &[0, 0, 1, 0, b's']].concat())
        };
        let globals = |at: &[usize]| {
            let bounds = at.iter().map(|&a| bound(a));
            substream(&extra.iter().cloned().chain(bounds).collect::<Vec<_>>())
        };
        let mut at = vec![globals(&vec![0; sheets.len()]).len()];
        for sheet in sheets {
            at.push(at.last().unwrap() + sheet.len());
        }
        [
            globals(&at[..sheets.len()]),
            sheets.concat(),
            after.to_vec(),
        ]
        .concat()
    }

    /// `stream` as an .xls: a compound file holding it as `name` (`/Workbook`, `/Book`).
    fn xls(name: &str, stream: &[u8]) -> Vec<u8> {
        let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        std::io::Write::write_all(&mut file.create_stream(name).unwrap(), stream).unwrap();
        file.into_inner().into_inner()
    }

    #[test]
    fn a_sheet_spans_the_box_around_its_cells_or_what_it_declares() {
        let cells = |records: &[Vec<u8>]| sheet_cells(&substream(records), 0);
        // Rows 3 to 10, columns B to E, whichever cell comes first.
        assert_eq!(cells(&[cell(0x0203, 9, 4), cell(0x00FD, 2, 1)]), 8 * 4);
        assert_eq!(cells(&[cell(0x0006, 0, 0)]), 1, "a formula is a cell");
        assert_eq!(cells(&[]), 0);
        // A MULRK runs from its first column to the one in its last two bytes.
        let mulrk = [
            &0u16.to_le_bytes()[..],
            &2u16.to_le_bytes(),
            &[0; 12],
            &11u16.to_le_bytes(),
        ];
        assert_eq!(cells(&[record(0x00BD, &mulrk.concat())]), 10);
        // DIMENSIONS: the larger of it and the cells.
        assert_eq!(
            cells(&[dimensions((0, 100), (0, 5), 14), cell(0x0203, 0, 0)]),
            500
        );
        assert_eq!(
            cells(&[
                dimensions((0, 2), (0, 2), 14),
                cell(0x0203, 0, 0),
                cell(0x0203, 9, 0)
            ]),
            10
        );
        // An embedded chart's records are not the sheet's; the sheet ends at its own EOF.
        let chart = substream(&[cell(0x0203, 60_000, 200)]);
        assert_eq!(cells(&[cell(0x0203, 0, 0), chart, cell(0x0203, 1, 1)]), 4);
        let two = [
            substream(&[cell(0x0203, 0, 0)]),
            substream(&[cell(0x0203, 999, 9)]),
        ];
        assert_eq!(sheet_cells(&two.concat(), 0), 1);
    }

    /// calamine's arithmetic for a DIMENSIONS record, which wraps and clamps.
    #[test]
    fn a_dimensions_record_declares_what_calamine_reserves() {
        let declared = |rows, cols, len| declared_cells(&dimensions(rows, cols, len)[4..]);
        assert_eq!(declared((0, 100), (0, 5), 14), 500);
        assert_eq!(declared((0, 100), (0, 5), 16), 500);
        assert_eq!(
            declared((0, 100), (0, 5), 12),
            0,
            "no DIMENSIONS of 12 bytes"
        );
        // No last column: one cell.
        assert_eq!(declared((0, 100), (0, 0), 14), 1);
        // A first column past 255, or after the last, is column A.
        assert_eq!(declared((0, 10), (300, 310), 14), 10 * 310);
        assert_eq!(declared((0, 10), (5, 3), 14), 10 * 3);
        // BIFF5: 10 bytes of 16-bit numbers.
        let biff5 = [1u16, 4, 0, 3, 0].map(u16::to_le_bytes).concat();
        assert_eq!(declared_cells(&biff5), 3 * 3);
    }

    #[test]
    fn the_largest_sheet_the_globals_name_is_what_an_xls_is_held_to() {
        let small = substream(&[cell(0x0203, 0, 0)]);
        let huge = substream(&[dimensions((0, 65_536), (0, 100), 14)]);
        let stream = workbook(&[], &[small.clone(), huge.clone()], &[]);
        let e = check_xls(&xls("/Workbook", &stream), "a.xls").unwrap_err();
        assert!(e.to_string().contains("a sheet spans 6553600 cells"), "{e}");
        // BIFF5 names its stream Book.
        assert!(check_xls(&xls("/Book", &stream), "a.xls").is_err());
        // No workbook stream: calamine says what the file is.
        assert!(check_xls(&xls("/Other", &stream), "a.xls").is_ok());
        assert!(check_xls(
            &xls(
                "/Workbook",
                &workbook(&[], std::slice::from_ref(&small), &[])
            ),
            "a.xls"
        )
        .is_ok());

        // Only the globals' BOUNDSHEET records place sheets: neither another record of the
        // globals nor one after them points calamine at a substream.
        let len = workbook(
            &[record(0x003D, &[0; 4])],
            std::slice::from_ref(&small),
            &[],
        )
        .len();
        let stray = record(0x003D, &u32::try_from(len).unwrap().to_le_bytes());
        let stream = workbook(&[stray], std::slice::from_ref(&small), &huge);
        assert!(check_xls(&xls("/Workbook", &stream), "a.xls").is_ok());
        let len = workbook(&[], &[substream(&[record(0x0085, &[0; 4])])], &[]).len();
        let late = record(0x0085, &u32::try_from(len).unwrap().to_le_bytes());
        let stream = workbook(&[], &[substream(&[late])], &huge);
        assert!(check_xls(&xls("/Workbook", &stream), "a.xls").is_ok());
    }

    /// `rows` of one table, checked as content.xml.
    fn ods(rows: &str) -> Result<(), ReadError> {
        let xml = format!(
            r#"<office:body><table:table table:name="t">{rows}</table:table></office:body>"#
        );
        check_ods_grid(xml.as_bytes(), "a.ods")
    }

    /// A row repeated `rows` times of a cell `attrs` repeated `cols` times, opened or empty.
    fn row(rows: u64, cols: u64, attrs: &str) -> String {
        format!(
            r#"<table:table-row table:number-rows-repeated="{rows}"><table:table-cell table:number-columns-repeated=" {cols} " {attrs}/></table:table-row>"#
        )
    }

    #[test]
    fn an_ods_grid_is_its_rows_to_the_last_valued_times_its_widest() {
        let number = r#"office:value-type="float" office:value="1""#;
        // 2,000 × 5,000 is the bound itself; a row more passes it.
        assert!(ods(&row(2_000, 5_000, number)).is_ok());
        let e = ods(&row(2_001, 5_000, number)).unwrap_err();
        assert!(
            e.to_string().contains("spans 2001 rows × 5000 columns"),
            "{e}"
        );
        // The widest row counts, wherever it is.
        assert!(ods(&(row(2_000, 5_000, number) + &row(1, 1, number))).is_err());
        // Empty rows count only below a valued one; a closed empty row too.
        let empty = "<table:table-row table:number-rows-repeated=\"1000000\"/>";
        assert!(ods(&(row(1, 5_000, number) + &row(1_048_000, 16_384, ""))).is_ok());
        assert!(ods(&(row(1, 5_000, number) + empty + &row(1, 1, number))).is_err());
        // What calamine reads as a value: `office:value` alone is a number, a formula is a
        // cell; a cell of text without a type is empty to it.
        assert!(ods(&row(2_001, 5_000, r#"office:value="1""#)).is_err());
        assert!(ods(&row(2_001, 5_000, r#"table:formula="of:=1""#)).is_err());
        assert!(ods(&row(2_001, 5_000, r#"table:style-name="ce1""#)).is_ok());
        let opened = r#"<table:table-row table:number-rows-repeated="2001"><table:table-cell table:number-columns-repeated="5000" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>"#;
        assert!(ods(opened).is_err());
        assert!(ods(&opened.replace(r#" office:value-type="string""#, "")).is_ok());
        // Each table on its own.
        let two = format!(
            r#"{}</table:table><table:table table:name="u">{}"#,
            row(1_500, 5_000, number),
            row(1_500, 5_000, number)
        );
        assert!(ods(&two).is_ok());
    }

    #[test]
    fn a_cell_is_held_to_excels_grid_and_the_text_to_its_bound() {
        let mut budget = Budget::new("a.xlsx", "s");
        let text = Cell::Text("x".into());
        assert!(budget.cell(&text, MAX_COLUMNS - 1, MAX_ROWS).is_ok());
        let e = budget.cell(&text, MAX_COLUMNS, 1).unwrap_err();
        assert!(e.to_string().contains("cell XFE1 lies past"), "{e}");
        assert!(budget.cell(&text, 0, MAX_ROWS + 1).is_err());
        // A cell of 32,767 characters is Excel's longest; of 32,768, none of Excel's.
        let long = |n| Cell::Text("字".repeat(n));
        assert!(budget.cell(&long(MAX_CELL_CHARS), 0, 2).is_ok());
        let e = budget.cell(&long(MAX_CELL_CHARS + 1), 1, 2).unwrap_err();
        assert!(
            matches!(e, ReadError::CellTooLong { chars: 32_768, .. }),
            "{e}"
        );
        // The text of all cells together.
        let mut budget = Budget::new("a.xlsx", "s");
        let cell = Cell::Text("x".repeat(MAX_CELL_CHARS));
        let fits = MAX_TEXT_BYTES / MAX_CELL_CHARS;
        for row in 1..=fits {
            budget.cell(&cell, 0, u32::try_from(row).unwrap()).unwrap();
        }
        let e = budget.cell(&cell, 0, 9_999).unwrap_err();
        assert!(
            e.to_string()
                .contains("more than 128 MiB of text by row 9999"),
            "{e}"
        );
    }
}
