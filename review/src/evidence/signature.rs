//! The inspector's office's signature over an evidence package.
//!
//! The hash chain of [`super::manifest`] shows any change to a package whose head hash the
//! receiver already holds, but anyone who edits a file can recompute the whole chain. The
//! signature closes that: the office signs the manifest's head with an Ed25519 key (RFC 8032,
//! `ed25519-dalek`) that only it holds; a package edited and re-chained by anyone else then
//! carries a head that the signature does not cover, and no one without the secret key can
//! make a new signature that verifies under the office's public key.
//!
//! The signed message is `"qly-evidence-1 head " + head_sha256` (the format name keeps a
//! signature from being taken for one over anything else). It is stored in `manifest.json`
//! beside the chain, as `signature`: the algorithm, the signer's name, the public key and
//! the signature, in hex.
//!
//! Key files (JSON, written by [`generate`]): the secret key file (`format`
//! `qly-signing-key-1`: signer, secret key) is created with permissions 0600; the public key
//! file (`qly-public-key-1`: signer, public key) is what verifiers are given.

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde_json::{json, Map, Value};
use thiserror::Error;

use super::manifest::MANIFEST_FORMAT;

pub const SECRET_KEY_FORMAT: &str = "qly-signing-key-1";
pub const PUBLIC_KEY_FORMAT: &str = "qly-public-key-1";
pub const ALGORITHM: &str = "Ed25519";

/// Why a key could not be made, read or used.
#[derive(Debug, Error)]
pub enum KeyError {
    #[error("{path}: {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {what}")]
    Format { path: PathBuf, what: String },
    #[error("{path}: already exists; choose another name or remove it first (a key is never overwritten)")]
    Exists { path: PathBuf },
    #[error("no random numbers from the operating system: {0}")]
    Random(String),
    #[error("the signer's name is empty: give the office's name, e.g. --signer \"Kaiyang EEB\"")]
    NoSigner,
}

/// A public key and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub signer: String,
    pub key: VerifyingKey,
}

impl PublicKey {
    /// The key in hex (64 digits): its fingerprint for people.
    pub fn hex(&self) -> String {
        hex(self.key.as_bytes())
    }
}

/// A secret key and whose it is.
#[derive(Clone)]
pub struct SecretKey {
    pub signer: String,
    key: SigningKey,
}

/// Never prints the secret.
impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SecretKey {{ signer: {:?}, public_key: {} }}",
            self.signer,
            self.public().hex()
        )
    }
}

impl SecretKey {
    pub fn public(&self) -> PublicKey {
        PublicKey {
            signer: self.signer.clone(),
            key: self.key.verifying_key(),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let t = text.trim();
    if t.len() != 2 * N || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&t[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// The public key file that goes with the secret key file `secret`: `office.key` ->
/// `office.pub`.
pub fn public_key_path(secret: &Path) -> PathBuf {
    secret.with_extension("pub")
}

/// Creates a new key pair for `signer`: the secret key in `secret_path` (permissions 0600,
/// never overwritten) and the public key beside it ([`public_key_path`]).
pub fn generate(secret_path: &Path, signer: &str) -> Result<PublicKey, KeyError> {
    let signer = signer.trim();
    if signer.is_empty() {
        return Err(KeyError::NoSigner);
    }
    let public_path = public_key_path(secret_path);
    for p in [secret_path, public_path.as_path()] {
        if p.exists() {
            return Err(KeyError::Exists {
                path: p.to_path_buf(),
            });
        }
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
    let key = SigningKey::from_bytes(&seed);
    seed.fill(0);
    let secret = SecretKey {
        signer: signer.to_string(),
        key,
    };
    let secret_json = json!({
        "format": SECRET_KEY_FORMAT,
        "algorithm": ALGORITHM,
        "signer": secret.signer,
        "secret_key": hex(secret.key.as_bytes()),
        "note": "SECRET: whoever holds this file can sign evidence packages as the signer",
    });
    write_new(
        secret_path,
        &(serde_json::to_string_pretty(&secret_json).unwrap_or_default() + "\n"),
        true,
    )?;
    let public = secret.public();
    let public_json = json!({
        "format": PUBLIC_KEY_FORMAT,
        "algorithm": ALGORITHM,
        "signer": public.signer,
        "public_key": public.hex(),
    });
    write_new(
        &public_path,
        &(serde_json::to_string_pretty(&public_json).unwrap_or_default() + "\n"),
        false,
    )?;
    Ok(public)
}

/// Creates `path` (failing if it exists); `secret`: readable and writable by the owner only.
fn write_new(path: &Path, text: &str, secret: bool) -> Result<(), KeyError> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut f = o.open(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::AlreadyExists => KeyError::Exists {
            path: path.to_path_buf(),
        },
        _ => KeyError::Io {
            path: path.to_path_buf(),
            action: "creating",
            source,
        },
    })?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|source| KeyError::Io {
            path: path.to_path_buf(),
            action: "writing",
            source,
        })
}

fn read_json(path: &Path, format: &str) -> Result<Map<String, Value>, KeyError> {
    let bad = |what: String| KeyError::Format {
        path: path.to_path_buf(),
        what,
    };
    let bytes = std::fs::read(path).map_err(|source| KeyError::Io {
        path: path.to_path_buf(),
        action: "reading",
        source,
    })?;
    if bytes.len() > 64 * 1024 {
        return Err(bad(format!(
            "{} bytes is not a key file (expected a small JSON file)",
            bytes.len()
        )));
    }
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
    let Value::Object(m) = v else {
        return Err(bad("expected a JSON object".into()));
    };
    let found = m.get("format").and_then(Value::as_str).unwrap_or("");
    if found != format {
        return Err(bad(format!(
            "format is '{found}', expected '{format}' (a {} key file)",
            if format == SECRET_KEY_FORMAT {
                "secret"
            } else {
                "public"
            }
        )));
    }
    Ok(m)
}

fn signer_of(m: &Map<String, Value>, path: &Path) -> Result<String, KeyError> {
    match m.get("signer").and_then(Value::as_str).map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s.to_string()),
        _ => Err(KeyError::Format {
            path: path.to_path_buf(),
            what: "no `signer` name".into(),
        }),
    }
}

/// Reads a secret key file written by [`generate`].
pub fn read_secret_key(path: &Path) -> Result<SecretKey, KeyError> {
    let m = read_json(path, SECRET_KEY_FORMAT)?;
    let signer = signer_of(&m, path)?;
    let bytes = m
        .get("secret_key")
        .and_then(Value::as_str)
        .and_then(unhex::<32>)
        .ok_or_else(|| KeyError::Format {
            path: path.to_path_buf(),
            what: "`secret_key`: expected 64 hex digits".into(),
        })?;
    Ok(SecretKey {
        signer,
        key: SigningKey::from_bytes(&bytes),
    })
}

/// Reads a public key file written by [`generate`].
pub fn read_public_key(path: &Path) -> Result<PublicKey, KeyError> {
    let m = read_json(path, PUBLIC_KEY_FORMAT)?;
    let signer = signer_of(&m, path)?;
    let key = m
        .get("public_key")
        .and_then(Value::as_str)
        .and_then(unhex::<32>)
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
        .ok_or_else(|| KeyError::Format {
            path: path.to_path_buf(),
            what: "`public_key`: expected 64 hex digits of an Ed25519 public key".into(),
        })?;
    Ok(PublicKey { signer, key })
}

/// The message signed for a manifest whose head hash is `head_sha256`.
fn message(head_sha256: &str) -> String {
    format!("{MANIFEST_FORMAT} head {head_sha256}")
}

/// The `signature` member of a manifest signed by `key` over `head_sha256`.
pub fn sign_head(key: &SecretKey, head_sha256: &str) -> Value {
    let sig = key.key.sign(message(head_sha256).as_bytes());
    json!({
        "algorithm": ALGORITHM,
        "signer": key.signer,
        "public_key": hex(key.key.verifying_key().as_bytes()),
        "signed": message(head_sha256),
        "signature": hex(&sig.to_bytes()),
    })
}

/// What the signature of a package says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// No signature: anyone could have made or rebuilt the package.
    Unsigned,
    /// Signed over the package's head by the key it names, but that key was not compared with
    /// a trusted one: anyone can sign with a key of their own and any name.
    Unchecked { signer: String, public_key: String },
    /// Signed over the package's head by the trusted key given.
    Valid { signer: String, public_key: String },
    /// A signature that does not verify, or not by the trusted key: why.
    Invalid(String),
}

impl SignatureCheck {
    /// Whether this passes when `trusted` keys were (or were not) required.
    pub fn passes(&self, key_required: bool) -> bool {
        match self {
            SignatureCheck::Valid { .. } => true,
            SignatureCheck::Unsigned | SignatureCheck::Unchecked { .. } => !key_required,
            SignatureCheck::Invalid(_) => false,
        }
    }
}

impl std::fmt::Display for SignatureCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignatureCheck::Unsigned => f.write_str(
                "UNSIGNED: the package carries no signature; its hash chain shows changes only \
                 against a head hash recorded elsewhere (anyone can rebuild the chain)",
            ),
            SignatureCheck::Unchecked { signer, public_key } => write!(
                f,
                "SIGNED BUT UNCHECKED: signed as '{signer}' with public key {public_key}, and \
                 the signature matches the package; give --public-key with the office's key \
                 file to check that the key is theirs (anyone can sign with a key of their own)"
            ),
            SignatureCheck::Valid { signer, public_key } => write!(
                f,
                "SIGNED by '{signer}' (public key {public_key}): the signature over the \
                 manifest head is valid"
            ),
            SignatureCheck::Invalid(why) => write!(f, "SIGNATURE INVALID: {why}"),
        }
    }
}

/// Checks the `signature` member of `manifest` over `head_sha256` (the head the chain
/// actually computes to), against `trusted` keys when given.
pub fn check(manifest: &Value, head_sha256: &str, trusted: &[PublicKey]) -> SignatureCheck {
    let Some(sig) = manifest.get("signature") else {
        return if trusted.is_empty() {
            SignatureCheck::Unsigned
        } else {
            SignatureCheck::Invalid(
                "the package is unsigned, but a signature by a trusted key was required".into(),
            )
        };
    };
    let field = |k: &str| sig.get(k).and_then(Value::as_str).unwrap_or("");
    if field("algorithm") != ALGORITHM {
        return SignatureCheck::Invalid(format!(
            "algorithm '{}', expected '{ALGORITHM}'",
            field("algorithm")
        ));
    }
    let Some(key) =
        unhex::<32>(field("public_key")).and_then(|b| VerifyingKey::from_bytes(&b).ok())
    else {
        return SignatureCheck::Invalid("`public_key` is not an Ed25519 public key".into());
    };
    let Some(bytes) = unhex::<64>(field("signature")) else {
        return SignatureCheck::Invalid("`signature` is not 128 hex digits".into());
    };
    let signature = Signature::from_bytes(&bytes);
    let signer = field("signer").to_string();
    let public_key = hex(key.as_bytes());
    // Verified over the head the chain computes to, not the one the manifest claims: an
    // edited and re-chained package has a new head the old signature does not cover.
    if key
        .verify_strict(message(head_sha256).as_bytes(), &signature)
        .is_err()
    {
        return SignatureCheck::Invalid(format!(
            "the signature by key {public_key} ('{signer}') does not cover this package's \
             manifest head {head_sha256}: the package was changed after it was signed"
        ));
    }
    if trusted.is_empty() {
        return SignatureCheck::Unchecked { signer, public_key };
    }
    match trusted.iter().find(|t| t.key == key) {
        // The signer is named from the trusted key file, not from the package.
        Some(t) => SignatureCheck::Valid {
            signer: t.signer.clone(),
            public_key,
        },
        None => SignatureCheck::Invalid(format!(
            "signed as '{signer}' with key {public_key}, which is none of the trusted keys ({})",
            trusted
                .iter()
                .map(|t| format!("'{}' {}", t.signer, t.hex()))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8, signer: &str) -> SecretKey {
        SecretKey {
            signer: signer.into(),
            key: SigningKey::from_bytes(&[seed; 32]),
        }
    }

    fn manifest_signed(k: &SecretKey, head: &str) -> Value {
        json!({ "head_sha256": head, "signature": sign_head(k, head) })
    }

    #[test]
    fn a_signature_verifies_only_over_its_head_and_under_its_key() {
        let office = key(7, "Kaiyang EEB");
        let head = "ab".repeat(32);
        let m = manifest_signed(&office, &head);
        assert_eq!(
            check(&m, &head, &[office.public()]),
            SignatureCheck::Valid {
                signer: "Kaiyang EEB".into(),
                public_key: office.public().hex()
            }
        );
        assert!(matches!(
            check(&m, &head, &[]),
            SignatureCheck::Unchecked { .. }
        ));
        // Another head (the package was re-chained after an edit).
        let other = "cd".repeat(32);
        assert!(matches!(
            check(&m, &other, &[office.public()]),
            SignatureCheck::Invalid(_)
        ));
        // A forger's own key, under the office's name.
        let forger = key(9, "Kaiyang EEB");
        let forged = manifest_signed(&forger, &other);
        match check(&forged, &other, &[office.public()]) {
            SignatureCheck::Invalid(why) => assert!(why.contains("none of the trusted"), "{why}"),
            c => panic!("{c:?}"),
        }
        // Without a trusted key the forgery is only "unchecked", and says so.
        let c = check(&forged, &other, &[]);
        assert!(!c.passes(true) && c.passes(false));
        assert!(c.to_string().contains("UNCHECKED"), "{c}");
        assert!(!check(&json!({}), &head, &[office.public()]).passes(true));
        assert_eq!(check(&json!({}), &head, &[]), SignatureCheck::Unsigned);
    }

    #[test]
    fn keygen_writes_a_private_secret_and_a_readable_public_key() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("office.key");
        let public = generate(&secret, "Kaiyang EEB").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let read = read_public_key(&public_key_path(&secret)).unwrap();
        assert_eq!(read, public);
        let s = read_secret_key(&secret).unwrap();
        assert_eq!(s.public(), public);
        // Never overwritten.
        assert!(matches!(
            generate(&secret, "x"),
            Err(KeyError::Exists { .. })
        ));
        // A public key file is not a secret key file, and says so.
        let e = read_secret_key(&public_key_path(&secret)).err().unwrap();
        assert!(e.to_string().contains("qly-signing-key-1"), "{e}");
        assert!(matches!(
            generate(&dir.path().join("b.key"), "  "),
            Err(KeyError::NoSigner)
        ));
    }
}
