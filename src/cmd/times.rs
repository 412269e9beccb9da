//! `bgy times FILE`: entry/work/positive/leave dates with `staff/entry-time`, at most 50 rows a
//! call and never one account twice in a call; the answer's failure list maps back to rows.

use std::collections::HashMap;

use chrono::Local;
use futures::StreamExt;

use crate::api::{TimesRow, TIMES_CHUNK};
use crate::cli::Input;
use crate::execute::{self, Sink};
use crate::journal::Journal;
use crate::model::{Field, Layout, Outcome};
use crate::progress::{Progress, Stop};
use crate::report::journal_path;
use crate::{Context, Summary};

use super::{finish, import::resumed, load, mark_unsent, report_path};

pub async fn run(ctx: &Context, input: &Input, resume: bool) -> anyhow::Result<Summary> {
    let started = Local::now();
    let table = load(input, Layout::Times)?;
    let _lock = crate::lock::lock(&input.file, "times")?;
    let report = report_path(input, started)?;
    let stop = Stop::new();
    let _ctrl_c = stop.on_ctrl_c(ctx.client.as_ref());
    let done = if resume {
        resumed(input, "times")?
    } else {
        HashMap::new()
    };
    let client = ctx.client()?;
    let journal = Journal::create(&journal_path(&report), "times", &input.file)?;
    let progress = Progress::new(
        table.valid_rows().count() as u64,
        "updating dates",
        ctx.quiet,
    );
    let sink = Sink {
        journal: Some(&journal),
        progress: &progress,
        stop: &stop,
    };
    let mut outcomes: Vec<Outcome> = table.initial_outcomes();
    let mut items = Vec::new();
    for (i, row) in table.rows.iter().enumerate().filter(|(_, r)| r.is_valid()) {
        if let Some(entry) = done.get(&row.account().into()) {
            outcomes[i] = entry.outcome.clone();
            sink.done(row.source_row, row.account(), &entry.outcome);
            continue;
        }
        let v = &row.values;
        let get = |f: Field| v.get(f).unwrap_or("").to_string();
        let times = TimesRow {
            we_userid: get(Field::WeUserid),
            we_name: get(Field::WeName),
            entry_time: get(Field::EntryTime),
            work_time: get(Field::WorkTime),
            positive_time: get(Field::PositiveTime),
            quite_time: get(Field::QuiteTime),
        };
        items.push((i, row.source_row, times));
    }
    let chunks = execute::chunks(items, TIMES_CHUNK, |(_, _, t)| (&t.we_userid).into());
    let results: Vec<Vec<(usize, Outcome)>> = futures::stream::iter(chunks)
        .map(|chunk| crate::execute::times::send_chunk(client, chunk, &sink))
        .buffer_unordered(client.concurrency())
        .collect()
        .await;
    for (i, outcome) in results.into_iter().flatten() {
        outcomes[i] = outcome;
    }
    progress.finish();
    mark_unsent(&mut outcomes, &sink);
    finish("times", ctx, &table, &outcomes, started, &report, &stop)
}
