//! Minimal xlsx and ods packages written part by part, streamed, for files no spreadsheet
//! program would write: zip bombs, cells past Excel's grid, repeated-cell bombs. Shared by
//! `examples/hostile.rs` and the integration tests (`#[path]`), so each hostile file is made
//! one way.
#![allow(dead_code)]

use std::io::{Seek, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
const SHEET_TAIL: &str = "</sheetData></worksheet>";
const SST_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#;
const ODS_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>"#;
const ODS_TAIL: &str = "</office:spreadsheet></office:body></office:document-content>";
const ODS_MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;

/// Writes the `<sheetData>` content (or the shared strings' `<si>` items) into a part.
pub type Body<'a> = &'a mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>;

fn deflated() -> SimpleFileOptions {
    // Level 1: the bombs are gigabytes of the same bytes, and speed matters more than size.
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(true)
}

/// A one-sheet xlsx: `sheet` writes the `<sheetData>` content, `shared` the `<sst>` items.
pub fn xlsx<W: Write + Seek>(out: W, sheet: Body, shared: Option<Body>) -> std::io::Result<W> {
    let mut zip = ZipWriter::new(out);
    for (name, text) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
    ] {
        zip.start_file(name, deflated())?;
        zip.write_all(text.as_bytes())?;
    }
    zip.start_file("xl/worksheets/sheet1.xml", deflated())?;
    zip.write_all(SHEET_HEAD.as_bytes())?;
    sheet(&mut zip)?;
    zip.write_all(SHEET_TAIL.as_bytes())?;
    if let Some(shared) = shared {
        zip.start_file("xl/sharedStrings.xml", deflated())?;
        zip.write_all(SST_HEAD.as_bytes())?;
        shared(&mut zip)?;
        zip.write_all(b"</sst>")?;
    }
    Ok(zip.finish()?)
}

/// A one-sheet xlsx from its `<sheetData>` content, in memory.
pub fn xlsx_bytes(sheet_data: &str, shared: Option<&str>) -> Vec<u8> {
    let mut sheet = |w: &mut dyn Write| w.write_all(sheet_data.as_bytes());
    let mut sst = shared.map(|s| move |w: &mut dyn Write| w.write_all(s.as_bytes()));
    let shared: Option<Body> = sst.as_mut().map(|f| f as Body);
    xlsx(std::io::Cursor::new(Vec::new()), &mut sheet, shared)
        .expect("writing to memory")
        .into_inner()
}

/// An ods whose `<office:spreadsheet>` holds `tables`.
pub fn ods_bytes(tables: &str) -> Vec<u8> {
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let write = |zip: &mut ZipWriter<_>, name: &str, options, text: &str| {
        zip.start_file(name, options).expect("zip in memory");
        zip.write_all(text.as_bytes()).expect("zip in memory");
    };
    write(
        &mut zip,
        "mimetype",
        stored,
        "application/vnd.oasis.opendocument.spreadsheet",
    );
    write(
        &mut zip,
        "content.xml",
        deflated(),
        &format!("{ODS_HEAD}{tables}{ODS_TAIL}"),
    );
    write(&mut zip, "META-INF/manifest.xml", deflated(), ODS_MANIFEST);
    zip.finish().expect("zip in memory").into_inner()
}

/// A header row 帐号 姓名 手机 部门, inline strings.
pub fn header_row() -> String {
    row(1, &["帐号", "姓名", "手机", "部门"])
}

/// One row of inline-string cells from column A.
pub fn row(r: u32, cells: &[&str]) -> String {
    let mut s = format!(r#"<row r="{r}">"#);
    for (c, text) in cells.iter().enumerate() {
        let col = (b'A' + c as u8) as char;
        s.push_str(&format!(
            r#"<c r="{col}{r}" t="inlineStr"><is><t>{text}</t></is></c>"#
        ));
    }
    s.push_str("</row>");
    s
}
