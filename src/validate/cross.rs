//! The checks across rows: accounts, check ids, mobiles and e-mails unique in the file.

use super::{first_of, problem, rule, same_key, Issue, Problem, Row};
use crate::model::tree::SEPARATORS;
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
/// different sizes (12 ms of 100,000 rows' four fields, three runs of each read back from
/// file; not a whole sort).
///
/// A field's keys in memory are at most [`BUDGET`]: a run that size is written to a temporary
/// file and merged back from it at the end, so the checks hold the same few megabytes for
/// 20,000 rows or a million (they held 24 bytes a key a field: ~10 MB at 100,000 rows, 96 MB
/// at Excel's last row). Where no temporary file can be written, the runs stay in memory.
pub(super) struct CrossRows {
    layout: Layout,
    fields: Vec<Field>,
    hash: KeyHash,
    /// Per field: each key's hash with its row, in sorted runs until [`CrossRows::finish`].
    keys: Vec<Keys>,
    spill: Spill,
    /// [`RUN`] and [`BUDGET`], but for tests.
    run: usize,
    budget: usize,
    rows: u32,
    /// [`FileAccounts::firsts`], as they come.
    firsts: Vec<FirstLevel>,
}

/// One field's keys with their rows.
#[derive(Default)]
struct Keys {
    /// The latest, in sorted runs of [`RUN`] merged as a binary counter carries.
    mem: Vec<(Hashed, u32)>,
    /// Whole sorted runs of the budget's size, as they were written out or, where they could
    /// not be, kept.
    runs: Vec<Run>,
}

impl Keys {
    /// How many there are.
    fn len(&self, budget: usize) -> usize {
        self.mem.len() + self.runs.len() * budget
    }
}

enum Run {
    /// Where it starts in the spill file.
    Written(u64),
    Kept(Vec<(Hashed, u32)>),
}

impl CrossRows {
    pub(super) fn new(layout: Layout) -> CrossRows {
        CrossRows::sized(layout, RUN, BUDGET)
    }

    /// With runs of `run` keys, and `budget` keys a field in memory (a power of two times `run`).
    fn sized(layout: Layout, run: usize, budget: usize) -> CrossRows {
        let mut fields = vec![Field::WeUserid];
        if layout == Layout::Staff {
            // In WeCom, which 办公逸 mirrors into, a mobile and an e-mail belong to one member.
            fields.extend([Field::CheckId, Field::WeMobile, Field::WeEmail]);
        }
        CrossRows {
            layout,
            keys: fields.iter().map(|_| Keys::default()).collect(),
            fields,
            hash: KeyHash::random(),
            spill: Spill::default(),
            run,
            budget,
            rows: 0,
            firsts: Vec::new(),
        }
    }

    /// The next row, in order.
    pub(super) fn add(&mut self, row: &Row) {
        let i = self.rows;
        self.rows += 1;
        if let Some(paths) = row.values().get(Field::WeDepartment) {
            for path in paths.split(';') {
                let Some((first, rest)) = first_level(path) else {
                    continue;
                };
                let full = self.firsts.len() >= FIRSTS;
                match self.firsts.iter_mut().find(|f| f.name == first) {
                    Some(f) => f.see(&rest),
                    None if !full => {
                        self.firsts.push(FirstLevel {
                            name: first.to_string(),
                            under: vec![rest.into_owned()],
                        });
                    }
                    None => {}
                }
            }
        }
        for k in 0..self.fields.len() {
            let field = self.fields[k];
            if let Some(key) = row.values().get(field).and_then(|v| same_key(field, v)) {
                let hash = self.hash.of(&key);
                self.push(k, hash, i);
            }
        }
    }

    /// The `k`th field's key of row `i`.
    fn push(&mut self, k: usize, hash: Hashed, i: u32) {
        let keys = &mut self.keys[k];
        keys.mem.push((hash, i));
        let len = keys.mem.len();
        if len.is_multiple_of(self.run) {
            keys.mem[len - self.run..].sort_unstable();
            // As a binary counter carries: two runs of one size make one of twice it.
            let mut run = self.run;
            while len.is_multiple_of(run * 2) {
                run *= 2;
                keys.mem[len - run..].sort();
            }
        }
        if len == self.budget {
            // One sorted run now: out of memory, or kept whole where it cannot go.
            let run = match self.spill.write(&keys.mem) {
                Some(at) => Run::Written(at),
                None => Run::Kept(keys.mem.clone()),
            };
            keys.runs.push(run);
            keys.mem.clear();
        }
    }

    /// The clashes, as issues on the rows they were added as; the file's accounts, kept.
    pub(super) fn finish(mut self, rows: &mut [Row]) -> std::io::Result<FileAccounts> {
        // At most one a key of the first field, the accounts: room for exactly that many.
        let mut accounts = Vec::with_capacity(self.keys[0].len(self.budget));
        for k in 0..self.fields.len() {
            let field = self.fields[k];
            let mut groups: Vec<Vec<usize>> = Vec::new();
            self.each_group(k, (k == 0).then_some(&mut accounts), &mut |group| {
                groups.push(group.iter().map(|&i| i as usize).collect());
            })?;
            for (i, other) in first_of(groups.iter(), |j| rows[j].source_row) {
                let issue = duplicate(field, other);
                rows[i].issues.push(match self.layout {
                    // Deleting an account twice is harmless: `bgy delete` deletes it once.
                    Layout::Delete => Issue::warning(
                        Some(field),
                        problem(
                            rule::DUPLICATE_ACCOUNT,
                            format!("帐号与第 {other} 行重复,只删除一次"),
                            format!("the same account as row {other}: deleted once"),
                        ),
                    ),
                    // As a delete: `bgy leave` marks the person once, as their first row says.
                    Layout::Leave => Issue::warning(
                        Some(field),
                        problem(
                            rule::DUPLICATE_ACCOUNT,
                            format!("帐号与第 {other} 行重复,按两行中靠前的一行标记一次"),
                            format!(
                                "the same account as row {other}: marked once, as the first of the two says"
                            ),
                        ),
                    ),
                    _ => Issue::error(Some(field), issue),
                });
            }
        }
        accounts.shrink_to_fit();
        Ok(FileAccounts {
            hash: self.hash,
            sorted: accounts,
            firsts: self.firsts,
            names: None,
        })
    }

    /// Each group of rows (more than one) whose `k`th field has one key, its rows in sheet
    /// order; and every key once, in order, into `all`. The runs are merged as they are read:
    /// by hash, then by row.
    fn each_group(
        &mut self,
        k: usize,
        mut all: Option<&mut Vec<Hashed>>,
        found: &mut dyn FnMut(&[u32]),
    ) -> std::io::Result<()> {
        let keys = &mut self.keys[k];
        // The stable sort finds the latest sorted runs and merges them.
        keys.mem.sort();
        let mut cursors: Vec<Cursor> = std::mem::take(&mut keys.runs)
            .into_iter()
            .map(|run| match run {
                Run::Written(at) => Cursor::on_file(at, self.budget),
                Run::Kept(keys) => Cursor::kept(keys),
            })
            .collect();
        cursors.push(Cursor::kept(std::mem::take(&mut keys.mem)));
        // Each run's next key. A merge of a few runs (four a field at 100,000 rows, 32 at
        // Excel's last row) finds the least by looking at each, not with a binary heap's pop
        // and push: the check's wait for the checks across 100,000 rows went from 14–15 ms to
        // 12. The least is by hash, then by row, as the heap's was.
        let mut heads = Vec::with_capacity(cursors.len());
        for cursor in &mut cursors {
            heads.push(cursor.next(&mut self.spill, self.run)?);
        }
        let mut group: Vec<u32> = Vec::new();
        let mut last = None;
        loop {
            let mut least: Option<(usize, (Hashed, u32))> = None;
            for (c, head) in heads.iter().enumerate() {
                if let Some(key) = *head {
                    if least.is_none_or(|(_, l)| key < l) {
                        least = Some((c, key));
                    }
                }
            }
            let Some((c, (hash, i))) = least else {
                break;
            };
            heads[c] = cursors[c].next(&mut self.spill, self.run)?;
            if last != Some(hash) {
                if group.len() > 1 {
                    found(&group);
                }
                group.clear();
                last = Some(hash);
                if let Some(all) = all.as_deref_mut() {
                    all.push(hash);
                }
            }
            group.push(i);
        }
        if group.len() > 1 {
            found(&group);
        }
        Ok(())
    }
}

/// Hashes [`CrossRows`] sorts at a time (96 KB: within a core's cache).
const RUN: usize = 4096;

/// A field's keys [`CrossRows`] holds in memory at most (768 KB), and the size of each run it
/// writes out: 20,000 rows write nothing, 100,000 three runs a field.
const BUDGET: usize = 8 * RUN;

/// The temporary file runs of keys are written to, made with the first; gone when dropped.
#[derive(Default)]
struct Spill {
    file: Option<std::fs::File>,
    /// Its end: where the next run goes.
    end: u64,
    /// Writing failed once: the runs stay in memory from then on.
    broken: bool,
    buf: Vec<u8>,
}

/// A key on file: its hash's two halves, then its row, little-endian.
const ENTRY: usize = 20;

impl Spill {
    /// Writes `run` at the end; where it starts, or `None` where it could not be written.
    fn write(&mut self, run: &[(Hashed, u32)]) -> Option<u64> {
        use std::io::Write;
        if self.broken {
            return None;
        }
        if self.file.is_none() {
            self.file = tempfile::tempfile().ok();
        }
        let Some(file) = self.file.as_mut() else {
            self.broken = true;
            return None;
        };
        // Appended where the last run ended, a few thousand keys at a time: a failed write
        // leaves nothing the runs before need, and nothing after it is written.
        let mut written = std::io::Seek::seek(file, std::io::SeekFrom::Start(self.end)).map(drop);
        for part in run.chunks(RUN) {
            self.buf.clear();
            for (Hashed(a, b), i) in part {
                self.buf.extend_from_slice(&a.to_le_bytes());
                self.buf.extend_from_slice(&b.to_le_bytes());
                self.buf.extend_from_slice(&i.to_le_bytes());
            }
            written = written.and_then(|()| file.write_all(&self.buf));
        }
        if written.is_err() {
            self.broken = true;
            return None;
        }
        let at = self.end;
        self.end += (run.len() * ENTRY) as u64;
        Some(at)
    }

    /// Up to `n` keys from `at` into `into`.
    fn read(&mut self, at: u64, n: usize, into: &mut Vec<(Hashed, u32)>) -> std::io::Result<()> {
        use std::io::{Read, Seek};
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the temporary file is gone"))?;
        file.seek(std::io::SeekFrom::Start(at))?;
        self.buf.resize(n * ENTRY, 0);
        file.read_exact(&mut self.buf)?;
        into.clear();
        into.extend(self.buf.chunks_exact(ENTRY).map(|e| {
            let word =
                |r: std::ops::Range<usize>| -> [u8; 8] { e[r].try_into().unwrap_or_default() };
            let row = e[16..20].try_into().unwrap_or_default();
            (
                Hashed(
                    u64::from_le_bytes(word(0..8)),
                    u64::from_le_bytes(word(8..16)),
                ),
                u32::from_le_bytes(row),
            )
        }));
        Ok(())
    }
}

/// Where a merge is in one run: its keys read so far, and those still on file.
struct Cursor {
    buf: Vec<(Hashed, u32)>,
    pos: usize,
    /// Where the keys not read yet start on file, and how many there are.
    at: u64,
    left: usize,
}

impl Cursor {
    fn kept(keys: Vec<(Hashed, u32)>) -> Cursor {
        Cursor {
            buf: keys,
            pos: 0,
            at: 0,
            left: 0,
        }
    }

    fn on_file(at: u64, len: usize) -> Cursor {
        Cursor {
            buf: Vec::new(),
            pos: 0,
            at,
            left: len,
        }
    }

    /// The next key, read from file `chunk` keys at a time.
    fn next(&mut self, spill: &mut Spill, chunk: usize) -> std::io::Result<Option<(Hashed, u32)>> {
        if self.pos == self.buf.len() && self.left > 0 {
            let n = self.left.min(chunk);
            spill.read(self.at, n, &mut self.buf)?;
            self.pos = 0;
            self.at += (n * ENTRY) as u64;
            self.left -= n;
        }
        let next = self.buf.get(self.pos).copied();
        self.pos += usize::from(next.is_some());
        Ok(next)
    }
}

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
    /// The first levels of the sheet's 部门 paths that have levels under them (the company's
    /// name, as an HR system calls its root), the first [`FIRSTS`] of them: a path of that one
    /// level names the root too (`live`'s `company_root`).
    pub firsts: Vec<FirstLevel>,
    /// The sheet's people by name, for a 直接上级 spelled as an account that nobody has, and
    /// for namesakes the directory's tree tells apart ([`super::leaders::SheetNames::decide`]).
    pub names: Option<super::leaders::SheetNames>,
}

/// How many of the sheet's first levels [`FileAccounts::firsts`] keeps: a sheet's paths
/// start at one root, or at a few when it is wrong.
const FIRSTS: usize = 8;

/// A first level of the sheet's 部门 paths, and the first few paths under it (`研发部/后端组`
/// of `某某科技/研发部/后端组`): whether some of them name departments under the directory's
/// root tells a company's name from a department still to be made (`live`'s
/// `under_company_name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstLevel {
    pub name: String,
    pub under: Vec<String>,
}

/// A 部门 path's first level and the levels under it, `/` between them: `某某科技/研发部/后端组`,
/// or the same written with an HR system's separator (`某某科技-研发部-后端组`, read as levels
/// as `live` reads it). None for a path of one level.
fn first_level(path: &str) -> Option<(&str, std::borrow::Cow<'_, str>)> {
    if let Some((first, rest)) = path.split_once('/') {
        return (!rest.is_empty()).then_some((first, rest.into()));
    }
    let sep = SEPARATORS.into_iter().find(|c| path.contains(*c))?;
    let mut levels = path.split(sep).map(str::trim);
    let first = levels.next()?;
    let rest: Vec<&str> = levels.collect();
    let whole = !first.is_empty() && !rest.iter().any(|l| l.is_empty());
    whole.then(|| (first, rest.join("/").into()))
}

/// How many paths a [`FirstLevel`] keeps: a roster's departments repeat, row after row.
const UNDER: usize = 16;

impl FirstLevel {
    fn see(&mut self, rest: &str) {
        if self.under.len() < UNDER && !self.under.iter().any(|u| u == rest) {
            self.under.push(rest.to_string());
        }
    }
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
            rule::DUPLICATE_CHECK_ID,
            format!("考勤号与第 {other} 行重复 (1206)"),
            format!("the same check id as row {other} (1206)"),
        ),
        Field::WeMobile => problem(
            rule::DUPLICATE_MOBILE,
            format!("手机号与第 {other} 行重复:企业微信中一个手机号只属于一人"),
            format!("the same mobile as row {other}: in WeCom a mobile belongs to one member"),
        ),
        Field::WeEmail => problem(
            rule::DUPLICATE_EMAIL,
            format!("邮箱与第 {other} 行重复:企业微信中一个邮箱只属于一人"),
            format!("the same e-mail as row {other}: in WeCom an e-mail belongs to one member"),
        ),
        _ => problem(
            rule::DUPLICATE_ACCOUNT,
            format!("帐号与第 {other} 行重复"),
            format!("the same account as row {other}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What one field's keys came to through `CrossRows` of the given sizes.
    struct Through {
        /// The groups found, sorted by their first row.
        groups: Vec<Vec<u32>>,
        /// Every key's hash once.
        all: Vec<Hashed>,
        written: usize,
        kept: usize,
        /// The most keys held in memory at a time.
        held: usize,
    }

    fn through(keys: &[u8], run: usize, budget: usize, broken: bool) -> Through {
        let mut cross = CrossRows::sized(Layout::Delete, run, budget);
        cross.spill.broken = broken;
        let mut held = 0;
        for (i, key) in keys.iter().enumerate() {
            let hash = cross.hash.of(&key.to_string());
            cross.push(0, hash, i as u32);
            held = held.max(cross.keys[0].mem.capacity());
        }
        let runs = &cross.keys[0].runs;
        let written = runs.iter().filter(|r| matches!(r, Run::Written(_))).count();
        let kept = runs.len() - written;
        let (mut groups, mut all) = (Vec::new(), Vec::new());
        cross
            .each_group(0, Some(&mut all), &mut |g| groups.push(g.to_vec()))
            .unwrap();
        groups.sort();
        Through {
            groups,
            all,
            written,
            kept,
            held,
        }
    }

    proptest! {
        /// Whatever the sizes, and whether the runs go to the file or stay: the groups of rows
        /// of one key, and the keys, as a map of key to rows finds them.
        #[test]
        fn the_clashes_are_the_same_written_out_or_kept(
            keys in proptest::collection::vec(0u8..40, 0..300),
            run in prop::sample::select(vec![1usize, 2, 4]),
            times in prop::sample::select(vec![1usize, 2, 8]),
            broken in any::<bool>(),
        ) {
            let Through { groups, all, .. } = through(&keys, run, run * times, broken);
            let mut by_key = std::collections::BTreeMap::<u8, Vec<u32>>::new();
            for (i, k) in keys.iter().enumerate() {
                by_key.entry(*k).or_default().push(i as u32);
            }
            let mut expected: Vec<Vec<u32>> =
                by_key.values().filter(|g| g.len() > 1).cloned().collect();
            expected.sort();
            prop_assert_eq!(groups, expected);
            prop_assert_eq!(all.len(), by_key.len());
            prop_assert!(all.windows(2).all(|w| w[0] < w[1]), "in order, once each");
        }
    }

    #[test]
    fn past_the_budget_the_keys_are_on_file_not_in_memory() {
        let keys: Vec<u8> = (0..1000).map(|i| (i % 250) as u8).collect();
        let t = through(&keys, 4, 16, false);
        // 1,000 keys: 62 runs of 16 written, 8 left in memory, which never held more than 16.
        assert_eq!((t.written, t.kept), (62, 0));
        assert_eq!(t.held, 16);
        assert_eq!(t.groups.len(), 250);
        assert_eq!(t.groups[0], [0, 250, 500, 750]);
    }

    #[test]
    fn without_a_file_the_runs_stay_in_memory() {
        let keys: Vec<u8> = (0..100).map(|i| (i % 7) as u8).collect();
        let t = through(&keys, 2, 8, true);
        assert_eq!((t.written, t.kept), (0, 12));
        assert_eq!(t.groups.len(), 7);
        assert_eq!(t.groups[6], (6..100).step_by(7).collect::<Vec<u32>>());
    }
}
