//! Helpers of the manifest's unit tests: a stage file parsed, or its problems as text.

use super::{parse, Manifest};

pub(super) fn ok(text: &str) -> Manifest {
    match parse(".hover/dev.yml", text) {
        Ok(m) => m,
        Err(e) => panic!("{}", e.to_text()),
    }
}

pub(super) fn minimal(extra: &str) -> Manifest {
    ok(&format!("name: app\nregion: eu-west-1\n{extra}"))
}

pub(super) fn problems(text: &str) -> Vec<String> {
    match parse(".hover/dev.yml", text) {
        Ok(_) => vec![],
        Err(e) => e.problems().iter().map(|p| p.to_string()).collect(),
    }
}

pub(super) const CERT: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab";
