//! CSV through the csv crate: UTF-8 (with or without BOM) or GBK/GB18030 as Excel on Chinese
//! Windows saves it, or UTF-16 with its BOM (Excel's and WPS's "Unicode 文本"); `,`, `;` or tab
//! separated, sniffed from the first lines.
//!
//! A stray quote makes the csv crate read everything up to the next quote, or to the end of
//! the file, as one field: rows vanish without an error, and `sync --prune` would then delete
//! the people in them. A quoted field that swallows what looks like rows, or is never closed,
//! is therefore an error naming the line where it opened.

use std::borrow::Cow;

use super::{Budget, Cell, Emit, Format, RawRow, ReadError, SheetInfo};

pub fn read(bytes: &[u8], name: &str, emit: Emit) -> Result<SheetInfo, ReadError> {
    let text = decode(bytes, name)?;
    let raw = text.as_bytes();
    let delimiter = sniff_delimiter(&text);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(raw);
    let mut record = ::csv::StringRecord::new();
    let mut lines = LineCounter::new(raw);
    let mut budget = Budget::new(name, "CSV");
    // The widest record so far (the header's width, once read) and where the last one began.
    let mut width = 0;
    let mut last_start = 0;
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
        let start = record.position().map_or(0, |p| p.byte()) as usize;
        let end = reader.position().byte() as usize;
        last_start = start;
        let source_row = lines.line_at(start);
        if record.iter().any(|f| f.contains(['\n', '\r'])) {
            let span = &raw[start.min(end)..end.min(raw.len())];
            if let Some((open, how)) = swallowed(span, delimiter, width) {
                return Err(ReadError::CsvQuote {
                    path: name.into(),
                    line: lines.line_at(start + open),
                    how,
                });
            }
        }
        width = width.max(record.len());
        let mut cells: Vec<Cell> = Vec::with_capacity(record.len());
        for (col, field) in record.iter().enumerate() {
            let cell = if field.trim().is_empty() {
                Cell::Empty
            } else {
                Cell::Text(unguard(field).into_owned())
            };
            budget.cell(&cell, col, source_row)?;
            cells.push(cell);
        }
        while cells.last().is_some_and(Cell::is_empty) {
            cells.pop();
        }
        if !cells.is_empty()
            && !emit(RawRow {
                source_row,
                hidden: false,
                cells,
            })
        {
            break;
        }
    }
    if let Some((open, _)) = first_multiline_quote(&raw[last_start.min(raw.len())..], delimiter)
        .filter(|(_, closed)| !closed)
    {
        return Err(ReadError::CsvQuote {
            path: name.into(),
            line: lines.line_at(last_start + open),
            how: "is never closed".into(),
        });
    }
    Ok(SheetInfo {
        name: "CSV".into(),
        format: Format::Csv,
        is_report: false,
        warnings: Vec::new(),
        merged: Vec::new(),
        others: Vec::new(),
    })
}

/// When a record's quoted field spans lines that look like rows of their own (as many
/// separators as half the header has), where its quote opened and what it swallowed.
fn swallowed(span: &[u8], delimiter: u8, width: usize) -> Option<(usize, String)> {
    let (open, closed) = first_multiline_quote(span, delimiter)?;
    let enough = (width.saturating_sub(1) / 2).max(2);
    let rest = &span[open..];
    // Lines end in LF, CRLF or a lone CR (old Mac Excel's CSV): a CRLF's empty piece between
    // its two bytes has no separator, so it is no row.
    let row_like = rest
        .split(|b| matches!(b, b'\n' | b'\r'))
        .skip(1)
        .filter(|line| line.iter().filter(|b| **b == delimiter).count() >= enough)
        .count();
    match (row_like, closed) {
        // Never closed, it runs to the end of the file, and the last record's check names it.
        (0, _) => None,
        (n, _) => Some((
            open,
            format!(
                "runs over {n} line(s) that look like rows{}",
                if closed { "" } else { " and is never closed" }
            ),
        )),
    }
}

/// The first quoted field in `raw` that holds a line break or is never closed: the offset of
/// its opening quote, and whether it closes. The csv crate's own rules: a quote opens a field
/// only at its start, and `""` inside is a quote.
fn first_multiline_quote(raw: &[u8], delimiter: u8) -> Option<(usize, bool)> {
    let mut i = 0;
    let mut field_start = true;
    while i < raw.len() {
        let c = raw[i];
        if field_start && c == b'"' {
            let open = i;
            let mut breaks = false;
            i += 1;
            loop {
                match raw.get(i) {
                    None => return Some((open, false)),
                    Some(b'"') if raw.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(b'\n' | b'\r') => {
                        breaks = true;
                        i += 1;
                    }
                    Some(_) => i += 1,
                }
            }
            if breaks {
                return Some((open, true));
            }
            field_start = false;
            continue;
        }
        field_start = c == delimiter || c == b'\n' || c == b'\r';
        i += 1;
    }
    None
}

/// Characters that make Excel read a cell as a formula (OWASP's list for CSV injection).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Would Excel take `value` for a formula? A number such as a phone `+852 1234 5678` or `-1`
/// is harmless and stays as it is. A value that starts with `'` and then such a character is
/// included, so that [`unguard`] undoes exactly what [`guard`] did.
fn needs_guard(value: &str) -> bool {
    let mut chars = value.chars();
    match chars.next() {
        Some('\'') => needs_guard(chars.as_str()),
        Some('+' | '-') => {
            let rest = chars.as_str();
            let numeric = rest.chars().any(|c| c.is_ascii_digit())
                && rest
                    .chars()
                    .all(|c| c.is_ascii_digit() || " -().".contains(c));
            !numeric
        }
        Some(c) => FORMULA_STARTS.contains(&c),
        None => false,
    }
}

/// A text cell for a CSV file: a `'` before a value Excel would run as a formula.
pub fn guard(value: &str) -> Cow<'_, str> {
    if needs_guard(value) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// Undoes [`guard`] on a CSV field: export → import round-trips.
pub fn unguard(field: &str) -> Cow<'_, str> {
    match field.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => Cow::Borrowed(rest),
        _ => Cow::Borrowed(field),
    }
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
            self.line += line_breaks(&self.text[self.offset..start]);
            self.offset = start;
        }
        self.line
    }
}

/// The line breaks in `text`: LF, CRLF, or a CR alone (old Mac Excel's CSV), each one. Called
/// with each record's few bytes: plain counts, which the compiler makes vector code (memchr's
/// iterators, made twice a record, had a CSV check of 100,000 rows at 1.036× the binary
/// before; these counts 1.008×, 21 pairs each).
fn line_breaks(text: &[u8]) -> u32 {
    let count = |byte: u8| text.iter().filter(|b| **b == byte).count();
    let (lf, cr) = (count(b'\n'), count(b'\r'));
    let crlf = match cr {
        0 => 0,
        _ => text.windows(2).filter(|w| *w == b"\r\n").count(),
    };
    (lf + cr - crlf) as u32
}

/// UTF-16 by its BOM, else UTF-8 (BOM stripped), else GB18030 (a superset of GBK), else an
/// error naming the offset.
fn decode<'a>(bytes: &'a [u8], name: &str) -> Result<Cow<'a, str>, ReadError> {
    if let Some((big_endian, units)) = utf16(bytes) {
        return decode_utf16(units, big_endian)
            .map(Cow::Owned)
            .map_err(|at| ReadError::Utf16 {
                path: name.into(),
                offset: at + 2,
            });
    }
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

/// Whether the bytes are UTF-16 by their byte-order mark (big-endian or not), and the bytes
/// after it.
fn utf16(bytes: &[u8]) -> Option<(bool, &[u8])> {
    match bytes {
        [0xFF, 0xFE, rest @ ..] => Some((false, rest)),
        [0xFE, 0xFF, rest @ ..] => Some((true, rest)),
        _ => None,
    }
}

/// UTF-16 code units as a string, or the offset of the first unit that is not valid (a lone
/// surrogate, or an odd byte at the end): nothing is replaced, as a changed value would be sent.
fn decode_utf16(units: &[u8], big_endian: bool) -> Result<String, usize> {
    if units.len() % 2 == 1 {
        return Err(units.len() - 1);
    }
    let unit = |pair: &[u8]| match big_endian {
        true => u16::from_be_bytes([pair[0], pair[1]]),
        false => u16::from_le_bytes([pair[0], pair[1]]),
    };
    let mut text = String::with_capacity(units.len());
    let mut at = 0;
    for c in char::decode_utf16(units.chunks_exact(2).map(unit)) {
        let c = c.map_err(|_| at)?;
        at += 2 * c.len_utf16();
        text.push(c);
    }
    Ok(text)
}

/// The separator that splits the first lines most consistently.
fn sniff_delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = text
        .split(['\n', '\r'])
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

    /// Excel's "Unicode 文本": UTF-16 (little-endian) with its BOM, tab separated, CRLF.
    #[test]
    fn utf16_text_as_excel_saves_it() {
        let text = "帐号\t姓名\r\nlisi\t李四 𠀀\r\n";
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let s = read(&le, "a.txt").unwrap();
        assert_eq!(
            texts(&s),
            vec![vec!["帐号", "姓名"], vec!["lisi", "李四 𠀀"]]
        );
        assert_eq!(s.rows[1].source_row, 2);
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(texts(&read(&be, "a.csv").unwrap()), texts(&s));
        // A lone surrogate is an error naming its offset, not a replaced character.
        let mut bad = le.clone();
        bad.splice(6..6, [0x00, 0xD8]);
        let e = read(&bad, "a.txt").unwrap_err();
        assert!(matches!(e, ReadError::Utf16 { offset: 6, .. }), "{e}");
        // So is an odd byte at the end, not a byte left off.
        let odd = [&le[..], b"A"].concat();
        let e = read(&odd, "a.txt").unwrap_err();
        assert!(
            matches!(e, ReadError::Utf16 { offset, .. } if offset == le.len()),
            "{e}"
        );
    }

    /// Old Mac Excel ends each line in a CR alone: the rows get their own line numbers, and a
    /// stray quote that swallows rows is found as in any other CSV.
    #[test]
    fn lone_cr_line_ends() {
        let s = read("帐号,姓名\rq1,张三\r\rq2,李四\r".as_bytes(), "a.csv").unwrap();
        let rows: Vec<u32> = s.rows.iter().map(|r| r.source_row).collect();
        assert_eq!(rows, vec![1, 2, 4]);
        // Its separator is sniffed line by line too: a tab on every line, commas on one.
        let s = read(
            "帐号\t姓名\rq1\t张,三,四,五,六\rq2\t李四\r".as_bytes(),
            "a.csv",
        )
        .unwrap();
        assert_eq!(texts(&s)[1], vec!["q1", "张,三,四,五,六"]);
        let text = "帐号,姓名,手机,部门\rq1,张三,13800000001,办公逸\rq2,\"李四,13800000002,办公逸\rq3,王五,13800000003,办公逸\rq4,赵\"六,13800000004,办公逸\r";
        let e = read(text.as_bytes(), "a.csv").unwrap_err();
        assert!(matches!(e, ReadError::CsvQuote { line: 3, .. }), "{e}");
        // A quote opening a line after a lone CR opens a field.
        let text = "帐号,姓名,手机,部门\rq1,张三,13800000001,办公逸\r\"q2,李四,13800000002,办公逸\rq3,王五,13800000003,办公逸\r";
        let e = read(text.as_bytes(), "a.csv").unwrap_err();
        assert!(matches!(e, ReadError::CsvQuote { line: 3, .. }), "{e}");
    }

    /// The separator is one found on every line, and of those the one that gives the header
    /// most columns.
    #[test]
    fn the_separator_is_on_every_line_and_splits_the_header_most() {
        let s = read(
            "帐号\t姓名\t手机\t备注,说明\nzhang\t张三\t138\t甲,乙\n".as_bytes(),
            "a.csv",
        )
        .unwrap();
        assert_eq!(texts(&s)[1], ["zhang", "张三", "138", "甲,乙"]);
        let s = read("帐号,姓名,备注\t说明\nzhang\t张三\n".as_bytes(), "a.csv").unwrap();
        assert_eq!(texts(&s)[1], ["zhang", "张三"]);
    }

    #[test]
    fn crlf_line_numbers() {
        let s = read("t;;\r\na;b;c\r\n\r\nx;y;z\r\nq;w;e\r\n".as_bytes(), "a.csv").unwrap();
        let rows: Vec<u32> = s.rows.iter().map(|r| r.source_row).collect();
        assert_eq!(rows, vec![1, 2, 4, 5]);
    }

    #[test]
    fn a_stray_quote_that_swallows_rows_is_an_error_naming_its_line() {
        let text = "帐号,姓名,手机,部门\nq1,张三,13800000001,办公逸\nq2,\"李四,13800000002,办公逸\nq3,王五,13800000003,办公逸\nq4,赵六,13800000004,办公逸\n";
        let how = |text: &str| match read(text.as_bytes(), "a.csv") {
            Err(ReadError::CsvQuote { line, how, .. }) => (line, how),
            other => panic!("{text}: {other:?}"),
        };
        let e = read(text.as_bytes(), "a.csv").unwrap_err();
        assert!(e.to_string().contains("第 3 行"), "{e}");
        let never = "runs over 2 line(s) that look like rows and is never closed";
        assert_eq!(how(text), (3, never.into()));
        // After a quoted field of its own row, closed: the stray one is named.
        assert_eq!(
            how(&text.replace("\"李四", "\"李四\",\"")),
            (3, never.into())
        );
        // Closed further down, after swallowing rows: the same, closed.
        let closed = text.replace("赵六", "赵\"六");
        let swallowed = "runs over 2 line(s) that look like rows";
        assert_eq!(how(&closed), (3, swallowed.into()));
        // A quote written twice inside is one quote, not the field's end.
        assert_eq!(
            how(&closed.replace("李四", "李\"\"四")),
            (3, swallowed.into())
        );
        // Never closed, on the last line.
        let e = read("帐号,姓名\na,\"b\n".as_bytes(), "a.csv").unwrap_err();
        assert!(e.to_string().contains("never closed"), "{e}");
    }

    /// A quoted field's lines look like rows by the widest row so far (the header's), not by
    /// the row before it.
    #[test]
    fn a_quoted_address_after_a_short_row_is_fine() {
        let s = read(
            "帐号,姓名,手机,部门,职位,邮箱,工号,工作地址\na,甲\nb,乙,139,,,,,\"北京市\n朝阳区, 某某路, 3 号\"\n"
                .as_bytes(),
            "a.csv",
        )
        .unwrap();
        assert_eq!(texts(&s)[2][7], "北京市\n朝阳区, 某某路, 3 号");
    }

    #[test]
    fn a_quoted_address_over_two_lines_is_fine() {
        let s = read(
            "帐号,姓名,手机,工作地址\na,甲,138,\"北京市, 朝阳区\n某某路 3 号\"\nb,乙,139,上海\n"
                .as_bytes(),
            "a.csv",
        )
        .unwrap();
        assert_eq!(s.rows.len(), 3);
        assert_eq!(texts(&s)[1][3], "北京市, 朝阳区\n某某路 3 号");

        // Its first line is the row's own, whatever it holds; a line of one comma under a
        // header of three columns looks like no row (a row-like line has two at least).
        let s = read(
            "帐号,姓名,工作地址\na,甲,\"北京市, 朝阳区, 某某路\n朝阳, 3 号\"\n".as_bytes(),
            "a.csv",
        )
        .unwrap();
        assert_eq!(texts(&s)[1][2], "北京市, 朝阳区, 某某路\n朝阳, 3 号");
    }

    #[test]
    fn the_formula_guard_round_trips() {
        for v in [
            "=HYPERLINK(\"x\")",
            "@SUM(1)",
            "+cmd",
            "-cmd",
            "\tx",
            "'=x",
            "''+y",
            "+ ()",
            "-",
        ] {
            let g = guard(v);
            assert!(g.starts_with('\''), "{v} is guarded");
            assert_eq!(unguard(&g), v);
        }
        for v in [
            "+852 1234 5678",
            "+86 (10) 1234-5678",
            "-1",
            "-1.5",
            "张三",
            "'hello",
            "a=b",
            "",
        ] {
            assert_eq!(guard(v), v, "{v} stays");
            assert_eq!(unguard(v), v);
        }
    }

    #[test]
    fn blank_lines_keep_row_numbers() {
        let s = read(b"a,b\n\n,\n  , \t\nc,d\n", "a.csv").unwrap();
        assert_eq!(
            s.rows.iter().map(|r| r.source_row).collect::<Vec<_>>(),
            vec![1, 5],
            "a row of blanks is no row"
        );
    }
}
