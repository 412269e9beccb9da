//! The commands: each is load → live → plan → send → report through the stages, and ends in a
//! [`crate::outcome::Summary`]. They print nothing: what they have to say goes to the front-end as events.

pub mod check;
pub mod delete;
pub mod dept;
pub mod export;
pub mod history;
pub mod import;
pub mod plan;
pub mod times;
pub mod undo;

use crate::context::Context;
use crate::events::Emit;
use crate::model::tree::DeptTree;

/// Warns about departments whose parents are missing or form a circle (they are still listed).
pub fn warn_tree(ctx: &Context, tree: &DeptTree) {
    for p in tree.problems() {
        ctx.events.warn(p);
    }
}
