//! TuxMake's command line, parsed into a [`Request`].
//!
//! Accepts what `tuxmake` accepts (short and long options, `--opt=value`,
//! `KEY=VALUE` make variables and a `*config` word among the targets) plus
//! two options that make a plan independent of the machine it is computed
//! on: `--timestamp EPOCH` and `--dynamic NAME=VALUE`.
//!
//! ```
//! let r = build_plan::args::parse_tuxmake_args(&["-a", "arm64", "-t", "clang-17", "LLVM=1", "tinyconfig", "kernel"]).unwrap();
//! assert_eq!(r.kconfig.as_deref(), Some("tinyconfig"));
//! assert_eq!(r.targets, ["kernel"]);
//! assert_eq!(r.make_variables["LLVM"], "1");
//! ```

use crate::error::{Error, Result};
use crate::tuxmake::Request;

/// Options that take a value, as (short, long, field).
const VALUED: &[(&str, &str)] = &[
    ("-C", "--directory"),
    ("", "--korg-toolchains-directory"),
    ("-o", "--output-dir"),
    ("-b", "--build-dir"),
    ("-z", "--compression-type"),
    ("-a", "--target-arch"),
    ("-k", "--kconfig"),
    ("-K", "--kconfig-add"),
    ("-I", "--kernel-image"),
    ("-M", "--make-target"),
    ("-t", "--toolchain"),
    ("-w", "--wrapper"),
    ("-e", "--environment"),
    ("-j", "--jobs"),
    ("-r", "--runtime"),
    ("", "--image-registry"),
    ("-i", "--image"),
    ("", "--docker-image"),
    ("-c", "--color"),
    ("", "--pre-build-hook"),
    ("", "--post-build-hook"),
    ("", "--results-hook"),
    ("", "--timestamp"),
    ("", "--dynamic"),
];

/// Flags without a value.
const FLAGS: &[(&str, &str)] = &[
    ("-F", "--fail-fast"),
    ("-v", "--verbose"),
    ("-q", "--quiet"),
    ("-d", "--debug"),
    ("-s", "--shell"),
];

fn bad(argument: &str, reason: impl Into<String>) -> Error {
    Error::Arguments {
        argument: argument.to_string(),
        reason: reason.into(),
    }
}

fn key_value(arg: &str, value: &str) -> Result<(String, String)> {
    match value.split_once('=') {
        Some((k, v)) => Ok((k.to_string(), v.to_string())),
        None => Err(bad(arg, format!("expected KEY=VALUE, got {value:?}"))),
    }
}

/// Parses `tuxmake` arguments (without the program name).
pub fn parse_tuxmake_args<S: AsRef<str>>(args: &[S]) -> Result<Request> {
    let mut request = Request {
        tree: ".".into(),
        ..Request::default()
    };
    let mut positional: Vec<String> = Vec::new();
    let mut image_or_registry = false;
    let mut i = 0;
    let mut options_done = false;
    while i < args.len() {
        let arg = args[i].as_ref();
        i += 1;
        if options_done || !arg.starts_with('-') || arg == "-" {
            positional.push(arg.to_string());
            continue;
        }
        if arg == "--" {
            options_done = true;
            continue;
        }
        if let Some((_, long)) = FLAGS.iter().find(|(s, l)| *s == arg || *l == arg) {
            match *long {
                "--fail-fast" => request.fail_fast = true,
                "--verbose" => request.verbose = true,
                "--quiet" => request.quiet = true,
                "--debug" => request.debug = true,
                _ => {}
            }
            continue;
        }
        // --long=value, --long value, -xVALUE, -x value
        let (long, value) = if let Some(rest) = arg.strip_prefix("--") {
            let (name, inline) = match rest.split_once('=') {
                Some((n, v)) => (format!("--{n}"), Some(v.to_string())),
                None => (arg.to_string(), None),
            };
            let Some((_, long)) = VALUED.iter().find(|(_, l)| *l == name) else {
                return Err(bad(arg, "unknown option"));
            };
            (*long, inline)
        } else {
            let short = arg.get(..2).unwrap_or(arg);
            let Some((_, long)) = VALUED.iter().find(|(s, _)| !s.is_empty() && *s == short) else {
                return Err(bad(arg, "unknown option"));
            };
            let rest = arg.get(2..).unwrap_or("");
            (*long, (!rest.is_empty()).then(|| rest.to_string()))
        };
        let value = match value {
            Some(v) => v,
            None => {
                let Some(next) = args.get(i) else {
                    return Err(bad(arg, "expects a value"));
                };
                i += 1;
                next.as_ref().to_string()
            }
        };
        match long {
            "--directory" => request.tree = value,
            "--output-dir" => request.output_dir = Some(value),
            "--build-dir" => request.build_dir = Some(value),
            "--compression-type" => request.compression_type = Some(value),
            "--target-arch" => request.target_arch = Some(value),
            "--kconfig" => request.kconfig = Some(value),
            "--kconfig-add" => request.kconfig_add.push(value),
            "--kernel-image" => request.kernel_image = Some(value),
            "--make-target" => request.make_targets.push(value),
            "--toolchain" => request.toolchain = Some(value),
            "--wrapper" => request.wrapper = Some(value),
            "--environment" => {
                let (k, v) = key_value(arg, &value)?;
                request.environment.insert(k, v);
            }
            "--jobs" => {
                request.jobs = Some(
                    value
                        .parse()
                        .map_err(|_| bad(arg, format!("not a number: {value:?}")))?,
                )
            }
            "--runtime" => request.runtime = Some(value),
            "--image-registry" => {
                request.image_registry = Some(value);
                image_or_registry = true;
            }
            "--image" | "--docker-image" => {
                request.image = Some(value);
                image_or_registry = true;
            }
            "--timestamp" => {
                // Seconds since the epoch, as SOURCE_DATE_EPOCH and
                // KBUILD_BUILD_TIMESTAMP's `@` form expect.
                if value.parse::<u64>().is_err() {
                    return Err(bad(
                        arg,
                        format!("not a number of seconds since 1970: {value:?}"),
                    ));
                }
                request.timestamp = Some(value)
            }
            "--dynamic" => {
                let (k, v) = key_value(arg, &value)?;
                request.dynamic.insert(k, v);
            }
            // Accepted for compatibility; they do not change the plan.
            _ => {}
        }
    }
    if image_or_registry && request.runtime.is_none() {
        request.runtime = Some("docker".into());
    }
    for word in positional {
        if word.starts_with('@') {
            return Err(bad(
                &word,
                "configuration files (@name) are not read by the planner; pass the options",
            ));
        }
        if word.contains('=') {
            if word.matches('=').count() > 1 {
                return Err(bad(
                    &word,
                    "invalid KEY=VALUE (TuxMake refuses a second '=')",
                ));
            }
            let (k, v) = key_value(&word, &word)?;
            request.make_variables.insert(k, v);
        } else {
            request.targets.push(word);
        }
    }
    // A `*config` word among the targets is the kconfig (the first one only).
    if let Some(pos) = request.targets.iter().position(|t| is_kconfig_word(t)) {
        let word = request.targets.remove(pos);
        if request.kconfig.is_none() {
            request.kconfig = Some(word);
        }
    }
    Ok(request)
}

fn is_kconfig_word(s: &str) -> bool {
    s.len() > "config".len()
        && s.ends_with("config")
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_options_and_inline_values() {
        let r = parse_tuxmake_args(&[
            "-aarm64",
            "--toolchain=gcc-13",
            "-K",
            "a.config",
            "-e",
            "A=b=c",
        ])
        .unwrap();
        assert_eq!(r.target_arch.as_deref(), Some("arm64"));
        assert_eq!(r.toolchain.as_deref(), Some("gcc-13"));
        assert_eq!(r.kconfig_add, ["a.config"]);
        assert_eq!(r.environment["A"], "b=c");
    }

    #[test]
    fn second_equals_in_make_variable_is_refused() {
        let err = parse_tuxmake_args(&["KCFLAGS=-DX=1"]).unwrap_err();
        assert!(err.to_string().contains("second '='"), "{err}");
    }

    #[test]
    fn timestamp_must_be_whole_seconds() {
        let err = parse_tuxmake_args(&["--timestamp", "abc"]).unwrap_err();
        assert!(err.to_string().contains("--timestamp"), "{err}");
        let r = parse_tuxmake_args(&["--timestamp=1700000000"]).unwrap();
        assert_eq!(r.timestamp.as_deref(), Some("1700000000"));
    }

    #[test]
    fn image_implies_docker_runtime() {
        let r = parse_tuxmake_args(&["--image", "foo/bar"]).unwrap();
        assert_eq!(r.runtime.as_deref(), Some("docker"));
    }

    #[test]
    fn kconfig_word_is_taken_once_and_removed() {
        let r = parse_tuxmake_args(&["-k", "tinyconfig", "defconfig", "kernel"]).unwrap();
        assert_eq!(r.kconfig.as_deref(), Some("tinyconfig"));
        assert_eq!(r.targets, ["kernel"]);
    }

    #[test]
    fn unknown_option_is_named() {
        let err = parse_tuxmake_args(&["--bogus"]).unwrap_err();
        assert!(err.to_string().contains("--bogus"), "{err}");
    }
}
