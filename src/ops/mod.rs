//! One function per command, wiring manifest, live, plan, template and changeset. No printing:
//! commands return what the CLI renders.

pub mod plan;
pub mod template;

pub use plan::{compute_plan, PlanOptions, PlannedStage};
