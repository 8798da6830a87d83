//! Disk images checked by the reference tools: `sfdisk -d`, `sgdisk -v`,
//! `fsck.fat -n`, mtools `mdir`/`mcopy` and `e2fsck -fn`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use kir_core::disk::{CreateUboot, Layout, build_disk_image, create_uboot_layout};

fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{tool} is required in CI (see scripts/deps/apt.txt)");
        }
        eprintln!(
            "skipping: {tool} not installed (apt-get install fdisk gdisk dosfstools mtools e2fsprogs)"
        );
    }
    found
}

fn output(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Copies `sectors` sectors from `start` of `image` into their own file.
fn extract(image: &Path, start: u64, sectors: u64, to: &Path) -> PathBuf {
    let bytes = fs::read(image).unwrap();
    let part = &bytes[(start * 512) as usize..((start + sectors) * 512) as usize];
    fs::write(to, part).unwrap();
    to.to_path_buf()
}

#[test]
fn create_uboot_matches_kir_layout_and_passes_fat_checks() {
    if !have("sfdisk") || !have("fsck.fat") || !have("mdir") || !have("mcopy") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mlo = dir.path().join("MLO");
    let uboot = dir.path().join("u-boot.img");
    fs::write(&mlo, noise(100_000, 1)).unwrap();
    fs::write(&uboot, noise(500_000, 2)).unwrap();
    let img = dir.path().join("x15.img");

    let mut args = CreateUboot::new(mlo.clone(), uboot.clone());
    args.disk_id = Some(0x1234_abcd);
    let report = build_disk_image(&create_uboot_layout(&args), dir.path(), &img).unwrap();

    // create-uboot.py's measured geometry: 96608 sectors, one partition at 32.
    assert_eq!(fs::metadata(&img).unwrap().len(), 49_463_296);
    assert_eq!(report.partitions[0].start_lba, 32);
    let dump = output(Command::new("sfdisk").arg("-d").arg(&img));
    assert!(dump.contains("label: dos"), "{dump}");
    assert!(dump.contains("label-id: 0x1234abcd"), "{dump}");
    assert!(
        dump.contains("start=          32, size=       96545, type=6, bootable"),
        "{dump}"
    );

    let part = extract(&img, 32, 96545, &dir.path().join("part.fat"));
    let fsck = output(Command::new("fsck.fat").arg("-n").arg(&part));
    assert!(fsck.contains(" files, "), "{fsck}");

    let listing =
        output(Command::new("mdir").args(["-i", &format!("{}@@16384", img.display()), "::"]));
    assert!(
        listing.contains("u-boot.img") || listing.contains("U-BOOT   IMG"),
        "{listing}"
    );
    assert!(listing.contains("MLO"), "{listing}");
    for (name, original) in [("u-boot.img", &uboot), ("MLO", &mlo)] {
        let back = dir.path().join(format!("back-{name}"));
        output(
            Command::new("mcopy")
                .args(["-n", "-i", &format!("{}@@16384", img.display())])
                .arg(format!("::{name}"))
                .arg(&back),
        );
        assert!(
            fs::read(&back).unwrap() == fs::read(original).unwrap(),
            "{name} differs after mcopy"
        );
    }

    // FAT16 boot sector: hidden sectors = partition start, 512 root entries, 4 sectors per cluster.
    let b = fs::read(&part).unwrap();
    assert_eq!(&b[54..62], b"FAT16   ");
    assert_eq!(u32::from_le_bytes([b[28], b[29], b[30], b[31]]), 32);
    assert_eq!(u16::from_le_bytes([b[17], b[18]]), 512);
    assert_eq!(b[13], 4);
}

fn tree(dir: &Path) {
    fs::create_dir_all(dir.join("EFI/BOOT")).unwrap();
    fs::create_dir_all(dir.join("extlinux")).unwrap();
    fs::write(dir.join("EFI/BOOT/BOOTAA64.EFI"), noise(70_000, 3)).unwrap();
    fs::write(
        dir.join("extlinux/extlinux.conf"),
        b"label linux\n  kernel /Image\n",
    )
    .unwrap();
    fs::write(
        dir.join("a rather long file name with spaces.dtb"),
        noise(4_000, 4),
    )
    .unwrap();
    fs::write(dir.join("Image"), noise(1_000_000, 5)).unwrap();
}

#[test]
fn gpt_layout_with_fat_ext4_and_raw_passes_sgdisk_fsck_and_e2fsck() {
    if !have("sgdisk") || !have("sfdisk") || !have("fsck.fat") || !have("e2fsck") || !have("mdir") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    tree(&dir.path().join("boot"));
    tree(&dir.path().join("root"));
    fs::write(dir.path().join("fip.bin"), noise(300_000, 6)).unwrap();
    let layout = Layout::from_toml(
        r#"
        table = "gpt"
        disk_id = "01234567-89AB-CDEF-0123-456789ABCDEF"
        [[partition]]
        name = "esp"
        type = "esp"
        content = "fat"
        source = "boot"
        fat_type = 32
        size = "64MiB"
        bootable = true
        [[partition]]
        name = "rootfs"
        content = "ext4"
        source = "root"
        size = "16MiB"
        timestamp = 1700000000
        [[partition]]
        name = "fip"
        content = "raw"
        source = "fip.bin"
        guid = "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"
        "#,
    )
    .unwrap();
    let img = dir.path().join("disk.img");
    let report = build_disk_image(&layout, dir.path(), &img).unwrap();

    let verify = output(Command::new("sgdisk").arg("-v").arg(&img));
    assert!(verify.contains("No problems found"), "{verify}");
    let dump = output(Command::new("sfdisk").arg("-d").arg(&img));
    assert!(dump.contains("label: gpt"), "{dump}");
    assert!(
        dump.contains("label-id: 01234567-89AB-CDEF-0123-456789ABCDEF"),
        "{dump}"
    );
    assert!(
        dump.contains("type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B"),
        "{dump}"
    );
    assert!(
        dump.contains("uuid=AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE, name=\"fip\""),
        "{dump}"
    );
    assert!(dump.contains("name=\"rootfs\""), "{dump}");

    let p = &report.partitions;
    let esp = extract(&img, p[0].start_lba, p[0].sectors, &dir.path().join("esp"));
    let fsck = output(Command::new("fsck.fat").arg("-n").arg(&esp));
    assert!(fsck.contains("files"), "{fsck}");
    let listing = output(Command::new("mdir").args(["-/", "-i"]).arg(&esp).arg("::"));
    assert!(
        listing.contains("a rather long file name with spaces.dtb"),
        "{listing}"
    );
    assert!(listing.contains("BOOTAA64.EFI"), "{listing}");

    let root = extract(
        &img,
        p[1].start_lba,
        p[1].sectors,
        &dir.path().join("root.ext4"),
    );
    output(Command::new("e2fsck").arg("-fn").arg(&root));

    let fip = fs::read(&img).unwrap();
    let start = (p[2].start_lba * 512) as usize;
    assert!(fip[start..start + 300_000] == noise(300_000, 6)[..]);

    // Same layout, same bytes.
    let again = dir.path().join("again.img");
    build_disk_image(&layout, dir.path(), &again).unwrap();
    assert!(
        fs::read(&again).unwrap() == fs::read(&img).unwrap(),
        "rebuild differs"
    );
}

#[test]
fn mbr_layout_with_fat12_and_fat16_passes_fsck_and_sfdisk() {
    if !have("sfdisk") || !have("fsck.fat") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    tree(&dir.path().join("files"));
    let layout = Layout::from_toml(
        r#"
        disk_id = "0xCAFEF00D"
        [[partition]]
        content = "fat"
        fat_type = 12
        size = "4MiB"
        files = ["files/Image"]
        [[partition]]
        content = "fat"
        source = "files"
        label = "BOOT"
        volume_id = "0x12345678"
        timestamp = 1700000000
        [[partition]]
        content = "empty"
        size = "1MiB"
        type = "0xda"
        "#,
    )
    .unwrap();
    let img = dir.path().join("mbr.img");
    let report = build_disk_image(&layout, dir.path(), &img).unwrap();
    let dump = output(Command::new("sfdisk").arg("-d").arg(&img));
    assert!(dump.contains("label-id: 0xcafef00d"), "{dump}");
    assert!(
        dump.contains("type=1\n") || dump.contains("type=1,"),
        "{dump}"
    );
    assert!(dump.contains("type=da"), "{dump}");
    for (i, p) in report.partitions.iter().take(2).enumerate() {
        let part = extract(
            &img,
            p.start_lba,
            p.sectors,
            &dir.path().join(format!("p{i}")),
        );
        output(Command::new("fsck.fat").arg("-n").arg(&part));
    }
    let part = fs::read(dir.path().join("p1")).unwrap();
    assert_eq!(&part[43..54], b"BOOT       ");
    assert_eq!(
        u32::from_le_bytes([part[39], part[40], part[41], part[42]]),
        0x1234_5678
    );
}

#[test]
fn sparse_layout_expands_to_the_raw_layout() {
    if !have("simg2img") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    tree(&dir.path().join("files"));
    let text = r#"
        [[partition]]
        content = "fat"
        source = "files"
        size = "32MiB"
        "#;
    let raw = dir.path().join("raw.img");
    build_disk_image(&Layout::from_toml(text).unwrap(), dir.path(), &raw).unwrap();
    let simg = dir.path().join("disk.simg");
    let layout = Layout::from_toml(&format!("sparse = true\n{text}")).unwrap();
    let report = build_disk_image(&layout, dir.path(), &simg).unwrap();
    assert!(report.sparse);
    assert!(fs::metadata(&simg).unwrap().len() < 4 << 20);
    let back = dir.path().join("back.img");
    output(Command::new("simg2img").arg(&simg).arg(&back));
    assert!(fs::read(&back).unwrap() == fs::read(&raw).unwrap());
}

#[test]
fn overlapping_partitions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::from_toml(
        "[[partition]]\nstart = 2048\nsize = \"1MiB\"\n[[partition]]\nstart = 2049\nsize = \"1MiB\"\n",
    )
    .unwrap();
    let e = build_disk_image(&layout, dir.path(), &dir.path().join("x.img"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("partition 2") && e.contains("overlaps"), "{e}");
}
