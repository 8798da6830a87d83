//! `kir repack-boot` for the boot-image boards and `kir demo`, run as a user
//! runs them: repack_boot.sh's short flags and their long names give the same
//! image; inputs given as paths, `file://` URLs and `http://` URLs (a loopback
//! server) give the same image; `-h` prints usage and exits 0; `-n` takes the
//! NFS server from the environment as KIR did; `SOURCE_DATE_EPOCH` sets the
//! cpio times; `--recipes-dir` replaces a built-in recipe; images land
//! whole in `-o DIR` with no temporary files left.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kir_core::bootimg::{BootImage, VendorBootImage};
use kir_core::{compress, cpio, repack};

fn kir(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kir"));
    cmd.args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("NFS_SERVER_IP")
        .env_remove("NFS_ROOTFS")
        .env_remove("KIR_RECIPES")
        .env_remove("boot_out")
        .env_remove("vendor_boot_out");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run kir")
}

fn ok(args: &[&str], env: &[(&str, &str)]) -> Output {
    let out = kir(args, env);
    assert!(
        out.status.success(),
        "kir {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The demo's inputs for `target`, written as files in `dir`.
struct Files {
    kernel: PathBuf,
    dtb: PathBuf,
    initrd: PathBuf,
    modules: PathBuf,
}

fn files(target: &str, dir: &Path) -> Files {
    let inputs = repack::demo::inputs(target).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    Files {
        kernel: write("Image", &inputs.kernel),
        dtb: write("board.dtb", inputs.dtb.as_deref().unwrap()),
        initrd: write("initrd.cpio.gz", inputs.initrd.as_deref().unwrap()),
        modules: write("modules.tar.gz", inputs.modules.as_deref().unwrap()),
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

impl Files {
    /// Kernel, DTB, initrd and modules, in repack_boot.sh's flag order.
    fn paths(&self) -> [&str; 4] {
        [
            s(&self.kernel),
            s(&self.dtb),
            s(&self.initrd),
            s(&self.modules),
        ]
    }
}

/// repack_boot.sh's short-flag command line: `target`, the four inputs
/// (paths or URLs) in flag order, and the output directory.
fn short_argv<'a>(target: &'a str, [k, d, i, m]: [&'a str; 4], out: &'a str) -> Vec<&'a str> {
    vec![
        "repack-boot",
        "-t",
        target,
        "-k",
        k,
        "-d",
        d,
        "-i",
        i,
        "-m",
        m,
        "-o",
        out,
    ]
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn help_names_every_repack_boot_flag_and_exits_zero() {
    for flag in ["-h", "--help"] {
        let out = kir(&["repack-boot", flag], &[]);
        assert_eq!(out.status.code(), Some(0), "{flag}");
        let text = String::from_utf8_lossy(&out.stdout);
        for option in [
            "-t, --target",
            "-k, --kernel",
            "-d, --dtb",
            "-i, --initrd",
            "-m, --modules",
            "-n, --nfs",
            "-p, --modules-prefix",
            "-c, --clear-modules",
            "-o, --output-dir",
            "-h, --help",
        ] {
            assert!(
                text.contains(option),
                "{flag}: usage lacks {option}:\n{text}"
            );
        }
    }
}

#[test]
fn short_and_long_flags_write_the_same_image_into_the_output_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let f = files("dragonboard-845c", tmp.path());
    let short = tmp.path().join("short");
    let out = ok(&short_argv("dragonboard-845c", f.paths(), s(&short)), &[]);
    // The written path is printed on stdout.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        s(&short.join("boot.img"))
    );
    let long = tmp.path().join("long");
    ok(
        &[
            "repack-boot",
            "--target",
            "dragonboard-845c",
            "--kernel",
            s(&f.kernel),
            "--dtb",
            s(&f.dtb),
            "--initrd",
            s(&f.initrd),
            "--modules",
            s(&f.modules),
            "--output-dir",
            s(&long),
        ],
        &[],
    );
    assert_eq!(listing(&short), ["boot.img"], "no temporary file left");
    let image = std::fs::read(short.join("boot.img")).unwrap();
    assert!(image == std::fs::read(long.join("boot.img")).unwrap());

    // The same image as the library makes from the same inputs.
    let recipe = kir_core::recipe::load("dragonboard-845c", None).unwrap();
    let inputs = repack::demo::inputs("dragonboard-845c").unwrap();
    let lib = repack::repack_boot(&recipe, &inputs, &repack::RepackOptions::default()).unwrap();
    assert!(lib.files[0].bytes == image, "CLI and library differ");
}

/// Serves each of `files` (name → bytes) at `/<name>`, for `requests`
/// connections, on 127.0.0.1.
fn loopback_server(
    files: Vec<(String, Vec<u8>)>,
    requests: usize,
) -> (String, std::thread::JoinHandle<()>) {
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
            let path = line.split(' ').nth(1).unwrap_or("").trim_start_matches('/');
            let (status, body) = match files.iter().find(|(n, _)| n == path) {
                Some((_, body)) => ("200 OK", body.as_slice()),
                None => ("404 Not Found", &b"no such file"[..]),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body);
        }
    });
    (base, handle)
}

#[test]
fn inputs_from_http_and_file_urls_give_the_same_images_as_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let f = files("gs101-oriole", tmp.path());
    let by_path = tmp.path().join("paths");
    ok(&short_argv("gs101-oriole", f.paths(), s(&by_path)), &[]);
    assert_eq!(listing(&by_path), ["boot.img", "vendor_boot.img"]);

    let served = vec![
        ("Image".to_string(), std::fs::read(&f.kernel).unwrap()),
        (
            "modules.tar.gz".to_string(),
            std::fs::read(&f.modules).unwrap(),
        ),
    ];
    let (base, server) = loopback_server(served, 2);
    let by_url = tmp.path().join("urls");
    let kernel_url = format!("{base}/Image");
    let modules_url = format!("{base}/modules.tar.gz");
    let dtb_url = format!("file://{}", s(&f.dtb));
    let initrd_url = format!("file://{}", s(&f.initrd));
    ok(
        &short_argv(
            "gs101-oriole",
            [&kernel_url, &dtb_url, &initrd_url, &modules_url],
            s(&by_url),
        ),
        &[],
    );
    server.join().unwrap();
    for name in ["boot.img", "vendor_boot.img"] {
        assert!(
            std::fs::read(by_path.join(name)).unwrap() == std::fs::read(by_url.join(name)).unwrap(),
            "{name} differs between paths and URLs"
        );
    }

    // A URL the server does not have fails, naming it, and writes nothing.
    let (base, server) = loopback_server(Vec::new(), 1);
    let missing = format!("{base}/missing-Image");
    let none = tmp.path().join("none");
    let out = kir(
        &[
            "repack-boot",
            "-t",
            "gs101-oriole",
            "-k",
            &missing,
            "-d",
            s(&f.dtb),
            "-o",
            s(&none),
        ],
        &[],
    );
    server.join().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("missing-Image"), "{stderr}");
    assert!(!none.exists() || listing(&none).is_empty());
}

#[test]
fn nfs_root_takes_server_and_export_from_the_environment_as_kir_did() {
    let tmp = tempfile::tempdir().unwrap();
    let f = files("dragonboard-845c", tmp.path());
    let out_dir = tmp.path().join("nfs");
    let args = [
        "repack-boot",
        "-t",
        "dragonboard-845c",
        "-k",
        s(&f.kernel),
        "-d",
        s(&f.dtb),
        "-n",
        "-o",
        s(&out_dir),
    ];
    let refused = kir(&args, &[]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("NFS_SERVER_IP"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    ok(
        &args,
        &[
            ("NFS_SERVER_IP", "192.0.2.7"),
            ("NFS_ROOTFS", "/srv/nfs/db845c"),
        ],
    );
    let boot = BootImage::parse(&std::fs::read(out_dir.join("boot.img")).unwrap()).unwrap();
    assert!(
        boot.cmdline
            .starts_with("root=/dev/nfs nfsroot=192.0.2.7:/srv/nfs/db845c,nfsvers=3 ip=dhcp"),
        "{}",
        boot.cmdline
    );
}

/// c_mtime of every entry of the modules archive appended after the initrd.
fn modules_mtimes(boot_img: &Path, initrd_len: usize) -> Vec<u32> {
    let boot = BootImage::parse(&std::fs::read(boot_img).unwrap()).unwrap();
    let archive = compress::decompress(&boot.ramdisk[initrd_len..]).unwrap();
    cpio::read(&archive)
        .unwrap()
        .entries
        .iter()
        .map(|e| e.mtime)
        .collect()
}

#[test]
fn source_date_epoch_sets_the_time_of_every_cpio_entry_kir_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let f = files("qrb5165-rb5", tmp.path());
    let initrd_len = std::fs::metadata(&f.initrd).unwrap().len() as usize;
    let run = |dir: &str, env: &[(&str, &str)]| {
        let out_dir = tmp.path().join(dir);
        ok(&short_argv("qrb5165-rb5", f.paths(), s(&out_dir)), env);
        out_dir.join("boot.img")
    };
    let unset = modules_mtimes(&run("unset", &[]), initrd_len);
    assert!(
        !unset.is_empty() && unset.iter().all(|&t| t == 0),
        "{unset:?}"
    );
    let set = modules_mtimes(
        &run("set", &[("SOURCE_DATE_EPOCH", "1700000000")]),
        initrd_len,
    );
    assert!(set.iter().all(|&t| t == 1_700_000_000), "{set:?}");

    let out = kir(
        &[
            "repack-boot",
            "-t",
            "qrb5165-rb5",
            "-k",
            s(&f.kernel),
            "-d",
            s(&f.dtb),
        ],
        &[("SOURCE_DATE_EPOCH", "yesterday")],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SOURCE_DATE_EPOCH"));
}

#[test]
fn a_recipe_in_the_recipes_directory_replaces_the_built_in_one() {
    let tmp = tempfile::tempdir().unwrap();
    let f = files("dragonboard-845c", tmp.path());
    let recipes = tmp.path().join("recipes");
    std::fs::create_dir(&recipes).unwrap();
    let builtin = include_str!("../../kir-core/recipes/dragonboard-845c.toml");
    assert!(builtin.contains("page_size = 4096"));
    std::fs::write(
        recipes.join("dragonboard-845c.toml"),
        builtin.replace("page_size = 4096", "page_size = 2048"),
    )
    .unwrap();
    let listed = ok(
        &[
            "repack-boot",
            "--list-targets",
            "--recipes-dir",
            s(&recipes),
        ],
        &[],
    );
    let listed = String::from_utf8_lossy(&listed.stdout);
    for name in [
        "dragonboard-410c",
        "dragonboard-845c",
        "qrb5165-rb5",
        "e850-96",
        "gs101-oriole",
    ] {
        assert!(listed.contains(name), "{listed}");
    }
    for (dir, env) in [
        ("flag", vec![]),
        ("env", vec![("KIR_RECIPES", s(&recipes))]),
    ] {
        let out_dir = tmp.path().join(dir);
        let mut args = vec![
            "repack-boot",
            "-t",
            "dragonboard-845c",
            "-k",
            s(&f.kernel),
            "-d",
            s(&f.dtb),
            "-o",
            s(&out_dir),
        ];
        if env.is_empty() {
            args.extend(["--recipes-dir", s(&recipes)]);
        }
        ok(&args, &env);
        let boot = BootImage::parse(&std::fs::read(out_dir.join("boot.img")).unwrap()).unwrap();
        assert_eq!(boot.page_size, 2048, "{dir}");
    }
}

#[test]
fn demo_writes_both_boards_checks_them_and_says_what_it_made() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ok(&["demo", "-o", s(tmp.path())], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("all checks passed"), "{text}");
    for target in ["dragonboard-845c", "gs101-oriole"] {
        assert!(text.contains(&format!("{target}:")), "{text}");
    }
    assert_eq!(listing(&tmp.path().join("dragonboard-845c")), ["boot.img"]);
    assert_eq!(
        listing(&tmp.path().join("gs101-oriole")),
        ["boot.img", "vendor_boot.img"]
    );
    let vendor = VendorBootImage::parse(
        &std::fs::read(tmp.path().join("gs101-oriole/vendor_boot.img")).unwrap(),
    )
    .unwrap();
    assert_eq!(vendor.header_version, 4);
    assert!(text.matches("  ok  ").count() >= 16, "{text}");
}
