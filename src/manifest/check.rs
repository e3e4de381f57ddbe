//! The checker's toolkit: located problems and warnings, and typed reads of YAML nodes (mappings
//! with known keys, strings, lists, whole numbers in a range) that report what they cannot read.

use super::error::Problem;
use super::scalar::{is_float, is_int, parse_int};
use super::yaml::{self, Kind, Node, Span};
use std::collections::HashMap;
use std::path::Path;

/// Collects located problems while reading the node tree into typed settings.
pub(super) struct Checker<'a> {
    pub(super) file: &'a str,
    pub(super) text: &'a str,
    /// Where the text's lines start: problems are located in O(log n).
    pub(super) lines: yaml::Lines,
    pub(super) problems: Vec<Problem>,
    pub(super) warnings: Vec<Problem>,
    /// The partition of the stage's region, once read: the partition of every ARN it names.
    pub(super) partition: crate::model::Partition,
}

/// One known entry of a mapping.
pub(super) struct Entry<'n> {
    pub(super) name: &'n str,
    /// The key's node (problems about the entry as a whole point here).
    pub(super) key: &'n Node,
    pub(super) value: &'n Node,
}

/// The known entries of one mapping, by key.
pub(super) struct Fields<'n> {
    entries: Vec<Entry<'n>>,
}

impl<'n> Fields<'n> {
    /// The entry `key`, when written.
    pub(super) fn get(&self, key: &str) -> Option<&Entry<'n>> {
        self.entries.iter().find(|e| e.name == key)
    }

    /// The value of `key`, when written.
    pub(super) fn value(&self, key: &str) -> Option<&'n Node> {
        self.get(key).map(|e| e.value)
    }
}

/// A string read from the file and where it was written.
#[derive(Clone, Debug)]
pub(super) struct Located {
    pub(super) value: String,
    pub(super) span: Span,
    /// 1-based line of the text (for "first on line N" messages).
    pub(super) line: usize,
    /// Key path (`queue.default.queues[1]`).
    pub(super) path: String,
}

/// Why a value is refused, and what to do instead when there is something to say.
pub(super) struct Finding {
    pub(super) message: String,
    pub(super) help: Option<String>,
}

impl Finding {
    pub(super) fn new(message: String, help: Option<String>) -> Self {
        Finding { message, help }
    }
}

/// `path.key`, or `key` at the top.
pub(super) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Longest word a typo is looked for in (the distance costs its length times each candidate's).
const SUGGEST_MAX_LEN: usize = 64;

/// The closest of `candidates` to `word`, when close enough to be a likely typo.
pub(super) fn suggest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    if word.len() > SUGGEST_MAX_LEN {
        return None;
    }
    let normalized = word.to_ascii_lowercase().replace('_', "-");
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&normalized, c), *c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `did you mean …?` when `word` is close to one of `allowed`, else the list.
fn allowed_help(word: &str, allowed: &[&str], list: &str) -> String {
    match suggest(word, allowed) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("{list}: {}", allowed.join(", ")),
    }
}

/// A null node: what an omitted section reads as.
pub(super) static NULL: Node = Node {
    kind: Kind::Null,
    span: Span { offset: 0, len: 0 },
    line: 1,
    col: 1,
};

impl Checker<'_> {
    /// Records a problem at a byte range (labels are cut to the range's first line).
    pub(super) fn at(
        &mut self,
        offset: usize,
        len: usize,
        path: &str,
        message: &str,
        help: Option<String>,
    ) {
        let offset = offset.min(self.text.len());
        let rest = self.text.get(offset..).unwrap_or("");
        let len = len.min(rest.len());
        let len = rest
            .get(..len)
            .and_then(|s| s.find(['\n', '\r']))
            .unwrap_or(len);
        self.problems.push(Problem::new(
            self.file,
            self.lines.locate(offset),
            (offset, len),
            path,
            message,
            help,
        ));
    }

    pub(super) fn report(&mut self, node: &Node, path: &str, message: &str, help: Option<String>) {
        self.at(node.span.offset, node.span.len, path, message, help);
    }

    /// Records a problem where `item` was written, under its path.
    pub(super) fn report_at(&mut self, item: &Located, message: &str, help: Option<String>) {
        self.at(item.span.offset, item.span.len, &item.path, message, help);
    }

    /// Records `finding` at `node`.
    pub(super) fn refuse(&mut self, node: &Node, path: &str, finding: Finding) {
        self.report(node, path, &finding.message, finding.help);
    }

    /// The values of `items` in order, each once: one `invalid` refuses, or one listed before,
    /// is reported where it was written. `what` prefixes the value in messages (`domain `).
    pub(super) fn distinct(
        &mut self,
        items: Vec<Located>,
        what: &str,
        invalid: impl Fn(&str) -> Option<Finding>,
    ) -> Vec<String> {
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut values = Vec::new();
        for item in items {
            if let Some(finding) = invalid(&item.value) {
                self.report_at(&item, &finding.message, finding.help);
            } else if let Some(first) = seen.get(&item.value) {
                let message = format!("{what}`{}` is listed twice (also {first})", item.value);
                self.report_at(&item, &message, None);
            } else {
                seen.insert(item.value.clone(), item.path);
                values.push(item.value);
            }
        }
        values
    }

    /// The stage name: the file's name without its extension.
    pub(super) fn stage(&self) -> String {
        Path::new(self.file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "<stage>".into())
    }

    /// Records a warning at `node` (located like a problem; it does not stop the stage).
    pub(super) fn warn(&mut self, node: &Node, path: &str, message: &str, help: Option<String>) {
        let before = self.problems.len();
        self.report(node, path, message, help);
        if let Some(w) = self.problems.pop() {
            if self.problems.len() == before {
                self.warnings.push(w);
            }
        }
    }

    /// The known entries of a mapping; unknown keys and non-mappings are reported. A null value
    /// (`http:` with nothing under it) is an empty mapping.
    pub(super) fn fields<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        allowed: &[&str],
    ) -> Fields<'n> {
        let expected = if path.is_empty() {
            "a stage file must be a mapping of keys (`name: …`)"
        } else {
            "expected a mapping"
        };
        let help = format!("allowed keys: {}", allowed.join(", "));
        let mut fields = Fields {
            entries: Vec::new(),
        };
        let entries = self.entries(node, path, expected, help);
        for (key, value) in entries {
            let Some(name) = key.scalar() else { continue };
            if allowed.contains(&name) {
                fields.entries.push(Entry { name, key, value });
            } else {
                // Past the problems that are shown, the list does (no typo search for each).
                let help = if self.problems.len() < super::error::PROBLEMS_SHOWN {
                    allowed_help(name, allowed, "allowed keys")
                } else {
                    format!("allowed keys: {}", allowed.join(", "))
                };
                self.report(
                    key,
                    &join(path, name),
                    &format!("unknown key `{name}`"),
                    Some(help),
                );
            }
        }
        fields
    }

    /// The entries of a mapping in source order; a null value has none; anything else is
    /// reported as not the mapping `expected` says.
    pub(super) fn entries<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        expected: &str,
        help: impl Into<String>,
    ) -> &'n [(Node, Node)] {
        match &node.kind {
            Kind::Map(entries) => entries,
            Kind::Null => &[],
            _ => {
                self.report(
                    node,
                    path,
                    &format!("{expected}, found {}", node.describe()),
                    Some(help.into()),
                );
                &[]
            }
        }
    }

    /// Reports a required key that is missing, at the start of its mapping.
    pub(super) fn missing(&mut self, parent: &Node, path: &str, help: &str) {
        self.at(
            parent.span.offset,
            0,
            path,
            &format!(
                "missing required key `{}`",
                path.rsplit('.').next().unwrap_or(path)
            ),
            Some(help.to_string()),
        );
    }

    /// `value` when it is one of `allowed`, else a problem suggesting the closest.
    pub(super) fn one_of(
        &mut self,
        node: &Node,
        path: &str,
        value: String,
        allowed: &[&str],
        message: &str,
    ) -> Option<String> {
        if allowed.contains(&value.as_str()) {
            return Some(value);
        }
        let help = allowed_help(&value, allowed, "allowed");
        self.report(node, path, message, Some(help));
        None
    }

    pub(super) fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.kind {
            Kind::Scalar { value, .. } => Some(value.clone()),
            _ => {
                self.report(
                    node,
                    path,
                    &format!("expected a string, found {}", node.describe()),
                    None,
                );
                None
            }
        }
    }

    /// A non-empty string.
    pub(super) fn text_value(&mut self, node: &Node, path: &str) -> Option<String> {
        let s = self.string(node, path)?;
        if s.trim().is_empty() {
            self.report(node, path, "must not be empty", None);
            return None;
        }
        Some(s)
    }

    /// Items of a list of strings and where each was written; a null value is an empty list.
    pub(super) fn strings(&mut self, node: &Node, path: &str) -> Vec<Located> {
        match &node.kind {
            Kind::Null => Vec::new(),
            Kind::Seq(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    let path = format!("{path}[{i}]");
                    let value = self.string(item, &path)?;
                    Some(Located {
                        value,
                        span: item.span,
                        line: item.line,
                        path,
                    })
                })
                .collect(),
            _ => {
                self.report(
                    node,
                    path,
                    &format!("expected a list, found {}", node.describe()),
                    Some("write one item per line, each starting with `- `".into()),
                );
                Vec::new()
            }
        }
    }

    /// A whole number written as a plain YAML number.
    pub(super) fn int(&mut self, node: &Node, path: &str) -> Option<i64> {
        let key = path.rsplit('.').next().unwrap_or(path);
        let (message, help) = match &node.kind {
            Kind::Scalar { value, plain: true } if is_int(value) => match parse_int(value) {
                Some(n) => return Some(n),
                None => (format!("number `{value}` is too large"), None),
            },
            Kind::Scalar { value, plain: true } if is_float(value) => {
                (format!("expected a whole number, found `{value}`"), None)
            }
            Kind::Scalar {
                value,
                plain: false,
            } => (
                "expected a number, found a string".to_string(),
                (is_int(value.trim()) || is_float(value.trim()))
                    .then(|| format!("remove the quotes: `{key}: {}`", value.trim())),
            ),
            Kind::Scalar { value, plain: true } => (
                format!("expected a number, found {}: `{value}`", node.describe()),
                None,
            ),
            _ => (
                format!("expected a number, found {}", node.describe()),
                None,
            ),
        };
        self.report(node, path, &message, help);
        None
    }

    /// A whole number within `min..=max`; `what` names the unit in messages.
    pub(super) fn ranged(
        &mut self,
        node: &Node,
        path: &str,
        min: i64,
        max: i64,
        what: &str,
    ) -> Option<u32> {
        let n = self.int(node, path)?;
        if n < min || n > max {
            self.report(
                node,
                path,
                &format!("{n} is out of range for {what}"),
                Some(format!("allowed: {min}–{max}")),
            );
            return None;
        }
        u32::try_from(n).ok()
    }
}
