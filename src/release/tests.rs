//! Tests of build ids, releases, rollback targets, purge choices and command payloads.

use super::*;
use std::collections::BTreeMap;

fn v(version: u64, description: &str, at: &str) -> PublishedVersion {
    PublishedVersion {
        version,
        description: description.into(),
        last_modified: at.into(),
    }
}

#[test]
fn build_ids_sort_by_time_and_name_the_commit() {
    // 2026-11-30T17:45:12.048Z
    let ms = 1_796_060_712_048u128;
    assert_eq!(new_build_id(ms, None), "20261130-174512-048");
    assert_eq!(
        new_build_id(ms, Some(("0123456789abcdef", false))),
        "20261130-174512-048-0123456"
    );
    assert_eq!(
        new_build_id(ms, Some(("0123456789abcdef", true))),
        "20261130-174512-048-0123456-dirty"
    );
    assert!(new_build_id(ms, None) < new_build_id(ms + 1, None));
    assert!(new_build_id(ms + 999, None) < new_build_id(ms + 1000, None));
    assert_eq!(new_build_id(0, None), "19700101-000000-000");
    assert_eq!(
        new_build_id(951_782_400_000, None),
        "20000229-000000-000",
        "leap day"
    );
    assert!(valid_build_id(&new_build_id(ms, Some(("abc", true)))));
}

#[test]
fn build_ids_are_checked() {
    for good in ["b1", "20261130-174512-048", "v1.2_3", "_x"] {
        assert!(valid_build_id(good), "{good}");
    }
    for bad in ["", "-x", ".x", "a/b", "a b", "ä", &"x".repeat(129), "a:b"] {
        assert!(!valid_build_id(bad), "{bad}");
    }
}

fn stage() -> (
    BTreeMap<String, Vec<PublishedVersion>>,
    BTreeMap<String, Option<u64>>,
) {
    let versions = BTreeMap::from([
        (
            "s-http".to_string(),
            vec![
                v(1, "b1", "2026-11-01T10:00:00"),
                v(2, "b2", "2026-11-02T10:00:00"),
                v(3, "b2", "2026-11-02T11:00:00"),
                v(4, "b3", "2026-11-03T10:00:00"),
            ],
        ),
        (
            "s-cli".to_string(),
            vec![
                v(1, "b1", "2026-11-01T10:00:00"),
                v(2, "b2", "2026-11-02T10:00:00"),
                v(3, "b3", "2026-11-03T10:00:00"),
                v(4, "", "2026-11-03T10:00:00"),
            ],
        ),
    ]);
    let live = BTreeMap::from([
        ("s-http".to_string(), Some(4)),
        ("s-cli".to_string(), Some(3)),
    ]);
    (versions, live)
}

#[test]
fn versions_group_into_releases_newest_first() {
    let (versions, live) = stage();
    let rs = releases(&versions, &live, None);
    let ids: Vec<&str> = rs.iter().map(|r| r.build_id.as_str()).collect();
    assert_eq!(ids, ["b3", "b2", "b1"]);
    assert!(rs[0].live && !rs[1].live && !rs[2].live);
    assert_eq!(rs[1].versions["s-http"], 3, "the newest version of a build");
    assert_eq!(rs[1].published, "2026-11-02T11:00:00");
}

#[test]
fn rollback_goes_to_the_previous_complete_release() {
    let (mut versions, live) = stage();
    let rs = releases(&versions, &live, None);
    assert_eq!(rollback_target(&rs, None).unwrap().build_id, "b2");
    assert_eq!(rollback_target(&rs, Some("b1")).unwrap().build_id, "b1");
    assert_eq!(
        rollback_target(&rs, Some("b3")),
        Err(RollbackRefusal::AlreadyLive {
            build_id: "b3".into()
        })
    );
    assert_eq!(
        rollback_target(&rs, Some("nope")),
        Err(RollbackRefusal::Unknown("nope".into()))
    );
    // b2's CLI version deleted: the previous complete release is b1; b2 named is refused.
    versions
        .get_mut("s-cli")
        .unwrap()
        .retain(|v| v.description != "b2");
    let rs = releases(&versions, &live, None);
    assert_eq!(rollback_target(&rs, None).unwrap().build_id, "b1");
    assert_eq!(
        rollback_target(&rs, Some("b2")),
        Err(RollbackRefusal::VersionsGone {
            build_id: "b2".into(),
            missing: vec!["s-cli".into()]
        })
    );
    // Nothing before b1.
    let live_b1 = BTreeMap::from([
        ("s-http".to_string(), Some(1)),
        ("s-cli".to_string(), Some(1)),
    ]);
    let rs = releases(&versions, &live_b1, None);
    assert_eq!(
        rollback_target(&rs, None),
        Err(RollbackRefusal::NothingBefore { live: "b1".into() })
    );
    assert_eq!(rollback_target(&[], None), Err(RollbackRefusal::NoRelease));
    let on_latest = BTreeMap::from([("s-http".to_string(), None), ("s-cli".to_string(), None)]);
    let rs = releases(&versions, &on_latest, None);
    assert_eq!(
        rollback_target(&rs, None),
        Err(RollbackRefusal::NoLiveRelease)
    );
}

#[test]
fn purge_keeps_the_newest_the_live_and_the_rollback_target() {
    let (versions, _) = stage();
    // b1 is live (a rollback happened): b1 kept as live; no release before it.
    let live_b1 = BTreeMap::from([
        ("s-http".to_string(), Some(1)),
        ("s-cli".to_string(), Some(1)),
    ]);
    let rs = releases(&versions, &live_b1, None);
    let builds: Vec<(String, String)> = [
        ("b0", "2026-10-01T00:00:00"),
        ("b1", "2026-11-01T10:00:00"),
        ("b2", "2026-11-02T11:00:00"),
        ("b3", "2026-11-03T10:00:00"),
        ("b4", "2026-11-04T10:00:00"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let c = purge_choice(&builds, &rs, 1);
    assert_eq!(c.delete, ["b3", "b2", "b0"]);
    assert_eq!(
        c.keep,
        [
            ("b4".to_string(), "among the newest".to_string()),
            ("b1".to_string(), "live".to_string())
        ]
    );
    // b3 live: b2 is its rollback target, kept however small `keep` is.
    let (versions, live) = stage();
    let rs = releases(&versions, &live, None);
    let c = purge_choice(&builds, &rs, 0);
    assert_eq!(c.delete, ["b4", "b1", "b0"]);
    let kept: Vec<&str> = c.keep.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(kept, ["b3", "b2"]);
    assert_eq!(purge_choice(&builds, &rs, 10).delete, Vec::<String>::new());
}

/// Deploy 1 went live, deploy 2's migration failed, deploy 3 went live.
#[allow(clippy::type_complexity)]
fn three_deploys() -> (
    BTreeMap<String, Vec<PublishedVersion>>,
    BTreeMap<String, Option<u64>>,
    History,
) {
    let list = |_: &str| {
        vec![
            v(1, "b1", "2026-11-01T10:00:00.000+0000"),
            v(2, "b2", "2026-11-02T10:00:00.000+0000"),
            v(3, "b3", "2026-11-03T10:00:00.000+0000"),
        ]
    };
    let versions = BTreeMap::from([
        ("s-http".to_string(), list("s-http")),
        ("s-cli".to_string(), list("s-cli")),
    ]);
    let live = BTreeMap::from([
        ("s-http".to_string(), Some(3)),
        ("s-cli".to_string(), Some(3)),
    ]);
    let mut h = History::new(history::iso_seconds("2026-10-01T00:00:00Z").unwrap());
    h.went_live("b1", 1_000);
    h.failed("b2", "deploy commands", 2_000);
    h.went_live("b3", 3_000);
    (versions, live, h)
}

#[test]
fn rollback_never_goes_by_default_to_a_release_that_never_went_live() {
    let (versions, live, h) = three_deploys();
    let rs = releases(&versions, &live, Some(&h));
    assert_eq!(rs[0].outcome, Outcome::Live);
    assert_eq!(
        rs[1].outcome,
        Outcome::Failed {
            phase: "deploy commands".into()
        }
    );
    assert_eq!(rs[2].outcome, Outcome::WasLive);
    assert_eq!(rollback_target(&rs, None).unwrap().build_id, "b1");
    // Named, it is allowed (the caller warns it never served traffic).
    let named = rollback_target(&rs, Some("b2")).unwrap();
    assert!(!named.outcome.served());
    // Without a history: the newest complete release older than the live one, as before.
    let rs = releases(&versions, &live, None);
    assert_eq!(rollback_target(&rs, None).unwrap().build_id, "b2");
    // A history begun after b1 and b2 were published: they are unrecorded, b2 a candidate.
    let mut late = History::new(history::iso_seconds("2026-11-02T12:00:00Z").unwrap());
    late.went_live("b3", 3_000);
    let rs = releases(&versions, &live, Some(&late));
    assert_eq!(rs[1].outcome, Outcome::Unrecorded);
    assert_eq!(rollback_target(&rs, None).unwrap().build_id, "b2");
    // A release published after the history began, never switched to.
    let mut fresh = h.clone();
    fresh.builds.remove("b2");
    let rs = releases(&versions, &live, Some(&fresh));
    assert_eq!(rs[1].outcome, Outcome::NeverSwitched);
    assert_eq!(rollback_target(&rs, None).unwrap().build_id, "b1");
}

#[test]
fn a_split_stage_rolls_back_to_the_release_that_was_live() {
    let (versions, _, mut h) = three_deploys();
    h.failed("b3", "switch", 4_000);
    h.builds.get_mut("b3").unwrap().went_live.clear();
    // b1 was live; b3's switch moved the CLI function only.
    let live = BTreeMap::from([
        ("s-http".to_string(), Some(1)),
        ("s-cli".to_string(), Some(3)),
    ]);
    let rs = releases(&versions, &live, Some(&h));
    assert!(rs.iter().all(|r| !r.live));
    assert_eq!(
        rs[0].outcome,
        Outcome::PartlyLive {
            functions: vec!["s-cli".into()]
        }
    );
    assert_eq!(rs[2].live_on, ["s-http"]);
    assert_eq!(rollback_target(&rs, None).unwrap().build_id, "b1");
    // Without a history: the oldest release a function is still on.
    let rs = releases(&versions, &live, None);
    assert_eq!(rollback_target(&rs, None).unwrap().build_id, "b1");
}

#[test]
fn purge_keeps_every_live_build_of_a_split_and_the_last_one_live_before() {
    let (versions, _, h) = three_deploys();
    let builds: Vec<(String, String)> = [
        ("b1", "2026-11-01T10:00:00"),
        ("b2", "2026-11-02T10:00:00"),
        ("b3", "2026-11-03T10:00:00"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let split = BTreeMap::from([
        ("s-http".to_string(), Some(2)),
        ("s-cli".to_string(), Some(3)),
    ]);
    let rs = releases(&versions, &split, Some(&h));
    let c = purge_choice(&builds, &rs, 0);
    let kept: Vec<&str> = c.keep.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        kept,
        ["b3", "b2", "b1"],
        "both live builds and the one live before"
    );
    // One release live: it and the last one live before (b1, not the failed b2) are kept.
    let (versions, live, h) = three_deploys();
    let rs = releases(&versions, &live, Some(&h));
    let c = purge_choice(&builds, &rs, 0);
    assert_eq!(c.delete, ["b2"]);
}

#[test]
fn commands_are_json_with_the_artisan_prefix_dropped() {
    assert_eq!(
        artisan_command("php artisan migrate --force"),
        "migrate --force"
    );
    assert_eq!(
        artisan_command("  php   artisan  cache:clear "),
        "cache:clear"
    );
    assert_eq!(artisan_command("php artisanal"), "php artisanal");
    let cmd = "tinker --execute=\"echo 'hé\n\\\"ok'\"";
    let payload: serde_json::Value = serde_json::from_slice(&command_payload(cmd)).unwrap();
    assert_eq!(payload["command"], cmd);
}

#[test]
fn answers_are_decoded() {
    let ok = br#"{"output":"aMOpbGxvCg==","exit_code":0}"#;
    assert_eq!(
        command_result(None, ok),
        CommandResult::Ran {
            output: "héllo\n".into(),
            exit_code: 0
        }
    );
    let failed = br#"{"output":"","exit_code":3}"#;
    assert!(matches!(
        command_result(None, failed),
        CommandResult::Ran { exit_code: 3, .. }
    ));
    let crashed =
        br#"{"errorMessage":"Task timed out after 3.00 seconds","errorType":"Sandbox.Timedout"}"#;
    assert_eq!(
        command_result(Some("Unhandled"), crashed),
        CommandResult::FunctionError {
            kind: "Sandbox.Timedout".into(),
            message: "Task timed out after 3.00 seconds".into()
        }
    );
    assert!(matches!(
        command_result(None, b"null"),
        CommandResult::FunctionError { .. }
    ));
}
