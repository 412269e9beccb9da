//! Hostile files: zip bombs, repeated-cell bombs, cells past Excel's grid, stray CSV quotes,
//! hidden sheets, formulas in CSV exports. Each is refused with exit 2 and one clear sentence,
//! quickly, or read the way the person meant. Tests are named after what broke.

use std::time::{Duration, Instant};

use crate::common::*;
use crate::workbooks::{ods_bytes, xlsx_bytes};

/// Sets the declared uncompressed size of `part` (local header and central directory).
pub fn declare_size(zip: &mut [u8], part: &str, size: u32) {
    let name = part.as_bytes();
    let mut patched = 0;
    for i in 0..zip.len().saturating_sub(46) {
        let (name_len_at, size_at, name_at) = match &zip[i..i + 4] {
            b"PK\x03\x04" => (i + 26, i + 22, i + 30),
            b"PK\x01\x02" => (i + 28, i + 24, i + 46),
            _ => continue,
        };
        let len = u16::from_le_bytes([zip[name_len_at], zip[name_len_at + 1]]) as usize;
        if zip.get(name_at..name_at + len) == Some(name) {
            zip[size_at..size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "{part} patched in both headers");
}

/// `bgy check FILE` must refuse it with exit 2, quickly, saying `expect`.
async fn refused(name: &str, bytes: &[u8], expect: &str) {
    let b = Bgy::new();
    b.write(name, bytes);
    let started = Instant::now();
    let r = b.run(&["check", name]).await;
    r.assert_code(2);
    assert!(r.stderr.contains(expect), "{name}: {}", r.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{name} took {:?}",
        started.elapsed()
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

const HEADER_ROW: &str = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>帐号</t></is></c><c r="B1" t="inlineStr"><is><t>姓名</t></is></c></row>"#;

#[tokio::test]
async fn a_sheet_that_declares_gigabytes_is_refused_before_inflating() {
    let mut bomb = xlsx_bytes(HEADER_ROW, None);
    declare_size(&mut bomb, "xl/worksheets/sheet1.xml", 3 << 30);
    refused("bomb.xlsx", &bomb, "inflates to 3221225472 bytes").await;
}

#[tokio::test]
async fn a_two_gigabyte_shared_string_is_refused_before_inflating() {
    let mut bomb = xlsx_bytes(HEADER_ROW, Some("<si><t>x</t></si>"));
    declare_size(&mut bomb, "xl/sharedStrings.xml", 2 << 30);
    refused("sst.xlsx", &bomb, "xl/sharedStrings.xml").await;
}

/// Each part is held to its own bound before anything is inflated: a worksheet to 512 MiB
/// (it is streamed), any other part to 128 MiB (held whole), all of them to 1 GiB together.
#[tokio::test]
async fn each_part_is_held_to_its_own_bound() {
    const MIB: u32 = 1 << 20;
    let person = r#"<row r="2"><c r="A2" t="inlineStr"><is><t>lisi</t></is></c><c r="B2" t="inlineStr"><is><t>李四</t></is></c></row>"#;
    let sheet = "xl/worksheets/sheet1.xml";
    // A sheet declaring 300 MiB is within its bound: read (the part ends where it ends).
    let mut large = xlsx_bytes(&format!("{HEADER_ROW}{person}"), None);
    declare_size(&mut large, sheet, 300 * MIB);
    let b = Bgy::new();
    b.write("large.xlsx", &large);
    let r = b.run(&["check", "large.xlsx", "--json"]).await;
    assert!(!r.stderr.contains("inflates"), "{}", r.stderr);
    assert_eq!(r.json()["total"], 1, "{}", r.stderr);
    // Past it by a MiB.
    declare_size(&mut large, sheet, 513 * MIB);
    refused("large.xlsx", &large, "inflates to 537919488 bytes").await;
    // Shared strings past theirs by a MiB.
    let mut sst = xlsx_bytes(HEADER_ROW, Some("<si><t>x</t></si>"));
    declare_size(&mut sst, "xl/sharedStrings.xml", 129 * MIB);
    refused(
        "sst.xlsx",
        &sst,
        "\"xl/sharedStrings.xml\" inflates to 135266304 bytes",
    )
    .await;
    // Every part within its own bound, 1,146 MiB together.
    let parts = [
        "[Content_Types].xml",
        "_rels/.rels",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/sharedStrings.xml",
    ];
    for part in parts {
        declare_size(&mut sst, part, 127 * MIB);
    }
    declare_size(&mut sst, sheet, 511 * MIB);
    refused(
        "all.xlsx",
        &sst,
        "the parts inflate to 1201668096 bytes in all",
    )
    .await;
}

/// A file past 512 MiB is refused by its size, unread (a sparse file: no disk used).
#[tokio::test]
async fn a_file_past_the_size_bound_is_refused_unread() {
    let b = Bgy::new();
    let path = b.write("huge.xlsx", b"");
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len((512 << 20) + 1)
        .unwrap();
    let started = Instant::now();
    let r = b.run(&["check", "huge.xlsx"]).await;
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("the file has 536870913 bytes, more than the 512 MiB bgy reads"),
        "{}",
        r.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_part_larger_than_it_declares_stops_at_what_it_declared() {
    // 20 MB of rows that claim to be 1 KB: the zip crate stops at the declared size.
    let rows: String = (2..200_000)
        .map(|r| {
            format!(r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>u{r}</t></is></c></row>"#)
        })
        .collect();
    let mut liar = xlsx_bytes(&format!("{HEADER_ROW}{rows}"), None);
    declare_size(&mut liar, "xl/worksheets/sheet1.xml", 1024);
    refused("liar.xlsx", &liar, "damaged").await;
}

#[tokio::test]
async fn an_ods_of_repeated_cells_is_refused_before_expanding() {
    let table = r#"<table:table table:name="炸弹"><table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>"#;
    let bomb = ods_bytes(table);
    assert!(bomb.len() < 2000, "a small file: {} bytes", bomb.len());
    // Named, with the size it would spread to.
    refused(
        "bomb.ods",
        &bomb,
        "sheet \"炸弹\" spans 1048576 rows × 16384 columns once its repeated cells are expanded",
    )
    .await;
}

#[tokio::test]
async fn an_ods_with_trailing_empty_repeats_still_reads() {
    // LibreOffice ends every sheet with an empty row repeated to the last row.
    let table = r#"<table:table table:name="员工"><table:table-row><table:table-cell office:value-type="string"><text:p>帐号</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>姓名</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>手机</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>部门</text:p></table:table-cell><table:table-cell table:number-columns-repeated="16380"/></table:table-row><table:table-row><table:table-cell office:value-type="string"><text:p>od1</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>甲</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>13800000001</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>办公逸</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1048574"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>"#;
    let b = Bgy::new();
    b.write("ok.ods", ods_bytes(table));
    let r = b.run(&["check", "ok.ods", "--json"]).await;
    r.assert_code(0);
    assert_eq!(r.json()["total"], 1);
}

#[tokio::test]
async fn a_cell_past_the_last_row_is_refused() {
    let far = format!(
        r#"{HEADER_ROW}<row r="5000000"><c r="A5000000" t="inlineStr"><is><t>x</t></is></c></row>"#
    );
    refused("far.xlsx", &xlsx_bytes(&far, None), "last row").await;
    let wide =
        format!(r#"{HEADER_ROW}<row r="2"><c r="ZZZZ2" t="inlineStr"><is><t>x</t></is></c></row>"#);
    refused("wide.xlsx", &xlsx_bytes(&wide, None), "last column").await;
}

#[tokio::test]
async fn a_stray_csv_quote_is_an_input_error_naming_its_line() {
    let b = Bgy::new();
    b.write(
        "staff.csv",
        "帐号,姓名,手机,部门\nq1,张三,13800000001,办公逸\nq2,\"李四,13800000002,办公逸\nq3,王五,13800000003,办公逸\n",
    );
    let r = b.run(&["check", "staff.csv"]).await;
    r.assert_code(2);
    assert!(
        r.stderr.contains("第 3 行") && r.stderr.contains("line 3"),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn a_stray_csv_quote_no_longer_makes_sync_prune_delete_people() {
    let emu = emulator().await;
    emu.store.insert_staff(people("p", 60)).unwrap();
    let b = Bgy::new().against(&emu);
    b.run(&["export", "-o", "all.csv"]).await.assert_code(0);
    let text = std::fs::read_to_string(b.path("all.csv")).unwrap();
    // One stray quote, early: it used to swallow every row after it.
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[3] = lines[3].replacen(',', ",\"", 1);
    b.write("all.csv", lines.join("\n"));
    let before = emu.store.staff_count();
    let r = b.run(&["sync", "all.csv", "--prune", "--yes"]).await;
    r.assert_code(2);
    assert!(r.stderr.contains("第 4 行"), "{}", r.stderr);
    assert_eq!(emu.store.staff_count(), before, "nobody was deleted");
}

#[tokio::test]
async fn the_first_visible_sheet_is_read_and_the_hidden_one_named() {
    let b = Bgy::new();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let old = wb.add_worksheet();
    old.set_name("旧数据").unwrap();
    for (c, t) in ["帐号", "姓名", "手机", "部门"].iter().enumerate() {
        old.write_string(0, c as u16, *t).unwrap();
    }
    old.write_string(1, 0, "old1").unwrap();
    old.set_hidden(true);
    let now = wb.add_worksheet();
    now.set_name("员工").unwrap();
    for (c, t) in ["帐号", "姓名", "手机", "部门"].iter().enumerate() {
        now.write_string(0, c as u16, *t).unwrap();
    }
    for (c, t) in ["new1", "甲", "13800000001", "办公逸"].iter().enumerate() {
        now.write_string(1, c as u16, *t).unwrap();
    }
    now.set_active(true);
    wb.save(b.path("hidden.xlsx")).unwrap();
    let r = b.run(&["check", "hidden.xlsx", "--json"]).await;
    r.assert_code(0);
    assert!(
        r.stderr.contains("\"员工\"")
            && r.stderr
                .contains("hidden sheets before it were skipped: \"旧数据\""),
        "{}",
        r.stderr
    );
    let report = the_report(b.dir.path());
    let all = read_sheet(&report, "全部 All");
    assert_eq!(all[1][0], "new1");
}

#[tokio::test]
async fn formulas_in_a_csv_export_are_guarded_and_round_trip() {
    let hostile: Vec<std::collections::HashMap<String, String>> = [
        (
            "f1",
            "=HYPERLINK(\"http://x\",\"点我\")",
            "+cmd",
            "13800000007",
        ),
        ("f2", "@SUM(1)", "-2+3", "13800000008"),
        ("f3", "正常", "+852 1234 5678", "13800000009"),
    ]
    .iter()
    .map(|(a, name, position, mobile)| {
        [
            ("we_userid", *a),
            ("we_name", *name),
            ("we_position", *position),
            ("we_mobile", *mobile),
            ("we_id", "2"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    })
    .collect();
    let emu = emulator().await;
    emu.store.insert_staff(hostile).unwrap();
    let b = Bgy::new().against(&emu);
    b.run(&["export", "-o", "all.csv"]).await.assert_code(0);
    let text = std::fs::read_to_string(b.path("all.csv")).unwrap();
    for field in text.lines().flat_map(|l| l.split(',')) {
        let f = field.trim_start_matches('"');
        assert!(
            !f.starts_with(['=', '@']) && !f.starts_with("+cmd") && !f.starts_with("-2"),
            "an unguarded formula: {field}"
        );
    }
    assert!(
        text.contains(",+852 1234 5678,"),
        "a phone-like value stays: {text}"
    );
    // Unchanged on the way back in.
    let r = b.run(&["plan", "all.csv", "--json"]).await;
    r.assert_code(0);
    let j = r.json();
    assert_eq!(j["updated"], 0, "{}", r.stderr);
    assert_eq!(j["created"], 0, "{}", r.stderr);
}

fn staff_xls() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/staff.xls"
    ))
    .unwrap()
}

#[tokio::test]
async fn an_xls_that_would_make_calamine_allocate_billions_of_cells_is_refused_first() {
    // The damaged-file property test found all three: calamine reserves room for every cell
    // a sheet's DIMENSIONS record declares before reading one (this one declares 2^31 rows),
    // allocates the whole box between the first and the last cell it read (one moved to
    // row 65,536, column 65,536), and reads compound files the strict cfb crate will not.
    let mut xls = staff_xls();
    let at = xls
        .windows(4)
        .position(|w| w == b"\x00\x02\x0e\x00")
        .expect("the fixture's DIMENSIONS record");
    xls[at + 8..at + 12].copy_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
    refused("declared.xls", &xls, "spans 10737418235 cells").await;

    let mut xls = staff_xls();
    let at = xls
        .windows(4)
        .position(|w| w == b"\xfd\x00\x0a\x00")
        .expect("a LABELSST cell");
    xls[at + 4..at + 8].copy_from_slice(&[0xFF; 4]);
    refused("far-cell.xls", &xls, "more than the 4194304").await;

    let xls = staff_xls();
    refused("cut.xls", &xls[..xls.len() - 512], "save it as .xlsx").await;

    // The fixture itself still reads.
    let b = Bgy::new();
    b.write("staff.xls", staff_xls());
    b.run(&["check", "staff.xls"]).await.assert_code(0);
}
