//! The facts about the machine a TuxMake plan depends on.
//!
//! TuxMake reads a few things from its surroundings while planning: the
//! native architecture (the default target and the container support check),
//! environment variables (wrapper directories, image overrides), which
//! kconfig paths exist, and, for the null runtime, which compilers are on
//! `PATH`. The planner asks a [`Host`] for them, so planning is a pure
//! function of the request and the host facts. [`SystemHost`] reads the real
//! machine; [`StaticHost`] is plain data (tests, bindings, reproducible runs).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What the planner needs to know about the machine.
pub trait Host {
    /// `platform.machine()`: `x86_64`, `aarch64`, ...
    fn machine(&self) -> String;
    /// An environment variable, `None` when unset.
    fn env(&self, key: &str) -> Option<String>;
    /// Whether a path exists (relative paths are relative to the working directory).
    fn exists(&self, path: &str) -> bool;
    /// Whether `program` is found on `PATH` as an executable (`shutil.which`).
    fn which(&self, program: &str) -> bool;
    /// The working directory, to make relative paths absolute.
    fn cwd(&self) -> String;
    /// Number of CPUs (TuxMake's default `--jobs`).
    fn cpus(&self) -> u32;
    /// What TuxMake derives from a source tree for reproducible timestamps:
    /// the last commit time when the tree is a git checkout, else its mtime.
    fn tree_timestamp(&self, tree: &str) -> Option<String>;
    /// The output directory TuxMake would create when none is given
    /// (`~/.cache/tuxmake/builds/<next number>`); nothing is created here.
    fn default_output_dir(&self) -> String;
}

/// The real machine.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemHost;

impl Host for SystemHost {
    fn machine(&self) -> String {
        match std::env::consts::ARCH {
            "powerpc64" => "ppc64le".to_string(),
            other => other.to_string(),
        }
    }

    fn env(&self, key: &str) -> Option<String> {
        std::env::var(key).ok()
    }

    fn exists(&self, path: &str) -> bool {
        Path::new(path).exists()
    }

    fn which(&self, program: &str) -> bool {
        use std::os::unix::fs::PermissionsExt;
        let executable = |p: &Path| {
            p.metadata()
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        };
        if program.contains('/') {
            return executable(Path::new(program));
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path).any(|dir| executable(&dir.join(program)))
    }

    fn cwd(&self) -> String {
        std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "/".into())
    }

    fn cpus(&self) -> u32 {
        std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1)
    }

    fn tree_timestamp(&self, tree: &str) -> Option<String> {
        let dir = Path::new(tree);
        if dir.join(".git").exists() {
            let out = std::process::Command::new("git")
                .args(["log", "--date=unix", "--format=%cd", "--max-count=1"])
                .current_dir(dir)
                .output();
            if let Ok(out) = out {
                if out.status.success() {
                    return Some(String::from_utf8_lossy(&out.stdout).trim().to_string());
                }
            }
        }
        let mtime = dir.metadata().ok()?.modified().ok()?;
        let secs = mtime.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
        Some(secs.to_string())
    }

    fn default_output_dir(&self) -> String {
        let cache = std::env::var("XDG_CACHE_HOME")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| format!("{}/.cache", std::env::var("HOME").unwrap_or_default()));
        let base = format!("{cache}/tuxmake/builds");
        let next = std::fs::read_dir(&base)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
                    .max()
                    .unwrap_or(0)
            })
            .unwrap_or(0);
        format!("{base}/{}", next + 1)
    }
}

/// Host facts given as data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaticHost {
    /// `platform.machine()`.
    pub machine: String,
    /// Environment variables.
    pub env: BTreeMap<String, String>,
    /// Paths that exist.
    pub existing_paths: BTreeSet<String>,
    /// Programs found on PATH.
    pub programs: BTreeSet<String>,
    /// Working directory.
    pub cwd: String,
    /// CPU count.
    pub cpus: u32,
    /// Source tree timestamps by tree path.
    pub tree_timestamps: BTreeMap<String, String>,
    /// What [`Host::default_output_dir`] answers.
    pub default_output_dir: String,
}

impl StaticHost {
    /// An x86_64 host with `HOME` set and nothing else.
    pub fn x86_64(home: &str) -> StaticHost {
        StaticHost {
            machine: "x86_64".into(),
            env: BTreeMap::from([("HOME".to_string(), home.to_string())]),
            cwd: "/".into(),
            cpus: 1,
            default_output_dir: format!("{home}/.cache/tuxmake/builds/1"),
            ..StaticHost::default()
        }
    }
}

impl Host for StaticHost {
    fn machine(&self) -> String {
        self.machine.clone()
    }

    fn env(&self, key: &str) -> Option<String> {
        self.env.get(key).cloned()
    }

    fn exists(&self, path: &str) -> bool {
        self.existing_paths.contains(path)
    }

    fn which(&self, program: &str) -> bool {
        self.programs.contains(program)
    }

    fn cwd(&self) -> String {
        self.cwd.clone()
    }

    fn cpus(&self) -> u32 {
        self.cpus.max(1)
    }

    fn tree_timestamp(&self, tree: &str) -> Option<String> {
        self.tree_timestamps.get(tree).cloned()
    }

    fn default_output_dir(&self) -> String {
        self.default_output_dir.clone()
    }
}
