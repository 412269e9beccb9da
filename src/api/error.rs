//! The client's errors. None of them can carry the ticket: URLs are never stored, and every
//! message taken from a transport error is passed through [`redact`] first.

use crate::remedy::Remedy;
use std::fmt;

/// The longest `Retry-After` bgy honours; a server that asks for more stops the run.
pub const MAX_RETRY_AFTER_SECS: u64 = 60;

/// The seven endpoints of the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    DepartmentList,
    CreateDepartment,
    EditDepartment,
    StaffList,
    StaffAdd,
    StaffDelete,
    EntryTime,
}

impl Endpoint {
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::DepartmentList => "department/list",
            Endpoint::CreateDepartment => "department/createdepartment",
            Endpoint::EditDepartment => "department/editdepartment",
            Endpoint::StaffList => "staff/list",
            Endpoint::StaffAdd => "staff/add",
            Endpoint::StaffDelete => "staff/delete",
            Endpoint::EntryTime => "staff/entry-time",
        }
    }

    /// The errnos the reference documents for this endpoint: answers about one row or one
    /// request, not about the ticket. Any other errno before a first success is fatal.
    pub fn row_level_errnos(self) -> &'static [i64] {
        match self {
            Endpoint::CreateDepartment | Endpoint::EditDepartment => &[1205, 1206, 1210],
            Endpoint::StaffAdd => &[1203, 1204, 1205, 1206, 1207, 1208, 1209, 1210, 1215, 1216],
            Endpoint::StaffDelete => &[1211, 1212, 1213, 1214],
            Endpoint::EntryTime => &[1211],
            Endpoint::DepartmentList | Endpoint::StaffList => &[],
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}

/// Why a call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The server answered with a non-zero errno that concerns this request.
    #[error("{endpoint}: errno {errno}: {message}")]
    Errno {
        endpoint: Endpoint,
        errno: i64,
        message: String,
    },
    /// The ticket or the permissions were rejected (HTTP 401/403, or an undocumented errno
    /// before any call succeeded): every further call would fail the same way.
    #[error("{endpoint}: 服务器拒绝了请求,请检查 ticket 和应用的通讯录权限 (the server rejected the request ({detail}); check the ticket and the app's address-book permissions)")]
    Rejected { endpoint: Endpoint, detail: String },
    /// The server could not be reached, or never answered, after every try.
    #[error("{endpoint}: 试了 {tries} 次,仍连不上服务器 (server unreachable after {tries} tries: {message})")]
    Unreachable {
        endpoint: Endpoint,
        tries: u32,
        message: String,
    },
    /// A response that may or may not have been applied (lost response) on an endpoint the
    /// client must not blindly retry; the caller checks the server's state first.
    #[error("{endpoint}: 回答丢失了,请求可能已经生效 (the response was lost ({message}); the request may have been applied)")]
    Ambiguous { endpoint: Endpoint, message: String },
    /// An HTTP status that retries did not cure.
    #[error("{endpoint}: 试了 {tries} 次,服务器仍回答 HTTP {status} (HTTP {status} after {tries} tries)")]
    Status {
        endpoint: Endpoint,
        status: u16,
        tries: u32,
    },
    /// The server kept saying to slow down.
    #[error("{endpoint}: 试了 {tries} 次,服务器仍要求放慢 (still rate limited after {tries} tries: {message})")]
    RateLimited {
        endpoint: Endpoint,
        tries: u32,
        message: String,
    },
    /// The server answered with a redirect. bgy never follows one: a POST would turn into a
    /// GET that looks like success, or the records and the ticket would go to another host.
    #[error("{endpoint}: 服务器要求转到 {target} (HTTP {status});bgy 从不跟着转,请检查服务器地址 (the server answered HTTP {status} (a redirect to {target}); bgy never follows redirects: check the server's address)")]
    Redirected {
        endpoint: Endpoint,
        status: u16,
        /// The host of the `Location`, never its path or query.
        target: String,
    },
    /// The server does not speak this API (404, or a web page instead of JSON): every call
    /// would fail the same way.
    #[error("{endpoint}: 这个地址上的服务器不像办公逸的 API,请检查服务器地址 (the server at this address does not answer like the 办公逸 API ({detail}); check the server's address)")]
    NotTheApi { endpoint: Endpoint, detail: String },
    /// The server asked to wait longer than bgy waits.
    #[error("{endpoint}: 服务器要求等 {seconds} 秒再调用,超过 bgy 最多等的 {MAX_RETRY_AFTER_SECS} 秒;请稍后再试,或调低速率 (the server asked to wait {seconds} s before the next call (HTTP 429 Retry-After), more than the {MAX_RETRY_AFTER_SECS} s bgy waits; try again later or call it more slowly)")]
    TooLongWait { endpoint: Endpoint, seconds: u64 },
    /// Ctrl-C came while this call waited to be tried again.
    #[error("{endpoint}: 等待重试时被中断 (interrupted while waiting to retry)")]
    Interrupted {
        endpoint: Endpoint,
        /// An earlier try's response was lost, so it may have been applied.
        maybe_applied: bool,
    },
    /// Not JSON, or JSON of the wrong shape.
    #[error("{endpoint}: 服务器的回答格式不对 (malformed response: {message})")]
    Malformed { endpoint: Endpoint, message: String },
    /// A listing that came back with fewer records than its `count`.
    #[error("{endpoint}: 列表不完整,{count} 条中只收到 {got} 条 (incomplete listing: {got} of {count} records came back)")]
    Incomplete {
        endpoint: Endpoint,
        got: usize,
        count: i64,
    },
}

impl ApiError {
    /// True when the whole run must stop: every further call would fail the same way.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            ApiError::Rejected { .. }
                | ApiError::Unreachable { .. }
                | ApiError::Redirected { .. }
                | ApiError::NotTheApi { .. }
                | ApiError::TooLongWait { .. }
                | ApiError::RateLimited { .. }
                | ApiError::Interrupted { .. }
        )
    }

    /// What the person who started the run can do about it; the front-end words it (the
    /// terminal as the option to set).
    pub fn remedy(&self) -> Option<Remedy> {
        match self {
            ApiError::Rejected { .. } => Some(Remedy::Ticket),
            ApiError::Redirected { .. } | ApiError::NotTheApi { .. } => Some(Remedy::ServerAddress),
            ApiError::TooLongWait { .. } | ApiError::RateLimited { .. } => Some(Remedy::SlowDown),
            _ => None,
        }
    }

    /// The call may have been applied all the same: an earlier try's answer may have been
    /// lost on the way, or the server acted before it failed. False only where it is known
    /// not to have acted (an errno is its answer; a call stopped before any try was lost).
    pub fn may_have_applied(&self) -> bool {
        match self {
            ApiError::Interrupted { maybe_applied, .. } => *maybe_applied,
            ApiError::Errno { .. } => false,
            _ => true,
        }
    }

    pub fn errno(&self) -> Option<i64> {
        match self {
            ApiError::Errno { errno, .. } => Some(*errno),
            _ => None,
        }
    }

    /// The message without the endpoint, for a report cell.
    pub fn row_message(&self) -> String {
        match self {
            ApiError::Errno { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }
}

/// Replaces every spelling of the ticket with `***`: raw, percent-encoded (any hex case),
/// form-encoded (`+` for a space), and any mix of these, as a server that echoes the request
/// may send it back.
pub fn redact(text: &str, ticket: &str) -> String {
    let needle = ticket.as_bytes();
    if needle.is_empty() {
        return text.to_string();
    }
    let hay = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(hay.len());
    let mut i = 0;
    while i < hay.len() {
        match spelled_at(hay, i, needle) {
            Some(end) => {
                out.extend_from_slice(b"***");
                i = end;
            }
            None => {
                out.push(hay[i]);
                i += 1;
            }
        }
    }
    // Only whole spellings of the ticket were replaced, so UTF-8 stays intact unless the
    // ticket itself splits a character, which a lossy conversion then marks.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `text` holds a spelling of the ticket (as [`redact`] finds them).
pub fn holds(text: &str, ticket: &str) -> bool {
    let (hay, needle) = (text.as_bytes(), ticket.as_bytes());
    let Some(&first) = needle.first() else {
        return false;
    };
    // A spelling starts with the ticket's first byte, `%` or `+`: look only there (found a
    // vector at a time: every person listed is looked through, ~200 bytes each).
    memchr::memchr3_iter(first, b'%', b'+', hay).any(|i| spelled_at(hay, i, needle).is_some())
}

/// Where a spelling of `needle` that starts at `hay[start]` ends, if one does.
fn spelled_at(hay: &[u8], start: usize, needle: &[u8]) -> Option<usize> {
    let mut i = start;
    for &b in needle {
        let c = *hay.get(i)?;
        if c == b || (c == b'+' && b == b' ') {
            i += 1;
        } else if c == b'%' && hex_byte(hay.get(i + 1..i + 3)?) == Some(b) {
            i += 3;
        } else {
            return None;
        }
    }
    Some(i)
}

fn hex_byte(two: &[u8]) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16);
    Some((digit(two[0])? * 16 + digit(two[1])?) as u8)
}

/// The ticket: its `Debug` never shows the value, and it has no `Display`.
#[derive(Clone, Default)]
pub struct Ticket(String);

impl Ticket {
    pub fn new(value: impl Into<String>) -> Ticket {
        Ticket(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ticket(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_removes_every_spelling_of_the_ticket() {
        let t = "LEAK~CANARY*12 34";
        for spelling in [
            t.to_string(),
            "LEAK%7ECANARY%2A12%2034".into(),
            "LEAK%7eCANARY%2a12+34".into(),
            form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>(),
            "LEAK~CANARY*12%2034".into(),
            // Its first byte encoded too: a spelling starts at `%` as well.
            "%4CEAK~CANARY*12%2034".into(),
            "%4cEAK%7ECANARY%2A12+34".into(),
        ] {
            let r = redact(
                &format!("url (http://h/x?ticket={spelling}&p=1) said 无"),
                t,
            );
            assert_eq!(r, "url (http://h/x?ticket=***&p=1) said 无", "{spelling}");
            assert!(holds(&format!("无{spelling}无"), t), "{spelling}");
        }
        assert!(!holds("LEAK~CANARY*12 3", t));
        // A ticket that starts with a space, form-encoded: a spelling starts at `+`.
        assert!(holds("无+LEAK无", " LEAK"));
        assert!(!holds("LEAK~CANARY*12 34", ""));
        assert_eq!(redact("LEAK~CANARY*12 3", t), "LEAK~CANARY*12 3");
        assert_eq!(redact("abc", ""), "abc");
    }

    #[test]
    fn ticket_debug_hides_the_value() {
        assert_eq!(format!("{:?}", Ticket::new("abc123456")), "Ticket(***)");
    }

    #[test]
    fn messages_are_pinned() {
        let e = ApiError::Errno {
            endpoint: Endpoint::StaffAdd,
            errno: 1204,
            message: "帐号已存在".into(),
        };
        assert_eq!(e.to_string(), "staff/add: errno 1204: 帐号已存在");
        let e = ApiError::Incomplete {
            endpoint: Endpoint::StaffList,
            got: 999,
            count: 1000,
        };
        assert_eq!(
            e.to_string(),
            "staff/list: 列表不完整,1000 条中只收到 999 条 (incomplete listing: 999 of 1000 records came back)"
        );
        assert!(!ApiError::Status {
            endpoint: Endpoint::StaffAdd,
            status: 500,
            tries: 5
        }
        .is_fatal());
        assert!(ApiError::Rejected {
            endpoint: Endpoint::StaffAdd,
            detail: "HTTP 401".into()
        }
        .is_fatal());
    }
}

/// The messages the reference documents, in English, for a server that answers in Chinese.
const ENGLISH: &[(&str, &str)] = &[
    (
        "接口调用失败",
        "the call failed: the app may lack address-book permission, or write access to the department",
    ),
    ("帐号不能为空", "the account is required"),
    ("帐号已存在", "the account already exists"),
    (
        "手机号&微信号&邮箱三者不能同时为空",
        "one of mobile, WeChat id and e-mail is required",
    ),
    ("考勤机员工编号已存在", "the check id is already taken"),
    ("考勤机员工编号不能以0开头", "the check id must not start with 0"),
    (
        "考勤机员工编号不能大于2147483647",
        "the check id must not exceed 2147483647",
    ),
    ("考勤机员工编号必须为数字", "the check id must be a number"),
    ("部门不能为空", "the department is required"),
    ("添加或者更新员工失败", "adding or updating the person failed"),
    ("保存失败", "saving failed"),
    ("we_userids不存在", "no we_userids were given"),
    ("删除数量超过200人", "more than 200 accounts in one delete"),
    ("删除失败,员工不存在", "no such person to delete"),
    ("个别员工删除失败", "some of the accounts could not be deleted"),
    ("员工帐不存在", "no such account"),
    ("员工帐号不存在", "no such account"),
    ("部门不存在", "no such department"),
    ("非法操作部门", "this department cannot be changed"),
    ("部门操作失败", "the department operation failed"),
];

/// A server's message with its English beside it, when it is one the reference documents
/// and does not carry English already: `员工帐不存在 (no such account)`.
pub fn with_english(message: &str) -> String {
    let commas = message.replace('，', ",");
    let known = ENGLISH.iter().find(|(zh, _)| commas.contains(zh));
    match known {
        Some((_, en)) if !message.contains(en) => format!("{message} ({en})"),
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod english_tests {
    use super::with_english;

    #[test]
    fn documented_messages_get_their_english() {
        assert_eq!(
            with_english("员工帐不存在"),
            "员工帐不存在 (no such account)"
        );
        assert_eq!(
            with_english("删除失败，员工不存在"),
            "删除失败，员工不存在 (no such person to delete)"
        );
        assert_eq!(with_english("something else"), "something else");
        let once = with_english("帐号已存在");
        assert_eq!(with_english(&once), once, "never twice");
    }
}
