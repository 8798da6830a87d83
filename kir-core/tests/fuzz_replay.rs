//! Replays every committed fuzz seed and regression input through the same
//! checks the fuzz targets run (fuzz/checks/*.rs), so a fixed bug stays fixed
//! in every `cargo nextest run`, without cargo-fuzz or a nightly toolchain.

#[path = "../../fuzz/replay.rs"]
mod replay;

use replay::replay;

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

/// A fuzz target whose inputs nobody replays would let a fixed bug come back
/// unnoticed: every target under fuzz/fuzz_targets must be replayed by one of
/// the crates' fuzz_replay tests.
#[test]
fn every_fuzz_target_is_replayed_by_some_crate() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let replays: String = ["kir-core", "lava-job", "build-plan", "testplan-core"]
        .iter()
        .filter_map(|c| std::fs::read_to_string(root.join(c).join("tests/fuzz_replay.rs")).ok())
        .collect();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(root.join("fuzz/fuzz_targets")).expect("fuzz/fuzz_targets") {
        let path = entry.expect("directory entry").path();
        let Some(target) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if !replays.contains(&format!("replay(\"{target}\"")) {
            missing.push(target.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "fuzz targets never replayed: {missing:?}"
    );
}
