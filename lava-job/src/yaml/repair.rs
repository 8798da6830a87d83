//! Text PyYAML reads but saphyr's scanner refuses: continuation lines of a
//! multi-line quoted scalar indented less than the block holding the scalar,
//! or by tabs. PyYAML only checks such lines for a document marker and drops
//! their leading blanks, so re-indenting them with spaces changes nothing in
//! the data and lets the stricter scanner read the text.
//!
//! Each repair answers one scanner error at the place it names, and the text
//! is read again; the reader gives up (with the error it last met) after
//! [`MAX_REPAIRS`] of them.

/// Most repairs tried on one document; each costs a new read of the text.
pub(super) const MAX_REPAIRS: usize = 64;

/// saphyr's error at the opening quote of a quoted scalar whose continuation
/// line sits left of the block's indentation.
const QUOTED_INDENT: &str = "invalid indentation in quoted scalar";

/// saphyr's error at a tab that starts a quoted scalar's continuation line.
const TAB_INDENT: &str = "tab cannot be used as indentation";

/// The text with the construct behind a scanner error (`reason` at 1-based
/// `line`, 0-based character `column`) rewritten as PyYAML reads it, or
/// `None` when the error is not one PyYAML lets pass.
pub(super) fn repair(text: &str, reason: &str, line: usize, column: usize) -> Option<String> {
    let at = offset_of(text, line, column)?;
    match reason {
        QUOTED_INDENT => reindent_quoted(text, at, column),
        TAB_INDENT => spaces_for_leading_blanks(text, at),
        _ => None,
    }
}

/// Byte offset of a line (1-based) and character column (0-based).
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let rest = &text[start..];
    let within = rest
        .char_indices()
        .nth(column)
        .map(|(i, _)| i)
        .or((rest.chars().count() == column).then_some(rest.len()))?;
    Some(start + within)
}

/// Re-indents every continuation line of the quoted scalar opening at byte
/// `at` (character column `column`) one column right of its opening quote.
fn reindent_quoted(text: &str, at: usize, column: usize) -> Option<String> {
    let quote = text[at..]
        .chars()
        .next()
        .filter(|c| *c == '\'' || *c == '"')?;
    let body_start = at + 1;
    let end = body_start + closing_quote(&text[body_start..], quote)?;
    let mut out = String::with_capacity(text.len() + 64);
    out.push_str(&text[..body_start]);
    let mut lines = text[body_start..end].split('\n');
    if let Some(first) = lines.next() {
        out.push_str(first);
    }
    for line in lines {
        // PyYAML refuses a document marker here too; leave it to the error.
        if starts_document_marker(line) {
            return None;
        }
        out.push('\n');
        let content = line.trim_start_matches([' ', '\t']);
        if !content.is_empty() && content != "\r" {
            out.extend(std::iter::repeat_n(' ', column + 1));
        }
        out.push_str(content);
    }
    out.push_str(&text[end..]);
    Some(out)
}

/// Byte offset in `body` (the text after an opening quote) of the closing
/// quote: `''` is a quote inside single quotes, `\` escapes the next
/// character inside double quotes.
fn closing_quote(body: &str, quote: char) -> Option<usize> {
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if quote == '"' => {
                chars.next();
            }
            '\'' if quote == '\'' => {
                if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                    chars.next();
                } else {
                    return Some(i);
                }
            }
            '"' if quote == '"' => return Some(i),
            _ => {}
        }
    }
    None
}

/// `---` or `...` at the start of a line, followed by a blank or its end.
fn starts_document_marker(line: &str) -> bool {
    ["---", "..."].iter().any(|m| {
        line.strip_prefix(m)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r']))
    })
}

/// Replaces the blanks that start the line holding byte `at` with as many
/// spaces: the scanner then reports the line's indentation instead, which
/// [`reindent_quoted`] repairs.
fn spaces_for_leading_blanks(text: &str, at: usize) -> Option<String> {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let blanks = text[start..]
        .find(|c| c != ' ' && c != '\t')
        .unwrap_or(text.len() - start);
    if !text[start..start + blanks].contains('\t') {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..start]);
    out.extend(std::iter::repeat_n(' ', blanks));
    out.push_str(&text[start + blanks..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_lines_move_right_of_the_quote() {
        let text = "m:\n    d: \"one\ntwo\n\n  three\"\n    e: 1\n";
        let fixed = repair(text, QUOTED_INDENT, 2, 7).expect("repaired");
        assert_eq!(
            fixed,
            "m:\n    d: \"one\n        two\n\n        three\"\n    e: 1\n"
        );
    }

    #[test]
    fn escapes_do_not_close_the_scalar() {
        let text = "  a: 'it''s\nb'\n  c: \"x\\\"\ny\"\n";
        let fixed = repair(text, QUOTED_INDENT, 1, 5).expect("single");
        assert_eq!(fixed, "  a: 'it''s\n      b'\n  c: \"x\\\"\ny\"\n");
        let fixed = repair(&fixed, QUOTED_INDENT, 3, 5).expect("double");
        assert!(fixed.ends_with("  c: \"x\\\"\n      y\"\n"), "{fixed}");
    }

    #[test]
    fn document_markers_and_unclosed_scalars_are_left_alone() {
        assert_eq!(repair("  a: 'x\n---\n'\n", QUOTED_INDENT, 1, 5), None);
        assert_eq!(repair("  a: 'x\ny\n", QUOTED_INDENT, 1, 5), None);
        assert_eq!(repair("  a: x\n", QUOTED_INDENT, 1, 5), None);
        assert_eq!(repair("a: 1\n", "did not find expected key", 1, 0), None);
    }

    #[test]
    fn a_leading_tab_becomes_a_space() {
        let text = "m:\n  d: \"a\n\t\t  b\"\n";
        assert_eq!(
            repair(text, TAB_INDENT, 3, 0).expect("repaired"),
            "m:\n  d: \"a\n    b\"\n"
        );
    }

    #[test]
    fn positions_past_the_text_are_refused() {
        assert_eq!(repair("a: 'b\n", QUOTED_INDENT, 9, 0), None);
        assert_eq!(repair("a: 'b\n", QUOTED_INDENT, 1, 40), None);
    }
}
