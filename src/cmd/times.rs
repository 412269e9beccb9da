//! `bgy times FILE`: entry, probation-end, work-start and leave dates with `staff/entry-time`,
//! at most 50 rows a call and never one account twice in a call; the answer's failure list maps
//! back to rows.

use crate::config::Input;
use crate::context::Context;
use crate::events::{phases, Emit};
use crate::execute::session::{Extra, Session};
use crate::execute::times::{dates_of, send_all};
use crate::model::{Command, Field, Layout, Outcome};
use crate::outcome::Summary;

pub async fn run(ctx: &Context, input: &Input, resume: bool) -> anyhow::Result<Summary> {
    let mut s = Session::open(ctx, Command::Times, input, Layout::Times, true)?;
    let done = match resume {
        true => s.resumed()?,
        false => Default::default(),
    };
    let client = ctx.client()?;
    s.start_journal()?;
    s.carry_over(&done.rows);
    // The dates as they are, for the history (and an undo).
    let live = crate::live::Live::fetch(client, ctx.events.as_ref()).await?;
    // The dates go to the directory's person under their own name: a 姓名 the sheet spells
    // otherwise (or a mistyped account's) is warned about, and renames nobody.
    super::check::warn_of_other_names(ctx, &mut s.table.rows, &live, Layout::Times);
    // A row whose account the directory lacks is caught here, before anything is sent, as a
    // check online catches it (the server would refuse it: 员工帐号不存在). Only a whole
    // listing can say that someone is not there.
    let rows = s.table.rows.iter_mut().zip(s.outcomes.iter_mut());
    for (row, outcome) in rows.filter(|(_, o)| **o == Outcome::Valid) {
        match live.person(row.account()) {
            Some(person) => {
                if let Some(name) = person.get(Field::WeName) {
                    row.values_mut().set(Field::WeName, Some(name));
                }
            }
            None if live.complete => {
                row.issues
                    .push(super::check::not_in_directory(Layout::Times, &live));
                *outcome = Outcome::Invalid;
            }
            None => {}
        }
    }
    let accounts: Vec<String> = s
        .table
        .valid_rows()
        .map(|r| r.account().to_string())
        .collect();
    s.remember(&live, accounts.iter().map(String::as_str));
    let items: Vec<_> = s
        .table
        .rows
        .iter()
        .enumerate()
        .filter(|(i, _)| s.outcomes[*i] == Outcome::Valid)
        .map(|(i, row)| (i, row.source_row, dates_of(row.values())))
        .collect();
    ctx.events.phase(phases::DATES, items.len() as u64);
    let results = send_all(client, items, &s.sink()).await;
    for (i, outcome) in results {
        s.outcomes[i] = outcome;
    }
    s.finish(None, Extra::default())
}
