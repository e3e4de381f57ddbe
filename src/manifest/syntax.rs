//! YAML syntax errors as located problems: the parser's message placed where the mistake is (a
//! tab itself, not the line the parser stopped on), with a hint for the usual mistakes.

use super::yaml::{locate, Span, YamlProblem};

/// The problem of a parse that stopped at byte `offset` of `text` saying `info`.
pub(super) fn problem(text: &str, offset: usize, info: &str) -> YamlProblem {
    let tab = info.contains("tab");
    let offset = if tab {
        tab_offset(text, offset)
    } else {
        offset
    };
    let (line, col) = locate(text, offset);
    let len = text
        .get(offset..)
        .and_then(|rest| rest.chars().next())
        .map_or(0, char::len_utf8);
    YamlProblem {
        span: Span { offset, len },
        line,
        col,
        path: String::new(),
        message: format!("invalid YAML: {info}"),
        help: hint(info).map(str::to_string),
    }
}

/// The parser reports a tab at or before it, sometimes on the line above: the first tab of the
/// line of `offset`, else the next tab.
fn tab_offset(text: &str, offset: usize) -> usize {
    let line_start = text
        .get(..offset)
        .and_then(|s| s.rfind('\n'))
        .map_or(0, |i| i + 1);
    let line_end = text
        .get(offset..)
        .and_then(|s| s.find('\n'))
        .map_or(text.len(), |i| offset + i);
    let on_line = text.get(line_start..line_end).and_then(|l| l.find('\t'));
    if let Some(i) = on_line {
        line_start + i
    } else if let Some(i) = text.get(offset..).and_then(|rest| rest.find('\t')) {
        offset + i
    } else {
        offset
    }
}

/// What to do about the parser's error `info`, for the usual mistakes.
fn hint(info: &str) -> Option<&'static str> {
    if info.contains("tab") {
        Some("indent YAML with spaces; tabs are not allowed")
    } else if info.contains("did not find expected key")
        || info.contains("simple key expect")
        || info.contains("mapping values are not allowed")
    {
        Some(
            "check the indentation (keys of one mapping line up) and that every key is \
             followed by `: ` (quote values that contain `: `)",
        )
    } else if info.contains("unknown anchor") {
        Some("define the anchor (`&name`) before using the alias (`*name`)")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::yaml::parse;
    use super::*;

    #[test]
    fn syntax_errors_are_located() {
        let doc = parse("a: 1\n\tb: 2\n");
        assert!(doc.root.is_none());
        let p = &doc.problems[0];
        assert_eq!((p.line, p.col), (2, 1));
        assert!(p.help.as_deref().unwrap_or("").contains("spaces"));
        let doc = parse("a: [1, 2\n");
        assert!(doc.problems[0].message.starts_with("invalid YAML"));
    }

    #[test]
    fn a_tab_is_pointed_at_on_its_own_line_or_after() {
        assert_eq!(tab_offset("a: 1\n  \tb: 2\n", 5), 7);
        assert_eq!(tab_offset("a: 1\nb: 2\n\tc: 3", 5), 10);
        assert_eq!(tab_offset("a: 1\n", 2), 2);
    }
}
