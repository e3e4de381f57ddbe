//! `hover status` formatted: one screen of text, or one JSON document.

use super::Style;
use crate::ops::status::{MaintenanceStatus, Status};
use std::io::{self, Write};

/// The version of `hover status --json`'s document.
pub const FORMAT_VERSION: &str = "1";

/// `hover status --json`: `{"version", ...the status}`; the rollback target is
/// `{"build_id"}` or `{"none": why}`.
pub fn write_json(out: &mut dyn Write, status: &Status) -> io::Result<()> {
    let mut v = serde_json::to_value(status).map_err(io::Error::other)?;
    if let Some(obj) = v.as_object_mut() {
        obj.insert("version".into(), FORMAT_VERSION.into());
        let target = match &status.rollback_target {
            Ok(id) => serde_json::json!({ "build_id": id }),
            Err(why) => serde_json::json!({ "none": why }),
        };
        obj.insert("rollback_target".into(), target);
    }
    serde_json::to_writer_pretty(&mut *out, &v).map_err(io::Error::other)?;
    writeln!(out)
}

fn or_dash<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "-".to_owned())
}

/// `hover status` as text.
pub fn write_text(out: &mut dyn Write, s: &Status, style: Style) -> io::Result<()> {
    writeln!(
        out,
        "{} ({}, account {})",
        style.bold(&format!("Stage {}", s.stage)),
        s.region,
        s.account
    )?;
    writeln!(out, "\n{}", style.bold("URLs"))?;
    writeln!(
        out,
        "  CloudFront       {}",
        or_dash(s.urls.cloudfront.as_ref())
    )?;
    if !s.urls.domains.is_empty() {
        writeln!(out, "  Domains          {}", s.urls.domains.join(", "))?;
    }
    writeln!(out, "  API              {}", or_dash(s.urls.api.as_ref()))?;

    writeln!(out, "\n{}", style.bold("Release"))?;
    match &s.live_release {
        Some(r) => writeln!(
            out,
            "  Live             {} (published {})",
            r.build_id, r.published
        )?,
        None => writeln!(
            out,
            "  Live             none (no release, or traffic split; see `hover releases`)"
        )?,
    }
    match &s.rollback_target {
        Ok(id) => writeln!(out, "  Rollback target  {id}")?,
        Err(why) => writeln!(out, "  Rollback target  none: {why}")?,
    }
    write_functions(out, s, style)?;
    write_queues(out, s, style)?;
    write_rules(out, s, style)?;
    writeln!(out)?;
    let maintenance = match &s.maintenance {
        MaintenanceStatus::Up => style.green("up (serving)"),
        MaintenanceStatus::Down { since } => {
            style.yellow(&format!("DOWN since {since} (`hover up` ends it)"))
        }
        MaintenanceStatus::Unknown => "unknown (not read by this build of hover)".to_owned(),
    };
    writeln!(out, "{}      {maintenance}", style.bold("Maintenance"))?;
    match &s.stack {
        Some(st) => writeln!(
            out,
            "{}            {} {} at {}{}",
            style.bold("Stack"),
            st.name,
            st.status,
            or_dash(st.at.as_ref()),
            st.reason
                .as_ref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ),
        None => writeln!(
            out,
            "{}            none (the stage is not deployed)",
            style.bold("Stack")
        ),
    }
}

fn write_rules(out: &mut dyn Write, s: &Status, style: Style) -> io::Result<()> {
    if s.rules.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n{}", style.bold("Rules"))?;
    let width = s.rules.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for r in &s.rules {
        let state = r.state.as_deref().unwrap_or("missing");
        let state = if state == "ENABLED" {
            style.green(state)
        } else {
            style.yellow(state)
        };
        writeln!(
            out,
            "  {:<width$}  {:<18}  {state}  ({})",
            r.name,
            or_dash(r.schedule.as_ref()),
            r.role
        )?;
    }
    Ok(())
}

fn write_functions(out: &mut dyn Write, s: &Status, style: Style) -> io::Result<()> {
    let width = s
        .functions
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(0)
        .max(8);
    writeln!(
        out,
        "\n{}",
        style.bold(&format!(
            "{:<w$}  {:>4}  {:<28}  {:>6}  {:>7}  {:>8}  STATE",
            "Functions",
            "LIVE",
            "BUILD",
            "MEMORY",
            "TIMEOUT",
            "RESERVED",
            w = width + 2
        ))
    )?;
    for f in &s.functions {
        if !f.exists {
            writeln!(out, "  {:<width$}  missing", f.name)?;
            continue;
        }
        let state = f.state.as_deref().unwrap_or("-");
        let state = if state == "Active" {
            state.to_owned()
        } else {
            style.yellow(state)
        };
        writeln!(
            out,
            "  {:<width$}  {:>4}  {:<28}  {:>6}  {:>7}  {:>8}  {state}",
            f.name,
            or_dash(f.live_version.as_ref()),
            or_dash(f.build.as_ref()),
            or_dash(f.memory),
            or_dash(f.timeout.map(|t| format!("{t}s"))),
            or_dash(f.reserved_concurrency),
        )?;
    }
    Ok(())
}

fn write_queues(out: &mut dyn Write, s: &Status, style: Style) -> io::Result<()> {
    if s.queues.is_empty() {
        return Ok(());
    }
    let width = s
        .queues
        .iter()
        .map(|q| q.queue.len())
        .max()
        .unwrap_or(0)
        .max(6);
    writeln!(
        out,
        "\n{}",
        style.bold(&format!(
            "{:<w$}  {:>7}  {:>9}  {:>7}  {:>11}",
            "Queues",
            "VISIBLE",
            "IN FLIGHT",
            "DELAYED",
            "DEAD-LETTER",
            w = width + 2
        ))
    )?;
    for q in &s.queues {
        let dead = q.dead_letter_messages.map(|c| c.visible + c.in_flight);
        let line = match q.messages {
            Some(c) => format!(
                "  {:<width$}  {:>7}  {:>9}  {:>7}  {:>11}",
                q.queue,
                c.visible,
                c.in_flight,
                c.delayed,
                or_dash(dead)
            ),
            None => format!("  {:<width$}  missing", q.queue),
        };
        let failed = dead.is_some_and(|d| d > 0);
        writeln!(out, "{}", if failed { style.yellow(&line) } else { line })?;
    }
    Ok(())
}
