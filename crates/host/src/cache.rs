//! A cache of compiled plugins on disk, keyed by the plugin's content hash
//! and the engine's compatibility hash, so each plugin is compiled once.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where compiled plugins are kept.
#[derive(Clone, Debug)]
pub struct CompileCache {
    dir: PathBuf,
}

impl CompileCache {
    /// A cache in `dir`, created on first write.
    pub fn new(dir: impl Into<PathBuf>) -> CompileCache {
        CompileCache { dir: dir.into() }
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

    fn path_for(&self, engine: &Engine, sha256: &str) -> PathBuf {
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        self.dir.join(format!("{sha256}-{:016x}.cwasm", hasher.finish()))
    }

    /// The compiled form of the plugin whose bytes hash to `sha256`, compiling
    /// and storing it on a miss. A cache that cannot be read or written is
    /// skipped with a warning; it never stops a load.
    pub fn load_or_compile(&self, engine: &Engine, sha256: &str, wasm: &[u8]) -> wasmtime::Result<Component> {
        let path = self.path_for(engine, sha256);
        if let Some(component) = self.read(engine, &path) {
            tracing::debug!(path = %path.display(), "compiled plugin found in cache");
            return Ok(component);
        }
        let compiled = engine.precompile_component(wasm)?;
        if let Err(error) = self.write(&path, &compiled) {
            tracing::warn!(path = %path.display(), %error, "could not write the compile cache");
        }
        deserialize(engine, &compiled)
    }

    fn read(&self, engine: &Engine, path: &Path) -> Option<Component> {
        let stored = std::fs::read(path).ok()?;
        // The file ends with the sha256 of what precedes it, so a truncated or
        // corrupted entry is recompiled instead of handed to the loader.
        let split = stored.len().checked_sub(32)?;
        let (artifact, digest) = stored.split_at(split);
        if Sha256::digest(artifact).as_slice() != digest {
            tracing::warn!(path = %path.display(), "compile cache entry is corrupt; recompiling");
            return None;
        }
        match deserialize(engine, artifact) {
            Ok(component) => Some(component),
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "compile cache entry is unusable; recompiling");
                None
            }
        }
    }

    fn write(&self, path: &Path, compiled: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let mut contents = Vec::with_capacity(compiled.len() + 32);
        contents.extend_from_slice(compiled);
        contents.extend_from_slice(&Sha256::digest(compiled));
        // Write then rename, so a reader never sees half a file; the name is
        // unique to this process and call, so concurrent writers never share one.
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let serial = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let temporary = path.with_extension(format!("tmp{}-{serial}", std::process::id()));
        std::fs::write(&temporary, contents)?;
        std::fs::rename(&temporary, path)
    }
}

#[allow(unsafe_code, reason = "the bytes were produced by this engine's precompile and checked against their digest")]
fn deserialize(engine: &Engine, artifact: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: `artifact` is either fresh output of `Engine::precompile_component`
    // or a cache entry this host wrote and whose sha256 trailer matched; wasmtime
    // also checks its header against the engine's configuration.
    unsafe { Component::deserialize(engine, artifact) }
}
