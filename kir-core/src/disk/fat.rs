//! FAT12/16/32 file systems filled from host files (through the `fatfs` crate).

use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use fatfs::{FatType, FileSystem, FormatVolumeOptions, FsOptions};

use crate::{Error, Result};

const FORMAT: &str = "FAT";

/// Where the timestamps of written entries come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FatTimestamps {
    /// 1980-01-01 00:00, the earliest FAT date: no host clock involved.
    #[default]
    Epoch1980,
    /// Every file gets this time (seconds since 1970, UTC), e.g. SOURCE_DATE_EPOCH.
    Fixed(i64),
    /// Each file gets its host modification time.
    Host,
}

/// How to format a FAT file system.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FatOptions {
    /// 12, 16 or 32; chosen from the size when absent.
    pub fat_bits: Option<u8>,
    /// Cluster size in bytes (power of two, 512..=65536); chosen when absent.
    pub cluster_size: Option<u32>,
    /// Root directory entries (FAT12/16).
    pub root_entries: Option<u16>,
    /// Volume label, at most 11 characters; `NO NAME` when absent.
    pub label: Option<String>,
    /// Volume serial number; derived from label and size when absent.
    pub volume_id: Option<u32>,
    /// BPB `hidden_sectors`: the partition's first LBA on its disk.
    pub hidden_sectors: u32,
    /// BPB geometry fields (sectors per track, heads).
    pub geometry: Option<(u16, u16)>,
    /// File timestamps.
    pub timestamps: FatTimestamps,
}

/// What goes into the root directory of a new FAT file system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FatSource {
    /// A host file copied into the root under its own name.
    File(PathBuf),
    /// The contents of a host directory, copied recursively (sorted by name).
    DirContents(PathBuf),
}

/// Formats `disk` (exactly `size` bytes from its current start) and copies `sources` in.
pub fn build_fat<D: Read + Write + Seek>(
    mut disk: D,
    size: u64,
    options: &FatOptions,
    sources: &[FatSource],
) -> Result<()> {
    let fmt = format_options(size, options)?;
    let fail = |what: &str, e: io::Error| Error::Check {
        input: "FAT file system".into(),
        reason: format!("{what}: {e}"),
    };
    fatfs::format_volume(&mut disk, fmt).map_err(|e| fail("format", e))?;
    patch_hidden_sectors(&mut disk, options.hidden_sectors).map_err(|e| fail("boot sector", e))?;
    disk.seek(SeekFrom::Start(0)).map_err(|e| fail("seek", e))?;

    let fs = FileSystem::new(&mut disk, FsOptions::new()).map_err(|e| fail("mount", e))?;
    {
        let root = fs.root_dir();
        for source in sources {
            match source {
                FatSource::File(path) => {
                    let name = file_name(path)?;
                    copy_file(&root, &name, path, options.timestamps)?;
                }
                FatSource::DirContents(dir) => copy_tree(&root, dir, options.timestamps)?,
            }
        }
    }
    fs.unmount().map_err(|e| fail("unmount", e))?;
    tidy_directories(&mut disk).map_err(|e| fail("directory fix-up", e))
}

/// Geometry of a formatted volume, from its boot sector.
struct Volume {
    cluster_bytes: u64,
    fat_offset: u64,
    root_offset: u64,
    root_entries: u64,
    data_offset: u64,
    fat_bits: u8,
    root_cluster: u32,
    clusters: u64,
    fs_info_sector: u64,
    bytes_per_sector: u64,
}

impl Volume {
    fn read<D: Read + Seek>(disk: &mut D) -> io::Result<Volume> {
        disk.seek(SeekFrom::Start(0))?;
        let mut b = [0u8; 512];
        disk.read_exact(&mut b)?;
        let u16_at = |o: usize| u64::from(u16::from_le_bytes([b[o], b[o + 1]]));
        let u32_at = |o: usize| u64::from(u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]));
        let bps = u16_at(11);
        let spc = u64::from(b[13]);
        let reserved = u16_at(14);
        let fats = u64::from(b[16]);
        let root_entries = u16_at(17);
        let fat_size = if u16_at(22) != 0 {
            u16_at(22)
        } else {
            u32_at(36)
        };
        let total = if u16_at(19) != 0 {
            u16_at(19)
        } else {
            u32_at(32)
        };
        let root_sectors = (root_entries * 32).div_ceil(bps.max(1));
        let data_sector = reserved + fats * fat_size + root_sectors;
        let clusters = total.saturating_sub(data_sector) / spc.max(1);
        let fat_bits = match clusters {
            c if c < 4085 => 12,
            c if c < 65525 => 16,
            _ => 32,
        };
        Ok(Volume {
            cluster_bytes: bps * spc,
            fat_offset: reserved * bps,
            root_offset: (reserved + fats * fat_size) * bps,
            root_entries,
            data_offset: data_sector * bps,
            fat_bits,
            root_cluster: if fat_bits == 32 { u32_at(44) as u32 } else { 0 },
            clusters,
            fs_info_sector: if fat_bits == 32 { u16_at(48) } else { 0 },
            bytes_per_sector: bps,
        })
    }

    fn next_cluster<D: Read + Seek>(&self, disk: &mut D, cluster: u32) -> io::Result<Option<u32>> {
        let c = u64::from(cluster);
        let (offset, len) = match self.fat_bits {
            12 => (c + c / 2, 2),
            16 => (c * 2, 2),
            _ => (c * 4, 4),
        };
        disk.seek(SeekFrom::Start(self.fat_offset + offset))?;
        let mut b = [0u8; 4];
        disk.read_exact(&mut b[..len])?;
        let raw = u32::from_le_bytes(b);
        let (next, end) = match self.fat_bits {
            12 => (
                if cluster % 2 == 1 {
                    raw >> 4
                } else {
                    raw & 0xFFF
                },
                0xFF8,
            ),
            16 => (raw & 0xFFFF, 0xFFF8),
            _ => (raw & 0x0FFF_FFFF, 0x0FFF_FFF8),
        };
        Ok((2..end).contains(&next).then_some(next))
    }

    /// Byte offsets of the 32-byte slots of a directory (cluster 0: the
    /// FAT12/16 root region).
    fn slots<D: Read + Seek>(&self, disk: &mut D, first: u32) -> io::Result<Vec<u64>> {
        if first == 0 {
            return Ok((0..self.root_entries)
                .map(|i| self.root_offset + 32 * i)
                .collect());
        }
        let mut slots = Vec::new();
        let mut cluster = Some(first);
        let mut hops = 0;
        while let Some(c) = cluster {
            let start = self.data_offset + u64::from(c - 2) * self.cluster_bytes;
            slots.extend((0..self.cluster_bytes / 32).map(|i| start + 32 * i));
            cluster = self.next_cluster(disk, c)?;
            hops += 1;
            if hops > 1 << 16 {
                return Err(io::Error::other("directory cluster chain does not end"));
            }
        }
        Ok(slots)
    }
}

/// Fixes to what fatfs 0.3 writes, so `fsck.fat` and mtools read the volume
/// cleanly: it puts long-name entries before `.` and `..` (fsck wants them in
/// slots 0 and 1); on FAT32 it points `..` of the root's subdirectories at
/// the root cluster (the rule is 0) and leaves the FSInfo free count unset;
/// without a clock it stores the date 0, not a valid day (1980-01-01 is
/// written instead).
fn tidy_directories<D: Read + Write + Seek>(disk: &mut D) -> io::Result<()> {
    let volume = Volume::read(disk)?;
    let root = if volume.fat_bits == 32 {
        volume.root_cluster
    } else {
        0
    };
    tidy_dir(disk, &volume, root, 0)?;
    if volume.fat_bits == 32 && volume.fs_info_sector != 0 {
        let mut fat = vec![0u8; ((volume.clusters + 2) * 4) as usize];
        disk.seek(SeekFrom::Start(volume.fat_offset))?;
        disk.read_exact(&mut fat)?;
        let entries = fat
            .chunks_exact(4)
            .skip(2)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        let mut free = 0u32;
        let mut next_free = None;
        for (i, e) in entries.enumerate() {
            if e & 0x0FFF_FFFF == 0 {
                free += 1;
                next_free.get_or_insert(i as u32 + 2);
            }
        }
        let at = volume.fs_info_sector * volume.bytes_per_sector + 488;
        disk.seek(SeekFrom::Start(at))?;
        disk.write_all(&free.to_le_bytes())?;
        disk.write_all(&next_free.unwrap_or(0xFFFF_FFFF).to_le_bytes())?;
    }
    Ok(())
}

fn tidy_dir<D: Read + Write + Seek>(
    disk: &mut D,
    v: &Volume,
    first: u32,
    depth: u32,
) -> io::Result<()> {
    if depth > 64 {
        return Err(io::Error::other("directories nested more than 64 levels"));
    }
    let slots = v.slots(disk, first)?;
    let mut entries = Vec::with_capacity(slots.len());
    for &at in &slots {
        let mut e = [0u8; 32];
        disk.seek(SeekFrom::Start(at))?;
        disk.read_exact(&mut e)?;
        if e[0] == 0 {
            break;
        }
        entries.push((at, e));
    }

    // fatfs: [LFN ".", ".", LFN "..", "..", ...] -> [".", "..", deleted, deleted, ...]
    if first != 0 && entries.len() >= 4 {
        let is_lfn = |e: &[u8; 32]| e[11] == 0x0F;
        let (e0, e1, e2, e3) = (entries[0].1, entries[1].1, entries[2].1, entries[3].1);
        if is_lfn(&e0) && &e1[..11] == b".          " && is_lfn(&e2) && &e3[..11] == b"..         "
        {
            let mut deleted = [0u8; 32];
            deleted[0] = 0xE5;
            let mut dotdot = e3;
            if depth == 1 {
                // `..` of a directory in the root names cluster 0, FAT32 included.
                dotdot[20..22].fill(0);
                dotdot[26..28].fill(0);
            }
            for (slot, bytes) in [(0, e1), (1, dotdot), (2, deleted), (3, deleted)] {
                entries[slot].1 = bytes;
                disk.seek(SeekFrom::Start(entries[slot].0))?;
                disk.write_all(&bytes)?;
            }
        }
    }

    for (at, mut e) in entries {
        if e[0] == 0xE5 || e[11] == 0x0F || e[11] & 0x08 != 0 && e[11] & 0x10 == 0 {
            continue;
        }
        let mut changed = false;
        for date in [16usize, 18, 24] {
            if e[date] == 0 && e[date + 1] == 0 {
                e[date] = 0x21; // day 1, month 1, year 1980
                changed = true;
            }
        }
        if changed {
            disk.seek(SeekFrom::Start(at))?;
            disk.write_all(&e)?;
        }
        let cluster = u32::from(u16::from_le_bytes([e[26], e[27]]))
            | (u32::from(u16::from_le_bytes([e[20], e[21]])) << 16);
        if e[11] & 0x10 != 0 && e[0] != b'.' && cluster >= 2 {
            tidy_dir(disk, v, cluster, depth + 1)?;
        }
    }
    Ok(())
}

fn format_options(size: u64, options: &FatOptions) -> Result<FormatVolumeOptions> {
    let sectors = u32::try_from(size / 512).map_err(|_| {
        Error::invalid_argument("size", "a FAT volume holds at most 2^32-1 sectors")
    })?;
    let mut fmt = FormatVolumeOptions::new()
        .bytes_per_sector(512)
        .total_sectors(sectors);
    if let Some(bits) = options.fat_bits {
        fmt = fmt.fat_type(match bits {
            12 => FatType::Fat12,
            16 => FatType::Fat16,
            32 => FatType::Fat32,
            other => {
                return Err(Error::invalid_argument(
                    "fat_type",
                    format!("{other} is not 12, 16 or 32"),
                ));
            }
        });
    }
    if let Some(c) = options.cluster_size {
        if !c.is_power_of_two() || !(512..=65536).contains(&c) {
            return Err(Error::invalid_argument(
                "cluster_size",
                format!("{c} is not a power of two from 512 to 65536"),
            ));
        }
        fmt = fmt.bytes_per_cluster(c);
    }
    if let Some(n) = options.root_entries {
        fmt = fmt.max_root_dir_entries(n);
    }
    let label = options.label.as_deref().unwrap_or("NO NAME");
    if label.len() > 11 || !label.is_ascii() {
        return Err(Error::invalid_argument(
            "label",
            format!("{label:?} is not at most 11 ASCII characters"),
        ));
    }
    let mut label_bytes = [b' '; 11];
    label_bytes[..label.len()].copy_from_slice(label.to_ascii_uppercase().as_bytes());
    fmt = fmt.volume_label(label_bytes);
    let volume_id = options.volume_id.unwrap_or_else(|| {
        let mut h = crc32fast::Hasher::new();
        h.update(&label_bytes);
        h.update(&size.to_le_bytes());
        h.finalize()
    });
    fmt = fmt.volume_id(volume_id).media(0xF8).fats(2).drive_num(0x80);
    if let Some((spt, heads)) = options.geometry {
        fmt = fmt.sectors_per_track(spt).heads(heads);
    }
    Ok(fmt)
}

/// BPB `BPB_HiddSec` (offset 28) in the boot sector and, on FAT32, its backup.
fn patch_hidden_sectors<D: Write + Seek + Read>(disk: &mut D, hidden: u32) -> io::Result<()> {
    disk.seek(SeekFrom::Start(0))?;
    let mut boot = [0u8; 512];
    disk.read_exact(&mut boot)?;
    let mut sectors = vec![0u64];
    // FAT32 (no root entries, FAT16 size 0): BPB_BkBootSec at offset 50.
    if boot[17..19] == [0, 0] && boot[22..24] == [0, 0] {
        let backup = u16::from_le_bytes([boot[50], boot[51]]);
        if backup != 0 {
            sectors.push(u64::from(backup));
        }
    }
    for s in sectors {
        disk.seek(SeekFrom::Start(s * 512 + 28))?;
        disk.write_all(&hidden.to_le_bytes())?;
    }
    Ok(())
}

fn file_name(path: &Path) -> Result<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::invalid_argument(path.display().to_string(), "has no UTF-8 file name")
        })
}

fn copy_file<T: fatfs::ReadWriteSeek>(
    dir: &fatfs::Dir<'_, T>,
    name: &str,
    path: &Path,
    stamps: FatTimestamps,
) -> Result<()> {
    let mut src = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut file = dir.create_file(name).map_err(|e| fat_error(name, e))?;
    file.truncate().map_err(|e| fat_error(name, e))?;
    io::copy(&mut src, &mut file).map_err(|e| fat_error(name, e))?;
    let when = match stamps {
        FatTimestamps::Epoch1980 => None,
        FatTimestamps::Fixed(t) => Some(t),
        FatTimestamps::Host => {
            let meta = src.metadata().map_err(|e| Error::io(path, e))?;
            Some(std::os::unix::fs::MetadataExt::mtime(&meta))
        }
    };
    // fatfs' TimeProvider must be a &'static, so a time chosen at run time
    // is set on the entry after writing instead (the setters it deprecates).
    #[allow(deprecated)]
    if let Some(t) = when {
        let dt = dos_date_time(t);
        file.set_created(dt);
        file.set_modified(dt);
        file.set_accessed(dt.date);
    }
    file.flush().map_err(|e| fat_error(name, e))?;
    Ok(())
}

fn copy_tree<T: fatfs::ReadWriteSeek>(
    dir: &fatfs::Dir<'_, T>,
    host: &Path,
    stamps: FatTimestamps,
) -> Result<()> {
    let mut entries: Vec<_> = fs::read_dir(host)
        .map_err(|e| Error::io(host, e))?
        .collect::<io::Result<_>>()
        .map_err(|e| Error::io(host, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = file_name(&path)?;
        let kind = fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
        if kind.is_dir() {
            let sub = dir.create_dir(&name).map_err(|e| fat_error(&name, e))?;
            copy_tree(&sub, &path, stamps)?;
        } else if kind.is_file() {
            copy_file(dir, &name, &path, stamps)?;
        } else {
            return Err(Error::Unsupported {
                format: FORMAT,
                reason: format!("{}: only files and directories fit in FAT", path.display()),
            });
        }
    }
    Ok(())
}

fn fat_error(name: &str, e: io::Error) -> Error {
    // fatfs reports a full volume in the words of a full disk (an `Other`
    // error saying "No space left on device"), which reads as if the host's
    // disk were full.
    let full = e.kind() == io::ErrorKind::StorageFull
        || (e.kind() == io::ErrorKind::Other && e.to_string() == "No space left on device");
    let reason = if full {
        "does not fit: the FAT file system is full (give the partition a larger size)".into()
    } else {
        e.to_string()
    };
    Error::Check {
        input: format!("FAT entry {name:?}"),
        reason,
    }
}

/// Seconds since 1970 (UTC) to a FAT date and time, clamped to 1980..=2107.
fn dos_date_time(secs: i64) -> fatfs::DateTime {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u16;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u16;
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (year, month, day, rem) = match year {
        y if y < 1980 => (1980, 1, 1, 0),
        y if y > 2107 => (2107, 12, 31, 86_399),
        y => (y as u16, month, day, rem),
    };
    fatfs::DateTime {
        date: fatfs::Date { year, month, day },
        time: fatfs::Time {
            hour: (rem / 3600) as u16,
            min: (rem / 60 % 60) as u16,
            sec: (rem % 60) as u16,
            millis: 0,
        },
    }
}

/// One entry found by [`list_fat`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FatEntry {
    /// Path from the root, `/`-separated, long names where present.
    pub path: String,
    /// Whether it is a directory.
    pub is_dir: bool,
    /// File size in bytes (0 for directories).
    pub size: u64,
}

/// Lists every file and directory of a FAT image (the volume alone, no partition table).
///
/// The volume is read here, not through fatfs: every boot sector field,
/// cluster number and FAT chain is checked against the image before it is
/// followed, a cluster may belong to one directory only (which also ends
/// loops), and a bad value is an [`Error::Malformed`] naming the field and
/// its offset. Names are the long names where a valid one precedes the
/// entry, else the 8.3 names (with the NT lower-case flags applied, bytes
/// outside ASCII shown as U+FFFD), as fatfs and mtools show them.
pub fn list_fat(image: &[u8]) -> Result<Vec<FatEntry>> {
    let volume = FatImage::parse(image)?;
    let mut lister = FatLister {
        volume: &volume,
        owned: vec![false; volume.max_cluster as usize + 1],
        out: Vec::new(),
    };
    lister.list_dir(None, 44, "", 0)?;
    Ok(lister.out)
}

/// Where the root directory lives.
#[derive(Debug, Clone, Copy)]
enum RootDir {
    /// FAT12/16: a fixed region after the FATs (`root_entries` slots).
    Region { offset: u64, len: u64 },
    /// FAT32: a cluster chain starting at `root_cluster`.
    Cluster(u32),
}

/// A FAT volume in memory whose boot sector has been checked: every offset
/// derived from it lies inside the image.
struct FatImage<'a> {
    image: &'a [u8],
    bits: u8,
    /// First FAT (the others are copies).
    fat_offset: u64,
    data_offset: u64,
    cluster_bytes: u64,
    /// Highest valid cluster number (the data region holds `2..=max_cluster`).
    max_cluster: u32,
    root: RootDir,
}

impl<'a> FatImage<'a> {
    fn parse(image: &'a [u8]) -> Result<Self> {
        let b = image.get(..512).ok_or_else(|| {
            Error::malformed(FORMAT, 0, "boot sector", "image shorter than 512 bytes")
        })?;
        let u16_at = |o: usize| u64::from(u16::from_le_bytes([b[o], b[o + 1]]));
        let u32_at = |o: usize| u64::from(u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]));
        let bad = |offset: u64, field: &'static str, reason: String| {
            Error::malformed(FORMAT, offset, field, reason)
        };

        let bps = u16_at(11);
        if !bps.is_power_of_two() || !(512..=4096).contains(&bps) {
            return Err(bad(
                11,
                "bytes_per_sector",
                format!("{bps} is not 512..=4096"),
            ));
        }
        let spc = u64::from(b[13]);
        if !spc.is_power_of_two() {
            return Err(bad(
                13,
                "sectors_per_cluster",
                format!("{spc} is not a power of two"),
            ));
        }
        let reserved = u16_at(14);
        if reserved == 0 {
            return Err(bad(14, "reserved_sectors", "0".into()));
        }
        let fats = u64::from(b[16]);
        if fats == 0 {
            return Err(bad(16, "fats", "0 FATs".into()));
        }
        let root_entries = u16_at(17);
        let (fat_size, fat_size_at) = match u16_at(22) {
            0 => (u32_at(36), 36),
            n => (n, 22),
        };
        if fat_size == 0 {
            return Err(bad(36, "fat_size", "0 sectors per FAT".into()));
        }
        let (total, total_at) = match u16_at(19) {
            0 => (u32_at(32), 32),
            n => (n, 19),
        };
        if total * bps > image.len() as u64 {
            return Err(bad(
                total_at,
                "total_sectors",
                format!(
                    "{total} sectors of {bps} bytes run past the {}-byte image",
                    image.len()
                ),
            ));
        }
        let root_sectors = (root_entries * 32).div_ceil(bps);
        let data_sector = reserved + fats * fat_size + root_sectors;
        if data_sector >= total {
            return Err(bad(
                total_at,
                "total_sectors",
                format!(
                    "{total} sectors leave no data region after {data_sector} sectors of \
                     reserved area, FATs and root directory"
                ),
            ));
        }
        let clusters = (total - data_sector) / spc;
        // Cluster numbers 0x0FFFFFF7 and up are markers, even on FAT32.
        if clusters == 0 || clusters > 0x0FFF_FFF4 {
            return Err(bad(
                total_at,
                "total_sectors",
                format!("{clusters} data clusters is outside 1..=268435444"),
            ));
        }
        // The FAT type follows from the cluster count alone (Microsoft's rule).
        let bits: u8 = match clusters {
            c if c < 4085 => 12,
            c if c < 65525 => 16,
            _ => 32,
        };
        let max_cluster = clusters + 1;
        let fat_needed = ((max_cluster + 1) * u64::from(bits)).div_ceil(8);
        if fat_size * bps < fat_needed {
            return Err(bad(
                fat_size_at,
                "fat_size",
                format!(
                    "{fat_size} sectors cannot hold the FAT{bits} entries of {clusters} clusters"
                ),
            ));
        }
        let root = if bits == 32 {
            let c = u32_at(44);
            if !(2..=max_cluster).contains(&c) {
                return Err(bad(
                    44,
                    "root_cluster",
                    format!("{c} is outside the volume's clusters 2..={max_cluster}"),
                ));
            }
            RootDir::Cluster(c as u32)
        } else {
            RootDir::Region {
                offset: (reserved + fats * fat_size) * bps,
                len: root_entries * 32,
            }
        };
        Ok(FatImage {
            image,
            bits,
            fat_offset: reserved * bps,
            data_offset: data_sector * bps,
            cluster_bytes: spc * bps,
            max_cluster: max_cluster as u32,
            root,
        })
    }

    fn bytes(&self, offset: u64, len: u64, field: &'static str) -> Result<&'a [u8]> {
        usize::try_from(offset)
            .ok()
            .zip(usize::try_from(offset + len).ok())
            .and_then(|(start, end)| self.image.get(start..end))
            .ok_or_else(|| Error::malformed(FORMAT, offset, field, "runs past the image"))
    }

    /// The FAT entry of `cluster`: `Ok(None)` at the end of the chain.
    fn next_cluster(&self, cluster: u32) -> Result<Option<u32>> {
        let c = u64::from(cluster);
        let (at, len) = match self.bits {
            12 => (self.fat_offset + c + c / 2, 2),
            16 => (self.fat_offset + c * 2, 2),
            _ => (self.fat_offset + c * 4, 4),
        };
        let b = self.bytes(at, len, "FAT entry")?;
        let (next, end) = match self.bits {
            12 => {
                let pair = u32::from(u16::from_le_bytes([b[0], b[1]]));
                let next = if cluster % 2 == 1 {
                    pair >> 4
                } else {
                    pair & 0xFFF
                };
                (next, 0xFF8)
            }
            16 => (u32::from(u16::from_le_bytes([b[0], b[1]])), 0xFFF8),
            _ => (
                u32::from_le_bytes([b[0], b[1], b[2], b[3]]) & 0x0FFF_FFFF,
                0x0FFF_FFF8,
            ),
        };
        if next >= end {
            return Ok(None);
        }
        if !(2..=self.max_cluster).contains(&next) {
            return Err(Error::malformed(
                FORMAT,
                at,
                "FAT entry",
                format!(
                    "cluster {cluster} is followed by {next:#x}, not an end mark nor a cluster \
                     of 2..={}",
                    self.max_cluster
                ),
            ));
        }
        Ok(Some(next))
    }

    fn cluster_offset(&self, cluster: u32) -> u64 {
        self.data_offset + u64::from(cluster - 2) * self.cluster_bytes
    }
}

struct FatLister<'v, 'a> {
    volume: &'v FatImage<'a>,
    /// Clusters already read as part of a directory.
    owned: Vec<bool>,
    out: Vec<FatEntry>,
}

impl FatLister<'_, '_> {
    /// Claims the chain of a directory starting at `first` (named by the
    /// field at `named_at`) and returns the byte ranges of its clusters.
    fn directory_extents(&mut self, first: u32, named_at: u64) -> Result<Vec<(u64, u64)>> {
        let v = self.volume;
        if !(2..=v.max_cluster).contains(&first) {
            return Err(Error::malformed(
                FORMAT,
                named_at,
                "first_cluster",
                format!(
                    "directory starts at cluster {first}, outside 2..={}",
                    v.max_cluster
                ),
            ));
        }
        let mut extents = Vec::new();
        let mut cluster = Some(first);
        while let Some(c) = cluster {
            let owned = self.owned.get_mut(c as usize).ok_or_else(|| {
                Error::malformed(FORMAT, named_at, "first_cluster", "cluster out of range")
            })?;
            if *owned {
                return Err(Error::malformed(
                    FORMAT,
                    named_at,
                    "first_cluster",
                    format!(
                        "the directory's chain reaches cluster {c}, which already belongs to a \
                         directory (a loop or cross-linked chains)"
                    ),
                ));
            }
            *owned = true;
            extents.push((v.cluster_offset(c), v.cluster_bytes));
            cluster = v.next_cluster(c)?;
        }
        Ok(extents)
    }

    /// Lists the directory at `first` (`None`: the FAT12/16 root region).
    fn list_dir(
        &mut self,
        first: Option<u32>,
        named_at: u64,
        prefix: &str,
        depth: u32,
    ) -> Result<()> {
        if depth > 64 {
            return Err(Error::malformed(
                FORMAT,
                named_at,
                "directory",
                "nested more than 64 levels",
            ));
        }
        let extents = match (first, self.volume.root) {
            (Some(c), _) => self.directory_extents(c, named_at)?,
            (None, RootDir::Region { offset, len }) => vec![(offset, len)],
            (None, RootDir::Cluster(c)) => self.directory_extents(c, 44)?,
        };
        let mut long = LongName::default();
        for (start, len) in extents {
            let slots = self.volume.bytes(start, len, "directory")?;
            for (i, e) in slots.chunks_exact(32).enumerate() {
                let at = start + 32 * i as u64;
                if e[0] == 0 {
                    return Ok(());
                }
                if e[0] == 0xE5 {
                    long = LongName::default();
                    continue;
                }
                if e[11] & 0x3F == 0x0F {
                    long.add(e);
                    continue;
                }
                let name_bytes: [u8; 11] = e[..11].try_into().unwrap_or([b' '; 11]);
                let long_name = std::mem::take(&mut long).finish(&name_bytes);
                if e[11] & 0x08 != 0
                    || &name_bytes == b".          "
                    || &name_bytes == b"..         "
                {
                    continue; // volume label, or a link to this or the parent directory
                }
                let name = long_name.unwrap_or_else(|| short_name(&name_bytes, e[12]));
                if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
                    return Err(Error::malformed(
                        FORMAT,
                        at,
                        "name",
                        format!("{name:?} is not a usable file name"),
                    ));
                }
                self.entry(e, at, format!("{prefix}/{name}"), depth)?;
            }
        }
        Ok(())
    }

    /// One file or directory entry (32 bytes at `at`).
    fn entry(&mut self, e: &[u8], at: u64, path: String, depth: u32) -> Result<()> {
        let v = self.volume;
        let low = u32::from(u16::from_le_bytes([e[26], e[27]]));
        let high = u32::from(u16::from_le_bytes([e[20], e[21]]));
        let cluster = if v.bits == 32 { high << 16 | low } else { low };
        if e[11] & 0x10 != 0 {
            self.out.push(FatEntry {
                path: path.clone(),
                is_dir: true,
                size: 0,
            });
            return self.list_dir(Some(cluster), at + 26, &path, depth + 1);
        }
        let size = u64::from(u32::from_le_bytes([e[28], e[29], e[30], e[31]]));
        let capacity = u64::from(v.max_cluster - 1) * v.cluster_bytes;
        if cluster == 1 || cluster > v.max_cluster || (cluster == 0 && size != 0) {
            return Err(Error::malformed(
                FORMAT,
                at + 26,
                "first_cluster",
                format!(
                    "{path}: {size} bytes starting at cluster {cluster}, outside 2..={}",
                    v.max_cluster
                ),
            ));
        }
        if size > capacity {
            return Err(Error::malformed(
                FORMAT,
                at + 28,
                "file_size",
                format!("{path}: {size} bytes do not fit the volume's {capacity}-byte data region"),
            ));
        }
        self.out.push(FatEntry {
            path,
            is_dir: false,
            size,
        });
        Ok(())
    }
}

/// A long name being collected from the entries before a short entry: they
/// come last part first, numbered down to 1, each with the checksum of the
/// short name they belong to.
#[derive(Default)]
struct LongName {
    units: Vec<u16>,
    /// Sequence number the next part must have (0: complete).
    next: u8,
    checksum: u8,
    /// Whether a sequence has started and is still consistent.
    valid: bool,
}

impl LongName {
    fn add(&mut self, e: &[u8]) {
        let seq = e[0] & 0x1F;
        let first = e[0] & 0x40 != 0;
        // 20 parts of 13 units hold the longest name (255).
        if seq == 0 || seq > 20 {
            *self = LongName::default();
            return;
        }
        if first {
            *self = LongName {
                units: vec![0xFFFF; 13 * usize::from(seq)],
                next: seq,
                checksum: e[13],
                valid: true,
            };
        } else if !self.valid || seq != self.next || e[13] != self.checksum {
            *self = LongName::default();
            return;
        }
        let at = 13 * usize::from(seq - 1);
        let unit = |o: usize| u16::from_le_bytes([e[o], e[o + 1]]);
        let parts = (1..11)
            .step_by(2)
            .chain((14..26).step_by(2))
            .chain((28..32).step_by(2));
        for (slot, o) in self.units.iter_mut().skip(at).zip(parts) {
            *slot = unit(o);
        }
        self.next = seq - 1;
    }

    /// The name, when a complete sequence belongs to the short name `short`.
    fn finish(self, short: &[u8; 11]) -> Option<String> {
        if !self.valid || self.next != 0 {
            return None;
        }
        let sum = short
            .iter()
            .fold(0u8, |sum, &b| sum.rotate_right(1).wrapping_add(b));
        if sum != self.checksum {
            return None;
        }
        let end = self
            .units
            .iter()
            .position(|&u| u == 0)
            .unwrap_or(self.units.len());
        let name = &self.units[..end];
        let trimmed = name
            .iter()
            .rposition(|&u| u != 0xFFFF)
            .map_or(&name[..0], |last| &name[..=last]);
        let name = String::from_utf16_lossy(trimmed);
        (!name.is_empty()).then_some(name)
    }
}

/// An 8.3 name as shown: `BASE.EXT` without padding; NT flags (byte 12)
/// 0x08 and 0x10 lower-case the base and the extension.
fn short_name(raw: &[u8; 11], flags: u8) -> String {
    let mut raw = *raw;
    if raw[0] == 0x05 {
        raw[0] = 0xE5; // a real leading 0xE5, escaped so it does not mean "deleted"
    }
    let part = |bytes: &[u8], lower: bool| -> String {
        let len = bytes.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
        bytes[..len]
            .iter()
            .map(|&b| match b {
                b if b.is_ascii() && lower => char::from(b.to_ascii_lowercase()),
                b if b.is_ascii() => char::from(b),
                _ => char::REPLACEMENT_CHARACTER,
            })
            .collect()
    };
    let base = part(&raw[..8], flags & 0x08 != 0);
    let ext = part(&raw[8..], flags & 0x10 != 0);
    if ext.is_empty() {
        base
    } else {
        format!("{base}.{ext}")
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    #[test]
    fn dos_dates_follow_the_calendar_and_clamp() {
        let d = dos_date_time(1_700_000_000); // 2023-11-14 22:13:20 UTC
        assert_eq!((d.date.year, d.date.month, d.date.day), (2023, 11, 14));
        assert_eq!((d.time.hour, d.time.min, d.time.sec), (22, 13, 20));
        assert_eq!(dos_date_time(0).date.year, 1980);
    }

    #[test]
    fn built_volume_lists_long_names_and_sizes() {
        let dir = std::env::temp_dir().join(format!("kir-fat-{}", std::process::id()));
        fs::create_dir_all(dir.join("overlays")).unwrap();
        fs::write(dir.join("u-boot.img"), vec![1u8; 5000]).unwrap();
        fs::write(dir.join("overlays/a-very-long-file-name.dtbo"), b"x").unwrap();
        let mut disk = Cursor::new(vec![0u8; 8 << 20]);
        build_fat(
            &mut disk,
            8 << 20,
            &FatOptions::default(),
            &[FatSource::DirContents(dir.clone())],
        )
        .unwrap();
        fs::remove_dir_all(&dir).unwrap();
        let listed = list_fat(disk.get_ref()).unwrap();
        assert!(listed.contains(&FatEntry {
            path: "/u-boot.img".into(),
            is_dir: false,
            size: 5000
        }));
        assert!(
            listed
                .iter()
                .any(|e| e.path == "/overlays/a-very-long-file-name.dtbo")
        );
    }

    /// The fatfs-based walk `list_fat` used before it read volumes itself.
    fn list_with_fatfs(image: &[u8]) -> Vec<FatEntry> {
        fn walk<T: fatfs::ReadWriteSeek>(dir: &fatfs::Dir<'_, T>, prefix: &str) -> Vec<FatEntry> {
            let mut out = Vec::new();
            for entry in dir.iter().map(Result::unwrap) {
                let name = entry.file_name();
                if name == "." || name == ".." {
                    continue;
                }
                let path = format!("{prefix}/{name}");
                out.push(FatEntry {
                    path: path.clone(),
                    is_dir: entry.is_dir(),
                    size: if entry.is_dir() { 0 } else { entry.len() },
                });
                if entry.is_dir() {
                    out.extend(walk(&entry.to_dir(), &path));
                }
            }
            out
        }
        let fs = FileSystem::new(Cursor::new(image.to_vec()), FsOptions::new()).unwrap();
        walk(&fs.root_dir(), "")
    }

    /// A volume of `size` bytes holding a small tree with long, short and
    /// lower-case names.
    fn sample_volume(size: usize, fat_bits: u8) -> Vec<u8> {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        fs::create_dir_all(dir.join("sub/deeper")).unwrap();
        fs::write(dir.join("README"), b"r").unwrap();
        fs::write(dir.join("lower.txt"), vec![2u8; 700]).unwrap();
        fs::write(dir.join("Image.gz"), vec![3u8; 9000]).unwrap();
        fs::write(dir.join("sub/a name with spaces.dtb"), b"").unwrap();
        fs::write(
            dir.join("sub/deeper/a-file-name-longer-than-twenty-six-characters.dtbo"),
            b"x",
        )
        .unwrap();
        let mut disk = Cursor::new(vec![0u8; size]);
        let options = FatOptions {
            fat_bits: Some(fat_bits),
            ..Default::default()
        };
        let sources = [FatSource::DirContents(dir.clone())];
        build_fat(&mut disk, size as u64, &options, &sources).unwrap();
        disk.into_inner()
    }

    /// Offset of the root directory entry whose 8.3 name is `name`.
    fn root_entry(image: &[u8], name: &[u8; 11]) -> usize {
        let v = FatImage::parse(image).unwrap();
        let (start, len) = match v.root {
            RootDir::Region { offset, len } => (offset, len),
            RootDir::Cluster(c) => (v.cluster_offset(c), v.cluster_bytes),
        };
        (start as usize..(start + len) as usize)
            .step_by(32)
            .find(|&at| &image[at..at + 11] == name)
            .unwrap()
    }

    fn malformed_field(result: Result<Vec<FatEntry>>) -> (&'static str, u64) {
        match result {
            Err(Error::Malformed { field, offset, .. }) => (field, offset),
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn listing_agrees_with_fatfs_on_fat12_16_and_32_volumes() {
        for (size, bits) in [(2 << 20, 12), (16 << 20, 16), (40 << 20, 32)] {
            let image = sample_volume(size, bits);
            let ours = list_fat(&image).unwrap();
            assert_eq!(ours, list_with_fatfs(&image), "FAT{bits}");
            assert_eq!(ours.len(), 7, "FAT{bits}: {ours:?}");
            assert!(ours.iter().any(|e| e.path == "/lower.txt" && e.size == 700));
        }
    }

    #[test]
    fn directory_entry_naming_cluster_1_is_malformed_not_a_panic() {
        // fatfs 0.3.6 overflows a subtraction following such an entry.
        let mut image = sample_volume(2 << 20, 12);
        let at = root_entry(&image, b"SUB        ");
        image[at + 26..at + 28].copy_from_slice(&1u16.to_le_bytes());
        assert_eq!(
            malformed_field(list_fat(&image)),
            ("first_cluster", at as u64 + 26)
        );
    }

    #[test]
    fn directory_entry_naming_the_root_cluster_0_is_malformed() {
        let mut image = sample_volume(2 << 20, 12);
        let at = root_entry(&image, b"SUB        ");
        image[at + 26..at + 28].fill(0);
        assert_eq!(
            malformed_field(list_fat(&image)),
            ("first_cluster", at as u64 + 26)
        );
    }

    #[test]
    fn directory_chain_looping_back_is_malformed() {
        let mut image = sample_volume(40 << 20, 32);
        let v = FatImage::parse(&image).unwrap();
        let RootDir::Cluster(root) = v.root else {
            panic!("FAT32 expected")
        };
        let at = root_entry(&image, b"SUB        ");
        let sub = u32::from(u16::from_le_bytes([image[at + 26], image[at + 27]]))
            | u32::from(u16::from_le_bytes([image[at + 20], image[at + 21]])) << 16;
        // The subdirectory's one cluster now continues into the root's.
        let fat_entry = v.fat_offset as usize + 4 * sub as usize;
        image[fat_entry..fat_entry + 4].copy_from_slice(&root.to_le_bytes());
        assert_eq!(
            malformed_field(list_fat(&image)),
            ("first_cluster", at as u64 + 26)
        );
    }

    #[test]
    fn fat_entry_pointing_past_the_volume_is_malformed_at_its_offset() {
        let mut image = sample_volume(2 << 20, 12);
        let v = FatImage::parse(&image).unwrap();
        let at = root_entry(&image, b"SUB        ");
        let sub = u64::from(u16::from_le_bytes([image[at + 26], image[at + 27]]));
        let fat_entry = (v.fat_offset + sub + sub / 2) as usize;
        let mut pair = u16::from_le_bytes([image[fat_entry], image[fat_entry + 1]]);
        pair = if sub % 2 == 1 {
            pair & 0x000F | 0xFF0 << 4
        } else {
            pair & 0xF000 | 0xFF0
        };
        image[fat_entry..fat_entry + 2].copy_from_slice(&pair.to_le_bytes());
        assert_eq!(
            malformed_field(list_fat(&image)),
            ("FAT entry", fat_entry as u64)
        );
    }

    #[test]
    fn fat_smaller_than_its_clusters_need_is_malformed() {
        let mut image = sample_volume(2 << 20, 12);
        image[22..24].copy_from_slice(&1u16.to_le_bytes());
        assert_eq!(malformed_field(list_fat(&image)), ("fat_size", 22));
    }

    #[test]
    fn file_larger_than_the_volume_is_malformed() {
        let mut image = sample_volume(2 << 20, 12);
        let at = root_entry(&image, b"README     ");
        image[at + 28..at + 32].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            malformed_field(list_fat(&image)),
            ("file_size", at as u64 + 28)
        );
    }

    #[test]
    fn short_names_honour_lower_case_flags_and_the_0x05_escape() {
        assert_eq!(short_name(b"LOWER   TXT", 0x18), "lower.txt");
        assert_eq!(short_name(b"LOWER   TXT", 0x08), "lower.TXT");
        assert_eq!(short_name(b"README     ", 0), "README");
        assert_eq!(short_name(b"\x05BC        ", 0), "\u{FFFD}BC");
    }

    #[test]
    fn mkfs_fat_and_mtools_volume_lists_as_mdir_shows_it() {
        // The fuzz seed; `mdir -/ -b` prints `::/a long file name.txt`,
        // `::/dir/`, `::/dir/x` (mtools stores `dir` and `x` as upper-case
        // 8.3 names with the lower-case flags).
        let seed = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/seeds/fat_read/mkfs-fat12-lfn-and-dir.img");
        let paths: Vec<_> = list_fat(&fs::read(seed).unwrap())
            .unwrap()
            .into_iter()
            .map(|e| (e.path, e.is_dir, e.size))
            .collect();
        assert_eq!(
            paths,
            [
                ("/a long file name.txt".to_string(), false, 6),
                ("/dir".to_string(), true, 0),
                ("/dir/x".to_string(), false, 6),
            ]
        );
    }

    #[test]
    fn a_file_larger_than_the_volume_says_the_fat_is_full() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::write(&big, vec![7u8; 3 << 20]).unwrap();
        let mut disk = Cursor::new(vec![0u8; 2 << 20]);
        let e = build_fat(
            &mut disk,
            2 << 20,
            &FatOptions::default(),
            &[FatSource::File(big)],
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("\"big\"") && e.contains("FAT file system is full"),
            "{e}"
        );
    }

    #[test]
    fn truncated_image_is_refused_naming_total_sectors() {
        let mut disk = Cursor::new(vec![0u8; 4 << 20]);
        build_fat(&mut disk, 4 << 20, &FatOptions::default(), &[]).unwrap();
        let e = list_fat(&disk.get_ref()[..1 << 20])
            .unwrap_err()
            .to_string();
        assert!(e.contains("total_sectors"), "{e}");
    }
}
