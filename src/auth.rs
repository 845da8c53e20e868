//! Secrets of the publishing side: random tokens (owner links, sessions, CSRF) that are
//! stored only as hashes, and staff passwords hashed with argon2id.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
}

pub const MIN_PASSWORD_CHARS: usize = 12;

/// 256 random bits, URL-safe: unguessable, so storing only its hash is enough.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a token. A fast hash is right here (unlike passwords):
/// the token has full entropy, so there is nothing to brute-force.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Equality that takes the same time wherever the first difference is, for CSRF tokens.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Argon2id PHC string with a fresh salt and the crate's default (OWASP) parameters.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AuthError::TooShort);
    }
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// False for a wrong password and for a stored hash that does not parse.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Signs the device cookie a browser gets after a successful sign-in, so the login
/// throttle can tell the account's own browsers from a guesser's (see
/// `web::login_throttle`). The key lives in memory: a restart only means the next
/// sign-in of each browser counts against the account-wide budget once more.
pub struct DeviceCookieKey {
    key: ring::hmac::Key,
}

impl Default for DeviceCookieKey {
    fn default() -> Self {
        DeviceCookieKey::new()
    }
}

impl DeviceCookieKey {
    pub fn new() -> DeviceCookieKey {
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        DeviceCookieKey {
            key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret),
        }
    }

    fn tag(&self, account: &str, nonce: &str) -> String {
        let message = format!("device\0{account}\0{nonce}");
        hex::encode(ring::hmac::sign(&self.key, message.as_bytes()).as_ref())
    }

    /// A fresh cookie value for `account` (already in its canonical, lower-case form):
    /// `NONCE.TAG`.
    pub fn issue(&self, account: &str) -> String {
        let mut nonce = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let nonce = hex::encode(nonce);
        let tag = self.tag(account, &nonce);
        format!("{nonce}.{tag}")
    }

    /// The cookie's nonce when it was issued by this key for this very account.
    pub fn verify<'a>(&self, cookie: &'a str, account: &str) -> Option<&'a str> {
        let (nonce, tag) = cookie.split_once('.')?;
        if nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        constant_time_eq(&self.tag(account, nonce), tag).then_some(nonce)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_with_the_right_password() {
        let phc = hash_password("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &phc));
        assert!(!verify_password("correct horse batterz", &phc));
        assert!(!verify_password("x", "not a hash"));
        assert!(matches!(hash_password("short"), Err(AuthError::TooShort)));
    }

    #[test]
    fn device_cookies_verify_only_for_their_account_and_key() {
        let key = DeviceCookieKey::new();
        let cookie = key.issue("lan");
        let nonce = key.verify(&cookie, "lan").expect("its own cookie");
        assert!(cookie.starts_with(nonce));
        assert!(key.verify(&cookie, "minh").is_none(), "another account");
        assert!(
            DeviceCookieKey::new().verify(&cookie, "lan").is_none(),
            "another key"
        );
        let (n, tag) = cookie.split_once('.').unwrap();
        let forged = format!("{n}.{}", "0".repeat(tag.len()));
        assert!(key.verify(&forged, "lan").is_none());
        assert!(key.verify("garbage", "lan").is_none());
    }

    #[test]
    fn tokens_are_unique_and_stored_as_a_different_string() {
        let a = new_token();
        assert_ne!(a, new_token());
        assert_eq!(a.len(), 43);
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
