//! Destructive safety: the guard on how much one run may remove, the typed confirmation, and
//! the backup written before anything is deleted.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{DateTime, Local};

use crate::config::Destructive;
use crate::context::Context;
use crate::events::Emit;
use crate::live::{Live, LISTED};
use crate::model::Layout;

/// `NAME.backup-YYYYMMDD-HHMMSS.xlsx` beside the input.
pub fn backup_path(input: &Path, at: DateTime<Local>) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bgy".into());
    input.with_file_name(format!("{stem}.backup-{}.xlsx", at.format("%Y%m%d-%H%M%S")))
}

/// Writes every to-be-deleted person's record in the import layout beside the input, so that
/// restoring is `bgy import BACKUP.xlsx`.
pub fn backup(
    ctx: &Context,
    input: &Path,
    at: DateTime<Local>,
    live: &Live,
    accounts: &[String],
) -> anyhow::Result<PathBuf> {
    let path = backup_path(input, at);
    let people = accounts
        .iter()
        .filter_map(|a| live.person(a))
        .map(|p| live.values(p));
    crate::write::write_people(&path, Layout::Staff, LISTED, people, None).with_context(|| {
        format!(
            "cannot write the backup {}; nothing was deleted",
            path.display()
        )
    })?;
    ctx.events.note(format!(
        "backup of the {} people to delete: {} (restore: bgy import {})",
        accounts.len(),
        path.display(),
        path.display()
    ));
    Ok(path)
}

/// SPEC's destructive-safety guard: more than 20 % of the directory, or more than 50 people
/// when that is over 80 % of a small one, needs `--force`. `None` when within bounds.
pub fn guard(removing: usize, directory: usize) -> Option<String> {
    let over_fifth = removing * 5 > directory;
    let most_of_small = removing > 50 && removing * 5 > directory * 4;
    (removing > 0 && (over_fifth || most_of_small)).then(|| {
        format!(
            "refusing to remove {removing} of the {directory} people in the directory (more than 20%) without --force; nothing was deleted"
        )
    })
}

/// Lets a run remove `n` of the `directory`'s people, or refuses (exit 2, nothing deleted):
/// past the guard without `--force`, or not confirmed (the person types `n`; `--yes` skips
/// asking).
pub async fn approve(
    ctx: &Context,
    command: &'static str,
    n: usize,
    directory: usize,
    destructive: Destructive,
) -> anyhow::Result<()> {
    if let Some(refusal) = guard(n, directory).filter(|_| !destructive.force) {
        anyhow::bail!(refusal);
    }
    if n == 0 || destructive.yes {
        return Ok(());
    }
    let events = ctx.events.clone();
    let yes = tokio::task::spawn_blocking(move || events.confirm_delete(command, n)).await??;
    anyhow::ensure!(yes, "not confirmed; nothing was deleted");
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
            guard(30, 100).unwrap(),
            "refusing to remove 30 of the 100 people in the directory (more than 20%) without --force; nothing was deleted"
        );
    }

    #[test]
    fn backup_name() {
        let at = chrono::TimeZone::with_ymd_and_hms(&Local, 2026, 11, 24, 9, 5, 7).unwrap();
        assert_eq!(
            backup_path(Path::new("/x/leavers.csv"), at),
            Path::new("/x/leavers.backup-20261124-090507.xlsx")
        );
    }
}
