//! Rendering speed: the golden 4,630-job lava-test-plans matrix (needs the
//! corpus, `KIR_CORPUS`), and one job from the project's own templates.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::sync::Arc;

use testplan_core::render::{JobRequest, Renderer, TreePaths, render_matrix};
use testplan_core::vars::parse_ini;

fn main() {
    divan::main();
}

/// The whole golden matrix, raw render and final job, in parallel.
#[divan::bench(sample_count = 5)]
fn golden_matrix(bencher: divan::Bencher) {
    let Some(corpus) = common::corpus_dir("bench golden_matrix") else {
        return;
    };
    let golden = common::read_golden(&corpus.join("lava-golden/golden-matrix-ltp-HEAD.tgz"));
    let requests: Vec<JobRequest> = common::golden_requests(&corpus, &golden.cases);
    bencher.bench(|| render_matrix(divan::black_box(&requests)));
}

/// One LTP job for the QEMU arm64 board of the bundled templates.
#[divan::bench]
fn own_templates_one_job(bencher: divan::Bencher) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates");
    let renderer = Renderer::new(&TreePaths::new(&root));
    let vars = Arc::new(
        parse_ini(
            &std::fs::read_to_string(root.join("variables.ini")).unwrap_or_default(),
            "variables.ini",
        )
        .unwrap_or_default(),
    );
    bencher.bench(|| renderer.render("qemu-arm64", "ltp-syscalls.yaml", &vars, &[]));
}
