//! Identifier and secret generation.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng as _;
use sha2::{Digest as _, Sha256};

/// The canonical lowercase text of a version-4 UUID made of `bytes` (the
/// version and variant bits are set over them).
fn format_uuid(bytes: [u8; 16]) -> String {
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .encode_lower(&mut text)
        .to_owned()
}

/// A random version-4 UUID.
pub(crate) fn random_uuid() -> String {
    format_uuid(rand::rng().random())
}

/// A UUID derived deterministically from `seed`.
pub(crate) fn uuid_from_seed(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    format_uuid(bytes)
}

/// A random opaque secret (tokens, codes), URL-safe base64 of 32 bytes.
pub(crate) fn random_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// base64url(SHA-256(verifier)) without padding: the PKCE S256 challenge.
pub(crate) fn pkce_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_canonical_version_4_text() {
        let bytes: [u8; 16] = std::array::from_fn(|i| u8::try_from(i).unwrap());
        assert_eq!(format_uuid(bytes), "00010203-0405-4607-8809-0a0b0c0d0e0f");
        assert_eq!(
            format_uuid([0xff; 16]),
            "ffffffff-ffff-4fff-bfff-ffffffffffff"
        );
        let seeded = uuid_from_seed("station:u1");
        assert_eq!(seeded, uuid_from_seed("station:u1"), "deterministic");
        assert_ne!(random_uuid(), random_uuid());
    }
}
