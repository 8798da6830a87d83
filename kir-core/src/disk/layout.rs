//! Disk layouts: a partition table and what goes into each partition,
//! described in TOML and written as a raw or sparse image.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::fat::{FatOptions, FatSource, FatTimestamps, build_fat};
use super::gpt::{self, Gpt, GptPartition, Guid};
use super::mbr::{Mbr, MbrPartition};
use crate::ext4;
use crate::sparse::{self, EncodeOptions};
use crate::{Error, Result};

const SECTOR: u64 = 512;

/// A whole disk: `kir disk-image LAYOUT.toml`.
///
/// ```toml
/// table = "mbr"            # "mbr" (default), "gpt" or "none"
/// disk_id = "0x4b495231"   # MBR signature (with gpt: a GUID); derived when absent
/// align = "1MiB"           # where partitions start when `start` is absent
/// sparse = true            # write an Android sparse image
///
/// [[partition]]
/// name = "boot"
/// content = "fat"          # "fat", "ext4", "raw" or "empty"
/// source = "boot-files"    # directory (fat, ext4) or file (raw), relative to the layout
/// size = "64MiB"
/// bootable = true
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    /// Partition table kind.
    #[serde(default)]
    pub table: TableKind,
    /// MBR disk signature (hex or decimal) or GPT disk GUID.
    pub disk_id: Option<String>,
    /// Total image size; the smallest aligned size that fits when absent.
    pub size: Option<ByteSize>,
    /// Alignment of partition starts and of a derived image size (default 1 MiB).
    pub align: Option<ByteSize>,
    /// Write an Android sparse image instead of a raw one.
    #[serde(default)]
    pub sparse: bool,
    /// Block size of the sparse image (default 4096).
    pub sparse_block_size: Option<u32>,
    /// Partitions in table order.
    #[serde(default, rename = "partition")]
    pub partitions: Vec<PartitionSpec>,
}

/// Partition table kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TableKind {
    /// DOS partition table, up to 4 primary partitions.
    #[default]
    Mbr,
    /// GUID partition table with protective MBR.
    Gpt,
    /// No table: partitions are laid out as given (usually one, at 0).
    None,
}

/// What a partition holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Content {
    /// Nothing written (zeros).
    #[default]
    Empty,
    /// A file copied in as is.
    Raw,
    /// A FAT file system made from `source` (a directory) and/or `files`.
    Fat,
    /// An ext4 file system made from `source` (a directory).
    Ext4,
}

/// One partition of a [`Layout`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PartitionSpec {
    /// GPT partition name; also the default FAT/ext4 label.
    pub name: Option<String>,
    /// MBR type byte (`0x0c`, or `fat16`, `fat32`, `linux`, `efi`...) or GPT type
    /// GUID (or `linux`, `esp`, `basic-data`...); derived from the content when absent.
    #[serde(rename = "type")]
    pub partition_type: Option<String>,
    /// First sector (LBA, 512-byte sectors).
    pub start: Option<u64>,
    /// Size; derived from the content when absent.
    pub size: Option<ByteSize>,
    /// MBR active flag / GPT legacy-BIOS-bootable attribute.
    #[serde(default)]
    pub bootable: bool,
    /// GPT unique partition GUID; derived when absent.
    pub guid: Option<String>,
    /// What to write into the partition.
    #[serde(default)]
    pub content: Content,
    /// Directory (fat, ext4) or file (raw), relative to the layout's directory.
    pub source: Option<PathBuf>,
    /// Files copied into the FAT root directory, in order, after `source`.
    #[serde(default)]
    pub files: Vec<PathBuf>,
    /// FAT: 12, 16 or 32.
    pub fat_type: Option<u8>,
    /// FAT: cluster size in bytes.
    pub cluster_size: Option<u32>,
    /// FAT: root directory entries (FAT12/16).
    pub root_entries: Option<u16>,
    /// File system label (FAT: 11 characters, ext4: 16 bytes).
    pub label: Option<String>,
    /// FAT volume serial number (hex or decimal).
    pub volume_id: Option<String>,
    /// File times (seconds since 1970); FAT default 1980-01-01, ext4 its writer's default.
    pub timestamp: Option<i64>,
    /// FAT: take each file's host modification time.
    #[serde(default)]
    pub host_timestamps: bool,
}

/// A size: bytes as an integer, or a string with a `K`/`KiB`/`M`/`MiB`/`G`/`GiB`
/// suffix (powers of 1024) or `s` (512-byte sectors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "SizeText")]
pub struct ByteSize(pub u64);

#[derive(Deserialize)]
#[serde(untagged)]
enum SizeText {
    Number(u64),
    Text(String),
}

impl TryFrom<SizeText> for ByteSize {
    type Error = String;
    fn try_from(v: SizeText) -> std::result::Result<Self, String> {
        match v {
            SizeText::Number(n) => Ok(ByteSize(n)),
            SizeText::Text(t) => parse_size(&t).map(ByteSize).map_err(|e| e.to_string()),
        }
    }
}

/// Parses `48272KiB`, `1M`, `96545s`, `4096`.
pub fn parse_size(text: &str) -> Result<u64> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num.parse().map_err(|_| {
        Error::invalid_argument("size", format!("{text:?} does not start with a number"))
    })?;
    let mult: u64 = match unit.trim() {
        "" | "B" => 1,
        "s" => SECTOR,
        "K" | "KiB" | "k" => 1 << 10,
        "M" | "MiB" => 1 << 20,
        "G" | "GiB" => 1 << 30,
        other => {
            return Err(Error::invalid_argument(
                "size",
                format!("{text:?}: unknown unit {other:?}"),
            ));
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| Error::invalid_argument("size", format!("{text:?} is too large")))
}

fn parse_u32(name: &str, text: &str) -> Result<u32> {
    let t = text.trim();
    let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => t.parse(),
    };
    parsed.map_err(|_| Error::invalid_argument(name, format!("{text:?} is not a 32-bit number")))
}

/// Where a partition ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedPartition {
    /// First sector.
    pub start_lba: u64,
    /// Length in sectors.
    pub sectors: u64,
    /// MBR type byte (MBR tables).
    pub mbr_type: Option<u8>,
    /// Type GUID (GPT tables).
    pub type_guid: Option<Guid>,
    /// Unique GUID (GPT tables).
    pub unique_guid: Option<Guid>,
}

/// What [`build_disk_image`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskReport {
    /// Size of the (expanded) disk image in bytes.
    pub size_bytes: u64,
    /// MBR disk signature (MBR tables).
    pub mbr_disk_id: Option<u32>,
    /// Disk GUID (GPT tables).
    pub disk_guid: Option<Guid>,
    /// Partitions in table order.
    pub partitions: Vec<PlacedPartition>,
    /// Whether the output is a sparse image.
    pub sparse: bool,
}

impl Layout {
    /// Parses a layout from TOML text.
    pub fn from_toml(text: &str) -> Result<Layout> {
        toml::from_str(text).map_err(|e| Error::invalid_argument("layout", e.to_string()))
    }
}

/// A partition's content prepared before placement.
enum Prepared {
    Empty,
    Raw(PathBuf),
    Fat(FatOptions, Vec<FatSource>),
    Ext4(Box<ext4::Tree>, ext4::Options),
    /// An ext4 image already built (its size was derived from the tree).
    Bytes(Vec<u8>),
}

/// Builds the disk image described by `layout` at `output` (raw, or sparse
/// when `layout.sparse`). Relative paths in the layout are taken from `base_dir`.
/// `output` is written in place; callers wanting atomic replacement pass a
/// temporary path and rename it.
pub fn build_disk_image(layout: &Layout, base_dir: &Path, output: &Path) -> Result<DiskReport> {
    if layout.sparse {
        let raw_path = output.with_extension("kir-raw.tmp");
        let result = build_raw(layout, base_dir, &raw_path).and_then(|report| {
            let options = EncodeOptions {
                block_size: layout
                    .sparse_block_size
                    .unwrap_or(sparse::DEFAULT_BLOCK_SIZE),
                ..Default::default()
            };
            let sink = File::create(output).map_err(|e| Error::io(output, e))?;
            let sink = io::BufWriter::with_capacity(1 << 20, sink);
            let mut sink = sparse::encode_file(&raw_path, sink, &options)?;
            sink.flush().map_err(|e| Error::io(output, e))?;
            Ok(DiskReport {
                sparse: true,
                ..report
            })
        });
        let _ = fs::remove_file(&raw_path);
        return result;
    }
    build_raw(layout, base_dir, output)
}

fn build_raw(layout: &Layout, base_dir: &Path, output: &Path) -> Result<DiskReport> {
    let align = layout.align.map_or(1 << 20, |a| a.0).max(SECTOR);
    if align % SECTOR != 0 {
        return Err(Error::invalid_argument(
            "align",
            format!("{align} is not a multiple of 512"),
        ));
    }
    let align_sectors = align / SECTOR;
    let (first_usable, tail) = match layout.table {
        TableKind::Mbr => (1, 0),
        TableKind::Gpt => (gpt::PRIMARY_SECTORS, gpt::BACKUP_SECTORS),
        TableKind::None => (0, 0),
    };
    if layout.table == TableKind::Mbr && layout.partitions.len() > 4 {
        return Err(Error::invalid_argument(
            "partition",
            "an MBR holds at most 4 partitions",
        ));
    }

    // Content first: derived sizes depend on it.
    let mut prepared = Vec::with_capacity(layout.partitions.len());
    let mut sizes = Vec::with_capacity(layout.partitions.len());
    for (i, spec) in layout.partitions.iter().enumerate() {
        let (content, size) = prepare(i, spec, base_dir)?;
        prepared.push(content);
        sizes.push(size);
    }

    // Sectors past this make a disk larger than a file can be (2^63 bytes).
    const MAX_SECTORS: u64 = (i64::MAX as u64) / SECTOR;
    let too_large = |what: String| {
        Error::invalid_argument(
            what,
            format!("the disk would end past sector {MAX_SECTORS} (2^63 bytes)"),
        )
    };
    let align_up = |at: u64| at.div_ceil(align_sectors).checked_mul(align_sectors);

    let mut placed = Vec::with_capacity(sizes.len());
    let mut cursor = first_usable;
    for (i, (spec, size)) in layout.partitions.iter().zip(&sizes).enumerate() {
        let name = format!("partition {}", i + 1);
        let sectors = size.div_ceil(SECTOR);
        let start = match spec.start {
            Some(s) => s,
            None => align_up(cursor).ok_or_else(|| too_large(name.clone()))?,
        };
        if start < cursor {
            return Err(Error::invalid_argument(
                format!("partition {}", i + 1),
                format!(
                    "start {start} overlaps the table or the previous partition (ends before {cursor})"
                ),
            ));
        }
        cursor = start
            .checked_add(sectors)
            .filter(|end| *end <= MAX_SECTORS)
            .ok_or_else(|| too_large(name))?;
        placed.push((start, sectors));
    }
    let needed = cursor
        .checked_add(tail)
        .filter(|n| *n <= MAX_SECTORS)
        .ok_or_else(|| too_large("partition".into()))?;
    let total_sectors = match layout.size {
        Some(s) => {
            let t = s.0.div_ceil(SECTOR);
            if t < needed {
                return Err(Error::invalid_argument(
                    "size",
                    format!(
                        "{} bytes is smaller than the {} the partitions need",
                        s.0,
                        needed.saturating_mul(SECTOR)
                    ),
                ));
            }
            t
        }
        None => align_up(needed).ok_or_else(|| too_large("align".into()))?,
    };
    if total_sectors > MAX_SECTORS {
        return Err(too_large("size".into()));
    }
    let total_bytes = total_sectors * SECTOR;

    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(output)
        .map_err(|e| Error::io(output, e))?;
    file.set_len(total_bytes)
        .map_err(|e| Error::io(output, e))?;

    let report = write_table(layout, &placed, &prepared, total_sectors, &file, output)?;

    for (i, (content, (start, sectors))) in prepared.into_iter().zip(&placed).enumerate() {
        let window = Window {
            file: &file,
            start: start * SECTOR,
            len: sectors * SECTOR,
            pos: 0,
        };
        write_content(i, content, window, *start)?;
    }
    file.sync_all().map_err(|e| Error::io(output, e))?;
    Ok(DiskReport {
        size_bytes: total_bytes,
        ..report
    })
}

fn prepare(index: usize, spec: &PartitionSpec, base: &Path) -> Result<(Prepared, u64)> {
    let name = format!("partition {}", index + 1);
    let source = spec.source.as_ref().map(|s| base.join(s));
    let need_source = || {
        source
            .clone()
            .ok_or_else(|| Error::invalid_argument(&name, "this content needs `source`"))
    };
    Ok(match spec.content {
        Content::Empty => {
            let size = spec
                .size
                .ok_or_else(|| Error::invalid_argument(&name, "empty partitions need `size`"))?;
            (Prepared::Empty, size.0)
        }
        Content::Raw => {
            let path = need_source()?;
            let len = fs::metadata(&path).map_err(|e| Error::io(&path, e))?.len();
            let size = spec.size.map_or(len, |s| s.0);
            if len > size {
                return Err(Error::invalid_argument(
                    &name,
                    format!(
                        "{} ({len} bytes) does not fit in {size} bytes",
                        path.display()
                    ),
                ));
            }
            (Prepared::Raw(path), size)
        }
        Content::Fat => {
            let mut sources = Vec::new();
            let mut data = 0u64;
            if let Some(dir) = source {
                data += tree_bytes(&dir)?;
                sources.push(FatSource::DirContents(dir));
            }
            for f in &spec.files {
                let path = base.join(f);
                data += fs::metadata(&path).map_err(|e| Error::io(&path, e))?.len();
                sources.push(FatSource::File(path));
            }
            let options = FatOptions {
                fat_bits: spec.fat_type,
                cluster_size: spec.cluster_size,
                root_entries: spec.root_entries,
                label: spec.label.clone().or_else(|| spec.name.clone()),
                volume_id: spec
                    .volume_id
                    .as_deref()
                    .map(|v| parse_u32("volume_id", v))
                    .transpose()?,
                hidden_sectors: 0,
                geometry: None,
                timestamps: if spec.host_timestamps {
                    FatTimestamps::Host
                } else {
                    spec.timestamp
                        .map_or(FatTimestamps::Epoch1980, FatTimestamps::Fixed)
                },
            };
            // Room for FATs, directories and cluster slack: an eighth more plus 1 MiB.
            let derived = ((data + data / 8 + (1 << 20)).div_ceil(1 << 20) << 20).max(2 << 20);
            (
                Prepared::Fat(options, sources),
                spec.size.map_or(derived, |s| s.0),
            )
        }
        Content::Ext4 => {
            let dir = need_source()?;
            let time = spec.timestamp.unwrap_or(0);
            let tree = tree_from_dir(&dir, time)?;
            let label = spec
                .label
                .clone()
                .or_else(|| spec.name.clone())
                .unwrap_or_default();
            let options = ext4::Options {
                size_bytes: spec.size.map(|s| s.0),
                label: label.into_bytes(),
                timestamp: Some(time),
                slack_bytes: 4 << 20,
                ..Default::default()
            };
            match spec.size {
                Some(s) => (Prepared::Ext4(Box::new(tree), options), s.0),
                None => {
                    let bytes = ext4::build_image(&tree, &options)?;
                    let len = bytes.len() as u64;
                    (Prepared::Bytes(bytes), len)
                }
            }
        }
    })
}

fn write_table(
    layout: &Layout,
    placed: &[(u64, u64)],
    prepared: &[Prepared],
    total_sectors: u64,
    file: &File,
    output: &Path,
) -> Result<DiskReport> {
    // Identifiers not given are derived from the layout, never from a clock or RNG.
    let fingerprint = format!("{:?}{total_sectors}", placed);
    let mut report = DiskReport {
        size_bytes: 0,
        mbr_disk_id: None,
        disk_guid: None,
        partitions: Vec::new(),
        sparse: false,
    };
    match layout.table {
        TableKind::None => {
            report.partitions = placed
                .iter()
                .map(|&(start_lba, sectors)| PlacedPartition {
                    start_lba,
                    sectors,
                    mbr_type: None,
                    type_guid: None,
                    unique_guid: None,
                })
                .collect();
        }
        TableKind::Mbr => {
            let disk_id = match &layout.disk_id {
                Some(t) => parse_u32("disk_id", t)?,
                None => crc32fast::hash(fingerprint.as_bytes()),
            };
            let mut parts = Vec::new();
            for (i, ((spec, &(start, sectors)), content)) in layout
                .partitions
                .iter()
                .zip(placed)
                .zip(prepared)
                .enumerate()
            {
                let too_big = || {
                    Error::invalid_argument(
                        format!("partition {}", i + 1),
                        "beyond 2 TiB: use a GPT",
                    )
                };
                let partition_type = mbr_type(spec, content, sectors * SECTOR)?;
                parts.push(MbrPartition {
                    bootable: spec.bootable,
                    partition_type,
                    start_lba: u32::try_from(start).map_err(|_| too_big())?,
                    sectors: u32::try_from(sectors).map_err(|_| too_big())?,
                });
                report.partitions.push(PlacedPartition {
                    start_lba: start,
                    sectors,
                    mbr_type: Some(partition_type),
                    type_guid: None,
                    unique_guid: None,
                });
            }
            let sector = Mbr {
                disk_id,
                partitions: parts,
            }
            .to_sector()?;
            file.write_all_at(&sector, 0)
                .map_err(|e| Error::io(output, e))?;
            report.mbr_disk_id = Some(disk_id);
        }
        TableKind::Gpt => {
            let disk_guid = match &layout.disk_id {
                Some(t) => Guid::parse(t)?,
                None => Guid::from_name(fingerprint.as_bytes()),
            };
            let mut parts = Vec::new();
            for (i, (spec, &(start, sectors))) in layout.partitions.iter().zip(placed).enumerate() {
                let type_guid = match &spec.partition_type {
                    Some(t) => gpt::type_guid(t)?,
                    None => gpt::type_guid(match spec.content {
                        Content::Fat => "basic-data",
                        _ => "linux",
                    })?,
                };
                let unique_guid = match &spec.guid {
                    Some(g) => Guid::parse(g)?,
                    None => {
                        let mut seed = disk_guid.0.to_vec();
                        seed.extend((i as u32).to_le_bytes());
                        Guid::from_name(&seed)
                    }
                };
                parts.push(GptPartition {
                    type_guid,
                    unique_guid,
                    first_lba: start,
                    last_lba: start + sectors.max(1) - 1,
                    attributes: if spec.bootable { 1 << 2 } else { 0 },
                    name: spec.name.clone().unwrap_or_default(),
                });
                report.partitions.push(PlacedPartition {
                    start_lba: start,
                    sectors,
                    mbr_type: None,
                    type_guid: Some(type_guid),
                    unique_guid: Some(unique_guid),
                });
            }
            let (primary, backup) = Gpt {
                disk_guid,
                partitions: parts,
            }
            .to_bytes(total_sectors)?;
            file.write_all_at(&primary, 0)
                .map_err(|e| Error::io(output, e))?;
            let at = (total_sectors - gpt::BACKUP_SECTORS) * SECTOR;
            file.write_all_at(&backup, at)
                .map_err(|e| Error::io(output, e))?;
            report.disk_guid = Some(disk_guid);
        }
    }
    Ok(report)
}

/// MBR type byte from the layout, or from the content (simplediskimage's
/// FAT16 rule: 0x04 below 32 MiB, 0x06 up to 8 GiB, 0x0E above).
fn mbr_type(spec: &PartitionSpec, content: &Prepared, bytes: u64) -> Result<u8> {
    let fat16 = || match bytes {
        b if b < 32 << 20 => 0x04,
        b if b <= 8 << 30 => 0x06,
        _ => 0x0E,
    };
    let name = match &spec.partition_type {
        Some(t) => t.to_ascii_lowercase(),
        None => match content {
            Prepared::Fat(..) => match spec.fat_type {
                Some(12) => "fat12".into(),
                Some(32) => "fat32".into(),
                Some(_) => "fat16".into(),
                None if bytes >= 512 << 20 => "fat32".into(),
                None => "fat16".into(),
            },
            _ => "linux".into(),
        },
    };
    Ok(match name.as_str() {
        "fat12" => 0x01,
        "fat16" => fat16(),
        "fat32" => 0x0C,
        "linux" | "ext4" => 0x83,
        "swap" => 0x82,
        "efi" | "esp" => 0xEF,
        other => {
            let hex = other.strip_prefix("0x").unwrap_or(other);
            u8::from_str_radix(hex, 16).map_err(|_| {
                Error::invalid_argument(
                    "type",
                    format!("{other:?} is not an MBR type byte or name"),
                )
            })?
        }
    })
}

fn write_content(
    index: usize,
    content: Prepared,
    mut window: Window<'_>,
    start_lba: u64,
) -> Result<()> {
    let name = format!("partition {}", index + 1);
    match content {
        Prepared::Empty => Ok(()),
        Prepared::Raw(path) => {
            let mut src = File::open(&path).map_err(|e| Error::io(&path, e))?;
            io::copy(&mut src, &mut window).map_err(|e| Error::io(&path, e))?;
            Ok(())
        }
        Prepared::Bytes(bytes) => window.write_all(&bytes).map_err(|e| Error::io(&name, e)),
        Prepared::Fat(mut options, sources) => {
            options.hidden_sectors = u32::try_from(start_lba).unwrap_or(u32::MAX);
            let len = window.len;
            build_fat(window, len, &options, &sources)
        }
        Prepared::Ext4(tree, options) => {
            ext4::write_image(&tree, &options, &mut window)?;
            Ok(())
        }
    }
}

/// Total bytes of regular files under `dir`.
fn tree_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let meta = fs::metadata(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
        total += if meta.is_dir() {
            tree_bytes(&entry.path())? + 4096
        } else {
            meta.len()
        };
    }
    Ok(total)
}

/// An ext4 tree from a host directory: files, directories and symlinks with
/// their permission bits, owned by root, all stamped `time`.
fn tree_from_dir(dir: &Path, time: i64) -> Result<ext4::Tree> {
    let stamp = ext4::Timestamp::from_secs(time);
    let dir_meta = ext4::Metadata::new(0o755, 0, 0, stamp);
    let mut tree = ext4::Tree::new(dir_meta.clone());
    add_dir(&mut tree, dir, b"", stamp, &dir_meta)?;
    Ok(tree)
}

fn add_dir(
    tree: &mut ext4::Tree,
    host: &Path,
    prefix: &[u8],
    stamp: ext4::Timestamp,
    dir_meta: &ext4::Metadata,
) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let mut entries: Vec<_> = fs::read_dir(host)
        .map_err(|e| Error::io(host, e))?
        .collect::<io::Result<_>>()
        .map_err(|e| Error::io(host, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let meta = fs::symlink_metadata(&path).map_err(|e| Error::io(&path, e))?;
        let mut inner = prefix.to_vec();
        inner.push(b'/');
        inner.extend(entry.file_name().as_bytes());
        let m = ext4::Metadata::new((meta.mode() & 0o7777) as u16, 0, 0, stamp);
        let kind = if meta.is_dir() {
            ext4::NodeKind::empty_dir()
        } else if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).map_err(|e| Error::io(&path, e))?;
            ext4::NodeKind::Symlink(target.as_os_str().as_bytes().to_vec())
        } else if meta.is_file() {
            let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
            ext4::NodeKind::File(ext4::FileData::from_bytes(bytes))
        } else {
            return Err(Error::Unsupported {
                format: "disk image",
                reason: format!(
                    "{}: device nodes, fifos and sockets are not copied",
                    path.display()
                ),
            });
        };
        tree.insert(&inner, ext4::Node::new(kind, m), dir_meta)?;
        if meta.is_dir() {
            add_dir(tree, &path, &inner, stamp, dir_meta)?;
        }
    }
    Ok(())
}

/// A partition-sized window of the image file, for writers that want
/// `Read + Write + Seek` (fatfs, the ext4 writer).
struct Window<'f> {
    file: &'f File,
    start: u64,
    len: u64,
    pos: u64,
}

impl Window<'_> {
    fn room(&self, want: usize) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        if left == 0 && want > 0 {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "partition is full",
            ));
        }
        Ok((want as u64).min(left) as usize)
    }
}

impl Read for Window<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.len.saturating_sub(self.pos)) as usize;
        let n = self.file.read_at(&mut buf[..n], self.start + self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Write for Window<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.room(buf.len())?;
        let n = self.file.write_at(&buf[..n], self.start + self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for Window<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match target {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the partition start",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_accept_binary_units_and_sectors() {
        assert_eq!(parse_size("48272KiB").unwrap(), 48272 * 1024);
        assert_eq!(parse_size("96545s").unwrap(), 96545 * 512);
        assert_eq!(parse_size("7").unwrap(), 7);
        assert!(parse_size("3 parsecs").is_err());
    }

    #[test]
    fn layout_toml_rejects_unknown_keys() {
        let e = Layout::from_toml("table = \"gpt\"\nbogus = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("bogus"), "{e}");
        let l = Layout::from_toml("[[partition]]\ncontent = \"empty\"\nsize = \"1MiB\"\n").unwrap();
        assert_eq!(l.partitions[0].size, Some(ByteSize(1 << 20)));
    }

    #[test]
    fn starts_and_sizes_past_the_largest_file_are_refused_not_wrapped() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("disk.img");
        for (table, partition) in [
            ("gpt", "start = 2048\nsize = \"18446744073709551615\""),
            ("none", "start = 18446744073709551615\nsize = \"1MiB\""),
            ("gpt", "start = 18446744073709551615\nsize = \"1MiB\""),
            ("mbr", "start = 18014398509481983\nsize = \"1MiB\""),
        ] {
            let text =
                format!("table = \"{table}\"\n[[partition]]\ncontent = \"empty\"\n{partition}\n");
            let layout = Layout::from_toml(&text).unwrap();
            let err = build_disk_image(&layout, dir.path(), &out).unwrap_err();
            assert!(
                err.to_string().contains("2^63 bytes"),
                "{table} {partition}: {err}"
            );
            assert!(!out.exists() || std::fs::metadata(&out).unwrap().len() == 0);
        }
    }
}
