//! Dates in every form people type them, to `YYYY-MM-DD`.
//!
//! A date cell, an Excel serial number, `2016-01-01`, `2016/1/1`, `2016.1.1`, `2016年1月1日`
//! (or `号`), `20160101`, with or without a time after it. Impossible dates (2016-02-30) are
//! errors, and so is less than a date (`2010`, `2010.07`, `5.20`): Excel makes those numbers,
//! which as serials would be days of 1900–1905.

use chrono::NaiveDate;

use crate::read::Cell;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateError {
    /// Not a form we know.
    Unrecognised(String),
    /// A form we know, but no such day (2016-02-30).
    Impossible(String),
    /// A serial number or year outside 1900–2100.
    OutOfRange(String),
    /// Less than a date: a year, a month or a month and day (`2010`, `2010.07`, `2010-07`,
    /// `5.20`), not the day before 1905-10 such a number is as a serial.
    Year(String),
}

const MIN_YEAR: i32 = 1900;
const MAX_YEAR: i32 = 2100;
/// The years a date may be in.
pub const YEARS: std::ops::RangeInclusive<i32> = MIN_YEAR..=MAX_YEAR;

/// `YYYY-MM-DD` (chrono's `format` parses its pattern on every call: too slow per cell).
pub fn iso(d: NaiveDate) -> String {
    let mut text = String::with_capacity(10);
    crate::read::push_iso_date(&mut text, d);
    text
}

pub fn parse_cell(cell: &Cell) -> Result<NaiveDate, DateError> {
    match cell {
        Cell::Date(d) => in_range(d.date(), || cell.display()),
        Cell::Number(n) => match typed(*n) {
            Some(digits) => parse_text(&digits),
            None => serial(*n),
        },
        other => parse_text(&other.display()),
    }
}

/// `20261102` typed into a number cell, as its digits: no serial that large is a date before
/// 2100. `None` for a number to read as a serial.
pub fn typed(n: f64) -> Option<String> {
    ((19_000_101.0..=21_001_231.0).contains(&n) && n.fract() == 0.0)
        .then(|| format!("{}", n as i64))
}

/// `shown`: the date as the message shows it, made only when it is out of range.
fn in_range(d: NaiveDate, shown: impl FnOnce() -> String) -> Result<NaiveDate, DateError> {
    use chrono::Datelike;
    if YEARS.contains(&d.year()) {
        Ok(d)
    } else {
        Err(DateError::OutOfRange(shown()))
    }
}

/// The day of an Excel serial number (1900 date system) in a date column. A number below
/// 2101 is no one's date: as a serial it is a day before 1905-10, and as what a person typed
/// it is a year (`2010`), a 年.月 (`2010.07`) or a 月.日 (`5.20`, a birthday without its year),
/// all of which Excel stores as numbers.
pub fn serial(n: f64) -> Result<NaiveDate, DateError> {
    if n.is_finite() && (1.0..f64::from(MAX_YEAR + 1)).contains(&n) {
        return Err(DateError::Year(crate::read::number_text(n)));
    }
    excel_day(n)
}

/// An Excel serial day number (1900 date system, with its phantom 1900-02-29).
fn excel_day(n: f64) -> Result<NaiveDate, DateError> {
    let shown = crate::read::number_text(n);
    if !n.is_finite() || n < 1.0 {
        return Err(DateError::OutOfRange(shown));
    }
    let days = n.floor() as i64;
    if days == 60 {
        return Err(DateError::Impossible("1900-02-29".into()));
    }
    // Excel counts 1900-02-29, which never was: serials after it are one day late.
    let base =
        NaiveDate::from_ymd_opt(1899, 12, if days < 60 { 31 } else { 30 }).expect("a real date");
    let date = base
        .checked_add_days(chrono::Days::new(days as u64))
        .ok_or_else(|| DateError::OutOfRange(shown.clone()))?;
    in_range(date, || shown)
}

pub fn parse_text(s: &str) -> Result<NaiveDate, DateError> {
    let s = s.trim();
    match said(s)? {
        Said::Ymd(y, m, d) => {
            if !YEARS.contains(&y) {
                return Err(DateError::OutOfRange(s.into()));
            }
            NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| DateError::Impossible(s.into()))
        }
        Said::Serial(n) => serial(n),
    }
}

/// What a date's text says, before a calendar is asked whether the day is one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Said {
    /// Year, month and day as written: any numbers.
    Ymd(i32, u32, u32),
    /// An Excel serial number saved as text.
    Serial(f64),
}

/// The numbers of `s` (trimmed), in every form [`parse_text`] reads; the calendar is the
/// caller's (a 农历 date's month 2 has a day 30).
pub fn said(s: &str) -> Result<Said, DateError> {
    // Drop a time part: `2016-01-01 00:00:00`, `2016-01-01T08:00`.
    let date_part = s.split([' ', 'T']).next().unwrap_or(s).trim();
    let unrecognised = || DateError::Unrecognised(s.to_string());
    if date_part.is_empty() {
        return Err(unrecognised());
    }
    // `YYYY-MM-DD`, the server's own form and the commonest typed: straight to its numbers,
    // without the cleaning and splitting below (which would find the same three parts).
    let b = date_part.as_bytes();
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        return ymd(&date_part[..4], &date_part[5..7], &date_part[8..], s);
    }
    if date_part.bytes().all(|b| b.is_ascii_digit()) {
        return match date_part.len() {
            8 => {
                let (y, m, d) = (&date_part[..4], &date_part[4..6], &date_part[6..]);
                ymd(y, m, d, s)
            }
            // A serial number saved as text (a CSV of an unformatted date column).
            1..=5 => Ok(Said::Serial(
                date_part.parse::<f64>().map_err(|_| unrecognised())?,
            )),
            _ => Err(unrecognised()),
        };
    }
    // 日 or, as people write it by hand, 号.
    let cleaned = (date_part.trim_end_matches(['日', '号'])).replace(['年', '月'], "-");
    let parts: Vec<&str> = cleaned.split(['-', '/', '.']).collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 && (1..=2).contains(&m.len()) && (1..=2).contains(&d.len()) => {
            ymd(y, m, d, s)
        }
        // `2016-01`, `2016.1`, `2016年1月`: the month, without its day; `5.20`, `5月20日`: a
        // birthday without its year.
        [a, b] | [a, b, ""]
            if (a.len() == 4 || (1..=2).contains(&a.len()))
                && (1..=2).contains(&b.len())
                && (a.bytes().chain(b.bytes())).all(|b| b.is_ascii_digit()) =>
        {
            Err(DateError::Year(s.to_string()))
        }
        _ => Err(unrecognised()),
    }
}

fn ymd(y: &str, m: &str, d: &str, shown: &str) -> Result<Said, DateError> {
    let num = |p: &str| -> Result<u32, DateError> {
        if p.bytes().all(|b| b.is_ascii_digit()) {
            p.parse().map_err(|_| DateError::Unrecognised(shown.into()))
        } else {
            Err(DateError::Unrecognised(shown.into()))
        }
    };
    Ok(Said::Ymd(num(y)? as i32, num(m)?, num(d)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_text_is_read_as_its_numbers() {
        assert_eq!(ok("2026-11-02"), "2026-11-02");
        assert_eq!(ok(" 2024-02-29 08:00:00 "), "2024-02-29");
        assert_eq!(ok("2026-1-2"), "2026-01-02");
        for (s, impossible) in [
            ("2023-02-29", true),
            ("2026-13-01", true),
            ("2026-1x-01", false),
        ] {
            match parse_text(s) {
                Err(DateError::Impossible(shown)) if impossible => assert_eq!(shown, s),
                Err(DateError::Unrecognised(shown)) if !impossible => assert_eq!(shown, s),
                other => panic!("{s}: {other:?}"),
            }
        }
        for s in ["0000-00-00", "1899-12-31", "2101-01-01"] {
            assert!(
                matches!(parse_text(s), Err(DateError::OutOfRange(_))),
                "{s}"
            );
        }
        for s in ["x026-01-01", "年1-01-01", "20/6-11-01"] {
            assert!(
                matches!(parse_text(s), Err(DateError::Unrecognised(_))),
                "{s}"
            );
        }
    }

    fn ok(s: &str) -> String {
        parse_text(s)
            .unwrap_or_else(|e| panic!("{s}: {e:?}"))
            .to_string()
    }

    #[test]
    fn every_accepted_text_form() {
        for s in [
            "2016-01-01",
            "2016/1/1",
            "2016.1.1",
            "2016年1月1日",
            "2016年01月01日",
            "2016年1月1号",
            "20160101",
            "2016-1-1 00:00:00",
            "42370",
        ] {
            assert_eq!(ok(s), "2016-01-01", "{s}");
        }
    }

    #[test]
    fn a_year_a_month_or_a_day_is_no_serial() {
        for (cell, shown) in [
            (Cell::Number(2010.0), "2010"),
            (Cell::Number(2010.07), "2010.07"),
            (Cell::Number(2016.1), "2016.1"),
            (Cell::Number(1900.0), "1900"),
            (Cell::Number(2100.12), "2100.12"),
            // A birthday as 月.日, and a day of the month alone.
            (Cell::Number(5.2), "5.2"),
            (Cell::Number(12.0), "12"),
            (Cell::Text("12".into()), "12"),
            (Cell::Text("5.20".into()), "5.20"),
            (Cell::Text("5月20日".into()), "5月20日"),
            (Cell::Text("05/20".into()), "05/20"),
            (Cell::Text("2010".into()), "2010"),
            (Cell::Text("2010-07".into()), "2010-07"),
            (Cell::Text("2010.7".into()), "2010.7"),
            (Cell::Text("2010年7月".into()), "2010年7月"),
            (Cell::Text("2010/07".into()), "2010/07"),
        ] {
            assert_eq!(
                parse_cell(&cell),
                Err(DateError::Year(shown.into())),
                "{cell:?}"
            );
        }
        // Past the years: the serials they are.
        assert_eq!(serial(2101.0).unwrap().to_string(), "1905-10-01");
        assert!(matches!(serial(0.0), Err(DateError::OutOfRange(_))));
    }

    #[test]
    fn impossible_and_unknown_dates_are_errors() {
        assert_eq!(
            parse_text("2016-02-30"),
            Err(DateError::Impossible("2016-02-30".into()))
        );
        assert_eq!(
            parse_text("20160230"),
            Err(DateError::Impossible("20160230".into()))
        );
        assert!(matches!(
            parse_text("2016-13-01"),
            Err(DateError::Impossible(_))
        ));
        assert!(matches!(
            parse_text("next monday"),
            Err(DateError::Unrecognised(_))
        ));
        assert!(matches!(
            parse_text("16-1-1"),
            Err(DateError::Unrecognised(_))
        ));
        assert!(matches!(
            parse_text("1066-10-14"),
            Err(DateError::OutOfRange(_))
        ));
        assert_eq!(ok("2016-02-29"), "2016-02-29");
    }

    #[test]
    fn excel_serials_with_the_1900_bug() {
        assert_eq!(excel_day(1.0).unwrap().to_string(), "1900-01-01");
        assert_eq!(excel_day(59.0).unwrap().to_string(), "1900-02-28");
        assert!(excel_day(60.0).is_err());
        assert_eq!(excel_day(61.0).unwrap().to_string(), "1900-03-01");
        assert_eq!(serial(42370.0).unwrap().to_string(), "2016-01-01");
        assert_eq!(serial(42370.75).unwrap().to_string(), "2016-01-01");
        assert!(serial(-3.0).is_err());
        assert!(serial(1e12).is_err());
    }

    #[test]
    fn date_cells() {
        let d = NaiveDate::from_ymd_opt(2020, 4, 22)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert_eq!(
            parse_cell(&Cell::Date(d)).unwrap().to_string(),
            "2020-04-22"
        );
        assert_eq!(
            parse_cell(&Cell::Number(43943.0)).unwrap().to_string(),
            "2020-04-22"
        );
        // Digits typed into a number cell are the date they spell; with a fraction they are
        // no typed date, and as a serial far past 2100.
        assert_eq!(
            parse_cell(&Cell::Number(20_261_102.0)).unwrap().to_string(),
            "2026-11-02"
        );
        assert!(matches!(
            parse_cell(&Cell::Number(20_261_102.5)),
            Err(DateError::OutOfRange(_))
        ));
    }
}
