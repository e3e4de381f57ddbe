//! Saved plans: the file holds no secret value, applies only while fresh, and is refused as
//! stale once the manifest or the stage changes.

use hover::live::Clients;
use hover::model::ObservedStage;
use hover::ops::saved;
use hover::ops::{PlannedStage, StageContext};
use std::fs;
use std::path::Path;

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read case") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The stage in `dir` planned against `observed`, as `hover plan dev --image-tag v1` plans it
/// (the manifest read now).
fn planned(dir: &Path, observed: ObservedStage) -> PlannedStage {
    let manifest = hover::manifest::load(dir, "dev").expect("manifest");
    let config = aws_types::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_types::region::Region::new("us-east-1"))
        .build();
    let ctx = StageContext::new(dir, "dev", manifest, Clients::new(&config));
    PlannedStage::from_observed(ctx, observed, Some("v1".into())).expect("plan")
}

#[test]
fn a_saved_plan_holds_no_secret_and_goes_stale() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("plans/masked-secrets");
    let work = tempfile::tempdir().expect("tempdir");
    copy_dir(&case, work.path());
    let observed: ObservedStage = serde_json::from_str(
        &fs::read_to_string(work.path().join("observed.json")).expect("observed"),
    )
    .expect("json");
    let now = planned(work.path(), observed.clone());
    assert!(now.plan.has_changes());

    let file = work.path().join("dev.plan");
    saved::save(&file, &now).expect("save");
    let text = fs::read_to_string(&file).expect("read saved plan");
    for secret in [
        "hunter2",
        "c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWs",
        "s3cr3t",
    ] {
        assert!(
            !text.contains(secret),
            "the saved plan contains the secret {secret}"
        );
    }

    let loaded = saved::load(&file).expect("load");
    saved::check_fresh(&loaded, &now).expect("fresh right after saving");

    // Its digests cannot be used to test guesses of a secret: a stage that differs only in a
    // secret value has the same ones (the plan still shows the secret as changed).
    let manifest_path = work.path().join(".hover/dev.yml");
    let original = fs::read_to_string(&manifest_path).expect("manifest");
    let guessed = work.path().join("guessed.plan");
    fs::write(&manifest_path, original.replace("hunter2", "a-guess")).expect("edit");
    let mut other = observed.clone();
    for r in other.resources.values_mut() {
        if let Some(serde_json::Value::Object(vars)) = r
            .properties
            .get_mut("Environment")
            .and_then(|e| e.get_mut("Variables"))
        {
            for v in vars.values_mut() {
                if v.as_str() == Some("hunter2") {
                    *v = serde_json::json!("a-guess");
                }
            }
        }
    }
    saved::save(&guessed, &planned(work.path(), other)).expect("save");
    let a = saved::load(&file).expect("load");
    let b = saved::load(&guessed).expect("load");
    assert_eq!(a.manifest_digest, b.manifest_digest);
    assert_eq!(a.plan.observed_digest, b.plan.observed_digest);
    fs::write(&manifest_path, &original).expect("restore");

    // The stage changed in AWS: stale.
    let mut drifted = observed.clone();
    if let Some(f) = drifted.resources.get_mut("HttpFunction") {
        f.properties
            .insert("MemorySize".into(), serde_json::json!(2048));
    }
    let err = saved::check_fresh(&loaded, &planned(work.path(), drifted))
        .expect_err("stale after a change in AWS");
    assert!(err.to_string().contains("stale"), "{err}");

    // The manifest changed: stale.
    let manifest = work.path().join(".hover/dev.yml");
    let edited = fs::read_to_string(&manifest)
        .expect("manifest")
        .replace("memory: 512", "memory: 640");
    fs::write(&manifest, edited).expect("edit manifest");
    let err = saved::check_fresh(&loaded, &planned(work.path(), observed.clone()))
        .expect_err("stale after a manifest edit");
    assert!(err.to_string().contains("manifest"), "{err}");

    // Not a saved plan at all.
    fs::write(&file, "{}").expect("overwrite");
    assert!(saved::load(&file).is_err());
}
