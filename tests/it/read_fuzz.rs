//! Arbitrary bytes into every reader: an error or rows, never a panic.

use proptest::prelude::*;

fn template_bytes() -> Vec<u8> {
    bgy::template::build(bgy::model::Layout::Times).unwrap()
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
    fn arbitrary_csv_text_never_panics(text in "\\PC{0,400}") {
        if let Ok(sheet) = bgy::read::read_bytes(text.as_bytes(), "f.csv", None) {
            let _ = bgy::validate::from_sheet(std::path::Path::new("f.csv"), sheet, bgy::model::Layout::Staff);
        }
    }
}
