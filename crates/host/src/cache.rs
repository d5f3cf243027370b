//! A cache of compiled plugins on disk, so each plugin is compiled once.
//!
//! A cache entry is native code that the host maps and runs, so the cache
//! is trusted only as far as it can prove an entry is its own. Every entry
//! carries an HMAC-SHA256 tag under a key kept outside the cache directory,
//! over the plugin's sha256, the engine's compatibility hash and the compiled
//! bytes: an entry written by anyone without the key, or moved from one
//! plugin's name to another's, does not verify and is recompiled. The
//! directory itself must belong to the current user and be writable by no
//! one else, as ssh requires of its keys; otherwise the cache is not used.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::files::{self, Links};

/// The largest cache entry read back; a compiled payer plugin is a few MB.
pub const MAX_ENTRY_BYTES: u64 = 256 << 20;

/// Length of an HMAC-SHA256 tag.
const TAG_BYTES: usize = 32;

/// What the tag covers first, so a tag from any other use of the key never verifies here.
const TAG_CONTEXT: &[u8] = b"payrules compile cache entry v2\0";

/// Why the compile cache cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// A file or directory the cache needs could not be created or read.
    #[error("`{path}`: {cause}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error; part of the message, so not a separate error source.
        cause: std::io::Error,
    },
    /// A file or directory is not safe to trust, as ssh would refuse it.
    #[error("`{path}` is not safe to trust: {reason}")]
    Insecure {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The key file holds something other than a key.
    #[error("`{path}` is not a payrules cache key: {reason}")]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// What was expected.
        reason: String,
    },
    /// No place for the key is known (neither `$PAYRULES_CACHE_KEY`, `$XDG_CONFIG_HOME` nor `$HOME` is set).
    #[error("no place for the cache key: set PAYRULES_CACHE_KEY, XDG_CONFIG_HOME or HOME")]
    NoKeyLocation,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> CacheError + '_ {
    move |cause| CacheError::Io { path: path.to_path_buf(), cause }
}

/// A 32-byte secret kept in a private key file. It authenticates cache
/// entries, and never lives in the cache directory, so write access to the
/// cache alone cannot forge an entry. The service's decision log uses one
/// of its own to mask patient identifiers ([`CacheKey::keyed_hash`]).
#[derive(Clone)]
pub struct CacheKey([u8; 32]);

impl std::fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CacheKey(..)")
    }
}

impl CacheKey {
    /// The default key file: `$PAYRULES_CACHE_KEY`, else
    /// `$XDG_CONFIG_HOME/payrules/cache.key`, else `~/.config/payrules/cache.key`.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(path) = std::env::var_os("PAYRULES_CACHE_KEY") {
            return Some(PathBuf::from(path));
        }
        files::config_file("cache.key")
    }

    /// A key that lives only in this process: entries written with it are
    /// useless to any other process, so use it only for a cache that dies
    /// with the process.
    pub fn ephemeral() -> Result<CacheKey, CacheError> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| CacheError::Io {
            path: PathBuf::from("(system random source)"),
            cause: std::io::Error::other(e.to_string()),
        })?;
        Ok(CacheKey(key))
    }

    /// Reads the key at `path`, creating it (mode 0600, in a 0700 folder) on
    /// first use. A key file that is a symlink, is not a regular file, belongs
    /// to another user, or can be read by anyone else is refused.
    pub fn load_or_create(path: &Path) -> Result<CacheKey, CacheError> {
        match std::fs::symlink_metadata(path) {
            Ok(_) => Self::read(path),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Self::create(path),
            Err(cause) => Err(CacheError::Io { path: path.to_path_buf(), cause }),
        }
    }

    fn create(path: &Path) -> Result<CacheKey, CacheError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(parent).map_err(io_error(parent))?;
            check_private_dir(parent)?;
        }
        let key = Self::ephemeral()?;
        let mut file = match files::create_private(path) {
            Ok(file) => file,
            // Another process created it first: use theirs.
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => return Self::read(path),
            Err(cause) => return Err(CacheError::Io { path: path.to_path_buf(), cause }),
        };
        file.write_all(format!("{}\n", hex::encode(key.0)).as_bytes()).map_err(io_error(path))?;
        file.sync_all().map_err(io_error(path))?;
        tracing::info!(path = %path.display(), "created the key file");
        Ok(key)
    }

    fn read(path: &Path) -> Result<CacheKey, CacheError> {
        let file = files::open_regular_with(path, Links::Refuse).map_err(io_error(path))?;
        let metadata = file.metadata().map_err(io_error(path))?;
        check_private(path, &metadata, 0o077, "a key must be readable by its owner only (chmod 600)")?;
        let text = files::read_limited(file, 1024).map_err(io_error(path))?;
        let key = files::parse_hex_key(&text).ok_or_else(|| CacheError::BadKey {
            path: path.to_path_buf(),
            reason: "expected 64 hex digits".to_owned(),
        })?;
        Ok(CacheKey(key))
    }

    /// HMAC-SHA256 of `value` under this key, in hex: the same value always
    /// gives the same hash, and without the key it cannot be reversed or
    /// checked against a guess.
    pub fn keyed_hash(&self, value: &[u8]) -> Option<String> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).ok()?;
        mac.update(value);
        Some(hex::encode(mac.finalize().into_bytes()))
    }

    /// The MAC of one cache entry, begun: the caller feeds it the compiled
    /// bytes. HMAC takes a key of any length, so `None` never happens in
    /// practice; callers treat it as "does not verify".
    fn tag(&self, sha256: &str, compatibility: u64) -> Option<Hmac<Sha256>> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).ok()?;
        mac.update(TAG_CONTEXT);
        mac.update(sha256.to_ascii_lowercase().as_bytes());
        mac.update(&compatibility.to_le_bytes());
        Some(mac)
    }
}

/// Where compiled plugins are kept, and the key that vouches for them.
#[derive(Clone, Debug)]
pub struct CompileCache {
    dir: PathBuf,
    key: CacheKey,
}

impl CompileCache {
    /// Opens the cache in `dir`, creating it with mode 0700. A directory that
    /// is not owned by the current user, or that group or others can write,
    /// is refused: whoever can write it could plant entries, and the key
    /// alone must not be the only line of defence.
    pub fn open(dir: impl Into<PathBuf>, key: CacheKey) -> Result<CompileCache, CacheError> {
        let dir = dir.into();
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir).map_err(io_error(&dir))?;
        check_private_dir(&dir)?;
        Ok(CompileCache { dir, key })
    }

    /// Opens the cache in `dir` with the key at [`CacheKey::default_path`].
    /// The key must not be inside the cache directory.
    pub fn open_with_default_key(dir: impl Into<PathBuf>) -> Result<CompileCache, CacheError> {
        let dir = dir.into();
        let key_path = CacheKey::default_path().ok_or(CacheError::NoKeyLocation)?;
        if let (Some(key_dir), Ok(cache_dir)) =
            (key_path.parent().and_then(|p| std::fs::canonicalize(p).ok()), std::fs::canonicalize(&dir))
            && key_dir.starts_with(&cache_dir)
        {
            return Err(CacheError::Insecure {
                path: key_path,
                reason: "the cache key is inside the cache directory, so the cache could vouch for itself".to_owned(),
            });
        }
        let key = CacheKey::load_or_create(&key_path)?;
        CompileCache::open(dir, key)
    }

    /// The default place: `$PAYRULES_CACHE_DIR`, else `$XDG_CACHE_HOME/payrules`,
    /// else `~/.cache/payrules`.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("PAYRULES_CACHE_DIR") {
            return Some(PathBuf::from(dir));
        }
        if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
            return Some(PathBuf::from(dir).join("payrules"));
        }
        std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache").join("payrules"))
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn compatibility(engine: &Engine) -> u64 {
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        hasher.finish()
    }

    fn path_for(&self, sha256: &str, compatibility: u64) -> PathBuf {
        self.dir.join(format!("{}-{compatibility:016x}.cwasm", sha256.to_ascii_lowercase()))
    }

    /// The compiled form of the plugin whose file hashes to `sha256`, when
    /// the cache holds an entry that verifies. The entry is mapped from its
    /// file rather than read into memory, so a hit costs the pages the
    /// plugin's code touches, not a copy of it. A missing entry is `None`;
    /// one that cannot be read or does not verify is skipped with a warning,
    /// since the caller then compiles: the cache never stops a load.
    pub fn find(&self, engine: &Engine, sha256: &str) -> Option<Component> {
        let compatibility = Self::compatibility(engine);
        let path = self.path_for(sha256, compatibility);
        let file = match files::open_regular_with(&path, Links::Refuse) {
            Ok(file) => file,
            Err(cause) if cause.kind() == std::io::ErrorKind::NotFound => return None,
            Err(cause) => {
                tracing::warn!(error = %io_error(&path)(cause), "compile cache entry refused; recompiling");
                return None;
            }
        };
        if let Err(why) = self.verify(&file, sha256, compatibility) {
            tracing::warn!(path = %path.display(), "compile cache entry {why}; recompiling");
            return None;
        }
        match deserialize_mapped(engine, &file) {
            Ok(component) => {
                tracing::debug!(path = %path.display(), "compiled plugin mapped from the cache");
                return Some(component);
            }
            // A cache on a file system mounted noexec can be read but not
            // mapped as code: the entry is then used from a copy.
            Err(error) => {
                tracing::debug!(path = %path.display(), %error, "compile cache entry cannot be mapped; copying it")
            }
        }
        let copied = files::open_regular_with(&path, Links::Refuse)
            .and_then(|file| files::read_limited(file, MAX_ENTRY_BYTES))
            .ok()
            .and_then(|stored| {
                let artifact = stored.get(..stored.len().checked_sub(TAG_BYTES)?)?;
                let tag = stored.get(artifact.len()..)?;
                let mut mac = self.key.tag(sha256, compatibility)?;
                mac.update(artifact);
                mac.verify_slice(tag).ok()?;
                deserialize(engine, artifact).ok()
            });
        if copied.is_none() {
            tracing::warn!(path = %path.display(), "compile cache entry is unusable; recompiling");
        }
        copied
    }

    /// Whether the entry open in `file` carries this key's tag over its
    /// bytes, for the plugin `sha256` and this engine, read as a stream.
    fn verify(&self, file: &std::fs::File, sha256: &str, compatibility: u64) -> Result<(), &'static str> {
        let unreadable = "cannot be read";
        let size = file.metadata().map_err(|_| unreadable)?.len();
        if size > MAX_ENTRY_BYTES {
            return Err("is larger than any compiled plugin");
        }
        let tag_bytes = u64::try_from(TAG_BYTES).map_err(|_| unreadable)?;
        let artifact_bytes = size.checked_sub(tag_bytes).ok_or("is too short to carry a tag")?;
        let mut mac = self.key.tag(sha256, compatibility).ok_or("cannot be checked with this key")?;
        let mut read = 0u64;
        // Reading through `&File` moves the one file offset, so the tag is
        // read from just after the artifact.
        files::for_each_chunk(std::io::Read::take(file, artifact_bytes), |chunk| {
            mac.update(chunk);
            read = read.saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
        })
        .map_err(|_| unreadable)?;
        let mut tag = [0u8; TAG_BYTES];
        std::io::Read::read_exact(&mut &*file, &mut tag).map_err(|_| unreadable)?;
        if read != artifact_bytes || mac.verify_slice(&tag).is_err() {
            return Err("does not verify under this user's cache key (tampered, corrupt, or another plugin's)");
        }
        Ok(())
    }

    /// Compiles `wasm` (the plugin whose bytes hash to `sha256`) and stores
    /// the result for the next load. A cache that cannot be written is
    /// reported with a warning; the compiled plugin is returned either way.
    pub fn compile(&self, engine: &Engine, sha256: &str, wasm: &[u8]) -> wasmtime::Result<Component> {
        let compatibility = Self::compatibility(engine);
        let path = self.path_for(sha256, compatibility);
        let compiled = engine.precompile_component(wasm)?;
        if let Err(error) = self.write(&path, sha256, compatibility, &compiled) {
            tracing::warn!(path = %path.display(), %error, "could not write the compile cache");
        }
        deserialize(engine, &compiled)
    }

    fn write(&self, path: &Path, sha256: &str, compatibility: u64, compiled: &[u8]) -> Result<(), CacheError> {
        let mut mac = self.key.tag(sha256, compatibility).ok_or_else(|| CacheError::BadKey {
            path: self.dir.clone(),
            reason: "the key cannot make a tag".to_owned(),
        })?;
        mac.update(compiled);
        let tag = mac.finalize().into_bytes();
        // An exclusive create of a random name (mode 0600), then a rename, so
        // a reader never sees half a file, concurrent writers never share one,
        // and no symlink planted at a guessable name is ever followed.
        let mut temporary = tempfile::Builder::new()
            .prefix(".entry-")
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .map_err(io_error(&self.dir))?;
        temporary.write_all(compiled).map_err(io_error(temporary.path()))?;
        temporary.write_all(&tag).map_err(io_error(temporary.path()))?;
        temporary.persist(path).map_err(|e| CacheError::Io { path: path.to_path_buf(), cause: e.error })?;
        Ok(())
    }
}

/// The directory must be the current user's and writable by no one else:
/// what payrules asks of any folder it writes files into and later trusts.
pub fn check_private_dir(dir: &Path) -> Result<(), CacheError> {
    let metadata = std::fs::metadata(dir).map_err(io_error(dir))?;
    if !metadata.is_dir() {
        return Err(CacheError::Insecure { path: dir.to_path_buf(), reason: "it is not a directory".to_owned() });
    }
    check_private(dir, &metadata, 0o022, "writable by group or others; make it the owner's alone (chmod 700)")
}

/// The file belongs to the current user and has none of the `forbidden`
/// permission bits; otherwise `advice` says what to do.
fn check_private(path: &Path, metadata: &std::fs::Metadata, forbidden: u32, advice: &str) -> Result<(), CacheError> {
    let insecure = |reason: String| Err(CacheError::Insecure { path: path.to_path_buf(), reason });
    let me = effective_uid();
    if metadata.uid() != me {
        return insecure(format!("it belongs to user {}, not to the current user {me}", metadata.uid()));
    }
    if metadata.mode() & forbidden != 0 {
        return insecure(format!("its mode is {:o}, {advice}", metadata.mode() & 0o777));
    }
    Ok(())
}

#[allow(unsafe_code, reason = "geteuid has no preconditions and cannot fail")]
fn effective_uid() -> u32 {
    // SAFETY: geteuid takes no arguments, touches no memory and always succeeds.
    unsafe { libc::geteuid() }
}

#[allow(unsafe_code, reason = "the file's bytes were verified under this user's key just before")]
fn deserialize_mapped(engine: &Engine, file: &std::fs::File) -> wasmtime::Result<Component> {
    use std::os::fd::AsRawFd as _;
    // The entry is mapped through the descriptor that was verified, not by
    // its name again, so a file renamed into its place after the check is
    // never the one mapped. Entries are only ever replaced by a rename,
    // never written in place, so the mapped bytes are the verified ones.
    let verified = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
    // SAFETY: the file behind the descriptor carries a valid HMAC tag under
    // a key only this user can read, bound to this plugin's sha256 and this
    // engine's compatibility hash (`CompileCache::verify`); wasmtime also
    // checks its header against the engine's configuration. wasmtime maps
    // the whole file: the 32-byte tag after the compiled object is outside
    // every section the object names, so it is never read as code.
    unsafe { Component::deserialize_file(engine, verified) }
}

#[allow(unsafe_code, reason = "the bytes were produced by this engine's precompile or verified under this user's key")]
fn deserialize(engine: &Engine, artifact: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: `artifact` is either fresh output of `Engine::precompile_component`
    // or a cache entry whose HMAC tag, under a key only this user can read and
    // bound to this plugin's sha256 and this engine's compatibility hash,
    // verified; wasmtime also checks its header against the engine's configuration.
    unsafe { Component::deserialize(engine, artifact) }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn a_key_is_created_private_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config/cache.key");
        let first = CacheKey::load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let second = CacheKey::load_or_create(&path).unwrap();
        assert_eq!(first.0, second.0);
    }

    #[test]
    fn a_readable_or_linked_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.key");
        CacheKey::load_or_create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = CacheKey::load_or_create(&path).unwrap_err().to_string();
        assert!(error.contains("chmod 600"), "{error}");
        let link = dir.path().join("link.key");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        let error = CacheKey::load_or_create(&link).unwrap_err().to_string();
        assert!(error.contains("symbolic link"), "{error}");
    }

    #[test]
    fn a_group_writable_cache_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        std::fs::create_dir(&cache).unwrap();
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o775)).unwrap();
        let error = CompileCache::open(&cache, CacheKey::ephemeral().unwrap()).unwrap_err().to_string();
        assert!(error.contains("writable by group or others"), "{error}");
    }

    #[test]
    fn a_tag_binds_the_plugin_hash_and_the_engine() {
        let key = CacheKey::ephemeral().unwrap();
        let tag_of = |key: &CacheKey, sha: &str, compat: u64, code: &[u8]| {
            let mut mac = key.tag(sha, compat).unwrap();
            mac.update(code);
            mac
        };
        let tag = tag_of(&key, "aa", 1, b"code").finalize().into_bytes();
        let verifies = |key: &CacheKey, sha: &str, compat: u64, code: &[u8]| {
            tag_of(key, sha, compat, code).verify_slice(&tag).is_ok()
        };
        assert!(verifies(&key, "aa", 1, b"code"));
        assert!(!verifies(&key, "bb", 1, b"code"), "another plugin's entry");
        assert!(!verifies(&key, "aa", 2, b"code"), "another engine's entry");
        assert!(!verifies(&key, "aa", 1, b"cods"), "changed code");
        assert!(!verifies(&CacheKey::ephemeral().unwrap(), "aa", 1, b"code"), "another key");
    }
}
