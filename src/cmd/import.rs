//! `bgy import FILE`: validate, check online, create missing departments if asked, then one
//! `staff/add` a valid row, concurrently; every outcome journaled, then the report.

use std::collections::HashMap;

use anyhow::Context as _;
use chrono::Local;

use crate::cli::{Cover, Input};
use crate::execute::{self, AddJob, Sink};
use crate::journal::{self, Journal};
use crate::live::{self, Live};
use crate::model::{AccountKey, Field, Layout, Outcome};
use crate::progress::{Progress, Stop};
use crate::report::journal_path;
use crate::{Context, Summary};

use super::{finish, load, mark_unsent, report_path};

pub struct Options {
    pub cover: Cover,
    pub create_departments: bool,
    pub dry_run: bool,
    pub resume: bool,
}

/// The successes of the journal to resume from: the one beside `--report`, or the newest
/// beside the input.
pub fn resumed(
    input: &Input,
    command: &str,
) -> anyhow::Result<HashMap<AccountKey, journal::Entry>> {
    let path = match &input.report {
        Some(report) => journal_path(report),
        None => journal::latest_for(&input.file).with_context(|| {
            format!(
                "--resume: no journal of an earlier run next to {} (looked for its .report-*.journal.jsonl)",
                input.file.display()
            )
        })?,
    };
    let done = journal::successes(&path, command)?;
    eprintln!(
        "bgy {command}: resuming from {}: {} rows already done",
        path.display(),
        done.len()
    );
    Ok(done)
}

pub async fn run(ctx: &Context, input: &Input, opts: Options) -> anyhow::Result<Summary> {
    let started = Local::now();
    let mut table = load(input, Layout::Staff)?;
    let _lock = match opts.dry_run {
        true => None,
        false => Some(crate::lock::lock(&input.file, "import")?),
    };
    let report = report_path(input, started)?;
    let stop = Stop::new();
    let _ctrl_c = stop.on_ctrl_c(ctx.client.as_ref());
    let done = if opts.resume {
        resumed(input, "import")?
    } else {
        HashMap::new()
    };

    let live = match &ctx.client {
        Some(client) => match Live::fetch(client, ctx.quiet).await {
            Ok(live) => Some(live),
            Err(e) if e.is_fatal() => {
                stop.fatal(e.to_string());
                None
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let to_create = match &live {
        Some(live) => live::check_staff(&mut table, live, opts.create_departments, None),
        None => Default::default(),
    };
    if live.as_ref().is_some_and(|l| !l.complete) {
        eprintln!("bgy import: warning: the staff listing came back incomplete; created/updated counts may be off");
    }
    let mut outcomes: Vec<Outcome> = table.initial_outcomes();

    if opts.dry_run {
        preview(&table, opts.cover, &to_create);
        return finish("import", ctx, &table, &outcomes, started, &report, &stop);
    }
    let client = ctx.client()?;
    let journal = Journal::create(&journal_path(&report), "import", &input.file)?;
    let sink_progress = Progress::new(0, "", true);
    let sink = Sink {
        journal: Some(&journal),
        progress: &sink_progress,
        stop: &stop,
    };
    if stop.is_stopped() {
        mark_unsent(&mut outcomes, &sink);
        return finish("import", ctx, &table, &outcomes, started, &report, &stop);
    }

    // Rows an earlier run finished: carried over, and journaled again for the next resume.
    for (i, row) in table.rows.iter().enumerate() {
        if let (true, Some(entry)) = (row.is_valid(), done.get(&row.account().into())) {
            outcomes[i] = entry.outcome.clone();
            sink.done(row.source_row, row.account(), &entry.outcome);
        }
    }

    if !to_create.is_empty() {
        let live = live
            .as_ref()
            .expect("paths to create come from a live tree");
        eprintln!(
            "bgy import: creating the missing departments of {} path(s)",
            to_create.len()
        );
        match crate::execute::depts::create_paths(client, live.tree.clone(), &to_create).await {
            Ok((_, created)) => {
                for path in &created.made {
                    eprintln!("  created {path}");
                }
                for (i, row) in table.rows.iter().enumerate() {
                    if outcomes[i] != Outcome::Valid {
                        continue;
                    }
                    let paths = row.values.get(Field::WeDepartment).unwrap_or("");
                    if let Some((path, why)) = created.failed.iter().find(|(p, _)| {
                        paths
                            .split(';')
                            .any(|rp| rp == p.as_str() || rp.starts_with(&format!("{p}/")))
                    }) {
                        let outcome = Outcome::Failed {
                            errno: None,
                            message: format!(
                                "部门 {path} 未能创建 (department not created): {why}"
                            ),
                        };
                        sink.done(row.source_row, row.account(), &outcome);
                        outcomes[i] = outcome;
                    }
                }
            }
            Err(e) => stop.fatal(e.to_string()),
        }
    }

    let existed = |account: &str| live.as_ref().is_some_and(|l| l.person(account).is_some());
    let jobs: Vec<AddJob> = table
        .rows
        .iter()
        .enumerate()
        .filter(|(i, _)| outcomes[*i] == Outcome::Valid)
        .map(|(index, row)| AddJob {
            index,
            row: row.source_row,
            account: row.account().to_string(),
            form: row.values.form(),
            existed: existed(row.account()),
            cover: opts.cover,
        })
        .collect();
    let progress = Progress::new(jobs.len() as u64, "importing", ctx.quiet);
    let sink = Sink {
        journal: Some(&journal),
        progress: &progress,
        stop: &stop,
    };
    for (i, outcome) in execute::add_staff(client, jobs, &sink).await {
        outcomes[i] = outcome;
    }
    progress.finish();
    mark_unsent(&mut outcomes, &sink);
    finish("import", ctx, &table, &outcomes, started, &report, &stop)
}

/// `--dry-run`: what would be sent, the bank card left out.
fn preview(
    table: &crate::validate::Table,
    cover: Cover,
    to_create: &std::collections::BTreeSet<String>,
) {
    let cover = cover.api_value();
    for path in to_create {
        eprintln!("would create department {path}");
    }
    let valid: Vec<_> = table.valid_rows().collect();
    for row in valid.iter().take(10) {
        let fields: Vec<String> = row
            .values
            .iter()
            .filter(|(f, _)| *f != Field::BankCard)
            .map(|(f, v)| format!("{}={v}", f.key()))
            .collect();
        eprintln!(
            "would send staff/add cover={cover} (row {}): {}",
            row.source_row,
            fields.join(" ")
        );
    }
    if valid.len() > 10 {
        eprintln!("… and {} more rows", valid.len() - 10);
    }
    eprintln!("dry run: nothing was sent");
}
