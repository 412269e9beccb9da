//! `bgy history`: the runs that changed the directory, a run's changes, and the audit log as a
//! workbook. Bank card numbers are never shown.

use std::path::Path;

use rust_xlsxwriter::{Format, Workbook};
use serde_json::Value;

use crate::config::HistoryJob;
use crate::context::Context;
use crate::events::Emit;
use crate::history::{mask, ChangeRecord, History};
use crate::outcome::{Counts, Detail, Summary};
use crate::text::Unwritten;

pub fn run(ctx: &Context, job: &HistoryJob) -> anyhow::Result<Summary> {
    let history = ctx.history()?;
    if let Some(path) = &job.export {
        let n = export(&history, path, job.limit)?;
        ctx.events.note(format!(
            "bgy history: {n} changed fields to {}",
            path.display()
        ));
        return Ok(Summary {
            command: "history",
            counts: Counts {
                total: n,
                ..Counts::default()
            },
            detail: Detail::Wrote {
                output: path.display().to_string(),
            },
            ..Summary::default()
        });
    }
    match job.show {
        Some(run) => {
            let changes = history.changes(run)?;
            let unanswered = history.unanswered_records(run)?;
            Ok(Summary {
                command: "history show",
                counts: Counts {
                    total: changes.len(),
                    ..Counts::default()
                },
                detail: Detail::Changes {
                    changes: mask(serde_json::to_value(changes)?),
                    unanswered: mask(serde_json::to_value(unanswered)?),
                },
                ..Summary::default()
            })
        }
        None => {
            let runs = history.runs(job.limit)?;
            let total = runs.len();
            // An approved run names the run that sent it (its own changes stay 0: the
            // changes are that run's).
            let runs = runs.into_iter().map(|r| history.with_sent_as(r)).collect();
            Ok(Summary {
                command: "history",
                counts: Counts {
                    total,
                    ..Counts::default()
                },
                detail: Detail::Runs {
                    runs: Value::Array(runs),
                },
                ..Summary::default()
            })
        }
    }
}

/// What the audit log says of a call never answered, beside the change it was to make.
pub const UNANSWERED: &str = "未收到回答,可能已生效 / never answered: may have taken effect";

/// Writes the audit log of the newest `limit` runs to `path` ([`audit_log`]); the rows written.
fn export(history: &History, path: &Path, limit: usize) -> anyhow::Result<usize> {
    let (mut wb, rows) = audit_log(history, limit)?;
    crate::write::save(&mut wb, path).cannot_write(path)?;
    Ok(rows)
}

/// The audit log of the newest `limit` runs, and its rows: one per changed field of every
/// change (when, who, command, account, field, old → new), newest run first; a run's calls
/// never answered after its changes. Its sheet streams to a temporary file as it is filled, so
/// a long history is not held in memory whole; the console sends it as the command line saves it.
pub fn audit_log(history: &History, limit: usize) -> anyhow::Result<(Workbook, usize)> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name("审计 Audit")?;
    let header = crate::write::header_format();
    let titles = [
        "时间 When",
        "操作人 Who",
        "运行 Run",
        "命令 Command",
        "帐号 Account",
        "变更 Change",
        "字段 Field",
        "原值 Old",
        "新值 New",
    ];
    for (j, t) in titles.iter().enumerate() {
        ws.write_string_with_format(0, j as u16, *t, &header)?;
        ws.set_column_width(j as u16, if j >= 7 { 24 } else { 14 })?;
    }
    let text = Format::new().set_num_format("@");
    let mut r = 0u32;
    for run in history.runs(limit)? {
        // A change's rows; a call never answered is written as the change it was to make.
        let mut rows = |change: ChangeRecord, answered: bool| {
            let change = mask(serde_json::to_value(change)?);
            let kind = change["kind"].as_str().unwrap_or("");
            let kind = match answered {
                true => kind.to_string(),
                false => format!("{kind} ({UNANSWERED})"),
            };
            for (field, old, new) in fields(&change) {
                r += 1;
                let cells = [
                    change["at"].as_str().unwrap_or(""),
                    &run.who,
                    &run.id.to_string(),
                    &run.command,
                    change["account"].as_str().unwrap_or(""),
                    &kind,
                    &field,
                    &old,
                    &new,
                ];
                for (j, v) in cells.iter().enumerate() {
                    ws.write_string_with_format(r, j as u16, *v, &text)?;
                }
            }
            anyhow::Ok(())
        };
        history.each_change(run.id, |change| rows(change, true))?;
        history.each_unanswered_record(run.id, |change| rows(change, false))?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok((wb, r as usize))
}

/// A change's fields as (field, old, new): what was sent against what the record held; a
/// delete is one row with the record's name.
fn fields(change: &Value) -> Vec<(String, String, String)> {
    let before = |f: &str| {
        change["before"][f]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    if change["kind"] == "deleted" {
        return vec![(
            "we_userid".into(),
            before("we_name"),
            "(deleted 已删除)".into(),
        )];
    }
    let Some(sent) = change["sent"].as_object() else {
        return vec![];
    };
    sent.iter()
        .filter(|(k, _)| !matches!(k.as_str(), "cover" | "we_userid"))
        .map(|(k, v)| {
            (
                k.clone(),
                before(k),
                v.as_str().unwrap_or_default().to_string(),
            )
        })
        .filter(|(_, old, new)| old != new)
        .collect()
}
