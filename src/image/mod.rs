//! The container tool: which one builds (docker, podman or buildah), the stage's Dockerfile and its
//! targets, building the image and exporting its assets, logging in to the registry (the password
//! on standard input only) and pushing. Child processes stop here: callers get plain data and one
//! line of the tool's output at a time.
//!
//! One module per concern: [`choose`] finds the tool and checks it can build here, [`builder`]
//! builds (the Dockerfile's stages, the build and export arguments, running the tool), [`registry`]
//! logs in and pushes.

pub mod builder;
pub mod choose;
pub mod registry;

pub use builder::{stages, BuildSpec};
pub use choose::{
    choose_builder, find_builder, probe, which, Choice, Fit, Host, Machine, PassedOver,
};
pub use registry::registry_host;

use std::path::{Path, PathBuf};

/// The container tools hover can drive, in the order it looks for them.
pub const BUILDERS: [&str; 3] = ["docker", "podman", "buildah"];

/// A failure of the container tool or of what it was given.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ImageError {
    #[error("no container tool found: hover builds images with docker, podman or buildah, and none of them is on PATH")]
    #[diagnostic(
        code(hover::build::no_builder),
        help("install one (e.g. `apt-get install buildah`, `apt-get install podman`, or Docker from docs.docker.com), or name one with --builder / HOVER_BUILDER")
    )]
    NoBuilder,

    #[error("the container tool `{0}` (from {1}) is not on PATH")]
    #[diagnostic(
        code(hover::build::builder_missing),
        help("install it, or choose docker, podman or buildah with --builder / HOVER_BUILDER")
    )]
    BuilderMissing(String, &'static str),

    #[error("the container tool `{0}` is not one hover knows: name docker, podman or buildah (a path to one works too)")]
    #[diagnostic(code(hover::build::unknown_builder))]
    UnknownBuilder(String),

    #[error("no container tool can build here:{}", passed.iter().map(|p| format!("\n  - {}: {}", p.name, p.why)).collect::<String>())]
    #[diagnostic(
        code(hover::build::no_usable_builder),
        help("install buildah (`apt-get install buildah`) or podman, which need no daemon; or start Docker's engine with BuildKit (the `docker-buildx-plugin` package)")
    )]
    NoUsableBuilder { passed: Vec<PassedOver> },

    #[error("the container tool `{name}` (from {from}) cannot build here: {why}")]
    #[diagnostic(code(hover::build::builder_unusable), help("{help}"))]
    BuilderUnusable {
        name: String,
        from: &'static str,
        why: String,
        help: String,
    },

    #[error("the stage's Dockerfile {path} does not exist")]
    #[diagnostic(
        code(hover::build::no_dockerfile),
        help("the manifest's `dockerfile` names a file inside .hover/ (default `.Dockerfile`); `hover stage new` writes one")
    )]
    NoDockerfile { path: String },

    #[error("{step} failed: `{command}` exited with {code}{}", tail.iter().map(|l| format!("\n  | {l}")).collect::<String>())]
    #[diagnostic(code(hover::build::step_failed))]
    StepFailed {
        step: String,
        command: String,
        code: String,
        tail: Vec<String>,
    },

    #[error("{step}: could not run `{program}`: {message}")]
    #[diagnostic(code(hover::build::spawn))]
    Spawn {
        step: String,
        program: String,
        message: String,
    },

    #[error("{what} {path}: {message}")]
    #[diagnostic(code(hover::build::io))]
    Io {
        what: &'static str,
        path: String,
        message: String,
    },
}

impl ImageError {
    pub fn io(what: &'static str, path: &Path, e: std::io::Error) -> Self {
        ImageError::Io {
            what,
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}

/// Which tool it is: the flags differ a little between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Docker,
    Podman,
    Buildah,
}

/// The container tool a build uses: what to run, which kind it is, and the environment it needs
/// on this machine (e.g. `STORAGE_DRIVER=vfs` where overlay storage cannot work).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Builder {
    pub program: PathBuf,
    pub kind: Kind,
    /// Variables set for every run of the tool (on top of the user's environment).
    pub env: Vec<(String, String)>,
}

#[cfg(test)]
mod tests;
