//! Cutting texts to fit where they go: a spreadsheet cell, one line of the console, a journal
//! line. Texts from a server are redacted before they reach any of these (see `api`).

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
    match n {
        1 => "1 person".into(),
        n => format!("{n} people"),
    }
}

/// A text for one console line: line breaks folded, at most [`LINE_CHARS`] characters.
pub fn line(s: &str) -> String {
    let folded = if s.contains(['\n', '\r']) {
        Cow::Owned(s.replace(['\n', '\r'], " "))
    } else {
        Cow::Borrowed(s)
    };
    cut_chars(&folded, LINE_CHARS).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
