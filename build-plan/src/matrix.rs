//! A matrix syntax for TuxSuite plans: lists of architectures, toolchains,
//! kconfigs (any build key) crossed into builds, with `include` and
//! `exclude`, checked against TuxMake's support matrix before anything runs.
//!
//! ```yaml
//! version: 1
//! name: clang matrix
//! description: three arches by two toolchains, minus one
//! jobs:
//! - name: clang
//!   matrix:
//!     target_arch: [arm64, x86_64, riscv]
//!     toolchain: [clang-19, korg-clang-20]
//!     kconfig: [defconfig, [tinyconfig, CONFIG_DEBUG_INFO_BTF=n]]
//!     exclude:
//!     - {target_arch: riscv, toolchain: korg-clang-20}
//!     include:
//!     - {target_arch: arm, toolchain: gcc-13, kconfig: multi_v7_defconfig}
//!   build: {targets: [kernel, modules], make_variables: {LLVM: 1}}
//!   test: {device: qemu-arm64}
//! ```
//!
//! Each axis is a list of choices; the product is taken in the order the
//! axes are written, the last axis varying fastest. `build` (optional) is the
//! template every combination starts from. A choice for `kconfig` or
//! `targets` may itself be a list. `exclude` entries drop every combination
//! that matches all of their keys; `include` entries are added after the
//! product (also on top of the template). `host: arm64` checks support for
//! an arm64 build host (default x86_64); `unsupported: skip` drops
//! unsupported combinations instead of refusing the plan.

use indexmap::IndexMap;

use crate::catalog::Catalog;
use crate::error::Result;
use crate::tuxmake::{container_supported, resolve_toolchain};
use crate::tuxsuite::{Loc, TuxsuitePlan, parse_plan_node, validate_build};
use crate::yaml::{self, Node, Value};

const CONTROL_KEYS: &[&str] = &["include", "exclude", "host", "unsupported"];

fn map_node(map: IndexMap<String, Node>, line: usize) -> Node {
    Node {
        value: Value::Map(map),
        line,
        column: 0,
    }
}

/// TuxSuite's cloud accepts `llvm-N`: clang-N with LLVM=1.
fn tuxmake_toolchain_name(name: &str) -> String {
    match name.strip_prefix("llvm") {
        Some(rest) if rest.is_empty() || rest.starts_with('-') => format!("clang{rest}"),
        _ => name.to_string(),
    }
}

/// Why `build` cannot be built by TuxMake's container images on `host`, or `None`.
pub fn unsupported_reason(catalog: &Catalog, build: &Node, host: &str) -> Option<String> {
    let map = build.as_map()?;
    let arch_name = map.get("target_arch")?.py_str();
    let tc_name = map.get("toolchain")?.py_str();
    let Some(arch) = catalog.resolve_arch(&arch_name) else {
        return Some(format!("unknown architecture {arch_name}"));
    };
    let tc = match resolve_toolchain(catalog, &tuxmake_toolchain_name(&tc_name)) {
        Ok(tc) => tc,
        Err(_) => return Some(format!("unknown toolchain {tc_name}")),
    };
    if container_supported(catalog, arch, &tc, host) {
        None
    } else {
        let supported = catalog.supported_arches(&tc.name, host);
        Some(format!(
            "{arch_name}/{tc_name} has no TuxMake image on a {host} host ({tc_name} supports: {})",
            if supported.is_empty() {
                "nothing".to_string()
            } else {
                supported.join(", ")
            }
        ))
    }
}

fn choices(axis: &Node) -> Vec<Node> {
    match &axis.value {
        Value::Seq(items) => items.clone(),
        _ => vec![axis.clone()],
    }
}

fn matches(build: &IndexMap<String, Node>, pattern: &IndexMap<String, Node>) -> bool {
    pattern.iter().all(|(k, v)| {
        build
            .get(k)
            .map(|b| b.to_json() == v.to_json())
            .unwrap_or(false)
    })
}

fn expand_job(catalog: &Catalog, job: &Node, loc: &Loc, source: &str) -> Result<Node> {
    let Some(map) = job.as_map() else {
        return Ok(job.clone());
    };
    let Some(matrix) = map.get("matrix") else {
        return Ok(job.clone());
    };
    let mloc = loc.child("matrix", matrix);
    let mmap = matrix
        .as_map()
        .ok_or_else(|| mloc.err(source, "expected a mapping of build keys to lists"))?;
    if map.contains_key("builds") {
        return Err(loc.err(
            source,
            "has both matrix and builds; put fixed builds under matrix.include",
        ));
    }
    let template = match map.get("build") {
        Some(b) => b.as_map().cloned().ok_or_else(|| {
            loc.child("build", b)
                .err(source, "expected a build mapping")
        })?,
        None => IndexMap::new(),
    };
    let host = match mmap.get("host") {
        None => "x86_64".to_string(),
        Some(h) => match h.as_str() {
            Some(s @ ("x86_64" | "amd64" | "arm64" | "aarch64")) => s.to_string(),
            _ => {
                return Err(mloc
                    .child("host", h)
                    .err(source, "expected x86_64 or arm64"));
            }
        },
    };
    let skip_unsupported = match mmap.get("unsupported").and_then(Node::as_str) {
        None if !mmap.contains_key("unsupported") => false,
        Some("error") => false,
        Some("skip") => true,
        _ => {
            return Err(mloc
                .child("unsupported", &mmap["unsupported"])
                .err(source, "expected error or skip"));
        }
    };

    // The product, last axis fastest.
    let axes: Vec<(&String, Vec<Node>)> = mmap
        .iter()
        .filter(|(k, _)| !CONTROL_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k, choices(v)))
        .collect();
    for (k, values) in &axes {
        if values.is_empty() {
            return Err(mloc
                .child(k, &mmap[k.as_str()])
                .err(source, "an axis needs at least one value"));
        }
    }
    let product = axes
        .iter()
        .try_fold(1usize, |acc, (_, v)| acc.checked_mul(v.len()));
    if product.is_none_or(|n| n > crate::tuxsuite::MAX_JOBS) {
        return Err(mloc.err(
            source,
            format!(
                "the matrix crosses to more than {} builds",
                crate::tuxsuite::MAX_JOBS
            ),
        ));
    }
    let mut combos: Vec<IndexMap<String, Node>> = vec![template.clone()];
    for (key, values) in &axes {
        let mut next = Vec::with_capacity(combos.len() * values.len());
        for combo in &combos {
            for v in values {
                let mut c = combo.clone();
                let value = if key.as_str() == "targets" && v.as_str().is_some() {
                    Node {
                        value: Value::Seq(vec![v.clone()]),
                        line: v.line,
                        column: v.column,
                    }
                } else {
                    v.clone()
                };
                c.insert((*key).clone(), value);
                next.push(c);
            }
        }
        combos = next;
    }
    if axes.is_empty() {
        combos.clear();
    }

    let patterns = |key: &str| -> Result<Vec<IndexMap<String, Node>>> {
        match mmap.get(key) {
            None => Ok(Vec::new()),
            Some(list) => {
                let l = mloc.child(key, list);
                let items = list
                    .as_seq()
                    .ok_or_else(|| l.err(source, "expected a list of build mappings"))?;
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        item.as_map()
                            .cloned()
                            .ok_or_else(|| l.index(i, item).err(source, "expected a build mapping"))
                    })
                    .collect()
            }
        }
    };
    let excludes = patterns("exclude")?;
    combos.retain(|c| !excludes.iter().any(|p| matches(c, p)));
    for inc in patterns("include")? {
        let mut c = template.clone();
        for (k, v) in inc {
            c.insert(k, v);
        }
        combos.push(c);
    }

    let mut builds = Vec::new();
    let mut refused = Vec::new();
    for (i, combo) in combos.into_iter().enumerate() {
        let node = map_node(combo, matrix.line);
        validate_build(&node, &mloc.index(i, &node), source)?;
        match unsupported_reason(catalog, &node, &host) {
            None => builds.push(node),
            Some(_) if skip_unsupported => {}
            Some(reason) => refused.push(reason),
        }
    }
    if !refused.is_empty() {
        return Err(mloc.err(
            source,
            format!(
                "{} combination(s) cannot be built: {}; exclude them or set unsupported: skip",
                refused.len(),
                refused.join("; ")
            ),
        ));
    }
    if builds.is_empty() {
        return Err(mloc.err(source, "the matrix yields no builds"));
    }

    let mut out = IndexMap::new();
    for (k, v) in map {
        match k.as_str() {
            "matrix" => {
                out.insert(
                    "builds".to_string(),
                    Node {
                        value: Value::Seq(builds.clone()),
                        line: v.line,
                        column: v.column,
                    },
                );
            }
            "build" => {}
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(map_node(out, job.line))
}

/// Replaces every job's `matrix` by the `builds` it yields (a plain TuxSuite plan).
pub fn expand_matrix(catalog: &Catalog, root: &Node, source: &str) -> Result<Node> {
    let Some(map) = root.as_map() else {
        return Ok(root.clone());
    };
    let Some(jobs) = map.get("jobs").and_then(Node::as_seq) else {
        return Ok(root.clone());
    };
    let mut new_jobs = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let label = match job
            .as_map()
            .and_then(|m| m.get("name"))
            .and_then(Node::as_str)
        {
            Some(n) => format!("jobs[{i}] ({n})"),
            None => format!("jobs[{i}]"),
        };
        new_jobs.push(expand_job(
            catalog,
            job,
            &Loc {
                path: label,
                line: job.line,
            },
            source,
        )?);
    }
    let mut out = map.clone();
    if let Some(j) = out.get_mut("jobs") {
        j.value = Value::Seq(new_jobs);
    }
    Ok(map_node(out, root.line))
}

/// Parses a plan that may use the matrix syntax.
pub fn parse_plan_with_matrix(catalog: &Catalog, text: &str, source: &str) -> Result<TuxsuitePlan> {
    let root =
        yaml::load(text, source)?.ok_or_else(|| crate::Error::plan(source, "empty plan file"))?;
    let expanded = expand_matrix(catalog, &root, source)?;
    parse_plan_node(&expanded, source)
}

/// Problems TuxSuite or TuxMake would report only when a build runs:
/// unknown or unsupported architecture/toolchain pairs, make variables
/// TuxMake refuses, `LLVM=0`.
pub fn lint(catalog: &Catalog, plan: &TuxsuitePlan, host: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (j, job) in plan.jobs.iter().enumerate() {
        let label = job
            .name
            .as_ref()
            .map(|n| format!("jobs[{j}] ({n})"))
            .unwrap_or(format!("jobs[{j}]"));
        for (b, build) in job.builds.iter().enumerate() {
            let at = format!(
                "{}: {label}.builds[{b}] (line {})",
                plan.source_name, build.line
            );
            if let Some(reason) = unsupported_reason(catalog, build, host) {
                out.push(format!("{at}: {reason}"));
            }
            let vars = build
                .as_map()
                .and_then(|m| m.get("make_variables"))
                .and_then(Node::as_map);
            for (k, v) in vars.into_iter().flatten() {
                if catalog.tuxmake.rejected_make_variables.contains(k) {
                    out.push(format!("{at}: make variable {k} is refused by TuxMake"));
                }
                for rule in &catalog.rules.lints.rejected_values {
                    if *k == rule.variable && v.py_str() == rule.value {
                        out.push(format!("{at}: {k}={}: {}", rule.value, rule.reason));
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = "version: 1\nname: m\ndescription: d\njobs:\n- name: mx\n  matrix:\n    target_arch: [arm64, x86_64]\n    toolchain: [gcc-13, clang-19]\n    exclude: [{target_arch: x86_64, toolchain: clang-19}]\n    include: [{target_arch: arm, toolchain: gcc-13, kconfig: multi_v7_defconfig}]\n  build: {kconfig: defconfig, targets: [kernel]}\n  test: {device: qemu-arm64}\n";

    #[test]
    fn matrix_crosses_axes_in_order_with_exclude_and_include() {
        let catalog = Catalog::tuxmake().unwrap();
        let plan = parse_plan_with_matrix(&catalog, PLAN, "m.yaml").unwrap();
        let pairs: Vec<String> = plan.jobs[0]
            .builds
            .iter()
            .map(|b| {
                let m = b.as_map().unwrap();
                format!(
                    "{}/{}/{}",
                    m["target_arch"].py_str(),
                    m["toolchain"].py_str(),
                    m["kconfig"].py_str()
                )
            })
            .collect();
        assert_eq!(
            pairs,
            [
                "arm64/gcc-13/defconfig",
                "arm64/clang-19/defconfig",
                "x86_64/gcc-13/defconfig",
                "arm/gcc-13/multi_v7_defconfig"
            ]
        );
        assert_eq!(plan.jobs[0].tests.len(), 1);
    }

    #[test]
    fn readme_matrix_example_yields_eleven_builds() {
        let readme = include_str!("../README.md");
        let start = readme.find("```yaml\n").unwrap() + "```yaml\n".len();
        let end = start + readme[start..].find("```").unwrap();
        let catalog = Catalog::tuxmake().unwrap();
        let plan = parse_plan_with_matrix(&catalog, &readme[start..end], "README.md").unwrap();
        assert_eq!(plan.jobs[0].builds.len(), 11);
        assert_eq!(plan.jobs[0].tests.len(), 1);
    }

    #[test]
    fn unsupported_combination_is_refused_with_the_pair_named() {
        let catalog = Catalog::tuxmake().unwrap();
        let text = PLAN
            .replace("[gcc-13, clang-19]", "[gcc-13, clang-android]")
            .replace(
                "exclude: [{target_arch: x86_64, toolchain: clang-19}]",
                "exclude: []",
            )
            .replace("[arm64, x86_64]", "[arm64, sparc]");
        let err = parse_plan_with_matrix(&catalog, &text, "m.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("sparc/clang-android"), "{err}");
        assert!(err.contains("jobs[0] (mx).matrix"), "{err}");
    }

    #[test]
    fn unsupported_skip_drops_combinations() {
        let catalog = Catalog::tuxmake().unwrap();
        let text = PLAN
            .replace("[gcc-13, clang-19]", "[gcc-13, clang-android]")
            .replace("[arm64, x86_64]", "[arm64, sparc]")
            .replace("    exclude:", "    unsupported: skip\n    exclude:");
        let plan = parse_plan_with_matrix(&catalog, &text, "m.yaml").unwrap();
        assert_eq!(plan.jobs[0].builds.len(), 4);
    }

    #[test]
    fn lint_reports_llvm_zero_and_rejected_variables() {
        let catalog = Catalog::tuxmake().unwrap();
        let text = "version: 1\njobs:\n- builds:\n  - {target_arch: arm64, toolchain: llvm-17, kconfig: defconfig, make_variables: {LLVM: 0, ARCH: x}}\n";
        let plan = crate::tuxsuite::parse_plan(text, "p.yaml").unwrap();
        let warnings = lint(&catalog, &plan, "x86_64");
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("ARCH") || warnings[1].contains("ARCH"));
    }
}
