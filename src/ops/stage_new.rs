//! `hover stage new <stage>`: writes a new stage's files (see `project`), asking for what the flags
//! leave out only on a terminal. Never overwrites: an existing stage is refused before anything is
//! written, and other files that exist are kept.

use crate::error::HoverError;
use crate::manifest::{self, ManifestError};
use crate::project::{self, NewStage};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Settings of `hover stage new`, as given on the command line.
#[derive(Clone, Debug, Default)]
pub struct NewStageOptions {
    pub dir: PathBuf,
    pub stage: String,
    pub name: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
}

/// Asks the user on a terminal. `None`: there is no terminal to ask on.
pub trait Ask {
    /// Asks `question`; an empty answer takes `default`.
    fn ask(&mut self, question: &str, default: Option<&str>) -> Option<String>;
}

/// What `hover stage new` did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewStageOutcome {
    pub stage: String,
    /// Files written (the `.gitignore` also when lines were added to it).
    pub written: Vec<PathBuf>,
    /// Files that existed and were left as they are.
    pub kept: Vec<PathBuf>,
    /// The project's `bootstrap/app.php` when it does not move Laravel's storage to where the
    /// runtime puts it (`APP_STORAGE`): on Lambda the task root is read-only.
    pub storage_unmoved: Option<PathBuf>,
}

/// The line hover's runtime needs in `bootstrap/app.php`.
pub const STORAGE_LINE: &str = "$app->useStoragePath($_ENV['APP_STORAGE'] ?? $app->storagePath());";

/// `bootstrap/app.php` of the project in `dir` when it exists and never calls `useStoragePath`.
fn storage_unmoved(dir: &Path) -> Option<PathBuf> {
    let path = dir.join("bootstrap").join("app.php");
    let text = std::fs::read_to_string(&path).ok()?;
    (!text.contains("useStoragePath")).then_some(path)
}

fn create_new(path: &Path, text: &str, private: bool) -> Result<bool, HoverError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    match options.open(path) {
        Ok(mut f) => {
            f.write_all(text.as_bytes())?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Writes the new stage's files.
pub fn stage_new(opts: &NewStageOptions, ask: &mut dyn Ask) -> Result<NewStageOutcome, HoverError> {
    let stage = opts.stage.as_str();
    let hover = opts.dir.join(".hover");
    check_new_stage(&hover, stage)?;
    let new = settings(opts, ask)?;
    let manifest_path = hover.join(format!("{stage}.yml"));
    let text = project::manifest(&new);
    // What it writes must plan: check it as `hover plan` will, before writing anything.
    manifest::parse(&manifest_path.display().to_string(), &text)?;

    std::fs::create_dir_all(&hover)?;
    let mut out = NewStageOutcome {
        stage: stage.to_string(),
        ..Default::default()
    };
    if !create_new(&manifest_path, &text, false)? {
        return Err(HoverError::StageExists {
            path: manifest_path.display().to_string(),
        });
    }
    out.written.push(manifest_path);
    write_gitignore(&hover, &mut out)?;
    for (path, text, private) in [
        (hover.join(".Dockerfile"), project::DOCKERFILE, false),
        (hover.join(format!("{stage}-secrets.plain.env")), "", true),
    ] {
        if create_new(&path, text, private)? {
            out.written.push(path);
        } else {
            out.kept.push(path);
        }
    }
    out.storage_unmoved = storage_unmoved(&opts.dir);
    Ok(out)
}

/// Refuses a stage name that cannot be a file name of `.hover/`, and a stage that exists.
fn check_new_stage(hover: &Path, stage: &str) -> Result<(), HoverError> {
    let stage_ok = !stage.is_empty()
        && !stage.starts_with('.')
        && stage
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if !stage_ok {
        return Err(ManifestError::BadStageName {
            stage: stage.to_string(),
        }
        .into());
    }
    for ext in ["yml", "yaml"] {
        let path = hover.join(format!("{stage}.{ext}"));
        if path.exists() {
            return Err(HoverError::StageExists {
                path: path.display().to_string(),
            });
        }
    }
    Ok(())
}

/// The new stage's name, region and profile: from the flags, else asked (on a terminal), else
/// the defaults (a region must be given somehow).
fn settings(opts: &NewStageOptions, ask: &mut dyn Ask) -> Result<NewStage, HoverError> {
    let project_name = std::fs::canonicalize(&opts.dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let suggested = project::default_name(&project_name, &opts.stage);
    let name = match &opts.name {
        Some(n) => n.clone(),
        None => ask
            .ask(
                "Name (prefix of every AWS name of the stage)",
                Some(&suggested),
            )
            .unwrap_or(suggested),
    };
    let region_default = std::env::var("AWS_REGION")
        .ok()
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "us-east-1".into());
    let region = match &opts.region {
        Some(r) => r.clone(),
        None => ask
            .ask("AWS region", Some(&region_default))
            .ok_or(HoverError::NeedsFlag {
                flag: "--region",
                what: "the stage's AWS region",
            })?,
    };
    let profile = match &opts.profile {
        Some(p) => Some(p.clone()),
        None => ask
            .ask("AWS profile (empty: the standard AWS environment)", None)
            .filter(|p| !p.trim().is_empty()),
    };
    Ok(NewStage {
        stage: opts.stage.clone(),
        name,
        region,
        profile,
    })
}

/// `.hover/.gitignore` made, or given the lines it lacks (kept when it has them all).
fn write_gitignore(hover: &Path, out: &mut NewStageOutcome) -> Result<(), HoverError> {
    let gitignore = hover.join(".gitignore");
    let current = match std::fs::read_to_string(&gitignore) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    match project::gitignore(current.as_deref()) {
        Some(text) => {
            std::fs::write(&gitignore, text)?;
            out.written.push(gitignore);
        }
        None => out.kept.push(gitignore),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_application_that_keeps_its_storage_in_the_task_root_is_pointed_out() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(storage_unmoved(dir.path()), None); // not a Laravel project (yet)
        std::fs::create_dir_all(dir.path().join("bootstrap")).unwrap();
        let app = dir.path().join("bootstrap/app.php");
        std::fs::write(&app, "<?php\n$app = new Illuminate\\Foundation\\Application(dirname(__DIR__));\nreturn $app;\n").unwrap();
        assert_eq!(storage_unmoved(dir.path()), Some(app.clone()));
        std::fs::write(
            &app,
            format!("<?php\n$app = new X(dirname(__DIR__));\n{STORAGE_LINE}\nreturn $app;\n"),
        )
        .unwrap();
        assert_eq!(storage_unmoved(dir.path()), None);
    }

    struct NoTerminal;
    impl Ask for NoTerminal {
        fn ask(&mut self, _: &str, _: Option<&str>) -> Option<String> {
            None
        }
    }

    struct Answers(Vec<&'static str>);
    impl Ask for Answers {
        fn ask(&mut self, _: &str, default: Option<&str>) -> Option<String> {
            let a = self.0.remove(0);
            Some(if a.is_empty() {
                default.unwrap_or("").to_string()
            } else {
                a.to_string()
            })
        }
    }

    fn opts(dir: &Path) -> NewStageOptions {
        NewStageOptions {
            dir: dir.to_path_buf(),
            stage: "dev".into(),
            ..Default::default()
        }
    }

    #[test]
    fn writes_every_file_and_never_overwrites() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let hover = tmp.path().join(".hover");
        std::fs::create_dir_all(&hover).expect("mkdir");
        std::fs::write(hover.join(".Dockerfile"), "FROM mine\n").expect("write");
        std::fs::write(hover.join(".gitignore"), "node_modules/\n").expect("write");
        let mut o = opts(tmp.path());
        o.region = Some("eu-west-1".into());
        o.name = Some("shop-dev".into());
        let out = stage_new(&o, &mut NoTerminal).expect("new");
        assert_eq!(
            std::fs::read_to_string(hover.join(".Dockerfile"))
                .ok()
                .as_deref(),
            Some("FROM mine\n")
        );
        assert!(out.kept.contains(&hover.join(".Dockerfile")));
        assert_eq!(
            std::fs::read_to_string(hover.join(".gitignore"))
                .ok()
                .as_deref(),
            Some("node_modules/\n*-secrets.plain.env\nout/\n")
        );
        assert_eq!(
            std::fs::read_to_string(hover.join("dev-secrets.plain.env"))
                .ok()
                .as_deref(),
            Some("")
        );
        let m = manifest::load(tmp.path(), "dev").expect("loads");
        assert_eq!(
            (m.name.as_str(), m.region.as_str()),
            ("shop-dev", "eu-west-1")
        );
        // Again: refused, nothing changed.
        let before = std::fs::read_to_string(hover.join("dev.yml")).expect("read");
        assert!(matches!(
            stage_new(&o, &mut NoTerminal),
            Err(HoverError::StageExists { .. })
        ));
        assert_eq!(
            std::fs::read_to_string(hover.join("dev.yml")).ok(),
            Some(before)
        );
    }

    #[test]
    fn asks_only_on_a_terminal_and_checks_before_writing() {
        let tmp = tempfile::tempdir().expect("tempdir");
        // No terminal and no --region: refused, nothing written.
        assert!(matches!(
            stage_new(&opts(tmp.path()), &mut NoTerminal),
            Err(HoverError::NeedsFlag {
                flag: "--region",
                ..
            })
        ));
        assert!(!tmp.path().join(".hover").exists());
        // A bad name: a located manifest error, nothing written.
        let mut o = opts(tmp.path());
        o.name = Some("Shop_Dev".into());
        o.region = Some("us-east-1".into());
        assert!(matches!(
            stage_new(&o, &mut NoTerminal),
            Err(HoverError::Manifest(_))
        ));
        assert!(!tmp.path().join(".hover").exists());
        // On a terminal: the answers (empty takes the default).
        let out = stage_new(
            &opts(tmp.path()),
            &mut Answers(vec!["", "eu-central-1", "work"]),
        )
        .expect("new");
        assert_eq!(out.written.len(), 4);
        let m = manifest::load(tmp.path(), "dev").expect("loads");
        assert!(m.name.ends_with("-dev"), "{}", m.name);
        assert_eq!(m.region, "eu-central-1");
        assert_eq!(m.aws_profile.as_deref(), Some("work"));
    }
}
