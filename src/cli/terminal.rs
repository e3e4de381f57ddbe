//! The terminal side of the commands' conversations: their events as text on stdout (through
//! `render::events`), the prompts, and on a terminal a live block (indicatif) for a stack operation
//! or a child tool; or, with `--json`, their events as JSON lines and no prompt.

use crate::events::{Event, Question, Sink};
use crate::ops;
use crate::render::events::{question_text, Text, TextRenderer};
use crate::render::Style;
use std::io::{IsTerminal, Write};

/// With `--json`: every event one JSON line on stdout; nothing is asked (approval must be given
/// by flag).
pub(super) struct JsonUi;

impl Sink for JsonUi {
    fn emit(&mut self, event: Event) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(crate::render::events::json_line(&event).as_bytes());
        let _ = out.flush();
    }
}

impl ops::Ui for JsonUi {
    fn approve(&mut self, _question: &Question) -> Option<bool> {
        None
    }
}

/// Questions of `hover stage new`, asked only when stdin is a terminal.
pub(super) struct TerminalAsk;

impl ops::stage_new::Ask for TerminalAsk {
    fn ask(&mut self, question: &str, default: Option<&str>) -> Option<String> {
        if !std::io::stdin().is_terminal() {
            return None;
        }
        match default {
            Some(d) => print!("{question} [{d}]: "),
            None => print!("{question}: "),
        }
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).ok()?;
        let answer = answer.trim();
        Some(if answer.is_empty() {
            default.unwrap_or("").to_string()
        } else {
            answer.to_string()
        })
    }
}

/// A changing command's conversation on the terminal: its events as text, the prompts, and on a
/// terminal a live block with N of M done (indicatif); plain lines otherwise.
pub(super) struct TerminalUi {
    text: TextRenderer,
    style: Style,
    live: bool,
    bar: Option<indicatif::ProgressBar>,
    spinner: Option<indicatif::ProgressBar>,
}

impl TerminalUi {
    pub(super) fn new(style: Style) -> Self {
        TerminalUi {
            text: TextRenderer::new(style),
            style,
            live: std::io::stdout().is_terminal(),
            bar: None,
            spinner: None,
        }
    }

    fn line(&mut self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => println!("{text}"),
        }
    }

    fn block(&mut self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    fn progress_state(&mut self, done: usize, total: usize, in_flight: usize) {
        if !self.live {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} {pos} of {len} done, {msg} [{elapsed}]",
            ) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        bar.set_message(format!("{in_flight} in flight"));
    }

    fn tool_line(&mut self, line: &str) {
        let spinner = self.spinner.get_or_insert_with(|| {
            let s = indicatif::ProgressBar::new_spinner();
            if let Ok(style) = indicatif::ProgressStyle::with_template("    {spinner} {wide_msg}") {
                s.set_style(style);
            }
            s.enable_steady_tick(std::time::Duration::from_millis(120));
            s
        });
        spinner.set_message(line.to_string());
    }
}

impl Drop for TerminalUi {
    /// A command that ends early (an error) leaves no spinner or progress bar behind.
    fn drop(&mut self) {
        if let Some(s) = self.spinner.take() {
            s.finish_and_clear();
        }
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

impl Sink for TerminalUi {
    fn emit(&mut self, event: Event) {
        match &event {
            Event::StackProgress {
                done,
                total,
                in_flight,
            } => return self.progress_state(*done, *total, *in_flight),
            Event::StackWatchEnded => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                return;
            }
            Event::ToolOutput { line } if self.live => return self.tool_line(line),
            Event::ToolEnded => {
                if let Some(s) = self.spinner.take() {
                    s.finish_and_clear();
                }
                return;
            }
            _ => {}
        }
        for piece in self.text.render(&event) {
            match piece {
                Text::Line(l) => self.line(&l),
                Text::Block(b) => self.block(&b),
                Text::Error(e) => eprintln!("{e}"),
            }
        }
    }
}

impl ops::Ui for TerminalUi {
    fn approve(&mut self, question: &Question) -> Option<bool> {
        if !std::io::stdin().is_terminal() {
            return None;
        }
        print!(
            "{}\n\n  Enter a value: ",
            self.style.bold(&question_text(question))
        );
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).ok()?;
        println!();
        Some(answer.trim() == "yes")
    }

    /// On a terminal, a prompt; otherwise the first line of stdin, if any (`echo NAME | hover
    /// destroy STAGE`): the name must still be given.
    fn confirm_name(&mut self, name: &str) -> Option<String> {
        let terminal = std::io::stdin().is_terminal();
        if terminal {
            print!(
                "{}\n  Only the stage's name is accepted: `{name}`.\n\n  Enter a value: ",
                self.style
                    .bold("Do you really want to destroy every resource of this stage?")
            );
            let _ = std::io::stdout().flush();
        }
        let mut answer = String::new();
        match std::io::stdin().read_line(&mut answer) {
            Ok(0) | Err(_) => None,
            Ok(_) => {
                if terminal {
                    println!();
                }
                Some(answer)
            }
        }
    }
}
