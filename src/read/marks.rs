//! What an xlsx sheet says of its rows besides their cells, which calamine's cell reader passes
//! over: the rows hidden (a filter, 筛选, or by hand), the merged ranges (合并单元格), and the
//! formulas a program left without their result (calamine reads them as empty). Each changes
//! what the person sees or what bgy reads, and all are read in one pass over the sheet's XML
//! before its cells are: a hidden row is told on the row itself, a merged range's value is
//! given to the rows under its first, and the formulas are named in a warning.
//!
//! The pass costs about what reading the cells does, so it is made for the workbooks a person
//! makes by hand ([`MARKS_UP_TO`]), and for a larger one when its sheet has a filter (Excel and
//! WPS name a filter's range `_xlnm._FilterDatabase`): a 100,000-row export has neither.

use std::io::{BufRead, BufReader, Cursor};

use quick_xml::events::{BytesStart, Event};
use quick_xml::XmlVersion;

use super::merged;
use crate::remedy::Advice;

/// Workbooks up to this size have their sheet's marks read (~13,000 rows of staff data). The
/// pass is a parse of the whole sheet: a check of a 20,000-row xlsx (1.5 MB) took 0.182 s with
/// calamine's own pass for merged ranges, 0.128 s without (21 pairs), ~2.7 ms a 1,000 rows.
pub const MARKS_UP_TO: usize = 1 << 20;

/// A merged range: its first and last cell, `(row, column)`, 0-based.
pub type Range = ((u32, u32), (u32, u32));

/// A sheet's marks.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Marks {
    /// The hidden rows, 0-based, in order.
    pub hidden: Vec<u32>,
    pub merged: Vec<Range>,
    /// Formula cells without a saved result (read as empty), and the first rows (1-based)
    /// that have one.
    pub uncalculated: usize,
    pub uncalculated_rows: Vec<u32>,
    /// Rows past those have one too.
    pub more_uncalculated_rows: bool,
}

/// Whether the workbook's defined names give `sheet` a filter (`_xlnm._FilterDatabase`, its
/// value `花名册!$A$1:$P$301` or `'HR list'!$A$1:$P$301`).
pub fn has_filter(names: &[(String, String)], sheet: &str) -> bool {
    let quoted = format!("'{}'!", sheet.replace('\'', "''"));
    let bare = format!("{sheet}!");
    (names.iter())
        .filter(|(name, _)| name.eq_ignore_ascii_case("_xlnm._FilterDatabase"))
        .any(|(_, value)| value.starts_with(&quoted) || value.starts_with(&bare))
}

/// The marks of the worksheet called `sheet` in the xlsx `bytes`; none when its part cannot be
/// found or read (the rows are then read as the file holds them, as before this pass).
pub fn read(bytes: &[u8], sheet: &str) -> Marks {
    read_marks(bytes, sheet).unwrap_or_default()
}

fn read_marks(bytes: &[u8], sheet: &str) -> Option<Marks> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    // The workbook's part, as the package's relationships name it (as calamine finds it):
    // `xl/workbook.xml` in what Excel and WPS write, elsewhere in what some programs do.
    let workbook = (zip.by_name("_rels/.rels").ok())
        .and_then(|rels| {
            target_of(BufReader::new(rels), |_, kind| {
                kind.ends_with("/officeDocument")
            })
        })
        .map(|target| target.trim_start_matches('/').to_string())
        .unwrap_or_else(|| "xl/workbook.xml".into());
    let (dir, name) = match workbook.rsplit_once('/') {
        Some((dir, name)) => (format!("{dir}/"), name),
        None => (String::new(), workbook.as_str()),
    };
    let id = sheet_id(BufReader::new(zip.by_name(&workbook).ok()?), sheet)?;
    let rels = zip.by_name(&format!("{dir}_rels/{name}.rels")).ok()?;
    let target = target_of(BufReader::new(rels), |rel, _| rel == id)?;
    let part = match target.strip_prefix('/') {
        Some(absolute) => absolute.to_string(),
        None => format!("{dir}{target}"),
    };
    let xml = zip.by_name(&part).ok()?;
    scan(BufReader::with_capacity(64 << 10, xml))
}

/// The relationship id (`r:id`) of the sheet called `sheet` in `xl/workbook.xml`.
fn sheet_id(xml: impl BufRead, sheet: &str) -> Option<String> {
    let mut found = None;
    each_start(xml, |e| {
        if e.local_name().as_ref() != "sheet" {
            return true;
        }
        if attr(e, "name").as_deref() != Some(sheet) {
            return true;
        }
        found = (e.attributes().flatten())
            .find(|a| a.key.local_name().as_ref() == "id" && a.key.prefix().is_some())
            .and_then(|a| {
                a.normalized_value(XmlVersion::Implicit1_0)
                    .ok()
                    .map(|v| v.into_owned())
            });
        false
    })?;
    found
}

/// The `Target` of the first relationship in a `.rels` part that `wanted` takes, given its
/// `Id` and `Type`.
fn target_of(xml: impl BufRead, wanted: impl Fn(&str, &str) -> bool) -> Option<String> {
    let mut found = None;
    each_start(xml, |e| {
        if e.local_name().as_ref() != "Relationship" {
            return true;
        }
        let (id, kind) = (
            attr(e, "Id").unwrap_or_default(),
            attr(e, "Type").unwrap_or_default(),
        );
        if !wanted(&id, &kind) {
            return true;
        }
        found = attr(e, "Target");
        false
    })?;
    found
}

/// The sheet's hidden rows, merged ranges and formulas without their result.
fn scan(xml: impl BufRead) -> Option<Marks> {
    let mut marks = Marks::default();
    // Rows without an `r` follow the one before.
    let mut row: u32 = 0;
    // The cell being read (`<c>…</c>`), and the row of the last formula without its result.
    let mut cell: Option<CellMarks> = None;
    let mut last_uncalculated = None;
    let mut reader = reader(xml);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let (e, opens) = match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            Event::Text(_) => {
                if let Some(c) = cell.as_mut().filter(|c| c.in_value) {
                    c.value = true;
                }
                continue;
            }
            Event::End(e) => {
                if !is_cell_end(e.name().as_ref()) {
                    if let Some(c) = &mut cell {
                        c.in_value = false;
                    }
                    continue;
                }
                if cell.take().is_some_and(|c| c.uncalculated()) {
                    marks.uncalculated += 1;
                    if last_uncalculated != Some(row) {
                        last_uncalculated = Some(row);
                        match marks.uncalculated_rows.len() < NAMED_ROWS {
                            true => marks.uncalculated_rows.push(row),
                            false => marks.more_uncalculated_rows = true,
                        }
                    }
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        match (e.local_name().as_ref(), &mut cell) {
            ("c", _) => cell = opens.then(|| CellMarks::of(&e)),
            ("f", Some(c)) => c.formula = true,
            ("v", Some(c)) => c.in_value = opens,
            ("is", Some(c)) => c.value = true,
            ("row", _) => row = row_mark(&e, row, &mut marks.hidden),
            // Only the ranges that fill cells are kept, as many as a fill looks at (a hostile
            // file's ranges are not all held, and its banners do not crowd out the rest).
            ("mergeCell", _) if marks.merged.len() < merged::MAX_RANGES => {
                let range = attr(&e, "ref").as_deref().and_then(range_of);
                if let Some(range) = range.filter(|&r| merged::fills(r)) {
                    marks.merged.push(range);
                }
            }
            _ => {}
        }
    }
    // A hostile file may list rows out of order: looked up as sorted.
    marks.hidden.sort_unstable();
    marks.hidden.dedup();
    Some(marks)
}

/// The 1-based number of the row `e` opens (`before` + 1 when it has none), noted in `hidden`
/// (0-based) when it is hidden.
fn row_mark(e: &BytesStart, before: u32, hidden: &mut Vec<u32>) -> u32 {
    // Each row's attributes looked at once, in place (no copy, no check for repeated names):
    // this is most of the pass's own work.
    let (mut r, mut is_hidden) = (None, false);
    for a in e.attributes().with_checks(false).flatten() {
        match a.key.local_name().as_ref() {
            "r" => r = a.value.parse::<u32>().ok(),
            "hidden" => is_hidden = matches!(a.value.as_ref(), "1" | "true"),
            _ => {}
        }
    }
    let row = r.unwrap_or(before.saturating_add(1));
    // A sheet has no more rows than Excel's, and a hostile one naming a row again and again
    // is not held without end.
    let room = hidden.len() < super::MAX_ROWS as usize;
    if is_hidden && room && row > 0 && row <= super::MAX_ROWS {
        hidden.push(row - 1);
    }
    row
}

/// What a cell (`<c>…</c>`) holds, as far as it has been read.
struct CellMarks {
    formula: bool,
    /// Its value's text, or an inline string.
    value: bool,
    /// Inside its `<v>`.
    in_value: bool,
    /// A formula's text result (`t="str"`): an empty one is a result, `""`.
    text: bool,
}

impl CellMarks {
    fn of(e: &BytesStart) -> CellMarks {
        CellMarks {
            formula: false,
            value: false,
            in_value: false,
            // The tag's few bytes searched, not its attributes parsed: every cell comes here.
            text: e.as_ref().contains(r#"t="str""#),
        }
    }

    /// A formula without a saved result: none at all (`<f>…</f>` alone, or `<v/>` as
    /// programs write it), or an empty one that is not a text result.
    fn uncalculated(&self) -> bool {
        self.formula && !self.value && !self.text
    }
}

/// `</c>` or `</x:c>`.
fn is_cell_end(name: &str) -> bool {
    name == "c" || name.ends_with(":c")
}

/// How many rows a warning names.
const NAMED_ROWS: usize = 5;

/// A reader configured as calamine reads a sheet: an end tag's name is not checked against its
/// start's (a stack kept of every element's name was most of this pass's own work).
fn reader<R: BufRead>(xml: R) -> quick_xml::Reader<R> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.check_comments = false;
    reader
}

/// The warning for formula cells that have no result saved (a file a program wrote: Excel and
/// WPS save each formula's result), which calamine reads as empty.
pub fn uncalculated_said(marks: &Marks) -> Option<Advice> {
    if marks.uncalculated == 0 {
        return None;
    }
    let mut rows: Vec<String> = (marks.uncalculated_rows.iter())
        .map(u32::to_string)
        .collect();
    if marks.more_uncalculated_rows {
        rows.push("…".into());
    }
    let n = marks.uncalculated;
    Some(Advice::new(format!(
        "{n} 个公式单元格没有保存计算结果,按空白读取 (第 {} 行):文件像是程序生成的;在 Excel 或 WPS 里打开、保存一次,再运行 ({n} formula cells have no saved result and were read as empty (rows {}): the file seems made by a program; open it in Excel or WPS, save it, and run again)",
        rows.join("、"),
        rows.join(", ")
    )))
}

/// Hands each start (or empty) tag to `each` until the document ends or `each` answers
/// `false`; `None` when the XML cannot be read.
pub(crate) fn each_start(
    xml: impl BufRead,
    mut each: impl FnMut(&BytesStart) -> bool,
) -> Option<()> {
    let mut reader = reader(xml);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) | Event::Empty(e) if !each(&e) => return Some(()),
            Event::Eof => return Some(()),
            _ => {}
        }
    }
}

/// The value of the attribute whose local name is `name`.
pub(crate) fn attr(e: &BytesStart, name: &str) -> Option<String> {
    (e.attributes().flatten())
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// `B2:D7` (or a single `B2`) as its first and last cell, 0-based.
fn range_of(text: &str) -> Option<Range> {
    let (first, last) = text.split_once(':').unwrap_or((text, text));
    Some((cell_of(first)?, cell_of(last)?))
}

/// `B2` as `(1, 1)`; `$B$2` too.
fn cell_of(text: &str) -> Option<(u32, u32)> {
    let text = text.replace('$', "");
    let digits = text.find(|c: char| c.is_ascii_digit())?;
    let (letters, number) = text.split_at(digits);
    if letters.is_empty() || letters.len() > 3 || !letters.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return None;
    }
    let column = (letters.bytes()).fold(0u32, |n, b| {
        n * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1)
    });
    let row: u32 = number.parse().ok()?;
    Some((row.checked_sub(1)?, column - 1))
}

/// Whether a read of `size` bytes, whose sheet has a filter or not, has its marks read.
pub fn worth_reading(size: usize, filtered: bool) -> bool {
    size <= MARKS_UP_TO || filtered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_reference_is_its_row_and_column() {
        assert_eq!(cell_of("A1"), Some((0, 0)));
        assert_eq!(cell_of("$AB$12"), Some((11, 27)));
        assert_eq!(range_of("D2:D4"), Some(((1, 3), (3, 3))));
        assert_eq!(range_of("C5"), Some(((4, 2), (4, 2))));
        for bad in ["", "12", "A0", "ABCD1", "A", "é1"] {
            assert_eq!(cell_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_filter_is_found_by_its_sheet_name_quoted_or_not() {
        let names = |v: &str| vec![("_xlnm._FilterDatabase".to_string(), v.to_string())];
        assert!(has_filter(&names("花名册!$A$1:$P$301"), "花名册"));
        assert!(has_filter(&names("'HR list'!$A$1:$C$9"), "HR list"));
        assert!(has_filter(&names("'It''s'!$A$1:$C$9"), "It's"));
        let lower = vec![("_xlnm._filterdatabase".into(), "花名册!$A$1:$P$301".into())];
        assert!(has_filter(&lower, "花名册"));
        assert!(!has_filter(&names("花名册2!$A$1:$P$301"), "花名册"));
        assert!(!has_filter(
            &[("Print_Area".into(), "花名册!$A$1".into())],
            "花名册"
        ));
    }

    /// A zip package of `parts`, each a name and its text.
    fn package(parts: &[(&str, &str)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, text) in parts {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut zip, text.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    /// The sheet is found by its name through the workbook's relationships, wherever the
    /// package puts the workbook and its sheets.
    #[test]
    fn a_sheet_is_found_through_the_package_relationships() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        wb.add_worksheet().set_name("封面").unwrap();
        let ws = wb.add_worksheet().set_name("名单").unwrap();
        ws.set_row_hidden(4).unwrap();
        ws.merge_range(1, 3, 3, 3, "研发部", &rust_xlsxwriter::Format::new())
            .unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let marks = read(&bytes, "名单");
        assert_eq!(marks.hidden, [4]);
        assert_eq!(marks.merged, [((1, 3), (3, 3))]);
        assert_eq!(read(&bytes, "封面"), Marks::default());
        assert_eq!(read(&bytes, "没有"), Marks::default());

        // A package whose workbook is not `xl/workbook.xml`, named after the package's other
        // parts (as Excel lists them), its sheet by an absolute target.
        let parts = [
            (
                "_rels/.rels",
                r#"<Relationships><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="/book/wb.xml"/></Relationships>"#,
            ),
            (
                "book/wb.xml",
                r#"<workbook xmlns:r="r"><sheets><sheet name="名单" sheetId="1" r:id="rId7"/></sheets></workbook>"#,
            ),
            (
                "book/_rels/wb.xml.rels",
                r#"<Relationships><Relationship Id="rId7" Type="t/worksheet" Target="/book/sheets/s.xml"/></Relationships>"#,
            ),
            (
                "book/sheets/s.xml",
                r#"<worksheet><sheetData><row r="2" hidden="1"/></sheetData></worksheet>"#,
            ),
        ];
        let bytes = package(&parts);
        assert_eq!(read(&bytes, "名单").hidden, [1]);

        // No package relationships: the workbook where Excel puts it.
        let parts = [
            (
                "xl/workbook.xml",
                r#"<workbook xmlns:r="r"><sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            ),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<Relationships><Relationship Id="rId1" Type="t/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
            ),
            (
                "xl/worksheets/sheet1.xml",
                r#"<worksheet><sheetData><row r="3" hidden="1"/></sheetData></worksheet>"#,
            ),
        ];
        let bytes = package(&parts);
        assert_eq!(read(&bytes, "名单").hidden, [2]);
    }

    #[test]
    fn hidden_rows_and_merged_ranges_are_read_from_the_sheet() {
        let xml = r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
            <row r="1"><c r="A1" t="s"><v>0</v></c></row>
            <row r="3" hidden="1"><c r="A3"><v>1</v></c></row>
            <row hidden="true"/>
            <row r="9" hidden="0"/>
            </sheetData><mergeCells count="1"><mergeCell ref="D2:D4"/></mergeCells></worksheet>"#;
        let marks = scan(xml.as_bytes()).unwrap();
        assert_eq!(marks.hidden, [2, 3]);
        assert_eq!(marks.merged, [((1, 3), (3, 3))]);
        // A prefixed sheet (`x:row`), as some libraries write it.
        let prefixed = r#"<x:worksheet xmlns:x="m"><x:sheetData><x:row r="2" hidden="1"/><x:row r="3"><x:c r="A3"><x:f>1</x:f></x:c></x:row></x:sheetData></x:worksheet>"#;
        let marks = scan(prefixed.as_bytes()).unwrap();
        assert_eq!((marks.hidden, marks.uncalculated_rows), (vec![1], vec![3]));
        // Out of order, named twice, past Excel's last row: looked up as sorted, once, within
        // the sheet.
        let hostile = r#"<sheetData><row r="9" hidden="1"/><row r="4" hidden="1"/><row r="9" hidden="1"/><row r="2000000" hidden="1"/></sheetData>"#;
        assert_eq!(scan(hostile.as_bytes()).unwrap().hidden, [3, 8]);
        assert_eq!(scan(r#"<a><row r="1" hidden="1"#.as_bytes()), None);
    }

    /// A formula whose result a program did not save is read as empty: counted, with its rows.
    /// A result, a text result that is empty (`""`) and an inline string are results.
    /// The ranges that fill cells are kept, as many as a fill looks at: a hostile file's
    /// banners (one row, which fill nothing) do not crowd out a range that fills.
    #[test]
    fn merged_ranges_kept_are_those_that_fill_and_no_more_than_a_fill_reads() {
        let ranges = |refs: &mut dyn Iterator<Item = String>| {
            let cells: String = refs.map(|r| format!(r#"<mergeCell ref="{r}"/>"#)).collect();
            scan(format!("<mergeCells>{cells}</mergeCells>").as_bytes())
                .unwrap()
                .merged
        };
        let banners = (1..=merged::MAX_RANGES).map(|r| format!("A{r}:Z{r}"));
        assert_eq!(
            ranges(&mut banners.chain(["B2:B3".to_string()])),
            [((1, 1), (2, 1))]
        );
        let many = (1..=merged::MAX_RANGES + 5).map(|r| format!("C{r}:C{}", r + 1));
        assert_eq!(ranges(&mut many.into_iter()).len(), merged::MAX_RANGES);
    }

    #[test]
    fn formulas_without_a_saved_result_are_counted() {
        let xml = r#"<worksheet><sheetData>
            <row r="2"><c r="A2"><f>1+1</f><v/></c><c r="B2"><f>1+1</f></c></row>
            <row r="3"><c r="A3"><f t="shared" si="0"/></c><c r="B3"><f>1</f><v>2</v></c></row>
            <row r="4"><c r="A4" t="str"><f>IF(1,"","x")</f><v></v></c><c r="B4" t="inlineStr"><f>1</f><is><t>x</t></is></c></row>
            <row r="5"><c r="A5"><v>5</v></c><c r="B5"/></row>
            <row r="6"><c r="A6"><f>1</f><v></v>
            </c></row>
            </sheetData></worksheet>"#;
        let marks = scan(xml.as_bytes()).unwrap();
        assert_eq!(
            (marks.uncalculated, marks.uncalculated_rows),
            (4, vec![2, 3, 6])
        );
        let said = uncalculated_said(&scan(xml.as_bytes()).unwrap())
            .unwrap()
            .text;
        assert!(
            said.contains("4 formula cells have no saved result")
                && said.contains("(rows 2, 3, 6)"),
            "{said}"
        );
        assert_eq!(uncalculated_said(&Marks::default()), None);
        let rows: String = (1..=7)
            .map(|r| format!(r#"<row r="{r}"><c><f>1</f></c></row>"#))
            .collect();
        let said = uncalculated_said(&scan(rows.as_bytes()).unwrap())
            .unwrap()
            .text;
        assert!(said.contains("(rows 1, 2, 3, 4, 5, …)"), "{said}");
    }
}
