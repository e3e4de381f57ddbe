//! `hover queue` and `hover status` (the commands of a running stage): their arguments, and each
//! run's rendering and exit code.

use crate::error::HoverError;
use crate::ops;
use crate::ops::queue::redrive::{RetryEvent, RetryUi};
use crate::ops::queue::QueueOptions;
use crate::render::{self, Style};
use clap::{Args, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct QueueArgs {
    /// Stage name: reads `.hover/<STAGE>.yml`.
    pub stage: String,
    #[command(subcommand)]
    pub action: QueueAction,
}

#[derive(Debug, Subcommand)]
pub enum QueueAction {
    /// Each queue and its dead-letter queue with their visible, in-flight and delayed messages.
    List {
        /// Print the queues as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The messages of the dead-letter queues (or QUEUE's), without consuming them: job, receives,
    /// times and a masked excerpt of the payload.
    Failed {
        /// A queue as the manifest names it (default: every queue).
        queue: Option<String>,
        /// Print the messages as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Move dead-letter messages back to their queue, each exactly once.
    Retry {
        /// A queue as the manifest names it (default: every queue).
        queue: Option<String>,
        /// Move at most N messages per queue (FIFO queues only).
        #[arg(long, value_name = "N")]
        max: Option<u64>,
        /// Print one JSON object per event (newline-delimited).
        #[arg(long)]
        json: bool,
    },
    /// Delete every message of QUEUE (or its dead-letter queue), after its name is typed.
    Purge {
        /// The queue as the manifest names it.
        queue: String,
        /// Purge the queue's dead-letter queue instead.
        #[arg(long)]
        dead_letter: bool,
        /// Purge without asking for the queue's name to be typed.
        #[arg(long)]
        auto_approve: bool,
    },
}

/// `hover queue`.
pub async fn queue(dir: PathBuf, args: QueueArgs, style: Style) -> Result<i32, HoverError> {
    let opts = QueueOptions {
        dir,
        stage: args.stage.clone(),
    };
    let mut out = std::io::stdout().lock();
    match args.action {
        QueueAction::List { json } => {
            let rows = ops::queue::list(&opts).await?;
            if json {
                render::queue::write_json(&mut out, &opts.stage, "queues", &rows)?;
            } else {
                render::queue::write_list(&mut out, &opts.stage, &rows, style)?;
            }
        }
        QueueAction::Failed { queue, json } => {
            let queues = ops::queue::failed(&opts, queue.as_deref()).await?;
            if json {
                render::queue::write_json(&mut out, &opts.stage, "dead_letter_queues", &queues)?;
            } else {
                render::queue::write_failed(&mut out, &queues, style)?;
            }
        }
        QueueAction::Retry { queue, max, json } => {
            drop(out);
            let mut ui = EventLines { json, style };
            let done = ops::queue::redrive::retry(&opts, queue.as_deref(), max, &mut ui).await?;
            if !json {
                render::queue::write_retry_summary(&mut std::io::stdout().lock(), &done, style)?;
            }
            return Ok(0);
        }
        QueueAction::Purge {
            queue,
            dead_letter,
            auto_approve,
        } => {
            drop(out);
            let purged = ops::queue::purge(
                &opts,
                &queue,
                dead_letter,
                auto_approve,
                &mut Prompt { style },
            )
            .await?;
            render::queue::write_purged(&mut std::io::stdout().lock(), &purged, style)?;
            return Ok(0);
        }
    }
    out.flush()?;
    Ok(0)
}

/// A redrive's events on stdout, as they come.
struct EventLines {
    json: bool,
    style: Style,
}

impl RetryUi for EventLines {
    fn event(&mut self, event: &RetryEvent) {
        let mut out = std::io::stdout().lock();
        let _ = render::queue::write_retry_event(&mut out, event, self.json, self.style);
        let _ = out.flush();
    }
}

/// The purge prompt: on a terminal a question; otherwise the first line of stdin, if any.
struct Prompt {
    style: Style,
}

impl ops::queue::PurgeUi for Prompt {
    fn confirm(
        &mut self,
        name: &str,
        counts: Option<crate::live::messages::MessageCounts>,
    ) -> Option<String> {
        let terminal = std::io::stdin().is_terminal();
        if terminal {
            let held = counts
                .map(|c| format!(" ({} messages now)", c.visible + c.in_flight + c.delayed))
                .unwrap_or_default();
            print!(
                "{}\n  Only the queue's name is accepted: `{name}`.\n\n  Enter a value: ",
                self.style.bold(&format!(
                    "Do you really want to delete every message of this queue{held}?"
                ))
            );
            let _ = std::io::stdout().flush();
        }
        let mut answer = String::new();
        match std::io::stdin().read_line(&mut answer) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(answer),
        }
    }
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Stage name: reads `.hover/<STAGE>.yml`.
    pub stage: String,
    /// Print the status as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `hover status`: always exit 0 once the stage was read.
pub async fn status(dir: PathBuf, args: StatusArgs, style: Style) -> Result<i32, HoverError> {
    let opts = ops::status::StatusOptions {
        dir,
        stage: args.stage,
    };
    let status = ops::status::status(&opts).await?;
    let mut out = std::io::stdout().lock();
    if args.json {
        render::status::write_json(&mut out, &status)?;
    } else {
        render::status::write_text(&mut out, &status, style)?;
    }
    out.flush()?;
    Ok(0)
}
