//! Creating departments: the one write the API cannot make idempotent (its answer has no id,
//! and a retry could make a twin), so a create whose answer was lost is followed by a re-list,
//! and only retried when the department is still missing. Renaming them, each rename written
//! down in the history before it goes.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context as _;

use crate::api::{ApiError, Client, Endpoint};
use crate::events::{Emit, Observer};
use crate::execute::session::Recorder;
use crate::history::{Applied as Answered, ChangeKind, Written};
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
        let written = history.map(Recorder::written);
        match rename(client, written, we_id, &old, &name).await {
            Ok(recorded) => {
                renamed += 1;
                if let Err(e) = recorded {
                    events.warn(unrecorded_rename(&e));
                }
            }
            Err(e) => match e.downcast::<ApiError>() {
                Ok(e) if e.is_fatal() => return Err(e),
                e => failures.push(PlanLine {
                    action: "rename failed 重命名失败".into(),
                    target: format!("we_id {we_id}"),
                    field: "名称 we_name".into(),
                    old: String::new(),
                    new: e.map_or_else(|e| format!("{e:#}"), |e| e.to_string()),
                }),
            },
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

/// Renames department `we_id` from `old` to `new`. The call is written down in the history
/// ([`History::unanswered`](crate::history::History::unanswered)) before it goes and becomes
/// the run's change when its answer comes; one whose answer may have been lost stays written
/// down, for an undo to ask the directory whether it took effect. A rename that cannot be
/// written down is not sent.
/// `Ok` once renamed, holding whether the history recorded it (it is made either way); an
/// [`ApiError`] as the API gave it.
pub async fn rename(
    client: &Client,
    history: Option<Written<'_>>,
    we_id: i64,
    old: &str,
    new: &str,
) -> anyhow::Result<anyhow::Result<()>> {
    let target = format!("we_id {we_id}");
    let before = serde_json::json!({"we_name": {"value": old, "source": "listing"}});
    let sent = serde_json::json!({"we_id": we_id.to_string(), "we_name": new});
    let kind = ChangeKind::DeptRenamed;
    let call = [(target.as_str(), kind, before, &sent)];
    let id = match history {
        Some(Written { history, run }) => (history.unanswered(run, &call))
            .context("历史记录写不进,未发送 (the history cannot be written: not sent)")?
            .first()
            .map(|&id| (history, id)),
        None => None,
    };
    let reply = client.edit_department(we_id, new).await;
    let Some((history, id)) = id else {
        return Ok(reply.map(|()| Ok(()))?);
    };
    match reply {
        Ok(()) => {
            let applied = Answered {
                id,
                kind,
                account: &target,
                sent: &sent,
            };
            Ok(history.answered(&[], &[applied]))
        }
        Err(e) => {
            if !e.may_have_applied() {
                // Known not to have been made: nothing to look for. Failing to cross it
                // out only leaves an undo to find it was not made.
                let _ = history.answered(&[id], &[]);
            }
            Err(e.into())
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
                "历史记录没能记下新建的部门,撤销时不会删除它 (the history could not record a department created: {e:#})"
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

/// A department renamed that the history did not record: an undo will not rename it back.
pub fn unrecorded_rename(e: &anyhow::Error) -> String {
    format!("历史记录没能记下一次部门改名,撤销时不会改回 (the history could not record a rename, which an undo will not take back: {e:#})")
}
