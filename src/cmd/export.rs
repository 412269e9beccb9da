//! `bgy export`: departments and staff, page by page, in the import layout, so that
//! export → edit → import is a round trip. An incomplete listing is an error, never a
//! silently short file.

use std::path::Path;

use anyhow::Context as _;

use crate::api::{ApiError, Client, Endpoint, StaffPage};
use crate::cli::Encoding;
use crate::context::Context;
use crate::events::Emit;
use crate::model::tree::{DeptInfo, DeptTree, Members};
use crate::model::StaffRecord;
use crate::model::{Field, Layout};
use crate::outcome::{Counts, Detail, Summary};
use crate::text::Unwritten;
use crate::write::{self, DeptSheet};

/// The export being written.
enum Out<'a> {
    Csv(Box<write::PeopleCsv<'a, std::fs::File>>),
    Xlsx(Box<write::PeopleXlsx<'a>>),
}

impl Out<'_> {
    fn push(&mut self, values: &StaffRecord) -> anyhow::Result<()> {
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
    encoding: Encoding,
) -> anyhow::Result<Summary> {
    let client = ctx.client()?;
    // Everyone's export asks for its first page of people beside the departments.
    let (tree, first) = match department {
        Some(_) => (crate::live::departments(client).await?, None),
        None => {
            let (tree, first) = crate::live::departments_and_first_page(client).await?;
            (tree, Some(first))
        }
    };
    super::warn_tree(ctx, &tree);
    // A department as a sheet names one: from the root, or its path's end.
    let (we_id, department) = match department {
        Some(path) => {
            let parsed: crate::model::tree::DeptPath = path.parse()?;
            let (we_id, completed) = tree.find(&parsed).map_err(anyhow::Error::msg)?;
            if let Some(full) = &completed {
                ctx.events.warn(format!(
                    "部门 {path} 按 {full} 处理 (department {path} taken as {full})"
                ));
            }
            (we_id, Some(completed.unwrap_or_else(|| parsed.to_string())))
        }
        None => (0, None),
    };
    let department = department.as_deref();
    let n = export(
        ctx,
        client,
        &tree,
        (we_id, recursive && we_id != 0, first),
        output,
        encoding,
    )
    .await?;
    if n == 0 && !recursive && we_id != 0 {
        tell_sub_departments(ctx, client, we_id, department.unwrap_or_default()).await;
    }
    let is_csv = is_csv(output);
    let whose = match department {
        Some(path) if recursive => format!(" of {path} and its sub-departments"),
        Some(path) => format!(" of {path}"),
        None => String::new(),
    };
    let sheet = match is_csv {
        true => String::new(),
        false => format!(
            ", and the {} of the directory",
            crate::text::count(tree.len(), "department", "departments")
        ),
    };
    ctx.events.note(format!(
        "bgy export: {}{whose}{sheet} to {}",
        crate::text::people(n),
        match to_stdout(output) {
            true => "stdout".to_string(),
            false => output.display().to_string(),
        }
    ));
    Ok(Summary {
        command: "export",
        counts: Counts {
            total: n,
            ok: n,
            ..Counts::default()
        },
        detail: Detail::Wrote {
            output: output.display().to_string(),
        },
        ..Summary::default()
    })
}

/// An export of a department with no one of its own (研发部, whose people are all in its groups)
/// says how many its sub-departments have, and how to take them. One more call, for an export
/// of nobody only; a call that fails says nothing.
async fn tell_sub_departments(ctx: &Context, client: &Client, we_id: i64, path: &str) {
    let Ok(page) = client.staff_page(we_id, true, 1).await else {
        return;
    };
    if page.count > 0 {
        ctx.events.advise(crate::remedy::Advice {
            text: format!(
                "{path} 本身没有人;含下级部门有 {n} 人 (no one is directly in {path}; with its sub-departments, {n} people)",
                n = page.count
            ),
            remedy: Some(crate::remedy::Remedy::Recursive),
        });
    }
}

/// Lists the staff of `we_id` page by page (from its `first`, when already fetched) into a file
/// beside `output`, renamed over it only when the listing proved complete: memory does not
/// grow with the directory, and an incomplete listing never leaves a partial export behind.
/// Returns the people written.
async fn export(
    ctx: &Context,
    client: &Client,
    tree: &DeptTree,
    (we_id, recursive, first): (i64, bool, Option<StaffPage>),
    output: &Path,
    encoding: Encoding,
) -> anyhow::Result<usize> {
    let dir = match output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).cannot_write(output)?;
    let partial = tempfile::Builder::new()
        .prefix(".bgy-export-")
        .suffix(".partial")
        .tempfile_in(dir)
        .cannot_write(output)?;
    let _unfinished = crate::signals::Unfinished::file(partial.path());
    let mut out = match is_csv(output) {
        true => Out::Csv(Box::new(write::PeopleCsv::new(
            partial.reopen()?,
            Layout::Staff,
            Field::ALL,
            // Excel needs the mark to read UTF-8; a pipe does not want it; GB18030 has none.
            encoding == Encoding::Utf8 && !to_stdout(output),
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
    let mut records = crate::live::Records::new(tree);
    let progress = crate::live::start_listing(ctx.events.as_ref());
    let first = match first {
        Some(first) => first,
        None => client.staff_page(we_id, recursive, 1).await?,
    };
    let count = client
        .staff_pages_after(first, we_id, recursive, progress, |page| {
            for s in &page {
                members.add(&s.department_ids());
                if let Err(e) = out.push(records.fill(s)) {
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
            .cannot_write(output)?,
    };
    deliver(partial, output, encoding)?;
    Ok(n)
}

/// `-o -`: the export goes to stdout.
fn to_stdout(output: &Path) -> bool {
    output.as_os_str() == "-"
}

/// The complete export, from its partial file to `output` (or stdout), in `encoding`.
fn deliver(
    partial: tempfile::NamedTempFile,
    output: &Path,
    encoding: Encoding,
) -> anyhow::Result<()> {
    let cannot = || format!("cannot write {}", output.display());
    let gbk = encoding == Encoding::Gbk && is_csv(output);
    if to_stdout(output) {
        let mut stdout = std::io::stdout().lock();
        let mut from = partial.reopen()?;
        return match gbk {
            true => transcode(&mut from, &mut stdout),
            false => std::io::copy(&mut from, &mut stdout).map(drop),
        }
        .or_else(|e| match e.kind() {
            // A reader that has gone (`| head`) had what it wanted.
            std::io::ErrorKind::BrokenPipe => Ok(()),
            _ => Err(e),
        })
        .with_context(cannot);
    }
    if gbk {
        let dir = partial.path().parent().unwrap_or(Path::new("."));
        let mut encoded = tempfile::Builder::new()
            .prefix(".bgy-export-")
            .suffix(".partial")
            .tempfile_in(dir)
            .with_context(cannot)?;
        transcode(&mut partial.reopen()?, encoded.as_file_mut()).with_context(cannot)?;
        encoded.persist(output).with_context(cannot)?;
        return Ok(());
    }
    partial.persist(output).with_context(cannot)?;
    Ok(())
}

/// UTF-8 to GB18030, a chunk at a time.
fn transcode(from: &mut impl std::io::Read, to: &mut impl std::io::Write) -> std::io::Result<()> {
    let mut encoder = encoding_rs::GB18030.new_encoder();
    let mut input = Vec::new();
    from.read_to_end(&mut input)?;
    let text = String::from_utf8_lossy(&input);
    let mut out = vec![0u8; 64 * 1024];
    let mut rest: &str = &text;
    loop {
        let (result, read, written, _) = encoder.encode_from_utf8(rest, &mut out, true);
        to.write_all(&out[..written])?;
        rest = &rest[read..];
        if result == encoding_rs::CoderResult::InputEmpty {
            return to.flush();
        }
    }
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

/// CSV: named .csv, or stdout.
fn is_csv(output: &Path) -> bool {
    to_stdout(output)
        || output
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}
