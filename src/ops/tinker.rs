//! `hover tinker`: Laravel's tinker on the CLI function's `live`, one `tinker --execute` per piece
//! of code, through the same invocation as `hover command run` (the runtime gives psysh its
//! config and history under /tmp).

use crate::error::HoverError;
use crate::live::Clients;
use crate::ops::release::{cli_function, run_command};
use crate::ops::StageContext;
use crate::release::{self, CommandResult};

/// What artisan answers when the application has no `laravel/tinker`.
const NOT_DEFINED: &str = "Command \"tinker\" is not defined";

/// The artisan command that runs `code` in tinker: one word `--execute=<code>`, quoted as the
/// runtime splits words (single quotes; a quote inside as `'\''`), never through a shell.
pub fn tinker_command(code: &str) -> String {
    format!("tinker --execute='{}'", code.replace('\'', r"'\''"))
}

/// One stage's tinker: the manifest read, the clients built and the account checked once, then any
/// number of pieces of code run.
pub struct Tinker {
    stage: String,
    clients: Clients,
    function: String,
}

/// Output and exit code of one piece of code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TinkerRun {
    pub output: String,
    pub exit_code: i64,
}

impl Tinker {
    /// Opens the stage's tinker.
    pub async fn open(ctx: StageContext) -> Result<Tinker, HoverError> {
        ctx.account().await?;
        Ok(Tinker {
            stage: ctx.name().to_string(),
            function: cli_function(&ctx.manifest),
            clients: ctx.clients,
        })
    }

    /// Runs `code` with `tinker --execute` on the CLI function's `live`.
    pub async fn run(&self, code: &str) -> Result<TinkerRun, HoverError> {
        let command = tinker_command(code);
        match run_command(&self.clients, &self.function, release::ALIAS, &command).await? {
            CommandResult::Ran { output, .. } if output.contains(NOT_DEFINED) => {
                Err(HoverError::TinkerMissing {
                    stage: self.stage.clone(),
                })
            }
            CommandResult::Ran { output, exit_code } => Ok(TinkerRun { output, exit_code }),
            CommandResult::FunctionError { kind, message } => Err(HoverError::FunctionFailed {
                function: format!("{}:{}", self.function, release::ALIAS),
                command: release::artisan_command(&command),
                kind,
                message,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_one_quoted_word() {
        assert_eq!(
            tinker_command("echo User::count();"),
            "tinker --execute='echo User::count();'"
        );
        assert_eq!(
            tinker_command(r#"echo "it's";"#),
            r#"tinker --execute='echo "it'\''s";'"#
        );
    }
}
