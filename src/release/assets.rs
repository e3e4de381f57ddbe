//! A build's assets: the files exported from its `assets` stage, their content types and cache
//! policy, and what uploading them did (the upload itself is [`super::aws::assets`]).

use std::path::{Path, PathBuf};

/// How many asset uploads run at once.
pub const UPLOAD_CONCURRENCY: usize = 8;

/// `Cache-Control` of every asset: a build's assets never change under their key.
pub const ASSET_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// Every file under `dir` (recursively; symbolic links are not followed), as paths relative to
/// it with `/` separators, sorted.
pub fn asset_files(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let ty = entry.file_type()?;
            let path = entry.path();
            if ty.is_dir() {
                walk(root, &path, out)?;
            } else if ty.is_file() {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((rel, path));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    if dir.is_dir() {
        walk(dir, dir, &mut out)?;
    }
    out.sort();
    Ok(out)
}

/// The Content-Type of an asset, from its extension.
pub fn content_type(key: &str) -> String {
    mime_guess::from_path(key)
        .first_or_octet_stream()
        .essence_str()
        .to_string()
}

/// What an assets upload did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssetUpload {
    pub uploaded: usize,
    /// Already in the bucket under the same key (a build's assets never change).
    pub skipped: usize,
    pub bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_follow_extensions() {
        assert_eq!(content_type("assets/b1/css/app.css"), "text/css");
        assert_eq!(content_type("assets/b1/js/app.js"), "text/javascript");
        assert_eq!(content_type("assets/b1/logo.svg"), "image/svg+xml");
        assert_eq!(content_type("assets/b1/f.woff2"), "font/woff2");
        assert_eq!(content_type("assets/b1/blob"), "application/octet-stream");
    }

    #[test]
    fn asset_files_are_listed_relative_and_sorted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("css/deep")).unwrap();
        std::fs::write(dir.path().join("css/deep/a.css"), "a").unwrap();
        std::fs::write(dir.path().join("z.js"), "z").unwrap();
        std::fs::write(dir.path().join("b.txt"), "b").unwrap();
        let files = asset_files(dir.path()).unwrap();
        let rel: Vec<&str> = files.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(rel, ["b.txt", "css/deep/a.css", "z.js"]);
        assert!(asset_files(&dir.path().join("none")).unwrap().is_empty());
    }
}
