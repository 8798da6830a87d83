//! Kernel module tarballs: `lib/modules/<release>/...`, as `make
//! modules_install` or a distribution package lays them out.
//!
//! [`read_tarball`] reads a (plain, gzip, xz or zstd) tarball into a tree of
//! archive entries, finds the one `<release>` directory and reads the
//! `vermagic` of its first modules from their ELF `.modinfo` section (plain or
//! `.ko.xz` / `.ko.zst` / `.ko.gz`). [`ModulesTree::check_release`] compares
//! both with the kernel's release; [`ModulesTree::cpio_entries`] places the
//! tree under a prefix (`usr`, as KIR's `tar -C modules_dir/usr`) for an
//! initramfs.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use object::{Object, ObjectSection};

use crate::compress;
use crate::cpio::{self, NewEntry, Node};
use crate::{Error, Result};

/// How many modules (in path order) have their vermagic read.
pub const VERMAGIC_SAMPLE: usize = 16;

/// A modules tarball, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModulesTree {
    /// `<release>` of the tarball's single `lib/modules/<release>` directory.
    pub release: String,
    /// Every entry, paths normalised to start at `lib/` (a leading `./` or a
    /// merged-/usr `usr/` before `lib/modules` is dropped), parents included.
    pub entries: Vec<NewEntry>,
    /// Number of kernel modules (`*.ko`, compressed or not).
    pub module_count: usize,
    /// `(path, vermagic)` of the first [`VERMAGIC_SAMPLE`] modules in path order.
    pub vermagic: Vec<(String, String)>,
}

/// Reads a modules tarball (plain tar, or gzip/xz/zstd of one).
pub fn read_tarball(data: &[u8]) -> Result<ModulesTree> {
    let plain = compress::read_maybe_compressed(data)?;
    let mut archive = tar::Archive::new(&plain[..]);
    let entries = archive.entries().map_err(|e| tar_error(0, e))?;

    let mut tree: BTreeMap<String, NewEntry> = BTreeMap::new();
    for entry in entries {
        let mut entry = entry.map_err(|e| tar_error(0, e))?;
        let offset = entry.raw_header_position();
        let raw_path = entry.path().map_err(|e| tar_error(offset, e))?;
        let raw_path = raw_path.to_str().map(str::to_string).ok_or_else(|| {
            Error::malformed("tar", offset, "name", format!("{raw_path:?} is not UTF-8"))
        })?;
        let Some(path) = normalize(&raw_path)? else {
            continue;
        };
        let header = entry.header().clone();
        let permissions = header.mode().map_err(|e| tar_error(offset, e))? & 0o7777;
        let link_name = match header.entry_type() {
            tar::EntryType::Symlink | tar::EntryType::Link => {
                let name = entry
                    .link_name()
                    .map_err(|e| tar_error(offset, e))?
                    .ok_or_else(|| Error::malformed("tar", offset, "linkname", "empty"))?;
                name.to_str().map(str::to_string).ok_or_else(|| {
                    Error::malformed("tar", offset, "linkname", format!("{name:?} is not UTF-8"))
                })?
            }
            _ => String::new(),
        };
        let device = || -> Result<(u32, u32)> {
            let major = header
                .device_major()
                .map_err(|e| tar_error(offset, e))?
                .unwrap_or(0);
            let minor = header
                .device_minor()
                .map_err(|e| tar_error(offset, e))?
                .unwrap_or(0);
            Ok((major, minor))
        };
        let node = match header.entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let mut data = Vec::new();
                entry
                    .read_to_end(&mut data)
                    .map_err(|e| tar_error(offset, e))?;
                Node::File(data)
            }
            tar::EntryType::Directory => Node::Directory,
            // The merged-/usr link of a root tree: its `usr/lib` is read as
            // `lib` already, so the link itself is dropped.
            tar::EntryType::Symlink
                if path == "lib"
                    && matches!(link_name.trim_end_matches('/'), "usr/lib" | "/usr/lib") =>
            {
                continue;
            }
            tar::EntryType::Symlink => Node::Symlink(link_name),
            tar::EntryType::Link => match normalize(&link_name)? {
                Some(target) => Node::HardLink(target),
                None => {
                    return Err(Error::malformed(
                        "tar",
                        offset,
                        "linkname",
                        "hard link to `.`",
                    ));
                }
            },
            tar::EntryType::Char => {
                let (major, minor) = device()?;
                Node::CharDevice { major, minor }
            }
            tar::EntryType::Block => {
                let (major, minor) = device()?;
                Node::BlockDevice { major, minor }
            }
            tar::EntryType::Fifo => Node::Fifo,
            other => {
                return Err(Error::Unsupported {
                    format: "tar",
                    reason: format!("entry {path:?} at offset {offset:#x} has type {other:?}"),
                });
            }
        };
        let uid = u32::try_from(header.uid().unwrap_or(0)).unwrap_or(0);
        let gid = u32::try_from(header.gid().unwrap_or(0)).unwrap_or(0);
        tree.insert(
            path.clone(),
            NewEntry {
                path,
                node,
                permissions,
                uid,
                gid,
            },
        );
    }

    refuse_paths_through_non_directories(&tree)?;
    add_missing_parents(&mut tree);
    let release = single_release(&tree)?;
    let modules: Vec<&NewEntry> = tree.values().filter(|e| is_module(&e.path)).collect();
    let module_count = modules.len();
    let mut vermagic = Vec::new();
    for entry in modules.into_iter().take(VERMAGIC_SAMPLE) {
        if let Node::File(bytes) = &entry.node {
            let magic = module_vermagic(bytes).map_err(|e| Error::Check {
                input: format!("modules tarball: {}", entry.path),
                reason: e.to_string(),
            })?;
            if let Some(magic) = magic {
                vermagic.push((entry.path.clone(), magic));
            }
        }
    }
    log::debug!(
        "modules tarball: release {release}, {module_count} modules, {} entries",
        tree.len()
    );
    Ok(ModulesTree {
        release,
        entries: tree.into_values().collect(),
        module_count,
        vermagic,
    })
}

impl ModulesTree {
    /// Checks the tarball against the kernel's release: the `lib/modules`
    /// directory name and every sampled module's vermagic must name it.
    /// With `kernel_release` unknown, only the modules' own agreement is checked.
    pub fn check_release(&self, kernel_release: Option<&str>) -> Result<()> {
        if let Some(kernel) = kernel_release {
            if kernel != self.release {
                return Err(Error::Check {
                    input: "modules tarball".into(),
                    reason: format!(
                        "holds lib/modules/{} but the kernel's release is {kernel}",
                        self.release
                    ),
                });
            }
        }
        for (path, magic) in &self.vermagic {
            let module_release = magic.split_whitespace().next().unwrap_or_default();
            if module_release != self.release {
                return Err(Error::Check {
                    input: format!("modules tarball: {path}"),
                    reason: format!(
                        "vermagic {magic:?} is for release {module_release}, not {}",
                        self.release
                    ),
                });
            }
        }
        Ok(())
    }

    /// The tree as initramfs entries below `prefix` (e.g. `usr`): `.`, each
    /// directory of the prefix, then the tarball's entries, all 0755 dirs.
    pub fn cpio_entries(&self, prefix: &str) -> Result<Vec<NewEntry>> {
        let prefix = cpio::normalize_path(prefix)?;
        let join = |p: &str| {
            if prefix == "." {
                p.to_string()
            } else {
                format!("{prefix}/{p}")
            }
        };
        let mut out = vec![NewEntry::new(".", Node::Directory, 0o755)];
        if prefix != "." {
            let mut acc = String::new();
            for part in prefix.split('/') {
                if !acc.is_empty() {
                    acc.push('/');
                }
                acc.push_str(part);
                out.push(NewEntry::new(acc.clone(), Node::Directory, 0o755));
            }
        }
        for entry in &self.entries {
            let mut moved = entry.clone();
            moved.path = join(&entry.path);
            if let Node::HardLink(target) = &entry.node {
                moved.node = Node::HardLink(join(target));
            }
            out.push(moved);
        }
        Ok(out)
    }
}

/// The `vermagic=` value of a kernel module's `.modinfo` section; the module
/// may be xz-, zstd- or gzip-compressed. `None` when the ELF has no vermagic.
pub fn module_vermagic(data: &[u8]) -> Result<Option<String>> {
    let plain = compress::read_maybe_compressed(data)?;
    let file = object::File::parse(&*plain).map_err(|e| Error::Check {
        input: "kernel module".into(),
        reason: format!("not an ELF object: {e}"),
    })?;
    let Some(section) = file.section_by_name(".modinfo") else {
        return Ok(None);
    };
    let info = section.data().map_err(|e| Error::Check {
        input: "kernel module".into(),
        reason: format!(".modinfo unreadable: {e}"),
    })?;
    Ok(info
        .split(|&b| b == 0)
        .find_map(|field| field.strip_prefix(b"vermagic="))
        .map(|v| String::from_utf8_lossy(v).into_owned()))
}

/// A minimal ELF relocatable object with a `.modinfo` section carrying
/// `vermagic` and `name`: enough for [`module_vermagic`], for demos and tests.
pub fn synthetic_module(name: &str, vermagic: &str) -> Result<Vec<u8>> {
    use object::write;
    let mut obj = write::Object::new(
        object::BinaryFormat::Elf,
        object::Architecture::Aarch64,
        object::Endianness::Little,
    );
    let section = obj.add_section(
        Vec::new(),
        b".modinfo".to_vec(),
        object::SectionKind::ReadOnlyData,
    );
    let info = format!("license=GPL\0name={name}\0vermagic={vermagic}\0");
    obj.append_section_data(section, info.as_bytes(), 1);
    obj.write()
        .map_err(|e| Error::invalid_argument("module", e.to_string()))
}

fn is_module(path: &str) -> bool {
    [".ko", ".ko.xz", ".ko.zst", ".ko.gz"]
        .iter()
        .any(|ext| path.ends_with(ext))
}

/// Normalises a tarball path to start at `lib/`; `None` for the root itself.
fn normalize(raw: &str) -> Result<Option<String>> {
    if raw.starts_with('/') {
        return Err(Error::UnsafePath {
            archive: "modules tarball".into(),
            entry: raw.into(),
            reason: "is an absolute path".into(),
        });
    }
    let path = cpio::normalize_path(raw).map_err(|_| Error::UnsafePath {
        archive: "modules tarball".into(),
        entry: raw.into(),
        reason: "contains a `..` component".into(),
    })?;
    if path == "." || path == "usr" {
        return Ok(None);
    }
    Ok(Some(match path.strip_prefix("usr/") {
        Some(rest) if rest == "lib" || rest.starts_with("lib/") => rest.to_string(),
        _ => path,
    }))
}

/// An entry under a name the tarball also gives a symlink (or any other
/// non-directory) would be written through that link when the ramdisk is
/// unpacked: `lib -> /tmp` then `lib/x` puts `x` in `/tmp`. Refused, as
/// the rootfs tar reader refuses it.
fn refuse_paths_through_non_directories(tree: &BTreeMap<String, NewEntry>) -> Result<()> {
    for path in tree.keys() {
        let mut at = path.as_str();
        while let Some(i) = at.rfind('/') {
            at = &at[..i];
            if let Some(parent) = tree.get(at)
                && !matches!(parent.node, Node::Directory)
            {
                return Err(Error::UnsafePath {
                    archive: "modules tarball".into(),
                    entry: path.clone(),
                    reason: format!("passes through {at:?}, which is not a directory"),
                });
            }
        }
    }
    Ok(())
}

fn add_missing_parents(tree: &mut BTreeMap<String, NewEntry>) {
    let mut missing = BTreeSet::new();
    for path in tree.keys() {
        let mut at = path.as_str();
        while let Some(i) = at.rfind('/') {
            at = &at[..i];
            if !tree.contains_key(at) {
                missing.insert(at.to_string());
            }
        }
    }
    for dir in missing {
        tree.insert(dir.clone(), NewEntry::new(dir, Node::Directory, 0o755));
    }
}

fn single_release(tree: &BTreeMap<String, NewEntry>) -> Result<String> {
    let releases: BTreeSet<&str> = tree
        .keys()
        .filter_map(|p| p.strip_prefix("lib/modules/"))
        .map(|rest| rest.split('/').next().unwrap_or(rest))
        .collect();
    let mut it = releases.iter();
    match (it.next(), it.next()) {
        (Some(release), None) => Ok((*release).to_string()),
        (None, _) => Err(Error::Check {
            input: "modules tarball".into(),
            reason: "no lib/modules/<release> directory".into(),
        }),
        _ => Err(Error::Check {
            input: "modules tarball".into(),
            reason: format!(
                "several releases under lib/modules: {}",
                releases.into_iter().collect::<Vec<_>>().join(", ")
            ),
        }),
    }
}

fn tar_error(offset: u64, e: std::io::Error) -> Error {
    Error::malformed("tar", offset, "header", e.to_string())
}

/// Builds a small modules tarball (uncompressed tar): `lib/modules/<release>/`
/// with one module per name under `kernel/drivers/demo/`, each carrying the
/// given vermagic, plus a `modules.dep`. For demos and tests.
pub fn synthetic_tarball(release: &str, vermagic: &str, names: &[&str]) -> Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.mode(tar::HeaderMode::Deterministic);
    let dir = |path: &str, builder: &mut tar::Builder<Vec<u8>>| -> Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_mode(0o755);
        header.set_size(0);
        header.set_mtime(0);
        builder
            .append_data(&mut header, path, std::io::empty())
            .map_err(|e| Error::invalid_argument("modules tarball", e.to_string()))
    };
    let base = format!("lib/modules/{release}");
    for d in [
        "lib",
        "lib/modules",
        &base,
        &format!("{base}/kernel"),
        &format!("{base}/kernel/drivers"),
    ] {
        dir(d, &mut builder)?;
    }
    dir(&format!("{base}/kernel/drivers/demo"), &mut builder)?;
    let mut dep = String::new();
    for name in names {
        let module = synthetic_module(name, vermagic)?;
        let path = format!("{base}/kernel/drivers/demo/{name}.ko");
        dep.push_str(&format!("kernel/drivers/demo/{name}.ko:\n"));
        append_file(&mut builder, &path, &module)?;
    }
    append_file(&mut builder, &format!("{base}/modules.dep"), dep.as_bytes())?;
    builder
        .into_inner()
        .map_err(|e| Error::invalid_argument("modules tarball", e.to_string()))
}

fn append_file(builder: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) -> Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mode(0o644);
    header.set_size(data.len() as u64);
    header.set_mtime(0);
    builder
        .append_data(&mut header, path, data)
        .map_err(|e| Error::invalid_argument("modules tarball", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_tarball_reads_back_with_release_and_vermagic() {
        let tar = synthetic_tarball(
            "6.1.0-demo",
            "6.1.0-demo SMP mod_unload aarch64",
            &["a", "b"],
        )
        .unwrap();
        let tree = read_tarball(&compress::gzip(&tar, 6)).unwrap();
        assert_eq!(tree.release, "6.1.0-demo");
        assert_eq!(tree.module_count, 2);
        assert_eq!(tree.vermagic.len(), 2);
        tree.check_release(Some("6.1.0-demo")).unwrap();
        let err = tree.check_release(Some("6.1.0-other")).unwrap_err();
        assert!(err.to_string().contains("lib/modules/6.1.0-demo"), "{err}");
    }

    #[test]
    fn vermagic_disagreeing_with_directory_is_reported_with_the_module() {
        let tar = synthetic_tarball("6.1.0-demo", "6.1.0-old SMP aarch64", &["a"]).unwrap();
        let err = read_tarball(&tar).unwrap().check_release(None).unwrap_err();
        assert!(
            err.to_string().contains("kernel/drivers/demo/a.ko"),
            "{err}"
        );
        assert!(err.to_string().contains("6.1.0-old"), "{err}");
    }

    #[test]
    fn cpio_entries_sit_under_the_prefix_with_root_and_prefix_dirs() {
        let tar = synthetic_tarball("6.1.0-demo", "6.1.0-demo", &["a"]).unwrap();
        let entries = read_tarball(&tar).unwrap().cpio_entries("/usr/").unwrap();
        let paths: Vec<_> = entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(&paths[..3], [".", "usr", "usr/lib"]);
        assert!(paths.contains(&"usr/lib/modules/6.1.0-demo/kernel/drivers/demo/a.ko"));
    }

    #[test]
    fn merged_usr_paths_and_dot_slash_are_normalised() {
        assert_eq!(
            normalize("./usr/lib/modules/x").unwrap().as_deref(),
            Some("lib/modules/x")
        );
        assert_eq!(
            normalize("usr/share/doc").unwrap().as_deref(),
            Some("usr/share/doc")
        );
        assert_eq!(normalize("./").unwrap(), None);
        assert!(normalize("../etc/passwd").is_err());
        assert!(normalize("/lib/modules").is_err());
    }

    fn tarball(entries: &[(&str, Option<&str>)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, link) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_mode(0o644);
            match link {
                Some(target) => {
                    header.set_entry_type(tar::EntryType::Symlink);
                    header.set_size(0);
                    builder.append_link(&mut header, path, target).unwrap();
                }
                None => {
                    header.set_size(1);
                    builder.append_data(&mut header, path, &b"x"[..]).unwrap();
                }
            }
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn entries_written_through_a_symlink_of_the_same_tarball_are_refused() {
        let tar = tarball(&[
            ("lib/modules/6.1.0/modules.dep", None),
            ("lib/modules/6.1.0/esc", Some("/tmp")),
            ("lib/modules/6.1.0/esc/evil", None),
        ]);
        let err = read_tarball(&tar).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::UnsafePath);
        assert!(err.to_string().contains("esc/evil"), "{err}");
    }

    #[test]
    fn the_merged_usr_lib_link_of_a_root_tree_is_dropped_not_refused() {
        let tar = tarball(&[
            ("lib", Some("usr/lib")),
            ("usr/lib/modules/6.1.0/modules.dep", None),
        ]);
        let tree = read_tarball(&tar).unwrap();
        assert_eq!(tree.release, "6.1.0");
        assert!(
            tree.entries
                .iter()
                .all(|e| !matches!(e.node, Node::Symlink(_)))
        );
    }

    #[test]
    fn tarball_without_modules_directory_is_refused() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(1);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, "etc/x", &b"x"[..])
            .unwrap();
        let err = read_tarball(&builder.into_inner().unwrap()).unwrap_err();
        assert!(err.to_string().contains("no lib/modules"), "{err}");
    }
}
