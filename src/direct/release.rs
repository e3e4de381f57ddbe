//! Writes of a release outside the stack: the registry login from ECR's authorization token, and
//! the build's assets uploaded to the stage's bucket.

use super::{fail, DirectError};
use crate::live::quota::acquire;
use crate::live::Clients;
use aws_sdk_s3::primitives::ByteStream;
use futures::{StreamExt, TryStreamExt};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// How many asset uploads run at once.
pub const UPLOAD_CONCURRENCY: usize = 8;

/// `Cache-Control` of every asset: a build's assets never change under their key.
pub const ASSET_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// A registry login from ECR: the endpoint to log in to, the user and the password. The password
/// is never shown (`Debug` hides it); it goes to the container tool on standard input only.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryLogin {
    pub endpoint: String,
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for RegistryLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryLogin")
            .field("endpoint", &self.endpoint)
            .field("user", &self.user)
            .field("password", &"(hidden)")
            .finish()
    }
}

/// Asks ECR for an authorization token (GetAuthorizationToken) and decodes it into a login.
pub async fn registry_login(clients: &Clients) -> Result<RegistryLogin, DirectError> {
    acquire("ecr", "GetAuthorizationToken").await;
    let out = clients
        .ecr
        .get_authorization_token()
        .send()
        .await
        .map_err(fail(
            "ECR",
            "GetAuthorizationToken",
            "the account's registry",
        ))?;
    let bad = |why: &str| {
        super::err(
            "ECR",
            "GetAuthorizationToken",
            "the account's registry",
            why,
        )
    };
    let data = out
        .authorization_data()
        .first()
        .ok_or_else(|| bad("ECR answered no authorization data"))?;
    let endpoint = data
        .proxy_endpoint()
        .ok_or_else(|| bad("ECR answered no proxy endpoint"))?
        .to_string();
    let token = data
        .authorization_token()
        .ok_or_else(|| bad("ECR answered no token"))?;
    let decoded = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(token.trim())
            .map_err(|_| bad("the token is not base64"))?
    };
    let text = String::from_utf8(decoded).map_err(|_| bad("the token is not text"))?;
    let (user, password) = text
        .split_once(':')
        .ok_or_else(|| bad("the token is not `user:password`"))?;
    Ok(RegistryLogin {
        endpoint,
        user: user.to_string(),
        password: password.to_string(),
    })
}

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

/// Uploads `files` (relative key, local path) under `prefix` in `bucket`, at most
/// [`UPLOAD_CONCURRENCY`] at a time, with their Content-Type, [`ASSET_CACHE_CONTROL`] and no ACL;
/// keys already under the prefix are skipped.
pub async fn upload_assets(
    clients: &Clients,
    bucket: &str,
    prefix: &str,
    files: &[(String, PathBuf)],
) -> Result<AssetUpload, DirectError> {
    let mut pages = clients
        .s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    let mut existing = BTreeSet::new();
    while let Some(page) = {
        acquire("s3", "ListObjectsV2").await;
        pages.next().await
    } {
        let page = page.map_err(fail("S3", "ListObjectsV2", bucket))?;
        existing.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
    }
    let todo: Vec<(String, &PathBuf)> = files
        .iter()
        .map(|(rel, path)| (format!("{prefix}{rel}"), path))
        .filter(|(key, _)| !existing.contains(key))
        .collect();
    let skipped = files.len() - todo.len();
    let sizes: Vec<u64> = futures::stream::iter(todo.into_iter().map(|(key, path)| async move {
        let body = std::fs::read(path).map_err(|e| {
            super::err(
                "S3",
                "PutObject",
                &key,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        let size = body.len() as u64;
        acquire("s3", "PutObject").await;
        clients
            .s3
            .put_object()
            .bucket(bucket)
            .key(&key)
            .content_type(content_type(&key))
            .cache_control(ASSET_CACHE_CONTROL)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(fail("S3", "PutObject", &key))?;
        Ok::<u64, DirectError>(size)
    }))
    .buffer_unordered(UPLOAD_CONCURRENCY)
    .try_collect()
    .await?;
    Ok(AssetUpload {
        uploaded: sizes.len(),
        skipped,
        bytes: sizes.iter().sum(),
    })
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

    #[test]
    fn the_password_is_never_debug_printed() {
        let login = RegistryLogin {
            endpoint: "https://r".into(),
            user: "AWS".into(),
            password: "s3cr3t-token".into(),
        };
        assert!(!format!("{login:?}").contains("s3cr3t"));
    }
}
