//! `bgy template`: a blank workbook for a layout; with a server, a staff template's 部门
//! dropdown offers the live departments.

use std::path::Path;

use crate::context::Context;
use crate::events::Emit;
use crate::model::Layout;
use crate::outcome::{Detail, Summary};
use crate::template;

pub async fn run(
    ctx: &Context,
    layout: Layout,
    output: &Path,
    force: bool,
) -> anyhow::Result<Summary> {
    anyhow::ensure!(
        force || !output.exists(),
        "{path} 已经存在:bgy template 从不覆盖文件,它可能是填好的表;请换一个 -o,或加 --force ({path} exists: bgy template never overwrites a file, which may be a filled-in sheet; choose another -o, or add --force)",
        path = output.display()
    );
    // With a server, the 部门 dropdown offers its departments.
    let departments = match (&ctx.client, layout) {
        (None, _) | (_, Layout::Times | Layout::Delete | Layout::Leave | Layout::Departments) => {
            None
        }
        // A server that cannot be reached costs the dropdown, not the template.
        (Some(client), Layout::Staff) => match crate::live::departments(client).await {
            Ok(tree) => Some(tree.all_paths()),
            Err(e) => {
                ctx.events.warn(format!(
                    "bgy template: the departments could not be listed ({e:#}); the template has no {} sheet",
                    template::DEPARTMENTS_SHEET
                ));
                None
            }
        },
    };
    template::write(layout, departments.as_deref(), output)?;
    let listed = match &departments {
        Some(d) => format!(
            ", {} sheet with {}",
            template::DEPARTMENTS_SHEET,
            crate::text::count(d.len(), "department", "departments")
        ),
        None => String::new(),
    };
    ctx.events.note(format!(
        "bgy template: wrote {} ({} layout{listed})",
        output.display(),
        layout.name()
    ));
    Ok(Summary {
        command: "template",
        detail: Detail::Wrote {
            output: output.display().to_string(),
        },
        ..Summary::default()
    })
}
