//! `bgy times FILE`: entry/work/positive/leave dates with `staff/entry-time`, at most 50 rows a
//! call and never one account twice in a call; the answer's failure list maps back to rows.

use futures::StreamExt;

use crate::api::{TimesRow, TIMES_CHUNK};
use crate::config::Input;
use crate::context::Context;
use crate::events::{phases, Emit};
use crate::execute::session::{Extra, Session};
use crate::execute::{self, times::send_chunk};
use crate::model::{Command, Field, Layout};
use crate::outcome::Summary;

pub async fn run(ctx: &Context, input: &Input, resume: bool) -> anyhow::Result<Summary> {
    let mut s = Session::open(ctx, Command::Times, input, Layout::Times, true)?;
    let done = match resume {
        true => s.resumed()?,
        false => Default::default(),
    };
    let client = ctx.client()?;
    s.start_journal()?;
    s.carry_over(&done);
    // The dates as they are, for the history (and an undo).
    let live = crate::live::Live::fetch(client, ctx.events.as_ref()).await?;
    let accounts: Vec<String> = s
        .table
        .valid_rows()
        .map(|r| r.account().to_string())
        .collect();
    s.remember(&live, accounts.iter().map(String::as_str));
    let mut items = Vec::new();
    for (i, row) in s.table.rows.iter().enumerate() {
        if s.outcomes[i] != crate::model::Outcome::Valid {
            continue;
        }
        let get = |f: Field| row.values.get(f).unwrap_or("").to_string();
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
    ctx.events.phase(phases::DATES, items.len() as u64);
    let chunks = execute::chunks(items, TIMES_CHUNK, |(_, _, t)| (&t.we_userid).into());
    let results: Vec<_> = {
        let sink = s.sink();
        futures::stream::iter(chunks)
            .map(|chunk| send_chunk(client, chunk, &sink))
            .buffer_unordered(client.concurrency())
            .collect()
            .await
    };
    for (i, outcome) in results.into_iter().flatten() {
        s.outcomes[i] = outcome;
    }
    s.finish(None, Extra::default())
}
