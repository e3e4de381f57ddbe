//! Tests of choosing, probing and driving the container tools.

use super::choose::*;
use super::*;

fn spec() -> BuildSpec {
    BuildSpec {
        dockerfile: PathBuf::from("/app/.hover/.Dockerfile"),
        context: PathBuf::from("/app"),
        build_args: vec![("ASSET_URL".into(), "assets/b1".into())],
        target: Some("final".into()),
    }
}

#[test]
fn dockerfile_stages_are_found() {
    let df =
        "FROM php:8.3 AS base\nRUN x\nfrom node:20 as Assets\nFROM base AS final\nFROM scratch\n";
    assert_eq!(stages(df), ["base", "assets", "final"]);
    assert!(stages("FROM scratch\nCOPY . /\n").is_empty());
}

#[test]
fn each_tool_gets_its_own_flags() {
    let b = Builder {
        program: "buildah".into(),
        kind: Kind::Buildah,
        env: vec![],
    };
    assert_eq!(
        b.build_image_args(&spec(), "app:b1").join(" "),
        "bud -f /app/.hover/.Dockerfile --target final --build-arg ASSET_URL=assets/b1 -t app:b1 /app"
    );
    assert_eq!(
        b.export_stage_args(&spec(), "assets", Path::new("/o")).join(" "),
        "bud -f /app/.hover/.Dockerfile --target assets --build-arg ASSET_URL=assets/b1 --output type=local,dest=/o /app"
    );
    assert_eq!(
        b.login_args("127.0.0.1:5000", "AWS", true).join(" "),
        "login --username AWS --password-stdin --tls-verify=false 127.0.0.1:5000"
    );
    assert_eq!(
        b.push_args("h/app:b1", true).join(" "),
        "push --tls-verify=false h/app:b1"
    );
    let d = Builder {
        program: "docker".into(),
        kind: Kind::Docker,
        env: vec![],
    };
    assert_eq!(d.build_image_args(&spec(), "app:b1")[0], "build");
    assert_eq!(
        d.login_args("h", "AWS", false).join(" "),
        "login --username AWS --password-stdin h"
    );
    for args in [
        b.login_args("h", "AWS", true),
        d.login_args("h", "AWS", false),
    ] {
        assert!(args.iter().all(|a| !a.contains("secret")), "{args:?}");
    }
}

#[test]
fn the_builder_is_chosen_in_order_or_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let make = |name: &str| {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.path().join(name);
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    let path = dir.path().as_os_str().to_owned();
    assert!(matches!(
        find_builder(None, Some(&path)),
        Err(ImageError::NoBuilder)
    ));
    make("buildah");
    assert_eq!(find_builder(None, Some(&path)).unwrap().kind, Kind::Buildah);
    make("podman");
    assert_eq!(find_builder(None, Some(&path)).unwrap().kind, Kind::Podman);
    make("docker");
    assert_eq!(find_builder(None, Some(&path)).unwrap().kind, Kind::Docker);
    let chosen = find_builder(Some(("buildah", "--builder")), Some(&path)).unwrap();
    assert_eq!(chosen.kind, Kind::Buildah);
    assert!(matches!(
        find_builder(Some(("kaniko", "--builder")), Some(&path)),
        Err(ImageError::UnknownBuilder(_))
    ));
    std::fs::remove_file(dir.path().join("podman")).unwrap();
    assert!(matches!(
        find_builder(Some(("podman", "HOVER_BUILDER")), Some(&path)),
        Err(ImageError::BuilderMissing(_, "HOVER_BUILDER"))
    ));
    let by_path = dir.path().join("buildah");
    let chosen = find_builder(Some((by_path.to_str().unwrap(), "--builder")), None).unwrap();
    assert_eq!(chosen.program, by_path);
}

/// A machine whose probes answer from a table: (program base name, first argument, env
/// holds STORAGE_DRIVER=vfs) → (success, stderr line).
struct FakeMachine {
    answers: Vec<(&'static str, &'static str, bool, bool, &'static str)>,
    vars: Vec<(&'static str, &'static str)>,
    programs: Vec<&'static str>,
}

impl Machine for FakeMachine {
    fn run(&self, program: &Path, args: &[&str], env: &[(String, String)]) -> (bool, String) {
        let name = program.file_name().unwrap().to_str().unwrap();
        let vfs = env.iter().any(|(k, v)| k == "STORAGE_DRIVER" && v == "vfs");
        self.answers
            .iter()
            .find(|(p, a, v, _, _)| *p == name && *a == args[0] && *v == vfs)
            .map(|(_, _, _, ok, err)| (*ok, err.to_string()))
            .unwrap_or((true, String::new()))
    }
    fn var(&self, name: &str) -> Option<String> {
        self.vars
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
    fn has(&self, program: &str) -> bool {
        self.programs.contains(&program)
    }
}

fn tools(names: &[&str]) -> (tempfile::TempDir, std::ffi::OsString) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    for name in names {
        let p = dir.path().join(name);
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = dir.path().as_os_str().to_owned();
    (dir, path)
}

const NO_ENGINE: &str = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?";

#[test]
fn docker_without_an_engine_or_buildkit_is_passed_over_for_buildah() {
    let (_dir, path) = tools(&["docker", "buildah"]);
    let machine = FakeMachine {
        answers: vec![("docker", "version", false, false, NO_ENGINE)],
        vars: vec![],
        programs: vec!["crun"],
    };
    let choice = choose_builder(&machine, None, Some(&path)).unwrap();
    assert_eq!(choice.builder.kind, Kind::Buildah);
    assert!(choice.builder.env.is_empty());
    assert_eq!(
        choice.passed,
        vec![
            PassedOver {
                name: "docker".into(),
                why: format!("its engine does not answer ({NO_ENGINE})")
            },
            PassedOver {
                name: "podman".into(),
                why: "not installed".into()
            },
        ]
    );
    let line = choice.reasons().unwrap();
    assert!(
        line.starts_with("docker passed over: its engine does not answer"),
        "{line}"
    );
    assert!(
        line.ends_with("podman passed over: not installed"),
        "{line}"
    );

    // An engine without buildx is the legacy builder: passed over too.
    let machine = FakeMachine {
        answers: vec![(
            "docker",
            "buildx",
            false,
            false,
            "docker: unknown command: docker buildx",
        )],
        vars: vec![],
        programs: vec!["crun"],
    };
    let choice = choose_builder(&machine, None, Some(&path)).unwrap();
    assert_eq!(choice.builder.kind, Kind::Buildah);
    assert!(
        choice.passed[0].why.contains("no BuildKit"),
        "{:?}",
        choice.passed
    );

    // An engine with BuildKit is chosen first.
    let machine = FakeMachine {
        answers: vec![],
        vars: vec![],
        programs: vec![],
    };
    let choice = choose_builder(&machine, None, Some(&path)).unwrap();
    assert_eq!(choice.builder.kind, Kind::Docker);
    assert_eq!(choice.reasons(), None);
}

#[test]
fn buildah_gets_vfs_storage_and_chroot_isolation_where_the_defaults_cannot_work() {
    let (_dir, path) = tools(&["buildah"]);
    let overlay = "kernel does not support overlay fs: 'overlay' is not supported over overlayfs";
    let machine = FakeMachine {
        answers: vec![("buildah", "info", false, false, overlay)],
        vars: vec![],
        programs: vec![],
    };
    let choice = choose_builder(&machine, None, Some(&path)).unwrap();
    assert_eq!(
        choice.builder.env,
        vec![
            ("STORAGE_DRIVER".to_string(), "vfs".to_string()),
            ("BUILDAH_ISOLATION".to_string(), "chroot".to_string())
        ]
    );
    assert!(
        choice.settings[0].contains(overlay),
        "{:?}",
        choice.settings
    );
    let line = choice.reasons().unwrap();
    assert!(
        line.contains("STORAGE_DRIVER=vfs") && line.contains("BUILDAH_ISOLATION=chroot"),
        "{line}"
    );

    // The user's own settings are kept, and a storage that fails with them is the user's to mend.
    let machine = FakeMachine {
        answers: vec![("buildah", "info", false, false, overlay)],
        vars: vec![("STORAGE_DRIVER", "overlay"), ("BUILDAH_ISOLATION", "oci")],
        programs: vec![],
    };
    let err = choose_builder(&machine, Some(("buildah", "--builder")), Some(&path)).unwrap_err();
    match &err {
        ImageError::BuilderUnusable { why, help, .. } => {
            assert!(why.contains("STORAGE_DRIVER you set"), "{why}");
            assert!(help.contains("buildah info"), "{help}");
        }
        other => panic!("{other:?}"),
    }
    // Nothing works: every tool is named with its reason, and what to install is said.
    let machine = FakeMachine {
        answers: vec![
            ("buildah", "info", false, false, overlay),
            ("buildah", "info", true, false, "no space left"),
        ],
        vars: vec![],
        programs: vec!["runc"],
    };
    let err = choose_builder(&machine, None, Some(&path)).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("docker: not installed"), "{text}");
    assert!(
        text.contains("buildah: `buildah info` fails (no space left)"),
        "{text}"
    );
}

#[test]
fn a_named_docker_without_an_engine_says_what_to_start() {
    let (_dir, path) = tools(&["docker", "buildah"]);
    let machine = FakeMachine {
        answers: vec![("docker", "version", false, false, NO_ENGINE)],
        vars: vec![],
        programs: vec![],
    };
    let err = choose_builder(&machine, Some(("docker", "HOVER_BUILDER")), Some(&path)).unwrap_err();
    match err {
        ImageError::BuilderUnusable {
            name,
            from,
            why,
            help,
        } => {
            assert_eq!((name.as_str(), from), ("docker", "HOVER_BUILDER"));
            assert!(why.contains(NO_ENGINE));
            assert!(help.contains("start Docker's engine") && help.contains("--builder buildah"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn registry_hosts_from_endpoints() {
    assert_eq!(
        registry_host("https://123.dkr.ecr.eu-west-1.amazonaws.com"),
        ("123.dkr.ecr.eu-west-1.amazonaws.com".into(), false)
    );
    assert_eq!(
        registry_host("http://127.0.0.1:5000/"),
        ("127.0.0.1:5000".into(), true)
    );
}

#[tokio::test]
async fn a_failed_step_names_itself_and_its_exit_code() {
    let b = Builder {
        program: "sh".into(),
        kind: Kind::Buildah,
        env: vec![("HOVER_PROBE".into(), "set".into())],
    };
    let mut seen = Vec::new();
    let args: Vec<String> = [
        "-c",
        "echo one; echo two >&2; read x; echo got $x $HOVER_PROBE; exit 3",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let err = b
        .run("image build", &args, Some(b"hidden\n"), &mut |l: &str| {
            seen.push(l.to_string())
        })
        .await
        .unwrap_err();
    seen.sort();
    assert_eq!(seen, ["got hidden set", "one", "two"]);
    match err {
        ImageError::StepFailed {
            step, code, tail, ..
        } => {
            assert_eq!(step, "image build");
            assert_eq!(code, "exit code 3");
            assert_eq!(tail.len(), 3);
        }
        other => panic!("{other:?}"),
    }
}
