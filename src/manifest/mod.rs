//! The stage manifest: `.hover/<stage>.yml` parsed, validated and resolved into settings with every
//! default made explicit. Errors point at file, line, column and key path.
//!
//! Parts: `read` (finding and reading the file, [`parse`]), `yaml` (the spanned node tree, with
//! `scalar` and `syntax`), `check` (the checker's typed reads and located problems), and one
//! check per concern: `document` (top level, stage name), `functions` (`http`, `cli`),
//! `domains`, `access` (`auth`, `vpc`), `environment`, `queues`. Names derived from the manifest
//! come from [`crate::naming`], which the stage builder uses too.

mod access;
mod check;
mod document;
mod domains;
mod environment;
mod error;
mod functions;
mod queues;
mod read;
mod scalar;
mod syntax;
#[cfg(test)]
mod testing;
mod yaml;

pub use document::{strip_artisan, LOG_RETENTION_DAYS, REGIONS};
pub use error::{ManifestError, Problem, Problems, Warning};
pub use read::{load, parse, problem_at_key};

use std::collections::BTreeMap;

/// Defaults applied to every omitted number, documented in the README.
pub mod defaults {
    pub const HTTP_MEMORY: u32 = 512;
    pub const HTTP_TIMEOUT: u32 = 28;
    pub const HTTP_WARM: u32 = 1;
    pub const CLI_MEMORY: u32 = 512;
    pub const CLI_TIMEOUT: u32 = 900;
    pub const QUEUE_MEMORY: u32 = 512;
    pub const QUEUE_TIMEOUT: u32 = 60;
    pub const QUEUE_TRIES: u32 = 3;
    /// Extra seconds of queue visibility over the worker's timeout when `visibility-timeout` is omitted.
    pub const VISIBILITY_MARGIN: u32 = 10;
    pub const LOG_RETENTION_DAYS: u32 = 14;
    pub const DOCKERFILE: &str = ".Dockerfile";
    /// Lambda's limit on a function's environment variables, keys and values together (bytes).
    pub const ENVIRONMENT_LIMIT: usize = 4096;
}

/// A validated stage manifest. Every value is within what AWS accepts; every omitted number carries
/// its documented default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// Prefix of every AWS name and the stack name (`clouder-dev`).
    pub name: String,
    /// The file it was read from, as given (for messages).
    pub file: String,
    pub aws_profile: Option<String>,
    pub region: String,
    /// 12-digit account id the stage lives in; hover refuses other accounts.
    pub account: Option<String>,
    pub dockerfile: String,
    /// Non-secret stage variables (sorted).
    pub environment: BTreeMap<String, String>,
    /// Artisan commands without the `php artisan` prefix.
    pub deploy_commands: Vec<String>,
    pub log_retention_days: u32,
    pub auth: Auth,
    pub vpc: Option<Vpc>,
    pub http: Http,
    pub cli: Cli,
    /// Queue workers by their manifest key (sorted).
    pub queue: BTreeMap<String, Worker>,
    /// Things worth knowing that do not stop the stage (a secret-looking key in `environment`),
    /// located like problems, sorted by position.
    pub warnings: Vec<Problem>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Auth {
    /// CloudFormation execution role (`RoleARN` of the stack).
    pub stack_role: Option<String>,
    /// Execution role of every function; absent: the stack creates a least-privilege role.
    pub lambda_role: Option<String>,
}

/// `VpcConfig` of every function; both lists non-empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vpc {
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Http {
    pub memory: u32,
    pub timeout: u32,
    /// Reserved concurrency; `None` shares the account's unreserved pool.
    pub concurrency: Option<u32>,
    /// Containers kept warm by the warmer rule; 0 disables the warmer.
    pub warm: u32,
    /// CloudFront aliases, in manifest order, without duplicates.
    pub domains: Vec<String>,
    /// ACM certificate in us-east-1; present whenever `domains` is non-empty.
    pub certificate: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cli {
    pub memory: u32,
    pub timeout: u32,
    pub concurrency: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Worker {
    pub memory: u32,
    pub timeout: u32,
    pub concurrency: Option<u32>,
    /// Receive count before a message moves to the dead-letter queue (never unlimited).
    pub tries: u32,
    /// Seconds between retries, as Laravel's `backoff` (empty: retry at once).
    pub backoff: Vec<u32>,
    /// Visibility timeout of this worker's queues; at least `timeout`.
    pub visibility_timeout: u32,
    /// SQS queue names (without the stage suffix), in manifest order; each consumed by this worker only.
    pub queues: Vec<String>,
}
