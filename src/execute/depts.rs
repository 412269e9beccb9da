//! Creating departments: the one write the API cannot make idempotent (its answer has no id,
//! and a retry could make a twin), so a create whose answer was lost is followed by a re-list,
//! and only retried when the department is still missing.

use std::collections::{BTreeMap, BTreeSet};

use crate::api::{ApiError, Client, Endpoint};
use crate::events::{Emit, Observer};
use crate::execute::session::Recorder;
use crate::live;
use crate::model::tree::DeptTree;
use crate::model::{Field, StaffRecord};
use crate::outcome::PlanLine;
use crate::plan::depts::DeptPlan;

/// What creating departments did.
#[derive(Debug, Default)]
pub struct Created {
    /// Paths that were made, parents first.
    pub made: Vec<String>,
    /// Paths that could not be made, with the reason (their children were not tried).
    pub failed: BTreeMap<String, String>,
    /// Create calls sent (retries after a lost answer included).
    pub calls: usize,
}

/// How many times one create is tried when its answers keep getting lost.
const CREATE_TRIES: usize = 5;

/// Creates every missing level of `paths`, parents first and siblings concurrently, and
/// returns the re-listed tree with what was made. Fatal API errors stop it.
pub async fn create_paths(
    client: &Client,
    tree: DeptTree,
    paths: &BTreeSet<String>,
) -> Result<(DeptTree, Created), ApiError> {
    let mut tree = tree;
    let mut created = Created::default();
    let mut by_depth: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for path in paths {
        match tree.missing(path) {
            Ok(missing) => {
                for p in missing {
                    by_depth
                        .entry(p.matches('/').count())
                        .or_default()
                        .insert(p);
                }
            }
            Err(root) => {
                created.failed.insert(path.clone(), format!("根部门 {root:?} 不存在,不能新建根部门 (no root department {root:?}; a root cannot be created)"));
            }
        }
    }
    for (_, level) in by_depth {
        let mut jobs = Vec::new();
        for path in level {
            let Some((parent_path, name)) = path.rsplit_once('/') else {
                continue;
            };
            match tree.resolve(parent_path) {
                Some(parent) => jobs.push((path.clone(), parent, name.to_string())),
                None => {
                    let why = format!(
                        "上级部门 {parent_path} 未能创建 (parent {parent_path} was not created)"
                    );
                    created.failed.insert(path, why);
                }
            }
        }
        let results =
            futures::future::join_all(jobs.iter().map(|(path, parent, name)| async move {
                (path, create_one(client, *parent, name).await)
            }))
            .await;
        for (path, (calls, result)) in results {
            created.calls += calls;
            match result {
                Ok(()) => created.made.push(path.clone()),
                Err(e) if e.is_fatal() => return Err(e),
                Err(e) => {
                    created.failed.insert(path.clone(), e.to_string());
                }
            }
        }
        tree = live::departments(client).await?;
    }
    Ok((tree, created))
}

/// One create: on a lost answer, re-list; retry only if the department is still missing.
/// Returns the calls made.
pub async fn create_one(client: &Client, parent: i64, name: &str) -> (usize, Result<(), ApiError>) {
    let mut calls = 0;
    for _ in 0..CREATE_TRIES {
        calls += 1;
        match client.create_department(name, parent).await {
            Ok(()) => return (calls, Ok(())),
            Err(ApiError::Ambiguous { .. }) => match live::departments(client).await {
                Ok(tree) if tree.child(parent, name).is_some() => return (calls, Ok(())),
                Ok(_) => continue,
                Err(e) => return (calls, Err(e)),
            },
            Err(e) => return (calls, Err(e)),
        }
    }
    (
        calls,
        Err(ApiError::Ambiguous {
            endpoint: Endpoint::CreateDepartment,
            message: format!("{CREATE_TRIES} answers lost in a row"),
        }),
    )
}

/// What applying a departments plan did.
pub struct Applied {
    /// The directory's tree after the changes.
    pub tree: DeptTree,
    pub created: usize,
    pub renamed: usize,
    /// A plan line per rename or create that failed.
    pub failures: Vec<PlanLine>,
}

/// Renames, then creates (parents first), then re-lists. Fatal API errors stop it.
pub async fn apply_departments(
    client: &Client,
    d: &DeptPlan,
    events: &dyn Observer,
    history: Option<&Recorder<'_>>,
) -> Result<Applied, ApiError> {
    let mut failures = Vec::new();
    let mut renamed = 0;
    for (we_id, old, name) in d.renames_from() {
        match client.edit_department(we_id, &name).await {
            Ok(()) => {
                renamed += 1;
                record_rename(history, events, we_id, &old, &name);
            }
            Err(e) if e.is_fatal() => return Err(e),
            Err(e) => failures.push(PlanLine {
                action: "rename failed 重命名失败".into(),
                target: format!("we_id {we_id}"),
                field: "名称 we_name".into(),
                old: String::new(),
                new: e.to_string(),
            }),
        }
    }
    let tree = live::departments(client).await?;
    let creates = d.creates();
    let (tree, created) = match creates.is_empty() {
        true => (tree, Created::default()),
        false => create_paths(client, tree, &creates).await?,
    };
    for path in &created.made {
        record_create(history, events, path);
    }
    for (path, why) in &created.failed {
        failures.push(PlanLine {
            action: "create failed 新建失败".into(),
            target: path.clone(),
            field: String::new(),
            old: String::new(),
            new: why.clone(),
        });
    }
    if !creates.is_empty() {
        events.note(format!(
            "bgy sync: departments: {} created, {renamed} renamed",
            created.made.len()
        ));
    }
    Ok(Applied {
        tree,
        created: created.made.len(),
        renamed,
        failures,
    })
}

/// Records a rename in the history (a failure to record is said, not fatal: it is made).
pub fn record_rename(
    history: Option<&Recorder<'_>>,
    events: &dyn Observer,
    we_id: i64,
    old: &str,
    new: &str,
) {
    if let Some(h) = history {
        let before = serde_json::json!({"we_name": {"value": old, "source": "listing"}});
        let sent = serde_json::json!({"we_id": we_id.to_string(), "we_name": new});
        if let Err(e) = h.department(
            crate::history::ChangeKind::DeptRenamed,
            &format!("we_id {we_id}"),
            &before,
            &sent,
        ) {
            events.warn(format!("the history could not record a rename: {e:#}"));
        }
    }
}

/// Records a department created, in the history.
pub fn record_create(history: Option<&Recorder<'_>>, events: &dyn Observer, path: &str) {
    if let Some(h) = history {
        let sent = serde_json::json!({"path": path});
        if let Err(e) = h.department(
            crate::history::ChangeKind::DeptCreated,
            path,
            &serde_json::Value::Null,
            &sent,
        ) {
            events.warn(format!(
                "the history could not record a department created: {e:#}"
            ));
        }
    }
}

/// A row's values with its departments as real we_ids: paths and placeholder ids of the
/// planned tree (renamed or new departments) are looked up in the real tree after the changes.
pub fn resolved(values: &StaffRecord, planned: &DeptTree, real: &DeptTree) -> StaffRecord {
    let mut record = values.clone();
    let Some(ids) = values.placement().resolve(planned) else {
        return record;
    };
    let real_ids: Option<Vec<String>> = ids
        .iter()
        .map(|&id| {
            if id > 0 {
                Some(id)
            } else {
                planned.path(id).and_then(|p| real.resolve(&p))
            }
        })
        .map(|id| id.map(|i| i.to_string()))
        .collect();
    if let Some(real_ids) = real_ids {
        record.set(Field::WeDepartment, None);
        record.put(Field::WeId, &real_ids.join(","));
    }
    record
}
