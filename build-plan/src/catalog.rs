//! TuxMake's catalogue as data: architectures, toolchains, targets, wrappers,
//! container images and their hosts, and the handful of behaviours TuxMake
//! keeps in code (written down in `planner.json`).
//!
//! The files live in `data/tuxmake-<version>/` and are embedded at build
//! time; [`Catalog::from_dir`] reads a directory with the same layout, so a
//! new toolchain version or target is a data change, not a code change.
//!
//! ```
//! let catalog = build_plan::Catalog::tuxmake().unwrap();
//! assert_eq!(catalog.architectures.len(), 23);
//! assert_eq!(catalog.resolve_arch("aarch64"), Some("arm64"));
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use indexmap::IndexMap;
use regex::Regex;
use serde::Deserialize;

use crate::error::{Error, Result};

/// Ordered string map: order is meaningful for make variables.
pub type VarMap = IndexMap<String, String>;

/// One architecture (`arch/<name>.ini`).
#[derive(Debug, Clone, Deserialize)]
pub struct Architecture {
    /// `ARCH`, `SRCARCH`, `CROSS_COMPILE`, ... in file order.
    pub makevars: VarMap,
    /// Variables whose value is probed by a shell command in the build
    /// environment (arm64's `CROSS_COMPILE_COMPAT`).
    pub dynamic_makevars: VarMap,
    /// Per-target names, e.g. `kernel = Image.gz`.
    pub targets: VarMap,
    /// Per-target artifact paths relative to the build directory.
    pub artifacts: VarMap,
    /// `(toolchain regex, image template)`; first match wins.
    pub images: Vec<(String, String)>,
}

/// One toolchain family file (`toolchain/<family>.ini`).
#[derive(Debug, Clone, Deserialize)]
pub struct ToolchainFamily {
    /// Make variables this family adds.
    pub makevars: VarMap,
    /// Extra or overriding make variables per architecture.
    pub arch_makevars: IndexMap<String, VarMap>,
    /// Image template (`tuxmake/{arch}_{toolchain}`).
    pub image: String,
    /// Compiler looked up on PATH by the null runtime (`{CROSS_COMPILE}gcc`).
    pub compiler: String,
    /// Triplet suffix for kernel.org GCC (`linux`).
    pub suffix: Option<String>,
}

/// Toolchain families and the names container runtimes know.
#[derive(Debug, Clone, Deserialize)]
pub struct Toolchains {
    /// Family file aliases (`rust` reads `rustgcc`).
    pub aliases: IndexMap<String, String>,
    /// Family files by name.
    pub families: IndexMap<String, ToolchainFamily>,
    /// Toolchain names the container runtimes list, in their order.
    pub container_toolchains: Vec<String>,
    /// Full versions of kernel.org GCC releases (`korg-gcc-13` = `13.4.0`).
    pub full_versions: IndexMap<String, String>,
}

/// One build target (`target/<name>.ini`).
#[derive(Debug, Clone, Deserialize)]
pub struct TargetSpec {
    /// Description, quotes included as TuxMake keeps them.
    pub description: Option<String>,
    /// Targets that must pass first.
    pub dependencies: Vec<String>,
    /// Targets that, when also requested, must run first.
    pub runs_after: Vec<String>,
    /// Commands that must succeed or the target is skipped.
    pub preconditions: Vec<Vec<String>>,
    /// Commands, each an argv of templates.
    pub commands: Vec<Vec<String>>,
    /// A failing command makes the target WARNING instead of FAIL.
    pub nonfatal: bool,
    /// Kconfig fragments the target needs.
    pub kconfig_add: Vec<String>,
    /// Make variables this target adds (placed before the build's own).
    pub makevars: VarMap,
    /// `name -> path` artifacts, or `None` for "the architecture decides".
    pub artifacts: Option<VarMap>,
}

/// One compiler wrapper (`wrapper/<name>.ini`).
#[derive(Debug, Clone, Deserialize)]
pub struct WrapperSpec {
    /// Environment (values with `~` expand to the home directory).
    pub environment: VarMap,
    /// The wrapper command put in front of the compiler.
    pub wrapper: Option<String>,
    /// Commands run once before the build.
    pub prepare: Vec<Vec<String>>,
}

/// A compression type for artifacts.
#[derive(Debug, Clone, Deserialize)]
pub struct Compression {
    /// What `{z}` expands to.
    pub command: Vec<String>,
    /// What `{z_ext}` expands to.
    pub extension: String,
}

/// General TuxMake facts.
#[derive(Debug, Clone, Deserialize)]
pub struct TuxmakeFacts {
    /// The release this catalogue describes.
    pub version: String,
    /// `--kconfig` default.
    pub default_kconfig: String,
    /// Targets built when none are named.
    pub default_targets: Vec<String>,
    /// Compression when none is named.
    pub default_compression: String,
    /// Compression types.
    pub compression: IndexMap<String, Compression>,
    /// Runtime names.
    pub runtimes: Vec<String>,
    /// Make variables a user may not set.
    pub rejected_make_variables: Vec<String>,
    /// TuxMake architecture name -> kernel.org toolchain architecture.
    pub korg_arch_map: IndexMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
struct ImagesFile {
    images: IndexMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
struct ArchitecturesFile {
    aliases: IndexMap<String, String>,
    architectures: IndexMap<String, Architecture>,
}

/// The kselftest rule for clang toolchains.
#[derive(Debug, Clone, Deserialize)]
pub struct KselftestClang {
    /// Applies when the toolchain name contains this.
    pub toolchain_contains: String,
    /// Make variables set unless the target already has them.
    pub default_makevars: VarMap,
    /// Build make variables left off the target's make command lines.
    pub exclude_build_makevars: Vec<String>,
}

/// Kconfig handling rules.
#[derive(Debug, Clone, Deserialize)]
pub struct KconfigRules {
    /// A base config that is a make target (`defconfig`, `tinyconfig`).
    pub named: String,
    /// An in-tree fragment run as a make target (`kvm_guest.config`).
    pub in_tree_fragment: String,
    /// Inline `CONFIG_` lines.
    pub inline: Vec<String>,
    /// Explicit make target prefix.
    pub make_prefix: String,
    /// Explicit interactive make target prefix.
    pub interactive_make_prefix: String,
    /// Merge command (fragment files are appended).
    pub merge_command: Vec<String>,
    /// Target run after merging files.
    pub finish_target: String,
}

/// A value refused for a make variable.
#[derive(Debug, Clone, Deserialize)]
pub struct RejectedValue {
    /// The variable.
    pub variable: String,
    /// The refused value.
    pub value: String,
    /// Why.
    pub reason: String,
}

/// A kconfig that contradicts the target architecture.
#[derive(Debug, Clone, Deserialize)]
pub struct KconfigArchConflict {
    /// The kconfig name.
    pub kconfig: String,
    /// The architecture it conflicts with.
    pub arch: String,
    /// Why.
    pub reason: String,
}

/// Checks beyond TuxMake's own.
#[derive(Debug, Clone, Deserialize)]
pub struct Lints {
    /// Refused make variable values.
    pub rejected_values: Vec<RejectedValue>,
    /// Refused kconfig/architecture pairs.
    pub kconfig_arch_conflicts: Vec<KconfigArchConflict>,
}

/// Behaviour TuxMake keeps in code, as data.
#[derive(Debug, Clone, Deserialize)]
pub struct PlannerRules {
    /// Toolchain name pattern (searched, not anchored): family = group 1,
    /// version = group 4.
    pub toolchain_pattern: String,
    /// Target names that are passed to make as they are.
    pub make_target_pattern: String,
    /// Targets with special behaviour: `kconfig`, `kernel`, `kselftest`.
    pub target_kinds: IndexMap<String, String>,
    /// Kernel image names whose artifact is at the top of the build dir.
    pub kernel_artifact_in_build_dir: Vec<String>,
    /// Kselftest with clang.
    pub kselftest_clang: KselftestClang,
    /// `{make}` starts with this.
    pub make_command: Vec<String>,
    /// Added unless verbose.
    pub silent_flag: String,
    /// Added unless fail-fast.
    pub keep_going_flag: String,
    /// `{tar_caf}` (`{timestamp}` expanded).
    pub tar_caf: Vec<String>,
    /// Environment every build gets (before the user's).
    pub build_environment: Vec<(String, String)>,
    /// Environment the runtime adds last.
    pub runtime_environment: Vec<(String, String)>,
    /// Environment left out of the reproducer unless the user set it.
    pub reproducer_drops_environment: Vec<String>,
    /// Registry prefixed to short image names.
    pub image_registry: String,
    /// Kconfig rules.
    pub kconfig: KconfigRules,
    /// Checks beyond TuxMake's.
    pub lints: Lints,
}

/// Compiled patterns, built once with the catalogue.
#[derive(Debug, Clone)]
pub(crate) struct Patterns {
    pub toolchain: Regex,
    pub make_target: Regex,
    pub kconfig_named: Regex,
    pub kconfig_in_tree: Regex,
    pub kconfig_inline: Vec<Regex>,
    pub arch_images: BTreeMap<String, Vec<(Regex, String)>>,
}

/// The whole catalogue.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// General facts.
    pub tuxmake: TuxmakeFacts,
    /// Architecture aliases (`aarch64 -> arm64`).
    pub arch_aliases: IndexMap<String, String>,
    /// The architectures, by canonical name.
    pub architectures: IndexMap<String, Architecture>,
    /// Toolchains.
    pub toolchains: Toolchains,
    /// Targets by name.
    pub targets: IndexMap<String, TargetSpec>,
    /// Wrappers by name.
    pub wrappers: IndexMap<String, WrapperSpec>,
    /// Container image name (`tuxmake/arm64_gcc-13`) -> hosts (`amd64`, `arm64`).
    pub images: IndexMap<String, Vec<String>>,
    /// Behaviour written down as data.
    pub rules: PlannerRules,
    pub(crate) patterns: Patterns,
}

const EMBEDDED: [(&str, &str); 7] = [
    (
        "tuxmake.json",
        include_str!("../data/tuxmake-1.45.0/tuxmake.json"),
    ),
    (
        "architectures.json",
        include_str!("../data/tuxmake-1.45.0/architectures.json"),
    ),
    (
        "toolchains.json",
        include_str!("../data/tuxmake-1.45.0/toolchains.json"),
    ),
    (
        "targets.json",
        include_str!("../data/tuxmake-1.45.0/targets.json"),
    ),
    (
        "wrappers.json",
        include_str!("../data/tuxmake-1.45.0/wrappers.json"),
    ),
    (
        "images.json",
        include_str!("../data/tuxmake-1.45.0/images.json"),
    ),
    (
        "planner.json",
        include_str!("../data/tuxmake-1.45.0/planner.json"),
    ),
];

fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Catalog {
        file: file.to_string(),
        reason: e.to_string(),
    })
}

fn regex(file: &str, pattern: &str) -> Result<Regex> {
    Regex::new(pattern).map_err(|e| Error::Catalog {
        file: file.to_string(),
        reason: format!("pattern {pattern:?}: {e}"),
    })
}

impl Catalog {
    /// The embedded catalogue of TuxMake 1.45.0.
    pub fn tuxmake() -> Result<Catalog> {
        Catalog::from_files(|name| {
            EMBEDDED
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, text)| text.to_string())
                .ok_or_else(|| Error::Catalog {
                    file: name.into(),
                    reason: "not embedded".into(),
                })
        })
    }

    /// A catalogue read from a directory laid out like `data/tuxmake-1.45.0/`.
    pub fn from_dir(dir: &Path) -> Result<Catalog> {
        Catalog::from_files(|name| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|e| Error::Catalog {
                file: path.display().to_string(),
                reason: e.to_string(),
            })
        })
    }

    fn from_files(read: impl Fn(&str) -> Result<String>) -> Result<Catalog> {
        let tuxmake: TuxmakeFacts = parse("tuxmake.json", &read("tuxmake.json")?)?;
        let arches: ArchitecturesFile = parse("architectures.json", &read("architectures.json")?)?;
        let toolchains: Toolchains = parse("toolchains.json", &read("toolchains.json")?)?;
        let targets: IndexMap<String, TargetSpec> = parse("targets.json", &read("targets.json")?)?;
        let wrappers: IndexMap<String, WrapperSpec> =
            parse("wrappers.json", &read("wrappers.json")?)?;
        let images: ImagesFile = parse("images.json", &read("images.json")?)?;
        let rules: PlannerRules = parse("planner.json", &read("planner.json")?)?;

        let mut arch_images = BTreeMap::new();
        for (name, arch) in &arches.architectures {
            let mut compiled = Vec::new();
            for (pattern, image) in &arch.images {
                // TuxMake matches with re.match: anchored at the start only.
                compiled.push((
                    regex("architectures.json", &format!("^(?:{pattern})"))?,
                    image.clone(),
                ));
            }
            arch_images.insert(name.clone(), compiled);
        }
        let patterns = Patterns {
            toolchain: regex("planner.json", &rules.toolchain_pattern)?,
            make_target: regex("planner.json", &rules.make_target_pattern)?,
            kconfig_named: regex("planner.json", &rules.kconfig.named)?,
            kconfig_in_tree: regex("planner.json", &rules.kconfig.in_tree_fragment)?,
            kconfig_inline: rules
                .kconfig
                .inline
                .iter()
                .map(|p| regex("planner.json", p))
                .collect::<Result<_>>()?,
            arch_images,
        };
        let catalog = Catalog {
            tuxmake,
            arch_aliases: arches.aliases,
            architectures: arches.architectures,
            toolchains,
            targets,
            wrappers,
            images: images.images,
            rules,
            patterns,
        };
        catalog.check()?;
        Ok(catalog)
    }

    /// Cross-file consistency: every reference points at something that exists.
    fn check(&self) -> Result<()> {
        let bad = |file: &str, reason: String| {
            Err(Error::Catalog {
                file: file.into(),
                reason,
            })
        };
        for (alias, arch) in &self.arch_aliases {
            if !self.architectures.contains_key(arch) {
                return bad(
                    "architectures.json",
                    format!("alias {alias} names unknown {arch}"),
                );
            }
        }
        for (name, target) in &self.targets {
            for dep in target.dependencies.iter().chain(&target.runs_after) {
                if !self.targets.contains_key(dep) {
                    return bad(
                        "targets.json",
                        format!("target {name} depends on unknown {dep}"),
                    );
                }
            }
        }
        for t in &self.tuxmake.default_targets {
            if !self.targets.contains_key(t) {
                return bad("tuxmake.json", format!("default target {t} is unknown"));
            }
        }
        if !self
            .tuxmake
            .compression
            .contains_key(&self.tuxmake.default_compression)
        {
            return bad("tuxmake.json", "default compression is unknown".into());
        }
        for (alias, family) in &self.toolchains.aliases {
            if !self.toolchains.families.contains_key(family) {
                return bad(
                    "toolchains.json",
                    format!("alias {alias} names unknown {family}"),
                );
            }
        }
        Ok(())
    }

    /// Canonical architecture name for a name or alias.
    pub fn resolve_arch<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        let canonical = self
            .arch_aliases
            .get(name)
            .map(String::as_str)
            .unwrap_or(name);
        self.architectures
            .get_key_value(canonical)
            .map(|(k, _)| k.as_str())
    }

    /// Canonical architecture names, sorted.
    pub fn architecture_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.architectures.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// Architectures a container runtime supports for `toolchain` on a host
    /// (`x86_64`/`amd64` or `arm64`/`aarch64`), sorted.
    pub fn supported_arches(&self, toolchain: &str, host: &str) -> Vec<&str> {
        self.architecture_names()
            .into_iter()
            .filter(|arch| {
                crate::tuxmake::resolve_toolchain(self, toolchain)
                    .map(|tc| crate::tuxmake::container_supported(self, arch, &tc, host))
                    .unwrap_or(false)
            })
            .collect()
    }
}
