//! Subcommands of this area.

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Subcommand)]
pub enum Cmd {}

pub fn run(cmd: Cmd) -> anyhow::Result<ExitCode> {
    match cmd {}
}
