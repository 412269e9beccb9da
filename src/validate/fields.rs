//! One cell, one column: the value as the API wants it, or what is wrong with it.

use std::borrow::Cow;

use crate::model::tree::name_rule;
use crate::model::{Field, Kind};
use crate::read::Cell;

use super::dates::{self, DateError};
use super::lunar::{self, LunarError};
use super::rule::{self, Rule};

/// What is wrong with one value, in both languages, with a fixed `reason` to group by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub reason: Rule,
    pub zh: Text,
    pub en: Text,
}

/// A problem's text: a fixed one is not copied for each row it is found in (an export checked
/// online has the same warning on every one of its 100,000 rows, kept to the end of the run).
pub type Text = std::borrow::Cow<'static, str>;

pub fn problem(reason: Rule, zh: impl Into<Text>, en: impl Into<Text>) -> Problem {
    Problem {
        reason,
        zh: zh.into(),
        en: en.into(),
    }
}

pub const MAX_CHECK_ID: u64 = 2_147_483_647;

/// A 人事状态 an HR system writes for someone employed (在职, 在岗) or employed in a way 办公逸
/// has no status for (实习 interns, 劳务派遣 and 外包 staff from an agency, 返聘 retirees
/// taken back): none of the API's four (已转正/试用期/兼职/已离职), and not which of the first
/// three.
pub fn in_service(cell: &Cell) -> bool {
    matches!(
        trimmed(cell.text()).as_ref(),
        "在职" | "在岗" | "实习" | "实习生" | "劳务派遣" | "派遣" | "外包" | "返聘"
    )
}

/// What is said of a row whose 人事状态 is [`in_service`]: nothing sent, the row still valid.
pub fn in_service_problem() -> Problem {
    problem(
        rule::IN_SERVICE,
        "在职、在岗、实习、劳务派遣、外包等不是办公逸的人事状态 (已转正/试用期/兼职/已离职),不发送:通讯录里此人的人事状态不变 (bgy 标记为离职的人除外:恢复为之前的状态);要设置,请填这四种之一",
        "在职/在岗 (in service), 实习 (intern), 劳务派遣/外包 (agency staff) and the like are none of 办公逸's HR statuses (已转正/试用期/兼职/已离职): not sent, the person's status in the directory stays as it is (unless bgy marked them as a leaver: they are brought back); to set it, write one of the four",
    )
}

/// The normalised value of `cell` in column `field`; `None` when the cell is empty. Borrowed
/// from the cell when the rules leave its text as it is (most of a sheet's cells: a string
/// each, made and freed, was a fifth of a 100,000-row validation's time).
pub fn normalize(field: Field, cell: &Cell) -> Result<Option<Cow<'_, str>>, Problem> {
    if cell.is_empty() {
        return Ok(None);
    }
    if let Cell::Error(e) = cell {
        return Err(problem(
            rule::EXCEL_ERROR,
            format!("单元格是 Excel 错误值 {e}"),
            format!("the cell holds the Excel error {e}"),
        ));
    }
    // Digits, dates and e-mails typed with a Chinese input method: `１３８…`,
    // `２０２６－１１－０２`, `ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ`.
    if let Cell::Text(s) = cell {
        let ascii = field.kind() != Kind::Text || field == Field::WeEmail;
        if ascii && !s.is_ascii() && s.chars().any(is_full_width) {
            let half = Cell::Text(s.chars().map(half_width).collect());
            return normalize(field, &half).map(|v| v.map(|v| Cow::Owned(v.into_owned())));
        }
    }
    let text = match field.kind() {
        Kind::Date => return date(cell).map(|d| Some(Cow::Owned(d))),
        Kind::LunarDate => return lunar_date(cell).map(|d| Some(Cow::Owned(d))),
        // What is wrong with a card typed as a number is said without its digits.
        Kind::Digits if field == Field::BankCard => digits_text(cell).map_err(card_problem)?,
        Kind::Digits => digits_text(cell)?,
        Kind::Text => trimmed(cell.text()),
    };
    if text.is_empty() {
        return Ok(None);
    }
    if let Some(c) = crate::text::control_char(&text) {
        return Err(problem(
            rule::CONTROL_CHARACTER,
            format!("包含不可见的控制字符 U+{:04X}", c as u32),
            format!(
                "contains the invisible control character U+{:04X}",
                c as u32
            ),
        ));
    }
    check(field, text).map(|v| (!v.is_empty()).then_some(v))
}

/// A problem of a bank card's digits, said without them: the card number is never shown.
fn card_problem(p: Problem) -> Problem {
    match p.reason {
        rule::NUMBER_LOST_PRECISION => problem(
            p.reason,
            "银行卡号超过 15 位,存成数字后 Excel 已丢失末尾数字;请把该列设为文本后重新输入",
            "a bank card number of more than 15 digits stored as a number has lost its last digits in Excel; format the column as text and type it again",
        ),
        _ => problem(p.reason, "银行卡号只能是数字", "a bank card number has digits only"),
    }
}

/// `text` without the spaces around it, still borrowed if it was.
fn trimmed(text: Cow<'_, str>) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(s) => Cow::Borrowed(crate::text::trim(s)),
        Cow::Owned(s) if crate::text::trim(&s).len() == s.len() => Cow::Owned(s),
        Cow::Owned(s) => Cow::Owned(crate::text::trim(&s).to_string()),
    }
}

/// A full-width form of an ASCII character (or the ideographic space).
fn is_full_width(c: char) -> bool {
    matches!(c, '\u{FF01}'..='\u{FF5E}' | '\u{3000}')
}

/// The ASCII character a full-width one stands for; any other character as it is.
fn half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

fn date(cell: &Cell) -> Result<String, Problem> {
    match dates::parse_cell(cell) {
        Ok(d) => Ok(dates::iso(d)),
        Err(DateError::Impossible(s)) => Err(problem(
            rule::IMPOSSIBLE_DATE,
            format!("日期不存在: {s}"),
            format!("no such date: {s}"),
        )),
        Err(DateError::OutOfRange(s)) => Err(problem(
            rule::DATE_OUT_OF_RANGE,
            format!("日期超出 1900–2100 年: {s}"),
            format!("date outside 1900–2100: {s}"),
        )),
        Err(DateError::Unrecognised(s)) => Err(problem(
            rule::UNRECOGNISED_DATE,
            format!("无法识别的日期 {s:?},请写成 2016-01-01、2016/1/1 或 2016年1月1日"),
            format!("unrecognised date {s:?}; write it as 2016-01-01, 2016/1/1 or 2016年1月1日"),
        )),
        Err(DateError::Year(s)) => Err(year_problem(&s)),
    }
}

/// A year, a month or a month and day in a date column ([`DateError::Year`]).
fn year_problem(s: &str) -> Problem {
    problem(
        rule::NOT_A_WHOLE_DATE,
        format!("{s} 不是完整日期 (年份、年.月 还是 月.日?);请写出年月日,如 2010-07-01"),
        format!("{s} is not a whole date (a year, a year.month or a month.day?); write all three, as in 2010-07-01"),
    )
}

/// A 农历 date ([`lunar`]): a day 30 of any month the year gives 30 days.
fn lunar_date(cell: &Cell) -> Result<String, Problem> {
    match lunar::parse_cell(cell) {
        Ok((d, _)) => Ok(d.iso()),
        Err(LunarError::Date(DateError::Impossible(s))) => Err(problem(
            rule::IMPOSSIBLE_DATE,
            format!("农历没有这一天: {s} (月份 1–12,日 1–30)"),
            format!("no such day of the lunar calendar: {s} (months 1–12, days 1–30)"),
        )),
        Err(LunarError::Date(DateError::OutOfRange(s))) => Err(problem(
            rule::DATE_OUT_OF_RANGE,
            format!("农历日期超出 1901–2100 年: {s}"),
            format!("lunar date outside 1901–2100: {s}"),
        )),
        Err(LunarError::Date(DateError::Unrecognised(s))) => Err(problem(
            rule::UNRECOGNISED_DATE,
            format!("无法识别的农历日期 {s:?},请写成 1998-02-30 或 1998年腊月初八"),
            format!("unrecognised lunar date {s:?}; write it as 1998-02-30 or 1998年腊月初八"),
        )),
        Err(LunarError::Date(DateError::Year(s))) => Err(year_problem(&s)),
        Err(LunarError::NoYear(s)) => Err(problem(
            rule::LUNAR_WITHOUT_YEAR,
            format!("农历日期 {s:?} 缺少年份,请加上出生那年,如 1998年{s}"),
            format!("the lunar date {s:?} has no year; add the year, as in 1998年{s}"),
        )),
        Err(LunarError::ShortMonth { shown, month }) => Err(problem(
            rule::IMPOSSIBLE_DATE,
            format!(
                "农历日期不存在: {shown} (农历{}只有 29 天)",
                month.chinese()
            ),
            format!(
                "no such lunar date: {shown} ({} has 29 days)",
                month.english()
            ),
        )),
        Err(LunarError::NoLeap { shown, month }) => Err(problem(
            rule::IMPOSSIBLE_DATE,
            format!("农历日期不存在: {shown} (农历{}不存在)", month.chinese()),
            format!(
                "no such lunar date: {shown} (the lunar year {} has no leap month {})",
                month.year, month.number
            ),
        )),
    }
}

/// A 农历生日 written as a leap month (`闰四月`): sent as its month, since 办公逸 has no leap
/// month to store.
pub fn leap_month(field: Field, cell: &Cell) -> Option<Problem> {
    let Cell::Text(text) = cell else { return None };
    if field != Field::BirthdayL || !text.contains(['闰', '閏']) {
        return None;
    }
    let (day, true) = lunar::parse_cell(cell).ok()? else {
        return None;
    };
    let (chinese, english) = (day.month(true).chinese(), day.month(true).english());
    let plain = day.month(false).name();
    let (m, iso) = (day.month, day.iso());
    Some(problem(
        rule::LEAP_MONTH,
        format!("{chinese}按{plain}发送 ({iso}):办公逸的农历生日没有闰月"),
        format!(
            "{english} is sent as month {m} ({iso}): 办公逸's lunar birthday has no leap months"
        ),
    ))
}

/// The digits a person typed: a number cell as its integer text, `1.38001380000E+10` repaired
/// when it is exact, `13800138000.0` trimmed.
pub fn digits_text(cell: &Cell) -> Result<Cow<'_, str>, Problem> {
    match cell {
        Cell::Number(n) => {
            if n.fract() != 0.0 {
                return Err(problem(
                    rule::NOT_WHOLE_NUMBER,
                    format!("应为整数,单元格是 {}", crate::read::number_text(*n)),
                    format!(
                        "expected a whole number, the cell holds {}",
                        crate::read::number_text(*n)
                    ),
                ));
            }
            if n.abs() >= 1e15 {
                return Err(lost_precision(&crate::read::number_text(*n)));
            }
            Ok(Cow::Owned(format!("{}", *n as i64)))
        }
        other => {
            let text = trimmed(other.text());
            if let Some(repaired) = repair_scientific(&text)? {
                return Ok(Cow::Owned(repaired));
            }
            // `13800138000.0`, as some exports write integers.
            if let Some((int, frac)) = text.split_once('.') {
                if !int.is_empty()
                    && int.bytes().all(|b| b.is_ascii_digit())
                    && !frac.is_empty()
                    && frac.bytes().all(|b| b == b'0')
                {
                    return Ok(Cow::Owned(int.to_string()));
                }
            }
            Ok(text)
        }
    }
}

fn lost_precision(shown: &str) -> Problem {
    problem(
        rule::NUMBER_LOST_PRECISION,
        format!("数字 {shown} 超过 15 位,Excel 已丢失末尾数字;请把该列设为文本后重新输入"),
        format!("{shown} has more than 15 digits and Excel has lost the last ones; format the column as text and type it again"),
    )
}

/// `1.38001380000E+10` → `13800138000`; `1.38E+10` (digits lost) → an error; other text → None.
fn repair_scientific(text: &str) -> Result<Option<String>, Problem> {
    let Some((mantissa, exp)) = text.split_once(['e', 'E']) else {
        return Ok(None);
    };
    let exp = exp.strip_prefix('+').unwrap_or(exp);
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || !(frac.is_empty() || all_digits(frac)) || !all_digits(exp) {
        return Ok(None);
    }
    let exp: usize = exp.parse().map_err(|_| lost_scientific(text))?;
    if exp > 30 {
        return Err(lost_scientific(text));
    }
    if frac.len() < exp {
        return Err(lost_scientific(text));
    }
    // More digits than places: exact only when the extra ones are zeros.
    let digits = format!("{int}{frac}");
    let (whole, rest) = digits.split_at(int.len() + exp);
    if !rest.bytes().all(|b| b == b'0') {
        return Err(problem(
            rule::NOT_WHOLE_NUMBER,
            format!("应为整数: {text}"),
            format!("expected a whole number: {text}"),
        ));
    }
    let whole = whole.trim_start_matches('0');
    Ok(Some(if whole.is_empty() { "0" } else { whole }.to_string()))
}

fn lost_scientific(shown: &str) -> Problem {
    problem(
        rule::NUMBER_LOST_PRECISION,
        format!("{shown} 是科学计数法,末尾数字已丢失;请把该列设为文本后重新输入完整号码"),
        format!("{shown} is in scientific notation and its last digits are lost; format the column as text and type the full number"),
    )
}

pub(crate) fn is_account(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.@".contains(&b))
}

fn account_problem(s: &str) -> Problem {
    if s.chars().count() > 64 {
        problem(
            rule::ACCOUNT_TOO_LONG,
            "帐号最多 64 个字符",
            "an account has at most 64 characters",
        )
    } else {
        problem(
            rule::ACCOUNT_CHARACTERS,
            format!("帐号 {s:?} 只能包含字母、数字和 _ - . @"),
            format!("account {s:?} may only contain letters, digits and _ - . @"),
        )
    }
}

/// One 部门ID: digits, a positive number.
fn is_department_id(id: &str) -> bool {
    id.bytes().all(|b| b.is_ascii_digit()) && id.parse::<u64>().is_ok_and(|n| n != 0)
}

/// 部门ID as [`check`] writes them (`3,4`): each a [`is_department_id`], one comma between
/// them. Kept as they are, not split and joined again: an export has them on every row.
fn canonical_ids(text: &str) -> bool {
    text.split(',').all(is_department_id)
}

/// 部门 as [`department_paths`] writes them (`办公逸/研发部;办公逸/客服部`): half-width
/// separators (a level's name has no full-width one), no spaces around a level, each level a
/// name within the rules (not empty). Kept as they are: taken apart into levels and joined
/// again, with 部门ID's, an export's 100,000 rows cost ~0.4 G instructions (valgrind), ~4 %
/// of a plan's.
fn canonical_paths(text: &str) -> bool {
    text.split(';').all(|path| {
        path.split('/')
            .all(|level| level.trim() == level && name_rule(level).is_none())
    })
}

/// 部门: paths separated by `;` (or `；`), levels by `/` (or `／`), each level trimmed and
/// within the rules for a department's name.
fn department_paths(text: &str) -> Result<String, Problem> {
    let mut paths = Vec::new();
    for path in split_list(text, &[';', '；']) {
        let path: crate::model::tree::DeptPath =
            path.parse().map_err(|e: crate::model::tree::PathError| {
                problem(rule::DEPARTMENT_PATH, e.zh, e.en)
            })?;
        paths.push(path.to_string());
    }
    Ok(paths.join(";"))
}

fn split_list(s: &str, seps: &[char]) -> Vec<String> {
    s.split(seps)
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Field-specific rules on the trimmed text.
// A flat match: one arm a column, each its rule as the SPEC's table states it.
#[allow(clippy::too_many_lines)]
fn check(field: Field, text: Cow<'_, str>) -> Result<Cow<'_, str>, Problem> {
    match field {
        Field::WeUserid => {
            if is_account(&text) {
                Ok(text)
            } else {
                Err(account_problem(&text))
            }
        }
        Field::WeName | Field::EnglishName => {
            if text.chars().count() > 64 {
                Err(problem(
                    rule::NAME_TOO_LONG,
                    "姓名最多 64 个字符",
                    "a name has at most 64 characters",
                ))
            } else {
                Ok(text)
            }
        }
        Field::WeGender => match field.choice_value(&text) {
            Some(v) => Ok(v.into()),
            None => Err(problem(
                rule::GENDER,
                format!("性别应为 男 或 女,不是 {text:?}"),
                format!("gender must be 男 (male) or 女 (female), not {text:?}"),
            )),
        },
        Field::WeMobile => mobile(text),
        Field::WeEmail => {
            let ok = text.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            }) && !text.chars().any(char::is_whitespace);
            if ok {
                Ok(text)
            } else {
                Err(problem(
                    rule::EMAIL,
                    format!("不是有效的邮箱地址: {text}"),
                    format!("not an e-mail address: {text}"),
                ))
            }
        }
        Field::WeId => {
            if canonical_ids(&text) {
                return Ok(text);
            }
            let ids = split_list(&text, &[',', '，']);
            for id in &ids {
                if !is_department_id(id) {
                    return Err(problem(
                        rule::DEPARTMENT_ID,
                        format!("部门ID {id:?} 不是正整数,多个用逗号分隔"),
                        format!("department id {id:?} is not a positive whole number; separate several with commas"),
                    ));
                }
            }
            Ok(ids.join(",").into())
        }
        Field::WeDepartment => match canonical_paths(&text) {
            true => Ok(text),
            false => department_paths(&text).map(Cow::Owned),
        },
        // An account, or a person's name (as HR systems export the column: at most 64
        // characters, as a 姓名), found as an account across the rows and in the directory
        // ([`super::leaders`]).
        Field::LeadId => {
            if text.chars().count() <= 64 {
                Ok(text)
            } else {
                Err(account_problem(&text))
            }
        }
        Field::Subordinate => {
            let accounts = split_list(&text, &['/', '／']);
            match accounts.iter().find(|a| !is_account(a)) {
                Some(bad) => Err(account_problem(bad)),
                None => Ok(accounts.join("/").into()),
            }
        }
        Field::WeTag => Ok(split_list(&text, &['/', '／']).join("/").into()),
        Field::Status => match field.choice_value(&text) {
            Some(v) => Ok(v.into()),
            None => Err(problem(
                rule::STATUS,
                format!("人事状态应为 已转正/试用期/兼职/已离职,不是 {text:?}"),
                format!("status must be 已转正/试用期/兼职/已离职 (0-3), not {text:?}"),
            )),
        },
        Field::BankCard => {
            let card: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            if !card.is_empty() && card.bytes().all(|b| b.is_ascii_digit()) {
                Ok(card.into())
            } else {
                // Never echo the card number.
                Err(problem(
                    rule::BANK_CARD,
                    "银行卡号只能是数字",
                    "a bank card number has digits only",
                ))
            }
        }
        Field::CheckId => {
            if !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(problem(
                    rule::CHECK_ID_DIGITS,
                    format!("考勤号只能是数字,不是 {text:?} (1216)"),
                    format!("check id must be digits only, not {text:?} (1216)"),
                ));
            }
            if text.starts_with('0') {
                return Err(problem(
                    rule::CHECK_ID_LEADING_ZERO,
                    "考勤号不能以 0 开头 (1208)",
                    "check id must not start with 0 (1208)",
                ));
            }
            if text.len() > 10 || text.parse::<u64>().map_or(true, |n| n > MAX_CHECK_ID) {
                return Err(problem(
                    rule::CHECK_ID_TOO_LARGE,
                    "考勤号不能大于 2147483647 (1215)",
                    "check id must be at most 2147483647 (1215)",
                ));
            }
            Ok(text)
        }
        Field::ToQy => match field.choice_value(&text) {
            Some(v) => Ok(v.into()),
            None => Err(problem(
                rule::SYNC_FLAG,
                format!("同步到企业号应为 是 或 否,不是 {text:?}"),
                format!("同步到企业号 must be 是 (yes) or 否 (no), not {text:?}"),
            )),
        },
        _ => Ok(text),
    }
}

fn mobile(text: Cow<'_, str>) -> Result<Cow<'_, str>, Problem> {
    // What HR systems write around a number's digits: spaces, dashes, and the brackets of
    // `(+86)138…` (full-width ones are half-width by now: [`normalize`]).
    let separator = |c: char| {
        c.is_whitespace() || crate::text::is_invisible(c) || matches!(c, '-' | '—' | '(' | ')')
    };
    let mut number = match text.contains(separator) {
        true => Cow::Owned(text.chars().filter(|c| !separator(*c)).collect()),
        false => text.clone(),
    };
    // A country code written without its `+`: `0086 138…` as dialled from abroad, or `86-138…`
    // (13 digits, a mainland mobile after the 86).
    if let Some(rest) = number.strip_prefix("00").filter(|r| r.len() >= 5) {
        number = Cow::Owned(format!("+{rest}"));
    } else if number.len() == 13 && number.starts_with("861") && is_mainland(&number[2..]) {
        number = Cow::Owned(format!("+{number}"));
    }
    let valid = if let Some(rest) = number.strip_prefix('+') {
        (5..=20).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit())
    } else {
        is_mainland(&number)
    };
    if valid {
        Ok(number)
    } else {
        Err(problem(
            rule::MOBILE,
            format!("不是有效的手机号: {text} (应为 1[3-9] 开头的 11 位数字,或 +国家码)"),
            format!("not a mobile number: {text} (11 digits starting 13-19, or +country code)"),
        ))
    }
}

/// A mainland mobile: 11 digits, `1[3-9]…`.
fn is_mainland(number: &str) -> bool {
    number.len() == 11
        && number.starts_with('1')
        && matches!(number.as_bytes()[1], b'3'..=b'9')
        && number.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(field: Field, cell: Cell) -> Result<Option<String>, Problem> {
        normalize(field, &cell).map(|v| v.map(Cow::into_owned))
    }

    fn t(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn number_cells_read_as_typed() {
        assert_eq!(
            n(Field::WeMobile, Cell::Number(13800138000.0))
                .unwrap()
                .unwrap(),
            "13800138000"
        );
        assert_eq!(
            n(Field::WeUserid, Cell::Number(10086.0)).unwrap().unwrap(),
            "10086"
        );
        assert_eq!(
            n(Field::CheckId, Cell::Number(123.0)).unwrap().unwrap(),
            "123"
        );
        assert_eq!(
            n(Field::WeMobile, t("13800138000.0")).unwrap().unwrap(),
            "13800138000"
        );
        // Only a whole number's `.0` goes, and only after digits.
        assert_eq!(
            n(Field::WeMobile, t("13800138000.5")).unwrap_err().reason,
            rule::MOBILE
        );
        assert_eq!(
            n(Field::WeUserid, t("10086.5")).unwrap().unwrap(),
            "10086.5"
        );
        assert_eq!(
            n(Field::WeMobile, t(".0")).unwrap_err().reason,
            rule::MOBILE
        );
        assert_eq!(
            n(Field::BankCard, Cell::Number(6.222020200112233e18))
                .unwrap_err()
                .reason,
            rule::NUMBER_LOST_PRECISION
        );
        // Excel keeps 15 digits: a 16-digit card typed as a number ends in a 0 it made up.
        assert_eq!(
            n(Field::BankCard, Cell::Number(6222020200112230.0))
                .unwrap_err()
                .reason,
            rule::NUMBER_LOST_PRECISION
        );
        assert_eq!(
            n(Field::WeUserid, Cell::Number(999_999_999_999_999.0))
                .unwrap()
                .unwrap(),
            "999999999999999"
        );
    }

    #[test]
    fn a_dates_problem_is_told_by_its_reason() {
        let reason = |field, s: &str| n(field, t(s)).unwrap_err().reason;
        for (field, typed, why) in [
            (Field::EntryTime, "2026-02-30", rule::IMPOSSIBLE_DATE),
            (Field::EntryTime, "1800-01-01", rule::DATE_OUT_OF_RANGE),
            (Field::EntryTime, "下周一", rule::UNRECOGNISED_DATE),
            (Field::EntryTime, "2010.07", rule::NOT_A_WHOLE_DATE),
            (Field::BirthdayL, "腊月初八", rule::LUNAR_WITHOUT_YEAR),
            (Field::BirthdayL, "1800年腊月初八", rule::DATE_OUT_OF_RANGE),
            (Field::BirthdayL, "1998-02-31", rule::IMPOSSIBLE_DATE),
            (Field::BirthdayL, "1998年闰二月初一", rule::IMPOSSIBLE_DATE),
            (Field::BirthdayL, "属虎那年", rule::UNRECOGNISED_DATE),
        ] {
            assert_eq!(reason(field, typed), why, "{typed}");
        }
    }

    #[test]
    fn scientific_text_is_repaired_only_when_exact() {
        assert_eq!(
            n(Field::WeMobile, t("1.38001380000E+10")).unwrap().unwrap(),
            "13800138000"
        );
        assert_eq!(
            n(Field::WeMobile, t("1.3800138E+10")).unwrap_err().reason,
            rule::NUMBER_LOST_PRECISION
        );
        assert_eq!(
            n(Field::WeMobile, t("1.38E+10")).unwrap_err().reason,
            rule::NUMBER_LOST_PRECISION
        );
        assert_eq!(
            n(Field::WeMobile, t("1.3800138000E+10")).unwrap().unwrap(),
            "13800138000"
        );
        assert_eq!(
            n(Field::WeMobile, t("1.38001380001E+10"))
                .unwrap_err()
                .reason,
            rule::NOT_WHOLE_NUMBER
        );
        // Zero is a digit, not an empty cell.
        assert_eq!(
            n(Field::CheckId, t("0E+0")).unwrap_err().reason,
            rule::CHECK_ID_LEADING_ZERO
        );
        assert_eq!(n(Field::WeUserid, t("0.0E+1")).unwrap().unwrap(), "0");
    }

    #[test]
    fn full_width_digits_and_dates_are_normalised() {
        assert_eq!(
            n(Field::WeMobile, t("１３８００１３８０００"))
                .unwrap()
                .as_deref(),
            Some("13800138000")
        );
        assert_eq!(
            n(Field::WeUserid, t("ｚｈａｎｇ＿３")).unwrap().as_deref(),
            Some("zhang_3")
        );
        assert_eq!(
            n(Field::EntryTime, t("２０２６－１１－０２"))
                .unwrap()
                .as_deref(),
            Some("2026-11-02")
        );
        assert_eq!(
            n(Field::WeName, t("张三（销售）")).unwrap().as_deref(),
            Some("张三（销售）"),
            "names keep what the person wrote"
        );
        assert_eq!(
            n(Field::EntryTime, Cell::Number(20261102.0))
                .unwrap()
                .as_deref(),
            Some("2026-11-02"),
            "a date typed as a number, as the README promises"
        );
        assert_eq!(
            n(Field::EntryTime, Cell::Number(46328.0))
                .unwrap()
                .as_deref(),
            Some("2026-11-02"),
            "a serial stays a serial"
        );
        assert!(n(Field::EntryTime, Cell::Number(20261302.0)).is_err());
    }

    #[test]
    fn control_characters_are_refused() {
        let e = n(Field::WeName, t("张\u{0}三")).unwrap_err();
        assert!(e.en.contains("U+0000"), "{}", e.en);
        assert!(n(Field::Address, t("北京\n朝阳")).is_ok());
    }

    #[test]
    fn mobiles() {
        assert_eq!(
            n(Field::WeMobile, t("138 0013-8000")).unwrap().unwrap(),
            "13800138000"
        );
        assert_eq!(
            n(Field::WeMobile, t("+852 9123 4567")).unwrap().unwrap(),
            "+85291234567"
        );
        assert!(n(Field::WeMobile, t("12800138000")).is_err());
        assert!(n(Field::WeMobile, t("1380013800")).is_err());
        // As HR systems write the country code.
        for written in [
            "(+86)13800138000",
            "（+86）138-0013-8000",
            "86-13800138000",
            "0086 13800138000",
        ] {
            assert_eq!(
                n(Field::WeMobile, t(written)).unwrap().unwrap(),
                "+8613800138000",
                "{written}"
            );
        }
        assert_eq!(
            n(Field::WeMobile, t("00852 9123 4567")).unwrap().unwrap(),
            "+85291234567"
        );
        // A zero-width space pasted from a chat, inside the number.
        assert_eq!(
            n(Field::WeMobile, t("138\u{200b}0013 8000"))
                .unwrap()
                .unwrap(),
            "13800138000"
        );
        assert!(n(Field::WeMobile, t("8612800138000")).is_err());
        assert!(n(Field::WeMobile, t("86138001380001")).is_err());
        assert_eq!(
            n(Field::WeMobile, t("138—0013—8000")).unwrap().unwrap(),
            "13800138000",
            "an em dash, as a word processor makes of two hyphens"
        );
        for bad in ["23800138000", "+85291234abc", "+852 9123 4567 x"] {
            assert_eq!(
                n(Field::WeMobile, t(bad)).unwrap_err().reason,
                rule::MOBILE,
                "{bad}"
            );
        }
    }

    #[test]
    fn an_excel_error_is_no_value() {
        for field in [Field::WeName, Field::WeMobile, Field::EntryTime] {
            let e = n(field, Cell::Error("#N/A".into())).unwrap_err();
            assert_eq!(e.reason, rule::EXCEL_ERROR, "{field:?}");
            assert!(e.en.contains("#N/A"), "{e:?}");
        }
    }

    #[test]
    fn kinds_of_employment_without_a_status_are_in_service() {
        // As the README lists them.
        for word in [
            "在职",
            "在岗",
            "实习",
            "实习生",
            "劳务派遣",
            "派遣",
            "外包",
            "返聘",
        ] {
            assert!(in_service(&t(word)), "{word}");
        }
        for status in ["已转正", "试用期", "兼职", "已离职", "离职", ""] {
            assert!(!in_service(&t(status)), "{status}");
        }
    }

    #[test]
    fn genders_as_hr_systems_write_them() {
        for (written, api) in [
            ("男", "1"),
            ("男性", "1"),
            ("M", "1"),
            ("女性", "2"),
            ("female", "2"),
        ] {
            assert_eq!(
                n(Field::WeGender, t(written)).unwrap().unwrap(),
                api,
                "{written}"
            );
        }
        assert_eq!(
            n(Field::WeGender, t("未知")).unwrap_err().reason,
            rule::GENDER
        );
    }

    #[test]
    fn an_email_typed_full_width_is_read_as_ascii() {
        assert_eq!(
            n(Field::WeEmail, t("ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ"))
                .unwrap()
                .unwrap(),
            "zhang@example.com"
        );
        assert_eq!(
            n(Field::WeEmail, t("li＠x.com")).unwrap().unwrap(),
            "li@x.com"
        );
        // A name keeps what was written.
        assert_eq!(n(Field::WeName, t("ＡＢＣ")).unwrap().unwrap(), "ＡＢＣ");
    }

    /// SPEC: an account and a name have at most 64 characters, counted as characters (a name
    /// of 64 汉字 is 192 bytes); a leader given by account or name, and an 英文名, as much.
    #[test]
    fn accounts_and_names_have_at_most_64_characters() {
        let (a64, a65) = ("a".repeat(64), "a".repeat(65));
        assert_eq!(n(Field::WeUserid, t(&a64)).unwrap().unwrap(), a64);
        assert_eq!(
            n(Field::WeUserid, t(&a65)).unwrap_err().reason,
            rule::ACCOUNT_TOO_LONG
        );
        // An account of 汉字 breaks the characters' rule, not the length's.
        assert_eq!(
            n(Field::WeUserid, t(&"王".repeat(30))).unwrap_err().reason,
            rule::ACCOUNT_CHARACTERS
        );
        let (z64, z65) = ("王".repeat(64), "王".repeat(65));
        for field in [Field::WeName, Field::EnglishName] {
            assert_eq!(n(field, t(&z64)).unwrap().unwrap(), z64, "{field:?}");
            assert_eq!(
                n(field, t(&z65)).unwrap_err().reason,
                rule::NAME_TOO_LONG,
                "{field:?}"
            );
        }
        assert_eq!(n(Field::LeadId, t(&z64)).unwrap().unwrap(), z64);
        assert_eq!(
            n(Field::LeadId, t(&a65)).unwrap_err().reason,
            rule::ACCOUNT_TOO_LONG
        );
        let subordinates = format!("b/{a65}");
        assert_eq!(
            n(Field::Subordinate, t(&subordinates)).unwrap_err().reason,
            rule::ACCOUNT_TOO_LONG
        );
    }

    #[test]
    fn check_ids_follow_the_api() {
        assert!(n(Field::CheckId, t("0123"))
            .unwrap_err()
            .zh
            .contains("不能以 0 开头"));
        assert_eq!(
            n(Field::CheckId, t("2147483648")).unwrap_err().reason,
            rule::CHECK_ID_TOO_LARGE
        );
        assert_eq!(
            n(Field::CheckId, t("2147483647")).unwrap().unwrap(),
            "2147483647"
        );
        assert_eq!(
            n(Field::CheckId, t("12a")).unwrap_err().reason,
            rule::CHECK_ID_DIGITS
        );
    }

    #[test]
    fn enumerations_and_lists() {
        assert_eq!(n(Field::WeGender, t("女")).unwrap().unwrap(), "2");
        assert_eq!(n(Field::WeGender, t("Male")).unwrap().unwrap(), "1");
        assert!(n(Field::WeGender, t("x")).is_err());
        assert_eq!(n(Field::Status, t("试用期")).unwrap().unwrap(), "1");
        for (hr, api) in [("正式员工", "0"), ("试用员工", "1"), ("兼职员工", "2")] {
            assert_eq!(n(Field::Status, t(hr)).unwrap().unwrap(), api, "{hr}");
        }
        assert_eq!(n(Field::ToQy, t("否")).unwrap().unwrap(), "-1");
        assert_eq!(
            n(Field::ToQy, t("是")).unwrap(),
            None,
            "是 is the default: nothing sent"
        );
        assert_eq!(n(Field::WeId, t("2，4, 8")).unwrap().unwrap(), "2,4,8");
        assert_eq!(
            n(Field::WeDepartment, t("办公逸／研发部；办公逸/客服部;"))
                .unwrap()
                .unwrap(),
            "办公逸/研发部;办公逸/客服部"
        );
        assert!(n(Field::WeDepartment, t("办公逸//研发部")).is_err());
        assert!(n(Field::WeUserid, t("张三")).is_err());
        assert!(n(Field::WeEmail, t("a@b")).is_err());
        assert_eq!(n(Field::WeEmail, t("a@b.cn")).unwrap().unwrap(), "a@b.cn");
        for bad in ["@b.cn", "a@.cn", "a@b.", "a@b@c.cn", "a b@c.cn"] {
            assert_eq!(
                n(Field::WeEmail, t(bad)).unwrap_err().reason,
                rule::EMAIL,
                "{bad}"
            );
        }
        // Lists: separators half-width, spaces around an item gone.
        assert_eq!(
            n(Field::Subordinate, t("zhangsan／ lisi"))
                .unwrap()
                .unwrap(),
            "zhangsan/lisi"
        );
        assert_eq!(
            n(Field::WeTag, t("销售 / 北京／骨干")).unwrap().unwrap(),
            "销售/北京/骨干"
        );
        assert_eq!(
            n(Field::BankCard, t("6222 0202 0011 2233"))
                .unwrap()
                .unwrap(),
            "6222020200112233"
        );
        // A number's sign is no digit: `+3` is no we_id, though Rust would parse it.
        assert_eq!(
            n(Field::WeId, t("+3")).unwrap_err().reason,
            rule::DEPARTMENT_ID
        );
    }

    #[test]
    fn bank_card_errors_never_echo_the_number() {
        // Typed as text, as a number Excel rounded, in scientific notation, with a fraction.
        for cell in [
            t("6222 0202 x"),
            Cell::Number(6.222020200112233e18),
            t("6.22202E+18"),
            t("6.2220202001122334E+15"),
            Cell::Number(622202.5),
            t("６２２２０２x"),
        ] {
            let e = n(Field::BankCard, cell.clone()).unwrap_err();
            assert!(
                !e.zh.contains("6222") && !e.en.contains("6222"),
                "{cell:?}: {e:?}"
            );
            assert!(e.zh.contains("银行卡号"), "{cell:?}: {e:?}");
        }
        let e = n(Field::BankCard, Cell::Number(6.222020200112233e18)).unwrap_err();
        assert!(e.en.contains("lost its last digits"), "{e:?}");
    }

    #[test]
    fn ids_and_paths_already_as_written_are_kept_and_the_rest_rewritten() {
        for kept in ["3", "3,4", "007,12"] {
            assert!(canonical_ids(kept), "{kept}");
            assert_eq!(n(Field::WeId, t(kept)).unwrap().unwrap(), kept);
        }
        assert_eq!(n(Field::WeId, t("3， 4")).unwrap().unwrap(), "3,4");
        for rewritten in ["3,,4", "3, 4", "0", "3,0", ""] {
            assert!(!canonical_ids(rewritten), "{rewritten}");
        }
        for kept in ["办公逸", "办公逸/研发部", "办公逸/研发部;办公逸/客 服部"]
        {
            assert!(canonical_paths(kept), "{kept}");
            assert_eq!(n(Field::WeDepartment, t(kept)).unwrap().unwrap(), kept);
        }
        assert_eq!(
            n(Field::WeDepartment, t("办公逸／研发部 ；办公逸/ 客服部/"))
                .unwrap()
                .unwrap(),
            "办公逸/研发部;办公逸/客服部"
        );
        let long = format!("办公逸/{}", "长".repeat(65));
        assert!(!canonical_paths(&long));
        assert!(n(Field::WeDepartment, t(&long)).is_err());
        for rewritten in ["a//b", "a/", "a;;b", "a; b", "a /b", ";a"] {
            assert!(!canonical_paths(rewritten), "{rewritten}");
        }
    }

    proptest::proptest! {
        /// Whatever is kept as it is, the full rules would have written the same.
        #[test]
        fn ids_and_paths_kept_are_what_the_rules_write(
            ids in "[0-9,， ]{0,12}",
            paths in "[a研/／;； \u{3000}]{0,12}",
        ) {
            if canonical_ids(&ids) {
                let split = split_list(&ids, &[',', '，']);
                proptest::prop_assert_eq!(split.join(","), ids.clone());
                proptest::prop_assert!(split.iter().all(|id| id.parse::<u64>().is_ok_and(|n| n > 0)));
            }
            if canonical_paths(&paths) {
                proptest::prop_assert_eq!(department_paths(&paths).ok(), Some(paths.clone()));
            }
        }
    }
}
