//! The project's own template tree, compiled into the library.
//!
//! A small lava-test-plans style tree (a QEMU arm64 and a fastboot board, a boot
//! and an LTP test, a `smoke` plan, sample variables) written for kir's examples
//! and tests. Its files are part of the binary, so `kir lava-test-plans`, the
//! Python module and the C library can render it from any directory.
//!
//! The tree appears at the virtual directory [`ROOT`]: every file read of this
//! crate (template loader, test plan listing, variable files, variable reference
//! files) serves paths under it from the embedded files, so the bundled tree
//! takes the same path arguments as a checkout, and a user's own device or test
//! case directory can be combined with it.

use std::borrow::Cow;
use std::io;
use std::path::Path;

/// The virtual directory the bundled tree lives at. Nothing is read from disk
/// under it.
pub const ROOT: &str = "/kir:bundled-templates";

/// One embedded file: its path relative to [`ROOT`] and its text.
macro_rules! bundled {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../templates/", $path)))),*]
    };
}

/// Every file of the tree. The test plan entries are the test cases' text (in
/// the source tree they are links to them).
static FILES: &[(&str, &str)] = bundled![
    "devices/dragonboard-845c",
    "devices/qemu-arm64",
    "devices/variables/dragonboard-845c.yaml",
    "devices/variables/qemu-arm64.yaml",
    "fastboot.jinja2",
    "master.jinja2",
    "qemu.jinja2",
    "testcases/boot.yaml",
    "testcases/ltp-syscalls.yaml",
    "testcases/templates/ltp.jinja2",
    "testcases/templates/test.jinja2",
    "testplans/smoke/boot.yaml",
    "testplans/smoke/ltp-syscalls.yaml",
    "variables.ini",
];

/// The embedded files as (path relative to [`ROOT`], text), sorted by path.
pub fn files() -> impl Iterator<Item = (&'static str, &'static str)> {
    FILES.iter().copied()
}

/// Whether `path` is [`ROOT`] or lies under it.
pub fn is_bundled(path: &Path) -> bool {
    path.starts_with(ROOT)
}

/// The path relative to [`ROOT`] with `.` and `..` resolved, `/`-separated;
/// `None` when `path` is not under [`ROOT`] or leaves it.
fn relative(path: &Path) -> Option<String> {
    let rest = path.strip_prefix(ROOT).ok()?;
    let mut parts: Vec<String> = Vec::new();
    for c in rest.components() {
        match c {
            std::path::Component::Normal(p) => parts.push(p.to_str()?.to_string()),
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                parts.pop()?;
            }
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

fn embedded(path: &Path) -> Option<&'static str> {
    let rel = relative(path)?;
    FILES.iter().find(|(p, _)| *p == rel).map(|(_, text)| *text)
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{} is not in the bundled templates", path.display()),
    )
}

/// Reads a file, from the embedded tree under [`ROOT`] or from disk.
pub(crate) fn read_to_string(path: &Path) -> io::Result<Cow<'static, str>> {
    if is_bundled(path) {
        return embedded(path)
            .map(Cow::Borrowed)
            .ok_or_else(|| not_found(path));
    }
    std::fs::read_to_string(path).map(Cow::Owned)
}

/// Reads a file's bytes, from the embedded tree under [`ROOT`] or from disk.
pub(crate) fn read(path: &Path) -> io::Result<Cow<'static, [u8]>> {
    if is_bundled(path) {
        return embedded(path)
            .map(|t| Cow::Borrowed(t.as_bytes()))
            .ok_or_else(|| not_found(path));
    }
    std::fs::read(path).map(Cow::Owned)
}

/// Whether a file exists (embedded or on disk).
pub(crate) fn is_file(path: &Path) -> bool {
    if is_bundled(path) {
        return embedded(path).is_some();
    }
    path.is_file()
}

/// Whether a directory exists (a prefix of embedded paths, or on disk).
pub fn is_dir(path: &Path) -> bool {
    if is_bundled(path) {
        return relative(path).is_some_and(|rel| {
            rel.is_empty()
                || FILES.iter().any(|(p, _)| {
                    p.strip_prefix(rel.as_str())
                        .is_some_and(|r| r.starts_with('/'))
                })
        });
    }
    path.is_dir()
}

/// The names of the files directly in a directory (embedded or on disk),
/// unsorted. Subdirectories of an embedded directory are not listed.
pub(crate) fn file_names(dir: &Path) -> io::Result<Vec<String>> {
    if is_bundled(dir) {
        if !is_dir(dir) {
            return Err(not_found(dir));
        }
        let rel = relative(dir).unwrap_or_default();
        let prefix = if rel.is_empty() {
            String::new()
        } else {
            format!("{rel}/")
        };
        return Ok(FILES
            .iter()
            .filter_map(|(p, _)| p.strip_prefix(prefix.as_str()))
            .filter(|name| !name.contains('/'))
            .map(str::to_string)
            .collect());
    }
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_file_is_embedded_with_its_text() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut on_disk = Vec::new();
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    on_disk.push(p);
                }
            }
        }
        on_disk.sort();
        let names: Vec<String> = on_disk
            .iter()
            .map(|p| p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned())
            .collect();
        let embedded: Vec<&str> = files().map(|(p, _)| p).collect();
        assert_eq!(names, embedded);
        for (p, text) in files() {
            assert_eq!(std::fs::read_to_string(dir.join(p)).unwrap(), text, "{p}");
        }
    }

    #[test]
    fn paths_under_root_resolve_dots_and_list_files() {
        let root = Path::new(ROOT);
        assert!(is_file(&root.join("testcases/../variables.ini")));
        assert!(!is_file(&root.join("../etc/passwd")));
        assert!(is_dir(&root.join("testplans/smoke")));
        assert!(!is_dir(&root.join("testplans/smok")));
        let mut names = file_names(&root.join("testplans/smoke")).unwrap();
        names.sort();
        assert_eq!(names, ["boot.yaml", "ltp-syscalls.yaml"]);
        let top = file_names(root).unwrap();
        assert!(top.contains(&"master.jinja2".to_string()));
        assert!(!top.iter().any(|n| n.contains('/')));
        assert_eq!(
            read_to_string(&root.join("nope")).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }
}
