//! `bgy dept list|add|rename`: one-off department operations for scripts.

use std::collections::HashMap;

use anyhow::Context as _;
use serde::Serialize;

use crate::api::{Endpoint, Staff};
use crate::cli::DeptCommand;
use crate::dept_plan::bad_name;
use crate::tree::{self, canonical_path, DeptTree};
use crate::{Context, Summary};

#[derive(Debug, Clone, Serialize)]
pub struct DeptInfo {
    pub we_id: i64,
    pub name: String,
    pub parent: i64,
    pub path: String,
    pub rank: i64,
    pub members: usize,
}

impl DeptInfo {
    /// Every department in tree order, with its depth and its direct members in `staff`.
    pub fn all(tree: &DeptTree, staff: &[Staff]) -> Vec<(usize, DeptInfo)> {
        let mut members: HashMap<i64, usize> = HashMap::new();
        for s in staff {
            for id in s.department_ids() {
                *members.entry(id).or_default() += 1;
            }
        }
        tree.walk()
            .into_iter()
            .map(|(depth, d)| {
                let info = DeptInfo {
                    we_id: d.we_id,
                    name: d.we_name.clone(),
                    parent: d.we_parentid,
                    path: tree.path(d.we_id).unwrap_or_default(),
                    rank: d.rank,
                    members: members.get(&d.we_id).copied().unwrap_or(0),
                };
                (depth, info)
            })
            .collect()
    }
}

pub async fn run(ctx: &Context, action: &DeptCommand) -> anyhow::Result<Summary> {
    let client = ctx.client()?;
    let tree = DeptTree::fetch(client).await?;
    super::warn_tree(&tree);
    match action {
        DeptCommand::List => {
            let staff = client
                .staff(0, false)
                .await?
                .complete(Endpoint::StaffList)?;
            let all = DeptInfo::all(&tree, &staff);
            if !ctx.json {
                let lines = all.iter().map(|(depth, d)| {
                    format!(
                        "{}{} [{}] {}",
                        "  ".repeat(*depth),
                        d.name,
                        d.we_id,
                        d.members
                    )
                });
                crate::stdout_lines(lines);
            }
            let list: Vec<DeptInfo> = all.into_iter().map(|(_, d)| d).collect();
            Ok(Summary {
                command: "dept list",
                total: list.len(),
                ok: list.len(),
                departments: Some(list),
                ..Summary::default()
            })
        }
        DeptCommand::Add { path } => {
            let path = canonical_path(path);
            let missing = tree.missing(&path).map_err(|root| {
                anyhow::anyhow!(
                    "no root department {root:?}: paths start at the root, e.g. {}",
                    tree.path(1).unwrap_or_else(|| "办公逸".into())
                )
            })?;
            if let Some(why) = path.split('/').find_map(bad_name) {
                anyhow::bail!("{why}");
            }
            let (tree, created) = tree::create_paths(client, tree, &[path.clone()].into()).await?;
            if let Some((p, why)) = created.failed.iter().next() {
                anyhow::bail!("could not create {p}: {why}");
            }
            let we_id = tree
                .resolve(&path)
                .with_context(|| format!("{path} is still missing after creating it"))?;
            for p in &created.made {
                eprintln!("created {p} [{}]", tree.resolve(p).unwrap_or_default());
            }
            if missing.is_empty() {
                eprintln!("{path} exists already [{we_id}]");
            }
            if !ctx.json {
                crate::stdout_lines([we_id.to_string()]);
            }
            Ok(Summary {
                command: "dept add",
                total: 1,
                ok: 1,
                created: created.made.len(),
                we_id: Some(we_id),
                ..Summary::default()
            })
        }
        DeptCommand::Rename { target, new_name } => {
            let we_id = match target.trim().parse::<i64>() {
                Ok(id) => id,
                Err(_) => tree.resolve(&canonical_path(target)).with_context(|| {
                    format!("no department {target:?} (a we_id, or a path from the root)")
                })?,
            };
            let dept = tree
                .get(we_id)
                .with_context(|| format!("no department with we_id {we_id}"))?;
            let name = new_name.trim();
            if let Some(why) = bad_name(name) {
                anyhow::bail!("{why}");
            }
            if tree
                .children(dept.we_parentid)
                .iter()
                .any(|s| s.we_id != we_id && s.we_name == name)
            {
                anyhow::bail!(
                    "{} already has a department named {name:?}",
                    tree.path(dept.we_parentid).unwrap_or_default()
                );
            }
            let old = tree.path(we_id).unwrap_or_default();
            let renamed = dept.we_name != name;
            if renamed {
                client.edit_department(we_id, name).await?;
            }
            eprintln!(
                "{old} [{we_id}] → {name}{}",
                if renamed { "" } else { " (unchanged)" }
            );
            Ok(Summary {
                command: "dept rename",
                total: 1,
                ok: 1,
                updated: renamed as usize,
                we_id: Some(we_id),
                ..Summary::default()
            })
        }
    }
}
