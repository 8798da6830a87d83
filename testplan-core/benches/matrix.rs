//! Rendering speed: the golden 4,630-job lava-test-plans matrix (needs the
//! corpus, `KIR_CORPUS`), and one job from the project's own templates, with
//! the engine already set up (templates parsed and cached) and from cold (a new
//! engine: loader, parsing, then the render), and the final YAML step alone.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;

use testplan_core::render::{JobRequest, Renderer, TreePaths, finalize, render_matrix};
use testplan_core::vars::{Variables, parse_ini};

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

fn bundled_variables() -> Arc<Variables> {
    let text = testplan_core::bundled::files()
        .find(|(name, _)| *name == "variables.ini")
        .map(|(_, text)| text)
        .unwrap_or_default();
    Arc::new(parse_ini(text, "variables.ini").unwrap_or_default())
}

/// The golden matrix's requests rendered one after the other on one thread
/// (one engine per template tree, as the parallel call sets them up).
#[divan::bench(sample_count = 3)]
fn golden_matrix_one_thread(bencher: divan::Bencher) {
    let Some(corpus) = common::corpus_dir("bench golden_matrix_one_thread") else {
        return;
    };
    let golden = common::read_golden(&corpus.join("lava-golden/golden-matrix-ltp-HEAD.tgz"));
    let requests: Vec<JobRequest> = common::golden_requests(&corpus, &golden.cases);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build();
    let Ok(pool) = pool else {
        return;
    };
    bencher.bench(|| pool.install(|| render_matrix(divan::black_box(&requests))));
}

/// One LTP job for the QEMU arm64 board of the compiled-in templates, engine
/// ready (templates already parsed by an earlier render).
#[divan::bench]
fn own_templates_one_job(bencher: divan::Bencher) {
    let renderer = Renderer::new(&TreePaths::bundled());
    let vars = bundled_variables();
    bencher.bench(|| renderer.render("qemu-arm64", "ltp-syscalls.yaml", &vars, &[]));
}

/// The same job from a new engine: loading and parsing its four templates
/// dominate.
#[divan::bench]
fn own_templates_one_job_cold(bencher: divan::Bencher) {
    let vars = bundled_variables();
    bencher.bench(|| {
        Renderer::new(&TreePaths::bundled()).render("qemu-arm64", "ltp-syscalls.yaml", &vars, &[])
    });
}

/// The final step alone: the raw render read as YAML and written back.
#[divan::bench]
fn own_templates_finalize(bencher: divan::Bencher) {
    let vars = bundled_variables();
    let raw = Renderer::new(&TreePaths::bundled())
        .render_raw("qemu-arm64", "ltp-syscalls.yaml", &vars, &[])
        .unwrap_or_default();
    bencher.bench(|| finalize(divan::black_box(&raw)));
}

/// LAVA's checks (lava-job's validator) on that one job.
#[divan::bench]
fn own_templates_validate(bencher: divan::Bencher) {
    let vars = bundled_variables();
    let Ok(job) =
        Renderer::new(&TreePaths::bundled()).render("qemu-arm64", "ltp-syscalls.yaml", &vars, &[])
    else {
        return;
    };
    let options = lava_job::validate::Options::default();
    bencher.bench(|| testplan_core::render::validate_job(divan::black_box(&job), &options));
}
