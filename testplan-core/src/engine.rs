//! minijinja set up the way lava-test-plans sets up Jinja2.
//!
//! lava-test-plans renders with a `FileSystemLoader` over a search path (the
//! package dir, the test plan, test case and device dirs; symlinks followed),
//! `StrictUndefined`, no auto-escaping and one extra global, `compression()`.
//! Where minijinja's builtins differ from Jinja2's in ways the templates can see,
//! this module registers Jinja2-compatible versions: the `indent` and `int`
//! filters, the `sequence` test, and Python's float formatting.

use std::path::{Component, PathBuf};
use std::sync::Arc;

use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{
    AutoEscape, Environment, Error as JinjaError, ErrorKind, State, UndefinedBehavior,
};

/// The directories templates are looked up in, first match wins.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchPath(pub Vec<PathBuf>);

impl SearchPath {
    /// Finds a template file: the name is split at `/` and joined to each directory in turn.
    ///
    /// Names with `..` segments are refused, as Jinja2's loader refuses them.
    pub fn find(&self, name: &str) -> Option<PathBuf> {
        let mut relative = PathBuf::new();
        for piece in name.split('/') {
            if piece == ".." {
                return None;
            }
            if !piece.is_empty() && piece != "." {
                relative.push(piece);
            }
        }
        if relative
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        {
            return None;
        }
        self.0
            .iter()
            .map(|dir| dir.join(&relative))
            .find(|p| crate::bundled::is_file(p))
    }

    /// The search path as `dir1:dir2:...`, for messages.
    pub fn display(&self) -> String {
        self.0
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(":")
    }
}

/// Builds a minijinja environment equivalent to lava-test-plans' Jinja2 one.
pub fn environment(search_path: &SearchPath) -> Environment<'static> {
    let mut env = Environment::new();
    let path = Arc::new(search_path.clone());
    env.set_loader(move |name| load(&path, name));
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.set_formatter(format_value);
    env.set_debug(true);
    env.add_function("compression", compression);
    env.add_filter("indent", indent);
    env.add_filter("int", int);
    env.add_test("sequence", is_sequence);
    env
}

fn load(path: &SearchPath, name: &str) -> Result<Option<String>, JinjaError> {
    let Some(file) = path.find(name) else {
        return Ok(None);
    };
    let text = read_following_link_stubs(&file).map_err(|e| {
        JinjaError::new(
            ErrorKind::InvalidOperation,
            format!("cannot read {}: {e}", file.display()),
        )
    })?;
    // Jinja2 normalises line endings to `\n` when it lexes a template.
    if text.contains('\r') {
        return Ok(Some(text.replace("\r\n", "\n").replace('\r', "\n")));
    }
    Ok(Some(text))
}

/// How many link stubs are followed before giving up (a loop of stubs).
const MAX_LINK_STUBS: usize = 8;

/// Reads a template, following symbolic links and also their stand-ins.
///
/// A checkout made without symlink support (git's `core.symlinks=false`, or a copy
/// that lost its links) stores a link as a small text file holding only the target
/// path. lava-test-plans relies on such links (`devices/i386` → `x86`), so a file
/// whose whole content is one relative path naming an existing file next to it is
/// read as that file.
pub fn read_following_link_stubs(path: &std::path::Path) -> std::io::Result<String> {
    let mut current = path.to_path_buf();
    let mut text = crate::bundled::read_to_string(&current)?;
    for _ in 0..MAX_LINK_STUBS {
        match link_stub_target(&current, &text) {
            Some(target) => {
                text = crate::bundled::read_to_string(&target)?;
                current = target;
            }
            None => return Ok(text.into_owned()),
        }
    }
    Ok(text.into_owned())
}

fn link_stub_target(path: &std::path::Path, text: &str) -> Option<PathBuf> {
    let looks_like_path = !text.is_empty()
        && text.len() <= 256
        && !text.starts_with('/')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | '+'));
    if !looks_like_path {
        return None;
    }
    let target = path.parent()?.join(text);
    crate::bundled::is_file(&target).then_some(target)
}

/// The `compression(path)` global: `(format, compression)` chosen by file suffix.
pub fn compression(path: &str) -> Value {
    const TABLE: [(&str, Option<&str>, Option<&str>); 8] = [
        (".tar.xz", Some("tar"), Some("xz")),
        (".tar.gz", Some("tar"), Some("gz")),
        (".tgz", Some("tar"), Some("gz")),
        (".gz", None, Some("gz")),
        (".xz", None, Some("xz")),
        (".zst", None, Some("zstd")),
        (".py", Some("file"), None),
        (".sh", Some("file"), None),
    ];
    let (format, comp) = TABLE
        .iter()
        .find(|(suffix, _, _)| path.ends_with(suffix))
        .map(|(_, f, c)| (*f, *c))
        .unwrap_or((None, None));
    Value::from(vec![Value::from(format), Value::from(comp)])
}

/// Jinja2's `indent`: a newline is appended before splitting, so a trailing newline
/// survives and a blank first line is still indented when `first` is set.
fn indent(
    value: String,
    width: Option<Value>,
    first: Option<Value>,
    blank: Option<Value>,
    args: Kwargs,
) -> Result<String, JinjaError> {
    let width = pick(width, &args, "width")?;
    let first = pick(first, &args, "first")?.map(|v| v.is_true());
    let blank = pick(blank, &args, "blank")?.map(|v| v.is_true());
    args.assert_all_used()?;
    let indention = match width {
        None => "    ".to_string(),
        Some(w) if w.kind() == ValueKind::String => w.as_str().unwrap_or_default().to_string(),
        Some(w) => {
            let n = i64::try_from(w.clone()).map_err(|_| {
                JinjaError::new(
                    ErrorKind::InvalidOperation,
                    format!("indent width {w} is not a number"),
                )
            })?;
            " ".repeat(usize::try_from(n).unwrap_or(0))
        }
    };

    let text = format!("{value}\n");
    let lines = python_splitlines(&text);
    let mut out = String::with_capacity(text.len() + lines.len() * indention.len());
    if blank.unwrap_or(false) {
        let sep = format!("\n{indention}");
        out.push_str(&lines.join(&sep));
    } else if let Some((head, rest)) = lines.split_first() {
        out.push_str(head);
        if !rest.is_empty() {
            out.push('\n');
            let body: Vec<String> = rest
                .iter()
                .map(|l| {
                    if l.is_empty() {
                        String::new()
                    } else {
                        format!("{indention}{l}")
                    }
                })
                .collect();
            out.push_str(&body.join("\n"));
        }
    }
    if first.unwrap_or(false) {
        out.insert_str(0, &indention);
    }
    Ok(out)
}

/// An argument given by position or by keyword (not both).
fn pick(positional: Option<Value>, args: &Kwargs, name: &str) -> Result<Option<Value>, JinjaError> {
    let keyword: Option<Value> = args.get(name)?;
    match (positional, keyword) {
        (Some(_), Some(_)) => Err(JinjaError::new(
            ErrorKind::TooManyArguments,
            format!("indent() got multiple values for argument {name:?}"),
        )),
        (p, k) => Ok(p.or(k)),
    }
}

/// Python's `str.splitlines()`: every Unicode line boundary, `\r\n` as one.
fn python_splitlines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let boundary = matches!(
            c,
            '\n' | '\r'
                | '\u{0b}'
                | '\u{0c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if !boundary {
            continue;
        }
        lines.push(&text[start..i]);
        let mut end = i + c.len_utf8();
        if c == '\r' {
            if let Some((j, '\n')) = chars.peek().copied() {
                chars.next();
                end = j + 1;
            }
        }
        start = end;
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// Jinja2's `int`: strings are stripped and read as an integer, then as a float
/// (truncated); anything unreadable becomes the default (0).
fn int(value: Value, default: Option<Value>, base: Option<u32>) -> Result<Value, JinjaError> {
    let default = default.unwrap_or_else(|| Value::from(0));
    let base = base.unwrap_or(10);
    match value.kind() {
        ValueKind::Undefined => Err(JinjaError::from(ErrorKind::UndefinedError)),
        ValueKind::Bool => Ok(Value::from(value.is_true() as i64)),
        ValueKind::Number => {
            if value.is_integer() {
                return Ok(value);
            }
            Ok(f64::try_from(value)
                .ok()
                .and_then(float_to_int)
                .unwrap_or(default))
        }
        ValueKind::String => {
            let s = value.as_str().unwrap_or_default();
            Ok(python_int(s, base)
                .or_else(|| python_float(s).and_then(float_to_int))
                .unwrap_or(default))
        }
        _ => Ok(default),
    }
}

fn float_to_int(f: f64) -> Option<Value> {
    if !f.is_finite() {
        return None;
    }
    let t = f.trunc();
    if t.abs() < 1.7e38 {
        Some(Value::from(t as i128))
    } else {
        None
    }
}

/// Python's `int(s, base)` for bases 2..=36: blanks around, a sign, digits with
/// single underscores between them.
fn python_int(s: &str, base: u32) -> Option<Value> {
    let s = s.trim();
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let mut n: i128 = 0;
    for c in digits.chars().filter(|c| *c != '_') {
        let d = c.to_digit(base)?;
        n = n
            .checked_mul(i128::from(base))?
            .checked_add(i128::from(d))?;
    }
    Some(Value::from(if negative { -n } else { n }))
}

/// Python's `float(s)` for decimal text (also `inf`, `nan`, underscores between digits).
fn python_float(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.contains("__")
        || s.starts_with('_')
        || s.ends_with('_')
        || s.contains("._")
        || s.contains("_.")
    {
        return None;
    }
    let cleaned: String = s.chars().filter(|c| *c != '_').collect();
    let lower = cleaned.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    if matches!(body, "inf" | "infinity" | "nan") {
        return lower.parse::<f64>().ok();
    }
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-'))
    {
        return None;
    }
    cleaned.parse::<f64>().ok()
}

/// Jinja2's `sequence` test: anything with a length and item access (strings and
/// mappings included).
fn is_sequence(value: Value) -> Result<bool, JinjaError> {
    match value.kind() {
        ValueKind::Undefined => Err(JinjaError::from(ErrorKind::UndefinedError)),
        ValueKind::String | ValueKind::Seq | ValueKind::Map | ValueKind::Bytes => Ok(true),
        _ => Ok(value.len().is_some()),
    }
}

/// Prints values as Jinja2 does: floats in Python's `repr` form, everything else
/// as minijinja (which already follows Python for None, booleans, lists and dicts).
fn format_value(
    out: &mut minijinja::Output,
    state: &mut State,
    value: &Value,
) -> Result<(), JinjaError> {
    if value.is_number() && !value.is_integer() {
        if let Ok(f) = f64::try_from(value.clone()) {
            return out
                .write_str(&python_float_repr(f))
                .map_err(JinjaError::from);
        }
    }
    minijinja::escape_formatter(out, state, value)
}

/// Python's `repr(float)`: shortest round-trip digits, positional between 1e-4
/// and 1e16, scientific (`1e+20`, `2.5e-07`) outside.
pub fn python_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..16).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let plain = format!("{f}");
    if plain.contains('.') {
        plain
    } else {
        format!("{plain}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(src: &str) -> String {
        let env = environment(&SearchPath(Vec::new()));
        env.render_str(src, minijinja::context! {}).unwrap()
    }

    #[test]
    fn indent_keeps_trailing_newline_and_indents_blank_first_line() {
        assert_eq!(render("{{ 'a\\nb\\n' | indent(2) }}|"), "a\n  b\n|");
        assert_eq!(
            render("{{ '\\nb' | indent(width=2, first=True) }}|"),
            "  \n  b|"
        );
        assert_eq!(
            render("{{ 'a\\n\\nb' | indent(2, blank=True) }}|"),
            "a\n  \n  b|"
        );
    }

    #[test]
    fn int_follows_jinja2_for_odd_strings() {
        assert_eq!(
            render("{{ ' 7 '|int }} {{ 'x'|int }} {{ '4.9'|int }} {{ 'x'|int(3) }}"),
            "7 0 4 3"
        );
        assert_eq!(
            render("{{ '1_000'|int }} {{ none|int }} {{ true|int }} {{ -2.7|int }}"),
            "1000 0 1 -2"
        );
    }

    #[test]
    fn sequence_test_is_true_for_strings_and_mappings() {
        assert_eq!(
            render("{{ 'a' is sequence }} {{ {} is sequence }} {{ 1 is sequence }}"),
            "True True False"
        );
    }

    #[test]
    fn compression_picks_by_suffix() {
        assert_eq!(
            render("{{ compression('a.tar.xz')[0] }} {{ compression('a.tar.xz')[1] }}"),
            "tar xz"
        );
        assert_eq!(
            render("{{ compression('a.zst')[1] }} {{ compression('a.img')[0] }}"),
            "zstd None"
        );
        assert_eq!(render("{{ compression('run.sh')[1] is none }}"), "True");
    }

    #[test]
    fn floats_print_like_python() {
        assert_eq!(python_float_repr(2.5e-7), "2.5e-07");
        assert_eq!(python_float_repr(1e20), "1e+20");
        assert_eq!(python_float_repr(3.0), "3.0");
        assert_eq!(python_float_repr(0.0001), "0.0001");
        assert_eq!(python_float_repr(1234567890123456.0), "1234567890123456.0");
        assert_eq!(render("{{ 0.5 }}"), "0.5");
    }

    #[test]
    fn undefined_variables_fail() {
        let env = environment(&SearchPath(Vec::new()));
        assert!(
            env.render_str("{{ missing }}", minijinja::context! {})
                .is_err()
        );
    }
}
