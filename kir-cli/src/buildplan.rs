//! `kir build-plan …`: TuxMake build plans and TuxSuite plan expansion.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use build_plan::emit::{self, Format};
use build_plan::tuxsuite::LocalOptions;
use build_plan::{Catalog, SystemHost, plan_args};
use clap::{Subcommand, ValueEnum};

#[derive(Subcommand)]
pub enum Cmd {
    /// Build plans: what TuxMake would run, what a TuxSuite plan expands to.
    #[command(name = "build-plan", subcommand)]
    BuildPlan(BuildPlanCmd),
}

#[derive(Subcommand)]
pub enum BuildPlanCmd {
    /// Print what `tuxmake` would run, without running it.
    ///
    /// Takes tuxmake's own options (-a, -t, -k, -K, -w, -e, -I, -z, -r, -C,
    /// -b, -o, -j, KEY=VALUE, targets) plus `--timestamp EPOCH` and
    /// `--dynamic NAME=VALUE`, and `--json` for plan.json instead of text.
    #[command(disable_help_flag = true)]
    Tuxmake {
        /// tuxmake arguments (and --json).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
    /// Expand a TuxSuite plan (matrix syntax allowed) into builds and tests.
    Expand {
        /// Plan file (YAML), or a build-set file with --set-name.
        plan: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CliFormat::Tuxsuite)]
        format: CliFormat,
        /// Read a legacy build-set file and take this set.
        #[arg(long)]
        set_name: Option<String>,
        /// Only jobs whose name matches this glob (repeatable).
        #[arg(long = "job-name")]
        job_names: Vec<String>,
        /// Source tree for the local command lines.
        #[arg(long, default_value = ".")]
        tree: String,
        /// Output base directory for the local command lines.
        #[arg(long, default_value = "output")]
        output_dir: String,
        /// Container runtime for the local command lines.
        #[arg(long, default_value = "podman")]
        runtime: String,
        /// Compiler wrapper for the local command lines.
        #[arg(long, default_value = "none")]
        wrapper: String,
        /// Build host the support matrix is checked for (x86_64 or arm64).
        #[arg(long, default_value = "x86_64")]
        host: String,
        /// Write the result here (atomically) instead of stdout.
        #[arg(short = 'O', long = "out")]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum CliFormat {
    /// A plain TuxSuite plan (matrix expanded).
    Tuxsuite,
    /// A JSON list of tuxmake/tuxrun command lines.
    Json,
    /// A GitLab CI child pipeline.
    Gitlab,
    /// TuxSuite's own expansion (plan items and local command lines) as JSON.
    Expansion,
}

pub fn run(cmd: Cmd) -> anyhow::Result<ExitCode> {
    let Cmd::BuildPlan(cmd) = cmd;
    let catalog = Catalog::tuxmake()?;
    match cmd {
        BuildPlanCmd::Tuxmake { args } => tuxmake(&catalog, args),
        BuildPlanCmd::Expand {
            plan,
            format,
            set_name,
            job_names,
            tree,
            output_dir,
            runtime,
            wrapper,
            host,
            out,
        } => {
            let text = std::fs::read_to_string(&plan)
                .with_context(|| format!("reading {}", plan.display()))?;
            let opts = LocalOptions {
                tree,
                output_dir,
                runtime,
                wrapper,
                job_names,
                plan_number: 1,
            };
            let format = match format {
                CliFormat::Tuxsuite => Format::Tuxsuite,
                CliFormat::Json => Format::Json,
                CliFormat::Gitlab => Format::Gitlab,
                CliFormat::Expansion => Format::Expansion,
            };
            let name = plan.display().to_string();
            let rendered = emit::expand_plan_text(
                &catalog,
                &text,
                &name,
                set_name.as_deref(),
                &opts,
                &host,
                format,
            )?;
            for warning in &rendered.warnings {
                eprintln!("kir: warning: {warning}");
            }
            match out {
                Some(path) => {
                    crate::output::refuse_input_as_output(&path, [("the plan", plan.as_path())])?;
                    crate::output::write_bytes(&path, rendered.text.as_bytes())?
                }
                None => std::io::stdout().write_all(rendered.text.as_bytes())?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

const TUXMAKE_HELP: &str = "\
usage: kir build-plan tuxmake [--json] [--timestamp EPOCH] [--dynamic NAME=VALUE]
                              [tuxmake options] [KEY=VALUE...] [target...]

Prints the commands tuxmake 1.45.0 would run for these options, without
running them: targets in order, preconditions, argv, environment, artifacts
and a reproducer.

tuxmake options (same meaning as tuxmake's):
  -C, --directory DIR         kernel source tree (default: .)
  -b, --build-dir DIR         build directory
  -o, --output-dir DIR        where artifacts would be collected
  -a, --target-arch ARCH      target architecture (arm64, x86_64, riscv, ...)
  -t, --toolchain NAME        gcc, clang, gcc-13, clang-17, llvm, ...
  -k, --kconfig CONFIG        defconfig, tinyconfig, a file or a URL
  -K, --kconfig-add ITEM      config fragment, URL, make target or CONFIG_X=y (repeatable)
  -I, --kernel-image NAME     Image, Image.gz, zImage, bzImage, ...
  -M, --make-target NAME      extra make target (repeatable)
  -w, --wrapper NAME          ccache, sccache or none
  -e, --environment KEY=VAL   environment variable for the build (repeatable)
  -j, --jobs N                parallel jobs
  -r, --runtime NAME          null, docker or podman
  -i, --image IMAGE           container image; --image-registry REGISTRY
  KEY=VALUE                   make variable (LLVM=1, CROSS_COMPILE=..., ...)
  target                      config, kernel, modules, dtbs, headers, ... (default: tuxmake's)
Accepted and without effect on the plan: -c/--color, -F/--fail-fast, -v, -q,
-d, -s, --pre-build-hook, --post-build-hook, --results-hook.

kir's own options:
  --json                      plan.json instead of text
  --timestamp EPOCH           KBUILD_BUILD_TIMESTAMP and archive times (seconds)
  --dynamic NAME=VALUE        value of a dynamic make variable tuxmake would probe
                              in its build environment
";

fn tuxmake(catalog: &Catalog, args: Vec<String>) -> anyhow::Result<ExitCode> {
    let end = args.iter().position(|a| a == "--").unwrap_or(args.len());
    if args[..end].iter().any(|a| a == "-h" || a == "--help") {
        print!("{TUXMAKE_HELP}");
        return Ok(ExitCode::SUCCESS);
    }
    let json = args[..end].iter().any(|a| a == "--json");
    let rest: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !(*i < end && *a == "--json"))
        .map(|(_, a)| a)
        .collect();
    let planned = match plan_args(catalog, &rest, &SystemHost) {
        Ok(planned) => planned,
        // A usage error exits 2, as tuxmake's (argparse's) do.
        Err(e @ build_plan::Error::Arguments { .. }) => {
            eprintln!("kir: error: {e}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    let text = if json {
        planned.to_json()
    } else {
        planned.to_text()
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
