//! Tokens: who is asking. Judges and teams are given random tokens; the contest file holds
//! only their SHA-256 hashes, so a leaked file lets nobody submit. A request presents its
//! token as `Authorization: Bearer TOKEN` (scripts, `curl`) or as the password of HTTP Basic
//! authentication (a browser's own prompt, for the judges' pages); the user name is ignored.
//! Hashes are compared in constant time, against every known hash, so the time taken tells
//! nothing about how much of a token was right or whose it was.

use axum::http::{header, HeaderMap};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A token's SHA-256.
pub type TokenHash = [u8; 32];

/// The SHA-256 of a token (as `printf %s TOKEN | sha256sum` prints it, in bytes).
pub fn hash_token(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// Lower-case hex.
pub fn hex(hash: &TokenHash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads 64 hex digits.
pub fn parse_hash(text: &str) -> Option<TokenHash> {
    let t = text.trim();
    if t.len() != 64 || !t.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&t[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// A new random token (32 bytes, URL-safe base64 without padding) and its hash.
pub fn new_token() -> Result<(String, TokenHash), getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    Ok((token, hash))
}

/// Why the presented credentials could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    #[error("the Authorization header is not text")]
    NotText,
    #[error("the Authorization header is neither 'Bearer TOKEN' nor HTTP Basic")]
    Scheme,
    #[error("the Authorization header's Basic credentials are not base64 of 'user:token'")]
    Basic,
    #[error("the Authorization header holds an empty token")]
    Empty,
}

/// The token a request presents, if any.
pub fn presented_token(headers: &HeaderMap) -> Result<Option<String>, CredentialsError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| CredentialsError::NotText)?
        .trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let token = if scheme.eq_ignore_ascii_case("bearer") {
        rest.trim().to_string()
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .map_err(|_| CredentialsError::Basic)?;
        let text = String::from_utf8(decoded).map_err(|_| CredentialsError::Basic)?;
        let (_, password) = text.split_once(':').ok_or(CredentialsError::Basic)?;
        password.to_string()
    } else {
        return Err(CredentialsError::Scheme);
    };
    if token.is_empty() {
        return Err(CredentialsError::Empty);
    }
    Ok(Some(token))
}

/// The index in `known` of the hash `token` has, comparing with every entry in constant time.
pub fn find(token: &str, known: &[TokenHash]) -> Option<usize> {
    let presented = hash_token(token);
    let mut found: Option<usize> = None;
    for (i, k) in known.iter().enumerate() {
        // No early exit: every entry is compared, whatever matched.
        let same: bool = presented.ct_eq(k).into();
        if same && found.is_none() {
            found = Some(i);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn hashes_read_back_and_tokens_are_found() {
        let h = hash_token("abc");
        assert_eq!(
            hex(&h),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(parse_hash(&hex(&h)), Some(h));
        assert_eq!(parse_hash("xyz"), None);
        let (t, th) = new_token().unwrap();
        assert_eq!(t.len(), 43);
        assert_eq!(find(&t, &[h, th]), Some(1));
        assert_eq!(find("abd", &[h, th]), None);
    }

    #[test]
    fn bearer_and_basic_are_read() {
        let mut h = HeaderMap::new();
        assert_eq!(presented_token(&h), Ok(None));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer  tok "),
        );
        assert_eq!(presented_token(&h), Ok(Some("tok".into())));
        // "judge:s3cret"
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic anVkZ2U6czNjcmV0"),
        );
        assert_eq!(presented_token(&h), Ok(Some("s3cret".into())));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Digest x"));
        assert_eq!(presented_token(&h), Err(CredentialsError::Scheme));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(presented_token(&h), Err(CredentialsError::Empty));
    }
}
