//! The terminal side of the commands' conversations: the plan and prompts on stdout, progress
//! lines, and on a terminal a live block (indicatif) for a stack operation or a child tool.

use crate::ops;
use crate::render::{self, Style};
use std::io::{IsTerminal, Write};

impl ops::destroy::DestroyUi for TerminalUi {
    fn show_plan(&mut self, plan: &crate::plan::destroy::DestroyPlan, manifest: &str) {
        let mut out = std::io::stdout().lock();
        let _ = render::destroy::write_destroy_plan(&mut out, plan, manifest, self.style);
        let _ = writeln!(out);
    }

    /// On a terminal, a prompt; otherwise the first line of stdin, if any (`echo NAME | hover
    /// destroy STAGE`): the name must still be given.
    fn confirm(&mut self, name: &str) -> Option<String> {
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

    fn progress_line(&mut self, line: &str) {
        self.line(line);
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

/// Apply's conversation on the terminal: the plan, the prompt, progress lines, and on a terminal
/// a live block with N of M done (indicatif); plain lines otherwise.
pub(super) struct TerminalUi {
    style: Style,
    live: bool,
    bar: Option<indicatif::ProgressBar>,
    spinner: Option<indicatif::ProgressBar>,
}

impl TerminalUi {
    pub(super) fn new(style: Style) -> Self {
        TerminalUi {
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

impl ops::ApplyUi for TerminalUi {
    fn show_plan(&mut self, plan: &crate::plan::Plan) {
        let mut out = std::io::stdout().lock();
        let _ = render::text::write_plan(&mut out, plan, self.style);
        let _ = writeln!(out);
    }

    fn note(&mut self, line: &str) {
        self.line(line);
    }

    fn approve(&mut self, question: &str) -> Option<bool> {
        if !std::io::stdin().is_terminal() {
            return None;
        }
        print!("{}\n\n  Enter a value: ", self.style.bold(question));
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).ok()?;
        println!();
        Some(answer.trim() == "yes")
    }

    fn progress_line(&mut self, line: &str) {
        self.line(line);
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

    fn progress_end(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    fn show_mismatches(&mut self, rows: &[(String, String, String)]) {
        let mut out = std::io::stdout().lock();
        let _ = render::text::write_mismatches(&mut out, rows, self.style);
    }

    fn phase(&mut self, name: &str) {
        self.line(&format!("\n{}", self.style.bold(&format!("==> {name}"))));
    }

    fn tool_line(&mut self, line: &str) {
        if !self.live {
            self.line(&format!("    {line}"));
            return;
        }
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

    fn tool_end(&mut self) {
        if let Some(s) = self.spinner.take() {
            s.finish_and_clear();
        }
    }

    fn output(&mut self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = writeln!(out);
        }
    }
}
