//! A person's values, as one record whatever they came from.

use chrono::NaiveDate;

use super::tree::Placement;
use super::Field;

/// A person's values with their meaning: each field's value as the API takes it (normalised
/// by validation, or as the listing gives it), the text kept in one string (a 100,000-row
/// sheet is 100,000 of these). Built from a row ([`crate::validate`]), from the listing
/// ([`crate::live::Records`]) or from the history (undo); read typed where the meaning
/// matters ([`StaffRecord::date`], [`StaffRecord::placement`]); sent as
/// [`StaffRecord::to_form`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaffRecord {
    text: String,
    /// Sorted by field: (field, start, end) in `text`.
    spans: Vec<(Field, u32, u32)>,
}

impl StaffRecord {
    pub fn new() -> StaffRecord {
        StaffRecord::default()
    }

    /// Room for `fields` values of `bytes` in all, so that a row's values are not grown and
    /// moved a field at a time.
    pub fn with_capacity(fields: usize, bytes: usize) -> StaffRecord {
        StaffRecord {
            text: String::with_capacity(bytes),
            spans: Vec::with_capacity(fields),
        }
    }

    pub fn get(&self, f: Field) -> Option<&str> {
        let i = self.spans.binary_search_by_key(&f, |s| s.0).ok()?;
        let (_, start, end) = self.spans[i];
        Some(&self.text[start as usize..end as usize])
    }

    pub fn set(&mut self, f: Field, v: Option<&str>) {
        match v {
            Some(v) => self.put(f, v),
            None => {
                if let Ok(i) = self.spans.binary_search_by_key(&f, |s| s.0) {
                    self.spans.remove(i);
                }
            }
        }
    }

    /// Sets a value (a replaced one stays in the text, unreferenced).
    pub fn put(&mut self, f: Field, v: &str) {
        let start = self.text.len() as u32;
        self.text.push_str(v);
        let span = (f, start, self.text.len() as u32);
        match self.spans.binary_search_by_key(&f, |s| s.0) {
            Ok(i) => self.spans[i] = span,
            Err(i) => self.spans.insert(i, span),
        }
    }

    /// No values, the room kept (a scratch record filled again and again).
    pub fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
    }

    /// Gives back the room grown while values were put: a record kept for the whole run (the
    /// listing holds one a person) takes what its values take.
    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.spans.shrink_to_fit();
    }

    /// The fields that have a value, in template order.
    pub fn iter(&self) -> impl Iterator<Item = (Field, &str)> {
        self.spans
            .iter()
            .map(|&(f, a, b)| (f, &self.text[a as usize..b as usize]))
    }

    /// Each of its values beside `other`'s value of the same field, in template order: one
    /// walk along both records' fields (a plan compares each row with its listed person, 16
    /// fields a row: a search of the other record for each cost a 100,000-row plan ~0.05 s).
    pub fn beside<'s>(
        &'s self,
        other: &'s StaffRecord,
    ) -> impl Iterator<Item = (Field, &'s str, Option<&'s str>)> {
        let mut theirs = other.iter().peekable();
        self.iter().map(move |(f, v)| {
            while theirs.next_if(|&(g, _)| g < f).is_some() {}
            (f, v, theirs.next_if(|&(g, _)| g == f).map(|(_, w)| w))
        })
    }

    /// The `staff/add` form fields (without `cover`).
    pub fn to_form(&self) -> Vec<(String, String)> {
        self.iter()
            .map(|(f, v)| (f.key().to_string(), v.to_string()))
            .collect()
    }

    /// A date field's value as a date (`None` when empty, or not a date). Read as its three
    /// numbers: a format string parsed for each value cost a 100,000-row check ~2% of it.
    pub fn date(&self, f: Field) -> Option<NaiveDate> {
        let mut parts = self.get(f)?.split('-');
        let mut num = || -> Option<u32> {
            let p = parts.next()?;
            let digits = !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit());
            if digits {
                p.parse().ok()
            } else {
                None
            }
        };
        let (y, m, d) = (num()?, num()?, num()?);
        match parts.next() {
            Some(_) => None,
            None => NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d),
        }
    }

    /// The account (帐号), empty when the record has none.
    pub fn account(&self) -> &str {
        self.get(Field::WeUserid).unwrap_or("")
    }

    /// The departments the record names: its 部门ID, and its 部门 paths.
    pub fn placement(&self) -> Placement<'_> {
        Placement::new(self.get(Field::WeId), self.get(Field::WeDepartment))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_value_beside_the_other_records_value_of_its_field() {
        let record = |values: &[(Field, &str)]| {
            let mut r = StaffRecord::new();
            for &(f, v) in values {
                r.put(f, v);
            }
            r
        };
        let sheet = record(&[
            (Field::BirthdayL, "2000-01-01"),
            (Field::WeName, "张三"),
            (Field::WeUserid, "zs"),
            (Field::EntryTime, "2024-03-01"),
        ]);
        let listed = record(&[
            (Field::EntryTime, "2023-03-01"),
            (Field::WeMobile, "13800000000"),
            (Field::WeUserid, "zs"),
            (Field::BirthdayG, "2000-01-01"),
        ]);
        assert_eq!(
            sheet.beside(&listed).collect::<Vec<_>>(),
            [
                (Field::WeUserid, "zs", Some("zs")),
                (Field::WeName, "张三", None),
                (Field::EntryTime, "2024-03-01", Some("2023-03-01")),
                (Field::BirthdayL, "2000-01-01", None),
            ]
        );
        assert_eq!(StaffRecord::new().beside(&listed).count(), 0);
        assert!(listed
            .beside(&StaffRecord::new())
            .all(|(_, _, w)| w.is_none()));
    }

    #[test]
    fn values_read_with_their_meaning() {
        let mut r = StaffRecord::new();
        r.put(Field::EntryTime, "2024-03-01");
        r.put(Field::PositiveTime, "2024-02-29");
        r.put(Field::WeId, "2,4");
        assert!(r.date(Field::PositiveTime) < r.date(Field::EntryTime));
        assert_eq!(r.date(Field::QuiteTime), None);
        assert_eq!(
            r.date(Field::EntryTime),
            NaiveDate::from_ymd_opt(2024, 3, 1)
        );
        for not_a_date in [
            "2023-02-29",
            "2024-03",
            "2024-03-01-02",
            "2024-03-01 08:00",
            "+2024-03-01",
            "2024--1",
            "二〇二四-03-01",
        ] {
            let mut other = StaffRecord::new();
            other.put(Field::QuiteTime, not_a_date);
            assert_eq!(other.date(Field::QuiteTime), None, "{not_a_date}");
        }
        assert_eq!(r.placement().ids().collect::<Vec<_>>(), ["2", "4"]);
        r.put(Field::EntryTime, "2024-01-31");
        assert_eq!(
            r.to_form(),
            [
                ("we_id".to_string(), "2,4".to_string()),
                ("entry_time".into(), "2024-01-31".into()),
                ("positive_time".into(), "2024-02-29".into()),
            ],
            "one value a field, in template order, the last one put"
        );
    }
}
