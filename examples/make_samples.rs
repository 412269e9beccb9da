//! Writes `samples/staff.xlsx` (300 valid new people in the sample org) and
//! `samples/staff-with-errors.xlsx` (typical mistakes, to show the report).
//!
//! `cargo run --example make_samples` (deterministic: the same files every time).

use std::path::Path;

use bgy::model::StaffRecord;
use bgy::model::{Field, Layout};
use rust_xlsxwriter::{Format, Workbook};

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘";
const GIVEN: &str =
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂华玉萍鹏红梅飞鑫宇浩然轩怡涵晨曦远鸣琪桐博嘉";
const DEPTS: &[&str] = &[
    "办公逸/研发部/后端组",
    "办公逸/研发部/前端组",
    "办公逸/研发部/测试组",
    "办公逸/产品部/产品设计",
    "办公逸/市场部/品牌组",
    "办公逸/销售部/上海分部",
    "办公逸/销售部/广州分部",
    "办公逸/客服部/一线支持",
    "办公逸/人力资源部/招聘组",
    "办公逸/财务部/会计组",
];

/// A tiny deterministic generator (no dependency for a sample).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
    fn pick(&mut self, s: &str) -> char {
        let chars: Vec<char> = s.chars().collect();
        chars[self.next(chars.len())]
    }
}

fn person(rng: &mut Lcg, i: usize) -> StaffRecord {
    let mut v = StaffRecord::new();
    let name: String = std::iter::once(rng.pick(SURNAMES))
        .chain((0..1 + rng.next(2)).map(|_| rng.pick(GIVEN)))
        .collect();
    let month = 1 + rng.next(12);
    let day = 1 + rng.next(28);
    let set = |v: &mut StaffRecord, f: Field, s: String| v.set(f, Some(&s));
    set(&mut v, Field::WeUserid, format!("hr2026{i:04}"));
    set(&mut v, Field::WeName, name);
    set(&mut v, Field::WeGender, (1 + rng.next(2)).to_string());
    set(
        &mut v,
        Field::WeMobile,
        format!("1{}{:09}", 3 + rng.next(7), rng.next(1_000_000_000)),
    );
    set(
        &mut v,
        Field::WeEmail,
        format!("hr2026{i:04}@bangongyi-demo.cn"),
    );
    set(
        &mut v,
        Field::WeDepartment,
        DEPTS[rng.next(DEPTS.len())].to_string(),
    );
    set(
        &mut v,
        Field::WePosition,
        ["工程师", "专员", "经理", "助理"][rng.next(4)].to_string(),
    );
    set(&mut v, Field::Status, "1".into());
    set(
        &mut v,
        Field::EntryTime,
        format!("2026-{month:02}-{day:02}"),
    );
    set(&mut v, Field::CheckId, (20000 + i).to_string());
    if i > 1 && rng.next(4) == 0 {
        set(
            &mut v,
            Field::LeadId,
            format!("hr2026{:04}", 1 + rng.next(i - 1)),
        );
    }
    v
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut rng = Lcg(2026);
    let people: Vec<StaffRecord> = (1..=300).map(|i| person(&mut rng, i)).collect();
    let n = bgy::write::write_people(
        &root.join("staff.xlsx"),
        Layout::Staff,
        Field::ALL,
        people,
        None,
    )?;
    println!("samples/staff.xlsx: {n} rows");

    // Typical mistakes, written cell by cell the way people make them.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(Layout::Staff.sheet_name())?;
    let bold = Format::new().set_bold();
    ws.write_string_with_format(0, 0, "2026 年 11 月入职名单", &bold)?;
    let head = [
        "帐号*",
        "姓名*",
        "性别",
        "手机",
        "邮箱",
        "部门",
        "入职时间",
        "转正时间",
        "考勤号",
        "备注",
    ];
    for (j, h) in head.iter().enumerate() {
        ws.write_string_with_format(1, j as u16, *h, &bold)?;
    }
    let rows: &[[&str; 10]] = &[
        [
            "err001",
            "周一",
            "男",
            "13800000001",
            "",
            "办公逸/研发部/后端组",
            "2026-11-02",
            "",
            "30001",
            "正确 valid",
        ],
        [
            "err002",
            "吴二",
            "女",
            "1.38E+10",
            "",
            "办公逸/研发部/后端组",
            "2026/11/2",
            "",
            "30002",
            "手机号被 Excel 显示成科学计数法",
        ],
        [
            "err003",
            "郑三",
            "男",
            "13800000003",
            "",
            "办公逸/研发部/前端组",
            "2026-02-30",
            "",
            "30003",
            "不存在的日期",
        ],
        [
            "err004",
            "王四",
            "男",
            "13800000004",
            "",
            "办公逸/研发部",
            "2026-11-02",
            "",
            "030004",
            "考勤号以 0 开头",
        ],
        [
            "err005",
            "冯五",
            "女",
            "",
            "",
            "办公逸/客服部",
            "2026-11-02",
            "",
            "30005",
            "没有联系方式",
        ],
        [
            "err001",
            "陈六",
            "男",
            "13800000006",
            "",
            "办公逸/客服部",
            "2026-11-02",
            "",
            "30006",
            "帐号重复",
        ],
        [
            "err007",
            "褚七",
            "不详",
            "13800000007",
            "chu7@example",
            "办公逸/客服部",
            "2026-11-02",
            "",
            "30007",
            "性别、邮箱不对",
        ],
        [
            "err008",
            "卫八",
            "女",
            "13800000008",
            "",
            "",
            "2026-11-02",
            "",
            "30008",
            "没有部门",
        ],
        [
            "err009",
            "蒋九",
            "男",
            "13800000009",
            "",
            "办公逸/研发部/后端组",
            "2026-11-02",
            "2026-10-01",
            "30009",
            "转正早于入职(警告)",
        ],
        [
            "张十",
            "沈十",
            "男",
            "13800000010",
            "",
            "办公逸/研发部/后端组",
            "2026-11-02",
            "",
            "30010",
            "帐号含中文",
        ],
    ];
    for (i, row) in rows.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string((i + 2) as u32, j as u16, *v)?;
            }
        }
    }
    // A phone typed as a number: read back as the digits the person sees (valid).
    ws.write_string(12, 0, "err011")?;
    ws.write_string(12, 1, "韩十一")?;
    ws.write_number(12, 3, 13800000011.0)?;
    ws.write_string(12, 5, "办公逸/研发部/测试组")?;
    ws.write_string(12, 9, "手机是数字单元格(正确)")?;
    wb.save(root.join("staff-with-errors.xlsx"))?;
    println!("samples/staff-with-errors.xlsx: {} rows", rows.len() + 1);
    Ok(())
}
