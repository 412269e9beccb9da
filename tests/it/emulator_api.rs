//! Every endpoint and every documented errno, over HTTP against the emulator.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::common::*;

async fn post_form(emu: &bgy::emulator::Running, path: &str, form: &[(&str, &str)]) -> Value {
    reqwest::Client::new()
        .post(format!(
            "{}/address/api/{path}?ticket={TICKET}",
            emu.base_url()
        ))
        .form(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn get(emu: &bgy::emulator::Running, path_and_query: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}/address/api/{path_and_query}", emu.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn errno(v: &Value) -> i64 {
    // A number, as every example of the reference shows; data fields stay strings.
    v["errno"]
        .as_i64()
        .unwrap_or_else(|| panic!("no numeric errno in {v}"))
}

fn add(
    base: &[(&'static str, &'static str)],
    extra: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    let mut v = base.to_vec();
    for (k, val) in extra {
        v.retain(|(bk, _)| bk != k);
        v.push((k, val));
    }
    v
}

const NEW: &[(&str, &str)] = &[
    ("cover", "0"),
    ("we_userid", "wangwu"),
    ("we_name", "王五"),
    ("we_mobile", "13900139000"),
    ("we_id", "2"),
];

#[tokio::test]
async fn department_list_pages_with_numbers_as_strings() {
    let emu = emulator().await;
    let v = get(&emu, &format!("department/list?ticket={TICKET}&page=1")).await;
    assert_eq!(errno(&v), 0);
    assert_eq!(v["data"]["count"], json!("5"));
    let list = v["data"]["department_list"].as_array().unwrap();
    assert_eq!(list.len(), 5);
    assert_eq!(list[1]["we_id"], json!("2"));
    assert_eq!(list[1]["we_parentid"], json!("1"));
    let page2 = get(&emu, &format!("department/list?ticket={TICKET}&page=2")).await;
    assert_eq!(
        page2["data"]["department_list"].as_array().unwrap().len(),
        0
    );
}

#[tokio::test]
async fn staff_list_filters_by_department_and_pages_by_1000() {
    let emu = emulator().await;
    emu.store.insert_staff(people("p", 2100)).unwrap();
    let client = client_for(&emu, TICKET);
    let all = client.staff(0, false).await.unwrap();
    assert_eq!(all.count, 2102);
    assert_eq!(all.items.len(), 2102);
    assert!(all.is_complete());
    // Page 3 holds the last 102.
    let v = get(&emu, &format!("staff/list?ticket={TICKET}&page=3")).await;
    assert_eq!(v["data"]["staff_list"].as_array().unwrap().len(), 102);
    assert_eq!(v["data"]["count"], json!("2102"));
    // 研发部 alone: zhangsan + the 1050 even ones; with children also lisi and the odd ones.
    let dev = client.staff(2, false).await.unwrap();
    assert_eq!(dev.items.len(), 1051);
    let dev_tree = client.staff(2, true).await.unwrap();
    assert_eq!(dev_tree.items.len(), 2102, "everyone is in 研发部 or below");
    let lisi = dev_tree
        .items
        .iter()
        .find(|s| s.we_userid() == "lisi")
        .unwrap();
    assert_eq!(lisi.department_ids(), vec![3, 4]);
}

/// The accounts on one page of `staff/list`, and its count.
async fn listed(emu: &bgy::emulator::Running, query: &str) -> (Value, Vec<String>) {
    let v = get(emu, &format!("staff/list?ticket={TICKET}&{query}")).await;
    let accounts = v["data"]["staff_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["we_userid"].as_str().unwrap().to_string())
        .collect();
    (v["data"]["count"].clone(), accounts)
}

#[tokio::test]
async fn staff_list_answers_every_change_since_the_last_listing() {
    // Pages are kept once cut; whatever changes the directory must show at once.
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("emu.sqlite");
    let store = bgy::emulator::Store::open(&state).unwrap();
    store.seed(&small_seed()).unwrap();
    let emu = bgy::emulator::start_local(
        store,
        bgy::emulator::Options {
            ticket: TICKET.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (count, before) = listed(&emu, "page=1").await;
    assert_eq!(count, json!("2"));
    assert!(!before.contains(&"wangwu".to_string()));
    // Over HTTP.
    assert_eq!(errno(&post_form(&emu, "staff/add", NEW).await), 0);
    let (count, after) = listed(&emu, "page=1").await;
    assert_eq!(count, json!("3"));
    assert!(after.contains(&"wangwu".to_string()), "{after:?}");
    let (_, in_dev) = listed(&emu, "we_id=2&page=1").await;
    assert!(in_dev.contains(&"wangwu".to_string()));
    let gone = post_form(&emu, "staff/delete", &[("we_userids", "wangwu")]).await;
    assert_eq!(errno(&gone), 0);
    assert!(!listed(&emu, "page=1")
        .await
        .1
        .contains(&"wangwu".to_string()));
    assert!(!listed(&emu, "we_id=2&page=1")
        .await
        .1
        .contains(&"wangwu".to_string()));
    // Through the store itself, as tests and benchmarks seed it.
    emu.store.insert_staff(people("p", 3)).unwrap();
    assert_eq!(listed(&emu, "page=1").await.0, json!("5"));
    // And by another connection to the state file.
    let other = rusqlite::Connection::open(&state).unwrap();
    other
        .execute("DELETE FROM staff WHERE we_userid = 'p000001'", [])
        .unwrap();
    let (count, accounts) = listed(&emu, "page=1").await;
    assert_eq!(count, json!("4"));
    assert!(!accounts.contains(&"p000001".to_string()), "{accounts:?}");
}

#[tokio::test]
async fn wrong_ticket_is_errno_1201() {
    let emu = emulator().await;
    let v = get(&emu, "department/list?ticket=wrong&page=1").await;
    assert_eq!(errno(&v), 1201);
    assert!(v["errmsg"].as_str().unwrap().contains("ticket"));
}

#[tokio::test]
async fn create_department_and_its_errors() {
    let emu = emulator().await;
    let ok = post_form(
        &emu,
        "department/createdepartment",
        &[("we_name", "前端组"), ("we_parentid", "2")],
    )
    .await;
    assert_eq!(errno(&ok), 0);
    assert!(emu
        .store
        .departments()
        .iter()
        .any(|d| d.we_name == "前端组" && d.we_parentid == 2));
    // Parent does not exist.
    let v = post_form(
        &emu,
        "department/createdepartment",
        &[("we_name", "x"), ("we_parentid", "77")],
    )
    .await;
    assert_eq!(errno(&v), 1205);
    // Illegal: a second root, or an empty name.
    let v = post_form(
        &emu,
        "department/createdepartment",
        &[("we_name", "x"), ("we_parentid", "0")],
    )
    .await;
    assert_eq!(errno(&v), 1206);
    let v = post_form(
        &emu,
        "department/createdepartment",
        &[("we_name", " "), ("we_parentid", "1")],
    )
    .await;
    assert_eq!(errno(&v), 1206);
    // The same name twice under one parent fails.
    let v = post_form(
        &emu,
        "department/createdepartment",
        &[("we_name", "前端组"), ("we_parentid", "2")],
    )
    .await;
    assert_eq!(errno(&v), 1210);
    assert_eq!(emu.store.departments().len(), 6);
}

#[tokio::test]
async fn edit_department_and_its_errors() {
    let emu = emulator().await;
    let v = post_form(
        &emu,
        "department/editdepartment",
        &[("we_name", "技术部"), ("we_id", "2")],
    )
    .await;
    assert_eq!(errno(&v), 0);
    assert!(emu
        .store
        .departments()
        .iter()
        .any(|d| d.we_id == 2 && d.we_name == "技术部"));
    let v = post_form(
        &emu,
        "department/editdepartment",
        &[("we_name", "x"), ("we_id", "404")],
    )
    .await;
    assert_eq!(errno(&v), 1205);
    let v = post_form(
        &emu,
        "department/editdepartment",
        &[("we_name", "a/b"), ("we_id", "2")],
    )
    .await;
    assert_eq!(errno(&v), 1206);
    let v = post_form(
        &emu,
        "department/editdepartment",
        &[("we_name", "客服部"), ("we_id", "2")],
    )
    .await;
    assert_eq!(errno(&v), 1210);
}

#[tokio::test]
async fn staff_add_creates_updates_and_answers_every_documented_errno() {
    let emu = emulator().await;
    let v = post_form(&emu, "staff/add", NEW).await;
    assert_eq!(errno(&v), 0, "{v}");
    assert!(v["data"]["id"].as_i64().is_some());
    let p = emu.store.person("wangwu").unwrap();
    assert_eq!(p["we_mobile"], json!("13900139000"));

    let cases: Vec<(Vec<(&str, &str)>, i64)> = vec![
        (add(NEW, &[("we_userid", "")]), 1203),
        (NEW.to_vec(), 1204),
        (add(NEW, &[("we_userid", "n1"), ("we_mobile", "")]), 1205),
        (add(NEW, &[("we_userid", "n2"), ("check_id", "1001")]), 1206),
        (add(NEW, &[("we_userid", "n3"), ("we_id", "")]), 1207),
        (add(NEW, &[("we_userid", "n4"), ("check_id", "0123")]), 1208),
        (add(NEW, &[("we_userid", "n5"), ("we_id", "404")]), 1209),
        (add(NEW, &[("we_userid", "n6"), ("we_name", "")]), 1210),
        (
            add(NEW, &[("we_userid", "n7"), ("check_id", "2147483648")]),
            1215,
        ),
        (add(NEW, &[("we_userid", "n8"), ("check_id", "12a")]), 1216),
        (add(NEW, &[("we_userid", "n9"), ("we_id", "9")]), 1202),
    ];
    for (form, expected) in cases {
        let v = post_form(&emu, "staff/add", &form).await;
        assert_eq!(errno(&v), expected, "{form:?} → {v}");
    }
    // None of the refused ones exists.
    for n in 1..=9 {
        assert!(emu.store.person(&format!("n{n}")).is_none());
    }
    // cover=1 updates only the fields given; department paths resolve from the root.
    let v = post_form(
        &emu,
        "staff/add",
        &[
            ("cover", "1"),
            ("we_userid", "wangwu"),
            ("we_name", "王五"),
            ("we_department", "办公逸/研发部/后端组;办公逸/客服部"),
        ],
    )
    .await;
    assert_eq!(errno(&v), 0, "{v}");
    let p = emu.store.person("wangwu").unwrap();
    assert_eq!(p["we_mobile"], json!("13900139000"));
    assert_eq!(p["we_department"], json!("4,3"));
    let v = post_form(
        &emu,
        "staff/add",
        &add(
            NEW,
            &[
                ("we_userid", "n10"),
                ("we_id", ""),
                ("we_department", "办公逸/不存在"),
            ],
        ),
    )
    .await;
    assert_eq!(errno(&v), 1209);
}

#[tokio::test]
async fn staff_delete_limits_and_partial_failures() {
    let emu = emulator().await;
    emu.store.insert_staff(people("d", 300)).unwrap();
    let accounts: Vec<String> = (0..201).map(|i| format!("d{i:06}")).collect();
    let v = post_form(&emu, "staff/delete", &[("we_userids", &accounts.join(","))]).await;
    assert_eq!(errno(&v), 1212);
    assert_eq!(
        emu.store.staff_count(),
        302,
        "nothing deleted over the limit"
    );
    let v = post_form(&emu, "staff/delete", &[]).await;
    assert_eq!(errno(&v), 1211);
    let v = post_form(&emu, "staff/delete", &[("we_userids", "ghost1,ghost2")]).await;
    assert_eq!(errno(&v), 1213);
    let v = post_form(&emu, "staff/delete", &[("we_userids", "zhangsan,ghost")]).await;
    assert_eq!(errno(&v), 1214);
    assert!(
        emu.store.person("zhangsan").is_none(),
        "the known one is gone"
    );
    // Someone in a read-only department stays; the answer does not say who.
    emu.store
        .insert_staff([HashMap::from([
            ("we_userid".to_string(), "ro".to_string()),
            ("we_name".to_string(), "外包甲".to_string()),
            ("we_mobile".to_string(), "13900000001".to_string()),
            ("we_id".to_string(), "9".to_string()),
        ])])
        .unwrap();
    let v = post_form(&emu, "staff/delete", &[("we_userids", "ro,d000250")]).await;
    assert_eq!(errno(&v), 1214);
    assert!(emu.store.person("ro").is_some() && emu.store.person("d000250").is_none());
    let v = post_form(&emu, "staff/delete", &[("we_userids", "ro")]).await;
    assert_eq!(errno(&v), 1202, "every one protected: {v}");
    assert!(emu.store.person("ro").is_some());
    // Arrays work too, and 200 is allowed.
    let form: Vec<(&str, &str)> = accounts[..200]
        .iter()
        .map(|a| ("we_userids[]", a.as_str()))
        .collect();
    let v = post_form(&emu, "staff/delete", &form).await;
    assert_eq!(errno(&v), 0, "{v}");
    assert_eq!(emu.store.staff_count(), 101);
}

#[tokio::test]
async fn entry_time_is_json_and_reports_failures_per_row() {
    let emu = emulator().await;
    let body = json!({"time": 1555307348, "data": [
        {"we_userid": "zhangsan", "we_name": "张三丰", "entry_time": "2020-4-22", "quite_time": "2021-01-31"},
        {"we_userid": "nobody", "entry_time": "2020-04-22"}
    ]});
    let v: Value = reqwest::Client::new()
        .post(format!(
            "{}/address/api/staff/entry-time?ticket={TICKET}",
            emu.base_url()
        ))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(errno(&v), 0);
    assert_eq!(
        v["data"],
        json!([{"we_userid": "nobody", "msg": "员工帐号不存在"}])
    );
    let p = emu.store.person("zhangsan").unwrap();
    assert_eq!(p["entry_time"], json!("2020-04-22"));
    assert_eq!(p["quite_time"], json!("2021-01-31"));
    assert_eq!(p["we_name"], json!("张三丰"));
    // More than 50 rows, or none: 1211.
    let rows: Vec<Value> = (0..51)
        .map(|i| json!({"we_userid": format!("u{i}")}))
        .collect();
    let v: Value = reqwest::Client::new()
        .post(format!(
            "{}/address/api/staff/entry-time?ticket={TICKET}",
            emu.base_url()
        ))
        .json(&json!({"time": 1, "data": rows}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(errno(&v), 1211);
}

#[tokio::test]
async fn client_covers_all_seven_endpoints() {
    let emu = emulator().await;
    let c = client_for(&emu, TICKET);
    c.create_department("前端组", 2).await.unwrap();
    let depts = c
        .departments()
        .await
        .unwrap()
        .complete(bgy::api::Endpoint::DepartmentList)
        .unwrap();
    let fe = depts.iter().find(|d| d.we_name == "前端组").unwrap();
    c.edit_department(fe.we_id, "大前端").await.unwrap();
    let form = NEW
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let r = c.add_staff(form).await.unwrap();
    assert_eq!(r.errno, 0);
    let r = c
        .entry_time(&[bgy::api::TimesRow {
            we_userid: "wangwu".into(),
            entry_time: "2020-01-02".into(),
            ..Default::default()
        }])
        .await
        .unwrap();
    assert_eq!(r.errno, 0);
    assert!(r.data.unwrap_or_default().is_empty());
    let r = c.delete_staff(&["wangwu"]).await.unwrap();
    assert_eq!(r.errno, 0);
    let staff = c.staff(0, false).await.unwrap();
    assert_eq!(staff.items.len(), 2);
    assert!(emu
        .store
        .departments()
        .iter()
        .any(|d| d.we_name == "大前端"));
}

#[tokio::test]
async fn a_bad_ticket_is_fatal_for_the_client() {
    let emu = emulator().await;
    let c = client_for(&emu, "wrong-ticket-value");
    let e = c.departments().await.unwrap_err();
    assert!(e.is_fatal(), "{e}");
    assert!(e.to_string().contains("errno 1201"), "{e}");
}

/// A new state, seeded, is whole in its file while the store is still open: a run that only
/// reads may end before the connection closes, and someone may copy the file alone.
#[test]
fn a_new_state_is_whole_in_its_file_once_seeded() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("emulator.sqlite");
    let events = bgy::events::Collect::default();
    let store = bgy::emulator::open_store(&state, None, &events).unwrap();
    let copy = dir.path().join("copy.sqlite");
    std::fs::copy(&state, &copy).unwrap();
    let copied = bgy::emulator::Store::open(&copy).unwrap();
    assert!(
        !copied.is_empty(),
        "the copy of the state file alone is empty"
    );
    assert_eq!(copied.staff_count(), store.staff_count());
}
