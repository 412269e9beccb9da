//! Wire types of the 办公逸 address API.
//!
//! The server sends numbers as strings (`"count": "260"`) or as numbers (`"we_id": 2`); every
//! numeric field here accepts both, and every text field accepts a number too.

use serde::{Deserialize, Deserializer, Serialize};

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
    use serde::de::Error;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => Ok(String::new()),
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Bool(b) => Ok(b.to_string()),
        other => Err(D::Error::custom(format!("expected text, got {other}"))),
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

/// One person as `staff/list` returns them: only these fields come back.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Staff {
    #[serde(default, deserialize_with = "int")]
    pub staff_id: i64,
    #[serde(deserialize_with = "text")]
    pub we_userid: String,
    #[serde(default, deserialize_with = "text")]
    pub we_name: String,
    #[serde(default, deserialize_with = "text")]
    pub we_email: String,
    #[serde(default, deserialize_with = "text")]
    pub we_avatar: String,
    #[serde(default, deserialize_with = "text")]
    pub we_mobile: String,
    #[serde(default, deserialize_with = "text")]
    pub we_tel: String,
    /// Department we_ids, comma separated.
    #[serde(default, deserialize_with = "text")]
    pub we_department: String,
    #[serde(default, deserialize_with = "text")]
    pub we_gender: String,
    #[serde(default, deserialize_with = "text")]
    pub we_position: String,
    #[serde(default, deserialize_with = "text")]
    pub we_status: String,
    #[serde(default, deserialize_with = "text")]
    pub we_weixinid: String,
    #[serde(default, deserialize_with = "text")]
    pub entry_time: String,
    #[serde(default, deserialize_with = "text")]
    pub positive_time: String,
    #[serde(default, deserialize_with = "text")]
    pub work_time: String,
    #[serde(default, deserialize_with = "text")]
    pub quite_time: String,
    #[serde(default, deserialize_with = "text")]
    pub birthday_g: String,
    #[serde(default, deserialize_with = "text")]
    pub birthday_l: String,
}

impl Staff {
    /// Department we_ids, in the order the server gave them.
    pub fn department_ids(&self) -> Vec<i64> {
        self.we_department
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect()
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
        assert_eq!(s.we_userid, "12345");
        assert_eq!(s.we_mobile, "13800138000");
        assert_eq!(s.we_gender, "1");
        assert_eq!(s.department_ids(), vec![2, 37]);
    }

    #[test]
    fn a_non_number_count_is_an_error() {
        let r: Result<Envelope<StaffPage>, _> =
            serde_json::from_str(r#"{"errno":0,"data":{"count":"many","staff_list":[]}}"#);
        assert!(r.is_err());
    }
}
