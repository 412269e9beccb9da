//! calamine's xlsx reading as bgy drives it: the workbook opened (its shared strings parsed)
//! and a sheet's cells handed out one by one, compiled here, in a crate of their own.
//!
//! calamine's reader and quick-xml's parser are generic, so they are compiled into the crate
//! that calls them. Called from bgy's crate (large, in many codegen units) they came out
//! slower than the same calls in a small program: quick-xml's test for a tag's namespace
//! prefix (`str::find(':')`, on every tag) stayed a call of its own, 41 ms of a 100,000-row
//! sheet's 0.6 s read. Compiled here, calamine's bare read is within 2 % of the same loop in a
//! program of its own (1.08× as a function of bgy's library), and bgy pays one indirect call
//! a cell for its side of the work.

use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx, XlsxCellReader, XlsxError};

/// A workbook read from bytes in memory.
pub type Workbook<'b> = Xlsx<Cursor<&'b [u8]>>;

/// A sheet's cells, in the order the file holds them.
pub type Cells<'a, 'b> = XlsxCellReader<'a, Cursor<&'b [u8]>>;

/// Opens the workbook: its directory, sheet list, styles and shared strings.
pub fn open(bytes: &[u8]) -> Result<Workbook<'_>, XlsxError> {
    Xlsx::new(Cursor::new(bytes))
}

/// The cells of the sheet called `sheet`.
pub fn cells<'a, 'b>(wb: &'a mut Workbook<'b>, sheet: &str) -> Result<Cells<'a, 'b>, XlsxError> {
    wb.worksheet_cells_reader(sheet)
}

/// Hands each cell to `cell`, with its 0-based row and column and its style id, until the
/// sheet ends or `cell` answers `false`.
pub fn each_cell(
    cells: &mut Cells<'_, '_>,
    cell: &mut dyn FnMut(u32, u32, &DataRef<'_>, usize) -> bool,
) -> Result<(), XlsxError> {
    loop {
        // Looked at in place: moved out of its `Result` (`?`), calamine's answer is copied
        // through the stack twice per cell, in loads that straddle the stores that wrote it.
        let next = cells.next_cell_with_style_id();
        let (c, style) = match &next {
            Ok(Some((c, style))) => (c, *style),
            Ok(None) => return Ok(()),
            Err(_) => return next.map(drop),
        };
        let (row, col) = c.get_position();
        if !cell(row, col, c.get_value(), style) {
            return Ok(());
        }
    }
}
