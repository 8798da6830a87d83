//! Finding the holes of a sparse file (SEEK_HOLE / SEEK_DATA), so their
//! zeros need not be read.

use std::fs::File;
use std::io;
use std::ops::Range;

use rustix::fs::{SeekFrom, seek};
use rustix::io::Errno;

/// Byte ranges of `file` (of length `len`) that are holes. A file system
/// without hole reporting yields no holes (its data then reads as zeros).
pub(crate) fn hole_ranges(file: &File, len: u64) -> io::Result<Vec<Range<u64>>> {
    let mut holes = Vec::new();
    let mut pos = 0u64;
    while pos < len {
        let hole = match seek(file, SeekFrom::Hole(pos)) {
            Ok(at) => at.min(len),
            Err(Errno::INVAL | Errno::NOTSUP) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        if hole >= len {
            break;
        }
        let data = match seek(file, SeekFrom::Data(hole)) {
            Ok(at) => at.min(len),
            // No data after `hole`: the file ends in a hole.
            Err(Errno::NXIO) => len,
            Err(e) => return Err(e.into()),
        };
        if data > hole {
            holes.push(hole..data);
        }
        pos = data;
    }
    Ok(holes)
}

#[cfg(test)]
mod tests {
    use std::io::{Seek, Write};

    use super::*;

    #[test]
    fn a_file_extended_past_its_data_reports_the_tail_as_a_hole() {
        let path = std::env::temp_dir().join(format!("kir-holes-{}", std::process::id()));
        let mut f = File::create(&path).unwrap();
        f.write_all(&[1u8; 4096]).unwrap();
        f.set_len(64 << 20).unwrap();
        f.seek(io::SeekFrom::Start(0)).unwrap();
        let f = File::open(&path).unwrap();
        let holes = hole_ranges(&f, 64 << 20).unwrap();
        std::fs::remove_file(&path).unwrap();
        // tmpfs and ext4 report holes; a file system that does not yields none.
        if let Some(last) = holes.last() {
            assert_eq!(last.end, 64 << 20);
            assert!(last.start >= 4096);
        }
    }
}
