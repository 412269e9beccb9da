//! `bgy check FILE`: validate offline, and online when a ticket or `--emulator` is given.
//! Writes the report; sends nothing that changes data.

use super::Listing;
use crate::config::Input;
use crate::context::Context;
use crate::events::Emit;
use crate::execute::session::{Extra, Session};
use crate::live::Live;
use crate::model::{Command, Field, Layout, Outcome};
use crate::outcome::Summary;
use crate::validate::{problem, Issue};

pub async fn run(
    ctx: &Context,
    input: &Input,
    layout: Option<Layout>,
    create_departments: bool,
) -> anyhow::Result<Summary> {
    let listing = Listing::start(ctx);
    let mut s = Session::open_as(ctx, Command::Check, input, layout, false)?;
    let layout = s.table.layout;
    let mut extra = Extra::default();
    match listing.live(ctx).await? {
        Some(live) => {
            online(&mut s, &live, layout, create_departments);
            extra.existing = Some(
                s.table
                    .rows
                    .iter()
                    .filter(|r| r.is_valid() && live.person(r.account()).is_some())
                    .count(),
            );
        }
        None if ctx.client.is_none() => ctx.events.note("bgy check: offline (no ticket): departments, leaders and existing accounts were not checked"),
        // A fatal condition: the offline checks still make a report; the run ends as fatal.
        None => {}
    }
    s.outcomes = s.table.initial_outcomes();
    s.finish(None, extra)
}

fn online(s: &mut Session, live: &Live, layout: Layout, create_departments: bool) {
    match layout {
        // Every row of a sheet of people the directory has gets a warning: the report is
        // written again as the rows are checked, on its own thread, not whole at the end.
        Layout::Staff => {
            super::check_streamed(s, live, create_departments, true, &mut |row| {
                Some(Outcome::initial(row.is_valid()))
            });
        }
        // A departments sheet is checked against the tree by the plan it is part of.
        Layout::Departments => {}
        Layout::Times | Layout::Delete => {
            for row in s.table.rows.iter_mut().filter(|r| r.is_valid()) {
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
}
