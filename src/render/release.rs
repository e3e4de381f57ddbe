//! Builds, deploys, releases and rollbacks as human text; `write_releases_json` for scripts.

use super::Style;
use crate::release::{BuildRecord, DeploySummary, Release, RollbackOutcome};
use std::io::{self, Write};

/// The end of `hover build`.
pub fn write_build(out: &mut dyn Write, record: &BuildRecord, style: Style) -> io::Result<()> {
    writeln!(
        out,
        "\n{} build {} of stage {}: image {}, {} asset file(s)",
        style.green(&style.bold("Build complete!")),
        record.build_id,
        record.stage,
        record.image,
        record.assets
    )?;
    writeln!(
        out,
        "\nTo deploy it, run:\n    hover deploy {} --skip-build --build-id {}",
        record.stage, record.build_id
    )
}

/// The end of `hover deploy`: the build, where the stage answers, and each phase's time.
pub fn write_deploy_summary(
    out: &mut dyn Write,
    summary: &DeploySummary,
    style: Style,
) -> io::Result<()> {
    writeln!(
        out,
        "\n{} build {} is live.",
        style.green(&style.bold("Deploy complete!")),
        summary.build_id
    )?;
    if let Some(domain) = &summary.cdn_domain {
        writeln!(out, "  CloudFront: https://{domain}")?;
    }
    for d in &summary.domains {
        writeln!(out, "  Domain:     https://{d}")?;
    }
    writeln!(out, "\n  phase                      time")?;
    let mut total = 0.0;
    for (name, took) in &summary.phases {
        total += took.as_secs_f64();
        writeln!(out, "  {name:<26} {:>6.1}s", took.as_secs_f64())?;
    }
    writeln!(out, "  {:<26} {total:>6.1}s", "total")
}

/// `hover releases`: newest first, the live one marked `*` (`~` for each release some functions
/// are on when traffic is split), with what became of each.
pub fn write_releases(
    out: &mut dyn Write,
    stage: &str,
    releases: &[Release],
    style: Style,
) -> io::Result<()> {
    if releases.is_empty() {
        return writeln!(
            out,
            "Stage {stage} has no release yet: `hover deploy {stage}` makes the first."
        );
    }
    let id_width = releases
        .iter()
        .map(|r| r.build_id.len())
        .max()
        .unwrap_or(0)
        .max(8);
    let at_width = releases
        .iter()
        .map(|r| r.published.len())
        .max()
        .unwrap_or(0)
        .max(9);
    let outcomes: Vec<String> = releases.iter().map(|r| r.outcome.text()).collect();
    let outcome_width = outcomes.iter().map(|o| o.len()).max().unwrap_or(0).max(7);
    writeln!(
        out,
        "  {:<id_width$}  {:<at_width$}  {:<outcome_width$}  versions",
        "build", "published", "outcome"
    )?;
    for (r, outcome) in releases.iter().zip(&outcomes) {
        let mark = if r.live {
            "*"
        } else if !r.live_on.is_empty() {
            "~"
        } else {
            " "
        };
        let versions: Vec<String> = r
            .versions
            .iter()
            .map(|(f, v)| format!("{f}:{v}"))
            .chain(r.missing.iter().map(|f| format!("{f}:(gone)")))
            .collect();
        let line = format!(
            "{mark} {:<id_width$}  {:<at_width$}  {outcome:<outcome_width$}  {}",
            r.build_id,
            r.published,
            versions.join(" ")
        );
        if r.live {
            writeln!(out, "{}", style.green(&line))?;
        } else if !r.live_on.is_empty() {
            writeln!(out, "{}", style.yellow(&line))?;
        } else {
            writeln!(out, "{line}")?;
        }
    }
    let split = releases
        .iter()
        .filter(|r| !r.live_on.is_empty() && !r.live)
        .count();
    if split > 0 {
        writeln!(
            out,
            "\n~ live on some functions: traffic is split across {split} releases. `hover rollback {stage}` puts every function back on the release that was live before; `hover deploy {stage}` moves them all to a new one."
        )
    } else {
        writeln!(out, "\n* live")
    }
}

/// `hover releases --json`.
pub fn write_releases_json(
    out: &mut dyn Write,
    stage: &str,
    releases: &[Release],
) -> io::Result<()> {
    let doc = serde_json::json!({ "stage": stage, "releases": releases });
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}

/// The end of `hover rollback`.
pub fn write_rollback(
    out: &mut dyn Write,
    outcome: &RollbackOutcome,
    style: Style,
) -> io::Result<()> {
    writeln!(
        out,
        "\n{} release {} is live{}.",
        style.green(&style.bold("Rollback complete!")),
        outcome.to,
        outcome
            .from
            .as_ref()
            .map(|f| format!(" (was {f})"))
            .unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn releases_are_listed_with_the_live_one_marked() {
        let releases = vec![
            Release {
                build_id: "b2".into(),
                published: "2026-11-02T10:00:00.000+0000".into(),
                versions: BTreeMap::from([("s-cli".into(), 2), ("s-http".into(), 2)]),
                live: true,
                live_on: vec!["s-cli".into(), "s-http".into()],
                missing: vec![],
                outcome: crate::release::Outcome::Live,
                last_live: Some(2),
            },
            Release {
                build_id: "b1".into(),
                published: "2026-11-01T10:00:00.000+0000".into(),
                versions: BTreeMap::from([("s-http".into(), 1)]),
                live: false,
                live_on: vec![],
                missing: vec!["s-cli".into()],
                outcome: crate::release::Outcome::WasLive,
                last_live: Some(1),
            },
        ];
        let mut out = Vec::new();
        write_releases(&mut out, "dev", &releases, Style::PLAIN).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[1].starts_with("* b2 "), "{text}");
        assert!(lines[1].ends_with("s-cli:2 s-http:2"), "{text}");
        assert!(lines[2].starts_with("  b1 "), "{text}");
        assert!(lines[2].ends_with("s-http:1 s-cli:(gone)"), "{text}");
        assert!(lines[1].contains(" live "), "{text}");
        assert!(lines[2].contains(" was live "), "{text}");
        let mut json = Vec::new();
        write_releases_json(&mut json, "dev", &releases).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(doc["releases"][0]["live"], true);
        assert_eq!(doc["releases"][0]["versions"]["s-http"], 2);
        assert_eq!(doc["releases"][1]["missing"][0], "s-cli");
    }
}
