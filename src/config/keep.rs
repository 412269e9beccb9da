//! `bgy.toml`'s `[prune]`: the people a prune never deletes or marks as leavers though the
//! sheet does not name them (an administrator's account, a shared mailbox, the contractors'
//! department the HR system does not export). Without it, such an account is marked on the
//! first night, and marked again each night after an undo takes the mark back.

use std::collections::HashSet;

use crate::model::tree::{is_under, DeptPath, DeptTree};
use crate::model::{Field, StaffRecord};

use super::unattended::Bad;
use super::{UsageError, SETTINGS_FILE};

/// `[prune]` as written.
#[derive(Debug, Default, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Keep {
    /// Accounts, `*` for any characters (`svc-*`), any case.
    #[serde(default)]
    accounts: Vec<String>,
    /// Departments with their sub-departments, as a sheet's 部门 names them (from the root, or
    /// its end when only one department's path ends so).
    #[serde(default)]
    departments: Vec<String>,
}

/// `[prune]`'s keys, as [`Keep`] names them.
pub(super) const KEYS: &[&str] = &["accounts", "departments"];

impl Keep {
    /// `[prune]`'s table, typed (a bad key named).
    pub fn of(table: Option<toml::Table>) -> Result<Keep, Bad> {
        let Some(table) = table else {
            return Ok(Keep::default());
        };
        super::unattended::known("prune", &table, KEYS)?;
        table
            .try_into()
            .map_err(|e| super::unattended::wrong_kind("prune", &e.to_string()))
    }

    /// As `bgy schedule --check` shows it.
    pub fn describe(&self) -> String {
        let list = |what: &str, items: &[String]| {
            (!items.is_empty()).then(|| format!("{what} {}", items.join(", ")))
        };
        let parts: Vec<String> = [
            list("accounts", &self.accounts),
            list("departments", &self.departments),
        ]
        .into_iter()
        .flatten()
        .collect();
        match parts.is_empty() {
            true => "nobody".into(),
            false => parts.join("; "),
        }
    }

    /// Who it keeps in a directory of departments `tree`. An account pattern that is not one,
    /// or a department the tree does not have, is an error naming it: a prune that spared
    /// fewer people than it was told to would delete or mark the others.
    pub fn in_tree(&self, tree: &DeptTree) -> Result<Kept, UsageError> {
        let error = |what: &str, text: &str, why: String| {
            let name = format!("{SETTINGS_FILE} [prune] {what}");
            UsageError(match crate::text::bilingual(&why) {
                Some((zh, en)) => format!("{name}:{text:?} {zh} ({name}: {text:?}: {en})"),
                None => format!("{name}: {text:?}: {why}"),
            })
        };
        let accounts = (self.accounts.iter())
            .map(|a| {
                glob::Pattern::new(a.trim()).map_err(|e| {
                    error(
                        "accounts",
                        a,
                        format!("不是帐号的模式,* 代表任意几个字符 (not an account pattern: {e})"),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        let mut paths = Vec::new();
        for d in &self.departments {
            let path: DeptPath = d
                .parse()
                .map_err(|e| error("departments", d, format!("{e}")))?;
            let (id, _) = tree.find(&path).map_err(|e| error("departments", d, e))?;
            paths.extend(tree.path(id));
        }
        let departments = (tree.walk().into_iter())
            .map(|(_, dept)| dept.we_id)
            .filter(|&id| {
                tree.path(id)
                    .is_some_and(|p| paths.iter().any(|kept| is_under(&p, kept)))
            })
            .collect();
        Ok(Kept {
            accounts,
            departments,
        })
    }
}

/// The people [`Keep`] keeps, in one directory.
#[derive(Debug, Default)]
pub struct Kept {
    accounts: Vec<glob::Pattern>,
    /// The kept departments' we_ids, their sub-departments' included.
    departments: HashSet<i64>,
}

impl Kept {
    /// A person of the listing a prune leaves alone: their account matches, or one of their
    /// departments is kept.
    pub fn keeps(&self, person: &StaffRecord) -> bool {
        let any_case = glob::MatchOptions {
            case_sensitive: false,
            ..glob::MatchOptions::new()
        };
        let account = person.account();
        self.accounts
            .iter()
            .any(|p| p.matches_with(account, any_case))
            || (person.get(Field::WeId).unwrap_or_default().split(','))
                .filter_map(|id| id.trim().parse().ok())
                .any(|id| self.departments.contains(&id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> DeptTree {
        crate::model::tree::tree_of(&[
            (1, "办公逸", 0),
            (2, "研发部", 1),
            (3, "外包", 1),
            (4, "驻场", 3),
            (5, "外包组", 2),
        ])
    }

    fn person(account: &str, ids: &str) -> StaffRecord {
        let mut p = StaffRecord::new();
        p.put(Field::WeUserid, account);
        p.put(Field::WeId, ids);
        p
    }

    #[test]
    fn accounts_by_pattern_and_departments_with_those_below() {
        let keep = Keep::of(Some(
            toml::from_str(
                r#"accounts = ["admin", "svc-*"]
departments = ["办公逸/外包"]"#,
            )
            .unwrap(),
        ))
        .unwrap();
        let kept = keep.in_tree(&tree()).unwrap();
        assert!(kept.keeps(&person("Admin", "2")));
        assert!(kept.keeps(&person("svc-mail", "2")));
        assert!(!kept.keeps(&person("administrator", "2")));
        assert!(kept.keeps(&person("zs", "2,3")));
        assert!(kept.keeps(&person("ls", "4")), "a sub-department");
        assert!(!kept.keeps(&person("ww", "5")), "外包组 is not 外包");
    }

    #[test]
    fn a_department_the_directory_lacks_or_a_bad_key_is_an_error_naming_it() {
        let keep = |text: &str| Keep::of(Some(toml::from_str(text).unwrap()));
        let e = keep(r#"departments = ["办公逸/外包部"]"#)
            .unwrap()
            .in_tree(&tree())
            .unwrap_err();
        assert!(
            e.0.contains("[prune] departments:\"办公逸/外包部\" 没有部门")
                && e.0
                    .contains("[prune] departments: \"办公逸/外包部\": no department"),
            "{e}"
        );
        // Its end, when only one department's path ends so.
        let tail = keep(r#"departments = ["驻场"]"#).unwrap().in_tree(&tree());
        assert!(tail.unwrap().keeps(&person("x", "4")));
        let text = "[prune]\naccount = [\"admin\"]";
        let e = keep("account = [\"admin\"]").unwrap_err().at(text).0;
        assert!(
            e.starts_with("bgy.toml 第 2 行,[prune] account:没有这个设置,是不是 accounts?"),
            "{e}"
        );
        let e = keep(r#"accounts = ["[admin"]"#)
            .unwrap()
            .in_tree(&tree())
            .unwrap_err()
            .0;
        assert!(
            e.contains("\"[admin\" 不是帐号的模式") && e.contains("not an account pattern"),
            "{e}"
        );
    }
}
