//! The YAML writer and reader against PyYAML (the YAML 1.1 reader LAVA uses):
//! PyYAML must load what we write as the same data, and we must read tricky
//! scalars with the types PyYAML gives them.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use lava_job::yaml::{from_str, to_yaml_string};
use lava_job::{Mapping, Value};

/// Runs `script` with `input` on stdin and returns its stdout.
fn python(script: &str, input: &str) -> Option<String> {
    let Some(py) = common::python_with(&["yaml"]) else {
        common::missing("python3 with PyYAML (pip install pyyaml)");
        return None;
    };
    let mut child = Command::new(py)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write to python");
    let out = child.wait_with_output().expect("python runs");
    assert!(out.status.success(), "python failed on:\n{input}");
    Some(String::from_utf8(out.stdout).expect("utf-8"))
}

/// Python code that prints a tagged, type-exact rendering of YAML data, used
/// to compare PyYAML's reading with ours.
const DESCRIBE: &str = r#"
import sys, yaml, datetime, math
def d(v):
    if v is None: return "null"
    if isinstance(v, bool): return "bool:" + str(v)
    if isinstance(v, int): return "int:" + str(v)
    if isinstance(v, float):
        if math.isnan(v): return "float:nan"
        return "float:" + repr(v)
    if isinstance(v, str): return "str:" + ascii(v)
    if isinstance(v, (datetime.date, datetime.datetime)): return "date"
    if isinstance(v, list): return "[" + ",".join(d(x) for x in v) + "]"
    if isinstance(v, dict): return "{" + ",".join(d(k) + "=" + d(x) for k, x in v.items()) + "}"
    return "other:" + type(v).__name__
print(d(yaml.safe_load(sys.stdin.read())))
"#;

fn py_repr(s: &str) -> String {
    // Python's repr of a str: single quotes unless the text holds one and no double.
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::new();
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if (c as u32) <= 0xff && !c.is_ascii() => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if (c as u32) > 0xffff => out.push_str(&format!("\\U{:08x}", c as u32)),
            c if !c.is_ascii() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    let text = format!("{x:?}");
    // Python writes 1e+16 and 1.5e-07 where Rust writes 1e16 and 1.5e-7.
    match text.find('e') {
        Some(at) => {
            let exponent = &text[at + 1..];
            let (sign, digits) = match exponent.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exponent),
            };
            format!("{}e{sign}{digits:0>2}", &text[..at])
        }
        None => text,
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("bool:{}", if *b { "True" } else { "False" }),
        Value::Int(i) => format!("int:{i}"),
        Value::Float(x) => format!("float:{}", py_float(*x)),
        Value::String(s) => format!("str:{}", py_repr(s)),
        Value::Timestamp(_) => "date".into(),
        Value::Sequence(items) => format!(
            "[{}]",
            items.iter().map(describe).collect::<Vec<_>>().join(",")
        ),
        Value::Mapping(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}={}", describe(k), describe(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

/// Strings a careless writer leaves plain and a YAML 1.1 reader then types.
const TRICKY: &[&str] = &[
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "Y",
    "N",
    "YES",
    "Off",
    "true",
    "False",
    "~",
    "null",
    "Null",
    "",
    " ",
    "1:20",
    "190:20:30",
    "1:20.5",
    "0755",
    "08",
    "0x1F",
    "0b101",
    "+12",
    "-0",
    "1_000",
    "1.5",
    "1.",
    ".5",
    "1e5",
    "1.0e+5",
    "1E-3",
    ".inf",
    "-.Inf",
    ".nan",
    "2024-05-24",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10",
    "=",
    "<<",
    "- item",
    "? q",
    ": c",
    "a: b",
    "a #b",
    "#comment",
    "key:",
    "@at",
    "`tick",
    "%pct",
    "&anchor",
    "*alias",
    "!tag",
    "|pipe",
    ">fold",
    "'quote",
    "\"dq",
    "[list]",
    "{map}",
    ",comma",
    "trailing ",
    " leading",
    "tab\there",
    "multi\nline\n",
    "multi\nline",
    "two\n\nblank\n",
    "end\n\n",
    "\nstarts",
    "carriage\r\nreturn",
    "nul\u{0}byte",
    "bell\u{7}",
    "del\u{7f}",
    "nbsp\u{a0}",
    "bom\u{feff}",
    "caf\u{e9}",
    "emoji \u{1F600}",
    "---",
    "...",
    "--- x",
    "a'b",
    "a\"b",
    "back\\slash",
    "https://example.com/a?b=c#frag",
    "console=ttyS0,115200",
    "root=/dev/nfs rw",
    "=> ",
    "/ # ",
    "5.10.0-rc1",
    "3.2.0",
    "20240524",
    "0o17",
    "0.",
    "+.inf",
    "1__0",
];

fn tricky_document() -> Value {
    let mut m = Mapping::new();
    let strings: Vec<Value> = TRICKY.iter().map(|s| Value::from(*s)).collect();
    m.insert("strings", Value::Sequence(strings));
    let mut keyed = Mapping::new();
    for s in TRICKY {
        keyed.insert(*s, *s);
    }
    m.insert("as keys", Value::Mapping(keyed));
    m.insert(
        "numbers",
        Value::Sequence(vec![
            Value::Int(0),
            Value::Int(-7),
            Value::Int(i64::MAX),
            Value::Int(i64::MIN),
            Value::Float(0.1),
            Value::Float(-2.5),
            Value::Float(1e20),
            Value::Float(1.5e-7),
            Value::Float(f64::INFINITY),
            Value::Float(f64::NEG_INFINITY),
            Value::Float(3.0),
        ]),
    );
    m.insert("nothing", Value::Null);
    m.insert("empty list", Value::Sequence(vec![]));
    m.insert("empty map", Value::Mapping(Mapping::new()));
    m.insert(
        "nested",
        Value::Sequence(vec![
            Value::Sequence(vec![Value::from("a"), Value::Sequence(vec![Value::Int(1)])]),
            Value::Mapping(
                [(Value::from("k"), Value::from("on"))]
                    .into_iter()
                    .collect(),
            ),
        ]),
    );
    let mut odd_keys = Mapping::new();
    odd_keys.insert(Value::Int(1), "int key");
    odd_keys.insert(Value::Bool(false), "bool key");
    odd_keys.insert(Value::Null, "null key");
    odd_keys.insert("x".repeat(1200), "long key");
    m.insert("odd keys", Value::Mapping(odd_keys));
    m.insert("date", Value::Timestamp("2024-05-24".into()));
    Value::Mapping(m)
}

#[test]
fn pyyaml_reads_written_yaml_as_the_same_data() {
    let value = tricky_document();
    let text = to_yaml_string(&value);
    let Some(theirs) = python(DESCRIBE, &text) else {
        return;
    };
    assert_eq!(theirs.trim_end(), describe(&value), "written YAML:\n{text}");
}

#[test]
fn written_yaml_reads_back_as_the_same_value() {
    let value = tricky_document();
    let text = to_yaml_string(&value);
    let back = from_str(&text).expect("our own output parses");
    assert_eq!(describe(&back), describe(&value), "written YAML:\n{text}");
}

#[test]
fn reader_types_plain_scalars_like_pyyaml() {
    let mut doc = String::from("[");
    for s in TRICKY {
        // Only scalars that are valid plain flow scalars make sense here.
        if s.is_empty()
            || s.contains(['\n', '\r', ',', '[', ']', '{', '}', '#', '\'', '"', '\t'])
            || s.contains(": ")
            || s.starts_with(['-', '?', ':', '@', '`', '%', '&', '*', '!', '|', '>', ' '])
            || s.ends_with([' ', ':'])
            || s.chars().any(|c| c.is_control() || !c.is_ascii())
            || *s == "="
            || *s == "<<"
        {
            continue;
        }
        doc.push_str(s);
        doc.push_str(", ");
    }
    doc.push_str("-1, -1.5, -.inf, 2:3, 1_0, 0o7, 0x_1, +0b1]");
    let ours = from_str(&doc).expect("we read it");
    let Some(theirs) = python(DESCRIBE, &doc) else {
        return;
    };
    assert_eq!(describe(&ours), theirs.trim_end(), "document: {doc}");
}

#[test]
fn reader_reports_line_and_column_of_each_node() {
    let node = lava_job::yaml::parse("a:\n  b: [1, 2]\n  c:\n    - x\n").expect("parses");
    let b = node.get("a").and_then(|a| a.get("b")).expect("a.b");
    assert_eq!((b.mark.line, b.mark.column), (2, 6));
    let x = node
        .get("a")
        .and_then(|a| a.get("c"))
        .and_then(|c| c.items())
        .and_then(|i| i.first())
        .expect("a.c[0]");
    assert_eq!((x.mark.line, x.mark.column), (4, 7));
}

#[test]
fn reader_keeps_last_value_of_a_repeated_key_in_first_place() {
    let v = from_str("a: 1\nb: 2\na: 3\n").expect("parses");
    let keys: Vec<String> = v
        .as_mapping()
        .expect("map")
        .iter()
        .map(|(k, _)| k.to_string())
        .collect();
    assert_eq!(keys, ["a", "b"]);
    assert_eq!(v.get("a"), Some(&Value::Int(3)));
}

#[test]
fn reader_refuses_several_documents_and_bad_yaml_with_a_position() {
    let err = from_str("a: 1\n---\nb: 2\n").expect_err("two documents");
    assert!(
        matches!(err, lava_job::Error::Yaml { line: 2, .. }),
        "{err}"
    );
    let err = from_str("a: [1, 2\nb: 3\n").expect_err("unclosed flow list");
    assert!(matches!(err, lava_job::Error::Yaml { .. }), "{err}");
}

#[test]
fn reader_expands_aliases_and_merge_keys() {
    let v = from_str("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n").expect("parses");
    let used = v.get("use").expect("use");
    assert_eq!(used.get("x"), Some(&Value::Int(1)));
    assert_eq!(used.get("y"), Some(&Value::Int(3)));
}

#[test]
fn reader_refuses_alias_bombs() {
    let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        doc.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    assert!(from_str(&doc).is_err());
}

#[test]
fn reader_refuses_nesting_deeper_than_its_limit() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let err = from_str(&deep).expect_err("too deep");
    assert!(
        matches!(err, lava_job::Error::Yaml { line: 1, .. }),
        "{err}"
    );
    let fine = format!("{}{}", "[".repeat(100), "]".repeat(100));
    assert!(from_str(&fine).is_ok());
}

/// Quoted scalars whose continuation lines sit left of their block or start
/// with tabs, as test definitions write them: PyYAML (so LAVA) reads them.
const LOOSE_QUOTED: &str = "\
metadata:
    format: Lava-Test Test Definition 1.0
    description: \"Download the update and corrupt
    the kernel to force a rollback.\"
    notes: 'it''s
  folded
\t\t  with tabs'
params:
    TEST_LIST: \"basic \\
    clock \\
    fork\"
run:
    steps:
        - 'echo one
two'
        - after
";

#[test]
fn reader_takes_quoted_continuation_lines_pyyaml_takes() {
    let ours = from_str(LOOSE_QUOTED).expect("read as PyYAML reads it");
    let metadata = ours.get("metadata").expect("metadata");
    assert_eq!(
        metadata.get("description").and_then(Value::as_str),
        Some("Download the update and corrupt the kernel to force a rollback.")
    );
    assert_eq!(
        metadata.get("notes").and_then(Value::as_str),
        Some("it's folded with tabs")
    );
    assert_eq!(
        ours.get("params")
            .and_then(|p| p.get("TEST_LIST"))
            .and_then(Value::as_str),
        Some("basic clock fork")
    );
    let steps = ours.get("run").and_then(|r| r.get("steps")).expect("steps");
    assert_eq!(steps.as_sequence().map(<[Value]>::len), Some(2));

    let node = lava_job::yaml::parse(LOOSE_QUOTED).expect("parses");
    let after = node
        .get("run")
        .and_then(|r| r.get("steps"))
        .and_then(|s| s.items())
        .and_then(|i| i.get(1))
        .expect("run.steps[1]");
    assert_eq!((after.mark.line, after.mark.column), (16, 11));

    let Some(theirs) = python(DESCRIBE, LOOSE_QUOTED) else {
        return;
    };
    assert_eq!(describe(&ours), theirs.trim_end());
}

#[test]
fn an_error_after_a_loose_quoted_scalar_is_reported_where_it_is() {
    let text = "a:\n  b: 'x\ny'\n  c: [1, 2\nd: 3\n";
    let err = from_str(text).expect_err("the flow list is not closed");
    let lava_job::Error::Yaml { line, .. } = err else {
        panic!("a YAML error: {err}");
    };
    assert!(
        line >= 4,
        "line {line} is the quoted scalar's, not the error's"
    );
}

#[test]
fn reader_still_refuses_a_document_marker_inside_a_quoted_scalar() {
    let err = from_str("a:\n  b: 'x\n---\ny'\n").expect_err("PyYAML refuses it too");
    assert!(
        matches!(err, lava_job::Error::Yaml { line: 2, .. }),
        "the first error is reported: {err}"
    );
}
