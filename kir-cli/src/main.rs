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
            eprintln!("kir: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
