//! Errors of the stage manifest: every problem found in one pass, each located at file, line,
//! column and key path, rendered by miette as a code frame; plus the file-level failures (missing,
//! unreadable, ambiguous stage file).

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode, SourceSpan};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// One thing wrong in a stage file. `line` and `column` are 1-based (the column counts
/// characters); `path` is the key path (`queue.mail-sender.timeout`, `http.domains[1]`), empty
/// when the problem is about the document itself.
///
/// `Display`: `<file>:<line>:<col>: <key path>: <message>`, then `  help: <help>` on its own line
/// when there is help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    file: String,
    line: usize,
    column: usize,
    path: String,
    message: String,
    help: Option<String>,
    span: SourceSpan,
}

impl Problem {
    /// A problem at `span` (byte offset and length in the file's text).
    pub(crate) fn new(
        file: &str,
        (line, column): (usize, usize),
        span: (usize, usize),
        path: impl Into<String>,
        message: impl Into<String>,
        help: Option<String>,
    ) -> Self {
        Problem {
            file: file.to_string(),
            line,
            column,
            path: printable(&path.into(), PATH_MAX),
            message: printable(&message.into(), MESSAGE_MAX),
            help: help.map(|h| printable(&h, MESSAGE_MAX)),
            span: SourceSpan::from(span),
        }
    }

    /// The file the problem is in, as given to `parse`/`load`.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// 1-based line.
    pub fn line(&self) -> usize {
        self.line
    }

    /// 1-based column, in characters.
    pub fn column(&self) -> usize {
        self.column
    }

    /// Key path, e.g. `queue.default.timeout` or `http.domains[1]`; empty for document-level problems.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What to do about it (`did you mean `memory`?`, `allowed: 128–10240`).
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// Byte offset and length of the offending text.
    pub fn span(&self) -> SourceSpan {
        self.span
    }

    /// `<file>:<line>:<col>: <key path>: <message>` without the help.
    fn headline(&self) -> String {
        if self.path.is_empty() {
            format!(
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        } else {
            format!(
                "{}:{}:{}: {}: {}",
                self.file, self.line, self.column, self.path, self.message
            )
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline())?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Longest key path shown; longer ones are shortened.
const PATH_MAX: usize = 120;
/// Longest message or help shown (a value quoted in it may be long); longer ones are shortened.
const MESSAGE_MAX: usize = 400;
/// Longest source line shown in a code frame: a problem on a longer line (or far to its right) is
/// reported by its position alone.
const FRAME_LINE_MAX: usize = 300;

/// Whether `c` would act on a terminal instead of showing: control characters (C0 but tab and
/// newline, DEL, C1) and the bidirectional controls that reorder what is shown.
fn is_hidden_control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// `text` safe to print: control and bidirectional characters escaped (`\u{1b}`), and shortened
/// to `max` characters with a note of how much was left out.
pub(crate) fn printable(text: &str, max: usize) -> String {
    let mut out = String::new();
    let total = text.chars().count();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push_str(&format!("… ({} more characters)", total - max));
            break;
        }
        if is_hidden_control(c) || (c == '\n' && max < MESSAGE_MAX) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// The source as code frames show it: control and bidirectional characters replaced by a visible
/// one of the same length in bytes (`?`, `¿`, `�`), and every secret value overwritten with `*`,
/// so spans still point at the same bytes.
fn shown_source(text: &str, secrets: &[String]) -> String {
    let mut chars = text.chars().peekable();
    let mut shown = String::with_capacity(text.len());
    while let Some(c) = chars.next() {
        // A carriage return ending a line (CRLF) is a line break; alone it would overwrite the line.
        let line_break = c == '\r' && chars.peek() == Some(&'\n');
        shown.push_str(&if is_hidden_control(c) && !line_break {
            match c.len_utf8() {
                1 => "?".to_string(),
                2 => "¿".to_string(),
                3 => "\u{fffd}".to_string(),
                n => "?".repeat(n),
            }
        } else {
            c.to_string()
        });
    }
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        if shown.contains(secret.as_str()) {
            shown = shown.replace(secret.as_str(), &"*".repeat(secret.len()));
        }
    }
    shown
}

/// Replaces every secret value in `text` with a marker.
fn without_secrets(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "(sensitive value)");
        }
    }
    out
}

/// Whether a code frame around `span` stays readable: its line and the lines shown around it
/// (one on each side) are short, and the span is short: a frame is never wider than
/// [`FRAME_LINE_MAX`] characters, whatever a value in the file holds.
fn frame_fits(text: &str, span: SourceSpan) -> bool {
    let offset = span.offset().min(text.len());
    if !text.is_char_boundary(offset) || span.len() > 4 * FRAME_LINE_MAX {
        return false;
    }
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let short = |line: &str| line.len() <= FRAME_LINE_MAX || line.chars().count() <= FRAME_LINE_MAX;
    let before = start
        .checked_sub(1)
        .map(|nl| &text[text[..nl].rfind('\n').map_or(0, |i| i + 1)..nl]);
    let after = (end < text.len()).then(|| {
        let rest = &text[end + 1..];
        &rest[..rest.find('\n').unwrap_or(rest.len())]
    });
    short(&text[start..end]) && before.is_none_or(short) && after.is_none_or(short)
}

/// A located warning as miette renders it (severity warning): the headline carries
/// file:line:column and key path, the help says what to do.
#[derive(Debug)]
pub struct Warning(pub Problem);

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.headline())
    }
}

impl std::error::Error for Warning {}

impl Diagnostic for Warning {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("hover::manifest::warning"))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Warning)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
}

/// A problem as miette renders it: headline above a code frame, help below it.
#[derive(Debug)]
struct Frame {
    problem: Problem,
    source: NamedSource<Arc<String>>,
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problem.headline())
    }
}

impl std::error::Error for Frame {}

/// Longest message repeated as the label under the code; longer ones only underline.
const LABEL_MAX: usize = 48;

impl Diagnostic for Frame {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.problem
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        frame_fits(self.source.inner(), self.problem.span)
            .then_some(&self.source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.source.inner().is_empty() || !frame_fits(self.source.inner(), self.problem.span) {
            return None;
        }
        let text = (self.problem.message.chars().count() <= LABEL_MAX)
            .then(|| self.problem.message.clone());
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(text, self.problem.span),
        )))
    }
}

/// Most problems rendered (code frames, text); the rest are counted by kind.
pub const PROBLEMS_SHOWN: usize = 50;

/// Most distinct secret values hidden in code frames; a file with more shows its problems by
/// position alone (hiding each value costs a pass over the text).
const SECRETS_IN_FRAMES: usize = 64;

/// Every problem of one stage file, sorted by position, with the file's text for code frames.
/// At most [`PROBLEMS_SHOWN`] are rendered, then "and N more" with a count by kind.
#[derive(Debug)]
pub struct Problems {
    file: String,
    frames: Vec<Frame>,
    /// The problems not rendered: how many of each kind.
    more: More,
}

/// The problems past [`PROBLEMS_SHOWN`], counted by kind (their message without what it quotes).
#[derive(Debug, Default)]
struct More {
    total: usize,
    by_kind: Vec<(String, usize)>,
}

impl fmt::Display for More {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kinds: Vec<String> = self
            .by_kind
            .iter()
            .map(|(kind, n)| format!("{n} × {kind}"))
            .collect();
        write!(
            f,
            "and {} more problem{} not shown: {}",
            self.total,
            if self.total == 1 { "" } else { "s" },
            kinds.join(", ")
        )
    }
}

impl std::error::Error for More {}
impl Diagnostic for More {}

/// A problem's kind: its message up to what it quotes or details (`unknown key`, `duplicate key`).
fn kind_of(message: &str) -> String {
    let cut = message
        .find(['`', ':', '"', '\'', '('])
        .unwrap_or(message.len());
    let kind = message[..cut].trim().trim_end_matches([',', '.', ';']);
    let kind = if kind.is_empty() { message } else { kind };
    printable(kind, 60)
}

impl Problems {
    /// Sorts `problems` by position, drops exact repeats and attaches the source text. `secrets`
    /// (the values of secret-looking environment keys) are never shown: not in a message, not in a
    /// code frame. Only the first [`PROBLEMS_SHOWN`] are kept whole; the rest are counted by kind.
    pub(crate) fn new(
        file: &str,
        text: &str,
        mut problems: Vec<Problem>,
        secrets: &[String],
    ) -> Self {
        problems.sort_by(|a, b| {
            (a.span.offset(), a.line, a.column, &a.path, &a.message).cmp(&(
                b.span.offset(),
                b.line,
                b.column,
                &b.path,
                &b.message,
            ))
        });
        problems.dedup();
        let mut secrets: Vec<String> = secrets.iter().filter(|s| s.len() >= 4).cloned().collect();
        secrets.sort();
        secrets.dedup();
        let rest = if problems.len() > PROBLEMS_SHOWN {
            problems.split_off(PROBLEMS_SHOWN)
        } else {
            Vec::new()
        };
        let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
        for p in &rest {
            *counts.entry(kind_of(&p.message)).or_default() += 1;
        }
        let mut by_kind: Vec<(String, usize)> = counts
            .into_iter()
            .map(|(kind, n)| (without_secrets(&kind, &secrets), n))
            .collect();
        by_kind.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for p in &mut problems {
            p.message = without_secrets(&p.message, &secrets);
            p.path = without_secrets(&p.path, &secrets);
            p.help = p.help.as_ref().map(|h| without_secrets(h, &secrets));
        }
        let shown = if secrets.len() <= SECRETS_IN_FRAMES {
            shown_source(text, &secrets)
        } else {
            String::new()
        };
        let source = NamedSource::new(file, Arc::new(shown)).with_language("yaml");
        let frames = problems
            .into_iter()
            .map(|problem| Frame {
                problem,
                source: source.clone(),
            })
            .collect();
        Problems {
            file: file.to_string(),
            frames,
            more: More {
                total: rest.len(),
                by_kind,
            },
        }
    }

    /// How many problems the file has (shown and not).
    pub fn total(&self) -> usize {
        self.frames.len() + self.more.total
    }
}

/// Why a stage manifest could not be loaded. `Invalid` holds every problem of the file (never
/// zero); the other variants are about finding and reading the file.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file was read but is not a valid manifest: every problem, sorted by position.
    #[error("{}", summary(.0))]
    Invalid(Problems),

    /// No `<stage>.yml` or `<stage>.yaml` in `.hover/`.
    #[error("stage file not found: {}", .path.display())]
    NotFound {
        /// The path looked for (`<dir>/.hover/<stage>.yml`).
        path: PathBuf,
        /// Stages that do exist in `.hover/`, sorted.
        stages: Vec<String>,
    },

    /// Both `<stage>.yml` and `<stage>.yaml` exist.
    #[error("both {} and {} exist; hover would not know which one to use", .first.display(), .second.display())]
    Ambiguous { first: PathBuf, second: PathBuf },

    /// The stage name cannot name a file in `.hover/` (path separators, leading dot).
    #[error("`{stage}` is not a stage name")]
    BadStageName { stage: String },

    /// The file exists but could not be read (permissions, not UTF-8).
    #[error("cannot read {}", .path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn summary(problems: &Problems) -> String {
    match problems.frames.as_slice() {
        [one] if problems.more.total == 0 => one.problem.headline(),
        _ => format!(
            "{}: {} problems in the stage manifest",
            problems.file,
            problems.total()
        ),
    }
}

impl ManifestError {
    /// The located problems shown, sorted by position: at most [`PROBLEMS_SHOWN`] (empty for the
    /// file-level variants).
    pub fn problems(&self) -> Vec<&Problem> {
        match self {
            ManifestError::Invalid(p) => p.frames.iter().map(|f| &f.problem).collect(),
            _ => Vec::new(),
        }
    }

    /// Each problem on its own line(s), in the `Display` form of [`Problem`]; for the file-level
    /// variants, the error and its help.
    pub fn to_text(&self) -> String {
        match self {
            ManifestError::Invalid(p) => {
                let mut lines: Vec<String> =
                    p.frames.iter().map(|f| f.problem.to_string()).collect();
                if p.more.total > 0 {
                    lines.push(p.more.to_string());
                }
                lines.join("\n")
            }
            other => {
                let mut text = other.to_string();
                if let Some(cause) = std::error::Error::source(other) {
                    text.push_str(&format!(": {cause}"));
                }
                if let Some(help) = other.help() {
                    text.push_str(&format!("\n  help: {help}"));
                }
                text
            }
        }
    }
}

impl Diagnostic for ManifestError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(match self {
            ManifestError::Invalid(_) => "hover::manifest",
            ManifestError::NotFound { .. } => "hover::manifest::not_found",
            ManifestError::Ambiguous { .. } => "hover::manifest::ambiguous",
            ManifestError::BadStageName { .. } => "hover::manifest::stage_name",
            ManifestError::Unreadable { .. } => "hover::manifest::unreadable",
        }))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        match self {
            ManifestError::Invalid(p) => match p.frames.as_slice() {
                [one] if p.more.total == 0 => one.help(),
                _ => None,
            },
            ManifestError::NotFound { stages, .. } if stages.is_empty() => Some(Box::new(
                "no stage files exist in .hover/; create one, e.g. `.hover/dev.yml` with `name` and `region`",
            )),
            ManifestError::NotFound { stages, .. } => Some(Box::new(format!(
                "stages in .hover/: {}",
                stages.join(", ")
            ))),
            ManifestError::Ambiguous { .. } => Some(Box::new("remove or rename one of them")),
            ManifestError::BadStageName { .. } => Some(Box::new(
                "a stage is the name of a file in .hover/ without `.yml`: letters, digits, `-` and `_`",
            )),
            ManifestError::Unreadable { .. } => None,
        }
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        match self {
            ManifestError::Invalid(p) => match p.frames.as_slice() {
                [one] if p.more.total == 0 => one.source_code(),
                _ => None,
            },
            _ => None,
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        match self {
            ManifestError::Invalid(p) => match p.frames.as_slice() {
                [one] if p.more.total == 0 => one.labels(),
                _ => None,
            },
            _ => None,
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        match self {
            ManifestError::Invalid(p) if p.frames.len() > 1 || p.more.total > 0 => Some(Box::new(
                p.frames
                    .iter()
                    .map(|f| f as &dyn Diagnostic)
                    .chain((p.more.total > 0).then_some(&p.more as &dyn Diagnostic)),
            )),
            _ => None,
        }
    }
}
