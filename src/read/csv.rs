//! CSV through the csv crate: UTF-8 (with or without BOM) or GBK/GB18030 as Excel on Chinese
//! Windows saves it; `,`, `;` or tab separated, sniffed from the first lines.

use std::borrow::Cow;

use super::{cell_ref, Cell, Emit, Format, RawRow, ReadError, SheetInfo, MAX_CELL_CHARS};

pub fn read(bytes: &[u8], name: &str, emit: Emit) -> Result<SheetInfo, ReadError> {
    let text = decode(bytes, name)?;
    let delimiter = sniff_delimiter(&text);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut record = ::csv::StringRecord::new();
    let mut lines = LineCounter::new(text.as_bytes());
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(ReadError::Csv {
                    path: name.into(),
                    detail: e.to_string(),
                })
            }
        }
        let source_row = lines.line_at(record.position().map_or(0, |p| p.byte()) as usize);
        let mut cells: Vec<Cell> = Vec::with_capacity(record.len());
        for (col, field) in record.iter().enumerate() {
            if field.len() > MAX_CELL_CHARS && field.chars().count() > MAX_CELL_CHARS {
                return Err(ReadError::CellTooLong {
                    path: name.into(),
                    sheet: "CSV".into(),
                    cell: cell_ref(col, source_row),
                    chars: field.chars().count(),
                });
            }
            cells.push(if field.trim().is_empty() {
                Cell::Empty
            } else {
                Cell::Text(field.to_string())
            });
        }
        while cells.last().is_some_and(Cell::is_empty) {
            cells.pop();
        }
        if !cells.is_empty() && !emit(RawRow { source_row, cells }) {
            break;
        }
    }
    Ok(SheetInfo {
        name: "CSV".into(),
        format: Format::Csv,
        is_report: false,
    })
}

/// Line numbers of byte offsets, counted forward once. (The csv crate's own line number puts
/// a record after a CRLF on the line before.)
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: u32,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// The 1-based line of the first character of a record starting at `start`.
    fn line_at(&mut self, start: usize) -> u32 {
        let mut start = start.min(self.text.len());
        while start < self.text.len() && matches!(self.text[start], b'\r' | b'\n') {
            start += 1;
        }
        if start > self.offset {
            self.line += self.text[self.offset..start]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u32;
            self.offset = start;
        }
        self.line
    }
}

/// UTF-8 (BOM stripped), else GB18030 (a superset of GBK), else an error naming the offset.
fn decode<'a>(bytes: &'a [u8], name: &str) -> Result<Cow<'a, str>, ReadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Cow::Borrowed(s)),
        Err(utf8) => {
            let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            if had_errors {
                Err(ReadError::Encoding {
                    path: name.into(),
                    offset: utf8.valid_up_to(),
                })
            } else {
                Ok(text)
            }
        }
    }
}

/// The separator that splits the first lines most consistently.
fn sniff_delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(10)
        .collect();
    let mut best = (b',', 0usize);
    for d in [b',', b';', b'\t'] {
        let counts: Vec<usize> = lines
            .iter()
            .map(|l| l.bytes().filter(|b| *b == d).count())
            .collect();
        let min = counts.iter().copied().min().unwrap_or(0);
        let first = counts.first().copied().unwrap_or(0);
        // A separator found on every line, weighted by how many columns the header gets.
        let score = if min > 0 { first + 1 } else { 0 };
        if score > best.1 {
            best = (d, score);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::read::{read_bytes, Sheet};

    fn read(bytes: &[u8], name: &str) -> Result<Sheet, ReadError> {
        read_bytes(bytes, name, None)
    }

    fn texts(sheet: &Sheet) -> Vec<Vec<String>> {
        sheet
            .rows
            .iter()
            .map(|r| r.cells.iter().map(Cell::display).collect())
            .collect()
    }

    #[test]
    fn utf8_with_bom_and_semicolons() {
        let s = read("\u{feff}帐号;姓名\nzhangsan;张三\n".as_bytes(), "a.csv").unwrap();
        assert_eq!(
            texts(&s),
            vec![vec!["帐号", "姓名"], vec!["zhangsan", "张三"]]
        );
        assert_eq!(s.rows[1].source_row, 2);
    }

    #[test]
    fn gbk_as_excel_saves_it() {
        let (bytes, _, _) = encoding_rs::GBK.encode("帐号,姓名\r\nlisi,李四\r\n");
        let s = read(&bytes, "a.csv").unwrap();
        assert_eq!(texts(&s)[1], vec!["lisi", "李四"]);
    }

    #[test]
    fn tabs_and_quoted_separators() {
        let s = read(b"a\tb\n\"x,y\"\tz\n", "a.csv").unwrap();
        assert_eq!(texts(&s)[1], vec!["x,y", "z"]);
    }

    #[test]
    fn neither_utf8_nor_gbk_is_an_error() {
        let e = read(b"abc,\xff\xff\xff\n", "bad.csv").unwrap_err();
        assert!(matches!(e, ReadError::Encoding { offset: 4, .. }), "{e}");
    }

    #[test]
    fn crlf_line_numbers() {
        let s = read("t;;\r\na;b;c\r\n\r\nx;y;z\r\nq;w;e\r\n".as_bytes(), "a.csv").unwrap();
        let rows: Vec<u32> = s.rows.iter().map(|r| r.source_row).collect();
        assert_eq!(rows, vec![1, 2, 4, 5]);
    }

    #[test]
    fn blank_lines_keep_row_numbers() {
        let s = read(b"a,b\n\n,\nc,d\n", "a.csv").unwrap();
        assert_eq!(
            s.rows.iter().map(|r| r.source_row).collect::<Vec<_>>(),
            vec![1, 4]
        );
    }
}
