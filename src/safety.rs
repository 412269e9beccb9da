//! Destructive safety: the guard on how much one run may remove, the typed confirmation, and
//! the backup written before anything is deleted.

use crate::remedy::{Guard, Removal};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::config::Destructive;
use crate::context::Context;
use crate::events::Emit;
use crate::live::{Live, LISTED};
use crate::model::StaffRecord;
use crate::model::{Field, Layout};
use crate::text::people;

/// `NAME.backup-YYYYMMDD-HHMMSS.xlsx` beside the input.
pub fn backup_path(input: &Path, at: crate::model::Moment) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bgy".into());
    input.with_file_name(format!("{stem}.backup-{}.xlsx", at.format("%Y%m%d-%H%M%S")))
}

/// The backup of the people a run is about to delete: every field the listing returns, and
/// every field bgy itself last sent (bank card, 考勤号 …, from the history), in the import
/// layout, so that restoring is `bgy import BACKUP.xlsx`.
pub struct Backup<'a> {
    /// Each person as listed (borrowed: a delete of 100,000 would copy ~25 MB), with the
    /// fields the history adds, put in as each is written.
    people: Vec<(&'a StaffRecord, Vec<(Field, String)>)>,
    /// Fields neither the listing nor the history knows, with how many people lack them.
    gaps: Vec<String>,
}

impl<'a> Backup<'a> {
    pub fn collect(
        ctx: &Context,
        live: &'a Live,
        accounts: &[impl AsRef<str>],
    ) -> anyhow::Result<Backup<'a>> {
        let history = ctx.history()?;
        let mut unknown: BTreeMap<Field, usize> = BTreeMap::new();
        let people: Vec<(&StaffRecord, Vec<(Field, String)>)> = accounts
            .iter()
            .filter_map(|a| live.person(a.as_ref()))
            .map(|p| {
                let mut added: Vec<(Field, String)> = Vec::new();
                for (key, value) in history.last_sent(p.account()) {
                    let (Some(field), Some(text)) = (Field::from_key(&key), value.as_str()) else {
                        continue;
                    };
                    if p.get(field).is_none() && !added.iter().any(|(f, _)| *f == field) {
                        added.push((field, text.to_string()));
                    }
                }
                // Someone bgy created had, then, exactly what bgy sent: a field it never
                // sent was empty, not lost.
                if !history.created(p.account()) {
                    for f in Field::ALL.iter().filter(|f| !LISTED.contains(f)) {
                        if p.get(*f).is_none() && !added.iter().any(|(a, _)| a == f) {
                            *unknown.entry(*f).or_default() += 1;
                        }
                    }
                }
                (p, added)
            })
            .collect();
        let n = people.len();
        let gaps = unknown
            .iter()
            .map(|(f, missing)| format!("{} {missing}/{n}", f.label()))
            .collect();
        Ok(Backup { people, gaps })
    }

    /// Says, before anything is confirmed, what the backup cannot restore.
    pub fn warn(&self, ctx: &Context) {
        if !self.gaps.is_empty() {
            ctx.events.warn(format!(
                "备份无法恢复这些字段:接口读不到,bgy 也没有发送过 (缺少的人数): {} (the backup cannot restore these fields, which the API does not list and bgy never sent; people lacking them: {})",
                self.gaps.join("、"),
                self.gaps.join(", ")
            ));
        }
    }

    /// Writes the backup beside the input; its first line says what it cannot restore.
    pub fn write(
        self,
        ctx: &Context,
        input: &Path,
        at: crate::model::Moment,
    ) -> anyhow::Result<PathBuf> {
        // A name of its own: two runs on one input in the same second (a delete, then a
        // sync --prune) must not write one backup over the other.
        let path =
            crate::report::reserve(&backup_path(input, at), |_| false).with_context(|| {
                format!(
                    "cannot write a backup beside {}; nothing was deleted",
                    input.display()
                )
            })?;
        let _unfinished = crate::signals::Unfinished::reserved(&path);
        let n = self.people.len();
        let title = match self.gaps.is_empty() {
            true => format!(
                "备份 Backup: {n} 人的全部字段 (every field of {}); 恢复 restore: bgy import 本文件 this file",
                people(n)
            ),
            false => format!(
                "备份 Backup: 以下字段接口读不回、bgy 也没有发送过,无法恢复 (fields the API cannot give back and bgy never sent, so not restorable): {}; 恢复 restore: bgy import 本文件 this file",
                self.gaps.join(", ")
            ),
        };
        // A person's record is copied only to put in what the history adds, one at a time.
        let records = self
            .people
            .into_iter()
            .map(|(p, added)| match added.is_empty() {
                true => Cow::Borrowed(p),
                false => {
                    let mut v = p.clone();
                    for (field, text) in &added {
                        v.put(*field, text);
                    }
                    Cow::Owned(v)
                }
            });
        let written = crate::write::write_people_titled(
            &path,
            Layout::Staff,
            Field::ALL,
            records,
            None,
            Some(&title),
        );
        if let Err(e) = written {
            // Not an empty file that looks like a backup.
            let _ = std::fs::remove_file(&path);
            return Err(e).with_context(|| {
                format!(
                    "cannot write the backup {}; nothing was deleted",
                    path.display()
                )
            });
        }
        ctx.events.note(format!(
            "backup of the {} to delete: {} (restore: bgy import {})",
            people(n),
            path.display(),
            path.display()
        ));
        Ok(path)
    }
}

/// SPEC's destructive-safety guard: more than 20 % of the directory, or more than 50 people
/// when that is over 80 % of a small one, needs `--force`. `None` when within bounds.
pub fn guard(removing: usize, directory: usize) -> Option<Guard> {
    let over_fifth = removing * 5 > directory;
    let most_of_small = removing > 50 && removing * 5 > directory * 4;
    (removing > 0 && (over_fifth || most_of_small)).then_some(Guard {
        removing,
        of: directory,
        what: Removal::Delete,
    })
}

/// Before a sync or `bgy leave` marks `accounts` as leavers: the guard (as for deleting), then the typed
/// confirmation (`--yes` skips it). No backup workbook: the history keeps each record as it
/// was, and `bgy undo` takes the leave back.
pub async fn before_marking(
    ctx: &Context,
    command: &'static str,
    live: &Live,
    accounts: &[String],
    destructive: Destructive,
) -> anyhow::Result<()> {
    let n = accounts.len();
    if let Some(mut refusal) = guard(n, live.staff.len()).filter(|_| !destructive.force) {
        refusal.what = Removal::MarkLeft;
        return Err(refusal.into());
    }
    if n > 0 && !destructive.yes {
        let events = ctx.events.clone();
        let yes = tokio::task::spawn_blocking(move || {
            events.confirm_removal(command, n, Removal::MarkLeft)
        })
        .await??;
        anyhow::ensure!(
            yes,
            "没有确认,没有人被标记为离职 (not confirmed; nobody was marked as a leaver)"
        );
    }
    Ok(())
}

/// Everything a run does before it removes `accounts` from the directory, in this order: the
/// guard (past it without `--force`: refused before anything else is said), what the backup
/// cannot restore, the confirmation (the person types how many; `--yes` skips asking), then the
/// backup written beside `input`. A refusal is exit 2 with nothing deleted and no backup.
pub async fn before_removing(
    ctx: &Context,
    command: &'static str,
    live: &Live,
    accounts: &[impl AsRef<str>],
    destructive: Destructive,
    input: &Path,
    started: crate::model::Moment,
) -> anyhow::Result<()> {
    let n = accounts.len();
    if let Some(refusal) = guard(n, live.staff.len()).filter(|_| !destructive.force) {
        return Err(refusal.into());
    }
    if n == 0 {
        return Ok(());
    }
    let backup = Backup::collect(ctx, live, accounts)?;
    backup.warn(ctx);
    if !destructive.yes {
        let events = ctx.events.clone();
        let yes = tokio::task::spawn_blocking(move || {
            events.confirm_removal(command, n, Removal::Delete)
        })
        .await??;
        anyhow::ensure!(
            yes,
            "没有确认,什么也没有删除 (not confirmed; nothing was deleted)"
        );
    }
    backup.write(ctx, input, started)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard() {
        assert!(guard(20, 100).is_none());
        assert!(guard(21, 100).is_some());
        assert!(guard(445, 2500).is_none());
        assert!(guard(3, 10).is_some());
        assert!(guard(0, 0).is_none());
        assert_eq!(
            guard(30, 100).unwrap().to_string(),
            "不会删除通讯录 100 人中的 30 人 (超过 20%),什么也没有删除 (refusing to remove 30 of the 100 people in the directory, more than 20%; nothing was deleted)"
        );
    }

    /// A delete and then a `sync --prune` of one input in the same second: two backups, each
    /// with its own people (the second used to be written over the first).
    #[tokio::test]
    async fn two_backups_in_the_same_second_keep_their_own_files() {
        use clap::Parser;
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("leavers.csv");
        let args = crate::cli::Args::try_parse_from(["bgy", "template"]).unwrap();
        let config = crate::config::Config::from_args(args).unwrap();
        let events = std::sync::Arc::new(crate::events::Collect::default());
        let ctx = Context::new(&config, events).await.unwrap();
        let at = chrono::TimeZone::with_ymd_and_hms(&chrono::Local, 2026, 11, 24, 9, 5, 7)
            .unwrap()
            .fixed_offset();
        let person = |account: &str| {
            let mut v = StaffRecord::new();
            v.set(Field::WeUserid, Some(account));
            v
        };
        fn backup(v: &StaffRecord) -> Backup<'_> {
            Backup {
                people: vec![(v, vec![])],
                gaps: vec![],
            }
        }
        let (one, two) = (person("first01"), person("second02"));
        let first = backup(&one).write(&ctx, &input, at).unwrap();
        let second = backup(&two).write(&ctx, &input, at).unwrap();
        assert_eq!(first, backup_path(&input, at));
        assert_eq!(
            second,
            dir.path().join("leavers.backup-20261124-090507-2.xlsx")
        );
        let holds = |path: &Path, account: &str| {
            crate::read::read_sheet(path, None)
                .unwrap()
                .rows
                .iter()
                .any(|r| r.cells.iter().any(|c| c.text() == account))
        };
        assert!(holds(&first, "first01") && !holds(&first, "second02"));
        assert!(holds(&second, "second02"));
    }

    #[test]
    fn backup_name() {
        let at = chrono::TimeZone::with_ymd_and_hms(&chrono::Local, 2026, 11, 24, 9, 5, 7)
            .unwrap()
            .fixed_offset();
        assert_eq!(
            backup_path(Path::new("/x/leavers.csv"), at),
            Path::new("/x/leavers.backup-20261124-090507.xlsx")
        );
    }
}
