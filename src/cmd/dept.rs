//! `bgy dept list|add|rename`: one-off department operations for scripts.

use anyhow::Context as _;

use crate::api::{Client, Endpoint};
use crate::config::DeptJob;
use crate::context::Context;
use crate::events::Emit;
use crate::execute::depts;
use crate::history::ChangeKind;
use crate::history::{History, RunStatus};
use crate::model::tree::DeptInfo;
use crate::model::tree::{DeptPath, DeptTree};
use crate::outcome::{Counts, Detail, Summary};
use serde_json::Value;

pub async fn run(ctx: &Context, job: &DeptJob) -> anyhow::Result<Summary> {
    let client = ctx.client()?;
    let tree = crate::live::departments(client).await?;
    super::warn_tree(ctx, &tree);
    match job {
        DeptJob::List => list(ctx, client, &tree).await,
        DeptJob::Add { path } => add(ctx, client, tree, path).await,
        DeptJob::Rename { target, new_name } => rename(ctx, client, &tree, target, new_name).await,
    }
}

/// Records a department command as a run of the history, with its changes.
fn record(
    ctx: &Context,
    command: &str,
    changes: impl FnOnce(&History, i64) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let h = ctx.history()?;
    let run = h.begin(command, "", "", &ctx.server, &ctx.who)?;
    changes(&h, run)?;
    h.end(
        run,
        crate::history::RunStatus::Ok,
        &serde_json::json!({"ok": 1}),
        None,
    )
}

async fn list(ctx: &Context, client: &Client, tree: &DeptTree) -> anyhow::Result<Summary> {
    let staff = crate::live::staff(client, 0, false, ctx.events.as_ref())
        .await?
        .complete(Endpoint::StaffList)?;
    let list = DeptInfo::all(tree, staff.iter().map(crate::api::Staff::department_ids));
    Ok(Summary {
        command: "dept list",
        counts: Counts {
            total: list.len(),
            ok: list.len(),
            ..Counts::default()
        },
        detail: Detail::Departments { departments: list },
        ..Summary::default()
    })
}

async fn add(
    ctx: &Context,
    client: &Client,
    tree: DeptTree,
    typed: &str,
) -> anyhow::Result<Summary> {
    let path = typed.parse::<DeptPath>()?.to_string();
    let missing = tree.missing(&path).map_err(|root| {
        let eg = tree.path(1).unwrap_or_else(|| "办公逸".into());
        anyhow::anyhow!(
            "没有根部门 {root:?}:路径从根部门写起,例如 {eg} (no root department {root:?}: paths start at the root, e.g. {eg})"
        )
    })?;
    let (tree, created) = depts::create_paths(client, tree, &[path.clone()].into()).await?;
    if let Some((p, why)) = created.failed.iter().next() {
        match crate::text::bilingual(why) {
            Some((zh, en)) => anyhow::bail!("未能新建 {p}:{zh} (could not create {p}: {en})"),
            None => anyhow::bail!("未能新建 {p} (could not create {p}: {why})"),
        }
    }
    let we_id = tree.resolve(&path).with_context(|| {
        format!("新建后仍然找不到 {path} ({path} is still missing after creating it)")
    })?;
    for p in &created.made {
        ctx.events.note(format!(
            "已新建 {p} [{}] (created)",
            tree.resolve(p).unwrap_or_default()
        ));
    }
    if !created.made.is_empty() {
        record(ctx, "dept add", |h, run| {
            for p in &created.made {
                h.change(
                    run,
                    p,
                    ChangeKind::DeptCreated,
                    &Value::Null,
                    &serde_json::json!({"path": p}),
                )?;
            }
            Ok(())
        })?;
    }
    if missing.is_empty() {
        ctx.events
            .note(format!("{path} 已存在,没有新建 [{we_id}] (exists already)"));
    }
    Ok(Summary {
        command: "dept add",
        counts: Counts {
            total: 1,
            ok: 1,
            created: created.made.len(),
            ..Counts::default()
        },
        detail: Detail::DeptAdded { we_id },
        ..Summary::default()
    })
}

async fn rename(
    ctx: &Context,
    client: &Client,
    tree: &DeptTree,
    target: &str,
    new_name: &str,
) -> anyhow::Result<Summary> {
    let we_id = match target.trim().parse::<i64>() {
        Ok(id) => id,
        Err(_) => tree
            .resolve(&target.parse::<DeptPath>()?.to_string())
            .with_context(|| {
                format!("没有部门 {target:?}:请填 we_id,或从根部门写起的路径 (no department {target:?} (a we_id, or a path from the root))")
            })?,
    };
    let dept = tree.get(we_id).with_context(|| {
        format!("没有 we_id 为 {we_id} 的部门 (no department with we_id {we_id})")
    })?;
    let name = new_name.trim();
    if let Some(why) = crate::model::tree::name_rule(name) {
        anyhow::bail!("{why}");
    }
    if tree
        .children(dept.we_parentid)
        .iter()
        .any(|s| s.we_id != we_id && s.we_name == name)
    {
        let parent = tree.path(dept.we_parentid).unwrap_or_default();
        anyhow::bail!(
            "{parent} 下已经有名为 {name:?} 的部门 ({parent} already has a department named {name:?})"
        );
    }
    let old = tree.path(we_id).unwrap_or_default();
    let renamed = dept.we_name != name;
    if renamed {
        let h = ctx.history()?;
        let run = h.begin("dept rename", "", "", &ctx.server, &ctx.who)?;
        let written = crate::history::Written { history: &h, run };
        let made = depts::rename(client, Some(written), we_id, &dept.we_name, name).await;
        let (status, counts) = match &made {
            Ok(_) => (RunStatus::Ok, serde_json::json!({"ok": 1})),
            Err(_) => (RunStatus::Fatal, serde_json::json!({"failed": 1})),
        };
        h.end(run, status, &counts, None)?;
        made?.context("部门已改名,但历史记录没能记下这次改名 (the history could not record the rename, which was made)")?;
    }
    ctx.events.note(format!(
        "{old} [{we_id}] → {name}{}",
        if renamed { "" } else { " (unchanged)" }
    ));
    Ok(Summary {
        command: "dept rename",
        counts: Counts {
            total: 1,
            ok: 1,
            updated: renamed as usize,
            ..Counts::default()
        },
        detail: Detail::DeptAdded { we_id },
        ..Summary::default()
    })
}
