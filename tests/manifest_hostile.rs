//! Hostile stage files: whatever the input, parsing and rendering its diagnostics never panic, stay
//! small, never print a secret value, and never pass terminal control or bidirectional characters
//! through. The corpus (`tests/manifest-corpus/`) keeps inputs that once failed; a generator
//! (proptest) throws random documents built from YAML fragments at the same checks.

use hover::manifest::{load, parse, ManifestError};
use miette::{GraphicalReportHandler, GraphicalTheme};
use proptest::prelude::*;
use std::path::Path;

const SECRETS: [&str; 3] = [
    "c2VjcmV0LWtleS1zaG91bGQtbm90LWxlYWs",
    "hunter2",
    "sekr1t-value",
];

fn render(e: &ManifestError, width: usize) -> String {
    let mut out = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(width)
        .render_report(&mut out, e)
        .expect("render");
    out
}

/// The checks every diagnostic passes, rendered as a terminal (80) and as a log (160) shows it.
fn check_rendering(e: &ManifestError, what: &str) {
    for width in [80, 160] {
        let out = render(e, width);
        assert!(
            out.len() < 64 * 1024,
            "{what}: {} bytes of diagnostics",
            out.len()
        );
        for c in out.chars() {
            let hidden = (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            assert!(!hidden, "{what}: {:?} printed raw in:\n{out}", c);
        }
        for secret in SECRETS {
            assert!(
                !out.contains(secret),
                "{what}: the secret {secret} is printed:\n{out}"
            );
        }
    }
}

fn load_bytes(bytes: &[u8]) -> Result<hover::manifest::Manifest, ManifestError> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join(".hover")).expect("mkdir");
    std::fs::write(dir.path().join(".hover/case.yml"), bytes).expect("write");
    load(dir.path(), "case")
}

#[test]
fn the_corpus_is_reported_safely() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/manifest-corpus");
    let mut n = 0;
    for entry in std::fs::read_dir(&corpus).expect("corpus") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read");
        let what = path.file_name().unwrap().to_string_lossy().into_owned();
        let err = load_bytes(&bytes).expect_err(&what);
        assert!(
            !err.problems().is_empty() || matches!(err, ManifestError::Unreadable { .. }),
            "{what}"
        );
        check_rendering(&err, &what);
        n += 1;
    }
    assert!(n >= 7, "only {n} corpus files");
}

#[test]
fn a_file_that_is_not_utf8_is_located() {
    let err = load_bytes(b"name: app\nregion: us-east-1\nhttp:\n  memory: \xff12\n").unwrap_err();
    let p = &err.problems()[0];
    assert_eq!((p.line(), p.column()), (4, 11));
    assert!(
        p.message().contains("not UTF-8") && p.message().contains("0xff"),
        "{}",
        p.message()
    );
}

#[test]
fn huge_inputs_are_refused_quickly_and_briefly() {
    let started = std::time::Instant::now();
    // A diagnostic far to the right of a long line (past column 65,535).
    let wide = format!(
        "name: app\nregion: us-east-1\nhttp: {{{}: 1}}\n",
        "x".repeat(70_000)
    );
    let err = parse("wide.yml", &wide).unwrap_err();
    check_rendering(&err, "wide line");
    assert!(err.problems()[0].message().contains("more characters"));

    // A flat list of 100,001 items: too many values, and no alias to blame.
    let list = format!(
        "name: app\nregion: us-east-1\nhttp:\n  domains: [{}]\n",
        vec!["a.com"; 100_001].join(",")
    );
    let err = parse("list.yml", &list).unwrap_err();
    check_rendering(&err, "long list");
    let message = err.problems()[0].message().to_string();
    assert!(
        message.contains("more than 100000 values") && !message.contains("alias"),
        "{message}"
    );

    // Aliases of a 100 KB string under an ignored key: bytes count, not values.
    let bomb = format!(
        "name: app\nregion: us-east-1\nignored: &a \"{}\"\nmore: [{}]\n",
        "x".repeat(100_000),
        vec!["*a"; 2_000].join(",")
    );
    let err = parse("bomb.yml", &bomb).unwrap_err();
    check_rendering(&err, "alias bomb");
    assert!(err.problems().iter().any(|p| p
        .message()
        .contains("aliases expand this document to more than 4 MiB")));

    // A 10 MB value: refused by size, before parsing.
    let big = format!("name: {}\nregion: us-east-1\n", "a".repeat(10_000_000));
    let err = parse("big.yml", &big).unwrap_err();
    check_rendering(&err, "10 MB name");
    assert!(err.problems()[0].message().contains("at most 1024 KiB"));
    let err = load_bytes(big.as_bytes()).unwrap_err();
    assert!(err.problems()[0].message().contains("10000025 bytes"));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn secret_values_never_reach_a_diagnostic() {
    let key = "base64:c2VjcmV0LWtleS1zaG91bGQtbm90LWxlYWs=";
    let head = format!(
        "name: app\nregion: us-east-1\nenvironment:\n  APP_KEY: &k \"{key}\"\n  DATABASE_URL: &u mysql://root:hunter2@db/app\n"
    );
    for (what, tail) in [
        ("memory", "http:\n  memory: *k\n"),
        ("name", "name2: *k\n"),
        ("domain", "http:\n  domains: [*k]\n"),
        ("certificate", "http:\n  certificate: *k\n"),
        ("timeout", "cli:\n  timeout: *u\n"),
        ("queue name", "queue:\n  a:\n    queues: [*k]\n"),
        ("worker key", "queue:\n  *k : {}\n"),
        ("retention", "log-retention: *k\n"),
        ("role", "auth:\n  lambda-role: *u\n"),
        ("syntax error", "http: [\n"),
    ] {
        let err = parse("secret.yml", &format!("{head}{tail}")).expect_err(what);
        check_rendering(&err, what);
    }
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("name: app\n".to_string()),
        Just("region: us-east-1\n".to_string()),
        Just("http:\n  ".to_string()),
        Just("memory: ".to_string()),
        Just("queue:\n  w:\n    queues: ".to_string()),
        "[a-z_-]{1,12}: ".prop_map(|s| s),
        "[0-9]{1,7}\n".prop_map(|s| s),
        "[^\n]{0,30}\n".prop_map(|s| s),
        Just("&a ".to_string()),
        Just("*a".to_string()),
        Just("*s".to_string()),
        Just("- ".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(", ".to_string()),
        Just("\u{1b}[2J".to_string()),
        Just("\u{202e}".to_string()),
        Just("\u{85}".to_string()),
        Just("\t".to_string()),
        Just("  ".to_string()),
        Just("\n".to_string()),
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("---\n".to_string()),
        Just("!!str ".to_string()),
        Just("<<: *a\n".to_string()),
        "x{200,3000}".prop_map(|s| s),
    ]
}

/// 300 cases from a fixed seed, so every run checks the same documents; `HOVER_FUZZ_CASES=N`
/// with `HOVER_FUZZ_RANDOM=1` explores further (cases that fail go to the corpus).
fn fuzz_config() -> ProptestConfig {
    let cases = std::env::var("HOVER_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let rng_seed = if std::env::var_os("HOVER_FUZZ_RANDOM").is_some() {
        proptest::test_runner::RngSeed::Random
    } else {
        proptest::test_runner::RngSeed::Fixed(0x5eed_4d0c)
    };
    ProptestConfig {
        cases,
        rng_seed,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn any_document_is_reported_safely(parts in proptest::collection::vec(fragment(), 0..40)) {
        let text = format!(
            "environment:\n  APP_KEY: &s sekr1t-value\n{}",
            parts.concat()
        );
        if let Err(e) = parse("gen.yml", &text) {
            check_rendering(&e, &format!("{text:?}"));
        }
    }
}
