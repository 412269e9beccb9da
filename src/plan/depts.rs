//! The departments sheet (`部门 Departments`, as `bgy export` writes it) as an input of plan and
//! sync: creates (a path without a we_id) and renames (a we_id whose name differs), validated
//! as a whole before anything is sent. Departments are never deleted (the API cannot).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use crate::model::tree::DeptTree;
use crate::model::{Field, Layout, DEPT_SHEET};
use crate::outcome::{DeptCounts, PlanLine};
use crate::read::{self, ReadError};
use crate::remedy::Advice;
use crate::validate::fields::problem;
use crate::validate::{self, rule, Issue, LoadError, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeptRow {
    pub source_row: u32,
    pub we_id: Option<i64>,
    pub name: String,
    /// Canonical `a/b/c`.
    pub path: String,
    /// Any makes the row invalid.
    pub errors: Vec<Issue>,
}

impl DeptRow {
    /// A row of the departments sheet as validated.
    fn of(row: Row) -> DeptRow {
        let errors = row.errors().cloned().collect();
        let value = |f: Field| row.values().get(f).unwrap_or("").to_string();
        DeptRow {
            source_row: row.source_row,
            we_id: row.values().get(Field::WeId).and_then(|id| id.parse().ok()),
            name: value(Field::WeName),
            path: value(Field::WeDepartment),
            errors,
        }
    }

    /// The row's errors in a line, each under the departments sheet's own column name (the
    /// staff sheet's labels, 姓名 for we_name, would mislead).
    pub fn why(&self) -> String {
        let column = |f: Option<Field>| match f {
            Some(Field::WeId) => "部门ID we_id: ",
            Some(Field::WeName) => "名称 name: ",
            Some(Field::WeDepartment) => "完整路径 path: ",
            _ => "",
        };
        self.errors
            .iter()
            .map(|i| format!("{}{} ({})", column(i.field), i.zh, i.en))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn refuse(&mut self, field: Field, reason: rule::Rule, zh: String, en: String) {
        self.errors
            .push(Issue::error(Some(field), problem(reason, zh, en)));
    }
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
    /// The departments the staff rows' 部门 paths name and the directory lacks, every missing
    /// level, to be made too (`--create-departments`): see [`DeptPlan::with_named`].
    pub named: BTreeSet<String>,
}

/// A workbook's 部门 Departments sheet as read.
pub struct DeptSheet {
    pub rows: Vec<DeptRow>,
    /// What its reading said: columns not read, merged cells filled down.
    pub warnings: Vec<Advice>,
}

/// The 部门 Departments sheet of a workbook's `bytes`, when it has one, read and validated as
/// every other layout is (its header found and matched, each row on its own).
pub fn read(bytes: &[u8], path: &Path) -> Result<Option<DeptSheet>, LoadError> {
    // A CSV has one sheet, the staff: reading it again here, whole, to find it is not named
    // 部门 cost a sync of 100,000 rows 0.1 GB and a second parse.
    if read::sniff(bytes) == Some(read::Format::Csv) {
        return Ok(None);
    }
    let sheet = match read::read_bytes(bytes, &path.display().to_string(), Some(DEPT_SHEET)) {
        Ok(s) if s.name == DEPT_SHEET => s,
        Ok(_) | Err(ReadError::NoSuchSheet { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if sheet
        .rows
        .iter()
        .all(|r| r.cells.iter().all(read::Cell::is_empty))
    {
        return Ok(Some(DeptSheet {
            rows: Vec::new(),
            warnings: Vec::new(),
        }));
    }
    let table = validate::from_sheet(path, sheet, Layout::Departments)?;
    Ok(Some(DeptSheet {
        rows: table.rows.into_iter().map(DeptRow::of).collect(),
        warnings: table.warnings,
    }))
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
        named: BTreeSet::new(),
    }
}

/// What the sheet alone cannot say: each row's we_id exists.
fn check_rows(rows: &mut [DeptRow], live: &DeptTree) {
    for row in rows.iter_mut().filter(|r| r.errors.is_empty()) {
        if let Some(id) = row.we_id.filter(|id| live.get(*id).is_none()) {
            row.refuse(
                Field::WeId,
                rule::NO_SUCH_DEPARTMENT,
                format!("部门ID {id} 不存在"),
                format!("no department with we_id {id}"),
            );
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
            rows[i].refuse(
                Field::WeName,
                rule::SIBLING_NAME,
                format!("同级已有名为 {name:?} 的部门"),
                format!("a sibling is already named {name:?}"),
            );
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
        rows[i].refuse(
            Field::WeDepartment,
            rule::DUPLICATE_DEPARTMENT,
            format!("与第 {others} 行新建同一个部门"),
            format!("creates the same department as row {others}"),
        );
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
        let (zh, en) = match orphan.rsplit_once('/') {
            None => (
                "不能新建根部门".to_string(),
                "a root department cannot be created".to_string(),
            ),
            Some((parent, _)) => (
                format!("上级部门 {parent} 不存在,也不在本表中新建"),
                format!("the parent {parent} neither exists nor is created in this sheet"),
            ),
        };
        rows[i].refuse(Field::WeDepartment, rule::NO_PARENT, zh, en);
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

/// The action of a plan line for a departments row that is invalid: its target, the row, is
/// bgy's own words too.
pub const INVALID_ROW: &str = "部门行错误 (invalid department row)";

impl DeptPlan {
    /// (creates, renames, invalid rows)
    pub fn counts(&self) -> DeptCounts {
        DeptCounts {
            create: self.creates().len(),
            rename: self.renames().len(),
            invalid: self.actions.iter().filter(|a| a.is_none()).count(),
            ..DeptCounts::default()
        }
    }

    pub fn creates(&self) -> BTreeSet<String> {
        let sheet = self.actions.iter().flatten().filter_map(|a| match a {
            DeptAction::Create(p) => Some(p.clone()),
            _ => None,
        });
        sheet.chain(self.named.iter().cloned()).collect()
    }

    /// `plan` (the departments sheet's, or none) with the departments that the staff rows'
    /// paths name and `live` lacks made too: each missing level of `paths`, parents first.
    /// The staff rows go on naming them by path, which the API reads once they exist.
    pub fn with_named(
        plan: Option<DeptPlan>,
        paths: &BTreeSet<String>,
        live: &DeptTree,
    ) -> Option<DeptPlan> {
        let mut named = BTreeSet::new();
        for path in paths {
            named.extend(live.missing(path).unwrap_or_default());
        }
        if named.is_empty() {
            return plan;
        }
        let mut plan = plan.unwrap_or_else(|| DeptPlan {
            planned: live.clone(),
            ..DeptPlan::default()
        });
        let sheet = plan.creates();
        named.retain(|p| !sheet.contains(p));
        plan.named = named;
        Some(plan)
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
                    INVALID_ROW,
                    format!(
                        "部门表第 {} 行 (departments row {})",
                        row.source_row, row.source_row
                    ),
                    "",
                    String::new(),
                    row.why(),
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
        for p in &self.named {
            out.push(line(
                "新建部门 (create department)",
                p.clone(),
                "",
                String::new(),
                String::new(),
            ));
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

    fn tree() -> DeptTree {
        crate::model::tree::tree_of(&[
            (1, "办公逸", 0),
            (2, "研发部", 1),
            (3, "客服部", 1),
            (4, "后端组", 2),
        ])
    }

    /// The rows as an export's departments sheet holding them, read through the header and
    /// validation, from row 2 on.
    fn rows(rows: &[(Option<i64>, &str, &str)]) -> Vec<DeptRow> {
        let text = |t: &str| match t {
            "" => read::Cell::Empty,
            t => read::Cell::Text(t.into()),
        };
        let head = read::RawRow {
            source_row: 1,
            hidden: false,
            cells: crate::model::DEPT_TITLES.iter().map(|t| text(t)).collect(),
        };
        let body = rows
            .iter()
            .enumerate()
            .map(|(i, (id, name, path))| read::RawRow {
                source_row: i as u32 + 2,
                hidden: false,
                cells: vec![
                    text(&id.map(|n| n.to_string()).unwrap_or_default()),
                    text(name),
                    text("1"),
                    text(path),
                ],
            });
        let sheet = read::Sheet {
            name: DEPT_SHEET.into(),
            format: read::Format::Xlsx,
            rows: std::iter::once(head).chain(body).collect(),
            is_report: false,
            warnings: Vec::new(),
            merged: Vec::new(),
        };
        let table = validate::from_sheet(Path::new("d.xlsx"), sheet, Layout::Departments).unwrap();
        assert!(table.warnings.is_empty(), "{:?}", table.warnings);
        table.rows.into_iter().map(DeptRow::of).collect()
    }

    fn text(row: &DeptRow) -> String {
        row.why()
    }

    #[test]
    fn export_headers_are_recognised() {
        let r = rows(&[(Some(2), "研发部", "办公逸/ 研发部 /")]);
        assert_eq!(
            r,
            [DeptRow {
                source_row: 2,
                we_id: Some(2),
                name: "研发部".into(),
                path: "办公逸/研发部".into(),
                errors: vec![],
            }]
        );
        let r = rows(&[
            (None, "", "办公逸//研发部"),
            (None, "研发", "办公逸/研发部"),
        ]);
        assert!(text(&r[0]).contains("空的层级"), "{}", text(&r[0]));
        assert!(text(&r[1]).contains("最后一级不一致"), "{}", text(&r[1]));
        assert!(
            text(&r[1]).starts_with("名称 name: ") && !text(&r[1]).contains("姓名"),
            "a department's name is not a person's: {}",
            text(&r[1])
        );
    }

    #[test]
    fn creates_renames_and_their_errors() {
        let p = plan(
            rows(&[
                (Some(2), "技术部", "办公逸/研发部"),
                (None, "", "办公逸/技术部/平台组"),
                (None, "", "办公逸/技术部/平台组/存储"),
                (Some(3), "", "办公逸/客服部"),
                (Some(4), "a/b", ""),
                (None, "", "办公逸/没有/x"),
                (None, "", "办公逸/新部/甲"),
                (None, "", "办公逸/新部/甲"),
                (Some(99), "x", ""),
                (None, "", "别的根"),
            ]),
            &tree(),
        );
        let errs = |i: usize| text(&p.rows[i]);
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
                invalid: 7,
                ..DeptCounts::default()
            }
        );
        assert!(p.planned.resolve("办公逸/技术部/平台组/存储").is_some());
    }

    #[test]
    fn renaming_to_a_sibling_name_is_an_error_unless_the_sibling_moves_too() {
        let p = plan(rows(&[(Some(2), "客服部", "")]), &tree());
        assert!(text(&p.rows[0]).contains("同级已有"));
        let p = plan(
            rows(&[(Some(2), "客服部", ""), (Some(3), "服务部", "")]),
            &tree(),
        );
        assert!(p.rows.iter().all(|r| r.errors.is_empty()), "{:?}", p.rows);
        assert_eq!(
            p.counts(),
            DeptCounts {
                create: 0,
                rename: 2,
                invalid: 0,
                ..DeptCounts::default()
            }
        );
    }
}
