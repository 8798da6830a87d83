//! The TuxMake planner: what `tuxmake` 1.45.0 would run for a request, as
//! data, without running anything.
//!
//! ```
//! use build_plan::{Catalog, Request, StaticHost, plan};
//!
//! let catalog = Catalog::tuxmake().unwrap();
//! let request = Request {
//!     tree: "/src/linux".into(),
//!     build_dir: Some("/tmp/build".into()),
//!     output_dir: Some("/tmp/out".into()),
//!     jobs: Some(8),
//!     timestamp: Some("1700000000".into()),
//!     target_arch: Some("arm64".into()),
//!     toolchain: Some("gcc-13".into()),
//!     runtime: Some("docker".into()),
//!     targets: vec!["kernel".into()],
//!     ..Request::default()
//! };
//! let plan = plan(&catalog, &request, &StaticHost::x86_64("/root")).unwrap();
//! assert_eq!(plan.resolved.target_order, ["config", "default", "kernel"]);
//! assert_eq!(plan.resolved.image, "docker.io/tuxmake/arm64_gcc-13");
//! ```

use std::collections::BTreeSet;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::catalog::{Architecture, Catalog, TargetSpec, ToolchainFamily, VarMap};
use crate::error::{Error, Result};
use crate::host::Host;
use crate::text::{format_fields, join_path, normalize_path};

/// Everything `tuxmake` takes on its command line (or `tuxmake.build.Build`
/// as keyword arguments), plus the runtime facts a plan depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Request {
    /// `-C`: source tree.
    pub tree: String,
    /// `-b`: build directory (default `<output_dir>/build`).
    pub build_dir: Option<String>,
    /// `-o`: output directory (default: a new `~/.cache/tuxmake/builds/N`).
    pub output_dir: Option<String>,
    /// `-j` (default: CPU count).
    pub jobs: Option<u32>,
    /// Source timestamp (default: derived from the tree like TuxMake does).
    pub timestamp: Option<String>,
    /// `-a` (default: the host's architecture).
    pub target_arch: Option<String>,
    /// `-t` (default: gcc, adding no make variables).
    pub toolchain: Option<String>,
    /// `-w`.
    pub wrapper: Option<String>,
    /// `-e KEY=VALUE`.
    pub environment: VarMap,
    /// `-k` (default `defconfig`).
    pub kconfig: Option<String>,
    /// `-K`, in order.
    pub kconfig_add: Vec<String>,
    /// `KEY=VALUE` make variables, in order.
    pub make_variables: VarMap,
    /// Targets (default: TuxMake's default list).
    pub targets: Vec<String>,
    /// `-M`: arbitrary Kbuild targets.
    pub make_targets: Vec<String>,
    /// `-I`: kernel image override.
    pub kernel_image: Option<String>,
    /// `-z`: `xz` or `none`.
    pub compression_type: Option<String>,
    /// `-r` (default `null`).
    pub runtime: Option<String>,
    /// `-i`: container image (what `TUXMAKE_IMAGE` sets).
    pub image: Option<String>,
    /// `--image-registry` (what `TUXMAKE_IMAGE_REGISTRY` sets).
    pub image_registry: Option<String>,
    /// `-F`.
    pub fail_fast: bool,
    /// `-v`.
    pub verbose: bool,
    /// `-q`.
    pub quiet: bool,
    /// `-d`.
    pub debug: bool,
    /// Values of dynamic make variables (what TuxMake would probe in the
    /// build environment), e.g. `CROSS_COMPILE_COMPAT`.
    pub dynamic: VarMap,
}

/// The request as the plan records it (`inputs` in plan.json).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inputs {
    /// Absolute source tree.
    pub tree: String,
    /// Build directory.
    pub build_dir: String,
    /// Output directory.
    pub output_dir: String,
    /// Parallel jobs.
    pub jobs: u32,
    /// Source timestamp.
    pub timestamp: String,
    /// As requested.
    pub target_arch: Option<String>,
    /// As requested.
    pub toolchain: Option<String>,
    /// As requested.
    pub wrapper: Option<String>,
    /// Kconfig (default applied).
    pub kconfig: String,
    /// As requested.
    pub kconfig_add: Vec<String>,
    /// Make variables, with resolved dynamic ones appended.
    pub make_variables: VarMap,
    /// As requested.
    pub targets: Vec<String>,
    /// As requested.
    pub make_target: Vec<String>,
    /// As requested.
    pub kernel_image: Option<String>,
    /// As requested.
    pub compression_type: Option<String>,
    /// As requested.
    pub environment: VarMap,
    /// Runtime name.
    pub runtime: String,
    /// Values given for dynamic variables.
    pub dynamic_resolution: VarMap,
}

/// A kconfig fragment fetched from a URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlSource {
    /// Where from.
    pub url: String,
    /// Where to (`<build_dir>/<i>.config` or `.config`).
    pub dest: String,
}

/// Where a kconfig file written before the config commands comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum KconfigSource {
    /// Downloaded.
    Url(String),
    /// Copied from a local path.
    File(String),
    /// Copied from a path inside the source tree.
    InTree(String),
    /// An inline `CONFIG_...` line appended to the file.
    Inline(String),
}

/// A file the config step writes before its commands run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KconfigFile {
    /// Destination path.
    pub dest: String,
    /// Content source.
    pub source: KconfigSource,
}

/// Resolved names and variables (`resolved` in plan.json).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolved {
    /// Canonical architecture.
    pub target_arch: String,
    /// `SRCARCH` or `ARCH`.
    pub source_arch: String,
    /// Toolchain name.
    pub toolchain: String,
    /// Wrapper name.
    pub wrapper: String,
    /// Container image.
    pub image: String,
    /// Build make variables, in command-line order.
    pub makevars: VarMap,
    /// Probe commands of dynamic variables.
    pub dynamic_make_variables: VarMap,
    /// Environment of every command.
    pub environment: VarMap,
    /// Kconfig fragments including those targets add.
    pub kconfig_add_final: Vec<String>,
    /// Kconfig files downloaded before the config commands.
    pub kconfig_url_sources: Vec<UrlSource>,
    /// `--keep-going` passed to make.
    pub keep_going: bool,
    /// Cross prefix inside the kernel.org GCC tarball.
    pub korg_gcc_cross_prefix: Option<String>,
    /// Targets in execution order.
    pub target_order: Vec<String>,
    /// Every kconfig file written before the config commands (URL, local,
    /// in-tree and inline sources). Not part of the plan.json schema.
    #[serde(skip)]
    pub kconfig_files: Vec<KconfigFile>,
}

/// One command of a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// Exact argv.
    pub argv: Vec<String>,
    /// Needs a terminal (`imake:` fragments).
    pub interactive: bool,
}

/// One target, ready to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetPlan {
    /// Target name (`make:<kbuild target>` for pass-through targets).
    pub name: String,
    /// Description as TuxMake keeps it.
    pub description: Option<String>,
    /// Must have passed (PASS or WARNING), else this target is SKIP.
    pub dependencies: Vec<String>,
    /// Ordering-only predecessors.
    pub runs_after: Vec<String>,
    /// Failing commands give WARNING, not FAIL.
    pub nonfatal: bool,
    /// Commands that must succeed (a leading `!` inverts), else SKIP.
    pub preconditions: Vec<Vec<String>>,
    /// The commands.
    pub commands: Vec<Command>,
    /// The target's own make variables, unexpanded.
    pub target_makevars: VarMap,
    /// Build make variables left off this target's make commands.
    pub excluded_build_makevars: Vec<String>,
    /// `name in output dir -> path in build dir` (globs allowed).
    pub artifacts: VarMap,
}

/// What TuxMake would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The TuxMake release this plan reproduces.
    pub tuxmake_version: String,
    /// The request.
    pub inputs: Inputs,
    /// Resolved names and variables.
    pub resolved: Resolved,
    /// Targets in order.
    pub targets: Vec<TargetPlan>,
    /// `tuxmake ...` command line that reproduces the build (reproducer.sh).
    pub reproducer_cmdline: Vec<String>,
}

impl Plan {
    /// The plan as plan.json (pretty, two-space indent, trailing newline).
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// A readable rendering: targets in order with their conditions,
    /// shell-quoted commands and artifacts.
    pub fn to_text(&self) -> String {
        use crate::text::shell_join;
        let r = &self.resolved;
        let mut out = format!(
            "tuxmake {} plan: {} with {} (runtime {}, image {})\n",
            self.tuxmake_version, r.target_arch, r.toolchain, self.inputs.runtime, r.image
        );
        out.push_str(&format!("build dir: {}\n", self.inputs.build_dir));
        let vars: Vec<String> = r.makevars.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push_str(&format!("make variables: {}\n", shell_join(&vars)));
        let env: Vec<String> = r
            .environment
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        out.push_str(&format!("environment: {}\n", shell_join(&env)));
        for f in &r.kconfig_files {
            let (kind, from) = match &f.source {
                KconfigSource::Url(u) => ("download", u),
                KconfigSource::File(p) => ("copy", p),
                KconfigSource::InTree(p) => ("copy", p),
                KconfigSource::Inline(l) => ("append line", l),
            };
            out.push_str(&format!("kconfig file: {} <- {kind} {from}\n", f.dest));
        }
        for t in &self.targets {
            out.push_str(&format!("\n[{}]", t.name));
            if let Some(d) = &t.description {
                out.push_str(&format!(" {}", d.trim_matches('"')));
            }
            if !t.dependencies.is_empty() {
                out.push_str(&format!(" (needs {})", t.dependencies.join(", ")));
            }
            if t.nonfatal {
                out.push_str(" (nonfatal)");
            }
            out.push('\n');
            for p in &t.preconditions {
                out.push_str(&format!("  only if: {}\n", shell_join(p)));
            }
            for c in &t.commands {
                let tty = if c.interactive { " (interactive)" } else { "" };
                out.push_str(&format!("  $ {}{tty}\n", shell_join(&c.argv)));
            }
            for (name, path) in &t.artifacts {
                out.push_str(&format!("  artifact {name} <- {path}\n"));
            }
        }
        out.push_str(&format!(
            "\nreproducer: {}\n",
            shell_join(&self.reproducer_cmdline)
        ));
        out
    }
}

/// A toolchain name resolved to its family file.
#[derive(Debug, Clone)]
pub(crate) struct Toolchain<'c> {
    pub name: String,
    pub family: &'c ToolchainFamily,
    pub version_suffix: String,
    /// No `-t`: gcc without its make variables.
    pub implicit: bool,
}

/// Resolves a toolchain name the way TuxMake does: the pattern is searched
/// (not anchored) for a family and version; a family file named like the
/// whole name wins.
pub(crate) fn resolve_toolchain<'c>(catalog: &'c Catalog, name: &str) -> Result<Toolchain<'c>> {
    let (family, version) = match catalog.patterns.toolchain.captures(name) {
        Some(c) => (
            c.get(1).map(|m| m.as_str()).unwrap_or(""),
            c.get(4).map(|m| m.as_str()).unwrap_or(""),
        ),
        None => ("", ""),
    };
    let config_name = if catalog.toolchains.families.contains_key(name)
        || catalog.toolchains.aliases.contains_key(name)
    {
        name
    } else {
        family
    };
    let family_name = catalog
        .toolchains
        .aliases
        .get(config_name)
        .map(String::as_str)
        .unwrap_or(config_name);
    let Some(family_spec) = catalog.toolchains.families.get(family_name) else {
        let mut known: Vec<&str> = catalog
            .toolchains
            .container_toolchains
            .iter()
            .map(String::as_str)
            .collect();
        known.sort_unstable();
        return Err(Error::unsupported(
            format!("--toolchain={name}"),
            format!(
                "unknown toolchain (names are gcc, clang, korg-gcc, korg-clang, rust, rustgcc or \
                 rustclang, optionally with -VERSION; container images exist for: {})",
                known.join(", ")
            ),
        ));
    };
    Ok(Toolchain {
        name: name.to_string(),
        family: family_spec,
        version_suffix: if version.is_empty() {
            String::new()
        } else {
            format!("-{version}")
        },
        implicit: false,
    })
}

fn image_for(catalog: &Catalog, arch: &str, tc: &Toolchain) -> Result<String> {
    let fields = |key: &str| match key {
        "arch" => Some(arch.to_string()),
        "toolchain" => Some(tc.name.clone()),
        "version_suffix" => Some(tc.version_suffix.clone()),
        _ => None,
    };
    if let Some(patterns) = catalog.patterns.arch_images.get(arch) {
        for (pattern, image) in patterns {
            if pattern.is_match(&tc.name) {
                return format_fields(image, fields);
            }
        }
    }
    format_fields(&tc.family.image, fields)
}

fn native_names(catalog: &Catalog, host_arch: &str) -> Vec<String> {
    let canonical = catalog
        .resolve_arch(host_arch)
        .unwrap_or(host_arch)
        .to_string();
    let mut names = vec![canonical.clone()];
    names.extend(
        catalog
            .arch_aliases
            .iter()
            .filter(|(_, v)| **v == canonical)
            .map(|(k, _)| k.clone()),
    );
    names
}

/// Whether the container runtimes have an image for `arch` and `tc` that
/// runs on `host` (`x86_64`, `amd64`, `arm64`, `aarch64`).
pub(crate) fn container_supported(
    catalog: &Catalog,
    arch: &str,
    tc: &Toolchain,
    host: &str,
) -> bool {
    let image_name = if tc.name.starts_with("korg-gcc") {
        format!("tuxmake/{arch}_{}", tc.name)
    } else {
        match image_for(catalog, arch, tc) {
            Ok(name) => name,
            Err(_) => return false,
        }
    };
    let Some(hosts) = catalog.images.get(&image_name) else {
        return false;
    };
    native_names(catalog, host)
        .iter()
        .any(|n| hosts.contains(n))
}

/// A target in the build's list.
#[derive(Debug, Clone)]
enum TargetDef<'c> {
    Spec { name: String, spec: &'c TargetSpec },
    Make { name: String, make_target: String },
}

impl TargetDef<'_> {
    fn name(&self) -> &str {
        match self {
            TargetDef::Spec { name, .. } | TargetDef::Make { name, .. } => name,
        }
    }

    fn dependencies(&self) -> Vec<String> {
        match self {
            TargetDef::Spec { spec, .. } => spec.dependencies.clone(),
            TargetDef::Make { .. } => vec!["config".to_string()],
        }
    }

    fn runs_after(&self) -> Vec<String> {
        match self {
            TargetDef::Spec { spec, .. } => spec.runs_after.clone(),
            TargetDef::Make { .. } => Vec::new(),
        }
    }
}

fn create_target<'c>(catalog: &'c Catalog, name: &str) -> Result<TargetDef<'c>> {
    let special = catalog.rules.target_kinds.contains_key(name);
    if !special && catalog.patterns.make_target.is_match(name) {
        return Ok(TargetDef::Make {
            name: format!("make:{name}"),
            make_target: name.to_string(),
        });
    }
    match catalog.targets.get(name) {
        Some(spec) => Ok(TargetDef::Spec {
            name: name.to_string(),
            spec,
        }),
        None => {
            let mut known: Vec<&str> = catalog.targets.keys().map(String::as_str).collect();
            known.sort_unstable();
            Err(Error::unsupported(
                format!("target {name}"),
                format!(
                    "unknown target (known: {}; Kbuild targets such as drivers/mmc/ or foo.o \
                     pass through, or use --make-target)",
                    known.join(", ")
                ),
            ))
        }
    }
}

/// TuxMake's target list: a depth-first walk that appends a target after
/// its dependencies and its ordering-only predecessors; ordering-only
/// targets that were never requested are dropped at the end.
struct TargetList<'c> {
    catalog: &'c Catalog,
    targets: Vec<TargetDef<'c>>,
    ordering_only: IndexMap<String, bool>,
}

impl<'c> TargetList<'c> {
    fn add(&mut self, name: &str, ordering_only: bool, depth: usize) -> Result<()> {
        if depth > 64 {
            return Err(Error::Catalog {
                file: "targets.json".into(),
                reason: format!("dependency cycle through {name}"),
            });
        }
        let target = create_target(self.catalog, name)?;
        let tname = target.name().to_string();
        if ordering_only {
            self.ordering_only.entry(tname.clone()).or_insert(true);
        } else {
            self.ordering_only.insert(tname.clone(), false);
        }
        for dep in target.dependencies() {
            self.add(&dep, ordering_only, depth + 1)?;
        }
        for after in target.runs_after() {
            self.add(&after, true, depth + 1)?;
        }
        if !self.targets.iter().any(|t| t.name() == tname) {
            self.targets.push(target);
        }
        Ok(())
    }

    fn add_make_target(&mut self, make_target: &str) {
        let name = format!("make:{make_target}");
        if !self.targets.iter().any(|t| t.name() == name) {
            self.ordering_only.insert(name.clone(), false);
            self.targets.push(TargetDef::Make {
                name,
                make_target: make_target.to_string(),
            });
        }
    }

    fn finish(self) -> Vec<TargetDef<'c>> {
        let ordering_only = self.ordering_only;
        self.targets
            .into_iter()
            .filter(|t| !ordering_only.get(t.name()).copied().unwrap_or(false))
            .collect()
    }
}

/// Everything a command template may refer to.
struct Expander<'a> {
    catalog: &'a Catalog,
    source_tree: String,
    build_dir: String,
    source_arch: String,
    toolchain: String,
    wrapper: String,
    kconfig: String,
    z_ext: String,
    z_command: Vec<String>,
    timestamp: String,
    target_overrides: VarMap,
    jobs: u32,
    verbose: bool,
    keep_going: bool,
    makevars: VarMap,
}

impl Expander<'_> {
    fn format(&self, part: &str) -> Result<String> {
        format_fields(part, |key| match key {
            "source_tree" => Some(self.source_tree.clone()),
            "build_dir" => Some(self.build_dir.clone()),
            "source_arch" => Some(self.source_arch.clone()),
            "toolchain" => Some(self.toolchain.clone()),
            "wrapper" => Some(self.wrapper.clone()),
            "kconfig" => Some(self.kconfig.clone()),
            "z_ext" => Some(self.z_ext.clone()),
            other => self.target_overrides.get(other).cloned(),
        })
    }

    fn make_args(&self, target_vars: &VarMap, exclude: &BTreeSet<String>) -> Result<Vec<String>> {
        let mut vars = VarMap::new();
        for (k, v) in target_vars {
            vars.insert(k.clone(), self.format(v)?);
        }
        for (k, v) in &self.makevars {
            if !exclude.contains(k) {
                vars.insert(k.clone(), v.clone());
            }
        }
        Ok(vars
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={v}"))
            .collect())
    }

    fn expand(
        &self,
        cmd: &[String],
        target_vars: &VarMap,
        exclude: &BTreeSet<String>,
    ) -> Result<Vec<String>> {
        let rules = &self.catalog.rules;
        let mut argv = Vec::new();
        for part in cmd {
            match part.as_str() {
                "{make}" => {
                    argv.extend(rules.make_command.iter().cloned());
                    if !self.verbose {
                        argv.push(rules.silent_flag.clone());
                    }
                    if self.keep_going {
                        argv.push(rules.keep_going_flag.clone());
                    }
                    argv.push(format!("--jobs={}", self.jobs));
                    argv.push(format!("O={}", self.build_dir));
                    argv.extend(self.make_args(target_vars, exclude)?);
                }
                "{tar_caf}" => {
                    for word in &rules.tar_caf {
                        argv.push(format_fields(word, |k| {
                            (k == "timestamp").then(|| self.timestamp.clone())
                        })?);
                    }
                }
                "{z}" => argv.extend(self.z_command.iter().cloned()),
                _ => argv.push(self.format(part)?),
            }
        }
        Ok(argv)
    }
}

fn known_list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let mut v: Vec<&str> = names.map(String::as_str).collect();
    v.sort_unstable();
    v.join(", ")
}

fn expand_home(value: &str, host: &dyn Host) -> String {
    let expanded = match (value.strip_prefix('~'), host.env("HOME")) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            format!("{home}{rest}")
        }
        _ => value.to_string(),
    };
    normalize_path(&expanded)
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// The config target's commands, as TuxMake's `Config.prepare` builds them.
struct KconfigSteps {
    commands: Vec<(Vec<String>, bool)>,
    urls: Vec<UrlSource>,
    files: Vec<KconfigFile>,
}

fn kconfig_steps(
    catalog: &Catalog,
    host: &dyn Host,
    tree: &str,
    build_dir: &str,
    kconfig: &str,
    kconfig_add: &[String],
) -> Result<KconfigSteps> {
    let rules = &catalog.rules.kconfig;
    let pats = &catalog.patterns;
    let mut steps = KconfigSteps {
        commands: Vec::new(),
        urls: Vec::new(),
        files: Vec::new(),
    };
    let config = format!("{build_dir}/.config");
    if host.exists(&config) {
        // Incremental build: TuxMake leaves an existing .config alone.
        return Ok(steps);
    }

    let file_source = |what: &str| -> Option<KconfigSource> {
        if is_url(what) {
            Some(KconfigSource::Url(what.to_string()))
        } else if host.exists(what) {
            Some(KconfigSource::File(what.to_string()))
        } else if host.exists(&join_path(tree, what)) {
            Some(KconfigSource::InTree(join_path(tree, what)))
        } else {
            None
        }
    };

    let mut olddefconfig = false;
    if let Some(source) = file_source(kconfig) {
        if let KconfigSource::Url(url) = &source {
            steps.urls.push(UrlSource {
                url: url.clone(),
                dest: config.clone(),
            });
        }
        steps.files.push(KconfigFile {
            dest: config.clone(),
            source,
        });
        olddefconfig = true;
    } else if pats.kconfig_named.is_match(kconfig) {
        steps
            .commands
            .push((vec!["{make}".into(), kconfig.to_string()], false));
    } else {
        return Err(Error::unsupported(
            format!("--kconfig={kconfig}"),
            "not a URL, an existing file, a file in the source tree, or a make target ending in \
             'config' (defconfig, tinyconfig, multi_v7_defconfig, ...)",
        ));
    }

    if kconfig_add.is_empty() {
        return Ok(steps);
    }

    let mut merge = Vec::new();
    for (i, frag) in kconfig_add.iter().enumerate() {
        let dest = format!("{build_dir}/{i}.config");
        let source = file_source(frag).or_else(|| {
            pats.kconfig_inline
                .iter()
                .any(|re| re.is_match(frag))
                .then(|| KconfigSource::Inline(frag.clone()))
        });
        if let Some(source) = source {
            if let KconfigSource::Url(url) = &source {
                steps.urls.push(UrlSource {
                    url: url.clone(),
                    dest: dest.clone(),
                });
            }
            steps.files.push(KconfigFile {
                dest: dest.clone(),
                source,
            });
            merge.push(dest);
        } else if pats.kconfig_in_tree.is_match(frag) {
            steps
                .commands
                .push((vec!["{make}".into(), frag.clone()], false));
        } else if let Some(t) = frag.strip_prefix(&rules.make_prefix) {
            steps
                .commands
                .push((vec!["{make}".into(), t.to_string()], false));
        } else if let Some(t) = frag.strip_prefix(&rules.interactive_make_prefix) {
            steps
                .commands
                .push((vec!["{make}".into(), t.to_string()], true));
        } else {
            return Err(Error::unsupported(
                format!("--kconfig-add={frag}"),
                "not a URL, an existing file, a file in the source tree, a CONFIG_X=value or \
                 '# CONFIG_X is not set' line, an in-tree fragment (kvm_guest.config) or \
                 make:<target>",
            ));
        }
    }
    if !merge.is_empty() {
        let mut argv = Vec::new();
        for word in &rules.merge_command {
            argv.push(format_fields(word, |k| {
                (k == "build_dir").then(|| build_dir.to_string())
            })?);
        }
        argv.extend(merge);
        steps.commands.push((argv, false));
        olddefconfig = true;
    }
    if olddefconfig {
        steps
            .commands
            .push((vec!["{make}".into(), rules.finish_target.clone()], false));
    }
    Ok(steps)
}

/// Plans a TuxMake build: the same checks, target order, commands, artifacts
/// and reproducer as TuxMake 1.45.0, with the host facts taken from `host`.
pub fn plan(catalog: &Catalog, request: &Request, host: &dyn Host) -> Result<Plan> {
    let facts = &catalog.tuxmake;
    let rules = &catalog.rules;
    let cwd = host.cwd();

    // Architecture: explicit, or the host's own without make variables.
    let native = host.machine();
    let (arch_name, arch, arch_makevars): (String, &Architecture, VarMap) =
        match &request.target_arch {
            Some(name) => {
                let canonical = catalog.resolve_arch(name).ok_or_else(|| {
                    Error::unsupported(
                        format!("--target-arch={name}"),
                        format!(
                            "unknown architecture (known: {}; aliases: {})",
                            catalog.architecture_names().join(", "),
                            known_list(catalog.arch_aliases.keys())
                        ),
                    )
                })?;
                let arch = &catalog.architectures[canonical];
                (canonical.to_string(), arch, arch.makevars.clone())
            }
            None => {
                let canonical = catalog.resolve_arch(&native).ok_or_else(|| {
                    Error::unsupported(
                        format!("host architecture {native}"),
                        "TuxMake has no such architecture; pass --target-arch",
                    )
                })?;
                (
                    canonical.to_string(),
                    &catalog.architectures[canonical],
                    VarMap::new(),
                )
            }
        };
    let source_arch = arch
        .makevars
        .get("SRCARCH")
        .or_else(|| arch.makevars.get("ARCH"))
        .cloned()
        .unwrap_or_else(|| arch_name.clone());

    let toolchain = match &request.toolchain {
        Some(name) => resolve_toolchain(catalog, name)?,
        None => Toolchain {
            implicit: true,
            ..resolve_toolchain(catalog, "gcc")?
        },
    };

    let (wrapper_name, wrapper) = {
        let given = request.wrapper.clone().unwrap_or_else(|| "none".into());
        let name = if given.starts_with('/') {
            given.rsplit('/').next().unwrap_or("").to_string()
        } else {
            given.clone()
        };
        let spec = catalog.wrappers.get(&name).ok_or_else(|| {
            Error::unsupported(
                format!("--wrapper={given}"),
                format!(
                    "unknown wrapper (known: {})",
                    known_list(catalog.wrappers.keys())
                ),
            )
        })?;
        (name, spec)
    };

    let tree = normalize_path(&join_path(&cwd, &request.tree));
    let timestamp = match &request.timestamp {
        Some(ts) => ts.clone(),
        None => host.tree_timestamp(&tree).ok_or_else(|| {
            Error::rejected(
                format!("-C {tree}"),
                "cannot read the source tree's timestamp (git commit time or mtime); pass --timestamp",
            )
        })?,
    };

    for key in request.make_variables.keys() {
        if facts.rejected_make_variables.contains(key) {
            return Err(Error::rejected(
                format!("make variable {key}"),
                format!(
                    "TuxMake sets {key} itself and refuses it from users (refused: {})",
                    facts.rejected_make_variables.join(", ")
                ),
            ));
        }
    }
    for lint in &rules.lints.rejected_values {
        if request.make_variables.get(&lint.variable) == Some(&lint.value) {
            return Err(Error::rejected(
                format!("{}={}", lint.variable, lint.value),
                lint.reason.clone(),
            ));
        }
    }

    let mut requested = request.targets.clone();
    if requested.is_empty() && request.make_targets.is_empty() {
        requested = facts.default_targets.clone();
    }
    let target_overrides: VarMap = match &request.kernel_image {
        Some(image) => VarMap::from([("kernel".to_string(), image.clone())]),
        None => arch.targets.clone(),
    };
    let compression_name = request
        .compression_type
        .clone()
        .unwrap_or_else(|| facts.default_compression.clone());
    let compression = facts.compression.get(&compression_name).ok_or_else(|| {
        Error::unsupported(
            format!("--compression-type={compression_name}"),
            format!(
                "unknown compression (known: {})",
                known_list(facts.compression.keys())
            ),
        )
    })?;

    let mut list = TargetList {
        catalog,
        targets: Vec::new(),
        ordering_only: IndexMap::new(),
    };
    for t in &requested {
        list.add(t, false, 0)?;
    }
    if !request.make_targets.is_empty() {
        list.add("config", false, 0)?;
        for mt in &request.make_targets {
            list.add_make_target(mt);
        }
    }
    let targets = list.finish();

    let kconfig = request
        .kconfig
        .clone()
        .unwrap_or_else(|| facts.default_kconfig.clone());
    let mut kconfig_add = request.kconfig_add.clone();
    for t in &targets {
        if let TargetDef::Spec { spec, .. } = t {
            kconfig_add.extend(spec.kconfig_add.iter().cloned());
        }
    }

    let jobs = request
        .jobs
        .filter(|j| *j > 0)
        .unwrap_or_else(|| host.cpus());
    let runtime = request
        .runtime
        .clone()
        .unwrap_or_else(|| "null".to_string());
    if !facts.runtimes.contains(&runtime) {
        return Err(Error::unsupported(
            format!("--runtime={runtime}"),
            format!("unknown runtime (known: {})", facts.runtimes.join(", ")),
        ));
    }

    let image = {
        let env_image = request
            .image
            .clone()
            .or_else(|| host.env("TUXMAKE_IMAGE").filter(|v| !v.is_empty()))
            .or_else(|| host.env("TUXMAKE_DOCKER_IMAGE").filter(|v| !v.is_empty()));
        let mut image = match env_image {
            Some(i) => i,
            None => image_for(catalog, &arch_name, &toolchain)?,
        };
        let registry = request
            .image_registry
            .clone()
            .or_else(|| host.env("TUXMAKE_IMAGE_REGISTRY"))
            .unwrap_or_else(|| rules.image_registry.clone());
        if !registry.is_empty() {
            let parts: Vec<&str> = image.split('/').collect();
            let first = parts.first().copied().unwrap_or("");
            let localhost = first == "localhost";
            let remotehost = first.split('.').count() > 1;
            if parts.len() < 3 && !localhost && !remotehost {
                image = format!("{registry}/{image}");
            }
        }
        if let Some(tag) = host.env("TUXMAKE_IMAGE_TAG").filter(|t| !t.is_empty()) {
            image = format!("{image}:{tag}");
        }
        image
    };

    let user_cross = request
        .make_variables
        .get("CROSS_COMPILE")
        .filter(|v| !v.is_empty());
    if runtime == "null" {
        let cross = user_cross
            .cloned()
            .or_else(|| arch_makevars.get("CROSS_COMPILE").cloned())
            .unwrap_or_default();
        let compiler = format_fields(&toolchain.family.compiler, |k| {
            (k == "CROSS_COMPILE").then(|| cross.clone())
        })?;
        if !host.which(&compiler) {
            return Err(Error::unsupported(
                format!("--target-arch={arch_name} --toolchain={}", toolchain.name),
                format!(
                    "the null runtime builds on this host and the compiler {compiler} is not on \
                     PATH{}",
                    if user_cross.is_some() {
                        " (from your CROSS_COMPILE)"
                    } else {
                        ""
                    }
                ),
            ));
        }
    } else if !container_supported(catalog, &arch_name, &toolchain, &native) {
        let host_arch = catalog.resolve_arch(&native).unwrap_or(&native).to_string();
        let mut supported = catalog.supported_arches(&toolchain.name, &native);
        supported.sort_unstable();
        return Err(Error::unsupported(
            format!("{arch_name}/{}", toolchain.name),
            format!(
                "no {runtime} image for this architecture and toolchain on a {host_arch} host \
                 ({} supports: {})",
                toolchain.name,
                if supported.is_empty() {
                    "nothing".to_string()
                } else {
                    supported.join(", ")
                }
            ),
        ));
    }

    for conflict in &rules.lints.kconfig_arch_conflicts {
        if conflict.kconfig == kconfig && conflict.arch == arch_name {
            return Err(Error::rejected(
                format!("--kconfig={kconfig} with --target-arch={arch_name}"),
                conflict.reason.clone(),
            ));
        }
    }

    let output_dir = match &request.output_dir {
        Some(dir) => normalize_path(dir),
        None => host.default_output_dir(),
    };
    let build_dir = match &request.build_dir {
        Some(dir) => normalize_path(dir),
        None => format!("{output_dir}/build"),
    };

    // Environment, as the build and as the reproducer see it.
    let mut environment = VarMap::new();
    for (k, v) in &rules.build_environment {
        environment.insert(
            k.clone(),
            format_fields(v, |f| match f {
                "timestamp" => Some(timestamp.clone()),
                "build_dir" => Some(build_dir.clone()),
                _ => None,
            })?,
        );
    }
    for (k, v) in &request.environment {
        environment.insert(k.clone(), v.clone());
    }
    let mut reproducible_env = environment.clone();
    for k in &rules.reproducer_drops_environment {
        if !request.environment.contains_key(k) {
            reproducible_env.shift_remove(k);
        }
    }

    let keep_going = !request.fail_fast;
    let reproducer = {
        let mut cmd = vec!["tuxmake".to_string(), format!("--target-arch={arch_name}")];
        if !kconfig.is_empty() {
            cmd.push(format!("--kconfig={kconfig}"));
        }
        cmd.extend(kconfig_add.iter().map(|k| format!("--kconfig-add={k}")));
        cmd.extend(
            request
                .make_targets
                .iter()
                .map(|m| format!("--make-target={m}")),
        );
        cmd.push(format!("--toolchain={}", toolchain.name));
        cmd.push(format!("--wrapper={wrapper_name}"));
        cmd.extend(
            reproducible_env
                .iter()
                .map(|(k, v)| format!("--environment={k}={v}")),
        );
        cmd.push(format!("--runtime={runtime}"));
        for (flag, on) in [
            ("--fail-fast", request.fail_fast),
            ("--verbose", request.verbose),
            ("--quiet", request.quiet),
            ("--debug", request.debug),
        ] {
            if on {
                cmd.push(flag.to_string());
            }
        }
        cmd.push(format!("--image={image}"));
        cmd.extend(
            request
                .make_variables
                .iter()
                .map(|(k, v)| format!("{k}={v}")),
        );
        cmd.extend(
            targets
                .iter()
                .map(|t| t.name().to_string())
                .filter(|n| !n.starts_with("make:")),
        );
        cmd
    };

    // Dynamic variables are resolved after the reproducer is written.
    let mut make_variables = request.make_variables.clone();
    for key in arch.dynamic_makevars.keys() {
        if !make_variables.contains_key(key) {
            make_variables.insert(
                key.clone(),
                request.dynamic.get(key).cloned().unwrap_or_default(),
            );
        }
    }

    let korg_gcc_cross_prefix = if toolchain.name.starts_with("korg-gcc") {
        let korg_arch = facts
            .korg_arch_map
            .get(&arch_name)
            .cloned()
            .unwrap_or_else(|| arch_name.clone());
        let mut suffix = toolchain.family.suffix.clone().unwrap_or_default();
        if arch_name == "armel" {
            suffix.push_str("-gnueabi");
        }
        let full = catalog
            .toolchains
            .full_versions
            .get(&toolchain.name)
            .ok_or_else(|| {
                Error::unsupported(
                    format!("--toolchain={}", toolchain.name),
                    format!(
                        "no kernel.org GCC release is known for this name (known: {})",
                        known_list(catalog.toolchains.full_versions.keys())
                    ),
                )
            })?;
        Some(format!(
            "{build_dir}/gcc-{full}-nolibc/{korg_arch}-{suffix}/bin/{korg_arch}-{suffix}-"
        ))
    } else {
        None
    };

    // Build make variables: architecture, toolchain, kernel.org prefix, user, wrapper.
    let mut makevars = arch_makevars.clone();
    if !toolchain.implicit {
        let mut archvars = VarMap::from([("CROSS_COMPILE".to_string(), String::new())]);
        for (k, v) in &arch_makevars {
            archvars.insert(k.clone(), v.clone());
        }
        let fmt = |v: &str| {
            format_fields(v, |k| {
                if k == "toolchain" {
                    Some(toolchain.name.clone())
                } else {
                    archvars.get(k).cloned()
                }
            })
        };
        for (k, v) in &toolchain.family.makevars {
            makevars.insert(k.clone(), fmt(v)?);
        }
        if let Some(extra) = toolchain.family.arch_makevars.get(&arch_name) {
            for (k, v) in extra {
                makevars.insert(k.clone(), fmt(v)?);
            }
        }
    }
    if let Some(prefix) = &korg_gcc_cross_prefix {
        makevars.insert("CROSS_COMPILE".into(), prefix.clone());
    }
    for (k, v) in &make_variables {
        makevars.insert(k.clone(), v.clone());
    }
    if let Some(command) = &wrapper.wrapper {
        let cross = makevars.get("CROSS_COMPILE").cloned().unwrap_or_default();
        let wrapped: Vec<(String, String)> = match makevars.get("LLVM").filter(|v| !v.is_empty()) {
            Some(llvm) => {
                let compiler = if llvm.starts_with('-') {
                    format!("clang{llvm}")
                } else if llvm.ends_with('/') {
                    format!("{llvm}clang")
                } else {
                    "clang".to_string()
                };
                vec![
                    ("CC".into(), format!("{command} {compiler}")),
                    ("HOSTCC".into(), format!("{command} {compiler}")),
                ]
            }
            None => {
                let cc = makevars
                    .get("CC")
                    .filter(|v| !v.is_empty())
                    .cloned()
                    .unwrap_or(format!("{cross}gcc"));
                let hostcc = makevars
                    .get("HOSTCC")
                    .filter(|v| !v.is_empty())
                    .cloned()
                    .unwrap_or("gcc".into());
                vec![
                    ("CC".into(), format!("{command} {cc}")),
                    ("HOSTCC".into(), format!("{command} {hostcc}")),
                ]
            }
        };
        for (k, v) in wrapped {
            makevars.insert(k, v);
        }
    }

    let mut runtime_env = VarMap::new();
    for (k, v) in &wrapper.environment {
        let value = host
            .env(k)
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| expand_home(v, host));
        runtime_env.insert(k.clone(), value);
    }
    for (k, v) in &environment {
        runtime_env.insert(k.clone(), v.clone());
    }
    for (k, v) in &rules.runtime_environment {
        runtime_env.insert(k.clone(), v.clone());
    }

    let expander = Expander {
        catalog,
        source_tree: tree.clone(),
        build_dir: build_dir.clone(),
        source_arch: source_arch.clone(),
        toolchain: toolchain.name.clone(),
        wrapper: wrapper_name.clone(),
        kconfig: kconfig.clone(),
        z_ext: compression.extension.clone(),
        z_command: compression.command.clone(),
        timestamp: timestamp.clone(),
        target_overrides: target_overrides.clone(),
        jobs,
        verbose: request.verbose,
        keep_going,
        makevars: makevars.clone(),
    };

    let mut url_sources = Vec::new();
    let mut kconfig_files = Vec::new();
    let mut planned = Vec::new();
    for target in &targets {
        planned.push(plan_target(
            catalog,
            &expander,
            target,
            &toolchain,
            arch,
            &target_overrides,
            compression.extension.as_str(),
            |steps| {
                url_sources.extend(steps.urls.iter().cloned());
                kconfig_files.extend(steps.files.iter().cloned());
            },
            host,
            &kconfig_add,
        )?);
    }

    Ok(Plan {
        tuxmake_version: facts.version.clone(),
        inputs: Inputs {
            tree: tree.clone(),
            build_dir: build_dir.clone(),
            output_dir,
            jobs,
            timestamp,
            target_arch: request.target_arch.clone(),
            toolchain: request.toolchain.clone(),
            wrapper: request.wrapper.clone(),
            kconfig: kconfig.clone(),
            kconfig_add: request.kconfig_add.clone(),
            // TuxMake appends resolved dynamic variables to the caller's own
            // make-variable dict (when the caller passed a non-empty one).
            make_variables: if request.make_variables.is_empty() {
                VarMap::new()
            } else {
                make_variables
            },
            targets: request.targets.clone(),
            make_target: request.make_targets.clone(),
            kernel_image: request.kernel_image.clone(),
            compression_type: request.compression_type.clone(),
            environment: request.environment.clone(),
            runtime,
            dynamic_resolution: request.dynamic.clone(),
        },
        resolved: Resolved {
            target_arch: arch_name,
            source_arch,
            toolchain: toolchain.name.clone(),
            wrapper: wrapper_name,
            image,
            makevars,
            dynamic_make_variables: arch.dynamic_makevars.clone(),
            environment: runtime_env,
            kconfig_add_final: kconfig_add,
            kconfig_url_sources: url_sources,
            keep_going,
            korg_gcc_cross_prefix,
            target_order: targets.iter().map(|t| t.name().to_string()).collect(),
            kconfig_files,
        },
        targets: planned,
        reproducer_cmdline: reproducer,
    })
}

#[allow(clippy::too_many_arguments)]
fn plan_target(
    catalog: &Catalog,
    expander: &Expander,
    target: &TargetDef,
    toolchain: &Toolchain,
    arch: &Architecture,
    target_overrides: &VarMap,
    z_ext: &str,
    mut record: impl FnMut(&KconfigSteps),
    host: &dyn Host,
    kconfig_add: &[String],
) -> Result<TargetPlan> {
    let rules = &catalog.rules;
    let (name, spec) = match target {
        TargetDef::Make { name, make_target } => {
            let argv = expander.expand(
                &["{make}".to_string(), make_target.clone()],
                &VarMap::new(),
                &BTreeSet::new(),
            )?;
            return Ok(TargetPlan {
                name: name.clone(),
                description: Some(format!("make {make_target}")),
                dependencies: vec!["config".into()],
                runs_after: Vec::new(),
                nonfatal: false,
                preconditions: Vec::new(),
                commands: vec![Command {
                    argv,
                    interactive: false,
                }],
                target_makevars: VarMap::new(),
                excluded_build_makevars: Vec::new(),
                artifacts: VarMap::new(),
            });
        }
        TargetDef::Spec { name, spec } => (name, *spec),
    };
    let kind = rules.target_kinds.get(name).map(String::as_str);

    let mut makevars = spec.makevars.clone();
    let mut exclude = BTreeSet::new();
    if kind == Some("kselftest")
        && toolchain
            .name
            .contains(&rules.kselftest_clang.toolchain_contains)
    {
        for (k, v) in &rules.kselftest_clang.default_makevars {
            makevars.entry(k.clone()).or_insert_with(|| v.clone());
        }
        exclude.extend(rules.kselftest_clang.exclude_build_makevars.iter().cloned());
    }

    let mut raw_commands: Vec<(Vec<String>, bool)> =
        spec.commands.iter().map(|c| (c.clone(), false)).collect();
    if kind == Some("kconfig") {
        let steps = kconfig_steps(
            catalog,
            host,
            &expander.source_tree,
            &expander.build_dir,
            &expander.kconfig,
            kconfig_add,
        )?;
        record(&steps);
        raw_commands.extend(steps.commands);
    }

    let mut artifacts = VarMap::new();
    match &spec.artifacts {
        Some(map) => {
            let z = |s: &str| format_fields(s, |k| (k == "z_ext").then(|| z_ext.to_string()));
            for (k, v) in map {
                artifacts.insert(z(k)?, z(v)?);
            }
        }
        None => {
            if let Some(key) = target_overrides.get(name) {
                let template = arch.artifacts.get(name).ok_or_else(|| Error::Catalog {
                    file: "architectures.json".into(),
                    reason: format!("no artifact path for target {name}"),
                })?;
                let value = format_fields(template, |k| target_overrides.get(k).cloned())?;
                artifacts.insert(key.clone(), value);
            }
        }
    }
    if kind == Some("kernel") {
        for image in &rules.kernel_artifact_in_build_dir {
            if let Some(v) = artifacts.get_mut(image) {
                *v = image.clone();
            }
        }
    }

    let preconditions = spec
        .preconditions
        .iter()
        .map(|c| expander.expand(c, &VarMap::new(), &BTreeSet::new()))
        .collect::<Result<Vec<_>>>()?;
    let commands = raw_commands
        .iter()
        .map(|(c, interactive)| {
            Ok(Command {
                argv: expander.expand(c, &makevars, &exclude)?,
                interactive: *interactive,
            })
        })
        .collect::<Result<Vec<_>>>()?;

    Ok(TargetPlan {
        name: name.clone(),
        description: spec.description.clone(),
        dependencies: spec.dependencies.clone(),
        runs_after: spec.runs_after.clone(),
        nonfatal: spec.nonfatal,
        preconditions,
        commands,
        target_makevars: makevars,
        excluded_build_makevars: exclude.into_iter().collect(),
        artifacts,
    })
}

/// Plans from a `tuxmake` argument list (see [`crate::args`]); `-o` and
/// `-b` are made absolute against the host's working directory, as
/// tuxmake's command line does.
pub fn plan_args<S: AsRef<str>>(catalog: &Catalog, args: &[S], host: &dyn Host) -> Result<Plan> {
    let mut request = crate::args::parse_tuxmake_args(args)?;
    let cwd = host.cwd();
    for dir in [&mut request.output_dir, &mut request.build_dir]
        .into_iter()
        .flatten()
    {
        *dir = join_path(&cwd, dir);
    }
    plan(catalog, &request, host)
}
