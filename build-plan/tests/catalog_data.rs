//! The catalogue is data: a copy of `data/tuxmake-1.45.0/` with one more
//! toolchain version written into its JSON files plans builds with that
//! version, without touching any code, and a damaged file is named.

use std::path::Path;

use build_plan::args::parse_tuxmake_args;
use build_plan::{Catalog, Request, StaticHost, plan};
use serde_json::Value;

fn data_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data/tuxmake-1.45.0"))
}

fn copy_data(to: &Path) {
    for entry in std::fs::read_dir(data_dir()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn edit_json(path: &Path, edit: impl FnOnce(&mut Value)) {
    let mut value: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    edit(&mut value);
    std::fs::write(path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
}

fn request(toolchain: &str) -> Request {
    parse_tuxmake_args(&[
        "-C",
        "/src",
        "-b",
        "/b",
        "-o",
        "/o",
        "-j",
        "4",
        "--timestamp",
        "1",
        "-r",
        "docker",
        "-a",
        "arm64",
        "-t",
        toolchain,
        "kernel",
    ])
    .unwrap()
}

#[test]
fn a_new_toolchain_version_is_a_data_change() {
    let host = StaticHost::x86_64("/home/u");
    let builtin = Catalog::tuxmake().unwrap();
    let refused = plan(&builtin, &request("gcc-17"), &host).unwrap_err();
    assert!(refused.to_string().contains("gcc-17"), "{refused}");

    let dir = tempfile_dir();
    copy_data(dir.path());
    // The directory as shipped reads to the embedded catalogue's plans.
    let same = Catalog::from_dir(dir.path()).unwrap();
    assert_eq!(
        plan(&same, &request("gcc-16"), &host).unwrap(),
        plan(&builtin, &request("gcc-16"), &host).unwrap()
    );

    edit_json(&dir.path().join("toolchains.json"), |t| {
        let list = t["container_toolchains"].as_array_mut().unwrap();
        let at = list.iter().position(|v| v == "gcc-16").unwrap() + 1;
        list.insert(at, "gcc-17".into());
    });
    edit_json(&dir.path().join("images.json"), |i| {
        let images = i["images"].as_object_mut().unwrap();
        for name in ["tuxmake/gcc-17", "tuxmake/arm64_gcc-17"] {
            images.insert(name.into(), serde_json::json!(["amd64", "arm64"]));
        }
    });
    let extended = Catalog::from_dir(dir.path()).unwrap();
    let ours = plan(&extended, &request("gcc-17"), &host).unwrap();
    let reference = plan(&builtin, &request("gcc-16"), &host).unwrap();
    assert_eq!(ours.resolved.toolchain, "gcc-17");
    assert_eq!(
        ours.resolved.image,
        reference.resolved.image.replace("16", "17")
    );
    assert!(
        ours.resolved.image.ends_with("tuxmake/arm64_gcc-17"),
        "{}",
        ours.resolved.image
    );
    // Same targets and commands as its predecessor: only the version differs.
    let names = |p: &build_plan::Plan| p.targets.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ours), names(&reference));
    let kernel = |p: &build_plan::Plan| {
        p.targets
            .iter()
            .find(|t| t.name == "kernel")
            .unwrap()
            .commands
            .iter()
            .map(|c| c.argv.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(kernel(&ours), kernel(&reference));
    assert!(
        kernel(&ours)
            .concat()
            .contains(&"CROSS_COMPILE=aarch64-linux-gnu-".to_string()),
        "{:?}",
        kernel(&ours)
    );
    assert!(ours.reproducer_cmdline.iter().any(|w| w.contains("gcc-17")));
}

#[test]
fn a_damaged_or_missing_catalogue_file_is_named() {
    let dir = tempfile_dir();
    copy_data(dir.path());
    std::fs::write(dir.path().join("targets.json"), "{ not json").unwrap();
    let err = Catalog::from_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("targets.json"), "{err}");

    std::fs::remove_file(dir.path().join("targets.json")).unwrap();
    let err = Catalog::from_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("targets.json"), "{err}");
}

/// A temporary directory removed on drop (no tempfile dev-dependency here).
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempfile_dir() -> TempDir {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "kir-bp-catalog-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}
