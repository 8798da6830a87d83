//! Planning speed: one TuxMake plan, and the 701 docker-supported
//! architecture/toolchain pairs of an x86_64 host.

use build_plan::{Catalog, Request, StaticHost, plan};

fn main() {
    divan::main();
}

fn request(arch: &str, toolchain: &str) -> Request {
    Request {
        tree: "/tmp/bp/linux".into(),
        build_dir: Some("/tmp/bp/build".into()),
        output_dir: Some("/tmp/bp/out".into()),
        jobs: Some(8),
        timestamp: Some("1700000000".into()),
        target_arch: Some(arch.into()),
        toolchain: Some(toolchain.into()),
        kconfig: Some("defconfig".into()),
        runtime: Some("docker".into()),
        dynamic: [(
            "CROSS_COMPILE_COMPAT".to_string(),
            "arm-linux-gnueabihf-".to_string(),
        )]
        .into_iter()
        .collect(),
        ..Request::default()
    }
}

fn pairs(catalog: &Catalog) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for tc in &catalog.toolchains.container_toolchains {
        for arch in catalog.supported_arches(tc, "x86_64") {
            out.push((arch.to_string(), tc.clone()));
        }
    }
    out
}

#[divan::bench]
fn load_catalog() -> Catalog {
    Catalog::tuxmake().unwrap()
}

#[divan::bench]
fn plan_one_default_build(bencher: divan::Bencher) {
    let catalog = Catalog::tuxmake().unwrap();
    let host = StaticHost::x86_64("/tmp/bp/home");
    let req = request("arm64", "gcc-13");
    bencher.bench_local(|| plan(&catalog, divan::black_box(&req), &host).unwrap());
}

#[divan::bench(sample_count = 20)]
fn plan_701_pairs(bencher: divan::Bencher) {
    let catalog = Catalog::tuxmake().unwrap();
    let host = StaticHost::x86_64("/tmp/bp/home");
    let requests: Vec<Request> = pairs(&catalog).iter().map(|(a, t)| request(a, t)).collect();
    assert_eq!(requests.len(), 701);
    bencher.bench_local(|| {
        requests
            .iter()
            .map(|r| plan(&catalog, r, &host).unwrap().targets.len())
            .sum::<usize>()
    });
}
