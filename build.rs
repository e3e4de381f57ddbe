//! Embeds hover's Lambda runtime (the files under `runtime/`) in the binary: writes the list of
//! its files, with their bytes and modes, for `src/runtime.rs` to include. Also sets
//! `HOVER_COMMIT`, the commit hover is built from, and `HOVER_TARGET`, the platform it is built
//! for, for `hover --version` (see [`commit`]).

use std::path::{Path, PathBuf};

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dir = root.join("runtime");
    // A directory: cargo looks at every file below it.
    println!("cargo:rerun-if-changed=runtime");
    let mut files = Vec::new();
    walk(&dir, &dir, &mut files);
    files.sort();
    let mut out = String::from("&[\n");
    for (relative, path, executable) in &files {
        out.push_str(&format!(
            "    RuntimeFile {{ path: {relative:?}, bytes: include_bytes!({path:?}), executable: {executable} }},\n",
            path = path.display().to_string()
        ));
    }
    out.push_str("]\n");
    let target = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("runtime_files.rs");
    std::fs::write(&target, out).expect("write the runtime's file list");

    println!("cargo:rustc-env=HOVER_COMMIT={}", commit(&root));
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=HOVER_TARGET={target}");
}

/// The commit the source is built from: `HOVER_COMMIT` when the builder sets it (a release
/// workflow), else git's short commit of HEAD when the package is the top of a git work tree,
/// else the commit `cargo package` recorded in `.cargo_vcs_info.json` (a crate unpacked from a
/// registry), else `unknown`. Rebuilt when HEAD moves.
fn commit(root: &Path) -> String {
    println!("cargo:rerun-if-env-changed=HOVER_COMMIT");
    if let Some(given) = std::env::var("HOVER_COMMIT")
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
    {
        return given;
    }
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let top = git(&["rev-parse", "--show-toplevel"]).map(PathBuf::from);
    let is_top = top.is_some_and(|t| t.canonicalize().ok() == root.canonicalize().ok());
    let short = is_top
        .then(|| git(&["rev-parse", "--short=7", "HEAD"]))
        .flatten()
        .filter(|s| !s.is_empty());
    let Some(short) = short else {
        return packaged_commit(root).unwrap_or_else(|| "unknown".into());
    };
    // Rebuild when HEAD or the branch it names moves (paths from git, so work trees work too).
    let branch =
        git(&["rev-parse", "--symbolic-full-name", "HEAD"]).filter(|b| b.starts_with("refs/"));
    for name in ["HEAD", "logs/HEAD", "packed-refs"]
        .into_iter()
        .map(str::to_string)
        .chain(branch)
    {
        if let Some(path) = git(&["rev-parse", "--git-path", &name]) {
            let path = root.join(path);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    short
}

/// The short commit in `.cargo_vcs_info.json` (`{"git": {"sha1": ...}}`), written by `cargo
/// package` into the crates it makes.
fn packaged_commit(root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(root.join(".cargo_vcs_info.json")).ok()?;
    let at = text.find("\"sha1\"")?;
    let rest = &text[at + 6..];
    let start = rest.find('"')? + 1;
    let sha: String = rest[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    (sha.len() >= 7).then(|| sha[..7].to_string())
}

/// Every regular file below `dir`, as (path relative to `root` with `/`, absolute path, executable).
fn walk(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf, bool)>) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            walk(root, &path, files);
        } else if meta.is_file() {
            let relative = path
                .strip_prefix(root)
                .expect("below the root")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push((relative, path, meta.permissions().mode() & 0o111 != 0));
        }
    }
}
