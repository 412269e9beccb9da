//! The client's errors. None of them can carry the ticket: URLs are never stored, and every
//! message taken from a transport error is passed through [`redact`] first.

use std::fmt;

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
    #[error("{endpoint}: the server rejected the request ({detail}); check the ticket (--ticket / BGY_TICKET) and the app's address-book permissions")]
    Rejected { endpoint: Endpoint, detail: String },
    /// The server could not be reached, or never answered, after every try.
    #[error("{endpoint}: server unreachable after {tries} tries: {message}")]
    Unreachable {
        endpoint: Endpoint,
        tries: u32,
        message: String,
    },
    /// A response that may or may not have been applied (lost response) on an endpoint the
    /// client must not blindly retry; the caller checks the server's state first.
    #[error("{endpoint}: the response was lost ({message}); the request may have been applied")]
    Ambiguous { endpoint: Endpoint, message: String },
    /// An HTTP status that retries did not cure.
    #[error("{endpoint}: HTTP {status} after {tries} tries")]
    Status {
        endpoint: Endpoint,
        status: u16,
        tries: u32,
    },
    /// The server kept saying to slow down.
    #[error("{endpoint}: still rate limited after {tries} tries: {message}")]
    RateLimited {
        endpoint: Endpoint,
        tries: u32,
        message: String,
    },
    /// Not JSON, or JSON of the wrong shape.
    #[error("{endpoint}: malformed response: {message}")]
    Malformed { endpoint: Endpoint, message: String },
    /// A listing that came back with fewer records than its `count`.
    #[error("{endpoint}: incomplete listing: {got} of {count} records came back")]
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
            ApiError::Rejected { .. } | ApiError::Unreachable { .. }
        )
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

/// Replaces every occurrence of the ticket (raw or percent-encoded) with `***`.
pub fn redact(text: &str, ticket: &str) -> String {
    if ticket.is_empty() {
        return text.to_string();
    }
    let mut out = text.replace(ticket, "***");
    let encoded: String = url_encode(ticket);
    if encoded != ticket {
        out = out.replace(&encoded, "***");
    }
    out
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
    fn redact_removes_raw_and_encoded_ticket() {
        let t = "s3cr3t/t+k";
        let msg = format!(
            "error for url (http://h/x?ticket={}) and {t}",
            url_encode(t)
        );
        let r = redact(&msg, t);
        assert!(!r.contains(t));
        assert!(!r.contains(&url_encode(t)));
        assert!(r.contains("ticket=***"));
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
            "staff/list: incomplete listing: 999 of 1000 records came back"
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
