//! hover's Lambda runtime, carried inside the binary: the files of `runtime/` (entry point
//! `bootstrap`), which `hover build` writes into the build context as
//! `.hover/out/<build-id>/runtime/` beside the build's facts (`build.json`), for the Dockerfile to
//! copy into the image (`COPY .hover/out/${HOVER_BUILD_ID}/runtime /opt/hover`).

use serde::Serialize;
use std::path::Path;

/// One file of the runtime, as embedded at compile time.
#[derive(Clone, Copy, Debug)]
pub struct RuntimeFile {
    /// Path below the runtime's directory, `/`-separated.
    pub path: &'static str,
    pub bytes: &'static [u8],
    /// Written with mode 0755 (else 0644).
    pub executable: bool,
}

/// Every file of the runtime, sorted by path.
pub const FILES: &[RuntimeFile] = include!(concat!(env!("OUT_DIR"), "/runtime_files.rs"));

/// The runtime's entry point, relative to its directory.
pub const ENTRY_POINT: &str = "bootstrap";

/// The file of build facts the runtime reads at init, relative to its directory.
pub const FACTS_FILE: &str = "build.json";

/// What the runtime knows of the build that carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BuildFacts {
    pub build_id: String,
    /// The stage (manifest file name) and its manifest `name`.
    pub stage: String,
    pub name: String,
    /// The hover that built the image (and whose runtime it carries).
    pub hover_version: String,
}

/// The runtime's directory in a build's output: `<out>/runtime`.
pub fn dir(out: &Path) -> std::path::PathBuf {
    out.join("runtime")
}

/// Writes the runtime and `facts` into `target` (replacing what was there), with the entry point
/// executable.
pub fn write(target: &Path, facts: &BuildFacts) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::remove_dir_all(target) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    for file in FILES {
        let path = target.join(file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, file.bytes)?;
        let mode = if file.executable { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
    }
    let text = serde_json::to_string_pretty(facts).map_err(std::io::Error::other)?;
    let facts_path = target.join(FACTS_FILE);
    std::fs::write(&facts_path, text + "\n")?;
    std::fs::set_permissions(&facts_path, std::fs::Permissions::from_mode(0o644))
}

/// Whether a Dockerfile copies the runtime hover writes (the line `hover stage new` writes, or
/// any `COPY` of `.hover/out/${HOVER_BUILD_ID}/runtime`).
pub fn copied_by(dockerfile: &str) -> bool {
    dockerfile.lines().any(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        words
            .first()
            .is_some_and(|w| w.eq_ignore_ascii_case("COPY"))
            && words.iter().any(|w| {
                let w = w.trim_end_matches('/');
                w == ".hover/out/${HOVER_BUILD_ID}/runtime"
                    || w == ".hover/out/$HOVER_BUILD_ID/runtime"
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// Every file of `runtime/` on disk, relative and `/`-separated.
    fn on_disk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                on_disk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }

    #[test]
    fn every_file_of_the_runtime_is_embedded_and_the_entry_point_is_executable() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime");
        let mut files = Vec::new();
        on_disk(&root, &root, &mut files);
        files.sort();
        let embedded: Vec<&str> = FILES.iter().map(|f| f.path).collect();
        assert_eq!(embedded, files);
        let entry = FILES
            .iter()
            .find(|f| f.path == ENTRY_POINT)
            .expect("the entry point");
        assert!(entry.executable);
        assert!(entry.bytes.starts_with(b"#!/bin/sh"));
        for f in FILES {
            assert_eq!(
                f.bytes,
                std::fs::read(root.join(f.path)).unwrap(),
                "{}",
                f.path
            );
        }
    }

    #[test]
    fn write_lays_out_the_runtime_with_its_modes_and_the_build_facts() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out/b1/runtime");
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join("stale.php"), "old").unwrap();
        let facts = BuildFacts {
            build_id: "b1".into(),
            stage: "dev".into(),
            name: "app-dev".into(),
            hover_version: "9.9.9".into(),
        };
        write(&target, &facts).unwrap();
        assert!(!target.join("stale.php").exists());
        for f in FILES {
            let meta = std::fs::metadata(target.join(f.path)).unwrap();
            let mode = meta.permissions().mode() & 0o777;
            assert_eq!(mode, if f.executable { 0o755 } else { 0o644 }, "{}", f.path);
        }
        let facts_text = std::fs::read_to_string(target.join(FACTS_FILE)).unwrap();
        let value: serde_json::Value = serde_json::from_str(&facts_text).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"build_id": "b1", "stage": "dev", "name": "app-dev", "hover_version": "9.9.9"})
        );
    }

    #[test]
    fn a_dockerfile_copies_the_runtime_only_with_the_build_id_path() {
        assert!(copied_by(
            "FROM x AS final\nCOPY .hover/out/${HOVER_BUILD_ID}/runtime /opt/hover\n"
        ));
        assert!(copied_by(
            "copy .hover/out/$HOVER_BUILD_ID/runtime/ /opt/hover/\n"
        ));
        assert!(!copied_by("FROM bref/php-83:2\nCMD [\"/opt/bootstrap\"]\n"));
        assert!(!copied_by(
            "# COPY .hover/out/${HOVER_BUILD_ID}/runtime /opt/hover\n"
        ));
        assert!(copied_by(crate::project::DOCKERFILE));
    }
}
