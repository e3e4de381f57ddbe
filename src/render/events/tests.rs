//! Tests of the event renderers: text and JSON lines, and the README's table of event types.

use super::*;
use crate::events::{Phase, SCHEMA};

#[test]
fn every_json_line_names_the_schema_and_the_type() {
    let e = Event::PhaseFinished {
        phase: Phase::PreStack,
        took_ms: 300,
    };
    let v: Value = serde_json::from_str(json_line(&e).trim_end()).unwrap();
    assert_eq!(v["schema"], SCHEMA);
    assert_eq!(v["type"], "phase_finished");
    assert_eq!(v["phase"], "pre_stack");
    assert_eq!(v["took_ms"], 300);
    let r = Event::Resource {
        role: "http function".into(),
        state: ResourceState::Complete {
            op: Op::Modify,
            after_ms: Some(12_000),
        },
    };
    let v = to_json(&r);
    assert_eq!(v["type"], "resource");
    assert_eq!(v["state"], "complete");
    assert_eq!(v["op"], "modify");
    let w: Event = Warning::WarmPingFailed { error: "x".into() }.into();
    let v = to_json(&w);
    assert_eq!(
        (v["type"].as_str(), v["kind"].as_str()),
        (Some("warning"), Some("warm_ping_failed"))
    );
}

#[test]
fn a_move_inside_a_phase_is_indented_and_outside_names_its_build() {
    let moved = Event::AliasMoved {
        function: "s-http".into(),
        from: "1".into(),
        to: "2".into(),
        build: "b2".into(),
    };
    let text = plain_text(&[
        moved.clone(),
        Event::PhaseStarted {
            phase: Phase::Switch,
        },
        moved.clone(),
        Event::PhaseFinished {
            phase: Phase::Switch,
            took_ms: 40,
        },
    ]);
    assert_eq!(
        text,
        "s-http: live 1 -> 2 (b2)\n\n==> Switch\n    s-http: live 1 -> 2\n    Switch done in 0.0s\n"
    );
}

#[test]
fn a_kept_alias_says_it_stays_and_a_planned_one_too() {
    let kept = Event::AliasKept {
        function: "s-http".into(),
        version: "1".into(),
        build: "b1".into(),
    };
    let text = plain_text(&[
        kept.clone(),
        Event::PhaseStarted {
            phase: Phase::Switch,
        },
        kept,
    ]);
    assert_eq!(
        text,
        "s-http: live stays on 1 (b1)\n\n==> Switch\n    s-http: live stays on 1\n"
    );
    let planned = Event::RollbackPlanned {
        stage: "dev".into(),
        from: None,
        to: "b1".into(),
        moves: vec![
            AliasMove {
                function: "s-cli".into(),
                from: "2".into(),
                to: "1".into(),
            },
            AliasMove {
                function: "s-http".into(),
                from: "1".into(),
                to: "1".into(),
            },
        ],
    };
    assert_eq!(
        plain_text(&[planned]),
        "Rolling back stage dev from (no single release) to release b1:\n  s-cli: live 2 -> 1\n  s-http: live stays on 1\n"
    );
}

/// The README's table of `hover.events/1` names every variant of [`Event`] (read from its
/// source: a variant added without its row fails here).
#[test]
fn every_event_type_is_in_the_readme_table() {
    let source = include_str!("../../events.rs");
    let readme = include_str!("../../../README.md");
    let body = source
        .split("pub enum Event {\n")
        .nth(1)
        .and_then(|rest| rest.split("\n}\n").next())
        .expect("the Event enum");
    let variants: Vec<String> = body
        .lines()
        .filter(|l| l.starts_with("    ") && !l.starts_with("     "))
        .map(str::trim)
        .filter(|l| l.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|l| {
            let name: String = l.chars().take_while(char::is_ascii_alphanumeric).collect();
            let mut snake = String::new();
            for (i, c) in name.chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    snake.push('_');
                }
                snake.push(c.to_ascii_lowercase());
            }
            snake
        })
        .collect();
    assert!(variants.len() > 40, "{variants:?}");
    let missing: Vec<&String> = variants
        .iter()
        .filter(|v| !readme.contains(&format!("| `{v}` |")))
        .collect();
    assert!(missing.is_empty(), "not in the README's table: {missing:?}");
}

#[test]
fn elapsed_format() {
    assert_eq!(format_elapsed(0), "0s");
    assert_eq!(format_elapsed(12_999), "12s");
    assert_eq!(format_elapsed(65_000), "1m5s");
    assert_eq!(format_elapsed(3_723_000), "1h2m3s");
    assert_eq!(format_elapsed(-5), "0s");
}
