//! The stage's secrets file: envelope encryption of `.hover/<stage>-secrets.plain.env` with a data
//! key from the stage's KMS key. Holds the file format (versioned), AES-256-GCM with the stage's
//! name as associated data, and reading the original Hover's AES-256-CBC files. Pure: the data
//! key comes from the caller (KMS lives in `direct`); nothing here prints or touches files.
//!
//! Format, version 1 (text, one field a line):
//!
//! ```text
//! hover-secrets/1
//! stage: <manifest name>
//! key: <base64 of the data key encrypted by KMS>
//! nonce: <base64 of 12 random bytes>
//! data: <base64 of the AES-256-GCM ciphertext and tag>
//! ```
//!
//! The original's format is one line, `hex(ciphertext)------hex(KMS blob)------hex(iv)`; its
//! blob decrypts to 32 ASCII hex characters used as the AES-256-CBC key (PKCS#7 padding).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use cbc::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};

/// First line of a version-1 file.
pub const HEADER: &str = "hover-secrets/1";
/// Separator of the original's one-line format.
const ORIGINAL_SEPARATOR: &str = "------";

/// Why a secrets file cannot be read or decrypted. Never holds secret material.
#[derive(Debug, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum SecretsError {
    #[error("{file} is not a hover secrets file: {why}")]
    #[diagnostic(
        code(hover::secrets::format),
        help("it should start with `hover-secrets/1`, or be the original Hover's one-line file")
    )]
    Malformed { file: String, why: String },

    #[error("{file} holds the secrets of stage `{found}`, not of `{expected}`")]
    #[diagnostic(
        code(hover::secrets::other_stage),
        help("each stage has its own secrets file and key; encrypt this stage's secrets with `hover secret encrypt --stage <stage>`")
    )]
    OtherStage {
        file: String,
        expected: String,
        found: String,
    },

    #[error(
        "{file} does not decrypt: it was changed after it was written, or belongs to another stage"
    )]
    #[diagnostic(
        code(hover::secrets::tampered),
        help("restore the file from version control; nothing was written")
    )]
    Tampered { file: String },

    #[error("the data key of {file} is not a key this file can use: {why}")]
    #[diagnostic(code(hover::secrets::data_key))]
    DataKey { file: String, why: String },
}

/// A parsed secrets file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Envelope {
    /// hover's format, version 1.
    V1 {
        stage: String,
        /// The data key as KMS encrypted it.
        key_blob: Vec<u8>,
        nonce: [u8; 12],
        /// Ciphertext followed by the 16-byte tag.
        data: Vec<u8>,
    },
    /// The original Hover's format.
    Original {
        key_blob: Vec<u8>,
        iv: [u8; 16],
        ciphertext: Vec<u8>,
    },
}

impl Envelope {
    /// The KMS-encrypted data key to have KMS decrypt.
    pub fn key_blob(&self) -> &[u8] {
        match self {
            Envelope::V1 { key_blob, .. } | Envelope::Original { key_blob, .. } => key_blob,
        }
    }
}

/// Encrypts `plain` for the stage `stage` (manifest name) with the data key `key` (plaintext, from
/// KMS) whose KMS-encrypted form is `key_blob`, under a fresh random nonce. Returns the file text.
pub fn seal(
    plain: &[u8],
    key: &[u8],
    key_blob: &[u8],
    stage: &str,
    file: &str,
) -> Result<String, SecretsError> {
    let mut nonce = [0u8; 12];
    getrandom::getrandom(&mut nonce).map_err(|e| SecretsError::DataKey {
        file: file.to_string(),
        why: format!("no random nonce from the system: {e}"),
    })?;
    seal_with_nonce(plain, key, key_blob, stage, nonce, file)
}

fn seal_with_nonce(
    plain: &[u8],
    key: &[u8],
    key_blob: &[u8],
    stage: &str,
    nonce: [u8; 12],
    file: &str,
) -> Result<String, SecretsError> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| SecretsError::DataKey {
        file: file.to_string(),
        why: format!("{} bytes, AES-256 needs 32", key.len()),
    })?;
    let data = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plain,
                aad: stage.as_bytes(),
            },
        )
        .map_err(|_| SecretsError::DataKey {
            file: file.to_string(),
            why: "encryption failed".into(),
        })?;
    Ok(format!(
        "{HEADER}\nstage: {stage}\nkey: {}\nnonce: {}\ndata: {}\n",
        B64.encode(key_blob),
        B64.encode(nonce),
        B64.encode(data)
    ))
}

/// Reads a secrets file in either format; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Envelope, SecretsError> {
    let malformed = |why: &str| SecretsError::Malformed {
        file: file.to_string(),
        why: why.to_string(),
    };
    let trimmed = text.trim();
    if let Some(rest) = trimmed.strip_prefix(HEADER) {
        let mut fields = std::collections::BTreeMap::new();
        for line in rest.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (k, v) = line
                .split_once(':')
                .ok_or_else(|| malformed("a line is not `field: value`"))?;
            fields.insert(k.trim(), v.trim());
        }
        let field = |name: &str| {
            fields
                .get(name)
                .copied()
                .ok_or_else(|| malformed(&format!("no `{name}` line")))
        };
        let b64 = |name: &str| -> Result<Vec<u8>, SecretsError> {
            B64.decode(field(name)?)
                .map_err(|_| malformed(&format!("`{name}` is not base64")))
        };
        let nonce: [u8; 12] = b64("nonce")?
            .try_into()
            .map_err(|_| malformed("`nonce` is not 12 bytes"))?;
        return Ok(Envelope::V1 {
            stage: field("stage")?.to_string(),
            key_blob: b64("key")?,
            nonce,
            data: b64("data")?,
        });
    }
    if text.starts_with("hover-secrets/") {
        return Err(malformed(
            "a later version of hover wrote it; upgrade hover",
        ));
    }
    let parts: Vec<&str> = trimmed.split(ORIGINAL_SEPARATOR).collect();
    let [ciphertext, blob, iv] = parts.as_slice() else {
        return Err(malformed("neither hover's format nor the original's"));
    };
    let hex = |s: &str, what: &str| {
        hex::decode(s.trim()).map_err(|_| malformed(&format!("the original's {what} is not hex")))
    };
    let iv: [u8; 16] = hex(iv, "iv")?
        .try_into()
        .map_err(|_| malformed("the original's iv is not 16 bytes"))?;
    Ok(Envelope::Original {
        key_blob: hex(blob, "key")?,
        iv,
        ciphertext: hex(ciphertext, "ciphertext")?,
    })
}

/// Decrypts an envelope of stage `stage` with its data key `key` (as KMS returned it).
pub fn open(
    envelope: &Envelope,
    key: &[u8],
    stage: &str,
    file: &str,
) -> Result<Vec<u8>, SecretsError> {
    match envelope {
        Envelope::V1 {
            stage: found,
            nonce,
            data,
            ..
        } => {
            if found != stage {
                return Err(SecretsError::OtherStage {
                    file: file.to_string(),
                    expected: stage.to_string(),
                    found: found.clone(),
                });
            }
            let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| SecretsError::DataKey {
                file: file.to_string(),
                why: format!("{} bytes, AES-256 needs 32", key.len()),
            })?;
            cipher
                .decrypt(
                    Nonce::from_slice(nonce),
                    Payload {
                        msg: data,
                        aad: stage.as_bytes(),
                    },
                )
                .map_err(|_| SecretsError::Tampered {
                    file: file.to_string(),
                })
        }
        Envelope::Original { iv, ciphertext, .. } => {
            // The original's data key is 32 ASCII hex characters, used as they are.
            let key: [u8; 32] = key.try_into().map_err(|_| SecretsError::DataKey {
                file: file.to_string(),
                why: format!("the original's key has {} bytes, not 32", key.len()),
            })?;
            let mut buf = ciphertext.clone();
            let plain = cbc::Decryptor::<aes::Aes256>::new(&key.into(), iv.into())
                .decrypt_padded_mut::<Pkcs7>(&mut buf)
                .map_err(|_| SecretsError::Tampered {
                    file: file.to_string(),
                })?;
            Ok(plain.to_vec())
        }
    }
}

/// `.hover/.gitignore` with `*-secrets.plain.env` listed: the text to write, or `None` when it is
/// listed already. `current` is the file's text, if it exists.
pub fn gitignore_with_plain(current: Option<&str>) -> Option<String> {
    const LINE: &str = "*-secrets.plain.env";
    let current = current.unwrap_or("");
    if current.lines().any(|l| l.trim() == LINE) {
        return None;
    }
    let mut text = current.to_string();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(LINE);
    text.push('\n');
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cbc::cipher::BlockEncryptMut;

    const KEY: [u8; 32] = [7u8; 32];

    #[test]
    fn round_trip_with_the_stage_as_associated_data() {
        let text = seal(b"APP_KEY=base64:abc\n", &KEY, b"blob", "shop-dev", "f").expect("seal");
        assert!(text.starts_with("hover-secrets/1\nstage: shop-dev\n"));
        assert!(!text.contains("APP_KEY"));
        let env = parse(&text, "f").expect("parse");
        assert_eq!(env.key_blob(), b"blob");
        assert_eq!(
            open(&env, &KEY, "shop-dev", "f").expect("open"),
            b"APP_KEY=base64:abc\n"
        );
        // Two encryptions differ (fresh nonce).
        assert_ne!(
            text,
            seal(b"APP_KEY=base64:abc\n", &KEY, b"blob", "shop-dev", "f").expect("seal")
        );
    }

    #[test]
    fn tampering_another_stage_or_another_key_is_refused() {
        let text =
            seal_with_nonce(b"A=1\n", &KEY, b"blob", "shop-dev", [1; 12], "f").expect("seal");
        // Another stage's file.
        assert!(matches!(
            open(&parse(&text, "f").expect("parse"), &KEY, "shop-prod", "f"),
            Err(SecretsError::OtherStage { .. })
        ));
        // The stage line edited to match: the associated data no longer does.
        let moved = text.replace("stage: shop-dev", "stage: shop-prod");
        assert_eq!(
            open(&parse(&moved, "f").expect("parse"), &KEY, "shop-prod", "f"),
            Err(SecretsError::Tampered { file: "f".into() })
        );
        // A flipped ciphertext byte.
        let env = parse(&text, "f").expect("parse");
        let Envelope::V1 {
            mut data,
            stage,
            key_blob,
            nonce,
        } = env
        else {
            panic!("v1")
        };
        data[0] ^= 1;
        let flipped = Envelope::V1 {
            data,
            stage,
            key_blob,
            nonce,
        };
        assert!(matches!(
            open(&flipped, &KEY, "shop-dev", "f"),
            Err(SecretsError::Tampered { .. })
        ));
        // The wrong data key.
        assert!(matches!(
            open(
                &parse(&text, "f").expect("parse"),
                &[8u8; 32],
                "shop-dev",
                "f"
            ),
            Err(SecretsError::Tampered { .. })
        ));
        assert!(matches!(
            parse("garbage", "f"),
            Err(SecretsError::Malformed { .. })
        ));
        assert!(matches!(
            parse("hover-secrets/9\n", "f"),
            Err(SecretsError::Malformed { .. })
        ));
    }

    #[test]
    fn reads_the_original_hovers_cbc_files() {
        // The original: a KMS data key shown as 32 hex characters, those characters as the key.
        let ascii_key = *b"0123456789abcdef0123456789abcdef";
        let iv = [9u8; 16];
        let plain = b"DB_PASSWORD=hunter2\nAPP_KEY=base64:xyz\n";
        let mut buf = vec![0u8; plain.len() + 16];
        let n = cbc::Encryptor::<aes::Aes256>::new(&ascii_key.into(), &iv.into())
            .encrypt_padded_b2b_mut::<Pkcs7>(plain, &mut buf)
            .expect("encrypt")
            .len();
        buf.truncate(n);
        let line = format!(
            "{}------{}------{}\n",
            hex::encode(&buf),
            hex::encode(b"kms-blob"),
            hex::encode(iv)
        );
        let env = parse(&line, "f").expect("parse");
        assert_eq!(env.key_blob(), b"kms-blob");
        assert_eq!(open(&env, &ascii_key, "any", "f").expect("open"), plain);
    }

    #[test]
    fn gitignore_gains_the_plain_file_once() {
        assert_eq!(
            gitignore_with_plain(None).as_deref(),
            Some("*-secrets.plain.env\n")
        );
        assert_eq!(
            gitignore_with_plain(Some("out/")).as_deref(),
            Some("out/\n*-secrets.plain.env\n")
        );
        assert_eq!(
            gitignore_with_plain(Some("out/\n*-secrets.plain.env\n")),
            None
        );
    }
}
