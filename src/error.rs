//! The typed errors of every command, shown as diagnostics at the edge (`main`).

use miette::Diagnostic;
use thiserror::Error;

/// Any failure of a hover command. Each variant renders as a diagnostic that says what is wrong,
/// where, and what to do.
#[derive(Debug, Error, Diagnostic)]
pub enum HoverError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Manifest(#[from] crate::manifest::ManifestError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Live(#[from] crate::live::LiveError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Plan(#[from] crate::plan::PlanError),

    #[error("the credentials resolve to account {actual}, but the stage `{stage}` belongs to account {expected}")]
    #[diagnostic(
        code(hover::wrong_account),
        help("use the stage's profile (`aws-profile`) or credentials of account {expected}; hover refuses to touch another account")
    )]
    WrongAccount { stage: String, expected: String, actual: String },

    #[error("the stage `{stage}` has no image yet: nothing is deployed and no --image-tag was given")]
    #[diagnostic(
        code(hover::no_image),
        help("pass --image-tag TAG naming an image pushed to the stage's repository `{repository}`")
    )]
    NoImage { stage: String, repository: String },

    #[error("{0}")]
    #[diagnostic(code(hover::usage))]
    Usage(String),

    #[error("could not write output: {0}")]
    #[diagnostic(code(hover::io))]
    Io(#[from] std::io::Error),
}
