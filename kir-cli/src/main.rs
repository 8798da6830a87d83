//! The `kir` command line.
//!
//! Each area of kir has its own module defining its subcommands and how to run
//! them; this file only gathers them. Subcommands that replace an existing tool
//! accept that tool's flags. Progress and results go to the person on
//! stdout/stderr; a failure prints `kir: error: ...` and exits non-zero.

mod boot;
mod buildplan;
mod disk;
mod lava;
mod output;
mod repack;
mod rootfs;
mod testplan;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "kir",
    version,
    about = "Kernel-lab tooling: boot images, rootfs images, LAVA jobs, build plans"
)]
struct Cli {
    /// Print the library's decisions (log level debug) on stderr.
    #[arg(long, global = true)]
    debug: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    #[command(flatten)]
    Boot(boot::Cmd),
    #[command(flatten)]
    Repack(repack::Cmd),
    #[command(flatten)]
    Rootfs(rootfs::Cmd),
    #[command(flatten)]
    Disk(disk::Cmd),
    #[command(flatten)]
    Lava(lava::Cmd),
    #[command(flatten)]
    Testplan(testplan::Cmd),
    #[command(flatten)]
    Buildplan(buildplan::Cmd),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = if cli.debug {
        log::LevelFilter::Debug
    } else {
        log::LevelFilter::Warn
    };
    env_logger::Builder::new()
        .filter_level(level)
        .format_timestamp(None)
        .init();

    let result = match cli.command {
        Command::Boot(cmd) => boot::run(cmd),
        Command::Repack(cmd) => repack::run(cmd),
        Command::Rootfs(cmd) => rootfs::run(cmd),
        Command::Disk(cmd) => disk::run(cmd),
        Command::Lava(cmd) => lava::run(cmd),
        Command::Testplan(cmd) => testplan::run(cmd),
        Command::Buildplan(cmd) => buildplan::run(cmd),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("kir: error: {}", describe(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes joined by ": ", leaving out a cause whose text
/// already ends the message (kir-core's I/O errors name the OS error in their
/// own text and also give it as their source).
fn describe(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.ends_with(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_os_error_given_as_text_and_as_source_is_printed_once() {
        let os = std::io::Error::from(std::io::ErrorKind::NotFound);
        let err =
            anyhow::Error::new(kir_core::Error::io("rootfs.tar", os)).context("reading the rootfs");
        let text = describe(&err);
        assert_eq!(text.matches("not found").count(), 1, "{text}");
        assert!(
            text.starts_with("reading the rootfs: rootfs.tar: "),
            "{text}"
        );
    }
}
