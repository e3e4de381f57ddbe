//! Tests of the doctor's checks.

use super::*;
use crate::live::account::LambdaAccount;

fn account(unreserved: i64) -> LambdaAccount {
    LambdaAccount {
        concurrent_executions: 1000,
        unreserved_concurrent_executions: unreserved,
        function_count: 3,
    }
}

#[test]
fn reservations_must_leave_lambdas_minimum_unreserved() {
    let need = |wanted, reserved_now| ConcurrencyNeed {
        wanted,
        reserved_now,
    };
    // 1000 unreserved: 900 can be reserved.
    assert_eq!(concurrency_fits(need(900, 0), &account(1000)), Ok(0));
    assert_eq!(concurrency_fits(need(901, 0), &account(1000)), Err(1));
    // What the stage reserves now is given back first.
    assert_eq!(concurrency_fits(need(150, 100), &account(170)), Ok(20));
    assert_eq!(concurrency_fits(need(200, 100), &account(120)), Err(80));
    // Keeping or lowering reservations always fits.
    assert_eq!(concurrency_fits(need(100, 100), &account(100)), Ok(0));
    assert_eq!(concurrency_fits(need(50, 100), &account(100)), Ok(0));
    // A new account (10 concurrent, 10 unreserved) cannot reserve anything.
    assert_eq!(concurrency_fits(need(1, 0), &account(10)), Err(1));
    assert_eq!(concurrency_fits(need(0, 0), &account(10)), Ok(0));
}

#[test]
fn the_manifest_reserves_what_its_functions_ask_for() {
    let text = "name: app-dev\nregion: us-east-1\nhttp:\n  concurrency: 20\ncli:\n  concurrency: 0\nqueue:\n  default:\n    concurrency: 5\n  other: {}\n";
    let m = crate::manifest::parse(".hover/dev.yml", text).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(wanted_concurrency(&m), 25);
}

#[test]
fn a_failed_check_fails_the_report_and_skips_do_not() {
    let report = |statuses: &[Status]| Report {
        stage: Some("dev".into()),
        checks: statuses
            .iter()
            .zip(CHECKS)
            .map(|(s, n)| Check::new(n, *s, "x"))
            .collect(),
    };
    assert!(report(&[Status::Pass, Status::Warn, Status::Skip]).passed());
    assert!(!report(&[Status::Pass, Status::Fail, Status::Skip]).passed());
}

fn project(manifest: &str, dockerfile: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let hover = dir.path().join(".hover");
    std::fs::create_dir_all(&hover).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(hover.join("dev.yml"), manifest).unwrap_or_else(|e| panic!("{e}"));
    if let Some(text) = dockerfile {
        std::fs::write(hover.join(".Dockerfile"), text).unwrap_or_else(|e| panic!("{e}"));
    }
    dir
}

const MANIFEST: &str = "name: app-dev\nregion: us-east-1\n";

#[test]
fn the_runtime_check_looks_at_the_dockerfile_a_build_uses() {
    let status = |dockerfile: Option<&str>| {
        let dir = project(MANIFEST, dockerfile);
        let (check, manifest) = manifest_check(dir.path(), "dev");
        assert_eq!(check.status, Status::Pass, "{check:?}");
        let check = runtime_check(dir.path(), manifest.as_ref());
        assert!(
            check.details.iter().any(|d| d.starts_with("bootstrap (")),
            "{check:?}"
        );
        (check.status, check.found, check.remedy)
    };
    let (s, found, remedy) = status(None);
    assert_eq!(s, Status::Fail);
    assert!(
        found.contains(".hover/.Dockerfile does not exist"),
        "{found}"
    );
    assert!(remedy.is_some_and(|r| r.contains("hover stage new")));
    let (s, _, remedy) = status(Some("FROM scratch\n"));
    assert_eq!(s, Status::Warn);
    assert!(remedy.is_some_and(|r| r.contains("COPY .hover/out/${HOVER_BUILD_ID}/runtime")));
    let (s, found, _) = status(Some(
        "FROM scratch\nCOPY .hover/out/${HOVER_BUILD_ID}/runtime /opt/hover\n",
    ));
    assert_eq!(s, Status::Pass, "{found}");
}

#[test]
fn a_manifest_that_does_not_load_fails_with_every_problem() {
    let dir = project(
        "name: app-dev\nregion: us-east-1\nhttp:\n  memroy: 512\n  timeout: 60\n",
        None,
    );
    let (check, manifest) = manifest_check(dir.path(), "dev");
    assert!(manifest.is_none());
    assert_eq!(check.status, Status::Fail);
    assert_eq!(check.details.len(), 2, "{check:?}");
    assert!(check.details[0].contains("http.memroy"), "{check:?}");
    assert!(check.remedy.is_some());
    let (check, _) = manifest_check(dir.path(), "prod");
    assert_eq!(check.status, Status::Fail);
    assert!(
        check.remedy.is_some_and(|r| r.contains("dev")),
        "the stages that exist"
    );
}

#[test]
fn an_sdk_error_is_shown_without_its_debug_dump() {
    assert_eq!(
        short_error("sts:GetCallerIdentity failed: dispatch failure: io error (DispatchFailure(DispatchFailure { source: x }))"),
        "sts:GetCallerIdentity failed: dispatch failure: io error"
    );
    assert_eq!(
        short_error("lambda:GetAccountSettings failed for x: service error: unhandled error: Error at offset 0 (ServiceError(..))"),
        "lambda:GetAccountSettings failed for x: the endpoint gave no answer the SDK can read"
    );
}

#[test]
fn stage_names_are_the_stage_files_of_hover_dir() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let hover = dir.path().join(".hover");
    std::fs::create_dir_all(hover.join("out")).unwrap_or_else(|e| panic!("{e}"));
    for f in [
        "prod.yaml",
        "dev.yml",
        ".Dockerfile",
        "dev-secrets.env",
        ".x.yml",
    ] {
        std::fs::write(hover.join(f), "").unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(stage_names(dir.path()), ["dev", "prod"]);
    assert_eq!(only_stage(dir.path()), None);
    std::fs::remove_file(hover.join("prod.yaml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(only_stage(dir.path()).as_deref(), Some("dev"));
}
