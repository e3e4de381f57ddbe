//! Embeds hover's Lambda runtime (the files under `runtime/`) in the binary: writes the list of
//! its files, with their bytes and modes, for `src/runtime.rs` to include.

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
