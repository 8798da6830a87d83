//! How every subcommand writes its results: through a temporary file beside
//! the destination, renamed into place only when complete, with the mode a
//! newly created file gets under the user's umask; and never over one of the
//! command's own inputs.

use std::fs::{self, File, Permissions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context, bail};

/// Refuses `output` when it names the same file as one of `inputs` (same
/// device and inode, so hard links and symbolic links count too). `inputs`
/// pairs a description (a flag or a role) with the path given for it.
pub fn refuse_input_as_output<'a>(
    output: &Path,
    inputs: impl IntoIterator<Item = (&'a str, &'a Path)>,
) -> anyhow::Result<()> {
    let Ok(out) = fs::metadata(output) else {
        return Ok(());
    };
    for (what, input) in inputs {
        if let Ok(meta) = fs::metadata(input)
            && (meta.dev(), meta.ino()) == (out.dev(), out.ino())
        {
            bail!(
                "{}: the output is also an input ({what} {}); kir never writes over its inputs",
                output.display(),
                input.display()
            );
        }
    }
    Ok(())
}

/// Fills a temporary file beside `path` with `fill`, then renames it into
/// place. On any error the temporary file is removed and `path` is untouched.
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut File) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".kir-")
        // Created like any new file: 0666 less the umask (tempfile's own
        // default, 0600, would hide images from the lab's other users).
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    fill(temp.as_file_mut()).with_context(|| format!("cannot write {}", path.display()))?;
    temp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Writes `bytes` to `path` atomically (see [`write_with`]).
pub fn write_bytes(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_with(path, |file| Ok(file.write_all(bytes)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_naming_an_input_through_a_hard_link_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("kernel");
        let link = dir.path().join("kernel.link");
        fs::write(&input, b"kernel").unwrap();
        fs::hard_link(&input, &link).unwrap();
        let err = refuse_input_as_output(&link, [("--kernel", input.as_path())]).unwrap_err();
        assert!(err.to_string().contains("--kernel"), "{err}");
        assert!(
            refuse_input_as_output(&dir.path().join("new.img"), [("--kernel", input.as_path())])
                .is_ok()
        );
    }

    #[test]
    fn new_outputs_get_0666_less_the_umask() {
        let status = fs::read_to_string("/proc/self/status").unwrap();
        let umask = status
            .lines()
            .find_map(|l| l.strip_prefix("Umask:"))
            .map(|v| u32::from_str_radix(v.trim(), 8).unwrap())
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.img");
        write_bytes(&path, b"image").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !umask, "mode {mode:o}, umask {umask:o}");
    }

    #[test]
    fn a_failed_fill_leaves_neither_output_nor_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.img");
        let result = write_with(&path, |_| bail!("refused"));
        assert!(result.is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
