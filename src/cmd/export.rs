//! `bgy export`: departments and staff, page by page, in the import layout, so that
//! export → edit → import is a round trip. An incomplete listing is an error, never a
//! silently short file.

use std::path::Path;

use anyhow::Context as _;

use crate::api::{ApiError, Client, Endpoint};
use crate::context::Context;
use crate::events::Emit;
use crate::live::record_values;
use crate::model::tree::{canonical_path, DeptInfo, DeptTree, Members};
use crate::model::{Field, Layout};
use crate::outcome::{Counts, Summary};
use crate::validate::Values;
use crate::write::{self, DeptSheet};

/// The export being written.
enum Out<'a> {
    Csv(Box<write::PeopleCsv<'a, std::fs::File>>),
    Xlsx(Box<write::PeopleXlsx<'a>>),
}

impl Out<'_> {
    fn push(&mut self, values: &Values) -> anyhow::Result<()> {
        match self {
            Out::Csv(w) => w.push(values),
            Out::Xlsx(w) => Ok(w.push(values)?),
        }
    }
}

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
    let n = export(ctx, client, &tree, we_id, recursive && we_id != 0, output).await?;
    let is_csv = is_csv(output);
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

/// Lists the staff of `we_id` page by page into a file beside `output`, renamed over it only
/// when the listing proved complete: memory does not grow with the directory, and an
/// incomplete listing never leaves a partial export behind. Returns the people written.
async fn export(
    ctx: &Context,
    client: &Client,
    tree: &DeptTree,
    we_id: i64,
    recursive: bool,
    output: &Path,
) -> anyhow::Result<usize> {
    let dir = match output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot write {}", output.display()))?;
    let partial = tempfile::Builder::new()
        .prefix(".bgy-export-")
        .suffix(".partial")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write beside {}", output.display()))?;
    let mut out = match is_csv(output) {
        true => Out::Csv(Box::new(write::PeopleCsv::new(
            partial.reopen()?,
            Layout::Staff,
            Field::ALL,
        )?)),
        false => Out::Xlsx(Box::new(write::PeopleXlsx::new(
            Layout::Staff,
            Field::ALL,
            None,
        )?)),
    };
    let mut members = Members::default();
    let mut got = 0usize;
    let mut failed: Option<anyhow::Error> = None;
    let progress = crate::live::start_listing(ctx.events.as_ref());
    let count = client
        .staff_pages(we_id, recursive, progress, |page| {
            for s in &page {
                members.add(s);
                if let Err(e) = out.push(&record_values(s, tree)) {
                    failed = Some(e);
                    return false;
                }
            }
            got += page.len();
            true
        })
        .await?;
    if let Some(e) = failed {
        return Err(e.context(format!("cannot write {}", output.display())));
    }
    if (got as i64) < count {
        return Err(ApiError::Incomplete {
            endpoint: Endpoint::StaffList,
            got,
            count,
        }
        .into());
    }
    let n = match out {
        Out::Csv(w) => w.finish()?,
        Out::Xlsx(w) => w
            .finish(partial.path(), Some(&dept_sheet(tree, &members)))
            .with_context(|| format!("cannot write {}", output.display()))?,
    };
    partial
        .persist(output)
        .with_context(|| format!("cannot write {}", output.display()))?;
    Ok(n)
}

/// The departments sheet of an export: every department with its direct members.
fn dept_sheet(tree: &DeptTree, members: &Members) -> DeptSheet {
    DeptSheet {
        rows: DeptInfo::counted(tree, members)
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
    }
}

fn is_csv(output: &Path) -> bool {
    output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}
