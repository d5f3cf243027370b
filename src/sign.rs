//! `payrules sign` and `payrules keygen`: signed rule sets, so a service or a
//! batch run given `--trusted-key` loads only what a trusted signer approved.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::EXIT_CLEAN;

/// Arguments of `payrules sign`.
#[derive(clap::Args, Debug)]
pub struct SignArgs {
    /// The rule set to sign; the signature is written beside it as RULESET.sig.
    rule_set: PathBuf,

    /// The signing key, from `payrules keygen`.
    #[arg(long)]
    key: PathBuf,
}

/// Arguments of `payrules keygen`.
#[derive(clap::Args, Debug)]
pub struct KeygenArgs {
    /// Where to write the secret key (mode 0600); the public key goes to KEY.pub.
    key: PathBuf,
}

/// Runs `payrules sign`.
pub fn sign(args: &SignArgs) -> Result<u8> {
    let key = payrules_host::signing::read_signing_key(&args.key)?;
    let written = payrules_host::signing::sign(&args.rule_set, &key)
        .with_context(|| format!("cannot sign {}", args.rule_set.display()))?;
    if !crate::quiet() {
        writeln!(std::io::stdout().lock(), "signed {}: {}", args.rule_set.display(), written.display())?;
    }
    Ok(EXIT_CLEAN)
}

/// Runs `payrules keygen`.
pub fn keygen(args: &KeygenArgs) -> Result<u8> {
    let public = payrules_host::signing::generate_key(&args.key)?;
    if crate::quiet() {
        return Ok(EXIT_CLEAN);
    }
    writeln!(
        std::io::stdout().lock(),
        "wrote {} (secret) and {}.pub (public key {})",
        args.key.display(),
        args.key.display(),
        hex_key(public.as_bytes())
    )?;
    Ok(EXIT_CLEAN)
}

fn hex_key(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
