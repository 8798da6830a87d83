//! Replays every committed fuzz seed and regression input through the same
//! checks the fuzz targets run (fuzz/checks/*.rs), so a fixed bug stays fixed
//! in every `cargo nextest run`, without cargo-fuzz or a nightly toolchain.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

#[path = "../../fuzz/checks/bootimg_parse.rs"]
mod bootimg_parse;
#[path = "../../fuzz/checks/cpio_read.rs"]
mod cpio_read;
#[path = "../../fuzz/checks/disk_tables.rs"]
mod disk_tables;
#[path = "../../fuzz/checks/ext4_read.rs"]
mod ext4_read;
#[path = "../../fuzz/checks/fat_read.rs"]
mod fat_read;
#[path = "../../fuzz/checks/repack_inputs.rs"]
mod repack_inputs;
#[path = "../../fuzz/checks/sparse_decode.rs"]
mod sparse_decode;
#[path = "../../fuzz/checks/tar_read.rs"]
mod tar_read;
#[path = "../../fuzz/checks/vendor_boot_parse.rs"]
mod vendor_boot_parse;

/// Runs `check` on every file of fuzz/seeds/<target> and
/// fuzz/regressions/<target>; fails naming each input that panicked.
fn replay(target: &str, check: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut inputs: Vec<PathBuf> = Vec::new();
    for dir in ["seeds", "regressions"] {
        let Ok(listing) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        inputs.extend(listing.map(|e| e.expect("directory entry").path()));
    }
    inputs.sort();
    assert!(
        !inputs.is_empty(),
        "no seeds for fuzz target {target} under {}",
        fuzz.display()
    );

    let failed: Vec<String> = inputs
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).expect("read fuzz input");
            catch_unwind(AssertUnwindSafe(|| check(&data))).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{target}: these inputs fail the check: {failed:#?}"
    );
}

#[test]
fn cpio_read_seeds_and_regressions_pass_the_fuzz_check() {
    replay("cpio_read", cpio_read::check);
}

#[test]
fn repack_inputs_seeds_and_regressions_pass_the_fuzz_check() {
    replay("repack_inputs", repack_inputs::check);
}

#[test]
fn bootimg_parse_seeds_and_regressions_pass_the_fuzz_check() {
    replay("bootimg_parse", bootimg_parse::check);
}

#[test]
fn vendor_boot_parse_seeds_and_regressions_pass_the_fuzz_check() {
    replay("vendor_boot_parse", vendor_boot_parse::check);
}

#[test]
fn sparse_decode_seeds_and_regressions_pass_the_fuzz_check() {
    replay("sparse_decode", sparse_decode::check);
}

#[test]
fn disk_tables_seeds_and_regressions_pass_the_fuzz_check() {
    replay("disk_tables", disk_tables::check);
}

#[test]
fn fat_read_seeds_and_regressions_pass_the_fuzz_check() {
    replay("fat_read", fat_read::check);
}

#[test]
fn ext4_read_seeds_and_regressions_pass_the_fuzz_check() {
    replay("ext4_read", ext4_read::check);
}

#[test]
fn tar_read_seeds_and_regressions_pass_the_fuzz_check() {
    replay("tar_read", tar_read::check);
}
