//! Bearer tokens, read from files and compared in constant time.

use std::path::Path;

use axum::http::HeaderMap;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::ServeError;

/// A bearer token, kept as its SHA-256 so that comparing a presented token
/// takes the same time whatever its length or how much of it matches.
#[derive(Clone)]
pub struct Token([u8; 32]);

impl Token {
    /// Reads the token at `path`: its first line, without surrounding space.
    pub fn read(path: &Path) -> Result<Token, ServeError> {
        use std::os::unix::fs::MetadataExt as _;
        let refuse = |message: String| ServeError::Token { path: path.to_path_buf(), message };
        // The mode is read from the file that is read, not from the path again.
        let file = payrules_host::files::open_regular(path).map_err(|e| refuse(e.to_string()))?;
        let mode = file.metadata().map_err(|e| refuse(e.to_string()))?.mode();
        if mode & 0o077 != 0 {
            return Err(refuse(format!("the file can be read by others (mode {:o}); chmod 600 it", mode & 0o777)));
        }
        let bytes = payrules_host::files::read_limited(file, 4096).map_err(|e| refuse(e.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|_| refuse("the token is not UTF-8 text".to_owned()))?;
        let token = text.lines().next().unwrap_or_default().trim();
        if token.len() < 16 {
            return Err(refuse("the token is shorter than 16 characters".to_owned()));
        }
        Ok(Token(Sha256::digest(token.as_bytes()).into()))
    }

    /// Whether `headers` carry this token as `Authorization: Bearer ...`.
    pub fn accepts(&self, headers: &HeaderMap) -> bool {
        let presented = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .map(str::trim);
        match presented {
            Some(presented) => {
                let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
                bool::from(digest.ct_eq(&self.0))
            }
            None => false,
        }
    }
}
