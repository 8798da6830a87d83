//! KIR's boot targets on small synthetic inputs: the image each recipe makes,
//! the input checks KIR lacked, ramdisk assembly options, atomic output and
//! fetching inputs over HTTP from a loopback server.

use std::io::{Read, Write};

use kir_core::bootimg::{BootImage, VendorBootImage};
use kir_core::cpio::{self, NewEntry, Node, WriteOptions};
use kir_core::repack::{self, RepackInputs, RepackOptions, demo};
use kir_core::{ErrorKind, compress, fdt, fetch, kernel, modules, recipe};

const RELEASE: &str = "6.6.0-flow";

fn inputs_for(target: &str) -> RepackInputs {
    let r = recipe::load(target, None).unwrap();
    let compatible = r.compatible.unwrap();
    let tar = modules::synthetic_tarball(RELEASE, &format!("{RELEASE} SMP aarch64"), &["m1", "m2"])
        .unwrap();
    let initrd = cpio::write(
        &[
            NewEntry::new("init", Node::File(b"#!/bin/sh\n".to_vec()), 0o755),
            NewEntry::new(
                "lib/modules/old/stale.ko",
                Node::File(b"stale".to_vec()),
                0o644,
            ),
        ],
        &WriteOptions::default(),
    )
    .unwrap();
    RepackInputs {
        kernel: kernel::synthetic_arm64_image(RELEASE, 50_000),
        dtb: Some(fdt::build("flow", &[&compatible, "soc"])),
        initrd: Some(compress::gzip(&initrd, 9)),
        modules: Some(compress::gzip(&tar, 6)),
    }
}

fn run(target: &str, inputs: &RepackInputs, opts: &RepackOptions) -> repack::RepackOutput {
    repack::repack_boot(&recipe::load(target, None).unwrap(), inputs, opts).unwrap()
}

fn names(ramdisk: &[u8]) -> Vec<Vec<String>> {
    cpio::read_initramfs(ramdisk)
        .unwrap()
        .into_iter()
        .map(|s| s.entries.into_iter().map(|e| e.name).collect())
        .collect()
}

#[test]
fn qualcomm_v0_targets_gzip_the_kernel_and_append_the_dtb() {
    for target in ["dragonboard-410c", "dragonboard-845c", "qrb5165-rb5"] {
        let inputs = inputs_for(target);
        let r = recipe::load(target, None).unwrap();
        let out = run(target, &inputs, &RepackOptions::default());
        let boot = BootImage::parse(&out.files[0].bytes).unwrap();
        assert_eq!(boot.header_version, 0, "{target}");
        assert_eq!(boot.page_size, r.boot.page_size, "{target}");
        assert_eq!(boot.kernel_addr, 0x8000_8000, "{target}");
        assert_eq!(boot.ramdisk_addr, 0x8100_0000, "{target}");
        assert_eq!(boot.tags_addr, 0x8000_0100, "{target}");
        assert_eq!(boot.cmdline, r.boot.cmdline, "{target}");
        let (image, used) = compress::decompress_member(&boot.kernel).unwrap();
        assert_eq!(image, inputs.kernel, "{target}");
        assert_eq!(
            &boot.kernel[used..],
            inputs.dtb.as_deref().unwrap(),
            "{target}"
        );
    }
}

#[test]
fn dragonboard_410c_ramdisk_is_kirs_placeholder() {
    let out = run(
        "dragonboard-410c",
        &inputs_for("dragonboard-410c"),
        &RepackOptions::default(),
    );
    let boot = BootImage::parse(&out.files[0].bytes).unwrap();
    assert_eq!(boot.ramdisk, b"This is not an initrd\n");
}

#[test]
fn dragonboard_845c_appends_a_modules_archive_to_the_initrd() {
    let inputs = inputs_for("dragonboard-845c");
    let out = run("dragonboard-845c", &inputs, &RepackOptions::default());
    let boot = BootImage::parse(&out.files[0].bytes).unwrap();
    assert!(
        boot.ramdisk.starts_with(inputs.initrd.as_deref().unwrap()),
        "initrd kept byte for byte"
    );
    let archives = names(&boot.ramdisk);
    assert_eq!(archives.len(), 2);
    assert_eq!(archives[1][..3], [".", "usr", "usr/lib"]);
    let module = format!("usr/lib/modules/{RELEASE}/kernel/drivers/demo/m1.ko");
    assert!(archives[1].contains(&module), "{:?}", archives[1]);
    assert_eq!(out.modules_release.as_deref(), Some(RELEASE));
    assert_eq!(out.module_count, 2);
}

#[test]
fn merged_ramdisk_is_one_archive_and_clear_modules_drops_old_ones() {
    let inputs = inputs_for("qrb5165-rb5");
    let merged = run(
        "qrb5165-rb5",
        &inputs,
        &RepackOptions {
            merge_ramdisk: true,
            ..Default::default()
        },
    );
    let boot = BootImage::parse(&merged.files[0].bytes).unwrap();
    let archives = names(&boot.ramdisk);
    assert_eq!(archives.len(), 1);
    assert!(archives[0].contains(&"init".to_string()));
    assert!(archives[0].contains(&"lib/modules/old/stale.ko".to_string()));

    let cleared = run(
        "qrb5165-rb5",
        &inputs,
        &RepackOptions {
            clear_modules: true,
            ..Default::default()
        },
    );
    let archives = names(&BootImage::parse(&cleared.files[0].bytes).unwrap().ramdisk);
    assert_eq!(archives.len(), 1);
    assert!(!archives[0].iter().any(|n| n.contains("stale")));
    assert!(archives[0].iter().any(|n| n.ends_with("m2.ko")));
}

#[test]
fn e850_96_is_v2_with_raw_kernel_and_dtb_in_the_image() {
    let mut inputs = inputs_for("e850-96");
    let image = inputs.kernel.clone();
    inputs.kernel = compress::gzip(&image, 9);
    let out = run("e850-96", &inputs, &RepackOptions::default());
    let boot = BootImage::parse(&out.files[0].bytes).unwrap();
    assert_eq!(boot.header_version, 2);
    assert_eq!(boot.kernel, image, "gzip'd kernel is unpacked");
    assert!(boot.ramdisk.is_empty());
    assert_eq!(boot.ramdisk_addr, 0);
    assert_eq!(boot.tags_addr, 0x1000_0000);
    assert_eq!(boot.dtb_addr, 0x1000_0000);
    assert_eq!(&boot.dtb, inputs.dtb.as_ref().unwrap());
    // os_version 10.0.0, patch level 2019-12: KIR's header word 0x1400013C.
    assert_eq!(&out.files[0].bytes[44..48], &0x1400_013Cu32.to_le_bytes());
}

#[test]
fn gs101_makes_v4_boot_and_vendor_boot_with_plat_and_dlkm() {
    let inputs = inputs_for("gs101-oriole");
    let out = run("gs101-oriole", &inputs, &RepackOptions::default());
    assert_eq!(out.files.len(), 2);
    let boot = BootImage::parse(&out.files[0].bytes).unwrap();
    assert_eq!(
        (boot.header_version, boot.kernel.as_slice()),
        (4, inputs.kernel.as_slice())
    );
    let vendor = VendorBootImage::parse(&out.files[1].bytes).unwrap();
    assert_eq!((vendor.header_version, vendor.page_size), (4, 2048));
    assert_eq!(
        (
            vendor.kernel_addr,
            vendor.ramdisk_addr,
            vendor.tags_addr,
            vendor.dtb_addr
        ),
        (0x1000_8000, 0x1100_0000, 0x1000_0100, 0x11F0_0000)
    );
    assert_eq!(
        vendor.bootconfig,
        b"androidboot.boot_devices=14700000.ufs\n"
    );
    assert_eq!(vendor.ramdisks.len(), 2);
    assert_eq!(
        (
            vendor.ramdisks[0].ramdisk_type,
            vendor.ramdisks[0].name.as_str()
        ),
        (1, "PLAT")
    );
    assert_eq!(
        (
            vendor.ramdisks[1].ramdisk_type,
            vendor.ramdisks[1].name.as_str()
        ),
        (3, "DLKM")
    );
    // DLKM: modules only, owned by 0:0 (KIR leaked the host's uid/gid here).
    let dlkm = cpio::read_initramfs(&vendor.ramdisks[1].data).unwrap();
    assert_eq!(dlkm.len(), 1);
    assert!(dlkm[0].entries.iter().all(|e| e.uid == 0 && e.gid == 0));
    assert_eq!(
        names(&vendor.ramdisks[0].data).len(),
        2,
        "PLAT = initrd + modules archive"
    );
}

#[test]
fn nfs_variant_uses_the_server_and_export() {
    let opts = RepackOptions {
        nfs: Some(("192.0.2.1".into(), "/srv/nfs/db845c".into())),
        ..Default::default()
    };
    let out = run("dragonboard-845c", &inputs_for("dragonboard-845c"), &opts);
    let boot = BootImage::parse(&out.files[0].bytes).unwrap();
    assert!(
        boot.cmdline
            .starts_with("root=/dev/nfs nfsroot=192.0.2.1:/srv/nfs/db845c,nfsvers=3 ip=dhcp")
    );
    assert!(boot.cmdline.ends_with("clk_ignore_unused pd_ignore_unused"));
}

/// repack_boot.sh -n on each Qualcomm board: KIR's NFS command line,
/// `root=/dev/nfs nfsroot=$NFS_SERVER_IP:$NFS_ROOTFS,nfsvers=3 ip=dhcp
/// console=tty0 console=ttyMSM0,115200n8 earlycon <extra>`, with the 845c's
/// two clock/power flags as extra and an empty extra (so a trailing space)
/// on the others; the non-Qualcomm boards have no NFS variant.
#[test]
fn nfs_variant_of_each_qualcomm_board_is_kirs_command_line() {
    let opts = RepackOptions {
        nfs: Some(("192.0.2.1".into(), "/srv/nfs/rootfs".into())),
        ..Default::default()
    };
    let common = "root=/dev/nfs nfsroot=192.0.2.1:/srv/nfs/rootfs,nfsvers=3 ip=dhcp \
                  console=tty0 console=ttyMSM0,115200n8 earlycon ";
    for (target, extra) in [
        ("dragonboard-410c", ""),
        ("dragonboard-845c", "clk_ignore_unused pd_ignore_unused"),
        ("qrb5165-rb5", ""),
    ] {
        let out = run(target, &inputs_for(target), &opts);
        let boot = BootImage::parse(&out.files[0].bytes).unwrap();
        assert_eq!(boot.cmdline, format!("{common}{extra}"), "{target}");
        // Everything else is the board's ordinary image.
        let plain = run(target, &inputs_for(target), &RepackOptions::default());
        let mut ordinary = BootImage::parse(&plain.files[0].bytes).unwrap();
        ordinary.cmdline = boot.cmdline.clone();
        assert_eq!(ordinary, boot, "{target}");
    }
    for target in ["e850-96", "gs101-oriole"] {
        let err = repack::repack_boot(
            &recipe::load(target, None).unwrap(),
            &inputs_for(target),
            &opts,
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Recipe, "{target}: {err}");
        assert!(err.to_string().contains("NFS"), "{target}: {err}");
    }
}

#[test]
fn modules_for_another_release_are_refused_unless_allowed() {
    let mut inputs = inputs_for("dragonboard-845c");
    inputs.kernel = kernel::synthetic_arm64_image("6.6.1-other", 50_000);
    let recipe = recipe::load("dragonboard-845c", None).unwrap();
    let err = repack::repack_boot(&recipe, &inputs, &RepackOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Check);
    assert!(
        err.to_string().contains("6.6.1-other") && err.to_string().contains(RELEASE),
        "{err}"
    );
    let opts = RepackOptions {
        allow_release_mismatch: true,
        ..Default::default()
    };
    let out = repack::repack_boot(&recipe, &inputs, &opts).unwrap();
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains("--allow-release-mismatch"))
    );
}

#[test]
fn dtb_for_another_board_is_refused_unless_allowed() {
    let mut inputs = inputs_for("qrb5165-rb5");
    inputs.dtb = Some(fdt::build("other", &["thundercomm,db845c"]));
    let recipe = recipe::load("qrb5165-rb5", None).unwrap();
    let err = repack::repack_boot(&recipe, &inputs, &RepackOptions::default()).unwrap_err();
    assert!(err.to_string().contains("qcom,qrb5165-rb5"), "{err}");
    let opts = RepackOptions {
        allow_dtb_mismatch: true,
        ..Default::default()
    };
    assert!(repack::repack_boot(&recipe, &inputs, &opts).is_ok());
}

#[test]
fn inputs_of_the_wrong_kind_are_refused() {
    let recipe = recipe::load("dragonboard-845c", None).unwrap();
    let good = inputs_for("dragonboard-845c");
    let cases: Vec<(&str, RepackInputs)> = vec![
        (
            "kernel",
            RepackInputs {
                kernel: b"#!/bin/sh\nnot a kernel".to_vec(),
                ..good.clone()
            },
        ),
        (
            "dtb",
            RepackInputs {
                dtb: Some(b"\xd0\x0d\xfe\xed truncated".to_vec()),
                ..good.clone()
            },
        ),
        (
            "initrd",
            RepackInputs {
                initrd: Some(compress::gzip(b"not a cpio", 6)),
                ..good.clone()
            },
        ),
        (
            "modules",
            RepackInputs {
                modules: Some(b"not a tarball at all".repeat(40)),
                ..good.clone()
            },
        ),
        (
            "--dtb",
            RepackInputs {
                dtb: None,
                ..good.clone()
            },
        ),
    ];
    let mut cases = cases;
    // Truncated gzip: the format error alone would not say which input.
    let cut = |bytes: Vec<u8>| bytes[..bytes.len() / 2].to_vec();
    cases.push((
        "kernel",
        RepackInputs {
            kernel: cut(compress::gzip(&good.kernel, 6)),
            ..good.clone()
        },
    ));
    cases.push((
        "modules",
        RepackInputs {
            modules: good.modules.clone().map(cut),
            ..good.clone()
        },
    ));
    for (what, inputs) in cases {
        let err = repack::repack_boot(&recipe, &inputs, &RepackOptions::default()).unwrap_err();
        assert!(
            err.to_string().to_lowercase().contains(what),
            "{what}: {err}"
        );
    }
}

#[test]
fn same_inputs_give_the_same_bytes_and_mtime_follows_the_option() {
    let inputs = inputs_for("dragonboard-845c");
    let a = run("dragonboard-845c", &inputs, &RepackOptions::default());
    let b = run("dragonboard-845c", &inputs, &RepackOptions::default());
    assert_eq!(a.files, b.files);
    let dated = run(
        "dragonboard-845c",
        &inputs,
        &RepackOptions {
            mtime: 1_234_567,
            ..Default::default()
        },
    );
    let boot = BootImage::parse(&dated.files[0].bytes).unwrap();
    let segments = cpio::read_initramfs(&boot.ramdisk).unwrap();
    assert!(segments[1].entries.iter().all(|e| e.mtime == 1_234_567));
}

#[test]
fn outputs_are_written_whole_with_no_temporary_files_left() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        "gs101-oriole",
        &inputs_for("gs101-oriole"),
        &RepackOptions::default(),
    );
    let paths = repack::write_outputs(&dir.path().join("new/sub"), &out).unwrap();
    assert_eq!(paths.len(), 2);
    let mut listed: Vec<_> = std::fs::read_dir(dir.path().join("new/sub"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    listed.sort();
    assert_eq!(listed, ["boot.img", "vendor_boot.img"]);
    assert_eq!(std::fs::read(&paths[1]).unwrap(), out.files[1].bytes);
}

#[test]
fn demo_runs_both_targets_and_passes_its_checks() {
    let dir = tempfile::tempdir().unwrap();
    let report = demo::run(dir.path()).unwrap();
    assert_eq!(report.len(), 2);
    assert_eq!(report[1].files.len(), 2);
    assert!(report.iter().all(|t| t.checks.len() >= 8), "{report:?}");
}

/// Serves `body` for GET /Image and 404 otherwise, for `requests` connections.
fn loopback_server(body: Vec<u8>, requests: usize) -> (String, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
            }
            let line = String::from_utf8_lossy(&request)
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            let (status, payload): (&str, &[u8]) = if line.starts_with("GET /Image ") {
                ("200 OK", &body)
            } else {
                ("404 Not Found", b"no")
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                payload.len()
            );
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(payload).unwrap();
        }
    });
    (base, handle)
}

#[test]
fn inputs_come_from_http_file_urls_and_paths() {
    let image = kernel::synthetic_arm64_image(RELEASE, 300_000);
    let (base, server) = loopback_server(image.clone(), 2);
    assert_eq!(fetch::fetch(&format!("{base}/Image")).unwrap(), image);
    let err = fetch::fetch(&format!("{base}/missing")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Fetch);
    assert!(err.to_string().contains("/missing"), "{err}");
    server.join().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Image 1");
    std::fs::write(&path, &image).unwrap();
    let url = format!("file://{}", path.display().to_string().replace(' ', "%20"));
    assert_eq!(fetch::fetch(&url).unwrap(), image);
    assert_eq!(fetch::fetch(&path.display().to_string()).unwrap(), image);
}

#[test]
fn a_server_that_goes_quiet_fails_the_fetch_instead_of_hanging() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request);
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nfirst bytes")
            .unwrap();
        // Hold the connection open, sending nothing more, until the client gives up.
        let _ = stream.read(&mut request);
    });
    let options = fetch::FetchOptions {
        read_timeout: std::time::Duration::from_millis(300),
        ..fetch::FetchOptions::default()
    };
    let err = fetch::fetch_with(&format!("{base}/Image"), &options).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Fetch);
    assert!(err.to_string().contains("/Image"), "{err}");
    server.join().unwrap();
}
