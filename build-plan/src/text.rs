//! Small text helpers that must behave exactly like the Python functions
//! TuxMake and TuxSuite use: `str.format` with named fields, `shlex.quote`
//! and `shlex.join`, and `pathlib`'s path normalisation.

use crate::error::{Error, Result};

/// Expands `{name}` fields from `lookup`, `{{`/`}}` to braces, like Python's
/// `str.format(**kwargs)` restricted to plain names (all TuxMake uses).
pub fn format_fields(template: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String> {
    let err = |reason: String| Error::Template {
        template: template.to_string(),
        reason,
    };
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(ch) => name.push(ch),
                        None => return Err(err("unclosed '{'".into())),
                    }
                }
                match lookup(&name) {
                    Some(value) => out.push_str(&value),
                    None => return Err(err(format!("unknown field {{{name}}}"))),
                }
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '}' => return Err(err("single '}'".into())),
            _ => out.push(c),
        }
    }
    Ok(out)
}

fn is_safe(c: char) -> bool {
    // Python's shlex: [\w@%+=:,./-] with \w Unicode-aware.
    c.is_alphanumeric() || c == '_' || "@%+=:,./-".contains(c)
}

/// `shlex.quote`: the word unchanged when it is safe, otherwise in single quotes.
pub fn shell_quote(word: &str) -> String {
    if word.is_empty() {
        return "''".to_string();
    }
    if word.chars().all(is_safe) {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', "'\"'\"'"))
}

/// `shlex.join`: quoted words separated by spaces.
pub fn shell_join<S: AsRef<str>>(argv: &[S]) -> String {
    argv.iter()
        .map(|w| shell_quote(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What `str(pathlib.PurePosixPath(p))` prints: repeated slashes collapsed
/// (a leading `//` kept), `.` components and trailing slashes dropped.
pub fn normalize_path(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let prefix = if path.starts_with("//") && !path.starts_with("///") {
        "//"
    } else if path.starts_with('/') {
        "/"
    } else {
        ""
    };
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let joined = parts.join("/");
    if joined.is_empty() && prefix.is_empty() {
        ".".to_string()
    } else {
        format!("{prefix}{joined}")
    }
}

/// `Path(base) / path` then normalised; an absolute `path` wins.
pub fn join_path(base: &str, path: &str) -> String {
    if path.starts_with('/') {
        normalize_path(path)
    } else {
        normalize_path(&format!("{base}/{path}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_fields_expands_names_and_doubled_braces() {
        let out = format_fields("cp '{{}}' {build_dir}/x", |k| {
            (k == "build_dir").then(|| "/b".into())
        });
        assert_eq!(out.unwrap(), "cp '{}' /b/x");
    }

    #[test]
    fn format_fields_names_an_unknown_field() {
        let err = format_fields("{nope}", |_| None).unwrap_err();
        assert!(err.to_string().contains("{nope}"), "{err}");
    }

    #[test]
    fn shell_quote_matches_python_shlex() {
        assert_eq!(shell_quote("{}"), "'{}'");
        assert_eq!(shell_quote("!"), "'!'");
        assert_eq!(shell_quote("a'b"), "'a'\"'\"'b'");
        assert_eq!(shell_quote("HOSTCC=ccache clang"), "'HOSTCC=ccache clang'");
        assert_eq!(shell_quote("O=/tmp/bp/build"), "O=/tmp/bp/build");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn normalize_path_follows_pathlib() {
        assert_eq!(normalize_path("/tmp//bp/./linux/"), "/tmp/bp/linux");
        assert_eq!(normalize_path("//x"), "//x");
        assert_eq!(normalize_path("///x"), "/x");
        assert_eq!(normalize_path("a/../b"), "a/../b");
        assert_eq!(join_path("/src", "/abs.config"), "/abs.config");
    }
}
