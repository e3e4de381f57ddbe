//! `hover doctor`'s report as text (one line per check, its details and remedy indented below it)
//! or as JSON (`{"format_version", "stage", "passed", "checks": [...]}`).

use super::Style;
use crate::ops::doctor::{Report, Status};
use std::io::{self, Write};

/// The version of the JSON report's shape.
pub const FORMAT_VERSION: &str = "1";

/// Width of the check-name column.
const NAME_WIDTH: usize = 16;

fn mark(status: Status, style: Style) -> String {
    match status {
        Status::Pass => style.green("pass"),
        Status::Warn => style.yellow("warn"),
        Status::Fail => style.red(&style.bold("FAIL")),
        Status::Skip => "skip".into(),
    }
}

/// The report as text: each check's status, name and finding; below it its details and, when it
/// did not pass, what to do; then the counts.
pub fn write_text(out: &mut dyn Write, report: &Report, style: Style) -> io::Result<()> {
    let indent = " ".repeat(4 + 2 + NAME_WIDTH + 1);
    match &report.stage {
        Some(stage) => writeln!(out, "hover doctor: stage `{stage}`\n")?,
        None => writeln!(out, "hover doctor: this machine (no stage named)\n")?,
    }
    for check in &report.checks {
        writeln!(
            out,
            "{}  {:<NAME_WIDTH$} {}",
            mark(check.status, style),
            check.name,
            check.found
        )?;
        for detail in &check.details {
            // A detail of several lines (a manifest problem and its help) stays under its dash.
            for (i, line) in detail.lines().enumerate() {
                let lead = if i == 0 { "- " } else { "  " };
                writeln!(out, "{indent}{lead}{}", line.trim_start())?;
            }
        }
        if let Some(remedy) = &check.remedy {
            if matches!(check.status, Status::Fail | Status::Warn | Status::Skip) {
                writeln!(out, "{indent}{} {remedy}", style.bold("fix:"))?;
            }
        }
    }
    let (pass, warn, fail, skip) = (
        report.count(Status::Pass),
        report.count(Status::Warn),
        report.count(Status::Fail),
        report.count(Status::Skip),
    );
    writeln!(
        out,
        "\n{pass} passed, {warn} warned, {fail} failed, {skip} skipped: {}",
        if report.passed() {
            style.green("ready to deploy.")
        } else {
            style.red("fix what failed, then run `hover doctor` again.")
        }
    )
}

/// The report as JSON (pretty, keys in a fixed order).
pub fn write_json(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    let value = serde_json::json!({
        "format_version": FORMAT_VERSION,
        "stage": report.stage,
        "passed": report.passed(),
        "checks": report.checks,
    });
    serde_json::to_writer_pretty(&mut *out, &value).map_err(io::Error::other)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::doctor::Check;

    fn report() -> Report {
        let check = |name, status, found: &str, remedy: Option<&str>, details: &[&str]| Check {
            name,
            status,
            found: found.into(),
            remedy: remedy.map(Into::into),
            details: details.iter().map(|d| d.to_string()).collect(),
        };
        Report {
            stage: Some("dev".into()),
            checks: vec![
                check("manifest", Status::Pass, ".hover/dev.yml: ok", None, &[]),
                check(
                    "container tool",
                    Status::Fail,
                    "docker cannot build here",
                    Some("start Docker's engine"),
                    &["podman passed over: not installed"],
                ),
                check("registry", Status::Skip, "not checked", None, &[]),
            ],
        }
    }

    #[test]
    fn text_shows_each_check_with_its_details_and_remedy() {
        let mut out = Vec::new();
        write_text(&mut out, &report(), Style::PLAIN).unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8(out).unwrap_or_default();
        let expected = concat!(
            "hover doctor: stage `dev`\n\n",
            "pass  manifest         .hover/dev.yml: ok\n",
            "FAIL  container tool   docker cannot build here\n",
            "                       - podman passed over: not installed\n",
            "                       fix: start Docker's engine\n",
            "skip  registry         not checked\n",
            "\n1 passed, 0 warned, 1 failed, 1 skipped: fix what failed, then run `hover doctor` again.\n",
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn json_is_versioned_and_says_whether_it_passed() {
        let mut out = Vec::new();
        write_json(&mut out, &report()).unwrap_or_else(|e| panic!("{e}"));
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
        assert_eq!(v["format_version"], "1");
        assert_eq!(v["passed"], false);
        assert_eq!(v["checks"][1]["status"], "fail");
        assert_eq!(v["checks"][1]["remedy"], "start Docker's engine");
        assert_eq!(v["checks"][0].get("remedy"), None);
        let keys: Vec<&str> = v
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(keys, ["format_version", "stage", "passed", "checks"]);
    }
}
