//! A person's values, as one record whatever they came from.

use chrono::NaiveDate;
use thin_vec::ThinVec;

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
    /// The values one after the other, in template order.
    text: String,
    /// One a value, in template order: its field in the top bits, and where it ends in
    /// `text` (it starts where the one before ends). 4 bytes a value, where a field and two
    /// offsets took 12: a sync of 100,000 people holds 200,000 records of ~9 values. A thin
    /// vector keeps its length with its items: an empty record (a row's let go, or moved
    /// into its send) is 32 bytes, not 48.
    spans: ThinVec<u32>,
}

/// The bits of a span that say where its value ends.
const END_BITS: u32 = 26;
const END_MASK: u32 = (1 << END_BITS) - 1;
const _: () = assert!(Field::ALL.len() <= 1 << (32 - END_BITS));

/// The most text a record holds, 64 MiB: a value past it is cut. No sheet comes near it (a
/// cell holds 32,767 characters; 29 of them are under 4 MiB); only a server could.
pub const MAX_TEXT: usize = END_MASK as usize;

fn field_of(span: u32) -> Field {
    Field::ALL[(span >> END_BITS) as usize]
}

fn end_of(span: u32) -> usize {
    (span & END_MASK) as usize
}

/// A span ending at `end` (at most [`MAX_TEXT`]).
fn span(f: Field, end: usize) -> u32 {
    ((f.index() as u32) << END_BITS) | end as u32
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
            spans: ThinVec::with_capacity(fields),
        }
    }

    /// Where field `f`'s span is, or would go.
    fn find(&self, f: Field) -> Result<usize, usize> {
        let key = f.index() as u32;
        self.spans.binary_search_by_key(&key, |&s| s >> END_BITS)
    }

    /// Where the `i`th value starts and ends in the text.
    fn bounds(&self, i: usize) -> (usize, usize) {
        (self.start_of(i), end_of(self.spans[i]))
    }

    /// Where the `i`th value starts (or one put at `i` would): where the one before ends.
    fn start_of(&self, i: usize) -> usize {
        match i {
            0 => 0,
            _ => end_of(self.spans[i - 1]),
        }
    }

    /// Moves where the values from the `i`th on end: `removed` bytes taken out before them,
    /// `added` put in.
    fn shift(&mut self, i: usize, removed: usize, added: usize) {
        for s in &mut self.spans[i..] {
            let end = end_of(*s) - removed + added;
            *s = span(field_of(*s), end);
        }
    }

    pub fn get(&self, f: Field) -> Option<&str> {
        let (start, end) = self.bounds(self.find(f).ok()?);
        Some(&self.text[start..end])
    }

    pub fn set(&mut self, f: Field, v: Option<&str>) {
        match v {
            Some(v) => self.put(f, v),
            None => {
                if let Ok(i) = self.find(f) {
                    let (start, end) = self.bounds(i);
                    self.text.replace_range(start..end, "");
                    self.spans.remove(i);
                    self.shift(i, end - start, 0);
                }
            }
        }
    }

    /// Sets a value, in its place among the others (put in template order, each goes at the
    /// end).
    pub fn put(&mut self, f: Field, v: &str) {
        let last = self.spans.last().map(|&s| s >> END_BITS);
        if last.is_none_or(|l| l < f.index() as u32) && self.text.len() + v.len() <= MAX_TEXT {
            self.text.push_str(v);
            self.spans.push(span(f, self.text.len()));
            return;
        }
        let (i, start, end) = match self.find(f) {
            Ok(i) => {
                let (start, end) = self.bounds(i);
                (i, start, end)
            }
            Err(i) => {
                let at = self.start_of(i);
                self.spans.insert(i, span(f, at));
                (i, at, at)
            }
        };
        let room = MAX_TEXT - (self.text.len() - (end - start));
        let mut cut = v.len().min(room);
        while !v.is_char_boundary(cut) {
            cut -= 1;
        }
        let v = &v[..cut];
        match start == end {
            true => self.text.insert_str(start, v),
            false => self.text.replace_range(start..end, v),
        }
        self.shift(i, end - start, v.len());
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
        self.spans.iter().scan(0, |start, &s| {
            let end = end_of(s);
            let value = &self.text[*start..end];
            *start = end;
            Some((field_of(s), value))
        })
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

    proptest::proptest! {
        /// Values put, replaced and taken away in any order read back as a map of them would:
        /// each field's last value, in template order, and records of the same values equal.
        #[test]
        fn values_read_back_as_put_in_any_order(
            steps in proptest::collection::vec(
                (0..Field::ALL.len(), proptest::option::of("[a-z张三 ]{0,6}")),
                0..40,
            ),
        ) {
            let mut record = StaffRecord::new();
            let mut model = std::collections::BTreeMap::new();
            for (i, value) in &steps {
                let f = Field::ALL[*i];
                record.set(f, value.as_deref());
                match value {
                    Some(v) => model.insert(f, v.clone()),
                    None => model.remove(&f),
                };
            }
            let read: Vec<_> = record.iter().map(|(f, v)| (f, v.to_string())).collect();
            proptest::prop_assert_eq!(&read, &model.clone().into_iter().collect::<Vec<_>>());
            for f in Field::ALL {
                proptest::prop_assert_eq!(record.get(*f), model.get(f).map(String::as_str));
            }
            let mut again = StaffRecord::new();
            for (f, v) in &model {
                again.put(*f, v);
            }
            proptest::prop_assert_eq!(record, again);
        }
    }

    #[test]
    fn a_value_past_a_records_room_is_cut_between_characters() {
        let mut r = StaffRecord::new();
        r.put(Field::WeUserid, "zs");
        r.put(Field::WeName, &"张".repeat(MAX_TEXT / 3 + 1));
        r.put(Field::WeMobile, "13800000000");
        let name = r.get(Field::WeName).unwrap_or_default();
        // 2 bytes of account, then as many 3-byte 张 as fit, then the 1 byte left.
        assert_eq!(name.len(), (MAX_TEXT - 2) / 3 * 3);
        assert!(name.chars().all(|c| c == '张'));
        assert_eq!(r.get(Field::WeMobile), Some("1"));
        assert_eq!(r.account(), "zs");
    }
}
