//! Publisher keys and the package signature.
//!
//! A publisher signs the exact bytes of a package's manifest with an Ed25519 key; the manifest lists
//! every content file with its SHA-256, so one signature covers the whole package. The signature
//! travels beside the manifest as `carrel-signature.json`, together with the public key that made
//! it. Verifying proves the package is what *that key* signed; whether the key is one the learner
//! trusts (vouched for by their course server, or confirmed by them by its [`Fingerprint`]) is the
//! importer's decision, not this module's.
//!
//! Key files are small JSON documents (`carrel keygen` writes them). The secret key file is written
//! readable by its owner only; in CI it can come from an environment variable instead.

use std::fmt;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer, Verifier};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The name of the signature inside a package.
pub const SIGNATURE_ENTRY: &str = "carrel-signature.json";
/// The largest signature file accepted, in bytes.
pub const MAX_SIGNATURE_BYTES: u64 = 4096;
const ALGORITHM: &str = "ed25519";
const SECRET_KIND: &str = "carrel-secret-key";
const PUBLIC_KIND: &str = "carrel-public-key";

/// What went wrong with a key or a signature.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// The signature file is not valid.
    #[error("the package signature is malformed: {0}")]
    Malformed(String),
    /// Signed with an algorithm this build does not know.
    #[error("the package is signed with “{0}”, which this Carrel does not support; update Carrel")]
    UnknownAlgorithm(String),
    /// The signature does not match the manifest.
    #[error(
        "the package signature does not match its contents: the package was changed after it was signed (key {fingerprint})"
    )]
    Mismatch {
        /// The key named by the package.
        fingerprint: Fingerprint,
    },
    /// A key file that is not a Carrel key.
    #[error("{path} is not a Carrel {kind} key file: {reason}")]
    BadKeyFile {
        /// The file.
        path: String,
        /// "secret" or "public".
        kind: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A key file could not be read or written.
    #[error("could not {operation} the key file {path}: {source}")]
    Io {
        /// read / write.
        operation: &'static str,
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The system could not provide randomness for a new key.
    #[error("could not generate a key: the system random source failed: {0}")]
    Random(String),
}

/// A publisher's public key.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(ed25519_dalek::VerifyingKey);

/// A short, readable identity of a public key: the first 128 bits of its SHA-256, in hex groups.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// A fingerprint from its text, as shown to and confirmed by a learner.
    pub fn from_text(text: &str) -> Self {
        Self(text.trim().to_owned())
    }

    /// The fingerprint as `ab12-cd34-…` (8 groups of 4 hex digits).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.0)
    }
}

impl PublicKey {
    /// The key from its base64 text form.
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = BASE64
            .decode(text.trim())
            .map_err(|error| format!("not base64: {error}"))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "an Ed25519 public key is 32 bytes".to_owned())?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|error| format!("not a valid Ed25519 key: {error}"))
    }

    /// The key as base64 text.
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.0.as_bytes())
    }

    /// The key's fingerprint, shown to learners asked to trust it.
    pub fn fingerprint(&self) -> Fingerprint {
        let digest = Sha256::digest(self.0.as_bytes());
        let hex: Vec<String> = digest[..16]
            .chunks(2)
            .map(|pair| format!("{:02x}{:02x}", pair[0], pair[1]))
            .collect();
        Fingerprint(hex.join("-"))
    }

    /// Reads a public key file written by [`SecretKey::write_files`].
    pub fn read_file(path: &Path) -> Result<Self, SignatureError> {
        let file: KeyFile = read_key_file(path, "public")?;
        if file.kind != PUBLIC_KIND {
            return Err(bad_key(path, "public", format!("kind is “{}”", file.kind)));
        }
        Self::from_base64(&file.key).map_err(|reason| bad_key(path, "public", reason))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.fingerprint())
    }
}

/// A publisher's secret signing key. Never printed: its `Debug` shows the public fingerprint only.
pub struct SecretKey(ed25519_dalek::SigningKey);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(public {})", self.public_key().fingerprint())
    }
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    kind: String,
    algorithm: String,
    key: String,
    #[serde(default)]
    fingerprint: Option<Fingerprint>,
}

impl SecretKey {
    /// A new random key from the operating system's random source.
    pub fn generate() -> Result<Self, SignatureError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|error| SignatureError::Random(error.to_string()))?;
        Ok(Self(ed25519_dalek::SigningKey::from_bytes(&seed)))
    }

    /// The key from a 32-byte seed (tests use fixed seeds for reproducible packages).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs `message` (a manifest's bytes) into a package signature.
    pub fn sign(&self, message: &[u8]) -> PackageSignature {
        PackageSignature {
            algorithm: ALGORITHM.to_owned(),
            public_key: self.public_key().to_base64(),
            fingerprint: self.public_key().fingerprint(),
            signature: BASE64.encode(self.0.sign(message).to_bytes()),
        }
    }

    /// Parses the text of a secret key file (as written by [`Self::write_files`]).
    pub fn from_key_file_text(text: &str, origin: &str) -> Result<Self, SignatureError> {
        let file: KeyFile = serde_json::from_str(text)
            .map_err(|error| bad_key(Path::new(origin), "secret", error.to_string()))?;
        if file.kind != SECRET_KIND || file.algorithm != ALGORITHM {
            return Err(bad_key(
                Path::new(origin),
                "secret",
                format!("kind “{}”, algorithm “{}”", file.kind, file.algorithm),
            ));
        }
        let bytes = BASE64
            .decode(file.key.trim())
            .map_err(|error| bad_key(Path::new(origin), "secret", error.to_string()))?;
        let seed: [u8; 32] = bytes.try_into().map_err(|_| {
            bad_key(
                Path::new(origin),
                "secret",
                "the key is not 32 bytes".into(),
            )
        })?;
        Ok(Self::from_seed(seed))
    }

    /// Reads a secret key file.
    pub fn read_file(path: &Path) -> Result<Self, SignatureError> {
        let text = std::fs::read_to_string(path).map_err(|source| SignatureError::Io {
            operation: "read",
            path: path.display().to_string(),
            source,
        })?;
        Self::from_key_file_text(&text, &path.display().to_string())
    }

    /// Writes `<stem>.secret.json` (owner-only) and `<stem>.public.json`; refuses to overwrite a
    /// secret key, since losing one means no new version of the course can be signed by it.
    pub fn write_files(
        &self,
        dir: &Path,
        stem: &str,
    ) -> Result<[std::path::PathBuf; 2], SignatureError> {
        let secret_path = dir.join(format!("{stem}.secret.json"));
        let public_path = dir.join(format!("{stem}.public.json"));
        let io = |operation, path: &Path| {
            let path = path.display().to_string();
            move |source| SignatureError::Io {
                operation,
                path,
                source,
            }
        };
        let secret = KeyFile {
            kind: SECRET_KIND.into(),
            algorithm: ALGORITHM.into(),
            key: BASE64.encode(self.0.to_bytes()),
            fingerprint: Some(self.public_key().fingerprint()),
        };
        let public = KeyFile {
            kind: PUBLIC_KIND.into(),
            algorithm: ALGORITHM.into(),
            key: self.public_key().to_base64(),
            fingerprint: Some(self.public_key().fingerprint()),
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&secret_path)
            .map_err(io("create", &secret_path))?;
        file.write_all(&to_json(&secret))
            .and_then(|()| file.sync_all())
            .map_err(io("write", &secret_path))?;
        std::fs::write(&public_path, to_json(&public)).map_err(io("write", &public_path))?;
        Ok([secret_path, public_path])
    }
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn read_key_file(path: &Path, kind: &'static str) -> Result<KeyFile, SignatureError> {
    let text = std::fs::read_to_string(path).map_err(|source| SignatureError::Io {
        operation: "read",
        path: path.display().to_string(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|error| bad_key(path, kind, error.to_string()))
}

fn bad_key(path: &Path, kind: &'static str, reason: String) -> SignatureError {
    SignatureError::BadKeyFile {
        path: path.display().to_string(),
        kind,
        reason,
    }
}

/// The contents of `carrel-signature.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageSignature {
    /// Always `ed25519` in format 1.
    pub algorithm: String,
    /// The signer's public key, base64.
    pub public_key: String,
    /// The signer's fingerprint, for people reading the file (recomputed, never trusted).
    pub fingerprint: Fingerprint,
    /// The signature over the manifest's bytes, base64.
    pub signature: String,
}

impl PackageSignature {
    /// Reads a signature file's bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, SignatureError> {
        serde_json::from_slice(bytes).map_err(|error| SignatureError::Malformed(error.to_string()))
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        to_json(self)
    }

    /// Checks that this signature was made over `message` by the key it names, and returns the key.
    pub fn verify(&self, message: &[u8]) -> Result<PublicKey, SignatureError> {
        if self.algorithm != ALGORITHM {
            return Err(SignatureError::UnknownAlgorithm(self.algorithm.clone()));
        }
        let key = PublicKey::from_base64(&self.public_key).map_err(SignatureError::Malformed)?;
        let bytes = BASE64
            .decode(&self.signature)
            .map_err(|error| SignatureError::Malformed(error.to_string()))?;
        let signature = ed25519_dalek::Signature::from_slice(&bytes)
            .map_err(|error| SignatureError::Malformed(error.to_string()))?;
        key.0
            .verify(message, &signature)
            .map_err(|_| SignatureError::Mismatch {
                fingerprint: key.fingerprint(),
            })?;
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_its_message_and_names_its_key() {
        let key = SecretKey::from_seed([7; 32]);
        let signature = key.sign(b"manifest bytes");
        let round_tripped = PackageSignature::parse(&signature.to_bytes()).unwrap();
        assert_eq!(
            round_tripped.verify(b"manifest bytes").unwrap(),
            key.public_key()
        );
        let error = round_tripped.verify(b"manifest bytes!").unwrap_err();
        assert!(matches!(error, SignatureError::Mismatch { .. }), "{error}");
    }

    #[test]
    fn a_swapped_public_key_does_not_verify() {
        // An attacker who re-signs with their own key changes the key: the importer's trust check
        // catches that. One who only swaps the key field breaks the signature.
        let key = SecretKey::from_seed([7; 32]);
        let mut signature = key.sign(b"m");
        signature.public_key = SecretKey::from_seed([8; 32]).public_key().to_base64();
        assert!(signature.verify(b"m").is_err());
    }

    #[test]
    fn fingerprints_are_stable_and_distinct() {
        let a = SecretKey::from_seed([1; 32]).public_key().fingerprint();
        let b = SecretKey::from_seed([2; 32]).public_key().fingerprint();
        assert_ne!(a, b);
        assert_eq!(a, SecretKey::from_seed([1; 32]).public_key().fingerprint());
        assert_eq!(a.as_str().len(), 8 * 4 + 7, "{a}");
    }

    #[test]
    fn key_files_round_trip_and_the_secret_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::generate().unwrap();
        let [secret, public] = key.write_files(dir.path(), "publisher").unwrap();
        assert_eq!(
            SecretKey::read_file(&secret).unwrap().public_key(),
            key.public_key()
        );
        assert_eq!(PublicKey::read_file(&public).unwrap(), key.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "secret key readable by others: {mode:o}");
        }
        let again = key.write_files(dir.path(), "publisher").unwrap_err();
        assert!(again.to_string().contains("create"), "{again}");
        assert!(!format!("{key:?}").contains(&BASE64.encode(key.0.to_bytes())));
    }
}
