//! Cutting texts to fit where they go: a spreadsheet cell, one line of the console, a journal
//! line. Texts from a server are redacted before they reach any of these (see `api`). And the
//! words a failed write is said in, Chinese and English ([`Unwritten`]).

use std::borrow::Cow;

/// Excel's own limit on the characters in one cell.
pub const CELL_CHARS: usize = 32_767;
/// One line on stderr.
pub const LINE_CHARS: usize = 300;
/// A message kept in the journal, an error or a report row: at most this many bytes.
pub const MESSAGE_BYTES: usize = 4096;

/// At most `max` characters of `s`, the last of them `…` when it was cut.
pub fn cut_chars(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some(_) => {
            let keep = max.saturating_sub(1);
            let end = s.char_indices().nth(keep).map_or(s.len(), |(i, _)| i);
            Cow::Owned(format!("{}…", &s[..end]))
        }
    }
}

/// At most `max` bytes of `s` (cut on a character boundary), ending in `…` when it was cut.
pub fn cut_bytes(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}…", &s[..end]))
}

/// `1 person`, `2 people`.
pub fn people(n: usize) -> String {
    count(n, "person", "people")
}

/// `n` with its English noun: `count(1, "row", "rows")` is `1 row`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `中文 (English)` → (`中文`, `English`): the last parenthesis that closes at the end, when
/// what comes before it is Chinese and what is inside is English. The stages write their
/// sentences so; a front-end in one language shows one half.
pub fn bilingual(text: &str) -> Option<(&str, &str)> {
    let text = text.trim().trim_end_matches('.');
    let body = text.strip_suffix(')')?;
    let mut depth = 0usize;
    let mut open = None;
    for (i, c) in body.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' if depth == 0 => {
                open = Some(i);
                break;
            }
            '(' => depth -= 1,
            _ => {}
        }
    }
    let open = open?;
    let (zh, en) = (body[..open].trim_end(), &body[open + 1..]);
    let english = |s: &str| s.chars().filter(char::is_ascii_alphabetic).count() >= 3;
    (has_chinese(zh) && english(en)).then_some((zh, en))
}

/// Some Chinese character (CJK Unified Ideographs) in `s`.
pub fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))
}

/// A text for one console line: line breaks folded, at most [`LINE_CHARS`] characters. A
/// `中文 (English)` text is cut in each half (the Chinese to what the English leaves, or half
/// the line), so that both are said and the console can still tell them apart.
pub fn line(s: &str) -> String {
    line_within(s, LINE_CHARS)
}

/// [`line`], but a `中文 (English)` text too long for one line whose halves each fit one goes
/// on two, the English below: for a warning, which bgy's own advice makes long (it lost its
/// end: "import the sheet overwr…"). An error stays one line.
pub fn lines(s: &str) -> String {
    let folded = s.replace(['\n', '\r'], " ");
    match bilingual(&folded) {
        Some((zh, en))
            if folded.chars().nth(LINE_CHARS).is_some()
                && zh.chars().nth(LINE_CHARS).is_none()
                && en.chars().nth(LINE_CHARS - 4).is_none() =>
        {
            format!("{zh}\n  ({en})")
        }
        _ => line(&folded),
    }
}

/// [`line`], in at most `max` characters.
pub fn line_within(s: &str, max: usize) -> String {
    let folded = if s.contains(['\n', '\r']) {
        Cow::Owned(s.replace(['\n', '\r'], " "))
    } else {
        Cow::Borrowed(s)
    };
    if folded.chars().nth(max).is_none() {
        return folded.into_owned();
    }
    // Too short a line for two halves and their brackets: cut as one.
    let Some((zh, en)) = bilingual(&folded).filter(|_| max >= 16) else {
        return cut_chars(&folded, max).into_owned();
    };
    let zh_room = (max / 2).max(max.saturating_sub(en.chars().count() + 3));
    let zh = cut_chars(zh, zh_room);
    // The brackets the cut left open are closed, before the one around the English.
    let room = max.saturating_sub(zh.chars().count() + 3);
    let open = |s: &str| {
        s.matches('(')
            .count()
            .saturating_sub(s.matches(')').count())
    };
    let mut en = cut_chars(en, room).into_owned();
    while open(&en) > 0 && en.chars().count() + open(&en) > room {
        en = cut_chars(&en, en.chars().count() - 1).into_owned();
    }
    en.push_str(&")".repeat(open(&en)));
    format!("{zh} ({en})")
}

/// A control character no one types into a cell (NUL and the like); tabs and line breaks are
/// a person's, and allowed.
pub fn control_char(s: &str) -> Option<char> {
    // Every control character is below U+0020, U+007F, or U+0080–U+009F (0xC2 0x80–0x9F in
    // UTF-8): a text with none of those bytes has none, found without decoding a character.
    if !s.bytes().any(|b| b < 0x20 || b == 0x7F || b == 0xC2) {
        return None;
    }
    s.chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// `s.trim()`, and the invisible characters text pasted from a web page or a chat brings along
/// at either end (zero-width spaces and joiners, a byte-order mark): a cell that looks like
/// `zhangsan` is `zhangsan`. Answered from its two end bytes when they are printable ASCII (as
/// nearly every cell's are): `str::trim` decodes a character at each end, and a 100,000-row
/// sheet has over a million cells, each trimmed more than once.
pub fn trim(s: &str) -> &str {
    let printable = |b: &u8| (0x21..0x7F).contains(b);
    let bytes = s.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) if printable(first) && printable(last) => s,
        _ => s.trim_matches(|c: char| c.is_whitespace() || is_invisible(c)),
    }
}

/// A character that takes no room on screen: zero-width space, non-joiner and joiner, word
/// joiner, and the byte-order mark (zero-width no-break space).
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

/// What a person was doing with a path when the system refused ([`io_reason`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadFile,
    ReadFolder,
    Write,
}

/// Why a file or folder could not be read or written, in Chinese: what the person can do about
/// it. One table for every place bgy says so (a sheet, the schedule's folder, a report …).
pub fn io_reason(e: &std::io::Error, access: Access) -> &'static str {
    use std::io::ErrorKind as K;
    match (e.kind(), access) {
        (K::NotFound, Access::ReadFile) => "文件不存在",
        (K::NotFound, _) => "文件夹不存在",
        (K::PermissionDenied, Access::Write) => "没有写入权限",
        (K::PermissionDenied, _) => "没有读取它的权限",
        (K::IsADirectory, _) => "这是一个文件夹,不是文件",
        (K::NotADirectory, Access::ReadFolder) => "这不是文件夹",
        (K::NotADirectory, _) => "路径中有一段不是文件夹",
        (K::ReadOnlyFilesystem, Access::Write) => "磁盘是只读的",
        (K::StorageFull | K::QuotaExceeded, Access::Write) => "磁盘已满",
        (_, Access::Write) => "写入出错",
        _ => "读取出错",
    }
}

/// Why SQLite could not open or write a file (the history, the emulator's state), in Chinese.
fn sqlite_not_written(e: &rusqlite::Error) -> Option<&'static str> {
    use rusqlite::ErrorCode;
    let code = e.sqlite_error_code()?;
    Some(match code {
        ErrorCode::NotADatabase => "不是 SQLite 数据库文件,可能已损坏或被别的文件覆盖",
        ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => "正被别的程序使用",
        ErrorCode::ReadOnly => "文件或磁盘是只读的",
        ErrorCode::DiskFull => "磁盘已满",
        ErrorCode::PermissionDenied => "没有写入权限",
        ErrorCode::CannotOpen => "无法打开这个文件",
        _ => return None,
    })
}

/// A write that failed, said in Chinese and English: `what` gives the Chinese, in which
/// `{why}` stands for the reason a person can act on, and the English; the system's own words
/// follow (`无法写入 a.xlsx(没有写入权限) (cannot write a.xlsx): Permission denied …`).
pub trait Unwritten<T>: Sized {
    fn unwritten(self, what: impl FnOnce() -> (String, String)) -> anyhow::Result<T>;

    /// `无法建立文件夹 DIR(why) (cannot make the folder DIR)`.
    fn cannot_make_folder(self, dir: &std::path::Path) -> anyhow::Result<T> {
        self.unwritten(|| {
            let dir = dir.display();
            (
                format!("无法建立文件夹 {dir}({{why}})"),
                format!("cannot make the folder {dir}"),
            )
        })
    }

    /// `无法写入 PATH(why) (cannot write PATH)`.
    fn cannot_write(self, path: &std::path::Path) -> anyhow::Result<T> {
        self.unwritten(|| {
            let path = path.display();
            (
                format!("无法写入 {path}({{why}})"),
                format!("cannot write {path}"),
            )
        })
    }
}

impl<T, E: Into<anyhow::Error>> Unwritten<T> for Result<T, E> {
    fn unwritten(self, what: impl FnOnce() -> (String, String)) -> anyhow::Result<T> {
        self.map_err(|e| {
            let e: anyhow::Error = e.into();
            let why = e
                .chain()
                .find_map(|c| match c.downcast_ref::<std::io::Error>() {
                    Some(io) => Some(io_reason(io, Access::Write)),
                    None => c.downcast_ref().and_then(sqlite_not_written),
                })
                .unwrap_or("写入出错");
            let (zh, en) = what();
            let zh = zh.replace("{why}", why);
            e.context(format!("{zh} ({en})"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_follows_what_was_being_done_with_the_path() {
        use std::io::{Error, ErrorKind as K};
        let why = |k: K, a| io_reason(&Error::from(k), a);
        assert_eq!(why(K::NotFound, Access::ReadFile), "文件不存在");
        assert_eq!(why(K::NotFound, Access::ReadFolder), "文件夹不存在");
        assert_eq!(why(K::NotFound, Access::Write), "文件夹不存在");
        assert_eq!(
            why(K::PermissionDenied, Access::ReadFile),
            "没有读取它的权限"
        );
        assert_eq!(why(K::PermissionDenied, Access::Write), "没有写入权限");
        assert_eq!(why(K::NotADirectory, Access::ReadFolder), "这不是文件夹");
        assert_eq!(
            why(K::NotADirectory, Access::ReadFile),
            "路径中有一段不是文件夹"
        );
        // A full disk is a write's reason only.
        assert_eq!(why(K::StorageFull, Access::Write), "磁盘已满");
        assert_eq!(why(K::StorageFull, Access::ReadFile), "读取出错");
        assert_eq!(why(K::Other, Access::Write), "写入出错");
    }

    #[test]
    fn a_write_that_failed_says_why_in_chinese_and_keeps_the_system_s_words() {
        let denied: Result<(), _> = Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        let e = denied
            .cannot_write(std::path::Path::new("a.xlsx"))
            .unwrap_err();
        let text = format!("{e:#}");
        assert!(
            text.starts_with("无法写入 a.xlsx(没有写入权限) (cannot write a.xlsx): "),
            "{text}"
        );
        assert!(text.to_lowercase().contains("permission denied"), "{text}");
        // Not the system's: the Chinese says only that writing failed.
        let other: Result<(), _> = Err(anyhow::anyhow!("zip"));
        let text = format!(
            "{:#}",
            other.cannot_write(std::path::Path::new("b")).unwrap_err()
        );
        assert!(
            text.starts_with("无法写入 b(写入出错) (cannot write b): zip"),
            "{text}"
        );
    }

    #[test]
    fn trim_takes_invisible_characters_off_the_ends() {
        assert_eq!(trim("zw1\u{200b}"), "zw1");
        assert_eq!(trim("\u{feff}zw3 "), "zw3");
        assert_eq!(trim("\u{2060} 张三\u{200d}"), "张三");
        assert_eq!(trim("a\u{200b}b"), "a\u{200b}b");
    }

    #[test]
    fn trim_is_str_trim() {
        for s in [
            "",
            " ",
            "a",
            " a ",
            "a b",
            "\ta\n",
            "\u{3000}张三\u{3000}",
            "张三",
            "a\u{3000}",
            "\u{a0}1\u{a0}",
            "~",
            "\x7f",
            "1 ",
            " 1",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
    }

    #[test]
    fn the_halves_of_a_sentence_in_two_languages() {
        let s =
            "考勤号: 考勤号不能以 0 开头 (1208) (check_id: check id must not start with 0 (1208))";
        assert_eq!(
            bilingual(s),
            Some((
                "考勤号: 考勤号不能以 0 开头 (1208)",
                "check_id: check id must not start with 0 (1208)"
            ))
        );
        assert_eq!(bilingual("cannot write the report (disk full)"), None);
        assert_eq!(bilingual("部门 (研发)"), None, "no English inside");
        assert_eq!(bilingual("帐号"), None);
    }

    #[test]
    fn control_characters_are_found_in_any_script() {
        assert_eq!(
            control_char("张三 zhang\tsan\r\n"),
            None,
            "tabs and breaks are a person's"
        );
        assert_eq!(control_char("办公逸/研发部"), None);
        assert_eq!(control_char("a\u{0}b"), Some('\u{0}'));
        assert_eq!(control_char("研发\u{7F}"), Some('\u{7F}'));
        // C1 controls: two bytes in UTF-8, 0xC2 then 0x80–0x9F.
        assert_eq!(control_char("研发\u{85}部"), Some('\u{85}'));
        assert_eq!(control_char("\u{9F}"), Some('\u{9F}'));
        // 0xC2 leads other characters too (é is 0xC3, but ¡ … ¿ are 0xC2 0xA1–0xBF).
        assert_eq!(control_char("¡Hola! ©"), None);
    }

    #[test]
    fn cuts_mark_what_was_cut() {
        assert_eq!(cut_chars("abc", 3), "abc");
        assert_eq!(cut_chars("abcd", 3), "ab…");
        assert_eq!(cut_chars("帐号帐号", 3).chars().count(), 3);
        assert_eq!(cut_bytes("abc", 3), "abc");
        let cut = cut_bytes("帐号帐号帐号", 8);
        assert!(cut.len() <= 8 && cut.ends_with('…'), "{cut}");
        assert_eq!(line("a\nb"), "a b");
        assert_eq!(line(&"x".repeat(50_000)).chars().count(), LINE_CHARS);
    }

    #[test]
    fn a_line_in_two_languages_too_long_for_one_goes_on_two_whole() {
        let (zh, en) = ("长".repeat(200), "long ".repeat(50));
        let text = format!("{zh} ({})", en.trim_end());
        let two = lines(&text);
        let two: Vec<&str> = two.lines().collect();
        assert_eq!(two, [zh, format!("  ({})", en.trim_end())]);
        assert!(two.iter().all(|l| l.chars().count() <= LINE_CHARS));
        // An error's one line is cut in each half, as before.
        assert_eq!(line(&text).lines().count(), 1);
        // A short one, and a server's too long for two, are what [`line`] makes.
        assert_eq!(lines("短 (short)"), "短 (short)");
        let huge = format!("长 ({})", "x".repeat(50_000));
        assert_eq!(lines(&huge), line(&huge));
    }

    #[test]
    fn a_long_line_in_two_languages_keeps_both() {
        let text = format!(
            "{} 既不是 UTF-8 也不是 GBK 文本 (the file {} is neither UTF-8 nor GBK (first bad byte at offset 17); save it again)",
            "长".repeat(10),
            "x".repeat(250)
        );
        let cut = line(&text);
        assert!(cut.chars().count() <= LINE_CHARS, "{cut}");
        let (zh, en) = bilingual(&cut).unwrap();
        assert!(zh.ends_with("GBK 文本"), "{zh}");
        assert!(en.starts_with("the file xx") && en.ends_with('…'), "{en}");
        // A half cut inside its own brackets has them closed.
        let text = format!("文件 (the file (first byte {}))", "y".repeat(400));
        let (zh, en) = bilingual_owned(&line(&text));
        assert_eq!(zh, "文件");
        assert!(
            en.starts_with("the file (first byte yy") && en.ends_with("…)"),
            "{en}"
        );
        let long_zh = format!("{} (english)", "长".repeat(400));
        let cut = line(&long_zh);
        assert!(
            cut.chars().count() <= LINE_CHARS && cut.ends_with("(english)"),
            "{cut}"
        );
        assert_eq!(
            cut.chars().count(),
            LINE_CHARS,
            "the Chinese takes the room left: {cut}"
        );
        for max in 1..40 {
            assert!(line_within(&text, max).chars().count() <= max, "{max}");
        }
    }

    fn bilingual_owned(s: &str) -> (String, String) {
        let (zh, en) = bilingual(s).unwrap_or_else(|| panic!("not two languages: {s}"));
        (zh.to_string(), en.to_string())
    }

    proptest::proptest! {
        /// Any text (a server's, a file's), brackets in any order, fits its line; a sentence in
        /// two languages as bgy writes them stays one the console can split (brackets inside a
        /// half: above). A random text that happens to split may not after its cut: its
        /// brackets pair differently, or its English keeps fewer than three letters.
        #[test]
        fn any_text_fits_its_line(
            raw in "[长文a-z ()\n]{0,400}",
            zh in "[长文 ]{1,200}",
            en in "[a-z ]{3,300}",
            two in proptest::bool::ANY,
            max in 16usize..320,
        ) {
            let text = if two { format!("长{zh} (abc{en})") } else { raw };
            let cut = line_within(&text, max);
            proptest::prop_assert!(cut.chars().count() <= max);
            if two {
                proptest::prop_assert!(bilingual(&cut).is_some(), "{cut}");
            }
        }
    }
}
