//! Maintenance mode as text and JSON: what `hover down` and `hover up` did, and the note a plan
//! of a stage that is down carries.

use super::Style;
use crate::model::Maintenance;
use crate::ops::maintenance::MaintenanceOutcome;
use std::io::{self, Write};

/// The options of a state, as `artisan down` would be given them (the secret never shown).
fn options(m: &Maintenance) -> String {
    let mut parts = Vec::new();
    if m.secret.is_some() {
        parts.push("bypass secret set".to_string());
    }
    if let Some(r) = m.retry {
        parts.push(format!("Retry-After {r} s"));
    }
    if let Some(v) = &m.render {
        parts.push(format!("page {v}"));
    }
    if parts.is_empty() {
        "503".to_string()
    } else {
        parts.join(", ")
    }
}

/// The plan's note on a stage that is down: why its mappings are disabled, and how to bring it up.
pub fn write_plan_note(out: &mut dyn Write, m: &Maintenance, style: Style) -> io::Result<()> {
    writeln!(
        out,
        "{} the stage is down for maintenance since {} ({}): its queue mappings stay disabled and are planned so; `hover up` brings it back.\n",
        style.yellow(&style.bold("Down:")),
        m.since,
        options(m)
    )
}

/// What `hover down` or `hover up` did, as text.
pub fn write_outcome(out: &mut dyn Write, o: &MaintenanceOutcome, style: Style) -> io::Result<()> {
    let mappings = |verb: &str| -> String {
        match o.mappings.len() {
            0 => "no queue mapping".to_string(),
            1 => format!("1 queue mapping {verb}"),
            n => format!("{n} queue mappings {verb}"),
        }
    };
    match (&o.before, &o.after) {
        (_, Some(now)) => {
            let what = if o.before.is_some() {
                "is still down, with new options"
            } else {
                "is down for maintenance"
            };
            writeln!(
                out,
                "{} Stage {} {what} since {} ({}).",
                style.yellow(&style.bold("Down.")),
                o.stage,
                now.since,
                options(now)
            )?;
            writeln!(out, "  state: {}", o.location)?;
            for m in &o.mappings {
                writeln!(out, "  disabled: {} ({})", m.name, m.uuid)?;
            }
            writeln!(
                out,
                "Every function takes it within {} s: HTTP answers Laravel's maintenance response, the scheduler skips its tasks, {} (messages stay in their queues).",
                o.runtime_ttl_seconds,
                mappings("disabled")
            )?;
            if let Some(secret) = &now.secret {
                writeln!(
                    out,
                    "Bypass: open /{secret} once; Laravel's cookie then lets that browser in."
                )?;
            }
        }
        (Some(_), None) => {
            writeln!(
                out,
                "{} Stage {} is up: HTTP, the scheduler and the workers run again within {} s; {}.",
                style.green(&style.bold("Up.")),
                o.stage,
                o.runtime_ttl_seconds,
                mappings("enabled")
            )?;
            for m in &o.mappings {
                writeln!(out, "  enabled: {} ({})", m.name, m.uuid)?;
            }
        }
        (None, None) => {
            writeln!(
                out,
                "Stage {} is up (it was not down); {}.",
                o.stage,
                mappings("checked enabled")
            )?;
        }
    }
    Ok(())
}

/// What `hover down` or `hover up` did, as one JSON object on one line (the secret masked).
pub fn write_outcome_json(out: &mut dyn Write, o: &MaintenanceOutcome) -> io::Result<()> {
    let mask = |m: &Option<Maintenance>| {
        m.as_ref().map(|m| Maintenance {
            secret: m
                .secret
                .as_ref()
                .map(|_| crate::plan::mask::SENSITIVE_TEXT.to_string()),
            ..m.clone()
        })
    };
    let doc = MaintenanceOutcome {
        before: mask(&o.before),
        after: mask(&o.after),
        ..o.clone()
    };
    let mut value = serde_json::to_value(&doc).map_err(io::Error::other)?;
    value["down"] = serde_json::Value::Bool(o.after.is_some());
    writeln!(out, "{value}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::maintenance::MappingSwitch;

    fn outcome(before: Option<Maintenance>, after: Option<Maintenance>) -> MaintenanceOutcome {
        MaintenanceOutcome {
            stage: "dev".into(),
            before,
            after,
            location: "s3://app-dev-assets/hover/maintenance.json".into(),
            mappings: vec![MappingSwitch {
                name: "jobs-app-dev -> app-dev-jobs-queue:live".into(),
                uuid: "u-1".into(),
            }],
            runtime_ttl_seconds: 5,
        }
    }

    fn state() -> Maintenance {
        Maintenance {
            since: "2026-12-06T17:00:00Z".into(),
            secret: Some("let-me-in".into()),
            retry: Some(60),
            render: None,
        }
    }

    fn text(o: &MaintenanceOutcome) -> String {
        let mut out = Vec::new();
        write_outcome(&mut out, o, Style::PLAIN).unwrap_or_default();
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn down_up_and_already_up_say_what_happened() {
        let down = text(&outcome(None, Some(state())));
        assert!(down.starts_with("Down. Stage dev is down for maintenance since 2026-12-06T17:00:00Z (bypass secret set, Retry-After 60 s)."), "{down}");
        assert!(down.contains("  disabled: jobs-app-dev -> app-dev-jobs-queue:live (u-1)"));
        assert!(down.contains("Bypass: open /let-me-in once"));
        let again = text(&outcome(Some(state()), Some(state())));
        assert!(again.contains("is still down, with new options"), "{again}");
        let up = text(&outcome(Some(state()), None));
        assert!(up.starts_with("Up. Stage dev is up"), "{up}");
        let was_up = text(&outcome(None, None));
        assert!(
            was_up.starts_with("Stage dev is up (it was not down)"),
            "{was_up}"
        );
    }

    #[test]
    fn json_masks_the_secret() {
        let mut out = Vec::new();
        write_outcome_json(&mut out, &outcome(None, Some(state()))).unwrap_or_default();
        let line = String::from_utf8_lossy(&out);
        assert!(!line.contains("let-me-in"), "{line}");
        let doc: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        assert_eq!(doc["down"], true);
        assert_eq!(doc["after"]["retry"], 60);
        assert_eq!(doc["after"]["secret"], "(sensitive value)");
    }
}
