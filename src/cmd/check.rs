//! `bgy check FILE`: validate offline, and online when a ticket or `--emulator` is given.
//! Writes the report; sends nothing that changes data.

use chrono::Local;

use crate::cli::Input;
use crate::live::{self, Live};
use crate::model::{Field, Layout, Outcome};
use crate::progress::Stop;
use crate::validate::{problem, Issue};
use crate::{Context, Summary};

use super::{load, report_path, Finish};

pub async fn run(
    ctx: &Context,
    input: &Input,
    layout: Layout,
    create_departments: bool,
) -> anyhow::Result<Summary> {
    let started = Local::now();
    let mut table = load(input, layout)?;
    let stop = Stop::new();
    let live = match &ctx.client {
        Some(client) => match Live::fetch(client, ctx.quiet).await {
            Ok(live) => Some(live),
            // The offline checks still make a report; the run ends as fatal.
            Err(e) if e.is_fatal() => {
                stop.fatal(e.to_string());
                None
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    if let Some(live) = live {
        match layout {
            Layout::Staff => {
                live::check_staff(
                    &mut table,
                    &live,
                    create_departments,
                    Some("导入时默认跳过 (skipped unless --cover overwrite)"),
                );
            }
            Layout::Times | Layout::Delete => {
                for row in table.rows.iter_mut().filter(|r| r.is_valid()) {
                    if live.person(row.account()).is_none() {
                        row.issues.push(Issue::warning(
                            Some(Field::WeUserid),
                            problem(
                                "account not found",
                                "帐号不在通讯录中",
                                "the account is not in the directory",
                            ),
                        ));
                    }
                }
            }
        }
    } else if ctx.client.is_none() {
        eprintln!("bgy check: offline (no ticket): departments, leaders and existing accounts were not checked");
    }
    let outcomes: Vec<Outcome> = table.initial_outcomes();
    let report = report_path(input, started)?;
    Finish {
        command: "check",
        ctx,
        table: &table,
        outcomes: &outcomes,
        started,
        report: &report,
        stop: Some(&stop),
        plan: None,
    }
    .write()
}
