//! `payrules completions` and `payrules man`: shell completion scripts and
//! manual pages, generated from the same command definitions as `--help`
//! so they never disagree with it.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::EXIT_CLEAN;

/// Arguments of `payrules completions`.
#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    shell: clap_complete::Shell,
}

/// Arguments of `payrules man`.
#[derive(clap::Args, Debug)]
pub struct ManArgs {
    /// Write payrules.1 and a page per command (payrules-check.1, ...) into
    /// this folder instead of printing payrules.1.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

/// Prints the completion script for `args.shell`.
pub fn completions(args: &CompletionsArgs) -> Result<u8> {
    let mut command = crate::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut command, "payrules", &mut out);
    out.flush()?;
    Ok(EXIT_CLEAN)
}

/// Prints the manual page, or writes every page into `args.out_dir`.
pub fn man(args: &ManArgs) -> Result<u8> {
    let command = crate::command();
    match &args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(command, dir)
                .with_context(|| format!("cannot write the pages into {}", dir.display()))?;
            if !crate::quiet() {
                eprintln!("wrote the manual pages into {}", dir.display());
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(command).render(&mut out)?;
            out.flush()?;
        }
    }
    Ok(EXIT_CLEAN)
}
