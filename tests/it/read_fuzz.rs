//! Arbitrary bytes, and real files damaged at random, into every reader: an error or rows,
//! never a panic. (Memory under hostile files is measured by `examples/hostile.rs`.)

use proptest::prelude::*;

fn template_bytes() -> Vec<u8> {
    bgy::template::build(bgy::model::Layout::Times, None).unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A staff CSV with quotes, separators inside quotes and a line break inside a quoted field.
const CSV: &str = "帐号,姓名,手机,部门,工作地址\nq1,\"张,三\",13800000001,办公逸/研发部,\"北京\n朝阳\"\nq2,李四,13800000002,\"办公逸/研发部;办公逸/客服部\",'=x\n";

fn damage(mut bytes: Vec<u8>, flips: &[(prop::sample::Index, u8)]) -> Vec<u8> {
    for (at, value) in flips {
        let i = at.index(bytes.len());
        bytes[i] = *value;
    }
    bytes
}

fn read_and_validate(bytes: &[u8], name: &str) {
    if let Ok(sheet) = bgy::read::read_bytes(bytes, name, None) {
        let _ =
            bgy::validate::from_sheet(std::path::Path::new(name), sheet, bgy::model::Layout::Staff);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        for name in ["f.xlsx", "f.xls", "f.ods", "f.csv", "f"] {
            let _ = bgy::read::read_bytes(&bytes, name, None);
        }
        // Behind each magic number, so the parsers themselves get the bytes.
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend(&bytes);
        let _ = bgy::read::read_bytes(&zip, "f.xlsx", None);
        let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        ole.extend(&bytes);
        let _ = bgy::read::read_bytes(&ole, "f.xls", None);
    }

    #[test]
    fn a_damaged_real_workbook_never_panics(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..20)) {
        let mut bytes = template_bytes();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Ok(sheet) = bgy::read::read_bytes(&bytes, "t.xlsx", None) {
            let _ = bgy::validate::from_sheet(std::path::Path::new("t.xlsx"), sheet, bgy::model::Layout::Times);
        }
    }

    #[test]
    fn a_damaged_real_csv_never_panics(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..10)) {
        read_and_validate(&damage(CSV.as_bytes().to_vec(), &flips), "f.csv");
    }

    #[test]
    fn a_damaged_ods_or_xls_never_panics(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..20)) {
        read_and_validate(&damage(fixture("staff.ods"), &flips), "f.ods");
        read_and_validate(&damage(fixture("staff.xls"), &flips), "f.xls");
    }

    #[test]
    fn cells_anywhere_never_panic(cells in proptest::collection::vec((0u32..3_000_000, 0u32..20_000, "\\PC{0,20}"), 0..8)) {
        let mut data = crate::workbooks::header_row();
        for (r, c, text) in &cells {
            let text = text.replace(['<', '&', '>'], "");
            data.push_str(&format!(r#"<row r="{}"><c r="{}" t="inlineStr"><is><t>{text}</t></is></c></row>"#, r + 2, bgy::read::cell_ref(*c as usize, r + 2)));
        }
        read_and_validate(&crate::workbooks::xlsx_bytes(&data, None), "f.xlsx");
    }

    #[test]
    fn arbitrary_csv_text_never_panics(text in "\\PC{0,400}") {
        if let Ok(sheet) = bgy::read::read_bytes(text.as_bytes(), "f.csv", None) {
            let _ = bgy::validate::from_sheet(std::path::Path::new("f.csv"), sheet, bgy::model::Layout::Staff);
        }
    }
}
