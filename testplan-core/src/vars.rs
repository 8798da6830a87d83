//! Variable files: ConfigObj-style ini and YAML, merged as lava-test-plans merges them.
//!
//! lava-test-plans reads each `--variables` file with ConfigObj first and, when
//! that fails, as YAML (1.2, safe types). Ini values are always strings or lists of
//! strings; YAML values keep their types. Files merge left to right (a later file
//! wins per top-level key), then `--overwrite-variables` items, then the CLI's
//! `device_type` and `overlays`.
//!
//! ```
//! let vars = testplan_core::vars::parse_ini("TAGS=tag1,\nNAME = \"a, b\"\n", "v.ini").unwrap();
//! assert_eq!(vars["TAGS"].to_string(), "['tag1']");
//! assert_eq!(vars["NAME"].as_str(), Some("a, b"));
//! ```

use std::path::Path;

use indexmap::IndexMap;
use minijinja::Value;
use saphyr::{LoadableYamlNode, Scalar, Yaml};

use crate::error::{Error, Result};

/// Variables by name, in the order they were first defined.
pub type Variables = IndexMap<String, Value>;

/// ConfigObj gives up on interpolation nested deeper than this.
const MAX_INTERPOLATION_DEPTH: usize = 10;

/// One ini entry before interpolation.
#[derive(Debug, Clone)]
enum IniItem {
    Scalar(String),
    List(Vec<String>),
    Section(usize),
}

/// An ini section; sections live in one arena so that children can find parents.
#[derive(Debug, Default)]
struct IniSection {
    parent: Option<usize>,
    depth: usize,
    entries: IndexMap<String, IniItem>,
}

/// Reads a variables file: ConfigObj ini first, YAML when that fails.
///
/// A missing file is an error (ConfigObj would silently read nothing).
pub fn load_variables(path: &Path) -> Result<Variables> {
    let bytes = crate::bundled::read(path).map_err(|e| Error::io(path, &e))?;
    let file = path.display().to_string();
    let text = std::str::from_utf8(&bytes).map_err(|e| Error::Variables {
        file: file.clone(),
        line: 0,
        reason: format!("not UTF-8 (byte {})", e.valid_up_to()),
    })?;
    parse_variables(text, &file)
}

/// Parses variables text the way lava-test-plans does: ini, then YAML.
///
/// When both fail, the error of the format the file name suggests is returned
/// (`.yaml`/`.yml`: YAML, anything else: ini).
pub fn parse_variables(text: &str, file: &str) -> Result<Variables> {
    let ini_err = match parse_ini(text, file) {
        Ok(vars) => return Ok(vars),
        Err(e) => e,
    };
    log::debug!("{file}: not a ConfigObj ini file ({ini_err}), trying YAML");
    match parse_yaml(text, file) {
        Ok(vars) => Ok(vars),
        Err(yaml_err) => {
            let is_yaml = file.ends_with(".yaml") || file.ends_with(".yml");
            Err(if is_yaml { yaml_err } else { ini_err })
        }
    }
}

/// Parses a YAML variables file (a mapping at the top, or an empty document).
pub fn parse_yaml(text: &str, file: &str) -> Result<Variables> {
    let docs = Yaml::load_from_str(text).map_err(|e| Error::Variables {
        file: file.to_string(),
        line: e.marker().line(),
        reason: e.info().to_string(),
    })?;
    let mut vars = Variables::new();
    let Some(doc) = docs.into_iter().next() else {
        return Ok(vars);
    };
    match doc {
        Yaml::Mapping(map) => {
            for (key, value) in map {
                vars.insert(key_string(&key), yaml_to_value(value));
            }
            Ok(vars)
        }
        Yaml::Value(Scalar::Null) => Ok(vars),
        _ => Err(Error::Variables {
            file: file.to_string(),
            line: 1,
            reason: "the top level is not a mapping of variable names to values".into(),
        }),
    }
}

fn key_string(key: &Yaml) -> String {
    match key {
        Yaml::Value(Scalar::String(s)) => s.to_string(),
        other => yaml_to_value(other.clone()).to_string(),
    }
}

/// Converts a loaded YAML node into a template value with Python-like types.
pub(crate) fn yaml_to_value(node: Yaml) -> Value {
    match node {
        Yaml::Value(scalar) => scalar_to_value(scalar),
        Yaml::Representation(text, _, _) => Value::from(text.to_string()),
        Yaml::Sequence(items) => {
            Value::from(items.into_iter().map(yaml_to_value).collect::<Vec<_>>())
        }
        Yaml::Mapping(map) => {
            let map: IndexMap<Value, Value> = map
                .into_iter()
                .map(|(k, v)| (yaml_to_value(k), yaml_to_value(v)))
                .collect();
            Value::from(map)
        }
        Yaml::Tagged(tag, inner) => {
            if tag.suffix == "str" {
                if let Yaml::Value(scalar) = *inner {
                    return Value::from(scalar_text(&scalar));
                }
                return yaml_to_value(*inner);
            }
            yaml_to_value(*inner)
        }
        Yaml::Alias(_) | Yaml::BadValue => Value::from(()),
    }
}

fn scalar_to_value(scalar: Scalar) -> Value {
    match scalar {
        Scalar::Null => Value::from(()),
        Scalar::Boolean(b) => Value::from(b),
        Scalar::Integer(i) => Value::from(i),
        Scalar::FloatingPoint(f) => Value::from(f.into_inner()),
        Scalar::String(s) => Value::from(s.to_string()),
    }
}

fn scalar_text(scalar: &Scalar) -> String {
    match scalar {
        Scalar::Null => String::new(),
        Scalar::Boolean(b) => b.to_string(),
        Scalar::Integer(i) => i.to_string(),
        Scalar::FloatingPoint(f) => f.to_string(),
        Scalar::String(s) => s.to_string(),
    }
}

/// Parses ConfigObj-style ini text into variables (strings, lists of strings and
/// nested sections), with ConfigParser-style `%(name)s` interpolation applied.
pub fn parse_ini(text: &str, file: &str) -> Result<Variables> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = split_lines(text);
    let mut sections = vec![IniSection::default()];
    let mut current = 0usize;
    let err = |line: usize, reason: &str| Error::Variables {
        file: file.to_string(),
        line,
        reason: reason.to_string(),
    };

    let mut index = 0usize;
    while index < lines.len() {
        let line = lines[index];
        let lineno = index + 1;
        index += 1;
        let stripped = line.trim();
        if stripped.is_empty() || stripped.starts_with('#') {
            continue;
        }

        if let Some((depth, name)) = section_marker(stripped) {
            let depth = depth.map_err(|reason| err(lineno, reason))?;
            let parent = parent_for_depth(&sections, current, depth)
                .ok_or_else(|| err(lineno, "section is nested too deeply"))?;
            if sections[parent].entries.contains_key(&name) {
                return Err(err(lineno, &format!("duplicate section name {name:?}")));
            }
            sections.push(IniSection {
                parent: Some(parent),
                depth,
                ..Default::default()
            });
            current = sections.len() - 1;
            sections[parent]
                .entries
                .insert(name, IniItem::Section(current));
            continue;
        }

        let Some((key, raw_value)) = split_keyword(line) else {
            return Err(err(
                lineno,
                "invalid line: expected KEY = VALUE or [section]",
            ));
        };
        let item = if raw_value.starts_with("'''") || raw_value.starts_with("\"\"\"") {
            let (value, next) = triple_quoted(raw_value, &lines, index)
                .ok_or_else(|| err(lineno, "unterminated or malformed triple-quoted value"))?;
            index = next;
            IniItem::Scalar(value)
        } else {
            list_value(raw_value)
                .ok_or_else(|| err(lineno, "badly quoted value or malformed list"))?
        };
        if sections[current].entries.contains_key(&key) {
            return Err(err(lineno, &format!("duplicate keyword name {key:?}")));
        }
        sections[current].entries.insert(key, item);
    }

    let root = section_to_value(&sections, 0, file)?;
    Ok(root)
}

/// Splits on `\n`, `\r\n` and `\r` like Python's file iteration with universal newlines.
fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// Recognises `[name]`, `[[name]]`...: the depth (or why it is wrong) and the name.
fn section_marker(line: &str) -> Option<(Result<usize, &'static str>, String)> {
    let line = strip_comment_after_marker(line)?;
    let mut rest = line;
    let mut open = 0;
    while let Some(r) = rest.strip_prefix('[') {
        open += 1;
        rest = r.trim_start();
    }
    if open == 0 {
        return None;
    }
    let mut close = 0;
    let mut body = rest;
    while let Some(b) = body.strip_suffix(']') {
        close += 1;
        body = b.trim_end();
    }
    if close == 0 || body.is_empty() {
        return None;
    }
    let name = unquote(body).to_string();
    let depth = if open == close {
        Ok(open)
    } else {
        Err("cannot compute the section depth")
    };
    Some((depth, name))
}

/// A section line may end in a comment; anything else after the brackets is not a marker.
fn strip_comment_after_marker(line: &str) -> Option<&str> {
    let end = line.rfind(']')?;
    let tail = line[end + 1..].trim_start();
    if tail.is_empty() || tail.starts_with('#') {
        Some(line[..=end].trim_end())
    } else {
        None
    }
}

fn parent_for_depth(sections: &[IniSection], current: usize, depth: usize) -> Option<usize> {
    let current_depth = sections.get(current)?.depth;
    if depth > current_depth + 1 {
        return None;
    }
    let mut parent = current;
    // The new section's parent sits at depth - 1: walk up from the current section.
    while sections.get(parent)?.depth >= depth {
        parent = sections.get(parent)?.parent?;
    }
    Some(parent)
}

/// Splits `key = value` at the first `=`; a key may be quoted.
fn split_keyword(line: &str) -> Option<(String, &str)> {
    let body = line.trim_start();
    let first = body.chars().next()?;
    let (key, after) = if first == '"' || first == '\'' {
        // The closing quote is the first one followed by optional blanks and '='.
        let mut found = None;
        for (pos, c) in body.char_indices().skip(1) {
            if c == first && body[pos + 1..].trim_start().starts_with('=') {
                found = Some(pos);
                break;
            }
        }
        let pos = found?;
        (body[1..pos].to_string(), body[pos + 1..].trim_start())
    } else {
        if first == '=' {
            return None;
        }
        let eq = body.find('=')?;
        (body[..eq].trim_end().to_string(), &body[eq..])
    };
    let value = after.strip_prefix('=')?.trim_start();
    Some((key, value))
}

/// A value opening with `'''` or `"""`: on one line, or running to the line holding
/// the closing quotes. Returns the value and the index of the next line to read.
fn triple_quoted(value: &str, lines: &[&str], next: usize) -> Option<(String, usize)> {
    let quote = &value[..3];
    let body = &value[3..];
    if let Some(end) = body.find(quote) {
        return only_comment_after(&body[end + 3..]).then(|| (body[..end].to_string(), next));
    }
    let mut out = body.to_string();
    let mut index = next;
    loop {
        let line = lines.get(index)?;
        index += 1;
        out.push('\n');
        match line.find(quote) {
            None => out.push_str(line),
            Some(end) => {
                if !only_comment_after(&line[end + 3..]) {
                    return None;
                }
                out.push_str(&line[..end]);
                return Some((out, index));
            }
        }
    }
}

fn only_comment_after(rest: &str) -> bool {
    let rest = rest.trim_start();
    rest.is_empty() || rest.starts_with('#')
}

/// A one-line value: a string, or a list when it holds unquoted commas.
fn list_value(value: &str) -> Option<IniItem> {
    let (items, trailing_comma) = split_items(value)?;
    if items.is_empty() {
        // Only a comment or nothing: the empty string; a lone comma: the empty list.
        return Some(if trailing_comma {
            IniItem::List(Vec::new())
        } else {
            IniItem::Scalar(String::new())
        });
    }
    if items.len() == 1 && !trailing_comma {
        return Some(IniItem::Scalar(items.into_iter().next()?));
    }
    Some(IniItem::List(items))
}

/// Splits a value into unquoted items at commas outside quotes, stopping at a
/// comment (`#` outside quotes). Returns the items and whether the value ended
/// with a comma. `None` when the value is malformed (stray quote, empty item).
fn split_items(value: &str) -> Option<(Vec<String>, bool)> {
    let mut items = Vec::new();
    let mut rest = value.trim_start();
    let mut after_comma = false;
    loop {
        if rest.is_empty() || rest.starts_with('#') {
            return Some((items, after_comma));
        }
        let first = rest.chars().next()?;
        if first == ',' {
            // A lone comma is the empty list; a comma after a comma is malformed.
            if after_comma || !items.is_empty() {
                return None;
            }
            let tail = rest[1..].trim_start();
            return (tail.is_empty() || tail.starts_with('#')).then_some((items, true));
        }
        let (item, tail) = if first == '"' || first == '\'' {
            quoted_item(rest, first)?
        } else {
            let end = rest.find([',', '#']).unwrap_or(rest.len());
            (rest[..end].trim_end().to_string(), &rest[end..])
        };
        items.push(item);
        let tail = tail.trim_start();
        if let Some(t) = tail.strip_prefix(',') {
            rest = t.trim_start();
            after_comma = true;
            if rest.starts_with(',') {
                return None;
            }
        } else {
            rest = tail;
            after_comma = false;
            if !(rest.is_empty() || rest.starts_with('#')) {
                return None;
            }
        }
    }
}

/// A quoted item: the closing quote is the first one followed by a comma, a comment
/// or the end of the value (ConfigObj's lazy match, backtracking past earlier quotes).
fn quoted_item(rest: &str, quote: char) -> Option<(String, &str)> {
    for (pos, c) in rest.char_indices().skip(1) {
        if c != quote {
            continue;
        }
        let tail = &rest[pos + 1..];
        let t = tail.trim_start();
        if t.is_empty() || t.starts_with(',') || t.starts_with('#') {
            return Some((rest[1..pos].to_string(), tail));
        }
    }
    None
}

fn unquote(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'') {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// Builds the value of one section: scalars first, then subsections (ConfigObj's
/// iteration order), with interpolation applied to strings and list members.
fn section_to_value(sections: &[IniSection], index: usize, file: &str) -> Result<Variables> {
    let mut out = Variables::new();
    let Some(section) = sections.get(index) else {
        return Ok(out);
    };
    for (key, item) in &section.entries {
        let value = match item {
            IniItem::Scalar(s) => Value::from(interpolate(sections, index, key, s, file)?),
            IniItem::List(items) => {
                let items: Result<Vec<Value>> = items
                    .iter()
                    .map(|s| interpolate(sections, index, key, s, file).map(Value::from))
                    .collect();
                Value::from(items?)
            }
            IniItem::Section(_) => continue,
        };
        out.insert(key.clone(), value);
    }
    for (key, item) in &section.entries {
        if let IniItem::Section(child) = item {
            out.insert(
                key.clone(),
                map_value(section_to_value(sections, *child, file)?),
            );
        }
    }
    Ok(out)
}

/// ConfigParser-style `%(name)s` substitution. Names are looked up in the value's own
/// section, its `DEFAULT` subsection, then each parent in turn.
fn interpolate(
    sections: &[IniSection],
    index: usize,
    key: &str,
    value: &str,
    file: &str,
) -> Result<String> {
    if !value.contains('%') {
        return Ok(value.to_string());
    }
    let mut trail = Vec::new();
    expand(sections, index, key, value, file, &mut trail)
}

fn expand(
    sections: &[IniSection],
    index: usize,
    key: &str,
    value: &str,
    file: &str,
    trail: &mut Vec<String>,
) -> Result<String> {
    let fail = |reason: String| Error::Variables {
        file: file.to_string(),
        line: 0,
        reason,
    };
    if trail.iter().any(|k| k == key) || trail.len() > MAX_INTERPOLATION_DEPTH {
        return Err(fail(format!("interpolation loop while expanding {key:?}")));
    }
    trail.push(key.to_string());
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("%(") {
        let Some(close) = rest[start..].find(")s") else {
            break;
        };
        let name = &rest[start + 2..start + close];
        if name.contains(')') {
            out.push_str(&rest[..start + 2]);
            rest = &rest[start + 2..];
            continue;
        }
        let raw = lookup(sections, index, name).ok_or_else(|| {
            fail(format!(
                "{key:?} refers to %({name})s, which is not defined"
            ))
        })?;
        out.push_str(&rest[..start]);
        out.push_str(&expand(sections, index, name, raw, file, trail)?);
        rest = &rest[start + close + 2..];
    }
    out.push_str(rest);
    trail.pop();
    Ok(out)
}

fn lookup<'a>(sections: &'a [IniSection], mut index: usize, name: &str) -> Option<&'a str> {
    loop {
        let section = sections.get(index)?;
        if let Some(IniItem::Scalar(s)) = section.entries.get(name) {
            return Some(s);
        }
        if let Some(IniItem::Section(d)) = section.entries.get("DEFAULT") {
            if let Some(IniItem::Scalar(s)) = sections.get(*d)?.entries.get(name) {
                return Some(s);
            }
        }
        index = section.parent?;
    }
}

/// A template map value from string-keyed entries, order kept.
pub fn map_value<K: Into<Value>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
    let map: IndexMap<Value, Value> = entries.into_iter().map(|(k, v)| (k.into(), v)).collect();
    Value::from(map)
}

/// Applies `--overwrite-variables` items (`KEY=VALUE`, split at the first `=`,
/// values are strings).
pub fn apply_overrides(vars: &mut Variables, items: &[String]) -> Result<()> {
    for item in items {
        let Some((key, value)) = item.split_once('=') else {
            return Err(Error::Override {
                item: item.clone(),
                reason: "expected KEY=VALUE".into(),
            });
        };
        if key.is_empty() {
            return Err(Error::Override {
                item: item.clone(),
                reason: "empty variable name".into(),
            });
        }
        vars.insert(key.to_string(), Value::from(value));
    }
    Ok(())
}

/// Where a `--variables` path is read from: as given when it exists relative to
/// `cwd`, otherwise relative to the template tree (the Python tool's rule).
pub fn resolve_variables_path(cwd: &Path, tree_root: &Path, path: &Path) -> std::path::PathBuf {
    let direct = cwd.join(path);
    if crate::bundled::is_file(&direct) || crate::bundled::is_dir(&direct) {
        direct
    } else {
        tree_root.join(path)
    }
}

/// Reads and merges variable files left to right, then applies the overrides.
pub fn merge_files(paths: &[std::path::PathBuf], overrides: &[String]) -> Result<Variables> {
    let mut vars = Variables::new();
    for path in paths {
        vars.extend(load_variables(path)?);
    }
    apply_overrides(&mut vars, overrides)?;
    Ok(vars)
}

/// `--validate-variables`: the names listed in the device's reference file
/// (`<device dir>/variables/<device_type>.yaml`) that the variables lack, sorted.
pub fn missing_variables(
    device_dir: &Path,
    device_type: &str,
    vars: &Variables,
) -> Result<Vec<String>> {
    let reference = device_dir
        .join("variables")
        .join(format!("{device_type}.yaml"));
    let text = crate::bundled::read_to_string(&reference).map_err(|e| Error::io(&reference, &e))?;
    let wanted = parse_yaml(&text, &reference.display().to_string())?;
    let mut missing: Vec<String> = wanted
        .keys()
        .filter(|k| !vars.contains_key(*k))
        .cloned()
        .collect();
    missing.sort();
    Ok(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ini(text: &str) -> Variables {
        parse_ini(text, "t.ini").unwrap()
    }

    #[test]
    fn comma_makes_a_list_and_trailing_comma_a_single_item_list() {
        let v = ini("A=a, b\nB=a,\nC=a\nD=,\n");
        assert_eq!(v["A"].to_string(), "['a', 'b']");
        assert_eq!(v["B"].to_string(), "['a']");
        assert_eq!(v["C"].as_str(), Some("a"));
        assert_eq!(v["D"].to_string(), "[]");
    }

    #[test]
    fn quotes_keep_commas_and_are_stripped() {
        let v = ini("A = \"x, y\"\nB='q' , \"r\"\nC=\"\"\n");
        assert_eq!(v["A"].as_str(), Some("x, y"));
        assert_eq!(v["B"].to_string(), "['q', 'r']");
        assert_eq!(v["C"].as_str(), Some(""));
    }

    #[test]
    fn comments_full_line_and_inline() {
        let v = ini("# c\n  # indented\nA=value # note\nB=http://x#frag\nC= # only comment\n");
        assert_eq!(v["A"].as_str(), Some("value"));
        assert_eq!(v["B"].as_str(), Some("http://x"));
        assert_eq!(v["C"].as_str(), Some(""));
        assert_eq!(v.len(), 3);
    }

    #[test]
    fn values_may_contain_equals_signs() {
        let v = ini("ARGS=console=ttyS0 root=/dev/sda\n");
        assert_eq!(v["ARGS"].as_str(), Some("console=ttyS0 root=/dev/sda"));
    }

    #[test]
    fn sections_nest_and_interpolation_looks_upwards() {
        let v = ini("BASE=http://h\nURL=%(BASE)s/x\n[s]\nP=%(BASE)s/p\n[[t]]\nQ=1\n[u]\nR=2\n");
        assert_eq!(v["URL"].as_str(), Some("http://h/x"));
        let s = &v["s"];
        assert_eq!(s.get_attr("P").unwrap().as_str(), Some("http://h/p"));
        assert_eq!(
            s.get_attr("t").unwrap().get_attr("Q").unwrap().as_str(),
            Some("1")
        );
        assert_eq!(v["u"].get_attr("R").unwrap().as_str(), Some("2"));
    }

    #[test]
    fn triple_quoted_values_span_lines() {
        let v = ini("A='''one\ntwo, three\n four'''  # c\nB=\"\"\"x\"\"\"\n");
        assert_eq!(v["A"].as_str(), Some("one\ntwo, three\n four"));
        assert_eq!(v["B"].as_str(), Some("x"));
    }

    #[test]
    fn duplicate_key_is_an_error_naming_the_line() {
        let e = parse_ini("A=1\nB=2\nA=3\n", "dup.ini").unwrap_err();
        assert_eq!(
            e,
            Error::Variables {
                file: "dup.ini".into(),
                line: 3,
                reason: "duplicate keyword name \"A\"".into()
            }
        );
    }

    #[test]
    fn missing_interpolation_and_loops_are_errors() {
        assert!(parse_ini("A=%(B)s\n", "x").is_err());
        assert!(parse_ini("A=%(B)s\nB=%(A)s\n", "x").is_err());
    }

    #[test]
    fn yaml_file_falls_back_and_keeps_types() {
        let v = parse_variables("A: 1\nB: true\nC: [x, y]\nD: null\nE: '07'\n", "v.yaml").unwrap();
        assert_eq!(v["A"], Value::from(1));
        assert_eq!(v["B"], Value::from(true));
        assert_eq!(v["C"].to_string(), "['x', 'y']");
        assert!(v["D"].is_none());
        assert_eq!(v["E"].as_str(), Some("07"));
    }

    #[test]
    fn yaml_duplicate_keys_are_rejected() {
        assert!(parse_variables("A: 1\nA: 2\n", "v.yaml").is_err());
    }

    #[test]
    fn overrides_split_at_first_equals() {
        let mut v = ini("A=1\n");
        apply_overrides(&mut v, &["A=x=y".into(), "B=".into()]).unwrap();
        assert_eq!(v["A"].as_str(), Some("x=y"));
        assert_eq!(v["B"].as_str(), Some(""));
        assert!(apply_overrides(&mut v, &["novalue".into()]).is_err());
    }
}
