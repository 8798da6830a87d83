//! [`Value`] to YAML text that YAML 1.1 readers (PyYAML, used by LAVA) and
//! YAML 1.2 readers both read back as the same data.

use super::resolve::{self, Plain};
use crate::value::{Mapping, Value};

/// Writes a value as a block-style YAML document: two-space indented
/// mappings, list dashes at their parent's indent, strings quoted whenever a
/// reader could take them for anything but the same string (`yes`, `on`,
/// `1:20`, `0755`, `~`, `2024-05-24`, `1e5` …).
pub fn to_yaml_string(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Mapping(m) if !m.is_empty() => mapping(&mut out, m, 0, true),
        Value::Sequence(s) if !s.is_empty() => sequence(&mut out, s, 0, true),
        scalar_value => {
            scalar(&mut out, scalar_value, 2);
            out.push('\n');
        }
    }
    out
}

fn is_block(value: &Value) -> bool {
    match value {
        Value::Mapping(m) => !m.is_empty(),
        Value::Sequence(s) => !s.is_empty(),
        _ => false,
    }
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn mapping(out: &mut String, m: &Mapping, indent: usize, at_line_start: bool) {
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 || at_line_start {
            pad(out, indent);
        }
        let simple = simple_key(k);
        match simple {
            Some(text) => {
                out.push_str(&text);
                out.push(':');
            }
            None => {
                out.push_str("? ");
                block(out, k, indent + 2, false);
                pad(out, indent);
                out.push(':');
            }
        }
        value_after_key(out, v, indent);
    }
}

fn value_after_key(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Mapping(m) if !m.is_empty() => {
            out.push('\n');
            mapping(out, m, indent + 2, true);
        }
        Value::Sequence(s) if !s.is_empty() => {
            out.push('\n');
            sequence(out, s, indent, true);
        }
        _ => {
            out.push(' ');
            scalar(out, v, indent + 2);
            out.push('\n');
        }
    }
}

/// A key written on one line before its colon, when the key allows it.
fn simple_key(k: &Value) -> Option<String> {
    if is_block(k) {
        return None;
    }
    let mut text = String::new();
    match k {
        Value::String(s) if s.contains('\n') => double_quoted(&mut text, s),
        _ => scalar(&mut text, k, 0),
    }
    // YAML limits implicit keys to 1024 characters.
    (text.len() < 1000).then_some(text)
}

fn sequence(out: &mut String, items: &[Value], indent: usize, at_line_start: bool) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || at_line_start {
            pad(out, indent);
        }
        out.push_str("- ");
        block(out, item, indent + 2, false);
    }
}

fn block(out: &mut String, v: &Value, indent: usize, at_line_start: bool) {
    match v {
        Value::Mapping(m) if !m.is_empty() => mapping(out, m, indent, at_line_start),
        Value::Sequence(s) if !s.is_empty() => sequence(out, s, indent, at_line_start),
        _ => {
            if at_line_start {
                pad(out, indent);
            }
            scalar(out, v, indent);
            out.push('\n');
        }
    }
}

/// Writes a scalar (or an empty collection) in flow position; `indent` is the
/// indent of a literal block's content if one is used.
fn scalar(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(x) => out.push_str(&float(*x)),
        Value::Timestamp(s) if resolve::plain(s) == Plain::Timestamp => out.push_str(s),
        Value::String(s) | Value::Timestamp(s) => string(out, s, indent),
        Value::Sequence(_) => out.push_str("[]"),
        Value::Mapping(_) => out.push_str("{}"),
    }
}

/// A float in a form both YAML 1.1 (which wants a dot and a signed exponent)
/// and YAML 1.2 read back exactly.
fn float(x: f64) -> String {
    if x.is_nan() {
        return ".nan".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { ".inf" } else { "-.inf" }.to_string();
    }
    let text = format!("{x:?}");
    let Some(at) = text.find('e') else {
        return text;
    };
    let (mantissa, exponent) = (&text[..at], &text[at + 1..]);
    let mantissa = if mantissa.contains('.') {
        mantissa.to_string()
    } else {
        format!("{mantissa}.0")
    };
    let exponent = if exponent.starts_with('-') {
        exponent.to_string()
    } else {
        format!("+{exponent}")
    };
    format!("{mantissa}e{exponent}")
}

fn string(out: &mut String, s: &str, indent: usize) {
    if can_be_plain(s) {
        out.push_str(s);
    } else if can_be_literal(s) {
        literal(out, s, indent);
    } else if s.chars().all(|c| printable(c) && c != '\n') {
        out.push('\'');
        out.push_str(&s.replace('\'', "''"));
        out.push('\'');
    } else {
        double_quoted(out, s);
    }
}

/// Characters YAML lets stand unescaped in a quoted scalar.
fn printable(c: char) -> bool {
    matches!(c, '\t' | ' '..='~' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        && c != '\u{FEFF}'
}

fn can_be_plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if "-?:,[]{}#&*!|>'\"%@` \t".contains(first) {
        return false;
    }
    // `...` opening a line ends the document (`---` is caught by its `-`).
    if s.starts_with("...") {
        return false;
    }
    if s.ends_with([' ', ':', '\t']) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.contains(":\t") || s.contains("\t#") {
        return false;
    }
    if !s
        .chars()
        .all(|c| c == ' ' || (printable(c) && c != '\t' && c.is_ascii()))
    {
        return false;
    }
    !resolve::ambiguous(s)
}

fn can_be_literal(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\n', '\t'])
        && !s.ends_with("\n\n")
        && !s.contains('\r')
        && s.chars().all(|c| c == '\n' || printable(c))
        && s.lines().all(|l| !l.ends_with([' ', '\t']))
}

fn literal(out: &mut String, s: &str, indent: usize) {
    let body = s.strip_suffix('\n');
    out.push_str(if body.is_some() { "|" } else { "|-" });
    for line in body.unwrap_or(s).split('\n') {
        out.push('\n');
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
    }
}

fn double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if printable(c) => out.push(c),
            c if (c as u32) <= 0xFF => out.push_str(&format!("\\x{:02X}", c as u32)),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push_str(&format!("\\U{:08X}", c as u32)),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::super::from_str;
    use super::*;

    #[test]
    fn string_starting_with_a_document_end_marker_is_quoted() {
        // Fuzz finding: the document ` ...` is the string `...`, which
        // written plain at the start of a line ended the document instead.
        for s in ["...", "... x", "...x"] {
            let value = Value::String(s.into());
            let written = to_yaml_string(&value);
            assert!(written.starts_with('\''), "{written:?}");
            assert_eq!(from_str(&written).unwrap(), value, "{written:?}");
        }
        let top = from_str(" ...").unwrap();
        assert_eq!(from_str(&to_yaml_string(&top)).unwrap(), top);
    }
}
