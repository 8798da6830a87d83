//! Malformed boot images give an error naming the field and its offset,
//! never a panic or an allocation sized by the input.

use kir_core::bootimg::{BootImage, MkbootimgArgs, VendorBootImage, VendorRamdisk, unpack};
use kir_core::{Error, ErrorKind};

fn boot(header_version: u32) -> Vec<u8> {
    let args = MkbootimgArgs {
        header_version,
        kernel: Some(vec![0x11; 3000]),
        ramdisk: Some(vec![0x22; 700]),
        recovery_dtbo: (header_version == 1 || header_version == 2).then(|| vec![0x33; 99]),
        dtb: Some(vec![0x44; 321]),
        boot_signature: (header_version == 4).then(|| vec![0x55; 64]),
        cmdline: "console=ttyS0".into(),
        ..MkbootimgArgs::default()
    };
    args.boot_image().unwrap().to_bytes().unwrap()
}

fn vendor(header_version: u32) -> Vec<u8> {
    let args = MkbootimgArgs {
        header_version,
        vendor_ramdisk: Some(vec![0x66; 500]),
        vendor_ramdisk_fragments: if header_version == 4 {
            vec![VendorRamdisk {
                name: "dlkm".into(),
                data: vec![0x77; 40],
                ..Default::default()
            }]
        } else {
            Vec::new()
        },
        dtb: Some(vec![0x44; 321]),
        vendor_bootconfig: Some(b"k=v\n".to_vec()),
        ..MkbootimgArgs::default()
    };
    args.vendor_boot_image().unwrap().to_bytes().unwrap()
}

fn put32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// The error's field and offset, after checking it is `Malformed`.
fn field_and_offset(err: Error) -> (&'static str, u64) {
    match err {
        Error::Malformed { field, offset, .. } => (field, offset),
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn truncated_images_are_refused_at_every_cut() {
    for (name, bytes) in [("v0", boot(0)), ("v2", boot(2)), ("v4", boot(4))] {
        let image = BootImage::parse(&bytes).unwrap();
        // The last byte that belongs to a part, not to padding.
        let needed = bytes.iter().rposition(|b| *b != 0).unwrap() + 1;
        for cut in 0..needed {
            let err = BootImage::parse(&bytes[..cut]).unwrap_err();
            assert_eq!(
                err.kind(),
                ErrorKind::Malformed,
                "{name} cut at {cut}: {err}"
            );
        }
        assert_eq!(
            BootImage::parse(&bytes[..needed]).unwrap(),
            image,
            "{name}: padding is optional"
        );
    }
    for (name, bytes) in [("vendor v3", vendor(3)), ("vendor v4", vendor(4))] {
        let needed = bytes.iter().rposition(|b| *b != 0).unwrap() + 1;
        for cut in 0..needed {
            let err = VendorBootImage::parse(&bytes[..cut]).unwrap_err();
            assert_eq!(
                err.kind(),
                ErrorKind::Malformed,
                "{name} cut at {cut}: {err}"
            );
        }
    }
}

#[test]
fn kernel_size_past_end_of_file_names_the_field() {
    let mut bytes = boot(0);
    put32(&mut bytes, 8, 0xffff_ffff);
    let err = BootImage::parse(&bytes).unwrap_err();
    assert!(err.to_string().contains("offset 0x8: kernel_size"), "{err}");
    assert_eq!(field_and_offset(err), ("kernel_size", 8));
}

#[test]
fn recovery_dtbo_offset_past_end_of_file_is_refused() {
    let mut bytes = boot(1);
    bytes[1636..1644].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(
        field_and_offset(BootImage::parse(&bytes).unwrap_err()),
        ("recovery_dtbo_size", 1632)
    );
}

#[test]
fn legacy_qcdt_dt_size_in_the_version_word_is_refused() {
    let mut bytes = boot(0);
    put32(&mut bytes, 40, 0x1a000);
    let err = BootImage::parse(&bytes).unwrap_err();
    assert!(err.to_string().contains("QCDT"), "{err}");
    assert_eq!(field_and_offset(err), ("header_version", 40));
}

#[test]
fn page_size_zero_is_refused() {
    let mut bytes = boot(2);
    put32(&mut bytes, 36, 0);
    assert_eq!(
        field_and_offset(BootImage::parse(&bytes).unwrap_err()),
        ("page_size", 36)
    );
    let mut bytes = vendor(4);
    put32(&mut bytes, 12, 0);
    assert_eq!(
        field_and_offset(VendorBootImage::parse(&bytes).unwrap_err()),
        ("page_size", 12)
    );
}

#[test]
fn v3_image_read_as_v0_is_refused() {
    // A v3 header whose version word says 0: page_size falls on reserved (zero) bytes.
    let mut bytes = boot(3);
    put32(&mut bytes, 40, 0);
    assert_eq!(
        field_and_offset(BootImage::parse(&bytes).unwrap_err()),
        ("page_size", 36)
    );
}

#[test]
fn wrong_magic_is_refused() {
    let err = unpack(b"NOTANIMAGE-AT-ALL", "out").unwrap_err();
    assert_eq!(field_and_offset(err), ("magic", 0));
    assert_eq!(
        field_and_offset(BootImage::parse(&vendor(3)).unwrap_err()),
        ("magic", 0)
    );
}

#[test]
fn huge_vendor_ramdisk_table_is_refused_before_reading_it() {
    let mut bytes = vendor(4);
    put32(&mut bytes, 2116, u32::MAX);
    let (field, offset) = field_and_offset(VendorBootImage::parse(&bytes).unwrap_err());
    assert_eq!((field, offset), ("vendor_ramdisk_table_entry_num", 2116));
}

#[test]
fn vendor_ramdisk_entry_outside_its_section_is_refused() {
    let mut bytes = vendor(4);
    let table = 2048 * 4; // header 2 pages, ramdisks 1, dtb 1
    put32(&mut bytes, table + 108 + 4, 0x10_0000); // second entry's ramdisk_offset
    let (field, offset) = field_and_offset(VendorBootImage::parse(&bytes).unwrap_err());
    assert_eq!((field, offset), ("ramdisk_size", (table + 108) as u64));
}

#[test]
fn vendor_ramdisk_name_with_a_slash_cannot_escape_the_unpack_directory() {
    let mut bytes = vendor(4);
    let name_at = 2048 * 4 + 108 + 12;
    bytes[name_at..name_at + 8].copy_from_slice(b"../../x\0");
    assert_eq!(
        unpack(&bytes, "out").unwrap_err().kind(),
        ErrorKind::UnsafePath
    );
}

/// xorshift: deterministic mutations so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_header_mutations_never_panic() {
    let seeds = [
        boot(0),
        boot(1),
        boot(2),
        boot(3),
        boot(4),
        vendor(3),
        vendor(4),
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..4000 {
        let mut bytes = seeds[round % seeds.len()].clone();
        for _ in 0..1 + rng.below(4) {
            // Mostly the header and the vendor table, where sizes and offsets live.
            if bytes.is_empty() {
                break;
            }
            let span = if rng.below(4) == 0 {
                bytes.len()
            } else {
                bytes.len().min(2200)
            };
            let at = rng.below(span);
            match rng.below(3) {
                0 => bytes[at] = rng.next() as u8,
                1 if at + 4 <= bytes.len() => put32(&mut bytes, at, rng.next() as u32),
                _ => bytes.truncate(at),
            }
        }
        // Ok or Err are both fine; what is checked is that nothing panics.
        let _ = BootImage::parse(&bytes);
        let _ = VendorBootImage::parse(&bytes);
        if let Ok(unpacked) = unpack(&bytes, "out") {
            assert!(
                unpacked.files.iter().all(|f| !f.name.contains("..")),
                "round {round}"
            );
        }
    }
}
