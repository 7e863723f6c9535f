//! Update signatures as Tauri writes them: a bundle's `.sig` file holds the base64 of a minisign
//! signature file, whose trusted comment names the version it was made for
//! (`timestamp:…\tfile:…\tversion:1.2.3`); the app's public key (`plugins.updater.pubkey`) is the
//! base64 of a minisign public key file. The server checks what the app will check, so a bundle
//! the app would refuse is refused when it is published, not when learners try to install it.

use base64::Engine as _;
use minisign_verify::{PublicKey, Signature};

/// A decoded `.sig` file.
pub struct UpdateSignature {
    /// The `.sig` file's content as the manifest serves it (base64, surrounding space trimmed).
    pub text: String,
    /// The minisign signature it holds.
    pub signature: Signature,
}

impl std::fmt::Debug for UpdateSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateSignature")
            .field("trusted_comment", &self.signature.trusted_comment())
            .finish()
    }
}

/// Decodes the content of a `.sig` file.
pub fn decode_signature(content: &str) -> Result<UpdateSignature, String> {
    let text = content.trim().to_owned();
    let decoded = decode_base64_text(&text)?;
    let signature = Signature::decode(&decoded)
        .map_err(|error| format!("it does not hold a minisign signature ({error})"))?;
    Ok(UpdateSignature { text, signature })
}

impl UpdateSignature {
    /// The version its trusted comment says it was made for (`version:1.2.3`), if any.
    pub fn signed_version(&self) -> Option<&str> {
        self.signature
            .trusted_comment()
            .split('\t')
            .find_map(|field| field.trim().strip_prefix("version:"))
            .map(str::trim)
    }
}

/// Decodes an update public key: the base64 of a minisign public key file, as in
/// `plugins.updater.pubkey` (the bare `RW…` key line is taken too).
pub fn decode_public_key(text: &str) -> Result<PublicKey, String> {
    let text = text.trim();
    let key = match decode_base64_text(text) {
        Ok(file) if file.contains('\n') => PublicKey::decode(&file),
        _ => PublicKey::from_base64(text),
    };
    key.map_err(|error| format!("it is not a minisign public key ({error})"))
}

fn decode_base64_text(text: &str) -> Result<String, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|error| format!("it is not base64 ({error})"))?;
    String::from_utf8(bytes).map_err(|_| "its base64 does not decode to text".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The public key of `tauri.conf.json` (the app's real one): it decodes.
    const APP_PUBKEY: &str = "dW50cnVzdGVkIGNvbW1lbnQ6IG1pbmlzaWduIHB1YmxpYyBrZXk6IDA5RjBFNUU3NUY5RTQ5RUYKUldUdlNaNWY1K1h3Q1FSUGsrRlhMQmpCMUhuWnIyaXhqSUk1WmYzb2JDbjk5RjRpZkM5bUNmc1EK";

    #[test]
    fn the_apps_public_key_decodes_in_both_forms() {
        assert!(decode_public_key(APP_PUBKEY).is_ok());
        let file = decode_base64_text(APP_PUBKEY).unwrap();
        let bare = file.lines().nth(1).unwrap();
        assert!(decode_public_key(bare).is_ok(), "the bare key line");
        assert!(decode_public_key("not a key").is_err());
    }

    #[test]
    fn a_sig_file_that_is_not_base64_of_a_minisign_signature_is_refused() {
        for content in ["", "%%%", "aGVsbG8=" /* "hello" */] {
            assert!(decode_signature(content).is_err(), "{content:?}");
        }
    }
}
