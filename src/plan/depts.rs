//! The departments sheet (`部门 Departments`, as `bgy export` writes it) as an input of plan and
//! sync: creates (a path without a we_id) and renames (a we_id whose name differs), validated
//! as a whole before anything is sent. Departments are never deleted (the API cannot).

use crate::model::tree::DeptPath;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use crate::model::tree::DeptTree;
use crate::model::DEPT_SHEET;
use crate::outcome::{DeptCounts, PlanLine};
use crate::read::header::normalize;
use crate::read::{self, ReadError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeptRow {
    pub source_row: u32,
    pub we_id: Option<i64>,
    pub name: String,
    /// Canonical `a/b/c`.
    pub path: String,
    /// Bilingual messages; any makes the row invalid.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeptAction {
    Create(String),
    Rename {
        we_id: i64,
        old: String,
        new: String,
    },
    Unchanged,
}

#[derive(Debug, Default)]
pub struct DeptPlan {
    pub rows: Vec<DeptRow>,
    /// One per row; `None` for invalid rows.
    pub actions: Vec<Option<DeptAction>>,
    /// Paths on the server that no row names (reported, never deleted).
    pub absent: Vec<String>,
    /// The tree as it will be: renames applied (old names still resolve), creates added with
    /// placeholder negative we_ids.
    pub planned: DeptTree,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Col {
    WeId,
    Name,
    Path,
    Other,
}

fn column(title: &str) -> Col {
    match normalize(title).as_str() {
        "部门idwe_id" | "部门id" | "we_id" => Col::WeId,
        "名称name" | "名称" | "name" | "we_name" | "部门名称" => Col::Name,
        "完整路径path" | "完整路径" | "path" | "路径" | "部门路径" => Col::Path,
        _ => Col::Other,
    }
}

/// The departments sheet of `path`, if the workbook has one.
/// The 部门 Departments sheet of a workbook's `bytes`, when it has one.
pub fn read(bytes: &[u8], path: &Path) -> Result<Option<Vec<DeptRow>>, ReadError> {
    let sheet = match read::read_bytes(bytes, &path.display().to_string(), Some(DEPT_SHEET)) {
        Ok(s) if s.name == DEPT_SHEET => s,
        Ok(_) | Err(ReadError::NoSuchSheet { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut rows = sheet.rows.into_iter();
    let Some(head) = rows.next() else {
        return Ok(Some(Vec::new()));
    };
    let cols: Vec<Col> = head.cells.iter().map(|c| column(&c.display())).collect();
    let get = |cells: &[read::Cell], want: Col| -> String {
        cols.iter()
            .position(|c| *c == want)
            .and_then(|i| cells.get(i))
            .map(|c| c.display().trim().to_string())
            .unwrap_or_default()
    };
    Ok(Some(
        rows.map(|r| {
            let mut errors = Vec::new();
            let id_text = get(&r.cells, Col::WeId);
            let we_id = if id_text.is_empty() {
                None
            } else {
                match id_text.parse::<i64>() {
                    Ok(n) if n > 0 => Some(n),
                    _ => {
                        errors.push(format!("部门ID {id_text:?} 不是正整数 (we_id {id_text:?} is not a positive number)"));
                        None
                    }
                }
            };
            // The same path rule as a staff sheet's 部门 column.
            let typed = get(&r.cells, Col::Path);
            let path = match typed.trim() {
                "" => String::new(),
                _ => match typed.parse::<DeptPath>() {
                    Ok(p) => p.to_string(),
                    Err(e) => {
                        errors.push(e.to_string());
                        String::new()
                    }
                },
            };
            DeptRow {
                source_row: r.source_row,
                we_id,
                name: get(&r.cells, Col::Name),
                path,
                errors,
            }
        })
        .collect(),
    ))
}

/// Why `name` cannot be a department's name, if it cannot.
pub fn bad_name(name: &str) -> Option<String> {
    crate::model::tree::name_rule(name).map(|e| e.to_string())
}

/// Validates the rows against `live` and plans their creates and renames.
pub fn plan(mut rows: Vec<DeptRow>, live: &DeptTree) -> DeptPlan {
    let mut planned = live.clone();
    check_rows(&mut rows, live);
    // Renames first: creates may sit under a renamed parent.
    plan_renames(&mut rows, live, &mut planned);
    let creates = plan_creates(&mut rows, &planned);
    for p in &creates {
        planned.plan_create(p);
    }
    let actions = rows.iter().map(|r| action(r, live, &creates)).collect();
    let named_ids: BTreeSet<i64> = rows
        .iter()
        .filter_map(|r| r.we_id.or_else(|| planned.resolve(&r.path)))
        .collect();
    let absent = live
        .walk()
        .into_iter()
        .filter(|(_, d)| !named_ids.contains(&d.we_id))
        .filter_map(|(_, d)| planned.path(d.we_id))
        .collect();
    DeptPlan {
        rows,
        actions,
        absent,
        planned,
    }
}

/// Each row on its own: its we_id exists, its names are good, its path is whole.
fn check_rows(rows: &mut [DeptRow], live: &DeptTree) {
    for row in rows.iter_mut().filter(|r| r.errors.is_empty()) {
        match row.we_id {
            Some(id) => match live.get(id) {
                None => row.errors.push(format!(
                    "部门ID {id} 不存在 (no department with we_id {id})"
                )),
                Some(_) => {
                    if let Some(e) = bad_name(&row.name) {
                        row.errors.push(e);
                    }
                }
            },
            None => {
                let levels: Vec<&str> = row.path.split('/').filter(|l| !l.is_empty()).collect();
                if levels.is_empty() && row.errors.is_empty() {
                    row.errors.push(
                        "没有部门ID时必须填写完整路径 (a row without we_id needs a full path)"
                            .into(),
                    );
                } else if let Some(e) = levels.iter().find_map(|l| bad_name(l)) {
                    row.errors.push(e);
                } else if !row.name.is_empty() && row.name != *levels.last().unwrap_or(&"") {
                    row.errors.push(format!(
                        "名称 {:?} 与完整路径的最后一级不一致 (the name differs from the path's last level)",
                        row.name
                    ));
                }
            }
        }
    }
}

/// The renames (a we_id whose name changes), refused where a sibling would share the name.
fn plan_renames(rows: &mut [DeptRow], live: &DeptTree, planned: &mut DeptTree) {
    let renames: Vec<(usize, i64)> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.errors.is_empty())
        .filter_map(|(i, r)| {
            r.we_id
                .filter(|id| live.get(*id).is_some_and(|d| d.we_name != r.name))
                .map(|id| (i, id))
        })
        .collect();
    let mut final_names: HashMap<i64, String> = HashMap::new();
    for &(i, id) in &renames {
        final_names.insert(id, rows[i].name.clone());
    }
    for &(i, id) in &renames {
        let parent = live.get(id).map_or(0, |d| d.we_parentid);
        let clash = live.children(parent).iter().any(|sib| {
            sib.we_id != id && final_names.get(&sib.we_id).unwrap_or(&sib.we_name) == &rows[i].name
        });
        if clash {
            let name = rows[i].name.clone();
            rows[i].errors.push(format!(
                "同级已有名为 {name:?} 的部门 (a sibling is already named {name:?})"
            ));
        }
    }
    for &(i, id) in &renames {
        if rows[i].errors.is_empty() {
            planned.rename(id, &rows[i].name);
        }
    }
}

/// The creates (a path without we_id that does not exist), refused for duplicates, roots,
/// and parents that neither exist nor are created here.
fn plan_creates(rows: &mut [DeptRow], planned: &DeptTree) -> BTreeSet<String> {
    let mut by_path: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        if r.errors.is_empty() && r.we_id.is_none() && planned.resolve(&r.path).is_none() {
            by_path.entry(r.path.clone()).or_default().push(i);
        }
    }
    let clashes = crate::validate::first_of(by_path.values(), |j| rows[j].source_row);
    for (i, others) in clashes {
        rows[i].errors.push(format!(
            "与第 {others} 行新建同一个部门 (creates the same department as row {others})"
        ));
    }
    let mut creates: BTreeSet<String> = by_path
        .iter()
        .filter(|(_, v)| v.len() == 1 && rows[v[0]].errors.is_empty())
        .map(|(p, _)| p.clone())
        .collect();
    loop {
        let orphan = creates.iter().find(|p| match p.rsplit_once('/') {
            None => true,
            Some((parent, _)) => planned.resolve(parent).is_none() && !creates.contains(parent),
        });
        let Some(orphan) = orphan.cloned() else { break };
        creates.remove(&orphan);
        let i = by_path[&orphan][0];
        let msg = match orphan.rsplit_once('/') {
            None => "不能新建根部门 (a root department cannot be created)".to_string(),
            Some((parent, _)) => format!("上级部门 {parent} 不存在,也不在本表中新建 (the parent {parent} neither exists nor is created in this sheet)"),
        };
        rows[i].errors.push(msg);
    }
    creates
}

/// What a valid row does; none for an invalid one.
fn action(r: &DeptRow, live: &DeptTree, creates: &BTreeSet<String>) -> Option<DeptAction> {
    if !r.errors.is_empty() {
        return None;
    }
    Some(match r.we_id {
        Some(id) => match live.get(id) {
            Some(d) if d.we_name != r.name => DeptAction::Rename {
                we_id: id,
                old: live.path(id).unwrap_or_default(),
                new: r.name.clone(),
            },
            _ => DeptAction::Unchanged,
        },
        None if creates.contains(&r.path) => DeptAction::Create(r.path.clone()),
        None => DeptAction::Unchanged,
    })
}

impl DeptPlan {
    /// (creates, renames, invalid rows)
    pub fn counts(&self) -> DeptCounts {
        DeptCounts {
            create: self.creates().len(),
            rename: self.renames().len(),
            invalid: self.actions.iter().filter(|a| a.is_none()).count(),
        }
    }

    pub fn creates(&self) -> BTreeSet<String> {
        self.actions
            .iter()
            .flatten()
            .filter_map(|a| match a {
                DeptAction::Create(p) => Some(p.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn renames(&self) -> Vec<(i64, String)> {
        self.renames_from()
            .into_iter()
            .map(|(id, _, new)| (id, new))
            .collect()
    }

    /// The renames with each department's name before: (we_id, old name, new name).
    pub fn renames_from(&self) -> Vec<(i64, String, String)> {
        self.actions
            .iter()
            .flatten()
            .filter_map(|a| match a {
                DeptAction::Rename { we_id, old, new } => {
                    let old_name = old.rsplit('/').next().unwrap_or(old).to_string();
                    Some((*we_id, old_name, new.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// Plan-sheet lines: invalid rows, renames, creates, and departments the sheet leaves out.
    pub fn lines(&self) -> Vec<PlanLine> {
        let line = |action: &str, target: String, field: &str, old: String, new: String| PlanLine {
            action: action.into(),
            target,
            field: field.into(),
            old,
            new,
        };
        let mut out = Vec::new();
        for (row, action) in self.rows.iter().zip(&self.actions) {
            match action {
                None => out.push(line(
                    "部门行错误 (invalid department row)",
                    format!(
                        "部门表第 {} 行 (departments row {})",
                        row.source_row, row.source_row
                    ),
                    "",
                    String::new(),
                    row.errors.join("; "),
                )),
                Some(DeptAction::Rename { we_id, old, new }) => out.push(line(
                    "重命名部门 (rename department)",
                    format!("{old} (we_id {we_id})"),
                    "名称 we_name",
                    old.rsplit('/').next().unwrap_or(old).to_string(),
                    new.clone(),
                )),
                Some(DeptAction::Create(p)) => out.push(line(
                    "新建部门 (create department)",
                    p.clone(),
                    "",
                    String::new(),
                    String::new(),
                )),
                Some(DeptAction::Unchanged) => {}
            }
        }
        for p in &self.absent {
            out.push(line(
                "表中没有,保留 (not in the sheet: kept)",
                p.clone(),
                "",
                String::new(),
                "不会删除 (never deleted)".into(),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Department;

    fn tree() -> DeptTree {
        let d = |we_id, name: &str, parent| Department {
            department_id: we_id,
            we_id,
            we_name: name.into(),
            we_parentid: parent,
            rank: 0,
        };
        DeptTree::new(vec![
            d(1, "办公逸", 0),
            d(2, "研发部", 1),
            d(3, "客服部", 1),
            d(4, "后端组", 2),
        ])
    }

    fn row(n: u32, we_id: Option<i64>, name: &str, path: &str) -> DeptRow {
        DeptRow {
            source_row: n,
            we_id,
            name: name.into(),
            path: path.into(),
            errors: vec![],
        }
    }

    #[test]
    fn export_headers_are_recognised() {
        let cols: Vec<bool> = crate::model::DEPT_TITLES
            .iter()
            .map(|t| column(t) != Col::Other)
            .collect();
        assert_eq!(cols, [true, true, false, true, false, false]);
    }

    #[test]
    fn creates_renames_and_their_errors() {
        let p = plan(
            vec![
                row(2, Some(2), "技术部", "办公逸/研发部"),
                row(3, None, "", "办公逸/技术部/平台组"),
                row(4, None, "", "办公逸/技术部/平台组/存储"),
                row(5, Some(3), "", "办公逸/客服部"),
                row(6, Some(4), "a/b", ""),
                row(7, None, "", "办公逸/没有/x"),
                row(8, None, "", "办公逸/新部/甲"),
                row(9, None, "", "办公逸/新部/甲"),
                row(10, Some(99), "x", ""),
                row(11, None, "", "别的根"),
            ],
            &tree(),
        );
        let errs = |i: usize| p.rows[i].errors.join("|");
        assert!(matches!(
            &p.actions[0],
            Some(DeptAction::Rename { we_id: 2, .. })
        ));
        assert_eq!(
            p.actions[1],
            Some(DeptAction::Create("办公逸/技术部/平台组".into()))
        );
        assert_eq!(
            p.actions[2],
            Some(DeptAction::Create("办公逸/技术部/平台组/存储".into()))
        );
        assert!(errs(3).contains("名称不能为空"));
        assert!(errs(4).contains("不能包含"));
        assert!(errs(5).contains("上级部门 办公逸/没有 不存在"));
        assert!(errs(6).contains("与第 9 行新建同一个部门"));
        assert!(errs(7).contains("与第 8 行"));
        assert!(errs(8).contains("部门ID 99 不存在"));
        assert!(errs(9).contains("根部门"));
        assert_eq!(
            p.counts(),
            DeptCounts {
                create: 2,
                rename: 1,
                invalid: 7
            }
        );
        assert!(p.planned.resolve("办公逸/技术部/平台组/存储").is_some());
    }

    #[test]
    fn renaming_to_a_sibling_name_is_an_error_unless_the_sibling_moves_too() {
        let p = plan(vec![row(2, Some(2), "客服部", "")], &tree());
        assert!(p.rows[0].errors[0].contains("同级已有"));
        let p = plan(
            vec![row(2, Some(2), "客服部", ""), row(3, Some(3), "服务部", "")],
            &tree(),
        );
        assert!(p.rows.iter().all(|r| r.errors.is_empty()), "{:?}", p.rows);
        assert_eq!(
            p.counts(),
            DeptCounts {
                create: 0,
                rename: 2,
                invalid: 0
            }
        );
    }
}
