//! One function per command, each a list of named steps over one [`context::StageContext`]
//! (manifest, clients, account, the stage read and planned). No printing: commands return what
//! the CLI renders and report along the way through the [`Ui`] they are given, as typed events
//! (`crate::events`).

pub mod apply;
pub mod build;
pub mod context;
pub mod deploy;
pub mod destroy;
pub mod doctor;
pub mod lock;
pub mod logs;
pub mod maintenance;
pub mod plan;
pub mod purge;
pub mod queue;
pub mod release;
pub mod saved;
pub mod secret;
pub mod signals;
pub mod stage_new;
pub mod status;
pub mod template;
pub mod tinker;

pub use apply::{apply, apply_planned, ApplyOptions, ApplyOutcome, ApplyRun, ApplyTarget};
pub use context::{PlannedStage, StageContext};
pub use plan::{compute_plan, PlanOptions};

use crate::events::{Question, Sink};

/// What a changing command reports (its events, through [`Sink`]) and asks; the CLI implements
/// it (text with prompts and live progress, or JSON lines).
pub trait Ui: Sink {
    /// Asks a yes/no question; `None` when no one can answer (no terminal, `--json`).
    fn approve(&mut self, question: &Question) -> Option<bool>;
    /// Asks for `name` to be typed (`hover destroy`); `None` when nothing can be read.
    fn confirm_name(&mut self, name: &str) -> Option<String> {
        let _ = name;
        None
    }
}

/// Asks `question`: `yes` only goes on; no one to answer is an error.
pub(crate) fn ask(ui: &mut dyn Ui, question: Question) -> Result<(), crate::error::HoverError> {
    match ui.approve(&question) {
        Some(true) => Ok(()),
        Some(false) => Err(crate::error::HoverError::Cancelled),
        None => Err(crate::error::HoverError::NeedsApproval),
    }
}
