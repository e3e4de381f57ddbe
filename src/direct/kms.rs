//! The stage's secrets key through KMS: made or updated before the stack, whether it exists, a
//! fresh data key under it, and a data key decrypted. SDK types stop here.

use super::{err, fail, text, DirectError};
use crate::live::quota::acquire;
use crate::live::Clients;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, KeyState, KeyUsageType};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Whether the key `alias` (`alias/N-secrets-key`) exists.
pub async fn key_exists(clients: &Clients, alias: &str) -> Result<bool, DirectError> {
    Ok(key_of(clients, alias).await?.is_some())
}

/// The id of the key `alias` points at; `None` when there is no such alias.
pub async fn key_of(clients: &Clients, alias: &str) -> Result<Option<String>, DirectError> {
    acquire("kms", "DescribeKey").await;
    match clients.kms.describe_key().key_id(alias).send().await {
        Ok(out) => Ok(Some(
            out.key_metadata()
                .map(|m| m.key_id().to_string())
                .unwrap_or_default(),
        )),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(fail("KMS", "DescribeKey", alias)(e)),
    }
}

/// A fresh AES-256 data key under `alias`: (plaintext, encrypted blob).
pub async fn generate_data_key(
    clients: &Clients,
    alias: &str,
) -> Result<(Vec<u8>, Vec<u8>), DirectError> {
    acquire("kms", "GenerateDataKey").await;
    let out = clients
        .kms
        .generate_data_key()
        .key_id(alias)
        .key_spec(DataKeySpec::Aes256)
        .send()
        .await
        .map_err(fail("KMS", "GenerateDataKey", alias))?;
    match (out.plaintext(), out.ciphertext_blob()) {
        (Some(plain), Some(blob)) => Ok((plain.as_ref().to_vec(), blob.as_ref().to_vec())),
        _ => Err(err(
            "KMS",
            "GenerateDataKey",
            alias,
            "the answer holds no data key",
        )),
    }
}

/// The plaintext of a data key KMS encrypted (`file` names where it came from, in errors).
pub async fn decrypt_data_key(
    clients: &Clients,
    blob: &[u8],
    file: &str,
) -> Result<Vec<u8>, DirectError> {
    acquire("kms", "Decrypt").await;
    let out = clients
        .kms
        .decrypt()
        .ciphertext_blob(Blob::new(blob.to_vec()))
        .send()
        .await
        .map_err(fail("KMS", "Decrypt", file))?;
    out.plaintext()
        .map(|p| p.as_ref().to_vec())
        .ok_or_else(|| err("KMS", "Decrypt", file, "the answer holds no plaintext"))
}

/// Which key encrypted a data key, as KMS tells by decrypting it (nothing of the plaintext kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataKeyOwner {
    /// KMS decrypted it: the key's id and its state (`Enabled`, `PendingDeletion`, `Disabled`…).
    Key { key_id: String, state: String },
    /// KMS refused because the key cannot be used now (pending deletion, disabled): the key's
    /// id when KMS named it, and its message.
    Unusable {
        key_id: Option<String>,
        message: String,
    },
}

/// The key id in a KMS key ARN or message (`…:key/<id>…`), or the text itself when it is an id.
pub fn key_id_in(text: &str) -> Option<String> {
    let rest = match text.find("key/") {
        Some(i) => &text[i + 4..],
        None => text,
    };
    let id: String = rest
        .chars()
        .take_while(|c| c.is_ascii_hexdigit() || *c == '-')
        .collect();
    (id.len() >= 32).then_some(id)
}

/// Which key encrypted the data key `blob` and what state it is in: KMS Decrypt (the plaintext is
/// dropped at once), then DescribeKey of the key it names.
pub async fn data_key_owner(
    clients: &Clients,
    blob: &[u8],
    file: &str,
) -> Result<DataKeyOwner, DirectError> {
    acquire("kms", "Decrypt").await;
    let key_id = match clients
        .kms
        .decrypt()
        .ciphertext_blob(Blob::new(blob.to_vec()))
        .send()
        .await
    {
        Ok(out) => out.key_id().and_then(key_id_in).unwrap_or_default(),
        Err(e)
            if e.as_service_error().is_some_and(|s| {
                s.is_kms_invalid_state_exception() || s.is_disabled_exception()
            }) =>
        {
            let message = e
                .as_service_error()
                .and_then(|s| aws_sdk_kms::error::ProvideErrorMetadata::message(s))
                .unwrap_or_default()
                .to_string();
            match key_id_in(&message) {
                Some(id) => id,
                None => {
                    return Ok(DataKeyOwner::Unusable {
                        key_id: None,
                        message,
                    })
                }
            }
        }
        Err(e) => return Err(fail("KMS", "Decrypt", file)(e)),
    };
    acquire("kms", "DescribeKey").await;
    let described = clients
        .kms
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .map_err(fail("KMS", "DescribeKey", &key_id))?;
    let state = described
        .key_metadata()
        .and_then(|m| m.key_state())
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    Ok(DataKeyOwner::Key { key_id, state })
}

/// The tag a stage's key carries: the alias it was made for.
pub const ALIAS_TAG: &str = "hover:alias";

/// A key made for `alias` (tagged [`ALIAS_TAG`]) that no alias points at and that is not pending
/// deletion: what a run stopped between CreateKey and CreateAlias left behind.
///
/// The account's aliases are listed once; only the keys no alias points at are described, and
/// only the usable ones among them have their tags read, so an account with many keys costs a
/// few listing pages and a DescribeKey per unaliased key, not a ListResourceTags per key.
pub async fn orphan_key(clients: &Clients, alias: &str) -> Result<Option<String>, DirectError> {
    let aliased = aliased_keys(clients, alias).await?;
    let mut marker: Option<String> = None;
    loop {
        acquire("kms", "ListKeys").await;
        let page = clients
            .kms
            .list_keys()
            .set_marker(marker.take())
            .send()
            .await
            .map_err(fail("KMS", "ListKeys", alias))?;
        for key in page.keys() {
            let Some(id) = key.key_id() else { continue };
            if aliased.contains(id) || !usable(clients, id).await {
                continue;
            }
            // Keys this identity may not read the tags of (AWS-managed ones) are not the stage's.
            acquire("kms", "ListResourceTags").await;
            let Ok(tags) = clients.kms.list_resource_tags().key_id(id).send().await else {
                continue;
            };
            let made_for = tags
                .tags()
                .iter()
                .any(|t| t.tag_key() == ALIAS_TAG && t.tag_value() == alias);
            if made_for {
                return Ok(Some(id.to_string()));
            }
        }
        match page.next_marker() {
            Some(next) if page.truncated() => marker = Some(next.to_string()),
            _ => return Ok(None),
        }
    }
}

/// The ids of the keys some alias of the account points at (every page of ListAliases).
async fn aliased_keys(clients: &Clients, alias: &str) -> Result<BTreeSet<String>, DirectError> {
    let mut out = BTreeSet::new();
    let mut marker: Option<String> = None;
    loop {
        acquire("kms", "ListAliases").await;
        let page = clients
            .kms
            .list_aliases()
            .set_marker(marker.take())
            .send()
            .await
            .map_err(fail("KMS", "ListAliases", alias))?;
        out.extend(
            page.aliases()
                .iter()
                .filter_map(|a| a.target_key_id().map(str::to_string)),
        );
        match page.next_marker() {
            Some(next) if page.truncated() => marker = Some(next.to_string()),
            _ => return Ok(out),
        }
    }
}

/// Whether the key `id` is enabled or disabled (not pending deletion or import); a key that
/// cannot be described is not.
async fn usable(clients: &Clients, id: &str) -> bool {
    acquire("kms", "DescribeKey").await;
    clients
        .kms
        .describe_key()
        .key_id(id)
        .send()
        .await
        .ok()
        .and_then(|d| d.key_metadata().and_then(|m| m.key_state().cloned()))
        .is_some_and(|s| matches!(s, KeyState::Enabled | KeyState::Disabled))
}

/// Creates the key `name` (an alias) and its alias, or updates the key the alias points at; then
/// turns rotation on when asked. The alias is looked up whatever the plan read (one DescribeKey):
/// it may have been made since.
pub(super) async fn ensure_key(
    clients: &Clients,
    name: &str,
    props: &Map<String, Value>,
) -> Result<(), DirectError> {
    let description = text(props, "Description").unwrap_or_default();
    let flag = |k: &str, default: bool| props.get(k).and_then(Value::as_bool).unwrap_or(default);
    let key_id = if let Some(id) = key_of(clients, name).await? {
        update_key(clients, name, &id, description, flag("Enabled", true)).await?;
        id
    } else {
        // A run stopped between CreateKey and CreateAlias left a key without its alias: the key
        // carries its alias name as a tag, and is adopted instead of made twice.
        let id = match orphan_key(clients, name).await? {
            Some(id) => id,
            None => create_key(clients, name, description).await?,
        };
        acquire("kms", "CreateAlias").await;
        clients
            .kms
            .create_alias()
            .alias_name(name)
            .target_key_id(&id)
            .send()
            .await
            .map_err(fail("KMS", "CreateAlias", name))?;
        id
    };
    if flag("EnableKeyRotation", false) {
        acquire("kms", "EnableKeyRotation").await;
        clients
            .kms
            .enable_key_rotation()
            .key_id(&key_id)
            .send()
            .await
            .map_err(fail("KMS", "EnableKeyRotation", name))?;
    }
    Ok(())
}

/// Sets the description of the existing key `id` (behind `alias`) and enables it when asked.
async fn update_key(
    clients: &Clients,
    alias: &str,
    id: &str,
    description: &str,
    enabled: bool,
) -> Result<(), DirectError> {
    acquire("kms", "UpdateKeyDescription").await;
    clients
        .kms
        .update_key_description()
        .key_id(id)
        .description(description)
        .send()
        .await
        .map_err(fail("KMS", "UpdateKeyDescription", alias))?;
    if enabled {
        acquire("kms", "EnableKey").await;
        clients
            .kms
            .enable_key()
            .key_id(id)
            .send()
            .await
            .map_err(fail("KMS", "EnableKey", alias))?;
    }
    Ok(())
}

/// Creates a key for `alias`, tagged with it; its key id.
async fn create_key(
    clients: &Clients,
    alias: &str,
    description: &str,
) -> Result<String, DirectError> {
    let tag = aws_sdk_kms::types::Tag::builder()
        .tag_key(ALIAS_TAG)
        .tag_value(alias)
        .build()
        .map_err(|e| err("KMS", "CreateKey", alias, e.to_string()))?;
    acquire("kms", "CreateKey").await;
    let created = clients
        .kms
        .create_key()
        .description(description)
        .key_usage(KeyUsageType::EncryptDecrypt)
        .tags(tag)
        .send()
        .await
        .map_err(fail("KMS", "CreateKey", alias))?;
    created
        .key_metadata()
        .map(|m| m.key_id().to_string())
        .ok_or_else(|| err("KMS", "CreateKey", alias, "no key id in the answer"))
}
