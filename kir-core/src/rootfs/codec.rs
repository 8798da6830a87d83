//! Streaming compression around rootfs images and tarballs: picked by magic
//! when reading and by file-name suffix when writing.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use crate::compress::{self, Compression};
use crate::{Error, Result};

/// A compression kir reads and writes for root file systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// Uncompressed.
    None,
    /// gzip (written without name and with mtime 0).
    Gzip,
    /// xz (CRC64, preset 6 unless told otherwise).
    Xz,
    /// Zstandard (one frame).
    Zstd,
}

impl Codec {
    /// The codec a file name asks for: `.gz`/`.tgz`, `.xz`/`.txz`, `.zst`, else none.
    pub fn from_name(path: &Path) -> Codec {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if name.ends_with(".gz") || name.ends_with(".tgz") {
            Codec::Gzip
        } else if name.ends_with(".xz") || name.ends_with(".txz") {
            Codec::Xz
        } else if name.ends_with(".zst") || name.ends_with(".zstd") {
            Codec::Zstd
        } else {
            Codec::None
        }
    }

    /// The codec an output named `path` is written with: [`Codec::from_name`],
    /// refusing a suffix of a compression kir does not write (`.bz2`, `.lz4`,
    /// ...) rather than writing raw bytes under that name.
    pub fn for_output(path: &Path) -> Result<Codec> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        const UNSUPPORTED: &[&str] = &[
            ".bz2", ".tbz", ".tbz2", ".lz4", ".lzma", ".lz", ".lzo", ".z", ".zip", ".7z",
        ];
        if let Some(suffix) = UNSUPPORTED.iter().find(|s| name.ends_with(*s)) {
            return Err(Error::invalid_argument(
                path.display().to_string(),
                format!("kir writes no {suffix} compression (use .gz, .xz, .zst or no suffix)"),
            ));
        }
        Ok(Codec::from_name(path))
    }

    /// The codec whose magic starts `head`; other compressions are refused.
    pub fn sniff(head: &[u8], input: &str) -> Result<Codec> {
        match compress::sniff(head) {
            Compression::None => Ok(Codec::None),
            Compression::Gzip => Ok(Codec::Gzip),
            Compression::Xz => Ok(Codec::Xz),
            Compression::Zstd => Ok(Codec::Zstd),
            other => Err(Error::Unsupported {
                format: "rootfs",
                reason: format!(
                    "{input}: {} compression is not supported for root file systems",
                    other.name()
                ),
            }),
        }
    }
}

/// Opens a file and returns a reader of its decompressed content.
///
/// The file is opened once: a pipe (a FIFO, `/dev/stdin`) can be read only
/// once, so the bytes read to sniff the compression are handed on in front
/// of the rest instead of opening it again.
pub fn open_decompressed(path: &Path) -> Result<Box<dyn Read + Send>> {
    decompressed(File::open(path).map_err(|e| Error::io(path, e))?, path)
}

/// [`open_decompressed`] of a file already open at its start (`path` names
/// it in errors).
pub fn decompressed(mut f: File, path: &Path) -> Result<Box<dyn Read + Send>> {
    let mut head = [0u8; 8];
    let n = read_up_to(&mut f, &mut head).map_err(|e| Error::io(path, e))?;
    let codec = Codec::sniff(&head[..n], &path.display().to_string())?;
    let rest = std::io::Cursor::new(head[..n].to_vec()).chain(f);
    decoder(
        Box::new(BufReader::with_capacity(1 << 20, rest)),
        codec,
        path,
    )
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Wraps `r` in the decoder of `codec`.
pub fn decoder<'a>(
    r: Box<dyn Read + Send + 'a>,
    codec: Codec,
    name: &Path,
) -> Result<Box<dyn Read + Send + 'a>> {
    Ok(match codec {
        Codec::None => r,
        Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(r)),
        Codec::Xz => Box::new(lzma_rust2::XzReader::new(r, true)),
        Codec::Zstd => {
            Box::new(
                ruzstd::decoding::StreamingDecoder::new(r).map_err(|e| Error::Malformed {
                    format: "zstd",
                    offset: 0,
                    field: "frame header",
                    reason: format!("{}: {e}", name.display()),
                })?,
            )
        }
    })
}

/// Reads everything from `r`, naming `path` in errors.
pub fn read_all(mut r: impl Read, path: &Path) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    r.read_to_end(&mut v).map_err(|e| Error::io(path, e))?;
    Ok(v)
}

/// Compresses the file `src` into `dst` with `codec`.
pub fn compress_file(src: &Path, dst: &Path, codec: Codec) -> Result<()> {
    let input = File::open(src).map_err(|e| Error::io(src, e))?;
    let mut input = BufReader::with_capacity(1 << 20, input);
    let out = File::create(dst).map_err(|e| Error::io(dst, e))?;
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let io = |e| Error::io(dst, e);
    match codec {
        Codec::None => {
            std::io::copy(&mut input, &mut out).map_err(io)?;
        }
        Codec::Gzip => {
            let mut enc = flate2::GzBuilder::new()
                .mtime(0)
                .write(&mut out, flate2::Compression::new(6));
            std::io::copy(&mut input, &mut enc).map_err(io)?;
            enc.finish().map_err(io)?;
        }
        Codec::Xz => {
            let mut enc =
                lzma_rust2::XzWriter::new(&mut out, lzma_rust2::XzOptions::with_preset(6))
                    .map_err(io)?;
            std::io::copy(&mut input, &mut enc).map_err(io)?;
            enc.finish().map_err(io)?;
        }
        Codec::Zstd => {
            ruzstd::encoding::compress(
                &mut input,
                &mut out,
                ruzstd::encoding::CompressionLevel::Fastest,
            );
        }
    }
    out.flush().map_err(io)?;
    Ok(())
}
