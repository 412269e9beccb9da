//! `bgy template`: a blank workbook for a layout, with a 说明 Instructions sheet, dropdowns for
//! the enumerations, text format where Excel would otherwise eat leading zeros, and one example
//! row that the reader skips. The committed copies in `templates/` are these bytes.

use std::path::Path;

use rust_xlsxwriter::{
    Color, DataValidation, DocProperties, ExcelDateTime, Format, Formula, Note, Workbook,
    Worksheet, XlsxError,
};

use crate::model::{Field, Kind, Layout};
use crate::text::Unwritten;

/// Rows that get the dropdowns and formats.
const TEMPLATE_ROWS: u32 = 100_000;

fn example(field: Field) -> &'static str {
    match field {
        Field::WeUserid => "示例-zhangsan",
        Field::WeName => "张三",
        Field::EnglishName => "San Zhang",
        Field::WeGender => "男",
        Field::WeMobile => "13800138000",
        Field::WeEmail => "zhangsan@example.com",
        Field::WeDepartment => "办公逸/研发部",
        Field::WePosition => "工程师",
        Field::PositionLevelId => "P3",
        Field::LeadId => "lisi",
        Field::WeTag => "新员工",
        Field::WeTel => "010-12345678",
        Field::Address => "北京市海淀区",
        Field::Status => "试用期",
        Field::EntryTime => "2026-01-05",
        Field::PositiveTime => "2026-04-05",
        Field::WorkTime => "2020-07-01",
        Field::BirthdayG => "1998-05-20",
        // The same day in the Chinese calendar, in the form people write it.
        Field::BirthdayL => "1998年四月廿五",
        Field::CheckId => "10086",
        Field::ToQy => "是",
        _ => "",
    }
}

/// The labels a dropdown offers.
fn choices(field: Field) -> Option<Vec<&'static str>> {
    Some(field.choices()?.iter().map(|c| c.label).collect())
}

const NOTES: &[&str] = &[
    "每行一名员工;表头行不要改动,带 * 的列必填。 / One person a row; keep the header row; columns marked * are required.",
    "第 2 行是示例(帐号以“示例”开头),导入时自动跳过,可以保留也可以删除。 / Row 2 is an example (its account starts with 示例) and is skipped.",
    "手机、帐号、银行卡号、考勤号列已设为文本格式,请不要改成数字,否则 Excel 会吃掉开头的 0 或显示成 1.38E+10。 / Phone, account, card and check id columns are text: keep them so.",
    "日期可写成 2016-01-01、2016/1/1、2016.1.1、2016年1月1日、20160101,或使用日期单元格。 / Dates: 2016-01-01, 2016/1/1, 2016.1.1, 2016年1月1日, 20160101 or a date cell.",
    "筛选或隐藏的行不会处理,报告会说明;要处理它们,请先清除筛选、取消隐藏。 / Rows hidden by a filter or by hand are left alone (the report says so): clear the filter or unhide them first.",
    "先运行 bgy check 文件 检查,再运行 bgy import 文件 导入;每次运行都会生成报告,报告的“失败 Failed”表改好后可直接再次导入。 / Run bgy check FILE first, then bgy import FILE; fix the report's Failed sheet and import it again.",
];

/// The sheet of live department paths a template's 部门 dropdown offers.
pub const DEPARTMENTS_SHEET: &str = "部门列表";

/// The template workbook's bytes (deterministic: a fixed creation time). With `departments`
/// (every live path, from the server), a staff template also gets a [`DEPARTMENTS_SHEET`] and
/// a dropdown on 部门 that offers them.
pub fn build(layout: Layout, departments: Option<&[String]>) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(2026, 1, 1)?;
    wb.set_properties(
        &DocProperties::new()
            .set_author("bgy")
            .set_title("bgy template")
            .set_creation_datetime(&created),
    );

    let departments = departments.filter(|_| layout.columns().contains(&Field::WeDepartment));
    data_sheet(wb.add_worksheet(), layout, departments)?;
    instructions(wb.add_worksheet(), layout)?;
    if let Some(paths) = departments {
        department_sheet(wb.add_worksheet(), paths)?;
    }
    wb.save_to_buffer()
}

/// The sheet to fill in: headers (required ones red), column formats, dropdowns, the example.
fn data_sheet(
    ws: &mut Worksheet,
    layout: Layout,
    departments: Option<&[String]>,
) -> Result<(), XlsxError> {
    let optional = crate::write::header_format();
    let required = optional.clone().set_font_color(Color::RGB(0xC00000));
    let text = Format::new().set_num_format("@");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let example_fmt = Format::new()
        .set_num_format("@")
        .set_italic()
        .set_font_color(Color::RGB(0x808080));

    ws.set_name(layout.sheet_name())?;
    for (col, field) in layout.columns().iter().enumerate() {
        let col = col as u16;
        let header = if layout.required().contains(field) {
            &required
        } else {
            &optional
        };
        ws.write_string_with_format(0, col, field.header(layout), header)?;
        ws.set_column_width(
            col,
            if matches!(field, Field::WeDepartment | Field::Address | Field::WeEmail) {
                24
            } else {
                14
            },
        )?;
        match field.kind() {
            // A 农历 date in a date cell would be a day of the other calendar.
            Kind::Digits | Kind::LunarDate => {
                ws.set_column_format(col, &text)?;
            }
            Kind::Date => {
                ws.set_column_format(col, &date)?;
            }
            Kind::Text => {}
        }
        if let Some(list) = choices(*field) {
            let dv = DataValidation::new()
                .allow_list_strings(&list)?
                .set_error_title(field.label())?
                .set_error_message(format!("请从下拉列表中选择: {}", list.join("/")))?;
            ws.add_data_validation(1, col, TEMPLATE_ROWS, col, &dv)?;
        }
        if let (Field::WeDepartment, Some(paths)) = (field, departments) {
            ws.add_data_validation(1, col, TEMPLATE_ROWS, col, &department_list(paths.len())?)?;
        }
        let value = example(*field);
        if !value.is_empty() {
            ws.write_string_with_format(1, col, value, &example_fmt)?;
        }
    }
    ws.insert_note(
        1,
        0,
        &Note::new("示例行:帐号以“示例”开头,导入时自动跳过 / Example row: skipped on import")
            .set_author("bgy"),
    )?;
    ws.set_freeze_panes(1, 0)?;

    Ok(())
}

/// 部门's dropdown: the [`DEPARTMENTS_SHEET`]'s paths, with the error alert off, so that
/// `办公逸/研发部;办公逸/客服部` (several departments) or a department to create still go in.
fn department_list(count: usize) -> Result<DataValidation, XlsxError> {
    let last = count.max(1) + 1;
    DataValidation::new()
        .allow_list_formula(Formula::new(format!(
            "='{DEPARTMENTS_SHEET}'!$A$2:$A${last}"
        )))
        .show_error_message(false)
        .set_input_title("部门 Department")?
        .set_input_message(
            "从列表选择,或写路径;多个部门用 ; 分隔 / pick one, or type paths separated by ;",
        )
}

/// Every live department path, one a row, for the 部门 dropdown and to look up.
fn department_sheet(ws: &mut Worksheet, paths: &[String]) -> Result<(), XlsxError> {
    ws.set_name(DEPARTMENTS_SHEET)?;
    ws.write_string_with_format(0, 0, "部门 Department", &crate::write::header_format())?;
    let widest = paths
        .iter()
        .map(|p| unicode_width::UnicodeWidthStr::width(p.as_str()));
    ws.set_column_width(0, (widest.max().unwrap_or(0) + 2).clamp(16, 80) as f64)?;
    for (i, p) in paths.iter().enumerate() {
        ws.write_string(i as u32 + 1, 0, p)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// 说明 Instructions: how to fill it in, then every column with its rule.
fn instructions(help: &mut Worksheet, layout: Layout) -> Result<(), XlsxError> {
    help.set_name("说明 Instructions")?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    for (i, line) in NOTES.iter().enumerate() {
        help.write_string(i as u32, 0, *line)?;
    }
    let top = NOTES.len() as u32 + 1;
    for (j, t) in ["表头 Column", "API 参数 Key", "必填 Required", "规则 Rule"]
        .iter()
        .enumerate()
    {
        help.write_string_with_format(top, j as u16, *t, &bold)?;
    }
    help.set_column_width(0, 16)?;
    help.set_column_width(1, 18)?;
    help.set_column_width(2, 12)?;
    help.set_column_width(3, 90)?;
    for (i, field) in layout.columns().iter().enumerate() {
        let r = top + 1 + i as u32;
        help.write_string(r, 0, field.label())?;
        help.write_string(r, 1, field.key())?;
        let required = layout.required().contains(field);
        help.write_string(r, 2, if required { "是 yes" } else { "" })?;
        // 姓名 is required of a staff sheet only; elsewhere it is compared with the directory's.
        let rule = match field {
            Field::WeName if !required => {
                "可不填;填了会与通讯录中该帐号的姓名核对,不同时给出警告 (帐号可能填错了);不会发送 / optional: compared with the directory's name for the account, with a warning when they differ (the account may be wrong); never sent"
            }
            _ => field.help(),
        };
        help.write_string_with_format(r, 3, rule, &wrap)?;
    }
    Ok(())
}

pub fn write(layout: Layout, departments: Option<&[String]>, path: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    let bytes = build(layout, departments).context("cannot build the template")?;
    std::fs::write(path, bytes).cannot_write(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_deterministic() {
        assert_eq!(
            build(Layout::Staff, None).unwrap(),
            build(Layout::Staff, None).unwrap()
        );
    }

    /// The committed copies must be what the code generates: regenerate them with
    /// `cargo run -- template --kind K -o templates/K.xlsx --force` when this fails.
    #[test]
    fn committed_templates_match_the_code() {
        for layout in [Layout::Staff, Layout::Times, Layout::Delete, Layout::Leave] {
            let path = format!(
                "{}/templates/{}.xlsx",
                env!("CARGO_MANIFEST_DIR"),
                layout.name()
            );
            let committed = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert!(
                committed == build(layout, None).unwrap(),
                "{path} differs from what `bgy template --kind {}` writes",
                layout.name()
            );
        }
    }

    #[test]
    fn the_reader_skips_the_example_row_and_finds_every_column() {
        for layout in [Layout::Staff, Layout::Times, Layout::Delete, Layout::Leave] {
            let bytes = build(layout, None).unwrap();
            let sheet = crate::read::read_bytes(&bytes, "t.xlsx", None).unwrap();
            let table = crate::validate::from_sheet(Path::new("t.xlsx"), sheet, layout).unwrap();
            assert!(
                table.rows.is_empty(),
                "{layout:?}: the example row is skipped"
            );
            assert!(table.warnings.is_empty(), "{:?}", table.warnings);
            for f in layout.columns() {
                assert!(table.column_of(*f).is_some(), "{layout:?} has {f:?}");
            }
        }
    }
}
