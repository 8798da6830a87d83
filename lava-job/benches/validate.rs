//! Reading, validating and writing the 207 LAVA corpus jobs
//! (`$KIR_CORPUS/lava-jobs`, default `../shared/corpus`).

use std::path::PathBuf;

use lava_job::validate::{Options, validate_str};
use lava_job::yaml::{from_str, parse, to_yaml_string};

fn main() {
    divan::main();
}

fn corpus() -> Vec<String> {
    let base = std::env::var_os("KIR_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    let dir = base.join("lava-jobs");
    let Ok(tsv) = std::fs::read_to_string(dir.join("expected.tsv")) else {
        eprintln!(
            "lava-jobs corpus not found under {}; nothing to measure",
            base.display()
        );
        return Vec::new();
    };
    tsv.lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .filter_map(|p| std::fs::read_to_string(dir.join("files").join(p)).ok())
        .collect()
}

#[divan::bench(args = [false, true])]
fn validate_corpus(bencher: divan::Bencher, strict: bool) {
    let jobs = corpus();
    let options = Options {
        strict,
        ..Options::default()
    };
    bencher.bench(|| {
        jobs.iter()
            .filter(|j| validate_str(j, &options).lava_accepts())
            .count()
    });
}

#[divan::bench]
fn parse_corpus(bencher: divan::Bencher) {
    let jobs = corpus();
    bencher.bench(|| jobs.iter().filter(|j| parse(j).is_ok()).count());
}

#[divan::bench]
fn write_corpus(bencher: divan::Bencher) {
    let values: Vec<_> = corpus().iter().filter_map(|j| from_str(j).ok()).collect();
    bencher.bench(|| {
        values
            .iter()
            .map(|v| to_yaml_string(v).len())
            .sum::<usize>()
    });
}
