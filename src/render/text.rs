//! The human plan, in the manner of Terraform's: a header per resource naming its role, type and
//! name, `+ ~ - +/-` symbols, `old -> new` attribute lines, hidden-unchanged counts, changes made
//! outside hover shown apart, and the `Plan:` summary.

use super::Style;
use crate::model::Provisioner;
use crate::plan::diff::Diff;
use crate::plan::marked::{Mark, Marked};
use crate::plan::mask::SENSITIVE_TEXT;
use crate::plan::{Action, Cause, Plan, Reason, ResourceChange};
use serde_json::Value;
use std::io::{self, Write};

/// Writes the full human plan.
pub fn write_plan(out: &mut dyn Write, plan: &Plan, style: Style) -> io::Result<()> {
    writeln!(out, "{}\n", header(plan))?;
    if plan.takeover {
        write_takeover(out, plan, style)?;
    }
    if let Some(m) = &plan.maintenance {
        super::maintenance::write_plan_note(out, m, style)?;
    }
    for w in &plan.warnings {
        writeln!(out, "{} {w}\n", style.yellow(&style.bold("Warning:")))?;
    }
    let drifted: Vec<&ResourceChange> = plan.drifted().collect();
    if !drifted.is_empty() {
        write_drift(out, &drifted, style)?;
    }
    if let Some(split) = &plan.traffic {
        write_traffic(out, split, style)?;
    }
    if !plan.has_changes() {
        if plan.traffic.is_some() {
            writeln!(
                out,
                "{} to the stack, but its traffic is not on one release (above).",
                style.bold("No changes")
            )?;
        } else {
            writeln!(
                out,
                "{} Your stage matches its manifest.",
                style.green(&style.bold("No changes."))
            )?;
        }
        return Ok(());
    }
    write_legend(out, plan, style)?;
    writeln!(out, "\nhover will perform the following actions:\n")?;
    for c in plan.actions() {
        write_change(out, c, style)?;
    }
    let s = plan.summary();
    writeln!(
        out,
        "{} {} to add, {} to change, {} to destroy.",
        style.bold("Plan:"),
        s.add,
        s.change,
        s.destroy
    )?;
    let replaced: Vec<String> = plan
        .actions()
        .filter(|c| c.action.is_replace())
        .map(|c| format!("{} ({})", c.name, c.role))
        .collect();
    if !replaced.is_empty() {
        writeln!(out, "Replaced: {}.", replaced.join(", "))?;
    }
    Ok(())
}

/// A stage whose functions are on different releases: which function is on which, and the one
/// command that brings them together.
pub fn write_traffic(
    out: &mut dyn Write,
    split: &crate::plan::traffic::TrafficSplit,
    style: Style,
) -> io::Result<()> {
    writeln!(
        out,
        "{} the functions' `live` aliases are on {} different releases ({}):",
        style.yellow(&style.bold("Traffic is split:")),
        split.builds().len(),
        split.builds().join(", ")
    )?;
    let width = split
        .functions
        .iter()
        .map(|a| a.function.len())
        .max()
        .unwrap_or(0);
    for a in &split.functions {
        let on = if a.version == "$LATEST" {
            "$LATEST".to_string()
        } else {
            format!(
                "version {} ({})",
                a.version,
                crate::plan::traffic::build_label(a)
            )
        };
        writeln!(out, "  {:<width$}  live -> {on}", a.function)?;
    }
    writeln!(
        out,
        "`hover rollback <stage>` puts every function back on the release that was live before; `hover deploy <stage>` moves them all to a new one.\n"
    )
}

/// What taking over the original Hover's stack means, and what it rewrites without changing.
fn write_takeover(out: &mut dyn Write, plan: &Plan, style: Style) -> io::Result<()> {
    writeln!(
        out,
        "{} the stack `{}` was deployed by the original Hover. hover takes it over in place: \
         it keeps the stack's logical ids, so its functions, queues (and their messages), \
         API and distribution (and its domain) stay; what the original lacked is added.\n",
        style.bold("Take-over:"),
        plan.stage
    )?;
    let rewritten: Vec<&str> = plan
        .resource_changes
        .iter()
        .filter(|c| c.action == Action::NoOp && !c.template_only.is_empty())
        .map(|c| c.logical_id.as_str())
        .collect();
    if !rewritten.is_empty() {
        writeln!(
            out,
            "CloudFormation will also show as modified, with no change to them, what the original wrote in another form: {}.\n",
            rewritten.join(", ")
        )?;
    }
    Ok(())
}

/// The changes made outside hover since the last apply, and which of them apply cannot put back.
fn write_drift(out: &mut dyn Write, drifted: &[&ResourceChange], style: Style) -> io::Result<()> {
    writeln!(
        out,
        "{}\n",
        style.bold("Note: Objects have changed outside of hover")
    )?;
    writeln!(
        out,
        "hover detected the following changes made outside of hover since the last \"hover apply\":\n"
    )?;
    for c in drifted {
        writeln!(out, "  # {} has changed", title(c))?;
        writeln!(out, "  {} {} {{", style.yellow("~"), c.logical_id)?;
        let mut lines = Lines::new(style);
        let entries: Vec<(String, Diff)> = c
            .drift
            .iter()
            .filter_map(|d| d.diff.clone().map(|x| (d.name.clone(), x)))
            .collect();
        lines.entries(6, &entries, false);
        for l in lines.out {
            writeln!(out, "{l}")?;
        }
        writeln!(out, "    }}\n")?;
    }
    let by_hand: Vec<(String, Vec<&str>)> = drifted
        .iter()
        .map(|c| (title(c), by_hand(c)))
        .filter(|(_, names)| !names.is_empty())
        .collect();
    let all = drifted.iter().map(|c| c.drift.len()).sum::<usize>();
    let manual = by_hand.iter().map(|(_, n)| n.len()).sum::<usize>();
    if by_hand.is_empty() {
        writeln!(
            out,
            "Unless the manifest is changed to match, applying puts these back.\n"
        )?;
    } else {
        if manual < all {
            writeln!(
                out,
                "Unless the manifest is changed to match, applying puts these back, except the following, which apply cannot put back: change them back by hand (e.g. in the AWS console) or change the manifest to match."
            )?;
        } else {
            writeln!(
                out,
                "Applying cannot put these back: change them back by hand (e.g. in the AWS console) or change the manifest to match."
            )?;
        }
        for (title, names) in &by_hand {
            writeln!(out, "  - {title}: {}", names.join(", "))?;
        }
        writeln!(out)?;
    }
    writeln!(out, "{}\n", "─".repeat(77))
}

/// The symbols the plan's actions use.
fn write_legend(out: &mut dyn Write, plan: &Plan, style: Style) -> io::Result<()> {
    writeln!(
        out,
        "Resource actions are indicated with the following symbols:"
    )?;
    let used = |a: Action| plan.actions().any(|c| c.action == a);
    if used(Action::Create) {
        writeln!(out, "  {} create", style.green("+"))?;
    }
    if used(Action::Update) {
        writeln!(out, "  {} update in-place", style.yellow("~"))?;
    }
    if used(Action::Delete) {
        writeln!(out, "  {} destroy", style.red("-"))?;
    }
    if used(Action::CreateThenDelete) {
        writeln!(
            out,
            "{} create replacement and then destroy",
            symbol(Action::CreateThenDelete, style)
        )?;
    }
    Ok(())
}

/// Drifted properties of `c` that apply would have to put back but cannot.
fn by_hand(c: &ResourceChange) -> Vec<&str> {
    c.drift
        .iter()
        .filter(|d| {
            c.changes
                .iter()
                .any(|a| a.name == d.name && a.cause == Cause::OutsideHover && !a.repairable)
        })
        .map(|d| d.name.as_str())
        .collect()
}

fn title(c: &ResourceChange) -> String {
    format!("{} ({} {})", c.role, c.resource_type, c.name)
}

/// The action's symbol, coloured: `+` green, `~` yellow, `-` red.
fn symbol(action: Action, style: Style) -> String {
    match action {
        Action::CreateThenDelete => format!("{}/{}", style.green("+"), style.red("-")),
        Action::Create => style.green(super::symbol(action)),
        Action::Update => style.yellow(super::symbol(action)),
        Action::Delete => style.red(super::symbol(action)),
        Action::NoOp => super::symbol(action).into(),
    }
}

/// Where the plan was made: stage, account, region and profile.
pub fn header(plan: &Plan) -> String {
    format!(
        "Stage {}: account {}, region {}, {}",
        plan.stage,
        plan.account.as_deref().unwrap_or("unknown"),
        plan.region,
        match &plan.profile {
            Some(p) => format!("profile {p}"),
            None => "credentials from the environment".to_string(),
        }
    )
}

/// Writes one resource's block.
pub fn write_change(out: &mut dyn Write, c: &ResourceChange, style: Style) -> io::Result<()> {
    let verb = match c.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in-place",
        Action::CreateThenDelete => "must be replaced",
        Action::Delete => "will be destroyed",
        Action::NoOp => "has no changes",
    };
    writeln!(out, "  # {} {}", title(c), style.bold(verb))?;
    if let Some(n) = c.destroys_messages {
        writeln!(
            out,
            "  # {}",
            style.red(&format!(
                "(it holds {n} message{}: they are lost; apply refuses without --allow-data-loss)",
                if n == 1 { "" } else { "s" }
            ))
        )?;
    }
    match c.reason {
        Some(Reason::DeleteBecauseNotInManifest) => {
            writeln!(out, "  # (because it is no longer in the manifest)")?
        }
        Some(Reason::CreateBecauseDeletedOutside) => {
            writeln!(out, "  # (because it was deleted outside hover)")?
        }
        Some(Reason::UpdateBecauseChangedOutside) => {
            writeln!(out, "  # (because it was changed outside hover)")?
        }
        _ => {}
    }
    if c.provisioner == Provisioner::Direct && c.action != Action::NoOp {
        writeln!(out, "  # (through its own API, before the stack)")?;
    }
    let sym = symbol(c.action, style);
    let pad = if c.action.is_replace() { "" } else { "  " };
    writeln!(out, "{pad}{sym} {} {{", c.logical_id)?;
    let mut lines = Lines::new(style);
    match c.action {
        Action::Create => lines.whole(c.after.as_ref(), true),
        Action::Delete => lines.whole(c.before.as_ref(), false),
        _ => {
            let width = c.changes.iter().map(|a| a.name.len()).max().unwrap_or(0);
            for a in &c.changes {
                let note = if a.forces_replacement {
                    Some("# forces replacement")
                } else if a.cause == Cause::OutsideHover && a.repairable {
                    Some("# changed outside hover")
                } else if a.cause == Cause::OutsideHover {
                    Some("# changed outside hover; apply cannot put this back")
                } else {
                    None
                };
                lines.entry(6, &a.name, width, &a.diff, note);
            }
            if c.unchanged > 0 {
                lines.hidden(8, c.unchanged, "attribute");
            }
        }
    }
    for l in lines.out {
        writeln!(out, "{l}")?;
    }
    writeln!(out, "    }}\n")
}

/// Accumulates indented lines of a resource block.
struct Lines {
    style: Style,
    out: Vec<String>,
}

impl Lines {
    fn new(style: Style) -> Self {
        Lines {
            style,
            out: Vec::new(),
        }
    }

    fn sym(&self, d: &Diff) -> String {
        match d {
            Diff::Added { .. } => self.style.green("+"),
            Diff::Removed { .. } => self.style.red("-"),
            _ => self.style.yellow("~"),
        }
    }

    /// A whole object created (`+`) or destroyed (`-`), keys sorted.
    fn whole(&mut self, props: Option<&Marked>, added: bool) {
        if let Some(props) = props {
            self.members(6, props.entries(), added);
        }
    }

    /// The members of an object wholly added or removed: keys sorted, `=` aligned.
    fn members(&mut self, indent: usize, entries: &[(String, Marked)], added: bool) {
        let mut sorted: Vec<&(String, Marked)> = entries.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let width = sorted.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (k, v) in sorted {
            self.entry(indent, k, width, &whole(v.clone(), added), None);
        }
    }

    /// Entries of an object diff, unchanged ones counted.
    fn entries(&mut self, indent: usize, entries: &[(String, Diff)], show_hidden: bool) {
        let shown: Vec<&(String, Diff)> = entries.iter().filter(|(_, d)| !d.is_same()).collect();
        let width = shown.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, d) in &shown {
            self.entry(indent, name, width, d, None);
        }
        let hidden = entries.len() - shown.len();
        if show_hidden && hidden > 0 {
            self.hidden(indent + 2, hidden, "attribute");
        }
    }

    fn hidden(&mut self, indent: usize, n: usize, what: &str) {
        let s = if n == 1 { "" } else { "s" };
        self.out.push(format!(
            "{}# ({n} unchanged {what}{s} hidden)",
            " ".repeat(indent)
        ));
    }

    /// `name = value` (or a nested block) at `indent`, `=` aligned to `width`.
    fn entry(&mut self, indent: usize, name: &str, width: usize, d: &Diff, note: Option<&str>) {
        let pad = " ".repeat(indent);
        let sym = self.sym(d);
        let label = format!("{name:width$}");
        let note = note.map(|n| format!(" {n}")).unwrap_or_default();
        match d {
            Diff::Same { .. } => {}
            Diff::Added { value } | Diff::Removed { value } => {
                let added = matches!(d, Diff::Added { .. });
                match value {
                    Marked::Object(map) if !map.is_empty() => {
                        self.out.push(format!("{pad}{sym} {label} = {{{note}"));
                        self.members(indent + 4, map, added);
                        self.out.push(format!("{pad}  }}"));
                    }
                    Marked::Array(items) if !items.is_empty() => {
                        self.out.push(format!("{pad}{sym} {label} = [{note}"));
                        for v in items {
                            self.item(indent + 4, &whole(v.clone(), added));
                        }
                        self.out.push(format!("{pad}  ]"));
                    }
                    _ if added => self
                        .out
                        .push(format!("{pad}{sym} {label} = {}{note}", scalar(value))),
                    _ => self.out.push(format!(
                        "{pad}{sym} {label} = {} -> null{note}",
                        scalar(value)
                    )),
                }
            }
            Diff::Changed { before, after } => {
                if before.is_sensitive() && after.is_sensitive() {
                    self.out
                        .push(format!("{pad}{sym} {label} = {SENSITIVE_TEXT}{note}"));
                } else {
                    self.out.push(format!(
                        "{pad}{sym} {label} = {} -> {}{note}",
                        scalar(before),
                        scalar(after)
                    ));
                }
            }
            Diff::Object { entries } => {
                self.out.push(format!("{pad}{sym} {label} = {{{note}"));
                self.entries(indent + 4, entries, true);
                self.out.push(format!("{pad}  }}"));
            }
            Diff::List { items } => {
                self.out.push(format!("{pad}{sym} {label} = [{note}"));
                let mut hidden = 0;
                for item in items {
                    if item.is_same() {
                        hidden += 1;
                    } else {
                        self.item(indent + 4, item);
                    }
                }
                if hidden > 0 {
                    self.hidden(indent + 4, hidden, "element");
                }
                self.out.push(format!("{pad}  ]"));
            }
        }
    }

    /// One list element.
    fn item(&mut self, indent: usize, d: &Diff) {
        let pad = " ".repeat(indent);
        let sym = self.sym(d);
        match d {
            Diff::Same { .. } => {}
            Diff::Added { value } | Diff::Removed { value } => match value {
                Marked::Object(map) if !map.is_empty() => {
                    self.out.push(format!("{pad}{sym} {{"));
                    self.members(indent + 4, map, matches!(d, Diff::Added { .. }));
                    self.out.push(format!("{pad}  }},"));
                }
                _ => self.out.push(format!("{pad}{sym} {},", scalar(value))),
            },
            Diff::Changed { before, after } => self.out.push(format!(
                "{pad}{sym} {} -> {},",
                scalar(before),
                scalar(after)
            )),
            Diff::Object { entries } => {
                self.out.push(format!("{pad}{sym} {{"));
                self.entries(indent + 4, entries, true);
                self.out.push(format!("{pad}  }},"));
            }
            Diff::List { .. } => {
                self.out.push(format!("{pad}{sym} [...],"));
            }
        }
    }
}

/// A value wholly added or wholly removed.
fn whole(value: Marked, added: bool) -> Diff {
    if added {
        Diff::Added { value }
    } else {
        Diff::Removed { value }
    }
}

/// A value on one line: strings quoted, marks spelled out, lists and objects as compact JSON.
pub fn scalar(v: &Marked) -> String {
    let spelled = v.to_json_with(&|m| {
        Value::String(
            match m {
                Mark::Unknown => "(known after apply)",
                Mark::Sensitive => SENSITIVE_TEXT,
            }
            .into(),
        )
    });
    match (v, spelled) {
        (Marked::Mark(_), Value::String(text)) => text,
        (_, spelled) => serde_json::to_string(&spelled).unwrap_or_default(),
    }
}

/// `Apply complete! Resources: N added, N changed, N destroyed.` and the stage's outputs.
pub fn write_apply_complete(
    out: &mut dyn Write,
    summary: &crate::plan::Summary,
    outputs: &std::collections::BTreeMap<String, String>,
    style: Style,
) -> io::Result<()> {
    writeln!(
        out,
        "\n{} Resources: {} added, {} changed, {} destroyed.",
        style.green(&style.bold("Apply complete!")),
        summary.add,
        summary.change,
        summary.destroy
    )?;
    if !outputs.is_empty() {
        writeln!(out, "\nOutputs:\n")?;
        let width = outputs.keys().map(String::len).max().unwrap_or(0);
        for (k, v) in outputs {
            writeln!(
                out,
                "{k:width$} = {}",
                serde_json::to_string(v).unwrap_or_default()
            )?;
        }
    }
    Ok(())
}

/// The plan and CloudFormation side by side where they disagree.
pub fn write_mismatches(
    out: &mut dyn Write,
    rows: &[(String, String, String)],
    style: Style,
) -> io::Result<()> {
    writeln!(
        out,
        "{}\n",
        style.red(&style.bold("CloudFormation's change set does not match the plan:"))
    )?;
    let w0 = rows
        .iter()
        .map(|r| r.0.len())
        .max()
        .unwrap_or(0)
        .max("resource".len());
    let w1 = rows
        .iter()
        .map(|r| r.1.len())
        .max()
        .unwrap_or(0)
        .max("plan".len());
    writeln!(out, "  {:w0$}  {:w1$}  cloudformation", "resource", "plan")?;
    for (id, plan, cfn) in rows {
        writeln!(out, "  {id:w0$}  {plan:w1$}  {cfn}")?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn drifted(
        id: &str,
        ty: &str,
        name: &str,
        property: &str,
        before: Value,
        after: Value,
    ) -> ResourceChange {
        let (before, after) = (Marked::Scalar(before), Marked::Scalar(after));
        let changed = |before: &Marked, after: &Marked| Diff::Changed {
            before: before.clone(),
            after: after.clone(),
        };
        ResourceChange {
            action: Action::Update,
            reason: Some(Reason::UpdateBecauseChangedOutside),
            replace_paths: vec![],
            changes: vec![crate::plan::AttributeChange {
                name: property.into(),
                diff: changed(&after, &before),
                cause: Cause::OutsideHover,
                forces_replacement: false,
                repairable: crate::model::ResourceType::parse(ty).repairable(property),
            }],
            unchanged: 0,
            drift: vec![crate::plan::Drift {
                name: property.into(),
                diff: Some(changed(&before, &after)),
                last_applied: Some(before),
                live: Some(after),
            }],
            ..ResourceChange::named(id, &id.to_ascii_lowercase(), ty, name)
        }
    }

    fn plan(changes: Vec<ResourceChange>) -> Plan {
        Plan {
            format_version: crate::plan::FORMAT_VERSION.into(),
            stage: "app-dev".into(),
            region: "eu-west-1".into(),
            account: None,
            image_tag: "v1".into(),
            stack_status: Some("UPDATE_COMPLETE".into()),
            resource_changes: changes,
            warnings: vec![],
            observed_digest: String::new(),
            profile: None,
            takeover: false,
            traffic: None,
            maintenance: None,
        }
    }

    fn text(plan: &Plan) -> String {
        let mut out = Vec::new();
        write_plan(&mut out, plan, Style::PLAIN).expect("render");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn drift_apply_cannot_put_back_is_named() {
        // A log group's retention is put back; a role's session duration is not.
        let logs = drifted(
            "HttpLogGroup",
            "AWS::Logs::LogGroup",
            "/aws/lambda/app-dev-http",
            "RetentionInDays",
            json!(14),
            json!(90),
        );
        let role = drifted(
            "LambdaRole",
            "AWS::IAM::Role",
            "app-dev-lambda",
            "MaxSessionDuration",
            json!(3600),
            json!(7200),
        );
        let out = text(&plan(vec![logs.clone(), role.clone()]));
        assert!(
            out.contains("      ~ RetentionInDays = 90 -> 14 # changed outside hover\n"),
            "{out}"
        );
        assert!(out.contains("MaxSessionDuration = 7200 -> 3600 # changed outside hover; apply cannot put this back\n"), "{out}");
        assert!(
            !out.contains("\nUnless the manifest is changed to match, applying puts these back.\n"),
            "{out}"
        );
        assert!(
            out.contains(
                "applying puts these back, except the following, which apply cannot put back"
            ),
            "{out}"
        );
        assert!(
            out.contains("  - lambdarole (AWS::IAM::Role app-dev-lambda): MaxSessionDuration\n"),
            "{out}"
        );

        let out = text(&plan(vec![logs]));
        assert!(
            out.contains("\nUnless the manifest is changed to match, applying puts these back.\n"),
            "{out}"
        );
        assert!(!out.contains("cannot put"), "{out}");

        let out = text(&plan(vec![role]));
        assert!(
            out.contains("\nApplying cannot put these back: change them back by hand"),
            "{out}"
        );
        assert!(
            out.contains("  - lambdarole (AWS::IAM::Role app-dev-lambda): MaxSessionDuration\n"),
            "{out}"
        );
    }
}
