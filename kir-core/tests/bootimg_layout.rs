//! Boot image layout: where mkbootimg's rules put each section and field,
//! checked against offsets computed here from the spec.

use kir_core::bootimg::{
    BootImage, BootImageHeader, MkbootimgArgs, OsVersion, PatchLevel, VENDOR_RAMDISK_TYPE_DLKM,
    VENDOR_RAMDISK_TYPE_PLATFORM, VendorBootImage, VendorBootImageHeader, VendorRamdisk, unpack,
};
use sha1::{Digest, Sha1};

fn le32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

fn le64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

fn part(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn v2_args() -> MkbootimgArgs {
    MkbootimgArgs {
        header_version: 2,
        kernel: Some(part(5000, 1)),
        ramdisk: Some(part(3000, 2)),
        second: Some(part(100, 3)),
        recovery_dtbo: Some(part(2100, 4)),
        dtb: Some(part(321, 5)),
        base: 0x8000_0000,
        ..MkbootimgArgs::default()
    }
}

#[test]
fn v2_header_places_dtb_after_second_and_recovery_dtbo() {
    let bytes = v2_args().boot_image().unwrap().to_bytes().unwrap();
    let page = 2048;
    // header 1 + kernel 3 + ramdisk 2 + second 1 + recovery_dtbo 2 pages, then the dtb.
    let dtbo_at = page * (1 + 3 + 2 + 1);
    let dtb_at = dtbo_at + page * 2;
    assert_eq!(le64(&bytes, 1636), dtbo_at as u64, "recovery_dtbo_offset");
    assert_eq!(&bytes[dtbo_at..dtbo_at + 2100], &part(2100, 4)[..]);
    assert_eq!(&bytes[dtb_at..dtb_at + 321], &part(321, 5)[..]);
    assert_eq!(bytes.len(), dtb_at + page);
    assert_eq!(le32(&bytes, 1644), 1660, "header_size");
    assert_eq!(le64(&bytes, 1652), 0x8000_0000 + 0x01f0_0000, "dtb_addr");
}

#[test]
fn v0_addresses_are_base_plus_offsets_and_zero_for_absent_parts() {
    let args = MkbootimgArgs {
        kernel: Some(part(10, 1)),
        base: 0x8000_0000,
        ..Default::default()
    };
    let bytes = args.boot_image().unwrap().to_bytes().unwrap();
    assert_eq!(le32(&bytes, 12), 0x8000_8000, "kernel_addr");
    assert_eq!(le32(&bytes, 20), 0, "ramdisk_addr without a ramdisk");
    assert_eq!(le32(&bytes, 28), 0, "second_addr without a second");
    assert_eq!(le32(&bytes, 32), 0x8000_0100, "tags_addr");
    assert_eq!(le32(&bytes, 36), 2048, "page_size");
    assert_eq!(bytes.len(), 2 * 2048);
}

#[test]
fn id_is_sha1_of_each_part_and_its_le32_size() {
    let image = v2_args().boot_image().unwrap();
    let mut sha = Sha1::new();
    for data in [&image.kernel, &image.ramdisk, &image.second] {
        sha.update(data);
        sha.update((data.len() as u32).to_le_bytes());
    }
    let dtbo = image.recovery_dtbo.clone().unwrap();
    sha.update(&dtbo);
    sha.update((dtbo.len() as u32).to_le_bytes());
    sha.update(&image.dtb);
    sha.update((image.dtb.len() as u32).to_le_bytes());
    let digest = sha.finalize();

    let bytes = image.to_bytes().unwrap();
    assert_eq!(&bytes[576..596], &digest[..]);
    assert_eq!(&bytes[596..608], &[0u8; 12]);
    assert_eq!(BootImageHeader::parse(&bytes).unwrap().id, image.id());
}

#[test]
fn cmdline_splits_511_plus_nul_then_rest_plus_nul() {
    let cmdline: String = (0..1534)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let args = MkbootimgArgs {
        cmdline: cmdline.clone(),
        ..Default::default()
    };
    let bytes = args.boot_image().unwrap().to_bytes().unwrap();
    assert_eq!(&bytes[64..64 + 511], &cmdline.as_bytes()[..511]);
    assert_eq!(bytes[64 + 511], 0);
    assert_eq!(&bytes[608..608 + 1023], &cmdline.as_bytes()[511..]);
    assert_eq!(bytes[608 + 1023], 0);
    assert_eq!(BootImage::parse(&bytes).unwrap().cmdline, cmdline);

    let too_long = MkbootimgArgs {
        cmdline: format!("{cmdline}x"),
        ..Default::default()
    };
    let err = too_long.boot_image().unwrap_err().to_string();
    assert!(err.contains("1534"), "{err}");
}

#[test]
fn bookworm_split_at_512_without_nul_still_joins() {
    // mkbootimg 1:29 filled all 512 bytes of cmdline and continued in extra_cmdline.
    let mut bytes = MkbootimgArgs {
        kernel: Some(vec![1]),
        ..Default::default()
    }
    .boot_image()
    .unwrap()
    .to_bytes()
    .unwrap();
    bytes[64..576].fill(b'a');
    bytes[608..611].copy_from_slice(b"bcd");
    let image = BootImage::parse(&bytes).unwrap();
    assert_eq!(image.cmdline, format!("{}bcd", "a".repeat(512)));
}

#[test]
fn os_version_and_patch_level_share_one_word() {
    let args = MkbootimgArgs {
        os_version: OsVersion::parse_mkbootimg("12.1.3").unwrap(),
        os_patch_level: PatchLevel::parse_mkbootimg("2023-07-05").unwrap(),
        ..Default::default()
    };
    let bytes = args.boot_image().unwrap().to_bytes().unwrap();
    assert_eq!(
        le32(&bytes, 44),
        (12 << 25) | (1 << 18) | (3 << 11) | (23 << 4) | 7
    );
    let image = BootImage::parse(&bytes).unwrap();
    assert_eq!(
        image.os_version,
        Some(OsVersion {
            major: 12,
            minor: 1,
            patch: 3
        })
    );
    assert_eq!(
        image.os_patch_level,
        Some(PatchLevel {
            year: 2023,
            month: 7
        })
    );
}

#[test]
fn v4_boot_has_fixed_4096_pages_and_signature_after_ramdisk() {
    let args = MkbootimgArgs {
        header_version: 4,
        kernel: Some(part(5000, 1)),
        ramdisk: Some(part(10, 2)),
        boot_signature: Some(part(4096, 3)),
        page_size: 16384,
        cmdline: "quiet".into(),
        ..Default::default()
    };
    let bytes = args.boot_image().unwrap().to_bytes().unwrap();
    assert_eq!(le32(&bytes, 20), 1584, "header_size");
    assert_eq!(le32(&bytes, 40), 4, "header_version");
    assert_eq!(le32(&bytes, 1580), 4096, "signature_size");
    let signature_at = 4096 * (1 + 2 + 1);
    assert_eq!(&bytes[signature_at..], &part(4096, 3)[..]);
    assert_eq!(
        BootImage::parse(&bytes).unwrap(),
        args.boot_image().unwrap()
    );
}

#[test]
fn v4_vendor_boot_concatenates_fragments_and_lists_them_in_the_table() {
    let mut board_id = [0u32; 16];
    board_id[2] = 0xabcd;
    let args = MkbootimgArgs {
        header_version: 4,
        page_size: 2048,
        vendor_ramdisk: Some(part(316, 1)),
        vendor_ramdisk_fragments: vec![VendorRamdisk {
            ramdisk_type: VENDOR_RAMDISK_TYPE_DLKM,
            name: "dlkm".into(),
            board_id,
            data: part(1000, 2),
        }],
        dtb: Some(part(321, 3)),
        vendor_bootconfig: Some(b"a=b\n".to_vec()),
        ..Default::default()
    };
    let vendor = args.vendor_boot_image().unwrap();
    let bytes = vendor.to_bytes().unwrap();
    // header (2128 bytes) 2 pages, ramdisks 1316 bytes 1 page, dtb 1, table 216 bytes 1, bootconfig 1.
    assert_eq!(bytes.len(), 6 * 2048);
    assert_eq!(le32(&bytes, 24), 1316, "vendor_ramdisk_size");
    assert_eq!(&bytes[4096 + 316..4096 + 1316], &part(1000, 2)[..]);
    let table = 4 * 2048;
    assert_eq!(le32(&bytes, table + 8), VENDOR_RAMDISK_TYPE_PLATFORM);
    assert_eq!(
        le32(&bytes, table + 108 + 4),
        316,
        "second entry's ramdisk_offset"
    );
    assert_eq!(&bytes[table + 108 + 12..table + 108 + 16], b"dlkm");
    assert_eq!(le32(&bytes, table + 108 + 44 + 8), 0xabcd, "board_id[2]");

    let header = VendorBootImageHeader::parse(&bytes).unwrap();
    assert_eq!(header.vendor_ramdisk_table_size, 216);
    assert_eq!(header.bootconfig_size, 4);
    assert_eq!(VendorBootImage::parse(&bytes).unwrap(), vendor);
}

#[test]
fn parse_then_write_gives_the_same_bytes_for_every_version() {
    for header_version in 0..=4 {
        let mut args = v2_args();
        args.header_version = header_version;
        if header_version >= 3 {
            args.second = None;
        }
        let bytes = args.boot_image().unwrap().to_bytes().unwrap();
        let again = BootImage::parse(&bytes).unwrap().to_bytes().unwrap();
        assert_eq!(again, bytes, "v{header_version}");
    }
    for header_version in 3..=4 {
        let args = MkbootimgArgs {
            header_version,
            vendor_ramdisk: Some(part(700, 1)),
            dtb: Some(part(50, 2)),
            vendor_cmdline: "console=ttyMSM0".into(),
            board: "board".into(),
            ..Default::default()
        };
        let bytes = args.vendor_boot_image().unwrap().to_bytes().unwrap();
        let again = VendorBootImage::parse(&bytes).unwrap().to_bytes().unwrap();
        assert_eq!(again, bytes, "vendor v{header_version}");
    }
}

#[test]
fn unpack_names_files_as_unpack_bootimg_does() {
    let bytes = v2_args().boot_image().unwrap().to_bytes().unwrap();
    let unpacked = unpack(&bytes, "out").unwrap();
    let names: Vec<&str> = unpacked.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["kernel", "ramdisk", "second", "recovery_dtbo", "dtb"]
    );
    assert!(
        unpacked.info.contains("dtb address: 0x0000000081f00000"),
        "{}",
        unpacked.info
    );
    assert!(
        unpacked
            .mkbootimg_args
            .windows(2)
            .any(|w| w == ["--dtb", "out/dtb"])
    );
}
