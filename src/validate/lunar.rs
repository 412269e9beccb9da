//! 农历 dates, as the 农历生日 column holds them: `YYYY-MM-DD` of the Chinese calendar.
//!
//! A lunar month has 29 or 30 days, whichever month of the year it is: `1998-02-30` can be a
//! birthday, `1998-01-31` cannot. The numbers are read in every form a Gregorian date is
//! ([`dates::said`]), and in Chinese (`1998年腊月初八`, `一九九八年闰五月廿三`). Whether that
//! year's month has a day 30, and whether it has a leap month, is the calendar's
//! (chinese-lunisolar-calendar, lunar years 1901–2100).

use chinese_lunisolar_calendar::{
    ChineseVariant, LunarDay, LunarMonth, LunisolarDate, LunisolarDateError, SolarYear,
};

use super::dates::{self, DateError, Said};
use crate::read::Cell;

/// A day of the Chinese calendar, as 办公逸 stores it: a leap month under its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lunar {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Lunar {
    /// `YYYY-MM-DD`, the month and day the Chinese calendar's.
    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// Its month, or the leap month of that number, for a message.
    pub fn month(self, leap: bool) -> Month {
        Month {
            year: self.year,
            number: self.month,
            leap,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LunarError {
    /// Not a form we know (`DateError::Unrecognised`), a year outside 1901–2100
    /// (`OutOfRange`), or a month past 12 or a day past 30 (`Impossible`).
    Date(DateError),
    /// A month and a day without the year: `腊月初八`.
    NoYear(String),
    /// That year's month has 29 days.
    ShortMonth { shown: String, month: Month },
    /// A leap month the year has none of: `1998年闰二月初一`.
    NoLeap { shown: String, month: Month },
}

/// A month of a lunar year, for a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    pub year: u16,
    pub number: u8,
    pub leap: bool,
}

impl Month {
    /// `1998年闰五月`.
    pub fn chinese(self) -> String {
        format!("{}年{}", self.year, self.name())
    }

    /// `闰五月`.
    pub fn name(self) -> &'static str {
        LunarMonth::from_u8_with_leap(self.number, self.leap)
            .map_or("", |m| m.to_str(ChineseVariant::Simple))
    }

    /// `leap month 5 of the lunar year 1998`.
    pub fn english(self) -> String {
        let leap = if self.leap { "leap " } else { "" };
        format!(
            "{leap}month {} of the lunar year {}",
            self.number, self.year
        )
    }
}

/// The first and last lunar years the calendar knows.
const YEARS: std::ops::RangeInclusive<i32> = 1901..=2100;

/// A 农历生日 cell: its date, and whether it was written as a leap month (`闰四月`).
pub fn parse_cell(cell: &Cell) -> Result<(Lunar, bool), LunarError> {
    let shown = || cell.display().trim().to_string();
    match cell {
        // Excel turned the typed `1998-03-15` into a date: its numbers are what was typed.
        Cell::Date(d) => {
            use chrono::Datelike;
            let d = d.date();
            exists(d.year(), d.month(), d.day(), false, &shown())
        }
        Cell::Number(n) => match dates::typed(*n) {
            Some(digits) => parse_text(&digits),
            None => gregorian(*n, &shown()),
        },
        other => parse_text(&other.display()),
    }
}

/// `1998-02-30`, `1998/2/30`, `19980230`, `1998年2月30日`, `1998年二月三十`, `农历1998年腊月初八`.
pub fn parse_text(s: &str) -> Result<(Lunar, bool), LunarError> {
    let s = s.trim();
    let bare = ["农历", "阴历", "農曆", "陰曆"]
        .iter()
        .find_map(|p| s.strip_prefix(p))
        .map_or(s, |rest| rest.trim_start_matches([':', '：', ' ']));
    match dates::said(bare) {
        Ok(Said::Ymd(y, m, d)) => exists(y, m, d, false, s),
        Ok(Said::Serial(n)) => gregorian(n, s),
        Err(e) => chinese(bare, s).unwrap_or(Err(LunarError::Date(e))),
    }
}

/// A serial's day, its numbers taken for the lunar date's: a date column's cell made by
/// Excel from what was typed.
fn gregorian(n: f64, shown: &str) -> Result<(Lunar, bool), LunarError> {
    use chrono::Datelike;
    let d = dates::serial(n).map_err(LunarError::Date)?;
    exists(d.year(), d.month(), d.day(), false, shown)
}

/// The server's `birthday_l` as `YYYY-MM-DD`, when it is a month 1–12 and a day 1–31 of a
/// year 1900–2100: what the directory holds is exported and compared as it is, a day the
/// lunar calendar lacks included (a 31st, set by a date picker of the other calendar): the
/// export's check is what says so, where leaving it out would lose it without a word.
pub fn listed(s: &str) -> Option<String> {
    match dates::said(s.trim()) {
        Ok(Said::Ymd(y, m, d))
            if dates::YEARS.contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d) =>
        {
            Some(format!("{y:04}-{m:02}-{d:02}"))
        }
        _ => None,
    }
}

/// `1998年腊月初八` and its kin; `None` when `s` is no Chinese month and day at all.
fn chinese(s: &str, shown: &str) -> Option<Result<(Lunar, bool), LunarError>> {
    let (year, rest) = match s.split_once('年') {
        Some((y, rest)) => (Some(y.trim()), rest.trim()),
        None => (None, s),
    };
    let (month, day) = rest.split_once('月')?;
    let month = match month.trim().parse::<u8>() {
        Ok(n) => LunarMonth::from_u8_with_leap(n, false).ok()?,
        Err(_) => LunarMonth::parse_str(format!("{}月", month.trim())).ok()?,
    };
    let day = lunar_day(day.trim().trim_end_matches(['日', '号']))?;
    let Some(year) = year else {
        return Some(Err(LunarError::NoYear(shown.into())));
    };
    let unrecognised = || LunarError::Date(DateError::Unrecognised(shown.into()));
    let Ok(year) = SolarYear::parse_str(year) else {
        return Some(Err(unrecognised()));
    };
    let year = i32::from(year.to_u16());
    let (m, leap) = (u32::from(month.to_u8()), month.is_leap_month());
    Some(exists(year, m, u32::from(day.to_u8()), leap, shown))
}

/// `初八`, `廿三`, `二十三`, `三十`, or the day's number.
fn lunar_day(s: &str) -> Option<LunarDay> {
    if let Ok(n) = s.parse::<u8>() {
        return LunarDay::from_u8(n).ok();
    }
    match s.strip_prefix("二十") {
        Some(rest) if !rest.is_empty() => LunarDay::parse_str(format!("廿{rest}")).ok(),
        _ => LunarDay::parse_str(s).ok(),
    }
}

/// The day, if that year's month has it.
fn exists(y: i32, m: u32, d: u32, leap: bool, shown: &str) -> Result<(Lunar, bool), LunarError> {
    if !(1..=12).contains(&m) || !(1..=30).contains(&d) {
        return Err(LunarError::Date(DateError::Impossible(shown.into())));
    }
    if !YEARS.contains(&y) {
        return Err(LunarError::Date(DateError::OutOfRange(shown.into())));
    }
    let day = Lunar {
        year: y as u16,
        month: m as u8,
        day: d as u8,
    };
    match LunisolarDate::from_ymd(day.year, day.month, leap, day.day) {
        Ok(_) => Ok((day, leap)),
        Err(LunisolarDateError::MonthIncorrect) => Err(LunarError::NoLeap {
            shown: shown.into(),
            month: day.month(true),
        }),
        Err(LunisolarDateError::DayIncorrect) => Err(LunarError::ShortMonth {
            shown: shown.into(),
            month: day.month(leap),
        }),
        Err(_) => Err(LunarError::Date(DateError::OutOfRange(shown.into()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> (String, bool) {
        let (d, leap) = parse_text(s).unwrap_or_else(|e| panic!("{s}: {e:?}"));
        (d.iso(), leap)
    }

    #[test]
    fn a_lunar_month_has_a_day_30_whatever_its_number() {
        // 1998's 二月 has 29 days, 2001's 30 (the calendar's).
        assert_eq!(ok("2001-02-30"), ("2001-02-30".into(), false));
        assert_eq!(ok("2001年2月30日"), ("2001-02-30".into(), false));
        assert_eq!(ok("20010230"), ("2001-02-30".into(), false));
        assert!(matches!(
            parse_text("1998-02-30"),
            Err(LunarError::ShortMonth { month, .. }) if month.chinese() == "1998年二月"
        ));
        for s in ["1998-01-31", "1998-13-01", "1998-00-10"] {
            assert!(
                matches!(
                    parse_text(s),
                    Err(LunarError::Date(DateError::Impossible(_)))
                ),
                "{s}"
            );
        }
        for s in ["1900-01-01", "2101-01-01"] {
            assert!(
                matches!(
                    parse_text(s),
                    Err(LunarError::Date(DateError::OutOfRange(_)))
                ),
                "{s}"
            );
        }
    }

    #[test]
    fn chinese_months_and_days_are_read() {
        assert_eq!(ok("1998年腊月初八"), ("1998-12-08".into(), false));
        assert_eq!(ok("农历1998年冬月二十三"), ("1998-11-23".into(), false));
        assert_eq!(ok("农历：1998年十一月廿三日"), ("1998-11-23".into(), false));
        assert_eq!(ok("一九九八年正月十五"), ("1998-01-15".into(), false));
        assert_eq!(ok("1998年12月初八"), ("1998-12-08".into(), false));
        // 1998 has a leap 五月: sent as 五月, and said to be a leap month.
        assert_eq!(ok("1998年闰五月初一"), ("1998-05-01".into(), true));
        assert!(matches!(
            parse_text("1998年闰二月初一"),
            Err(LunarError::NoLeap { month, .. }) if month.chinese() == "1998年闰二月"
        ));
        assert!(matches!(parse_text("腊月初八"), Err(LunarError::NoYear(_))));
        for s in [
            "1998年腊月初",
            "1998年十三月初一",
            "明年腊月",
            "1998年二月三十一",
        ] {
            assert!(
                matches!(
                    parse_text(s),
                    Err(LunarError::Date(DateError::Unrecognised(_)))
                ),
                "{s}"
            );
        }
    }

    #[test]
    fn the_directory_s_day_is_kept_as_it_is() {
        assert_eq!(listed("1998-02-30").as_deref(), Some("1998-02-30"));
        assert_eq!(listed("1998-2-3").as_deref(), Some("1998-02-03"));
        assert_eq!(listed("1998-01-31").as_deref(), Some("1998-01-31"));
        for s in ["", "0000-00-00", "1998-01-32", "1998-13-01"] {
            assert_eq!(listed(s), None, "{s}");
        }
    }
}
