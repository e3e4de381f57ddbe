//! One function per command, wiring manifest, live, plan, template, changeset and direct. No
//! printing: commands return what the CLI renders, or talk through the UI trait they are given.

pub mod apply;
pub mod build;
pub mod deploy;
pub mod destroy;
pub mod doctor;
pub mod lock;
pub mod maintenance;
pub mod plan;
pub mod purge;
pub mod release;
pub mod saved;
pub mod secret;
pub mod signals;
pub mod stage_new;
pub mod template;
pub mod tinker;

pub use apply::{apply, apply_planned, ApplyOptions, ApplyOutcome, ApplyRun, ApplyTarget, ApplyUi};
pub use plan::{compute_plan, PlanOptions, PlannedStage};
