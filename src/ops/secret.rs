//! `hover secret encrypt|decrypt --stage S`: the stage's secrets between
//! `.hover/<stage>-secrets.plain.env` and `.hover/<stage>-secrets.env`, under a data key from the
//! stage's KMS key (created on first use, rotation on). Every AWS call and every check comes
//! before the first write, so a refusal writes and removes nothing.

use crate::direct::{self, kms};
use crate::error::HoverError;
use crate::events::Warning;
use crate::files;
use crate::live::Clients;
use crate::manifest::Manifest;
use crate::ops::context::StageContext;
use crate::secrets;
use std::path::{Path, PathBuf};

/// What a secrets command did, for the CLI to report. Holds no secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretOutcome {
    /// The file written.
    pub written: PathBuf,
    /// The file removed (the plain file, after encrypting).
    pub removed: Option<PathBuf>,
    /// The stage's key, when this run created it.
    pub key_created: Option<String>,
    /// The format read (`hover-secrets/1` or `original Hover`), for decrypt.
    pub read_format: Option<&'static str>,
    /// Whether `.hover/.gitignore` gained the plain file's pattern.
    pub gitignore_updated: bool,
    /// Warnings to show (a stage lock that could not be given back).
    pub warnings: Vec<Warning>,
}

/// `.hover/<stage>-secrets.plain.env`.
pub fn plain_path(dir: &Path, stage: &str) -> PathBuf {
    dir.join(".hover")
        .join(format!("{stage}-secrets.plain.env"))
}

/// `.hover/<stage>-secrets.env`.
pub fn encrypted_path(dir: &Path, stage: &str) -> PathBuf {
    dir.join(".hover").join(format!("{stage}-secrets.env"))
}

fn key_alias(manifest: &Manifest) -> String {
    crate::naming::secrets_key_alias(&manifest.name)
}

/// Writes `bytes` to `path` through a temporary file in the same directory, then renames it, so
/// the file is whole or absent. `private` makes it readable by the owner only.
fn write_whole(path: &Path, bytes: &[u8], private: bool) -> Result<(), HoverError> {
    let tmp = path.with_extension("tmp-hover");
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    Ok(())
}

/// Makes sure `.hover/.gitignore` lists `*-secrets.plain.env`; true when it was added.
pub fn ensure_gitignore(dir: &Path) -> Result<bool, HoverError> {
    let path = dir.join(".hover").join(".gitignore");
    let current = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    match secrets::gitignore_with_plain(current.as_deref()) {
        Some(text) => {
            write_whole(&path, text.as_bytes(), false)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Encrypts the plain file into the encrypted one and removes the plain file.
pub async fn encrypt(ctx: &StageContext) -> Result<SecretOutcome, HoverError> {
    let (dir, stage_name, manifest) = (ctx.dir.as_path(), ctx.stage.as_str(), &ctx.manifest);
    let plain_file = plain_path(dir, stage_name);
    let plain = match files::read_bounded(&plain_file, files::SECRETS_MAX, "a secrets file")? {
        Some(bytes) => bytes,
        None => {
            return Err(HoverError::SecretsFileMissing {
                path: plain_file.display().to_string(),
                hint: format!("write the stage's secrets there, one `NAME=value` a line, or run `hover secret decrypt --stage {stage_name}` to edit the current ones"),
            })
        }
    };
    let clients = &ctx.clients;
    // The key is made here: under the stage lock, when the stage has its bucket already.
    let lock =
        super::lock::acquire_if_bucket(clients, &manifest.name, "hover secret encrypt").await?;
    let sealed = seal_under_key(manifest, clients, &plain, dir, stage_name).await;
    let warning = match lock {
        Some(lock) => lock.give_back().await,
        None => None,
    };
    let (out_file, text, key_created) = sealed?;
    write_whole(&out_file, text.as_bytes(), false)?;
    let gitignore_updated = ensure_gitignore(dir)?;
    std::fs::remove_file(&plain_file)?;
    Ok(SecretOutcome {
        written: out_file,
        removed: Some(plain_file),
        key_created,
        read_format: None,
        gitignore_updated,
        warnings: warning.into_iter().collect(),
    })
}

/// Makes the stage's key when it has none, and seals `plain` under a fresh data key: the
/// encrypted file's path and text, and the key's alias when this run made it.
async fn seal_under_key(
    manifest: &Manifest,
    clients: &Clients,
    plain: &[u8],
    dir: &Path,
    stage_name: &str,
) -> Result<(PathBuf, String, Option<String>), HoverError> {
    let alias = key_alias(manifest);
    let key_created = if kms::key_exists(clients, &alias).await? {
        None
    } else {
        // The same key `hover apply` makes: rotation on.
        let props = crate::stage::secrets_key(&manifest.name);
        direct::ensure(
            clients,
            &crate::model::ResourceKind::Key.into(),
            &alias,
            &props,
            false,
            &manifest.region,
        )
        .await?;
        Some(alias.clone())
    };
    let (data_key, blob) = kms::generate_data_key(clients, &alias).await?;
    let out_file = encrypted_path(dir, stage_name);
    let text = secrets::seal(
        plain,
        &data_key,
        &blob,
        &manifest.name,
        &out_file.display().to_string(),
    )?;
    Ok((out_file, text, key_created))
}

/// The stage's encrypted secrets file, when there is one: a regular file within
/// [`files::SECRETS_MAX`], UTF-8 (lossy: the format is ASCII).
pub fn read_encrypted(dir: &Path, stage_name: &str) -> Result<Option<String>, HoverError> {
    let path = encrypted_path(dir, stage_name);
    Ok(
        files::read_bounded(&path, files::SECRETS_MAX, "a secrets file")?
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
    )
}

/// Checks that the stage's encrypted secrets file (when it has one) decrypts under the stage's
/// current key: KMS decrypts its data key (nothing of it is kept or printed), the key that did is
/// usable and is the one the stage's alias points at. Otherwise the secrets would ship in an image
/// that cannot read them: refused, before any change, with the way to recover.
pub async fn check_decryptable(
    dir: &Path,
    stage_name: &str,
    manifest: &Manifest,
    clients: &Clients,
) -> Result<(), HoverError> {
    let Some(text) = read_encrypted(dir, stage_name)? else {
        return Ok(());
    };
    let path = encrypted_path(dir, stage_name);
    let shown = path
        .strip_prefix(dir)
        .unwrap_or(&path)
        .display()
        .to_string();
    let blob = match secrets::parse(&text, &shown)? {
        secrets::Envelope::V1 { key_blob, .. } | secrets::Envelope::Original { key_blob, .. } => {
            key_blob
        }
    };
    let alias = key_alias(manifest);
    let region = &manifest.region;
    let owner = kms::data_key_owner(clients, &blob, &shown).await?;
    let current = kms::key_of(clients, &alias).await?;
    let reencrypt = format!(
        "or, with the values at hand, write .hover/{stage_name}-secrets.plain.env and run `hover secret encrypt --stage {stage_name}`"
    );
    let revive = |key: &str| {
        let point = if current.is_some() {
            "update-alias"
        } else {
            "create-alias"
        };
        format!(
            "within its waiting period the key can be kept: `aws kms cancel-key-deletion --key-id {key} --region {region}`, `aws kms enable-key --key-id {key} --region {region}`, then `aws kms {point} --alias-name {alias} --target-key-id {key} --region {region}`; {reencrypt}"
        )
    };
    let (why, recovery) = match owner {
        kms::DataKeyOwner::Unusable { key_id, message } => {
            let key = key_id.unwrap_or_else(|| "<the key named above>".into());
            (format!("KMS cannot use the key that encrypted it: {message}"), revive(&key))
        }
        kms::DataKeyOwner::Key { key_id, state } if state != "Enabled" => (
            format!(
                "the key that encrypted it, {key_id}, is {}",
                match state.as_str() {
                    "PendingDeletion" => "scheduled for deletion (the stage was destroyed?)".to_string(),
                    other => format!("in state {other}"),
                }
            ),
            revive(&key_id),
        ),
        kms::DataKeyOwner::Key { key_id, .. } => match current {
            Some(c) if c == key_id => return Ok(()),
            Some(c) => (
                format!("it was encrypted under key {key_id}, but the stage's key {alias} is {c}"),
                format!(
                    "decrypt it with its own key and encrypt it under the stage's: `hover secret decrypt --stage {stage_name}`, then `hover secret encrypt --stage {stage_name}`"
                ),
            ),
            None => (
                format!("it was encrypted under key {key_id}, and the stage has no key {alias}"),
                format!(
                    "point the stage's alias at that key: `aws kms create-alias --alias-name {alias} --target-key-id {key_id} --region {region}`; {reencrypt}"
                ),
            ),
        },
    };
    Err(HoverError::SecretsUndecryptable {
        file: shown,
        why,
        recovery,
    })
}

/// Decrypts the encrypted file (hover's format or the original's) into the plain file.
pub async fn decrypt(ctx: &StageContext) -> Result<SecretOutcome, HoverError> {
    let (dir, stage_name, manifest) = (ctx.dir.as_path(), ctx.stage.as_str(), &ctx.manifest);
    let in_file = encrypted_path(dir, stage_name);
    let shown = in_file.display().to_string();
    let text = match read_encrypted(dir, stage_name)? {
        Some(text) => text,
        None => {
            return Err(HoverError::SecretsFileMissing {
                path: shown,
                hint: format!("the stage has no encrypted secrets yet: write `.hover/{stage_name}-secrets.plain.env` and run `hover secret encrypt --stage {stage_name}`"),
            })
        }
    };
    let plain_file = plain_path(dir, stage_name);
    if plain_file.exists() {
        return Err(HoverError::PlainSecretsExist {
            path: plain_file.display().to_string(),
        });
    }
    let envelope = secrets::parse(&text, &shown)?;
    if let secrets::Envelope::V1 { stage: found, .. } = &envelope {
        if found != &manifest.name {
            return Err(secrets::SecretsError::OtherStage {
                file: shown,
                expected: manifest.name.clone(),
                found: found.clone(),
            }
            .into());
        }
    }
    let data_key = kms::decrypt_data_key(&ctx.clients, envelope.key_blob(), &shown).await?;
    let plain = secrets::open(&envelope, &data_key, &manifest.name, &shown)?;
    write_whole(&plain_file, &plain, true)?;
    let gitignore_updated = ensure_gitignore(dir)?;
    Ok(SecretOutcome {
        written: plain_file,
        removed: None,
        key_created: None,
        read_format: Some(match envelope {
            secrets::Envelope::V1 { .. } => secrets::HEADER,
            secrets::Envelope::Original { .. } => "the original Hover's format",
        }),
        gitignore_updated,
        warnings: Vec::new(),
    })
}
