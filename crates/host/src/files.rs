//! Reading the files a rule set names, and the claims a user gives: regular
//! files only, up to a size, so a directory, a FIFO or a device named by
//! mistake (or on purpose) is an error at once rather than a hang or an
//! endless read.

use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

/// The largest rule set file read; a rule set cannot raise its own limit.
pub const MAX_RULE_SET_BYTES: u64 = 16 << 20;
/// The largest plugin component read, unless the rule set raises it.
pub const MAX_PLUGIN_BYTES: u64 = 64 << 20;
/// The largest reference data file read (CMS's full PTP file is about 100
/// MB), unless the rule set raises it.
pub const MAX_DATA_BYTES: u64 = 2 << 30;
/// The most any limit can be raised to, in MiB: 1 TiB.
pub const MAX_RAISED_MIB: u64 = 1 << 20;

/// How large the files a rule set names, and the claims checked under it,
/// may be. The defaults are the constants here; a rule set's `[limits]`
/// raises (or lowers) them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileLimits {
    /// A claims file read whole (JSON, TOML, 837P).
    pub claims_bytes: u64,
    /// A plugin component.
    pub plugin_bytes: u64,
    /// A reference data file.
    pub data_bytes: u64,
}

impl Default for FileLimits {
    fn default() -> Self {
        FileLimits { claims_bytes: MAX_CLAIMS_BYTES, plugin_bytes: MAX_PLUGIN_BYTES, data_bytes: MAX_DATA_BYTES }
    }
}

/// Checks, before a reader opens it, that `path` is a regular file of at most `limit` bytes.
pub fn check_regular(path: &Path, limit: u64) -> std::io::Result<()> {
    let file = open_regular(path)?;
    if file.metadata()?.len() > limit {
        return Err(too_large(limit));
    }
    Ok(())
}

/// The largest claims file read whole (JSON, TOML, X12); JSON Lines are
/// streamed and have no limit.
pub const MAX_CLAIMS_BYTES: u64 = 1 << 30;

/// Whether a symbolic link in a file's place is followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Links {
    /// Follow it, as a user's claims or rule set may be linked.
    Follow,
    /// Refuse it, for what payrules itself keeps: cache entries and keys.
    Refuse,
}

/// Opens the regular file at `path` for reading.
///
/// The file is opened without blocking, so a FIFO with no writer cannot
/// stall the open, and is refused unless it is a regular file.
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    open_regular_with(path, Links::Follow)
}

/// [`open_regular`], refusing a symbolic link when `links` says so.
pub fn open_regular_with(path: &Path, links: Links) -> std::io::Result<std::fs::File> {
    let flags = match links {
        Links::Follow => libc::O_NONBLOCK,
        Links::Refuse => libc::O_NONBLOCK | libc::O_NOFOLLOW,
    };
    let file = std::fs::OpenOptions::new().read(true).custom_flags(flags).open(path).map_err(|error| {
        if links == Links::Refuse && error.raw_os_error() == Some(libc::ELOOP) {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "it is a symbolic link")
        } else {
            error
        }
    })?;
    let kind = file.metadata()?.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() { "a directory" } else { "not a regular file (a FIFO, socket or device)" };
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("it is {what}")));
    }
    Ok(file)
}

/// The bytes of the regular file at `path`, at most `limit` of them.
pub fn read_regular(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    read_limited(open_regular(path)?, limit)
}

/// At most `limit` bytes of `file`; a longer file is refused, even one that
/// grows while it is read.
pub fn read_limited(file: std::fs::File, limit: u64) -> std::io::Result<Vec<u8>> {
    if file.metadata()?.len() > limit {
        return Err(too_large(limit));
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit {
        return Err(too_large(limit));
    }
    Ok(bytes)
}

/// Creates `path` for writing a secret: it must not exist yet (so no file or
/// link planted there is reused), and only its owner may read it (0600).
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).custom_flags(libc::O_NOFOLLOW).open(path)
}

/// A 32-byte key written as 64 hex digits, as payrules writes its keys.
pub fn parse_hex_key(text: &[u8]) -> Option<[u8; 32]> {
    let text = std::str::from_utf8(text).ok()?;
    hex::decode(text.trim()).ok()?.try_into().ok()
}

/// The hex sha256 of the regular file at `path`, read as a stream, so a
/// large data file is hashed without being held in memory.
pub fn sha256_of_regular(path: &Path, limit: u64) -> std::io::Result<String> {
    digest_regular(path, limit).map(|digest| digest.sha256)
}

/// What one streamed read of a file found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDigest {
    /// Hex sha256 of the whole file.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its first bytes (up to [`FileDigest::HEAD_BYTES`]), to tell what kind of file it is.
    pub head: Vec<u8>,
}

impl FileDigest {
    /// How many leading bytes are kept: enough for a WebAssembly header.
    pub const HEAD_BYTES: usize = 8;
}

/// The sha256, size and first bytes of the regular file at `path`, of at
/// most `limit` bytes, read once as a stream: a plugin is identified
/// without holding a copy of it.
pub fn digest_regular(path: &Path, limit: u64) -> std::io::Result<FileDigest> {
    use sha2::Digest as _;
    let file = open_regular(path)?;
    if file.metadata()?.len() > limit {
        return Err(too_large(limit));
    }
    let mut hasher = sha2::Sha256::new();
    let mut head = Vec::with_capacity(FileDigest::HEAD_BYTES);
    let mut size = 0u64;
    for_each_chunk(file.take(limit.saturating_add(1)), |chunk| {
        let wanted = FileDigest::HEAD_BYTES.saturating_sub(head.len()).min(chunk.len());
        head.extend_from_slice(chunk.get(..wanted).unwrap_or_default());
        hasher.update(chunk);
        size = size.saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
    })?;
    // A file that grew past the limit while it was read is refused too.
    if size > limit {
        return Err(too_large(limit));
    }
    Ok(FileDigest { sha256: hex::encode(hasher.finalize()), size, head })
}

/// Hands each chunk of `reader` to `each`, through one 64 KiB buffer, so a
/// file of any size is read with no copy of it in memory.
pub fn for_each_chunk(reader: impl std::io::Read, mut each: impl FnMut(&[u8])) -> std::io::Result<()> {
    let mut reader = std::io::BufReader::with_capacity(1 << 16, reader);
    loop {
        let chunk = std::io::BufRead::fill_buf(&mut reader)?;
        if chunk.is_empty() {
            return Ok(());
        }
        each(chunk);
        let read = chunk.len();
        std::io::BufRead::consume(&mut reader, read);
    }
}

fn too_large(limit: u64) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("it is larger than the {} MiB limit", limit >> 20))
}

/// `name` in payrules' configuration folder: `$XDG_CONFIG_HOME/payrules`,
/// else `~/.config/payrules`. `None` when neither variable is set.
pub fn config_file(name: &str) -> Option<std::path::PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::path::PathBuf::from(std::env::var_os("HOME")?).join(".config"),
    };
    Some(base.join("payrules").join(name))
}
