//! The emulator's storage: SQLite, one transaction per request, so concurrent requests never
//! see or leave half a change.
//!
//! Rules follow the reference: the errno an operation answers is the one its section lists.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// A refusal: the errno and the vendor's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub errno: i64,
    pub message: String,
}

fn refuse<T>(errno: i64, message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal {
        errno,
        message: message.into(),
    })
}

impl From<rusqlite::Error> for Refusal {
    fn from(e: rusqlite::Error) -> Refusal {
        Refusal {
            errno: 1210,
            message: format!("保存失败: {e}"),
        }
    }
}

/// The fields `staff/list` returns; everything else `staff/add` takes is stored but not listed.
pub const LISTED_FIELDS: &[&str] = &[
    "we_email",
    "we_userid",
    "we_avatar",
    "we_mobile",
    "we_tel",
    "we_gender",
    "we_name",
    "we_position",
    "we_status",
    "we_weixinid",
    "entry_time",
    "positive_time",
    "work_time",
    "quite_time",
    "birthday_g",
    "birthday_l",
];

/// Fields `staff/add` accepts and stores (besides we_userid, cover and the departments).
const STORED_FIELDS: &[&str] = &[
    "we_name",
    "toQy",
    "english_name",
    "we_gender",
    "we_weixinid",
    "we_mobile",
    "we_email",
    "we_position",
    "position_level_id",
    "lead_id",
    "subordinate",
    "we_tag",
    "we_tel",
    "address",
    "status",
    "entry_time",
    "positive_time",
    "quite_time",
    "quite_reason",
    "back_time",
    "work_time",
    "bank_card",
    "bank_name",
    "birthday_g",
    "birthday_l",
    "check_id",
];

/// The seed file (`samples/org.json`).
#[derive(Debug, Deserialize)]
pub struct Seed {
    pub departments: Vec<SeedDepartment>,
    #[serde(default)]
    pub staff: Vec<Map<String, Value>>,
}

#[derive(Debug, Deserialize)]
pub struct SeedDepartment {
    pub we_id: i64,
    pub we_name: String,
    pub we_parentid: i64,
    #[serde(default)]
    pub rank: i64,
    /// A department the app may not write to (`staff/add` there answers 1202).
    #[serde(default)]
    pub readonly: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dept {
    pub department_id: i64,
    pub we_id: i64,
    pub we_name: String,
    pub we_parentid: i64,
    pub rank: i64,
    pub readonly: bool,
}

pub struct Store {
    conn: Mutex<Connection>,
    /// Pages of `staff/list` as sent, kept while the database stays as it was.
    pages: Mutex<Pages>,
}

/// `staff/list` pages already cut, by (we_id, fetch_child, page). A listing of 100,000 people
/// cost the emulator ~1.4 s of CPU (each page skips all the rows before it, then every record
/// is parsed, cut and written again), on the cores of the client it serves; a second listing
/// of an unchanged directory now costs what sending the bytes costs.
#[derive(Default)]
struct Pages {
    /// The database these were cut from: this connection's changes so far and SQLite's
    /// `data_version` (which moves when another connection commits).
    stamp: (u64, i64),
    bytes: usize,
    pages: HashMap<(i64, bool, i64), Arc<str>>,
}

/// Cached pages' text at most; past it the cache starts again.
const PAGES_MAX_BYTES: usize = 256 << 20;

impl Store {
    pub fn open(path: &Path) -> rusqlite::Result<Store> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // SQLite's own cache is 2 MB: every page of a listing read the file again through
        // the kernel (most of its CPU at 100,000 people, on the machine bgy itself runs on).
        conn.pragma_update(None, "cache_size", -256 * 1024)?;
        Store::init(conn)
    }

    /// What the write-ahead log holds, written into the state file itself and the log emptied
    /// (`wal_checkpoint(TRUNCATE)`): the file alone is then the whole state, even if the
    /// process ends without closing it (someone copying `emulator.sqlite` copies it all).
    pub fn checkpoint(&self) -> rusqlite::Result<()> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
    }

    pub fn in_memory() -> rusqlite::Result<Store> {
        Store::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> rusqlite::Result<Store> {
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS department (
                department_id INTEGER PRIMARY KEY AUTOINCREMENT,
                we_id INTEGER NOT NULL UNIQUE,
                we_name TEXT NOT NULL,
                we_parentid INTEGER NOT NULL,
                rank INTEGER NOT NULL DEFAULT 0,
                readonly INTEGER NOT NULL DEFAULT 0);
             CREATE TABLE IF NOT EXISTS staff (
                staff_id INTEGER PRIMARY KEY AUTOINCREMENT,
                we_userid TEXT NOT NULL UNIQUE COLLATE NOCASE,
                check_id INTEGER UNIQUE,
                data TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS staff_department (
                staff_id INTEGER NOT NULL,
                we_id INTEGER NOT NULL,
                pos INTEGER NOT NULL,
                PRIMARY KEY (staff_id, we_id));
             CREATE INDEX IF NOT EXISTS staff_department_we_id ON staff_department (we_id);",
        )?;
        Ok(Store {
            conn: Mutex::new(conn),
            pages: Mutex::default(),
        })
    }

    fn with_tx<T>(&self, f: impl FnOnce(&Transaction) -> Result<T, Refusal>) -> Result<T, Refusal> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    pub fn is_empty(&self) -> bool {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        conn.query_row("SELECT COUNT(*) FROM department", [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| n == 0)
        .unwrap_or(true)
    }

    /// Loads a seed into an empty store. Staff go through the same rules as `staff/add`.
    pub fn seed(&self, seed: &Seed) -> Result<(), Refusal> {
        self.with_tx(|tx| {
            for d in &seed.departments {
                tx.execute(
                    "INSERT INTO department (we_id, we_name, we_parentid, rank, readonly) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![d.we_id, d.we_name, d.we_parentid, d.rank, d.readonly],
                )?;
            }
            Ok(())
        })?;
        self.insert_staff(seed.staff.iter().map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), value_text(v)))
                .collect::<HashMap<_, _>>()
        }))
    }

    /// Adds many people in one transaction (seeding and benchmarks); each must be new and valid,
    /// and may be placed in a read-only department, as an administrator can in the console.
    pub fn insert_staff(
        &self,
        people: impl IntoIterator<Item = HashMap<String, String>>,
    ) -> Result<(), Refusal> {
        self.with_tx(|tx| {
            let tree = Tree::load(tx)?;
            for mut form in people {
                form.insert("cover".into(), "0".into());
                add_staff(tx, &tree, &form, Writer::Admin)?;
            }
            Ok(())
        })
    }

    // ---- departments ----

    pub fn department_page(&self, page: i64) -> Result<(i64, Vec<Value>), Refusal> {
        self.with_tx(|tx| {
            let count: i64 = tx.query_row("SELECT COUNT(*) FROM department", [], |r| r.get(0))?;
            let mut stmt = tx.prepare(
                "SELECT department_id, we_id, we_name, we_parentid, rank FROM department
                 ORDER BY department_id LIMIT 1000 OFFSET ?1",
            )?;
            let rows = stmt
                .query_map([(page.max(1) - 1) * 1000], |r| {
                    Ok(json!({
                        "department_id": r.get::<_, i64>(0)?.to_string(),
                        "we_id": r.get::<_, i64>(1)?.to_string(),
                        "we_name": r.get::<_, String>(2)?,
                        "we_parentid": r.get::<_, i64>(3)?.to_string(),
                        "rank": r.get::<_, i64>(4)?.to_string(),
                    }))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok((count, rows))
        })
    }

    pub fn departments(&self) -> Vec<Dept> {
        self.with_tx(|tx| Ok(Tree::load(tx)?.depts.into_values().collect()))
            .unwrap_or_default()
    }

    pub fn create_department(&self, name: &str, parent: i64) -> Result<i64, Refusal> {
        self.with_tx(|tx| {
            let tree = Tree::load(tx)?;
            let name = name.trim();
            check_department_name(name)?;
            if parent == 0 {
                return refuse(1206, "非法操作部门: 不能新建根部门");
            }
            if !tree.depts.contains_key(&parent) {
                return refuse(1205, "部门不存在");
            }
            if tree.child(parent, name).is_some() {
                return refuse(1210, "部门操作失败: 同级已有同名部门");
            }
            let we_id = tree.depts.keys().max().copied().unwrap_or(0) + 1;
            let rank = tree
                .depts
                .values()
                .filter(|d| d.we_parentid == parent)
                .map(|d| d.rank)
                .max()
                .map_or(0, |r| r + 100);
            tx.execute(
                "INSERT INTO department (we_id, we_name, we_parentid, rank) VALUES (?1, ?2, ?3, ?4)",
                params![we_id, name, parent, rank],
            )?;
            Ok(we_id)
        })
    }

    pub fn edit_department(&self, we_id: i64, name: &str) -> Result<(), Refusal> {
        self.with_tx(|tx| {
            let tree = Tree::load(tx)?;
            let name = name.trim();
            let Some(dept) = tree.depts.get(&we_id) else {
                return refuse(1205, "部门不存在");
            };
            check_department_name(name)?;
            if let Some(other) = tree.child(dept.we_parentid, name) {
                if other.we_id != we_id {
                    return refuse(1210, "部门操作失败: 同级已有同名部门");
                }
            }
            tx.execute(
                "UPDATE department SET we_name = ?1 WHERE we_id = ?2",
                params![name, we_id],
            )?;
            Ok(())
        })
    }

    // ---- staff ----

    /// `staff/list`'s `data` as JSON text: `count` and one page of 1,000 people.
    pub fn staff_page(
        &self,
        we_id: i64,
        fetch_child: bool,
        page: i64,
    ) -> Result<Arc<str>, Refusal> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let version: i64 = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        let stamp = (conn.total_changes(), version);
        let key = (we_id, fetch_child, page.max(1));
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if pages.stamp != stamp || pages.bytes > PAGES_MAX_BYTES {
            *pages = Pages {
                stamp,
                ..Pages::default()
            };
        }
        if let Some(text) = pages.pages.get(&key) {
            return Ok(text.clone());
        }
        let tx = conn.transaction()?;
        let (count, list) = staff_page(&tx, we_id, fetch_child, key.2)?;
        tx.commit()?;
        let data = json!({ "count": count.to_string(), "staff_list": list });
        let text: Arc<str> = data.to_string().into();
        pages.bytes += text.len();
        pages.pages.insert(key, text.clone());
        Ok(text)
    }

    /// `staff/add`: the id of the saved person.
    pub fn add_staff(&self, form: &HashMap<String, String>) -> Result<i64, Refusal> {
        self.with_tx(|tx| {
            let tree = Tree::load(tx)?;
            add_staff(tx, &tree, form, Writer::Api)
        })
    }

    /// `staff/delete`. 1213 when none exists; 1214 when some do not, or some are in a
    /// read-only department (those stay; the others are gone); 1202 when every one is
    /// protected so.
    pub fn delete_staff(&self, accounts: &[String]) -> Result<(), Refusal> {
        let accounts: Vec<&str> = accounts
            .iter()
            .map(|a| a.trim())
            .filter(|a| !a.is_empty())
            .collect();
        if accounts.is_empty() {
            return refuse(1211, "参数错误(we_userids不存在)");
        }
        if accounts.len() > 200 {
            return refuse(1212, "删除失败,删除数量超过200人");
        }
        let (missing, protected) = self.with_tx(|tx| {
            let (mut missing, mut protected) = (0, 0);
            for account in &accounts {
                let id: Option<i64> = tx
                    .query_row(
                        "SELECT staff_id FROM staff WHERE we_userid = ?1 COLLATE NOCASE",
                        [account],
                        |r| r.get(0),
                    )
                    .optional()?;
                let Some(id) = id else {
                    missing += 1;
                    continue;
                };
                let readonly: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM staff_department s JOIN department d
                       ON d.we_id = s.we_id WHERE s.staff_id = ?1 AND d.readonly)",
                    [id],
                    |r| r.get(0),
                )?;
                if readonly {
                    protected += 1;
                    continue;
                }
                tx.execute("DELETE FROM staff WHERE staff_id = ?1", [id])?;
                tx.execute("DELETE FROM staff_department WHERE staff_id = ?1", [id])?;
            }
            Ok((missing, protected))
        })?;
        // As the reference: the ones that could go are gone; it does not say which failed.
        if missing == accounts.len() {
            refuse(1213, "删除失败,员工不存在")
        } else if protected == accounts.len() {
            refuse(1202, "接口调用失败,可能未授权通讯录权限,或者可写部门")
        } else if missing + protected > 0 {
            refuse(1214, "删除失败(个别员工删除失败)")
        } else {
            Ok(())
        }
    }

    /// `staff/entry-time`: the rows that failed, as `(we_userid, msg)`.
    pub fn entry_time(
        &self,
        rows: &[Map<String, Value>],
    ) -> Result<Vec<(String, String)>, Refusal> {
        if rows.len() > 50 {
            return refuse(1211, "参数错误: data 最多50条记录");
        }
        self.with_tx(|tx| {
            let mut failures = Vec::new();
            for row in rows {
                let account = row.get("we_userid").map(value_text).unwrap_or_default();
                let found: Option<(i64, String)> = tx
                    .query_row(
                        "SELECT staff_id, data FROM staff WHERE we_userid = ?1 COLLATE NOCASE",
                        [&account],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                let Some((id, data)) = found else {
                    failures.push((account, "员工帐号不存在".to_string()));
                    continue;
                };
                let mut record: Map<String, Value> =
                    serde_json::from_str(&data).unwrap_or_default();
                let mut bad = None;
                for key in ["entry_time", "work_time", "positive_time", "quite_time"] {
                    if let Some(v) = row.get(key).map(value_text).filter(|v| !v.is_empty()) {
                        match parse_api_date(&v) {
                            Some(d) => {
                                record.insert(key.into(), Value::String(d));
                            }
                            None => bad = Some(format!("{key} 日期格式错误: {v}")),
                        }
                    }
                }
                if let Some(msg) = bad {
                    failures.push((account, msg));
                    continue;
                }
                if let Some(name) = row.get("we_name").map(value_text).filter(|v| !v.is_empty()) {
                    record.insert("we_name".into(), Value::String(name));
                }
                tx.execute(
                    "UPDATE staff SET data = ?1 WHERE staff_id = ?2",
                    params![Value::Object(record).to_string(), id],
                )?;
            }
            Ok(failures)
        })
    }

    /// Everything stored about one person (for tests and the export of non-listed fields).
    pub fn person(&self, account: &str) -> Option<Map<String, Value>> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let (id, data): (i64, String) = conn
            .query_row(
                "SELECT staff_id, data FROM staff WHERE we_userid = ?1 COLLATE NOCASE",
                [account],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .ok()??;
        let mut record: Map<String, Value> = serde_json::from_str(&data).ok()?;
        let depts: Vec<String> = conn
            .prepare("SELECT we_id FROM staff_department WHERE staff_id = ?1 ORDER BY pos")
            .and_then(|mut s| {
                s.query_map([id], |r| r.get::<_, i64>(0))
                    .and_then(|rows| rows.map(|r| r.map(|i| i.to_string())).collect())
            })
            .ok()?;
        record.insert("we_department".into(), Value::String(depts.join(",")));
        Some(record)
    }

    pub fn staff_count(&self) -> i64 {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        conn.query_row("SELECT COUNT(*) FROM staff", [], |r| r.get(0))
            .unwrap_or(0)
    }

    /// Every account, sorted.
    pub fn accounts(&self) -> Vec<String> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        conn.prepare("SELECT we_userid FROM staff ORDER BY we_userid")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .unwrap_or_default()
    }
}

/// One page of `staff/list`: the count, and the people as the listing shows them.
fn staff_page(
    tx: &Transaction,
    we_id: i64,
    fetch_child: bool,
    page: i64,
) -> Result<(i64, Vec<Value>), Refusal> {
    let offset = (page.max(1) - 1) * 1000;
    let (count, datas): (i64, Vec<(i64, String, String)>) = if we_id == 0 {
        let count = tx.query_row("SELECT COUNT(*) FROM staff", [], |r| r.get(0))?;
        let mut stmt = tx.prepare_cached(
            "SELECT s.staff_id, s.data, COALESCE((SELECT group_concat(we_id, ',') FROM
                (SELECT we_id FROM staff_department d WHERE d.staff_id = s.staff_id ORDER BY pos)), '')
             FROM staff s ORDER BY s.staff_id LIMIT 1000 OFFSET ?1",
        )?;
        let rows = stmt
            .query_map([offset], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        (count, rows)
    } else {
        let tree = Tree::load(tx)?;
        let ids = if fetch_child {
            tree.subtree(we_id)
        } else if tree.depts.contains_key(&we_id) {
            vec![we_id]
        } else {
            vec![]
        };
        let list = ids
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let filter = format!(
            "s.staff_id IN (SELECT staff_id FROM staff_department WHERE we_id IN ({list}))"
        );
        let count = tx.query_row(
            &format!("SELECT COUNT(*) FROM staff s WHERE {filter}"),
            [],
            |r| r.get(0),
        )?;
        let mut stmt = tx.prepare(&format!(
            "SELECT s.staff_id, s.data, COALESCE((SELECT group_concat(we_id, ',') FROM
                (SELECT we_id FROM staff_department d WHERE d.staff_id = s.staff_id ORDER BY pos)), '')
             FROM staff s WHERE {filter} ORDER BY s.staff_id LIMIT 1000 OFFSET ?1"
        ))?;
        let rows = stmt
            .query_map([offset], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        (count, rows)
    };
    let list = datas
        .into_iter()
        .map(|(id, data, depts)| {
            // The stored record itself, cut to what the listing shows: no second map.
            let mut out: Map<String, Value> = serde_json::from_str(&data).unwrap_or_default();
            out.retain(|k, _| LISTED_FIELDS.contains(&k.as_str()));
            for key in LISTED_FIELDS {
                if !out.contains_key(*key) {
                    out.insert((*key).into(), Value::String(String::new()));
                }
            }
            out.insert("staff_id".into(), Value::String(id.to_string()));
            out.insert("we_department".into(), Value::String(depts));
            Value::Object(out)
        })
        .collect();
    Ok((count, list))
}

fn check_department_name(name: &str) -> Result<(), Refusal> {
    if name.is_empty() || name.contains('/') || name.contains(';') || name.chars().count() > 64 {
        return refuse(1206, "非法操作部门: 部门名称为空、过长或含有 / ;");
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writer {
    Api,
    Admin,
}

/// The department tree of one transaction.
struct Tree {
    depts: BTreeMap<i64, Dept>,
}

impl Tree {
    fn load(tx: &Transaction) -> Result<Tree, Refusal> {
        let mut stmt = tx.prepare(
            "SELECT department_id, we_id, we_name, we_parentid, rank, readonly FROM department",
        )?;
        let depts = stmt
            .query_map([], |r| {
                Ok(Dept {
                    department_id: r.get(0)?,
                    we_id: r.get(1)?,
                    we_name: r.get(2)?,
                    we_parentid: r.get(3)?,
                    rank: r.get(4)?,
                    readonly: r.get(5)?,
                })
            })?
            .map(|d| d.map(|d| (d.we_id, d)))
            .collect::<Result<_, _>>()?;
        Ok(Tree { depts })
    }

    fn child(&self, parent: i64, name: &str) -> Option<&Dept> {
        self.depts
            .values()
            .find(|d| d.we_parentid == parent && d.we_name == name)
    }

    fn subtree(&self, root: i64) -> Vec<i64> {
        if !self.depts.contains_key(&root) {
            return vec![];
        }
        let mut out = vec![root];
        let mut i = 0;
        while i < out.len() {
            let parent = out[i];
            out.extend(
                self.depts
                    .values()
                    .filter(|d| d.we_parentid == parent)
                    .map(|d| d.we_id),
            );
            i += 1;
        }
        out
    }

    /// `办公逸/研发部/后端组` → the last level's we_id.
    fn resolve(&self, path: &str) -> Option<i64> {
        let mut parent = 0;
        for part in path.split('/').map(str::trim) {
            if part.is_empty() {
                return None;
            }
            parent = self.child(parent, part)?.we_id;
        }
        (parent != 0).then_some(parent)
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `2016-01-01` or `2016-1-1` → `2016-01-01`.
fn parse_api_date(s: &str) -> Option<String> {
    let mut parts = s.trim().splitn(3, '-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    chrono::NaiveDate::from_ymd_opt(y, m, d).map(|d| d.format("%Y-%m-%d").to_string())
}

/// `by` says who writes: the API, which may not touch read-only departments, or the
/// console's administrator (seeds and benchmarks), who may.
fn add_staff(
    tx: &Transaction,
    tree: &Tree,
    form: &HashMap<String, String>,
    by: Writer,
) -> Result<i64, Refusal> {
    let get = |k: &str| form.get(k).map(|v| v.trim()).unwrap_or("");
    let account = get("we_userid");
    if account.is_empty() {
        return refuse(1203, "帐号不能为空");
    }
    let cover = get("cover") == "1";
    let existing: Option<(i64, String)> = tx
        .query_row(
            "SELECT staff_id, data FROM staff WHERE we_userid = ?1 COLLATE NOCASE",
            [account],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if existing.is_some() && !cover {
        return refuse(1204, "帐号已存在");
    }
    let mut record: Map<String, Value> = existing
        .as_ref()
        .and_then(|(_, d)| serde_json::from_str(d).ok())
        .unwrap_or_default();
    for key in STORED_FIELDS {
        if let Some(v) = form.get(*key) {
            let v = v.trim();
            if !v.is_empty() {
                record.insert((*key).into(), Value::String(v.to_string()));
            }
        }
    }
    let field = |k: &str| record.get(k).map(value_text).unwrap_or_default();
    if field("we_mobile").is_empty()
        && field("we_weixinid").is_empty()
        && field("we_email").is_empty()
    {
        return refuse(1205, "手机号&微信号&邮箱三者不能同时为空");
    }
    let check_number = check_number(&field("check_id"))?;
    let departments = departments(tree, get("we_id"), get("we_department"))?;
    if existing.is_none() && departments.as_ref().is_none_or(|d| d.is_empty()) {
        return refuse(1207, "部门不能为空");
    }
    if let (Some(ids), Writer::Api) = (&departments, by) {
        if ids
            .iter()
            .any(|id| tree.depts.get(id).is_some_and(|d| d.readonly))
        {
            return refuse(1202, "接口调用失败,可能未授权通讯录权限,或者可写部门");
        }
    }
    let name = field("we_name");
    if name.is_empty() || name.chars().count() > 64 || account.chars().count() > 64 {
        return refuse(1210, "保存失败: 姓名为空或帐号、姓名过长");
    }
    if let Some(n) = check_number {
        check_id_free(tx, n, account)?;
    }
    let status = if field("toQy") == "-1" { "-1" } else { "4" };
    // WeCom ignores the case of accounts and keeps the spelling it was first given.
    record
        .entry("we_userid")
        .or_insert(Value::String(account.to_string()));
    record
        .entry("we_status")
        .or_insert(Value::String(status.into()));
    record
        .entry("we_avatar")
        .or_insert(Value::String(String::new()));
    let id = write_staff(
        tx,
        existing.map(|(id, _)| id),
        account,
        check_number,
        record,
    )?;
    if let Some(ids) = departments {
        place(tx, id, ids)?;
    }
    Ok(id)
}

/// 1206 when another account holds check id `n`.
fn check_id_free(tx: &Transaction, n: i64, account: &str) -> Result<(), Refusal> {
    let holder: Option<String> = tx
        .query_row(
            "SELECT we_userid FROM staff WHERE check_id = ?1",
            [n],
            |r| r.get(0),
        )
        .optional()?;
    if holder.is_some_and(|h| !h.eq_ignore_ascii_case(account)) {
        return refuse(1206, "考勤机员工编号已存在");
    }
    Ok(())
}

/// A check id as the reference's errnos judge it (1216, 1208, 1215); none when empty.
fn check_number(check_id: &str) -> Result<Option<i64>, Refusal> {
    if check_id.is_empty() {
        return Ok(None);
    }
    if !check_id.bytes().all(|b| b.is_ascii_digit()) {
        return refuse(1216, "考勤机员工编号必须为数字");
    }
    if check_id.starts_with('0') {
        return refuse(1208, "考勤机员工编号不能以0开头");
    }
    match check_id.parse::<i64>() {
        Ok(n) if n <= 2_147_483_647 => Ok(Some(n)),
        _ => refuse(1215, "考勤机员工编号不能大于2147483647"),
    }
}

/// A form's departments: ids win over paths; none when it names neither (an update keeps the
/// old ones).
fn departments(tree: &Tree, ids_text: &str, paths_text: &str) -> Result<Option<Vec<i64>>, Refusal> {
    let mut ids = Vec::new();
    if !ids_text.is_empty() {
        for part in ids_text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.parse::<i64>() {
                Ok(id) if tree.depts.contains_key(&id) => ids.push(id),
                _ => return refuse(1209, format!("添加或者更新员工失败: 部门 {part} 不存在")),
            }
        }
    } else if !paths_text.is_empty() {
        for path in paths_text
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match tree.resolve(path) {
                Some(id) => ids.push(id),
                None => return refuse(1209, format!("添加或者更新员工失败: 部门 {path} 不存在")),
            }
        }
    } else {
        return Ok(None);
    }
    Ok(Some(ids))
}

/// Inserts or updates the record; its staff_id.
fn write_staff(
    tx: &Transaction,
    existing: Option<i64>,
    account: &str,
    check_number: Option<i64>,
    record: Map<String, Value>,
) -> Result<i64, Refusal> {
    let data = Value::Object(record).to_string();
    Ok(match existing {
        Some(id) => {
            tx.execute(
                "UPDATE staff SET data = ?1, check_id = ?2 WHERE staff_id = ?3",
                params![data, check_number, id],
            )?;
            id
        }
        None => {
            tx.execute(
                "INSERT INTO staff (we_userid, check_id, data) VALUES (?1, ?2, ?3)",
                params![account, check_number, data],
            )?;
            tx.last_insert_rowid()
        }
    })
}

/// Puts a person in exactly these departments, in this order.
fn place(tx: &Transaction, id: i64, ids: Vec<i64>) -> Result<(), Refusal> {
    tx.execute("DELETE FROM staff_department WHERE staff_id = ?1", [id])?;
    let mut seen = HashSet::new();
    for (pos, we_id) in ids.into_iter().filter(|i| seen.insert(*i)).enumerate() {
        tx.execute(
            "INSERT INTO staff_department (staff_id, we_id, pos) VALUES (?1, ?2, ?3)",
            params![id, we_id, pos as i64],
        )?;
    }
    Ok(())
}
