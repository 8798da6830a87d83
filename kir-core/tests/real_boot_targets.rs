//! Real-input tier: every KIR boot target run on Debian's arm64 kernels,
//! DTBs and modules (bookworm 6.1, trixie 6.12), the images unpacked by
//! AOSP's unpack_bootimg and every header field, the kernel bytes and the
//! ramdisk's cpio listing (GNU cpio) checked.
//!
//! Inputs: scripts/fetch-real-inputs (run by scripts/setup.d/20-debian-kernels.sh,
//! which exports KIR_REAL_INPUTS). Oracle: KIR_UNPACK_BOOTIMG (set by
//! scripts/setup.d/10-mkbootimg.sh), GNU cpio, gzip, tar. When any is missing
//! the tests fail with CI=true and are skipped with a message otherwise.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use kir_core::repack::{self, RepackInputs, RepackOptions};
use kir_core::{compress, modules, recipe};

const SUITES: [&str; 2] = ["bookworm", "trixie"];

fn missing<T>(what: &str) -> Option<T> {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "real-input tier: {what}"
    );
    eprintln!("skipping real-input tier: {what}");
    None
}

fn cache_dir() -> PathBuf {
    std::env::var_os("KIR_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/kir")
        })
}

struct Tools {
    inputs: PathBuf,
    unpack: PathBuf,
}

fn tools() -> Option<Tools> {
    let inputs = std::env::var_os("KIR_REAL_INPUTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache_dir().join("real-inputs"));
    if !SUITES.iter().all(|s| inputs.join(s).join("done").exists()) {
        return missing(&format!(
            "no real inputs in {} (run scripts/fetch-real-inputs)",
            inputs.display()
        ));
    }
    let unpack = std::env::var_os("KIR_UNPACK_BOOTIMG")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache_dir().join("mkbootimg-trixie/tree/usr/bin/unpack_bootimg"));
    if !unpack.exists() {
        return missing(
            "AOSP unpack_bootimg not found (KIR_UNPACK_BOOTIMG, scripts/setup.d/10-mkbootimg.sh)",
        );
    }
    for tool in ["cpio", "gzip", "tar", "python3"] {
        if Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_err()
        {
            return missing(&format!("{tool} is not installed"));
        }
    }
    Some(Tools { inputs, unpack })
}

/// The DTB file each board's recipe takes.
fn dtb_file(target: &str) -> &'static str {
    match target {
        "dragonboard-410c" => "apq8016-sbc.dtb",
        "dragonboard-845c" => "sdm845-db845c.dtb",
        "qrb5165-rb5" => "qrb5165-rb5.dtb",
        "e850-96" => "exynos850-e850-96.dtb",
        "gs101-oriole" => "gs101-oriole.dtb",
        other => panic!("no DTB known for {other}"),
    }
}

struct Suite {
    dir: PathBuf,
    release: String,
    image: Vec<u8>,
    initrd: Vec<u8>,
    modules: Vec<u8>,
}

fn suite(tools: &Tools, name: &str) -> Suite {
    let dir = tools.inputs.join(name);
    let read = |f: &str| {
        std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{}/{f}: {e}", dir.display()))
    };
    Suite {
        release: String::from_utf8(read("release"))
            .unwrap()
            .trim()
            .to_string(),
        image: read("Image"),
        initrd: read("initrd.cpio.gz"),
        modules: read("modules.tar.gz"),
        dir,
    }
}

/// `key: value` lines of unpack_bootimg's info output (top level only),
/// plus `tableN type` / `tableN name` for vendor ramdisk table entries.
fn unpack(tools: &Tools, image: &Path, out: &Path) -> BTreeMap<String, String> {
    let output = Command::new("python3")
        .arg(&tools.unpack)
        .arg("--boot_img")
        .arg(image)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "unpack_bootimg {}: {}",
        image.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut fields = BTreeMap::new();
    let mut entry = None;
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let trimmed = line.trim_start();
        if let Some(name) = trimmed
            .strip_prefix("vendor_ramdisk")
            .and_then(|r| r.strip_suffix(": {"))
        {
            entry = Some(name.to_string());
            continue;
        }
        let Some((key, value)) = trimmed
            .split_once(": ")
            .or_else(|| trimmed.strip_suffix(':').map(|k| (k, "")))
        else {
            continue;
        };
        if line.starts_with(' ') {
            if let (Some(n), "type" | "name" | "size" | "offset") = (&entry, key) {
                fields.insert(format!("table{n} {key}"), value.to_string());
            }
        } else {
            fields.insert(key.to_string(), value.to_string());
        }
    }
    fields
}

fn expect(fields: &BTreeMap<String, String>, want: &[(&str, String)], what: &str) {
    for (key, value) in want {
        assert_eq!(
            fields.get(*key),
            Some(value),
            "{what}: unpack_bootimg field {key:?} (all: {fields:#?})"
        );
    }
}

fn hex32(v: u64) -> String {
    format!("{v:#010x}")
}

/// GNU cpio's listing of a gzip'd archive: (mode, uid, gid, name) per entry.
fn gnu_listing(gz: &[u8]) -> Vec<(String, String, String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("archive.cpio.gz");
    std::fs::write(&file, gz).unwrap();
    let output = Command::new("sh")
        .arg("-c")
        .arg("gzip -dc \"$1\" | cpio -itv --numeric-uid-gid --quiet")
        .arg("sh")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cpio -itv: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].to_string(),
                f[2].to_string(),
                f[3].to_string(),
                f.last().unwrap().to_string(),
            )
        })
        .collect()
}

/// The modules archive (gzip'd cpio) holds every module of the tarball
/// under usr/lib/modules/<release>, every entry owned by 0:0.
fn check_modules_archive(gz: &[u8], s: &Suite, what: &str) {
    let listing = gnu_listing(gz);
    let tree = modules::read_tarball(&s.modules).unwrap();
    let prefix = format!("usr/lib/modules/{}/", s.release);
    let kos: Vec<_> = listing
        .iter()
        .filter(|(_, _, _, n)| n.starts_with(&prefix) && n.contains(".ko"))
        .collect();
    assert_eq!(
        kos.len(),
        tree.module_count,
        "{what}: modules under {prefix}"
    );
    assert!(
        tree.module_count > 50,
        "{what}: the real tarball has {} modules",
        tree.module_count
    );
    for (mode, uid, gid, name) in &listing {
        assert_eq!(
            (uid.as_str(), gid.as_str()),
            ("0", "0"),
            "{what}: owner of {name}"
        );
        assert!(!mode.is_empty());
    }
    assert!(
        listing
            .iter()
            .any(|(m, _, _, n)| n == "usr/lib" && m.starts_with('d')),
        "{what}"
    );
}

fn build(
    target: &str,
    s: &Suite,
    opts: &RepackOptions,
    out: &Path,
) -> Option<(Vec<PathBuf>, Vec<u8>)> {
    let dtb_path = s.dir.join("dtbs").join(dtb_file(target));
    let Ok(dtb) = std::fs::read(&dtb_path) else {
        // Bookworm's kernel ships no Exynos 850 or gs101 trees.
        assert!(
            s.dir.ends_with("bookworm"),
            "{} missing",
            dtb_path.display()
        );
        return None;
    };
    let recipe = recipe::load(target, None).unwrap();
    let inputs = RepackInputs {
        kernel: s.image.clone(),
        dtb: Some(dtb.clone()),
        initrd: Some(s.initrd.clone()),
        modules: Some(s.modules.clone()),
    };
    let output = repack::repack_boot(&recipe, &inputs, opts).unwrap();
    assert_eq!(output.kernel.release.as_deref(), Some(s.release.as_str()));
    assert!(output.notes.is_empty(), "{:?}", output.notes);
    Some((repack::write_outputs(out, &output).unwrap(), dtb))
}

fn qualcomm(target: &str, nfs: bool) {
    let Some(tools) = tools() else { return };
    let r = recipe::load(target, None).unwrap();
    for name in SUITES {
        let s = suite(&tools, name);
        let dir = tempfile::tempdir().unwrap();
        let opts = RepackOptions {
            nfs: nfs.then(|| ("192.0.2.10".to_string(), "/srv/nfs/rootfs".to_string())),
            ..Default::default()
        };
        let (paths, dtb) = build(target, &s, &opts, dir.path()).unwrap();
        let what = format!("{target} {name}{}", if nfs { " nfs" } else { "" });
        let fields = unpack(&tools, &paths[0], &dir.path().join("out"));
        let kernel = std::fs::read(dir.path().join("out/kernel")).unwrap();
        let ramdisk = std::fs::read(dir.path().join("out/ramdisk")).unwrap();
        let cmdline = r
            .cmdline(opts.nfs.as_ref().map(|(a, b)| (a.as_str(), b.as_str())))
            .unwrap();
        expect(
            &fields,
            &[
                ("boot magic", "ANDROID!".into()),
                ("boot image header version", "0".into()),
                ("kernel_size", kernel.len().to_string()),
                (
                    "kernel load address",
                    hex32(r.boot.base + r.boot.kernel_offset),
                ),
                ("ramdisk size", ramdisk.len().to_string()),
                (
                    "ramdisk load address",
                    hex32(r.boot.base + r.boot.ramdisk_offset),
                ),
                ("second bootloader size", "0".into()),
                ("second bootloader load address", hex32(0)),
                (
                    "kernel tags load address",
                    hex32(r.boot.base + r.boot.tags_offset),
                ),
                ("page size", r.boot.page_size.to_string()),
                ("os version", "None".into()),
                ("os patch level", "None".into()),
                ("product name", String::new()),
                ("command line args", cmdline),
                ("additional command line args", String::new()),
            ],
            &what,
        );
        // Kernel: gzip of the Image, then the DTB.
        let (image, used) = compress::decompress_member(&kernel).unwrap();
        assert!(
            image == s.image,
            "{what}: kernel does not gunzip to the Image"
        );
        assert!(
            kernel[used..] == dtb[..],
            "{what}: DTB not appended after the gzip stream"
        );
        if target == "dragonboard-410c" {
            assert_eq!(ramdisk, b"This is not an initrd\n", "{what}");
        } else {
            assert!(
                ramdisk.starts_with(&s.initrd),
                "{what}: ramdisk starts with the initrd"
            );
            check_modules_archive(&ramdisk[s.initrd.len()..], &s, &what);
        }
    }
}

#[test]
fn dragonboard_410c_on_debian_kernels() {
    qualcomm("dragonboard-410c", false);
}

#[test]
fn dragonboard_845c_on_debian_kernels() {
    qualcomm("dragonboard-845c", false);
}

#[test]
fn qrb5165_rb5_on_debian_kernels() {
    qualcomm("qrb5165-rb5", false);
}

#[test]
fn nfs_dragonboard_845c_on_debian_kernels() {
    qualcomm("dragonboard-845c", true);
}

#[test]
fn e850_96_on_debian_trixie_kernel() {
    let Some(tools) = tools() else { return };
    let r = recipe::load("e850-96", None).unwrap();
    for name in SUITES {
        let s = suite(&tools, name);
        let dir = tempfile::tempdir().unwrap();
        let Some((paths, dtb)) = build("e850-96", &s, &RepackOptions::default(), dir.path()) else {
            continue;
        };
        let fields = unpack(&tools, &paths[0], &dir.path().join("out"));
        expect(
            &fields,
            &[
                ("boot magic", "ANDROID!".into()),
                ("boot image header version", "2".into()),
                ("kernel_size", s.image.len().to_string()),
                ("kernel load address", hex32(0x1000_8000)),
                ("ramdisk size", "0".into()),
                ("ramdisk load address", hex32(0)),
                ("second bootloader size", "0".into()),
                ("kernel tags load address", hex32(0x1000_0000)),
                ("page size", "2048".into()),
                ("os version", "10.0.0".into()),
                ("os patch level", "2019-12".into()),
                ("product name", String::new()),
                ("command line args", r.boot.cmdline.clone()),
                ("additional command line args", String::new()),
                ("recovery dtbo size", "0".into()),
                ("recovery dtbo offset", format!("{:#018x}", 0)),
                ("boot header size", "1660".into()),
                ("dtb size", dtb.len().to_string()),
                ("dtb address", format!("{:#018x}", 0x1000_0000u64)),
            ],
            &format!("e850-96 {name}"),
        );
        assert!(
            std::fs::read(dir.path().join("out/kernel")).unwrap() == s.image,
            "raw Image"
        );
        assert_eq!(std::fs::read(dir.path().join("out/dtb")).unwrap(), dtb);
    }
}

#[test]
fn gs101_oriole_on_debian_trixie_kernel() {
    let Some(tools) = tools() else { return };
    let r = recipe::load("gs101-oriole", None).unwrap();
    let v = r.vendor_boot.clone().unwrap();
    for name in SUITES {
        let s = suite(&tools, name);
        let dir = tempfile::tempdir().unwrap();
        let Some((paths, dtb)) = build("gs101-oriole", &s, &RepackOptions::default(), dir.path())
        else {
            continue;
        };
        let what = format!("gs101-oriole {name}");
        let boot = unpack(&tools, &paths[0], &dir.path().join("boot"));
        expect(
            &boot,
            &[
                ("boot magic", "ANDROID!".into()),
                ("boot image header version", "4".into()),
                ("kernel_size", s.image.len().to_string()),
                ("ramdisk size", "0".into()),
                ("os version", "None".into()),
                ("os patch level", "None".into()),
                ("command line args", String::new()),
                ("boot.img signature size", "0".into()),
            ],
            &what,
        );
        assert!(
            std::fs::read(dir.path().join("boot/kernel")).unwrap() == s.image,
            "{what}: kernel as given"
        );

        let out = dir.path().join("vendor");
        let vendor = unpack(&tools, &paths[1], &out);
        let plat = std::fs::read(out.join("vendor_ramdisk00")).unwrap();
        let dlkm = std::fs::read(out.join("vendor_ramdisk01")).unwrap();
        expect(
            &vendor,
            &[
                ("boot magic", "VNDRBOOT".into()),
                ("vendor boot image header version", "4".into()),
                ("page size", hex32(2048)),
                ("kernel load address", hex32(v.base + v.kernel_offset)),
                ("ramdisk load address", hex32(v.base + v.ramdisk_offset)),
                (
                    "vendor ramdisk total size",
                    (plat.len() + dlkm.len()).to_string(),
                ),
                ("vendor command line args", v.cmdline.clone()),
                ("kernel tags load address", hex32(v.base + v.tags_offset)),
                ("product name", String::new()),
                ("vendor boot image header size", "2128".into()),
                ("dtb size", dtb.len().to_string()),
                ("dtb address", format!("{:#018x}", v.base + v.dtb_offset)),
                ("vendor ramdisk table size", "216".into()),
                ("table00 type", "0x1".into()),
                ("table00 name", "PLAT".into()),
                ("table00 offset", "0".into()),
                ("table01 type", "0x3".into()),
                ("table01 name", "DLKM".into()),
                ("table01 offset", plat.len().to_string()),
                ("vendor bootconfig size", "38".into()),
            ],
            &what,
        );
        assert_eq!(std::fs::read(out.join("dtb")).unwrap(), dtb, "{what}");
        assert_eq!(
            std::fs::read(out.join("bootconfig")).unwrap(),
            b"androidboot.boot_devices=14700000.ufs\n"
        );
        assert!(
            plat.starts_with(&s.initrd),
            "{what}: PLAT starts with the initrd"
        );
        check_modules_archive(&plat[s.initrd.len()..], &s, &format!("{what} PLAT"));
        check_modules_archive(&dlkm, &s, &format!("{what} DLKM"));
    }
}
