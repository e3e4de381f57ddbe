//! `hover build`: the stage's image built by the container tool with hover's runtime and the
//! stage's secrets staged into `.hover/out/<build-id>/`, its assets exported to
//! `.hover/out/<build-id>/assets`, and a record of the build that `hover deploy --skip-build` finds.

use crate::error::HoverError;
use crate::events::{Event, Sink, Warning};
use crate::image::{self, BuildSpec, ImageError};
use crate::manifest::Manifest;
use crate::release;
use crate::runtime;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub use crate::release::BuildRecord;

/// Settings of one build.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    pub dir: PathBuf,
    pub stage: String,
    /// The build id to use (default: a new one).
    pub build_id: Option<String>,
    /// `--builder` (else `HOVER_BUILDER`, else the first of docker, podman, buildah on PATH).
    pub builder: Option<String>,
}

/// Where a build's files go: `.hover/out/<build-id>/`.
pub fn out_dir(dir: &Path, build_id: &str) -> PathBuf {
    dir.join(".hover").join("out").join(build_id)
}

/// The build's assets directory, uploaded under `assets/<build-id>/`.
pub fn assets_dir(dir: &Path, build_id: &str) -> PathBuf {
    out_dir(dir, build_id).join("assets")
}

fn record_path(dir: &Path, build_id: &str) -> PathBuf {
    out_dir(dir, build_id).join("build.json")
}

/// Reads the record of build `build_id`, if it was built here.
pub fn read_record(dir: &Path, build_id: &str) -> Option<BuildRecord> {
    let text = std::fs::read_to_string(record_path(dir, build_id)).ok()?;
    serde_json::from_str(&text).ok()
}

/// The newest build of `stage` recorded under `.hover/out/`.
pub fn latest_record(dir: &Path, stage: &str) -> Option<BuildRecord> {
    let mut ids: Vec<String> = std::fs::read_dir(dir.join(".hover").join("out"))
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    ids.sort();
    ids.iter()
        .rev()
        .filter_map(|id| read_record(dir, id))
        .find(|r| r.stage == stage)
}

/// The container tool for this run: the one named (`--builder`, else `HOVER_BUILDER`), else the
/// first that can build on this machine; with why the others were passed over.
pub fn builder(choice: Option<&str>) -> Result<image::Choice, ImageError> {
    let env = std::env::var("HOVER_BUILDER").ok();
    let chosen = match (choice, env.as_deref()) {
        (Some(c), _) => Some((c, "--builder")),
        (None, Some(e)) if !e.trim().is_empty() => Some((e, "HOVER_BUILDER")),
        _ => None,
    };
    image::choose_builder(&image::Host, chosen, std::env::var_os("PATH").as_deref())
}

/// The short commit of the project and whether its work tree is dirty, when it is a git work tree.
fn git_commit(dir: &Path) -> Option<(String, bool)> {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let sha = git(&["rev-parse", "--short=7", "HEAD"])?;
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some((sha, dirty))
}

/// A new build id for the project in `dir`.
pub fn new_build_id(dir: &Path) -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let commit = git_commit(dir);
    release::new_build_id(ms, commit.as_ref().map(|(s, d)| (s.as_str(), *d)))
}

/// Checks a build id given by the user.
pub fn check_build_id(id: &str) -> Result<(), HoverError> {
    if release::valid_build_id(id) {
        Ok(())
    } else {
        Err(HoverError::Usage(format!(
            "`{id}` cannot be a build id: it becomes an image tag, so it must start with a letter, digit or `_` and hold only letters, digits, `_`, `.` and `-` (at most 128)"
        )))
    }
}

/// Runs `hover build`.
pub async fn build(opts: &BuildOptions, ui: &mut dyn Sink) -> Result<BuildRecord, HoverError> {
    let manifest = crate::ops::context::load_manifest(&opts.dir, &opts.stage)?;
    build_stage(&manifest, opts, ui).await
}

/// Builds the image of an already loaded manifest: the build's inputs staged under
/// `.hover/out/<build-id>/`, the assets stage exported (when the Dockerfile has one), the image
/// built, and the build's record written.
pub async fn build_stage(
    manifest: &Manifest,
    opts: &BuildOptions,
    ui: &mut dyn Sink,
) -> Result<BuildRecord, HoverError> {
    let build_id = match &opts.build_id {
        Some(id) => {
            check_build_id(id)?;
            id.clone()
        }
        None => new_build_id(&opts.dir),
    };
    let choice = builder(opts.builder.as_deref())?;
    let builder = choice.builder.clone();
    let dockerfile = opts.dir.join(".hover").join(&manifest.dockerfile);
    let text = std::fs::read_to_string(&dockerfile).map_err(|_| ImageError::NoDockerfile {
        path: dockerfile.display().to_string(),
    })?;
    let stages = image::stages(&text);
    let out = out_dir(&opts.dir, &build_id);
    stage_inputs(manifest, opts, &out, &build_id, ui)?;
    if !runtime::copied_by(&text) {
        ui.emit(
            Warning::NoRuntime {
                dockerfile: dockerfile.display().to_string(),
            }
            .into(),
        );
    }

    let spec = BuildSpec {
        dockerfile,
        context: opts.dir.clone(),
        build_args: vec![
            ("ASSET_URL".into(), format!("assets/{build_id}")),
            ("HOVER_BUILD_ID".into(), build_id.clone()),
        ],
        target: stages.iter().any(|s| s == "final").then(|| "final".into()),
    };
    let program = builder.program.display().to_string();
    ui.emit(Event::BuildStarted {
        name: manifest.name.clone(),
        stage: opts.stage.clone(),
        builder: program.clone(),
        build_id: build_id.clone(),
        why: choice.reasons(),
    });
    let assets = if stages.iter().any(|s| s == "assets") {
        export_assets(&builder, &spec, &opts.dir, &build_id, ui).await?
    } else {
        0
    };
    let image = build_image(&builder, &spec, &manifest.name, &build_id, ui).await?;
    let record = BuildRecord {
        build_id,
        stage: opts.stage.clone(),
        name: manifest.name.clone(),
        image,
        builder: program,
        builder_env: builder.env.clone(),
        assets,
    };
    write_record(&opts.dir, &record)?;
    Ok(record)
}

/// What the Dockerfile copies from `.hover/out/<build-id>/` (`out`): the stage's encrypted
/// secrets and hover's runtime.
fn stage_inputs(
    manifest: &Manifest,
    opts: &BuildOptions,
    out: &Path,
    build_id: &str,
    ui: &mut dyn Sink,
) -> Result<(), HoverError> {
    std::fs::create_dir_all(out).map_err(|e| ImageError::io("cannot create", out, e))?;
    stage_secrets(&opts.dir, &opts.stage, out, ui)?;
    stage_runtime(out, build_id, &opts.stage, &manifest.name)
}

/// A child tool's output lines, as events.
fn tool_lines(ui: &mut dyn Sink) -> impl FnMut(&str) + '_ {
    move |line: &str| {
        ui.emit(Event::ToolOutput {
            line: line.to_string(),
        })
    }
}

/// Builds the Dockerfile's `assets` stage and moves its `public/` to the build's assets
/// directory (what a deploy uploads). How many files it holds.
async fn export_assets(
    builder: &image::Builder,
    spec: &BuildSpec,
    dir: &Path,
    build_id: &str,
    ui: &mut dyn Sink,
) -> Result<usize, HoverError> {
    let started = Instant::now();
    let export = out_dir(dir, build_id).join("assets-stage");
    let _ = std::fs::remove_dir_all(&export);
    let args = builder.export_stage_args(spec, "assets", &export);
    builder
        .run("assets build", &args, None, &mut tool_lines(ui))
        .await?;
    ui.emit(Event::ToolEnded);
    let public = find_public(&export).ok_or_else(|| ImageError::Io {
        what: "the assets stage has no public/ directory in",
        path: export.display().to_string(),
        message: "its `public/` is what is uploaded under assets/<build-id>/".into(),
    })?;
    let target = assets_dir(dir, build_id);
    let _ = std::fs::remove_dir_all(&target);
    std::fs::rename(&public, &target)
        .map_err(|e| ImageError::io("cannot move the assets to", &target, e))?;
    let _ = std::fs::remove_dir_all(&export);
    let files = crate::release::assets::asset_files(&target)
        .map_err(|e| ImageError::io("cannot list", &target, e))?
        .len();
    ui.emit(Event::AssetsExported {
        files,
        dir: target.display().to_string(),
        took_ms: started.elapsed().as_millis() as u64,
    });
    Ok(files)
}

/// Builds the image, tagged `<name>:<build-id>` locally; that tag.
async fn build_image(
    builder: &image::Builder,
    spec: &BuildSpec,
    name: &str,
    build_id: &str,
    ui: &mut dyn Sink,
) -> Result<String, HoverError> {
    let started = Instant::now();
    let local = format!("{name}:{build_id}");
    let args = builder.build_image_args(spec, &local);
    builder
        .run("image build", &args, None, &mut tool_lines(ui))
        .await?;
    ui.emit(Event::ToolEnded);
    ui.emit(Event::ImageBuilt {
        image: local.clone(),
        took_ms: started.elapsed().as_millis() as u64,
    });
    Ok(local)
}

/// Writes the build's record beside its outputs (what `--skip-build` and a deploy read).
fn write_record(dir: &Path, record: &BuildRecord) -> Result<(), HoverError> {
    let path = record_path(dir, &record.build_id);
    let text = serde_json::to_string_pretty(record).unwrap_or_default();
    std::fs::write(&path, text + "\n").map_err(|e| ImageError::io("cannot write", &path, e))?;
    Ok(())
}

/// hover's runtime goes into the image: written to `<out>/runtime/` with the build's facts, where
/// the Dockerfile copies it from.
fn stage_runtime(out: &Path, build_id: &str, stage: &str, name: &str) -> Result<(), HoverError> {
    let target = runtime::dir(out);
    let facts = runtime::BuildFacts {
        build_id: build_id.to_string(),
        stage: stage.to_string(),
        name: name.to_string(),
        hover_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    runtime::write(&target, &facts)
        .map_err(|e| ImageError::io("cannot write hover's runtime to", &target, e))?;
    Ok(())
}

/// The stage's encrypted secrets go into the image: `.hover/<stage>-secrets.env` is copied to
/// `<out>/secrets.env` (empty when the stage has none), where the Dockerfile copies it from. A plain
/// secrets file without an encrypted one is a warning: it is never packaged.
fn stage_secrets(dir: &Path, stage: &str, out: &Path, ui: &mut dyn Sink) -> Result<(), HoverError> {
    let hover = dir.join(".hover");
    let encrypted = hover.join(format!("{stage}-secrets.env"));
    let plain = hover.join(format!("{stage}-secrets.plain.env"));
    let target = out.join("secrets.env");
    if encrypted.is_file() {
        std::fs::copy(&encrypted, &target)
            .map_err(|e| ImageError::io("cannot copy the stage's secrets to", &target, e))?;
    } else {
        if plain.metadata().is_ok_and(|m| m.len() > 0) {
            ui.emit(
                Warning::SecretsNotEncrypted {
                    plain: plain.display().to_string(),
                    encrypted: encrypted.display().to_string(),
                    stage: stage.to_string(),
                }
                .into(),
            );
        }
        std::fs::write(&target, b"").map_err(|e| ImageError::io("cannot write", &target, e))?;
    }
    Ok(())
}

/// The `public/` directory of an exported assets stage: at its root, else the one shallowest
/// below it (a stage whose working directory is `/app` exports `app/public`).
fn find_public(root: &Path) -> Option<PathBuf> {
    let mut level = vec![root.to_path_buf()];
    for _ in 0..4 {
        let mut next = Vec::new();
        for dir in &level {
            let candidate = dir.join("public");
            if candidate.is_dir() {
                return Some(candidate);
            }
            if let Ok(entries) = std::fs::read_dir(dir) {
                let mut subdirs: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .map(|e| e.path())
                    .collect();
                subdirs.sort();
                next.extend(subdirs);
            }
        }
        level = next;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_is_found_at_the_root_or_below() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("app/public/css")).unwrap();
        assert_eq!(find_public(dir.path()), Some(dir.path().join("app/public")));
        std::fs::create_dir_all(dir.path().join("public")).unwrap();
        assert_eq!(find_public(dir.path()), Some(dir.path().join("public")));
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(find_public(empty.path()), None);
    }

    #[test]
    fn records_are_found_newest_first_per_stage() {
        let dir = tempfile::tempdir().unwrap();
        for (id, stage) in [
            ("20260101-a", "dev"),
            ("20260102-b", "prod"),
            ("20250101-c", "dev"),
        ] {
            let out = out_dir(dir.path(), id);
            std::fs::create_dir_all(&out).unwrap();
            let r = BuildRecord {
                build_id: id.into(),
                stage: stage.into(),
                name: format!("app-{stage}"),
                image: format!("app-{stage}:{id}"),
                builder: "buildah".into(),
                builder_env: vec![],
                assets: 0,
            };
            std::fs::write(
                record_path(dir.path(), id),
                serde_json::to_string(&r).unwrap(),
            )
            .unwrap();
        }
        assert_eq!(
            latest_record(dir.path(), "dev").unwrap().build_id,
            "20260101-a"
        );
        assert_eq!(
            latest_record(dir.path(), "prod").unwrap().build_id,
            "20260102-b"
        );
        assert!(latest_record(dir.path(), "qa").is_none());
        assert_eq!(read_record(dir.path(), "20250101-c").unwrap().stage, "dev");
    }
}
