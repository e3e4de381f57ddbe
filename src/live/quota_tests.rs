//! Tests of `quota`.

use super::*;

#[test]
fn tables_are_sorted_and_every_operation_names_a_family() {
    assert!(FAMILIES.windows(2).all(|w| w[0].name < w[1].name));
    assert!(OPERATIONS
        .windows(2)
        .all(|w| (w[0].service, w[0].operation) < (w[1].service, w[1].operation)));
    for o in OPERATIONS {
        let f = family_of(o.service, o.operation).unwrap_or_else(|| panic!("{o:?}"));
        assert!(f.name.starts_with(&format!("{}:", o.service)), "{o:?}");
    }
    for f in FAMILIES {
        assert!(f.per_second > 0.0 && f.burst >= 1.0, "{f:?}");
        assert!(
            OPERATIONS.iter().any(|o| o.family == f.name),
            "{f:?} unused"
        );
    }
}

#[test]
fn lambda_get_function_and_control_plane_are_separate_buckets() {
    assert_eq!(
        family_of("lambda", "GetFunction").map(|f| f.per_second),
        Some(100.0)
    );
    assert_eq!(
        family_of("lambda", "ListEventSourceMappings").map(|f| (f.name, f.per_second)),
        Some(("lambda:control-plane", 15.0))
    );
}

/// Every `.rs` file under `dir`, by path, but the quota table and these tests (whose text names the
/// calls it checks).
fn sources(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs")
            && !path.ends_with("live/quota.rs")
            && !path.ends_with("live/quota_tests.rs")
        {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            out.push((path.display().to_string(), text));
        }
    }
}

/// The token calls of `source`: `acquire(` or `limited(` with a service as first argument
/// (a string, a `SERVICE` constant or a macro's parameter), as (service, operation).
fn token_calls(source: &str) -> Vec<(String, String)> {
    let service = source
        .split("const SERVICE: &str = \"")
        .nth(1)
        .and_then(|s| s.split('"').next());
    let mut out = Vec::new();
    for call in source
        .split("acquire(")
        .skip(1)
        .chain(source.split("limited(").skip(1))
    {
        let args: Vec<&str> = call
            .split(')')
            .next()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .collect();
        let [svc, operation, ..] = args[..] else {
            continue;
        };
        let svc = match svc {
            "SERVICE" => service.unwrap_or_default(),
            s if s.starts_with('"') || s.starts_with('$') => s.trim_matches('"'),
            _ => continue, // not a quota token (e.g. the stage lock's `acquire(&clients, ..)`)
        };
        out.push((svc.to_owned(), operation.trim_matches('"').to_owned()));
    }
    out
}

#[test]
fn every_call_to_aws_anywhere_in_hover_waits_for_a_token_of_its_family() {
    let mut files = Vec::new();
    sources(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
        &mut files,
    );
    assert!(files.len() > 20, "{} sources", files.len());
    let mut checked = 0;
    for (path, source) in &files {
        // Every call waits for its token: as many token calls as `.send()`.
        let calls = token_calls(source);
        let sends = source.matches(".send()").count();
        assert_eq!(
            sends,
            calls.len(),
            "{path}: a call to AWS acquires no token"
        );
        for (svc, operation) in calls {
            if operation.starts_with('$') {
                continue; // a macro's parameter
            }
            assert!(
                family_of(&svc, &operation).is_some(),
                "{path}: {svc}:{operation} is not in the quota table"
            );
            checked += 1;
        }
    }
    assert!(checked >= 100, "only {checked} calls found");
}

#[test]
fn a_token_call_names_its_service_and_operation() {
    let source = "const SERVICE: &str = \"kms\";\n\
        acquire(SERVICE, \"ListKeys\").await; limited(\"s3\", \"PutObject\", put.send()).await;\n\
        lock::acquire(&clients, &name, \"hover apply\").await;";
    assert_eq!(
        token_calls(source),
        [("kms", "ListKeys"), ("s3", "PutObject")].map(|(s, o)| (s.to_owned(), o.to_owned()))
    );
}

#[test]
fn a_bucket_lets_its_burst_through_then_paces_at_the_rate() {
    let family = published("x:y", 10.0, 5.0, "p", "e");
    let start = Instant::now();
    let mut bucket = Bucket::for_family(&family, 1.0, start);
    // Two calls fewer than AWS's burst at once...
    for _ in 0..3 {
        assert_eq!(bucket.reserve(start), Duration::ZERO);
    }
    // ...then one every 1 / (10 × MARGIN) s, in order.
    let step = 1.0 / (10.0 * MARGIN);
    for k in 1..=3 {
        let wait = bucket.reserve(start).as_secs_f64();
        assert!((wait - k as f64 * step).abs() < 1e-6, "{k}: {wait}");
    }
    // Time refills it, never beyond its capacity.
    let later = start + Duration::from_secs(60);
    for _ in 0..3 {
        assert_eq!(bucket.reserve(later), Duration::ZERO);
    }
    assert!(bucket.reserve(later) > Duration::ZERO);
}

#[test]
fn calls_never_exceed_the_quota_over_any_window() {
    // Simulated clock: 200 calls as fast as the bucket allows stay within AWS's bucket
    // (burst 15, 15 a second), checked with AWS's own accounting.
    let family = published("lambda:control-plane", 15.0, 15.0, "p", "e");
    let start = Instant::now();
    let mut bucket = Bucket::for_family(&family, 1.0, start);
    let mut send_times = Vec::new();
    let mut now = start;
    for _ in 0..200 {
        now += bucket.reserve(now);
        send_times.push(now);
    }
    let mut aws_tokens = family.burst;
    let mut last = start;
    for t in send_times {
        aws_tokens = (aws_tokens + t.duration_since(last).as_secs_f64() * family.per_second)
            .min(family.burst);
        last = t;
        aws_tokens -= 1.0;
        assert!(aws_tokens >= -1e-9, "throttled at {:?}", t - start);
    }
    // And not needlessly slow: within 20% of the least time the quota allows.
    let least = (200.0 - family.burst) / family.per_second;
    let took = (now - start).as_secs_f64();
    assert!(took <= least * 1.2, "{took} s for {least} s");
}

#[tokio::test]
async fn limited_sends_the_call_after_taking_a_token() {
    // kms:CreateAlias at 10%: a bucket of one.
    let limiters = Limiters::new(0.1);
    let out = limiters.limited("kms", "CreateAlias", async { 7 }).await;
    assert_eq!(out, 7);
    assert!(limiters.reserve("kms", "CreateAlias") > Duration::ZERO);
}

#[test]
fn a_share_scales_every_bucket_down() {
    let limiters = Limiters::new(0.1);
    // lambda:control-plane at 10%: 1.5 a second, a bucket of one.
    assert_eq!(limiters.reserve("lambda", "UpdateAlias"), Duration::ZERO);
    let wait = limiters.reserve("lambda", "UpdateAlias").as_secs_f64();
    assert!((wait - 1.0 / (1.5 * MARGIN)).abs() < 0.01, "{wait}");
    // Unknown operations are not limited.
    assert_eq!(limiters.reserve("lambda", "Nothing"), Duration::ZERO);
    assert_eq!(
        Limiters::new(7.0).reserve("sts", "GetCallerIdentity"),
        Duration::ZERO
    );
}

#[test]
fn the_simulator_table_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/localstack/quota_table.json");
    let expected = serde_json::to_string_pretty(&table_json()).unwrap_or_default() + "\n";
    if std::env::var("HOVER_WRITE_QUOTA_TABLE").is_ok() {
        std::fs::write(path, &expected).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    let found = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        found == expected,
        "{path} differs from the quota table: rerun with HOVER_WRITE_QUOTA_TABLE=1"
    );
}
