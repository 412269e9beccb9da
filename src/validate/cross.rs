//! The checks across rows: accounts, check ids, mobiles and e-mails unique in the file.

use super::{first_of, problem, same_key, Issue, Problem, Row};
use crate::model::{Field, Layout};

/// Accounts and check ids must be unique in the file: every row of a clash is an error that
/// names the others. The keys are gathered as the rows are validated (while the sheet is still
/// being read), the clashes named once every row is in. Held as [`KeyHash`]es, a row a key (a
/// key's text would be ~10 MB more a field at 100,000 rows), and found from them alone: a
/// check lets a row's cells go once its report row is written. The hashes are only pushed as
/// the rows come and sorted at the end: a hash map's insert is a cache miss at random in a
/// few megabytes, a row a field (0.1 s of 100,000 rows' validation). Each run of [`RUN`]
/// hashes is sorted as it fills, and merged with the one before it while they are the same
/// size, while the reader still reads: the end, where the check waits, merges a few runs of
/// different sizes (3 ms of 100,000 rows, not a whole sort's 15).
pub(super) struct CrossRows {
    layout: Layout,
    fields: Vec<Field>,
    hash: KeyHash,
    /// Per field: each key's hash with its row, in sorted runs until [`CrossRows::finish`].
    keys: Vec<Vec<(Hashed, u32)>>,
    rows: u32,
}

impl CrossRows {
    pub(super) fn new(layout: Layout) -> CrossRows {
        let mut fields = vec![Field::WeUserid];
        if layout == Layout::Staff {
            // In WeCom, which 办公逸 mirrors into, a mobile and an e-mail belong to one member.
            fields.extend([Field::CheckId, Field::WeMobile, Field::WeEmail]);
        }
        CrossRows {
            layout,
            keys: fields.iter().map(|_| Vec::new()).collect(),
            fields,
            hash: KeyHash::random(),
            rows: 0,
        }
    }

    /// The next row, in order.
    pub(super) fn add(&mut self, row: &Row) {
        let i = self.rows;
        self.rows += 1;
        for (k, field) in self.fields.iter().enumerate() {
            if let Some(key) = row.values.get(*field).and_then(|v| same_key(*field, v)) {
                let keys = &mut self.keys[k];
                keys.push((self.hash.of(&key), i));
                let len = keys.len();
                if len.is_multiple_of(RUN) {
                    keys[len - RUN..].sort_unstable();
                    // As a binary counter carries: two runs of one size make one of twice it.
                    let mut run = RUN;
                    while len.is_multiple_of(run * 2) {
                        run *= 2;
                        keys[len - run..].sort();
                    }
                }
            }
        }
    }

    /// The clashes, as issues on the rows they were added as; the file's accounts, kept.
    pub(super) fn finish(mut self, rows: &mut [Row]) -> FileAccounts {
        for (k, &field) in self.fields.iter().enumerate() {
            let keys = &mut self.keys[k];
            // By hash, then by row: each group of one key in sheet order. The stable sort
            // finds the sorted runs and merges them.
            keys.sort();
            let groups: Vec<Vec<usize>> = keys
                .chunk_by(|a, b| a.0 == b.0)
                .filter(|group| group.len() > 1)
                .map(|group| group.iter().map(|&(_, i)| i as usize).collect())
                .collect();
            for (i, other) in first_of(groups.iter(), |j| rows[j].source_row) {
                let issue = duplicate(field, other);
                rows[i].issues.push(match self.layout {
                    // Deleting an account twice is harmless: `bgy delete` deletes it once.
                    Layout::Delete => Issue::warning(
                        Some(field),
                        problem(
                            "duplicate account",
                            format!("帐号与第 {other} 行重复,只删除一次"),
                            format!("the same account as row {other}: deleted once"),
                        ),
                    ),
                    _ => Issue::error(Some(field), issue),
                });
            }
        }
        let mut accounts: Vec<Hashed> = self
            .keys
            .swap_remove(0)
            .into_iter()
            .map(|(h, _)| h)
            .collect();
        accounts.dedup();
        accounts.shrink_to_fit();
        FileAccounts {
            hash: self.hash,
            sorted: accounts,
        }
    }
}

/// Hashes [`CrossRows`] sorts at a time (96 KB: within a core's cache).
const RUN: usize = 4096;

/// A key's hash, 128 bits of SipHash-1-3 under keys drawn afresh each run: two different keys
/// hash alike with odds of about n²/2¹²⁹ (10⁻²⁹ for 100,000 rows), and without the run's keys
/// no sheet can be made whose keys do. The directory's maps are keyed by it too (see
/// [`crate::live::Live`]).
#[derive(Debug, Clone, Copy)]
pub struct KeyHash(u64, u64);

impl KeyHash {
    pub fn random() -> KeyHash {
        use std::hash::BuildHasher;
        // The standard library's own random keys, through its SipHash: as unguessable.
        let random = std::hash::RandomState::new();
        KeyHash(random.hash_one(0u8), random.hash_one(1u8))
    }

    pub fn of(&self, key: &str) -> Hashed {
        use siphasher::sip128::{Hasher128, SipHasher13};
        use std::hash::Hasher;
        let mut h = SipHasher13::new_with_keys(self.0, self.1);
        h.write(key.as_bytes());
        let h = h.finish128();
        Hashed(h.h1, h.h2)
    }
}

/// A [`KeyHash`]: two halves, so that an entry of one and a row is 24 bytes, not the 32 a
/// `u128`'s alignment makes it (4 fields × 100,000 rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hashed(u64, u64);

/// The sheet's accounts (every row's, valid or not), as the checks across rows hashed them:
/// whether a leader the directory lacks is one of them, once the rows' own values may be gone.
#[derive(Debug, Clone)]
pub struct FileAccounts {
    hash: KeyHash,
    /// Each account's hash, once, in order.
    sorted: Vec<Hashed>,
}

impl FileAccounts {
    pub fn contains(&self, account: &str) -> bool {
        same_key(Field::WeUserid, account)
            .is_some_and(|key| self.sorted.binary_search(&self.hash.of(&key)).is_ok())
    }
}

/// The issue of a row whose `field` is the same as row `other`'s.
fn duplicate(field: Field, other: u32) -> Problem {
    match field {
        Field::CheckId => problem(
            "duplicate check id",
            format!("考勤号与第 {other} 行重复 (1206)"),
            format!("the same check id as row {other} (1206)"),
        ),
        Field::WeMobile => problem(
            "duplicate mobile",
            format!("手机号与第 {other} 行重复:企业微信中一个手机号只属于一人"),
            format!("the same mobile as row {other}: in WeCom a mobile belongs to one member"),
        ),
        Field::WeEmail => problem(
            "duplicate e-mail",
            format!("邮箱与第 {other} 行重复:企业微信中一个邮箱只属于一人"),
            format!("the same e-mail as row {other}: in WeCom an e-mail belongs to one member"),
        ),
        _ => problem(
            "duplicate account",
            format!("帐号与第 {other} 行重复"),
            format!("the same account as row {other}"),
        ),
    }
}
