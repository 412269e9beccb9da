//! The department tree: paths ↔ we_ids, pure (listing it is `live`, creating departments is
//! `execute::depts`).

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

/// A department path, parsed once wherever a person typed one (a staff sheet's 部门 cell, a
/// departments sheet, `dept add`, `export --department`): its levels from the root (or, for
/// a path that leaves the root out, from wherever it starts). `/` or `／` between levels,
/// spaces around a level trimmed, one trailing separator forgiven; an empty level, and a
/// level that breaks the name rule (at most 64 characters, no control characters, no `;`),
/// are refused, the same way everywhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeptPath(Vec<String>);

/// Why a path cannot be a department path, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{zh} ({en})")]
pub struct PathError {
    pub zh: String,
    pub en: String,
}

impl std::str::FromStr for DeptPath {
    type Err = PathError;

    fn from_str(typed: &str) -> Result<DeptPath, PathError> {
        let trimmed = typed.trim();
        let body = trimmed
            .strip_suffix(['/', '／'])
            .unwrap_or(trimmed)
            .trim_end();
        if body.is_empty() {
            return Err(PathError {
                zh: "部门路径是空的".into(),
                en: "the department path is empty".into(),
            });
        }
        let levels: Vec<String> = body
            .split(['/', '／'])
            .map(|l| l.trim().to_string())
            .collect();
        if levels.iter().any(String::is_empty) {
            return Err(PathError {
                zh: format!("部门路径 {typed:?} 有空的层级;应写成 办公逸/研发部"),
                en: format!(
                    "department path {typed:?} has an empty level; write it as 办公逸/研发部"
                ),
            });
        }
        if let Some(e) = levels.iter().find_map(|l| name_rule(l)) {
            return Err(e);
        }
        Ok(DeptPath(levels))
    }
}

impl std::fmt::Display for DeptPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("/"))
    }
}

impl DeptPath {
    pub fn levels(&self) -> &[String] {
        &self.0
    }
}

/// Why `name` cannot be one department's name (one level of a path), if it cannot.
pub fn name_rule(name: &str) -> Option<PathError> {
    let e = |zh: String, en: String| Some(PathError { zh, en });
    if name.is_empty() {
        e("名称不能为空".into(), "the name is empty".into())
    } else if name.contains(['/', ';', '／', '；']) {
        e(
            format!("名称 {name:?} 不能包含 / 或 ;"),
            format!("the name {name:?} may not contain / or ;"),
        )
    } else if let Some(c) = crate::text::control_char(name) {
        e(
            format!("名称 {name:?} 包含控制字符 U+{:04X}", c as u32),
            format!(
                "the name {name:?} holds the control character U+{:04X}",
                c as u32
            ),
        )
    } else if name.chars().count() > 64 {
        e(
            format!("名称 {name:?} 超过 64 个字符"),
            format!("the name {name:?} is longer than 64 characters"),
        )
    } else {
        None
    }
}

/// Where a record places a person: the departments its 部门ID names (`2,4`), which decide
/// when given, and its 部门 paths (`办公逸/研发部;办公逸/客服部`), each as validation or the
/// listing leaves them (canonical, one separator each).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Placement<'a> {
    ids: Option<&'a str>,
    paths: Option<&'a str>,
}

impl<'a> Placement<'a> {
    pub fn new(ids: Option<&'a str>, paths: Option<&'a str>) -> Placement<'a> {
        Placement { ids, paths }
    }

    /// The 部门ID values as written (one we_id each).
    pub fn ids(&self) -> impl Iterator<Item = &'a str> {
        self.ids.into_iter().flat_map(|ids| ids.split(','))
    }

    /// The 部门 paths.
    pub fn paths(&self) -> impl Iterator<Item = &'a str> {
        self.paths.into_iter().flat_map(|paths| paths.split(';'))
    }

    pub fn has_ids(&self) -> bool {
        self.ids.is_some()
    }

    pub fn has_paths(&self) -> bool {
        self.paths.is_some()
    }

    /// The we_ids it names in `tree`: its ids, else its paths; `None` when it names none, or
    /// a path does not exist (yet: sync creates departments before people).
    pub fn resolve(&self, tree: &DeptTree) -> Option<Vec<i64>> {
        match self.ids {
            Some(_) => self.ids().map(|id| id.parse().ok()).collect(),
            None => {
                self.paths?;
                self.paths().map(|p| tree.resolve(p)).collect()
            }
        }
    }

    /// The same departments as `other`, in any order, each once or more.
    pub fn same_departments(ids: &[i64], other: &[i64]) -> bool {
        let set = |ids: &[i64]| {
            let mut set = ids.to_vec();
            set.sort_unstable();
            set.dedup();
            set
        };
        set(ids) == set(other)
    }

    /// One of its paths is `dept` or a department below it.
    pub fn under(&self, dept: &str) -> bool {
        self.paths().any(|p| is_under(p, dept))
    }
}

/// How many namesakes [`nearest`] tells apart at most. Each row that names one of them looks
/// at every one: a 姓名 and a 直接上级 dragged down 20,000 rows (20,000 张伟, each led by 张伟)
/// took 32 s. A company has a few dozen of its commonest name.
pub const NAMESAKES_TOLD_APART: usize = 200;

/// Of several people (`candidates`, each with where they sit), the one a person placed in
/// `row` reports to, as HR tells namesakes apart: the one who sits in the row's department,
/// else in the nearest department above it; with that department's path. None when nobody
/// sits there, or two sit as near, or there are more than [`NAMESAKES_TOLD_APART`].
pub fn nearest<'p, T: Copy + PartialEq>(
    row: &Placement,
    candidates: impl IntoIterator<Item = (T, Placement<'p>)>,
) -> Option<(T, &'p str)> {
    // The nearest so far: how deep its department is, who, where; and whether another sits
    // as near.
    let mut nearest: Option<(usize, T, &str)> = None;
    let mut tie = false;
    for (k, (who, place)) in candidates.into_iter().enumerate() {
        if k == NAMESAKES_TOLD_APART {
            return None;
        }
        for dept in place.paths().filter(|dept| row.under(dept)) {
            let depth = dept.split('/').count();
            match nearest {
                Some((d, j, _)) if d > depth || j == who => {}
                Some((d, ..)) if d == depth => tie = true,
                _ => (nearest, tie) = (Some((depth, who, dept)), false),
            }
        }
    }
    let (_, who, dept) = nearest.filter(|_| !tie)?;
    Some((who, dept))
}

/// The department whose path is `path` is `dept` or one below it (a level is whole:
/// `办公逸/研发` is not above `办公逸/研发部`).
pub fn is_under(path: &str, dept: &str) -> bool {
    path.strip_prefix(dept)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// A department as the tree holds it: the listing's fields that place and name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub we_id: i64,
    pub we_name: String,
    pub we_parentid: i64,
    /// Its place among its siblings (smaller first).
    pub rank: i64,
}

/// The departments a server listed. A listing is data from outside: a department may name
/// itself or a missing department as its parent, or parents may form a circle. Such
/// departments are kept, listed after the others and named by [`DeptTree::problems`]; no
/// walk over the tree can loop.
#[derive(Debug, Clone, Default)]
pub struct DeptTree {
    by_id: HashMap<i64, Department>,
    /// Parent → a child's name → its we_id (looked up by `&str`, nothing built per lookup).
    by_parent: HashMap<i64, HashMap<String, i64>>,
    /// Parent → children, sorted by (rank, we_id).
    kids: HashMap<i64, Vec<i64>>,
}

impl DeptTree {
    pub fn new(list: Vec<Department>) -> DeptTree {
        let mut tree = DeptTree::default();
        for d in list {
            tree.name_child(d.we_parentid, &d.we_name, d.we_id);
            tree.by_id.insert(d.we_id, d);
        }
        for d in tree.by_id.values() {
            tree.kids.entry(d.we_parentid).or_default().push(d.we_id);
        }
        let by_id = &tree.by_id;
        for ids in tree.kids.values_mut() {
            ids.sort_by_key(|id| (by_id[id].rank, *id));
        }
        tree
    }

    /// What is wrong with the tree's shape, one sentence per department, by name: its own
    /// parent, a parent that is not in the listing, or a circle of parents.
    pub fn problems(&self) -> Vec<String> {
        let reachable: HashSet<i64> = self.walk_from_root().iter().map(|(_, d)| d.we_id).collect();
        let mut out: Vec<(i64, String)> = Vec::new();
        for d in self
            .by_id
            .values()
            .filter(|d| !reachable.contains(&d.we_id))
        {
            let what = if d.we_parentid == d.we_id {
                "是它自己的上级 (is its own parent)".to_string()
            } else if !self.by_id.contains_key(&d.we_parentid) && d.we_parentid != 0 {
                format!(
                    "的上级 {} 不在部门列表中 (its parent {} is not in the listing)",
                    d.we_parentid, d.we_parentid
                )
            } else if self.in_circle(d.we_id) {
                "的上级链条成环,到不了根部门 (its parents form a circle that never reaches the root)"
                    .to_string()
            } else {
                // Below one of the departments named here: listed with it.
                continue;
            };
            out.push((
                d.we_id,
                format!("部门 {:?} [we_id {}] {what}", d.we_name, d.we_id),
            ));
        }
        out.sort();
        out.into_iter().map(|(_, s)| s).collect()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn get(&self, we_id: i64) -> Option<&Department> {
        self.by_id.get(&we_id)
    }

    pub fn child(&self, parent: i64, name: &str) -> Option<i64> {
        self.by_parent.get(&parent)?.get(name).copied()
    }

    /// `name` under `parent` finds `we_id` from now on.
    fn name_child(&mut self, parent: i64, name: &str, we_id: i64) {
        self.by_parent
            .entry(parent)
            .or_default()
            .insert(name.to_string(), we_id);
    }

    /// A department and those above it, up to the root (a circle of parents ends where it
    /// comes round).
    pub fn up_from(&self, we_id: i64) -> Vec<i64> {
        let mut up = Vec::new();
        let mut at = Some(we_id);
        while let Some(id) = at.filter(|id| !up.contains(id)) {
            let Some(d) = self.get(id) else {
                break;
            };
            up.push(id);
            at = (d.we_parentid != 0).then_some(d.we_parentid);
        }
        up
    }

    /// The root department, when the directory has exactly one.
    pub fn only_root(&self) -> Option<&Department> {
        match self.kids.get(&0)?.as_slice() {
            [one] => self.get(*one),
            _ => None,
        }
    }

    /// Some department is called `name`, wherever it is.
    pub fn names(&self, name: &str) -> bool {
        self.by_parent.values().any(|kids| kids.contains_key(name))
    }

    /// `办公逸/研发部/后端组` for a we_id (names from the root).
    pub fn path(&self, we_id: i64) -> Option<String> {
        let mut parts = Vec::new();
        let mut id = we_id;
        while id != 0 {
            let d = self.by_id.get(&id)?;
            parts.push(d.we_name.as_str());
            id = d.we_parentid;
            if parts.len() > 64 {
                return None; // a cycle in bad data
            }
        }
        parts.reverse();
        Some(parts.join("/"))
    }

    /// Departments as a person reads them: each id's path (the id, for one the tree lacks),
    /// `;` between.
    pub fn paths(&self, ids: &[i64]) -> String {
        ids.iter()
            .map(|id| self.path(*id).unwrap_or_else(|| id.to_string()))
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Every department's full path, sorted.
    pub fn all_paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = self.by_id.keys().filter_map(|&id| self.path(id)).collect();
        paths.sort();
        paths
    }

    /// The we_id of a path from the root.
    pub fn resolve(&self, path: &str) -> Option<i64> {
        let mut id = 0;
        for name in path.split('/') {
            id = self.child(id, name)?;
        }
        (id != 0).then_some(id)
    }

    /// The department a person names by `path`, as a sheet's 部门 column is read: a path
    /// from the root, or its end when exactly one department's path ends so (`研发部/后端组`);
    /// its we_id, and its full path when it was completed. An error names the departments a
    /// tail could be, or the nearest paths to one that exists nowhere.
    pub fn find(&self, path: &DeptPath) -> Result<(i64, Option<String>), String> {
        let path = path.to_string();
        if let Some(id) = self.resolve(&path) {
            return Ok((id, None));
        }
        let all = self.all_paths();
        match ending_with(&all, &path).as_slice() {
            [one] => Ok((self.resolve(one).unwrap_or(0), Some(one.to_string()))),
            [] => {
                let near = nearest_paths(&all, &path);
                Err(match near.is_empty() {
                    true => format!("没有部门 {path} (no department {path})"),
                    false => format!(
                        "没有部门 {path};是否指 {}? (no department {path}; did you mean {}?)",
                        near.join(" 或 "),
                        near.join(" or ")
                    ),
                })
            }
            many => {
                let shown = many.iter().take(5).copied().collect::<Vec<_>>();
                Err(format!(
                    "部门 {path} 不明确,可能是: {};请写从根部门开始的完整路径 (department {path} could be any of: {}; write the full path from the root)",
                    shown.join("、"),
                    shown.join(", ")
                ))
            }
        }
    }

    /// Following the parents of `we_id` leads back to it.
    fn in_circle(&self, we_id: i64) -> bool {
        let mut id = we_id;
        for _ in 0..=self.by_id.len() {
            match self.by_id.get(&id) {
                Some(d) if d.we_parentid == we_id => return true,
                Some(d) => id = d.we_parentid,
                None => return false,
            }
        }
        false
    }

    /// Children of `parent`, by rank then we_id (never the department itself).
    pub fn children(&self, parent: i64) -> Vec<&Department> {
        self.kids
            .get(&parent)
            .into_iter()
            .flatten()
            .filter(|id| **id != parent)
            .filter_map(|id| self.by_id.get(id))
            .collect()
    }

    /// Every department, parents before children (depth first, by rank); then, at depth 0,
    /// those the root never reaches (see [`DeptTree::problems`]) with what hangs below them.
    pub fn walk(&self) -> Vec<(usize, &Department)> {
        let mut seen = HashSet::new();
        let mut out = self.walk_below(0, &mut seen);
        let mut rest: Vec<&Department> = self
            .by_id
            .values()
            .filter(|d| !seen.contains(&d.we_id))
            .collect();
        rest.sort_by_key(|d| d.we_id);
        for d in rest {
            if seen.insert(d.we_id) {
                out.push((0, d));
                out.extend(
                    self.walk_below(d.we_id, &mut seen)
                        .into_iter()
                        .map(|(depth, c)| (depth + 1, c)),
                );
            }
        }
        out
    }

    fn walk_from_root(&self) -> Vec<(usize, &Department)> {
        self.walk_below(0, &mut HashSet::new())
    }

    /// The departments below `top`, depth first, each once.
    fn walk_below(&self, top: i64, seen: &mut HashSet<i64>) -> Vec<(usize, &Department)> {
        let mut out = Vec::new();
        let mut stack: Vec<(usize, &Department)> = self
            .children(top)
            .into_iter()
            .rev()
            .map(|d| (0, d))
            .collect();
        while let Some((depth, d)) = stack.pop() {
            if !seen.insert(d.we_id) {
                continue;
            }
            out.push((depth, d));
            for c in self.children(d.we_id).into_iter().rev() {
                stack.push((depth + 1, c));
            }
        }
        out
    }

    /// Renames a department in this copy of the tree (plans are checked against the tree as
    /// it will be). The old name still resolves, so sheets written before the rename stay
    /// valid in the same run; paths are shown with the new name.
    pub fn rename(&mut self, we_id: i64, name: &str) {
        if let Some(d) = self.by_id.get_mut(&we_id) {
            d.we_name = name.to_string();
            let parent = d.we_parentid;
            self.name_child(parent, name, we_id);
        }
    }

    /// Adds every missing level of `path` with a placeholder (negative) we_id, as a department
    /// that will be created. Returns false when the root is unknown.
    pub fn plan_create(&mut self, path: &str) -> bool {
        let Ok(missing) = self.missing(path) else {
            return false;
        };
        for p in missing {
            let (parent_path, name) = p.rsplit_once('/').unwrap_or(("", &p));
            let Some(parent) = self.resolve(parent_path) else {
                return false;
            };
            let we_id = -(self.by_id.len() as i64) - 1;
            let d = Department {
                we_id,
                we_name: name.to_string(),
                we_parentid: parent,
                rank: i64::MAX,
            };
            self.name_child(parent, name, we_id);
            self.kids.entry(parent).or_default().push(we_id);
            self.by_id.insert(we_id, d);
        }
        true
    }

    /// The prefixes of `path` that do not exist yet, parents first; `Err` when even the root
    /// (the first level) is unknown, since a second root cannot be made.
    pub fn missing(&self, path: &str) -> Result<Vec<String>, String> {
        let levels: Vec<&str> = path.split('/').collect();
        let mut out = Vec::new();
        let mut id = 0;
        for (depth, name) in levels.iter().enumerate() {
            match (id, self.child(id, name)) {
                (_, Some(next)) if out.is_empty() => id = next,
                (0, None) if depth == 0 => return Err(levels[0].to_string()),
                _ => out.push(levels[..=depth].join("/")),
            }
        }
        Ok(out)
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DeptInfo {
    pub we_id: i64,
    pub name: String,
    pub parent: i64,
    pub path: String,
    pub rank: i64,
    pub members: usize,
    /// People in it or in a department below it, each once.
    pub total: usize,
    /// Levels below the root (0: the root, or a department the root does not reach).
    pub depth: usize,
}

impl DeptInfo {
    /// Every department in tree order, with its depth, its direct members among `people`
    /// (each person's department ids), and everyone in it or below it (a person in two
    /// departments under one parent counts once there).
    pub fn all(tree: &DeptTree, people: impl IntoIterator<Item = Vec<i64>>) -> Vec<DeptInfo> {
        let mut members = Members::default();
        let mut totals: HashMap<i64, usize> = HashMap::new();
        for ids in people {
            members.add(&ids);
            let mut seen = HashSet::new();
            for &id in &ids {
                for up in tree.up_from(id) {
                    if seen.insert(up) {
                        *totals.entry(up).or_default() += 1;
                    }
                }
            }
        }
        let mut all = DeptInfo::counted(tree, &members);
        for d in &mut all {
            d.total = totals.get(&d.we_id).copied().unwrap_or(0);
        }
        all
    }

    /// As [`DeptInfo::all`], from members counted as the staff went by (without the people,
    /// a department's `total` is its direct members).
    pub fn counted(tree: &DeptTree, members: &Members) -> Vec<DeptInfo> {
        let members = &members.0;
        tree.walk()
            .into_iter()
            .map(|(depth, d)| DeptInfo {
                we_id: d.we_id,
                name: d.we_name.clone(),
                parent: d.we_parentid,
                path: tree.path(d.we_id).unwrap_or_default(),
                rank: d.rank,
                members: members.get(&d.we_id).copied().unwrap_or(0),
                total: members.get(&d.we_id).copied().unwrap_or(0),
                depth,
            })
            .collect()
    }
}

/// Direct members of each department, counted one person at a time.
#[derive(Debug, Default)]
pub struct Members(HashMap<i64, usize>);

impl Members {
    /// One person, in the departments `ids`.
    pub fn add(&mut self, ids: &[i64]) {
        for &id in ids {
            *self.0.entry(id).or_default() += 1;
        }
    }
}

/// The full paths of `paths` (sorted) that end with `tail` (`研发部/后端组`).
pub fn ending_with<'a>(paths: &'a [String], tail: &str) -> Vec<&'a str> {
    let suffix = format!("/{tail}");
    paths
        .iter()
        .filter(|p| p.ends_with(&suffix))
        .map(String::as_str)
        .collect()
}

/// The existing paths closest to a path that exists nowhere, best first (at most three): off
/// by at most a quarter of its characters, at least two (`办公逸/研发部/后端` →
/// `办公逸/研发部/后端组`), whole or by as many trailing levels (`研发/后端组` →
/// `办公逸/研发部/后端组`).
pub fn nearest_paths<'a>(paths: &'a [String], wanted: &str) -> Vec<&'a str> {
    let levels = wanted.split('/').count();
    let limit = (wanted.chars().count() / 4).max(2);
    let mut scored: Vec<(usize, &str)> = paths
        .iter()
        .filter_map(|p| {
            let parts: Vec<&str> = p.split('/').collect();
            let tail = parts[parts.len().saturating_sub(levels)..].join("/");
            let d = strsim::levenshtein(wanted, p).min(strsim::levenshtein(wanted, &tail));
            (d <= limit).then_some((d, p.as_str()))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, p)| p).collect()
}

/// What HR systems write between a path's levels instead of `/`: `研发部-后端组` (钉钉's
/// exports), `研发部>后端组`, `研发部\后端组`, `研发部|后端组`, and their full-width forms.
pub const SEPARATORS: [char; 10] = ['-', '>', '\\', '|', '—', '－', '＞', '→', '＼', '｜'];

/// A tree of `(we_id, name, parent)` departments, for tests.
#[cfg(test)]
pub(crate) fn tree_of(list: &[(i64, &str, i64)]) -> DeptTree {
    let d = |&(we_id, name, parent): &(i64, &str, i64)| Department {
        we_id,
        we_name: name.into(),
        we_parentid: parent,
        rank: 0,
    };
    DeptTree::new(list.iter().map(d).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Namesakes told apart as HR would: in the row's department, else nearest above it; two
    /// as near are nobody, unless a nearer one comes; one person in two departments is one.
    #[test]
    fn a_namesake_is_the_one_nearest_above_the_row() {
        let at = |paths| Placement::new(None, Some(paths));
        let row = at("办公逸/研发部/后端组;办公逸/客服部");
        let (root, rd, cs, be) = (
            at("办公逸"),
            at("办公逸/研发部"),
            at("办公逸/客服部"),
            at("办公逸/研发部/后端组"),
        );
        assert_eq!(
            nearest(&row, [(1, root), (2, be)]),
            Some((2, "办公逸/研发部/后端组"))
        );
        assert_eq!(
            nearest(&row, [(1, root), (2, rd)]),
            Some((2, "办公逸/研发部"))
        );
        assert_eq!(nearest(&row, [(1, rd), (2, cs)]), None, "two as near");
        assert_eq!(
            nearest(&row, [(1, rd), (2, cs), (3, be)]),
            Some((3, "办公逸/研发部/后端组")),
            "a nearer one after a tie"
        );
        let both = at("办公逸/研发部;办公逸/客服部");
        assert_eq!(
            nearest(&row, [(1, both), (2, root)]).map(|(w, _)| w),
            Some(1)
        );
        // Below the row, or beside it (a level is whole: 研发 is not above 研发部): nobody.
        let row = at("办公逸/研发部");
        assert_eq!(nearest(&row, [(1, be), (2, at("办公逸/研发"))]), None);
    }

    fn d(we_id: i64, name: &str, parent: i64) -> Department {
        Department {
            we_id,
            we_name: name.into(),
            we_parentid: parent,
            rank: 0,
        }
    }

    fn tree() -> DeptTree {
        DeptTree::new(vec![
            d(1, "办公逸", 0),
            d(2, "研发部", 1),
            d(4, "后端组", 2),
            d(3, "客服部", 1),
        ])
    }

    #[test]
    fn paths_both_ways() {
        let t = tree();
        assert_eq!(t.path(4).unwrap(), "办公逸/研发部/后端组");
        assert_eq!(t.resolve("办公逸/研发部/后端组"), Some(4));
        assert_eq!(t.resolve("办公逸/研发部/前端组"), None);
        assert_eq!(t.resolve("研发部"), None, "paths start at the root");
        assert_eq!(
            t.paths(&[4, 3, 99]),
            "办公逸/研发部/后端组;办公逸/客服部;99"
        );
        // A sheet's path that leaves the root out, completed when one department ends so.
        let find = |s: &str| t.find(&s.parse().unwrap());
        assert_eq!(
            find("研发部/后端组"),
            Ok((4, Some("办公逸/研发部/后端组".to_string())))
        );
        assert_eq!(find("办公逸/客服部"), Ok((3, None)));
    }

    #[test]
    fn a_placement_is_its_ids_else_its_paths() {
        let t = tree();
        let both = Placement::new(Some("3,4"), Some("办公逸/研发部"));
        assert_eq!(both.resolve(&t), Some(vec![3, 4]), "the ids decide");
        let paths = Placement::new(None, Some("办公逸/研发部/后端组;办公逸/客服部"));
        assert_eq!(paths.resolve(&t), Some(vec![4, 3]));
        let new = Placement::new(None, Some("办公逸/研发部;办公逸/新部门"));
        assert_eq!(
            new.resolve(&t),
            None,
            "a path to create resolves to nothing yet"
        );
        assert_eq!(Placement::default().resolve(&t), None);
        assert!(paths.under("办公逸/研发部") && paths.under("办公逸/客服部"));
        assert!(!paths.under("办公逸/研发"), "a level is whole");
        assert_eq!(both.ids().collect::<Vec<_>>(), ["3", "4"]);
        assert!(Placement::same_departments(&[2, 2, 4], &[4, 2]));
        assert!(!Placement::same_departments(&[2, 4], &[2]));
    }

    /// A person in 后端组 and 客服部 is one person of 办公逸's, and 研发部's.
    #[test]
    fn a_department_counts_each_person_below_it_once() {
        let all = DeptInfo::all(&tree(), [vec![4, 3], vec![2]]);
        let total = |id| {
            all.iter()
                .find(|d| d.we_id == id)
                .map(|d| (d.members, d.total))
        };
        assert_eq!(total(1), Some((0, 2)));
        assert_eq!(total(2), Some((1, 2)));
        assert_eq!(total(4), Some((1, 1)));
        assert_eq!(total(3), Some((1, 1)));
    }

    #[test]
    fn missing_prefixes_parents_first() {
        let t = tree();
        assert_eq!(t.missing("办公逸/研发部").unwrap(), Vec::<String>::new());
        assert_eq!(
            t.missing("办公逸/研发部/前端组/移动端").unwrap(),
            vec!["办公逸/研发部/前端组", "办公逸/研发部/前端组/移动端"]
        );
        assert_eq!(t.missing("别的公司/研发部").unwrap_err(), "别的公司");
        // Below a department to create, nothing exists yet, whatever its name.
        assert_eq!(
            t.missing("办公逸/新部门/研发部").unwrap(),
            vec!["办公逸/新部门", "办公逸/新部门/研发部"]
        );
    }

    #[test]
    fn planned_renames_and_creates() {
        let mut t = tree();
        t.rename(2, "技术部");
        assert_eq!(t.path(4).unwrap(), "办公逸/技术部/后端组");
        assert_eq!(
            t.resolve("办公逸/研发部/后端组"),
            Some(4),
            "the old name still resolves"
        );
        assert!(t.plan_create("办公逸/技术部/前端组/移动端"));
        let id = t.resolve("办公逸/技术部/前端组/移动端").unwrap();
        assert!(id < 0);
        assert!(!t.plan_create("别处/x"));
    }

    #[test]
    fn hostile_trees_are_walked_once_and_named() {
        // A department that is its own parent (we_id 0 under 0), a circle, an orphan.
        let t = DeptTree::new(vec![
            d(1, "办公逸", 0),
            d(2, "研发部", 1),
            d(0, "自己", 0),
            d(5, "甲", 6),
            d(6, "乙", 5),
            d(7, "孤儿", 99),
            d(8, "孤儿的孩子", 7),
        ]);
        let walked: Vec<(usize, i64)> = t.walk().iter().map(|(k, d)| (*k, d.we_id)).collect();
        assert_eq!(
            walked,
            vec![(0, 1), (1, 2), (0, 0), (0, 5), (1, 6), (0, 7), (1, 8)]
        );
        let problems = t.problems();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(
            problems[0].contains("\"自己\" [we_id 0]") && problems[0].contains("its own parent")
        );
        assert!(problems[1].contains("\"甲\"") && problems[1].contains("circle"));
        assert!(
            problems[3].contains("\"孤儿\"") && problems[3].contains("99 is not in the listing")
        );
        assert!(
            !problems.iter().any(|p| p.contains("孤儿的孩子")),
            "listed below its parent"
        );
        assert_eq!(t.path(5), None, "a circle has no path");
        assert!(tree().problems().is_empty());
    }

    #[test]
    fn walk_is_parents_first() {
        let t = tree();
        let names: Vec<&str> = t.walk().iter().map(|(_, d)| d.we_name.as_str()).collect();
        assert_eq!(names, vec!["办公逸", "研发部", "后端组", "客服部"]);
    }

    #[test]
    fn tails_and_the_nearest_paths() {
        let paths: Vec<String> = [
            "办公逸",
            "办公逸/研发部",
            "办公逸/研发部/后端组",
            "办公逸/客服部/后端组",
        ]
        .map(String::from)
        .into();
        assert_eq!(
            ending_with(&paths, "研发部/后端组"),
            ["办公逸/研发部/后端组"]
        );
        assert_eq!(ending_with(&paths, "后端组").len(), 2);
        assert_eq!(
            nearest_paths(&paths, "办公逸/研发部/后端"),
            ["办公逸/研发部/后端组"]
        );
        assert_eq!(nearest_paths(&paths, "办公逸/研发布"), ["办公逸/研发部"]);
        assert_eq!(
            nearest_paths(&paths, "研发/后端组")[0],
            "办公逸/研发部/后端组"
        );
        assert!(nearest_paths(&paths, "办公逸/财务部/出纳组").is_empty());
    }

    #[test]
    fn one_parser_for_every_department_path() {
        let p = |s: &str| s.parse::<DeptPath>().map(|p| p.to_string());
        assert_eq!(p(" 办公逸 ／ 研发部 / ").unwrap(), "办公逸/研发部");
        assert_eq!(p("办公逸/研发部／").unwrap(), "办公逸/研发部");
        assert!(p("办公逸//研发部").unwrap_err().en.contains("empty level"));
        assert!(p("").is_err() && p(" / ").is_err());
        assert!(p(&format!("办公逸/{}", "长".repeat(65)))
            .unwrap_err()
            .en
            .contains("64 characters"));
        assert!(p("办公逸/研发\u{7}部")
            .unwrap_err()
            .en
            .contains("control character"));
    }
}
