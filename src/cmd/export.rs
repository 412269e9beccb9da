//! `bgy export`: departments and staff, page by page, in the import layout, so that
//! export → edit → import is a round trip. An incomplete listing is an error, never a
//! silently short file.

use std::path::Path;

use anyhow::Context as _;

use crate::api::Endpoint;
use crate::context::Context;
use crate::events::Emit;
use crate::live::record_values;
use crate::model::tree::canonical_path;
use crate::model::{Field, Layout};
use crate::outcome::{Counts, Summary};
use crate::write::{self, DeptSheet};

use crate::model::tree::DeptInfo;

pub async fn run(
    ctx: &Context,
    output: &Path,
    department: Option<&str>,
    recursive: bool,
) -> anyhow::Result<Summary> {
    let client = ctx.client()?;
    let tree = crate::live::departments(client).await?;
    super::warn_tree(ctx, &tree);
    let we_id = match department {
        Some(path) => tree.resolve(&canonical_path(path)).with_context(|| {
            format!(
                "no department {path:?}: paths start at the root, e.g. {}",
                tree.path(1).unwrap_or_else(|| "办公逸".into())
            )
        })?,
        None => 0,
    };
    let staff = crate::live::staff(client, we_id, recursive && we_id != 0, ctx.events.as_ref())
        .await?
        .complete(Endpoint::StaffList)?;

    let is_csv = output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let people = staff.iter().map(|s| record_values(s, &tree));
    let n = if is_csv {
        write::write_people_csv(output, Layout::Staff, Field::ALL, people)?
    } else {
        let depts = DeptSheet {
            rows: DeptInfo::all(&tree, &staff)
                .into_iter()
                .map(|d| {
                    [
                        d.we_id.to_string(),
                        d.name,
                        d.parent.to_string(),
                        d.path,
                        d.rank.to_string(),
                        d.members.to_string(),
                    ]
                })
                .collect(),
        };
        write::write_people(output, Layout::Staff, Field::ALL, people, Some(&depts))
            .with_context(|| format!("cannot write {}", output.display()))?
    };
    let whose = match department {
        Some(path) if recursive => format!(" of {} and its sub-departments", canonical_path(path)),
        Some(path) => format!(" of {}", canonical_path(path)),
        None => String::new(),
    };
    let sheet = match is_csv {
        true => String::new(),
        false => format!(", and the {} departments of the directory", tree.len()),
    };
    ctx.events.note(format!(
        "bgy export: {}{whose}{sheet} to {}",
        crate::text::people(n),
        output.display()
    ));
    Ok(Summary {
        command: "export",
        counts: Counts {
            total: n,
            ok: n,
            ..Counts::default()
        },
        output: Some(output.display().to_string()),
        ..Summary::default()
    })
}
