//! Workbooks in the import layout (samples, exports, delete backups): the template's headers,
//! text format where Excel would eat leading zeros, dates as date cells, enumerations as their
//! Chinese labels; streamed in constant memory. Whatever this writes, `bgy import` reads back.

use std::path::Path;

use rust_xlsxwriter::{Color, DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use crate::model::StaffRecord;
use crate::model::{Field, Kind, Layout};

/// The header cells of every workbook bgy writes: bold on light blue.
pub fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
}

/// Saves `wb` to `path`, making its folder first. The workbook is written beside it under a
/// temporary name and renamed over `path` only once whole, so a save cut short (a full disk,
/// a kill) never leaves a partial or empty workbook that looks like a report or a backup.
pub fn save(wb: &mut Workbook, path: &Path) -> Result<(), XlsxError> {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir
        }
        None => Path::new("."),
    };
    let mut partial = tempfile::Builder::new()
        .prefix(".bgy-partial-")
        .suffix(".xlsx")
        .tempfile_in(dir)?;
    let _unfinished = crate::signals::Unfinished::file(partial.path());
    let mut out = std::io::BufWriter::new(partial.as_file_mut());
    wb.save_to_writer(&mut out)?;
    // A buffer dropped unflushed would lose its error (a full disk) and the workbook's end.
    std::io::Write::flush(&mut out)?;
    drop(out);
    partial
        .persist(path)
        .map_err(|e| XlsxError::IoError(e.error))?;
    Ok(())
}

/// A second sheet of departments (exports).
pub struct DeptSheet {
    pub rows: Vec<[String; 6]>,
}

pub use crate::model::{DEPT_SHEET, DEPT_TITLES};

/// Writes `people` (held or borrowed) in `layout` to `path`; returns how many rows were
/// written.
pub fn write_people(
    path: &Path,
    layout: Layout,
    columns: &[Field],
    people: impl IntoIterator<Item = impl std::borrow::Borrow<StaffRecord>>,
    departments: Option<&DeptSheet>,
) -> Result<usize, XlsxError> {
    write_people_titled(path, layout, columns, people, departments, None)
}

/// As [`write_people`], with a line above the header (the reader skips title rows).
pub fn write_people_titled(
    path: &Path,
    layout: Layout,
    columns: &[Field],
    people: impl IntoIterator<Item = impl std::borrow::Borrow<StaffRecord>>,
    departments: Option<&DeptSheet>,
    title: Option<&str>,
) -> Result<usize, XlsxError> {
    let mut w = PeopleXlsx::new(layout, columns, title)?;
    for values in people {
        w.push(values.borrow())?;
    }
    w.finish(path, departments)
}

/// A workbook of people in the import layout, written a person at a time in constant memory.
pub struct PeopleXlsx<'a> {
    wb: Workbook,
    columns: &'a [Field],
    text: Format,
    date: Format,
    /// The header's row, and the people written below it.
    top: u32,
    n: u32,
}

impl<'a> PeopleXlsx<'a> {
    pub fn new(
        layout: Layout,
        columns: &'a [Field],
        title: Option<&str>,
    ) -> Result<PeopleXlsx<'a>, XlsxError> {
        let mut wb = Workbook::new();
        wb.set_properties(&DocProperties::new().set_author("bgy"));
        let header = header_format();
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(layout.sheet_name())?;
        let top = u32::from(title.is_some());
        if let Some(title) = title {
            ws.write_string_with_format(0, 0, title, &Format::new().set_bold())?;
        }
        for (j, f) in columns.iter().enumerate() {
            ws.write_string_with_format(top, j as u16, f.header(layout), &header)?;
            ws.set_column_width(
                j as u16,
                if matches!(f, Field::WeDepartment) {
                    28
                } else {
                    14
                },
            )?;
        }
        ws.set_freeze_panes(top + 1, 0)?;
        Ok(PeopleXlsx {
            wb,
            columns,
            text: Format::new().set_num_format("@"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            top,
            n: 0,
        })
    }

    pub fn push(&mut self, values: &StaffRecord) -> Result<(), XlsxError> {
        self.n += 1;
        let row = self.top + self.n;
        let ws = self.wb.worksheet_from_index(0)?;
        for (j, f) in self.columns.iter().enumerate() {
            let Some(v) = values.get(*f).filter(|v| !v.is_empty()) else {
                continue;
            };
            let col = j as u16;
            match f.kind() {
                Kind::Date => match ExcelDateTime::parse_from_str(v) {
                    Ok(d) => ws.write_datetime_with_format(row, col, &d, &self.date)?,
                    Err(_) => ws.write_string_with_format(row, col, v, &self.text)?,
                },
                _ => ws.write_string_with_format(row, col, f.display(v), &self.text)?,
            };
        }
        Ok(())
    }

    /// Adds the departments sheet, if any, and saves; returns how many people were written.
    pub fn finish(
        mut self,
        path: &Path,
        departments: Option<&DeptSheet>,
    ) -> Result<usize, XlsxError> {
        if let Some(depts) = departments {
            let ds = self.wb.add_worksheet_with_constant_memory()?;
            ds.set_name(DEPT_SHEET)?;
            for (j, t) in DEPT_TITLES.iter().enumerate() {
                ds.write_string_with_format(0, j as u16, *t, &header_format())?;
                ds.set_column_width(j as u16, if j == 3 { 36 } else { 14 })?;
            }
            for (i, row) in depts.rows.iter().enumerate() {
                for (j, v) in row.iter().enumerate() {
                    let r = i as u32 + 1;
                    match v.parse::<f64>() {
                        Ok(num) if j != 1 && j != 3 => ds.write_number(r, j as u16, num)?,
                        _ => ds.write_string_with_format(r, j as u16, v, &self.text)?,
                    };
                }
            }
        }
        save(&mut self.wb, path)?;
        Ok(self.n as usize)
    }
}

/// Writes `people` as CSV, UTF-8 with a BOM so Excel opens the Chinese correctly; text that
/// Excel would run as a formula is guarded with a leading `'` (OWASP's advice on CSV injection).
pub fn write_people_csv(
    path: &Path,
    layout: Layout,
    columns: &[Field],
    people: impl IntoIterator<Item = StaffRecord>,
) -> anyhow::Result<usize> {
    let mut w = PeopleCsv::new(std::fs::File::create(path)?, layout, columns, true)?;
    for values in people {
        w.push(&values)?;
    }
    w.finish()
}

/// [`write_people_csv`] a person at a time.
pub struct PeopleCsv<'a, W: std::io::Write> {
    w: csv::Writer<std::io::BufWriter<W>>,
    columns: &'a [Field],
    n: usize,
}

impl<'a, W: std::io::Write> PeopleCsv<'a, W> {
    /// `bom`: the UTF-8 mark first, which Excel needs to read the file as UTF-8.
    pub fn new(
        out: W,
        layout: Layout,
        columns: &'a [Field],
        bom: bool,
    ) -> anyhow::Result<PeopleCsv<'a, W>> {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(out);
        if bom {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        let mut w = csv::Writer::from_writer(out);
        w.write_record(columns.iter().map(|f| f.header(layout)))?;
        Ok(PeopleCsv { w, columns, n: 0 })
    }

    pub fn push(&mut self, values: &StaffRecord) -> anyhow::Result<()> {
        // Excel runs a cell that starts with = + - @ as a formula: guard it (the reader
        // undoes exactly that, so export → import round-trips).
        self.w.write_record(self.columns.iter().map(|f| {
            crate::read::csv::guard(&f.display(values.get(*f).unwrap_or(""))).into_owned()
        }))?;
        self.n += 1;
        Ok(())
    }

    /// Flushes; returns how many people were written.
    pub fn finish(mut self) -> anyhow::Result<usize> {
        self.w.flush()?;
        Ok(self.n)
    }
}
