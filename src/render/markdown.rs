//! Plans as GitHub-flavoured markdown for a pull-request comment: the summary line, a table of the
//! resources that change with their action and why, and per resource a collapsible block with its
//! property diff (the text renderer's, without colour). Secrets stay masked, as in every output.

use super::text;
use super::{symbol, Style};
use crate::plan::{Action, Cause, Plan, Reason, ResourceChange};
use std::io::{self, Write};

/// A table cell: pipes escaped, on one line.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn action_words(action: Action) -> &'static str {
    match action {
        Action::NoOp => "no change",
        Action::Create => "create",
        Action::Update => "update in place",
        Action::CreateThenDelete => "replace",
        Action::Delete => "destroy",
    }
}

/// Why the resource changes, in a few words.
fn why(c: &ResourceChange) -> String {
    match c.reason {
        Some(Reason::ReplaceBecauseCannotUpdate) => {
            format!("`{}` cannot change in place", c.replace_paths.join("`, `"))
        }
        Some(Reason::DeleteBecauseNotInManifest) => "no longer in the manifest".into(),
        Some(Reason::CreateBecauseDeletedOutside) => "deleted outside hover".into(),
        Some(Reason::UpdateBecauseChangedOutside) => "changed outside hover (put back)".into(),
        None if c.action == Action::Create => "new in the manifest".into(),
        None => {
            let mut names: Vec<String> = c
                .changes
                .iter()
                .map(|a| match a.cause {
                    Cause::Manifest => format!("`{}`", a.name),
                    Cause::OutsideHover => format!("`{}` (changed outside hover)", a.name),
                })
                .collect();
            names.dedup();
            names.join(", ")
        }
    }
}

/// Writes `plan` as markdown.
pub fn write_plan(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    writeln!(out, "### hover plan\n\n{}\n", cell(&text::header(plan)))?;
    write_notes(out, plan)?;
    let s = plan.summary();
    if !plan.has_changes() {
        return writeln!(
            out,
            "**No changes.** The stage matches its manifest (image `{}`).",
            plan.image_tag
        );
    }
    writeln!(
        out,
        "**Plan: {} to add, {} to change, {} to destroy.** Image `{}`.\n",
        s.add, s.change, s.destroy, plan.image_tag
    )?;
    write_table(out, plan)?;
    for c in plan.actions() {
        write_details(out, c)?;
    }
    Ok(())
}

/// The notes before the changes, as quotes: a take-over, warnings, maintenance, a split.
fn write_notes(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    if plan.takeover {
        writeln!(
            out,
            "> **Take-over:** the stack was deployed by the original Hover; hover takes it over in place, keeping its logical ids.\n"
        )?;
    }
    for w in &plan.warnings {
        writeln!(out, "> **Warning:** {}\n", cell(w))?;
    }
    if let Some(m) = &plan.maintenance {
        writeln!(
            out,
            "> **Down for maintenance** since {}: the queue mappings stay disabled until `hover up`.\n",
            m.since
        )?;
    }
    if let Some(split) = &plan.traffic {
        let on: Vec<String> = split
            .functions
            .iter()
            .map(|a| {
                format!(
                    "`{}` on {}",
                    a.function,
                    crate::plan::traffic::build_label(a)
                )
            })
            .collect();
        writeln!(
            out,
            "> **Traffic is split** across {} releases: {}. `hover rollback <stage>` puts every function back on the release that was live before; `hover deploy <stage>` moves them all to a new one.\n",
            split.builds().len(),
            cell(&on.join(", "))
        )?;
    }
    Ok(())
}

/// One row per change: what, of which type and name, and why.
fn write_table(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    writeln!(out, "| | resource | type | name | action | why |")?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    for c in plan.actions() {
        writeln!(
            out,
            "| `{}` | `{}` | `{}` | `{}` | {} | {} |",
            symbol(c.action),
            cell(&c.logical_id),
            cell(c.resource_type.as_str()),
            cell(&c.name),
            action_words(c.action),
            cell(&match c.destroys_messages {
                Some(n) => format!("{}; **destroys {n} messages**", why(c)),
                None => why(c),
            })
        )?;
    }
    writeln!(out)
}

/// A change's diff, folded in a `<details>` block.
fn write_details(out: &mut dyn Write, c: &ResourceChange) -> io::Result<()> {
    let mut diff = Vec::new();
    text::write_change(&mut diff, c, Style::PLAIN)?;
    let diff = String::from_utf8_lossy(&diff);
    writeln!(
        out,
        "<details><summary><code>{} {}</code> {} ({})</summary>\n",
        symbol(c.action),
        html(&c.logical_id),
        html(&c.role),
        action_words(c.action)
    )?;
    writeln!(out, "```diff")?;
    for line in diff.lines().filter(|l| !l.trim().is_empty()) {
        writeln!(out, "{}", diff_line(line).replace("```", "'''"))?;
    }
    writeln!(out, "```\n\n</details>\n")
}

/// A line of the text diff with its change marker moved to the first column, where a `diff` fence
/// colours `+` and `-` (the indentation is kept).
fn diff_line(line: &str) -> String {
    let indent = line.len() - line.trim_start().len();
    let rest = &line[indent..];
    for marker in ["+/-", "-/+", "+", "-", "~"] {
        if let Some(after) = rest.strip_prefix(marker) {
            if after.starts_with(' ') {
                let lead = marker.chars().next().unwrap_or(' ');
                let pad = " ".repeat(indent + marker.len() - 1);
                return format!("{lead}{pad}{after}");
            }
        }
    }
    line.to_string()
}

/// Text inside HTML (the `<summary>` line).
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_move_to_the_first_column() {
        assert_eq!(diff_line("      + Foo = 1"), "+       Foo = 1");
        assert_eq!(diff_line("  - Bar {"), "-   Bar {");
        assert_eq!(diff_line("  +/- Q {"), "+     Q {");
        assert_eq!(
            diff_line("        # (7 unchanged attributes hidden)"),
            "        # (7 unchanged attributes hidden)"
        );
        assert_eq!(
            diff_line("    ~ MemorySize = 512 -> 1024"),
            "~     MemorySize = 512 -> 1024"
        );
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }
}
