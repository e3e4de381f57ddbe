//! The stage's secrets key through KMS: whether it exists, a fresh data key under it, and a data
//! key decrypted. SDK types stop here.

use super::{err, fail, DirectError};
use crate::live::Clients;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;

/// Whether the key `alias` (`alias/N-secrets-key`) exists.
pub async fn key_exists(clients: &Clients, alias: &str) -> Result<bool, DirectError> {
    match clients.kms.describe_key().key_id(alias).send().await {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_not_found_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(fail("KMS", "DescribeKey", alias)(e)),
    }
}

/// A fresh AES-256 data key under `alias`: (plaintext, encrypted blob).
pub async fn generate_data_key(
    clients: &Clients,
    alias: &str,
) -> Result<(Vec<u8>, Vec<u8>), DirectError> {
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
