//! Rendering: the plan model as human text, JSON or markdown, and runs as text. Renderers only
//! format what the plan computed (diff trees, marks, what apply can put back). No AWS; writes to
//! the writer it is given.

pub mod destroy;
pub mod doctor;
pub mod events;
pub mod json;
pub mod logs;
pub mod maintenance;
pub mod markdown;
pub mod queue;
pub mod release;
pub mod status;
pub mod text;

use crate::plan::Action;

/// The symbol of an action in the text and markdown plans.
pub(crate) fn symbol(action: Action) -> &'static str {
    match action {
        Action::NoOp => " ",
        Action::Create => "+",
        Action::Update => "~",
        Action::CreateThenDelete => "+/-",
        Action::Delete => "-",
    }
}

/// Whether output may carry ANSI colour (a terminal, and neither `--no-color` nor `NO_COLOR`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub const PLAIN: Style = Style { color: false };

    /// Colour only on a terminal, never with `--no-color` or a non-empty `NO_COLOR`.
    pub fn detect(no_color_flag: bool, is_terminal: bool) -> Style {
        let env_off = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: is_terminal && !no_color_flag && !env_off,
        }
    }

    pub(crate) fn paint(&self, text: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    pub fn green(&self, t: &str) -> String {
        self.paint(t, "32")
    }
    pub fn yellow(&self, t: &str) -> String {
        self.paint(t, "33")
    }
    pub fn red(&self, t: &str) -> String {
        self.paint(t, "31")
    }
    pub fn bold(&self, t: &str) -> String {
        self.paint(t, "1")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_opt_out() {
        // NO_COLOR is read from the environment; only the flag and the terminal are varied here.
        let env_off = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        assert_eq!(Style::detect(false, true).color, !env_off);
        assert!(!Style::detect(true, true).color, "--no-color wins");
        assert!(!Style::detect(false, false).color, "a pipe gets no colour");
        assert_eq!(Style::PLAIN.green("x"), "x");
        assert_eq!(Style { color: true }.green("x"), "\u{1b}[32mx\u{1b}[0m");
    }
}
