//! Golden plan cases: each directory under `plans/` holds a manifest (`.hover/<stage>.yml`), the
//! recorded live state (`observed.json`), optionally `image-tag`, and the expected `plan.txt`,
//! `plan.json`, `plan.md` and `template.json`. Any difference fails; `HOVER_BLESS=1 cargo test --test plans`
//! rewrites the expected files.

use hover::model::ObservedStage;
use hover::ops::plan::plan_observed;
use hover::render::{self, Style};
use std::fs;
use std::path::{Path, PathBuf};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("plans");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .expect("plans/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join(".hover").is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn stage_of(dir: &Path) -> String {
    let mut stages: Vec<String> = fs::read_dir(dir.join(".hover"))
        .expect(".hover/ readable")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".yml"))
                .map(str::to_string)
        })
        .collect();
    stages.sort();
    assert_eq!(
        stages.len(),
        1,
        "{}: exactly one stage file expected",
        dir.display()
    );
    stages.remove(0)
}

struct Outputs {
    text: String,
    json: String,
    markdown: String,
    template: String,
}

fn run_case(dir: &Path) -> Outputs {
    let stage = stage_of(dir);
    let manifest =
        hover::manifest::load(dir, &stage).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let observed: ObservedStage = match fs::read_to_string(dir.join("observed.json")) {
        Ok(text) => serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: observed.json: {e}", dir.display())),
        Err(_) => ObservedStage {
            account: Some("123456789012".into()),
            ..Default::default()
        },
    };
    // `--image-tag` when the case has an `image-tag` file; otherwise the image live now.
    let tag = fs::read_to_string(dir.join("image-tag"))
        .ok()
        .map(|t| t.trim().to_string());
    // The path `hover plan` takes once the stage is read.
    let (desired, plan) = plan_observed(&manifest, &observed, tag.as_deref())
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut text = Vec::new();
    render::text::write_plan(&mut text, &plan, Style::PLAIN).expect("render text");
    let mut json = Vec::new();
    render::json::write_plan(&mut json, &plan).expect("render json");
    let mut markdown = Vec::new();
    render::markdown::write_plan(&mut markdown, &plan).expect("render markdown");
    Outputs {
        text: String::from_utf8(text).expect("utf-8"),
        json: String::from_utf8(json).expect("utf-8"),
        markdown: String::from_utf8(markdown).expect("utf-8"),
        template: hover::template::to_text(&hover::template::masked(&hover::template::build(
            &desired,
        ))),
    }
}

#[test]
fn golden_plans() {
    let bless = std::env::var_os("HOVER_BLESS").is_some();
    let cases = cases();
    assert!(
        cases.len() >= 12,
        "expected at least 12 plan cases, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for dir in &cases {
        let out = run_case(dir);
        for (file, actual) in [
            ("plan.txt", &out.text),
            ("plan.json", &out.json),
            ("plan.md", &out.markdown),
            ("template.json", &out.template),
        ] {
            let path = dir.join(file);
            if bless {
                fs::write(&path, actual).expect("write expected file");
                continue;
            }
            let expected = fs::read_to_string(&path).unwrap_or_default();
            if &expected != actual {
                failures.push(format!(
                    "{}: differs from the expected output (HOVER_BLESS=1 to accept)\n{}\n{}",
                    path.display(),
                    first_difference(&expected, actual),
                    pretty_assertions::StrComparison::new(&expected, actual)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn first_difference(expected: &str, actual: &str) -> String {
    for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            return format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1);
        }
    }
    format!(
        "lengths differ: expected {} lines, actual {} lines",
        expected.lines().count(),
        actual.lines().count()
    )
}

/// The recorded original-Hover stage: the plan takes it over with in-place updates and additions
/// only, says so once, and keeps the original's logical ids.
#[test]
fn original_stage_is_taken_over_without_replacing_or_deleting() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("plans/takeover-original");
    let manifest = hover::manifest::load(&dir, "dev").expect("manifest");
    let observed: ObservedStage = serde_json::from_str(
        &fs::read_to_string(dir.join("observed.json")).expect("observed.json"),
    )
    .expect("observed");
    let (desired, plan) = plan_observed(&manifest, &observed, None).expect("plan");
    assert_eq!(desired.ids, hover::stage::Scheme::Original);
    assert!(plan.takeover);
    for c in &plan.resource_changes {
        assert!(
            matches!(
                c.action,
                hover::plan::Action::NoOp
                    | hover::plan::Action::Update
                    | hover::plan::Action::Create
            ),
            "{} {:?}",
            c.logical_id,
            c.action
        );
        if c.action == hover::plan::Action::Create {
            assert!(
                !observed
                    .stack
                    .as_ref()
                    .is_some_and(|s| s.resources.contains_key(&c.logical_id)),
                "{} is in the stack",
                c.logical_id
            );
        }
    }
    for kept in ["HTTPLambda", "defaultQueue", "CFDistribution", "ApiGateway"] {
        assert!(desired.resources.contains_key(kept), "{kept}");
    }
    let mut text = Vec::new();
    render::text::write_plan(&mut text, &plan, Style::PLAIN).expect("render");
    let text = String::from_utf8(text).expect("utf-8");
    assert_eq!(text.matches("Take-over:").count(), 1);
    assert!(!text.contains("changed outside of hover"), "{text}");
}
