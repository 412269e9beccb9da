//! Wire types of the 办公逸 address API.
//!
//! The server sends numbers as strings (`"count": "260"`) or as numbers (`"we_id": 2`); every
//! numeric field here accepts both, and every text field accepts a number too.

use serde::{Deserialize, Deserializer, Serialize};

use super::error::{holds, redact};

/// Takes the ticket, in any spelling, out of every text an answer brought: a server may echo
/// the request, and so the ticket, anywhere. What a type does not keep is never read, so
/// this is every text bgy can show. Done once, before anything keeps or cuts a text.
pub trait Redact {
    fn redact(&mut self, ticket: &str);
}

impl Redact for String {
    fn redact(&mut self, ticket: &str) {
        if holds(self, ticket) {
            *self = redact(self, ticket);
        }
    }
}

impl<T: Redact> Redact for Vec<T> {
    fn redact(&mut self, ticket: &str) {
        self.iter_mut().for_each(|v| v.redact(ticket));
    }
}

impl<T: Redact> Redact for Option<T> {
    fn redact(&mut self, ticket: &str) {
        if let Some(v) = self {
            v.redact(ticket);
        }
    }
}

/// Every string and key; a string without the ticket is left as it is, not copied.
impl Redact for serde_json::Value {
    fn redact(&mut self, ticket: &str) {
        use serde_json::Value;
        match self {
            Value::String(s) => s.redact(ticket),
            Value::Array(items) => items.redact(ticket),
            Value::Object(map) => {
                if map.keys().any(|k| holds(k, ticket)) {
                    let old = std::mem::take(map);
                    map.extend(old.into_iter().map(|(k, v)| (redact(&k, ticket), v)));
                }
                map.values_mut().for_each(|v| v.redact(ticket));
            }
            _ => {}
        }
    }
}

/// [`Redact`] for a struct: each of its text (or nested) fields.
macro_rules! redact_fields {
    ($($t:ty: $($field:ident),*;)*) => {$(
        impl Redact for $t {
            fn redact(&mut self, ticket: &str) {
                $(self.$field.redact(ticket);)*
                let _ = ticket;
            }
        }
    )*};
}

redact_fields! {
    Department: we_name;
    DepartmentPage: department_list;
    StaffPage: staff_list;
    Saved: ;
    TimesFailure: we_userid, msg;
}

impl<T: Redact> Redact for Envelope<T> {
    fn redact(&mut self, ticket: &str) {
        self.errmsg.redact(ticket);
        self.data.redact(ticket);
    }
}

/// Accepts `"260"`, `260`, `""` and `null`; empty and null become 0.
pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(opt_int(d)?.unwrap_or(0))
}

pub fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    use serde::de::Error;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("not an integer: {n}"))),
        serde_json::Value::String(s) if s.trim().is_empty() => Ok(None),
        serde_json::Value::String(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("not an integer: {s:?}"))),
        other => Err(D::Error::custom(format!(
            "expected an integer, got {other}"
        ))),
    }
}

/// Accepts a string, a number or null (→ empty).
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let mut s = String::new();
    serde::de::DeserializeSeed::deserialize(AppendText(&mut s), d)?;
    Ok(s)
}

/// [`text`]'s value added to the end of a string (a [`Staff`] keeps all of its in one).
struct AppendText<'s>(&'s mut String);

impl<'de> serde::de::DeserializeSeed<'de> for AppendText<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        // Visited, not read as a JSON value first: a listing has twenty of these a person.
        d.deserialize_any(self)
    }
}

impl serde::de::Visitor<'_> for AppendText<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("text, a number or null")
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.0.push_str(v);
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.0.push_str(&v.to_string());
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.0.push_str(&v.to_string());
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        // As serde_json writes the number (`1.5`, `1e300`).
        let n = serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string());
        self.0.push_str(&n);
        Ok(())
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.0.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// The envelope every endpoint answers with.
#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    #[serde(deserialize_with = "int")]
    pub errno: i64,
    #[serde(default, deserialize_with = "text")]
    pub errmsg: String,
    pub data: Option<T>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Department {
    #[serde(default, deserialize_with = "int")]
    pub department_id: i64,
    #[serde(deserialize_with = "int")]
    pub we_id: i64,
    #[serde(deserialize_with = "text")]
    pub we_name: String,
    #[serde(default, deserialize_with = "int")]
    pub we_parentid: i64,
    #[serde(default, deserialize_with = "int")]
    pub rank: i64,
}

#[derive(Debug, Deserialize)]
pub struct DepartmentPage {
    #[serde(deserialize_with = "int")]
    pub count: i64,
    #[serde(default)]
    pub department_list: Vec<Department>,
}

/// One person as `staff/list` returns them: the fields bgy reads (it also sends `staff_id`,
/// `we_avatar` and `we_status`, which are skipped unread), each as the server gave it (a
/// number as its text, null as empty). Their text is kept in one string, read as the answer
/// is parsed: a listing of 100,000 people is 1.5 million values, and a `String` each cost
/// more to make and drop than to parse.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Staff {
    text: String,
    /// Each field's start and end in `text`, in [`STAFF_FIELDS`] order; (0, 0) when absent.
    spans: [(u32, u32); STAFF_FIELDS.len()],
}

/// [`Staff`]'s fields as `staff/list` names them, and a reader for each.
macro_rules! staff_fields {
    ($($i:literal $name:ident $(#[$doc:meta])?),* $(,)?) => {
        const STAFF_FIELDS: [&str; 15] = [$(stringify!($name)),*];
        impl Staff {
            $($(#[$doc])? pub fn $name(&self) -> &str {
                self.field($i)
            })*
        }

        /// Which of [`STAFF_FIELDS`] `name` is: a match, which looks at the length first, not
        /// a search of the 15 (14 M of an export's 2.47 G instructions at 100,000 people).
        fn staff_field(name: &str) -> Option<usize> {
            match name {
                $(stringify!($name) => Some($i),)*
                _ => None,
            }
        }
    };
}

staff_fields! {
    0 we_userid, 1 we_name, 2 we_email, 3 we_mobile, 4 we_tel,
    5 we_department #[doc = "Department we_ids, comma separated."],
    6 we_gender, 7 we_position, 8 we_weixinid, 9 entry_time, 10 positive_time, 11 work_time,
    12 quite_time, 13 birthday_g, 14 birthday_l,
}

impl Staff {
    fn field(&self, i: usize) -> &str {
        let (start, end) = self.spans[i];
        &self.text[start as usize..end as usize]
    }

    /// Department we_ids, in the order the server gave them.
    pub fn department_ids(&self) -> Vec<i64> {
        self.we_department()
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect()
    }
}

impl<'de> Deserialize<'de> for Staff {
    /// A map whose `we_userid` is required and whose other fields may be missing; each value
    /// as [`text`] reads one; keys bgy does not read skipped; a key twice refused.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Staff, D::Error> {
        use serde::de::{Error, IgnoredAny, MapAccess};
        struct Record;
        impl<'de> serde::de::Visitor<'de> for Record {
            type Value = Staff;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a person's record")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Staff, A::Error> {
                let mut s = Staff {
                    text: String::with_capacity(256),
                    ..Staff::default()
                };
                let mut seen = 0u32;
                while let Some(key) = map.next_key::<Key>()? {
                    let Some(i) = key.0 else {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    };
                    if seen & 1 << i != 0 {
                        return Err(A::Error::duplicate_field(STAFF_FIELDS[i]));
                    }
                    seen |= 1 << i;
                    let start = s.text.len();
                    map.next_value_seed(AppendText(&mut s.text))?;
                    let at = |n: usize| {
                        u32::try_from(n).map_err(|_| A::Error::custom("a record of 4 GiB"))
                    };
                    s.spans[i] = (at(start)?, at(s.text.len())?);
                }
                if seen & 1 == 0 {
                    return Err(A::Error::missing_field(STAFF_FIELDS[0]));
                }
                Ok(s)
            }
        }
        d.deserialize_map(Record)
    }
}

/// A key of a person's record: which of [`STAFF_FIELDS`] it is, if any.
struct Key(Option<usize>);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct Name;
        impl serde::de::Visitor<'_> for Name {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E>(self, v: &str) -> Result<Key, E> {
                Ok(Key(staff_field(v)))
            }
        }
        d.deserialize_identifier(Name)
    }
}

/// As `staff/list` names each field (what the redaction test writes and reads back).
impl Serialize for Staff {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(STAFF_FIELDS.len()))?;
        for (i, name) in STAFF_FIELDS.iter().enumerate() {
            map.serialize_entry(name, self.field(i))?;
        }
        map.end()
    }
}

/// Each field's text: a record without the ticket is left as it is (the whole text looked at
/// once), one with it made again field by field.
impl Redact for Staff {
    fn redact(&mut self, ticket: &str) {
        if !holds(&self.text, ticket) {
            return;
        }
        let old = std::mem::take(self);
        for i in 0..STAFF_FIELDS.len() {
            let value = old.field(i);
            let start = self.text.len() as u32;
            match holds(value, ticket) {
                true => self.text.push_str(&redact(value, ticket)),
                false => self.text.push_str(value),
            }
            self.spans[i] = (start, self.text.len() as u32);
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct StaffPage {
    #[serde(deserialize_with = "int")]
    pub count: i64,
    #[serde(default)]
    pub staff_list: Vec<Staff>,
}

/// `staff/add`'s data.
#[derive(Debug, Deserialize)]
pub struct Saved {
    #[serde(default, deserialize_with = "opt_int")]
    pub id: Option<i64>,
}

/// One row of `staff/entry-time`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct TimesRow {
    pub we_userid: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub we_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub entry_time: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub work_time: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub positive_time: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub quite_time: String,
}

#[derive(Debug, Serialize)]
pub struct TimesRequest<'a> {
    pub time: i64,
    pub data: &'a [TimesRow],
}

/// A row `staff/entry-time` could not update.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct TimesFailure {
    #[serde(deserialize_with = "text")]
    pub we_userid: String,
    #[serde(default, deserialize_with = "text")]
    pub msg: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_listed_key_is_its_field_and_others_none() {
        for (i, name) in STAFF_FIELDS.iter().enumerate() {
            assert_eq!(staff_field(name), Some(i), "{name}");
        }
        for other in [
            "",
            "we_user",
            "we_userid ",
            "WE_USERID",
            "department_id",
            "status",
        ] {
            assert_eq!(staff_field(other), None, "{other:?}");
        }
    }

    #[test]
    fn numbers_as_strings_or_numbers() {
        let page: Envelope<DepartmentPage> = serde_json::from_str(
            r#"{"errno":"0","errmsg":"ok","data":{"count":"2","department_list":[
                {"department_id":"244","we_id":"1","we_name":"办公逸","we_parentid":"0","rank":"0"},
                {"department_id":251,"we_id":2,"we_name":"研发部","we_parentid":1,"rank":200}]}}"#,
        )
        .unwrap();
        let data = page.data.unwrap();
        assert_eq!(data.count, 2);
        assert_eq!(data.department_list[1].we_id, 2);
        assert_eq!(data.department_list[0].we_id, 1);
        assert_eq!(data.department_list[1].rank, 200);
    }

    #[test]
    fn text_fields_accept_numbers() {
        let s: Staff = serde_json::from_str(
            r#"{"we_userid":12345,"we_mobile":13800138000,"we_department":"2,37","we_gender":1}"#,
        )
        .unwrap();
        assert_eq!(s.we_userid(), "12345");
        assert_eq!(s.we_mobile(), "13800138000");
        assert_eq!(s.we_gender(), "1");
        assert_eq!(s.department_ids(), vec![2, 37]);
        let s: Staff = serde_json::from_str(
            r#"{"we_userid":"a","we_name":null,"we_tel":1.5,"we_position":true,"we_email":-7}"#,
        )
        .unwrap();
        assert_eq!(
            (s.we_name(), s.we_tel(), s.we_position()),
            ("", "1.5", "true")
        );
        assert_eq!(s.we_email(), "-7");
        assert!(serde_json::from_str::<Staff>(r#"{"we_userid":{"a":1}}"#).is_err());
    }

    #[test]
    fn a_record_keeps_each_field_apart() {
        let s: Staff = serde_json::from_str(
            r#"{"staff_id":"7","we_avatar":{"url":["x"]},"we_name":"say \"hi\" \u5f20",
                "we_userid":"li","we_status":4,"birthday_l":"","we_mobile":"138"}"#,
        )
        .unwrap();
        assert_eq!(
            (s.we_userid(), s.we_name(), s.we_mobile(), s.birthday_l()),
            ("li", "say \"hi\" 张", "138", "")
        );
        assert_eq!((s.we_email(), s.we_department()), ("", ""));
        let twice = serde_json::from_str::<Staff>(r#"{"we_userid":"a","we_userid":"b"}"#);
        assert!(twice
            .unwrap_err()
            .to_string()
            .contains("duplicate field `we_userid`"));
        let none = serde_json::from_str::<Staff>(r#"{"we_name":"a"}"#);
        assert!(none
            .unwrap_err()
            .to_string()
            .contains("missing field `we_userid`"));
        // Only the field that holds the ticket changes; the others keep their places.
        let mut s: Staff =
            serde_json::from_str(r#"{"we_userid":"li","we_name":"a TK-1 b","we_tel":"9"}"#)
                .unwrap();
        s.redact("TK-1");
        assert_eq!(
            (s.we_userid(), s.we_name(), s.we_tel()),
            ("li", "a *** b", "9")
        );
    }

    /// Every text field of a record, set to a spelling of the ticket, read, redacted: none
    /// keeps it (a field added to the record but not to its `Redact` fails here).
    fn every_text_field_redacted<T: Serialize + serde::de::DeserializeOwned + Redact>(blank: T) {
        let ticket = "TK-secret+42";
        let mut record = serde_json::to_value(&blank).unwrap();
        let fields = record.as_object_mut().unwrap();
        let mut texts = 0;
        for v in fields.values_mut().filter(|v| v.is_string()) {
            *v = serde_json::Value::String("at TK-secret%2B42 end".into());
            texts += 1;
        }
        assert!(texts > 0);
        let mut read: T = serde_json::from_value(record).unwrap();
        read.redact(ticket);
        let shown = serde_json::to_string(&read).unwrap();
        assert!(!shown.contains("secret"), "{shown}");
        assert_eq!(shown.matches("at *** end").count(), texts, "{shown}");
    }

    #[test]
    fn every_text_of_a_listed_record_is_redacted() {
        every_text_field_redacted(Staff::default());
        every_text_field_redacted(Department {
            department_id: 1,
            we_id: 1,
            we_name: String::new(),
            we_parentid: 0,
            rank: 0,
        });
        let mut page: Envelope<StaffPage> = serde_json::from_str(
            r#"{"errno":1,"errmsg":"bad ticket=TK-secret+42","data":{"count":1,
                "staff_list":[{"we_userid":"TK-secret+42"}]}}"#,
        )
        .unwrap();
        page.redact("TK-secret+42");
        assert_eq!(page.errmsg, "bad ticket=***");
        assert_eq!(page.data.unwrap().staff_list[0].we_userid(), "***");
    }

    #[test]
    fn a_non_number_count_is_an_error() {
        let r: Result<Envelope<StaffPage>, _> =
            serde_json::from_str(r#"{"errno":0,"data":{"count":"many","staff_list":[]}}"#);
        assert!(r.is_err());
    }
}
