//! Sparse and disk image subcommands: `img2simg`, `simg2img`, `simg-dump`
//! (drop-ins for the AOSP libsparse tools, same arguments), `create-uboot`
//! (KIR's create-uboot.py) and `disk-image` (any partition layout from TOML).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{ArgAction, Subcommand, ValueEnum};
use kir_core::disk::{self, CreateUboot, DiskReport, Layout};
use kir_core::fetch::{self, Source};
use kir_core::sparse::{self, DecodeOptions, EncodeOptions, HolePolicy, SparseChunk};

#[derive(Subcommand)]
pub enum Cmd {
    /// Convert a raw image to an Android sparse image (AOSP img2simg's arguments).
    Img2simg {
        /// Raw input image, or `-` for stdin.
        raw_image_file: String,
        /// Sparse output image, or `-` for stdout.
        sparse_image_file: String,
        /// Block size in bytes: a multiple of 4, at least 1024.
        block_size: Option<String>,
        /// Store the image's CRC32 in the header and append a CRC32 chunk.
        #[arg(long)]
        checksum: bool,
        /// How holes of a sparse input file are written. `fill` gives img2simg's bytes.
        #[arg(long, value_enum, default_value_t = Holes::Fill)]
        holes: Holes,
        /// Blocks known to be free, written as DONT_CARE: `START-END` (end exclusive) or
        /// `BLOCK`, comma separated, in block-size units.
        #[arg(long, value_name = "RANGES")]
        free_blocks: Option<String>,
    },
    /// Expand Android sparse images into one raw image (AOSP simg2img's arguments).
    Simg2img {
        /// Sparse inputs (each written over the output from its start), then the raw output.
        #[arg(required = true, num_args = 2..)]
        files: Vec<String>,
        /// Skip CRC32 chunk and image checksum verification.
        #[arg(long)]
        no_verify: bool,
    },
    /// List the chunks of sparse images (AOSP simg_dump's arguments and report).
    #[command(name = "simg-dump")]
    SimgDump {
        /// Verbose: list chunks; twice: also the raw chunk header bytes.
        #[arg(short = 'v', long = "verbose", action = ArgAction::Count)]
        verbose: u8,
        /// Save a CSV file of the chunks.
        #[arg(short = 'c', long = "csvfile", value_name = "FILENAME")]
        csvfile: Option<PathBuf>,
        /// Sparse images to list.
        #[arg(required = true)]
        sparse_image_files: Vec<PathBuf>,
    },
    /// Build the BeagleBoard-X15 SD card image (KIR create-uboot.py's flags).
    #[command(name = "create-uboot")]
    CreateUboot {
        /// MLO: path or URL.
        #[arg(long)]
        mlo: String,
        /// u-boot.img: path or URL.
        #[arg(long)]
        uboot: String,
        /// Disk image to write.
        #[arg(long = "output_file", alias = "output-file")]
        output_file: PathBuf,
        /// Partition size in KiB (KIR: 48272).
        #[arg(long, default_value_t = 48272)]
        size_kib: u64,
        /// MBR disk signature (hex or decimal); derived from the layout when absent.
        #[arg(long)]
        disk_id: Option<String>,
        /// FAT volume serial number (hex or decimal); derived when absent.
        #[arg(long)]
        volume_id: Option<String>,
        /// File times in seconds since 1970 (e.g. $SOURCE_DATE_EPOCH); 1980-01-01 when absent.
        #[arg(long)]
        timestamp: Option<i64>,
    },
    /// Build a partitioned disk image (raw or sparse) from a TOML layout
    /// (format: README.md, "kir disk-image layouts").
    #[command(name = "disk-image")]
    DiskImage {
        /// Layout file; relative paths in it are taken from its directory.
        layout: PathBuf,
        /// Image to write.
        #[arg(short, long)]
        output: PathBuf,
        /// Write an Android sparse image whatever the layout says.
        #[arg(long)]
        sparse: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Holes {
    /// Zero FILL chunks, not read (same bytes as img2simg).
    Fill,
    /// DONT_CARE chunks.
    DontCare,
    /// Read every byte, as img2simg does.
    Read,
}

pub fn run(cmd: Cmd) -> anyhow::Result<ExitCode> {
    match cmd {
        Cmd::Img2simg {
            raw_image_file,
            sparse_image_file,
            block_size,
            checksum,
            holes,
            free_blocks,
        } => {
            let options = EncodeOptions {
                block_size: parse_block_size(block_size.as_deref())?,
                image_checksum: checksum,
                crc_chunk: checksum,
                holes: match holes {
                    Holes::Fill => HolePolicy::Fill,
                    Holes::DontCare => HolePolicy::DontCare,
                    Holes::Read => HolePolicy::Read,
                },
                free_blocks: parse_ranges(free_blocks.as_deref().unwrap_or(""))?,
            };
            img2simg(&raw_image_file, &sparse_image_file, &options)?;
        }
        Cmd::Simg2img {
            mut files,
            no_verify,
        } => {
            let output = files.pop().unwrap_or_default();
            simg2img(
                &files,
                Path::new(&output),
                &DecodeOptions {
                    verify_checksums: !no_verify,
                },
            )?;
        }
        Cmd::SimgDump {
            verbose,
            csvfile,
            sparse_image_files,
        } => {
            simg_dump(&sparse_image_files, verbose, csvfile.as_deref())?;
        }
        Cmd::CreateUboot {
            mlo,
            uboot,
            output_file,
            size_kib,
            disk_id,
            volume_id,
            timestamp,
        } => {
            let inputs = tempfile::tempdir().context("cannot create a temporary directory")?;
            let mut args = CreateUboot::new(
                local_input(&mlo, inputs.path())?,
                local_input(&uboot, inputs.path())?,
            );
            args.size_kib = size_kib;
            args.disk_id = disk_id.as_deref().map(parse_number).transpose()?;
            args.volume_id = volume_id.as_deref().map(parse_number).transpose()?;
            args.timestamp = timestamp;
            let layout = disk::create_uboot_layout(&args);
            let report = build_layout(&layout, Path::new("."), &output_file)?;
            print_report(&output_file, &report);
        }
        Cmd::DiskImage {
            layout,
            output,
            sparse,
        } => {
            let text = std::fs::read_to_string(&layout)
                .with_context(|| format!("cannot read {}", layout.display()))?;
            let mut parsed =
                Layout::from_toml(&text).with_context(|| layout.display().to_string())?;
            parsed.sparse |= sparse;
            crate::output::refuse_input_as_output(&output, [("the layout", layout.as_path())])?;
            let base = layout.parent().filter(|p| !p.as_os_str().is_empty());
            let report = build_layout(&parsed, base.unwrap_or(Path::new(".")), &output)?;
            print_report(&output, &report);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A path for `text`: local paths as they are, URLs downloaded into `dir`
/// under their own file name (create-uboot copies files by name).
fn local_input(text: &str, dir: &Path) -> anyhow::Result<PathBuf> {
    match Source::parse(text)? {
        Source::Path(p) => Ok(p),
        source @ Source::Http(_) => {
            let path = dir.join(source.file_name());
            std::fs::write(&path, fetch::fetch(text)?)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(path)
        }
    }
}

fn parse_number(text: &str) -> anyhow::Result<u32> {
    let t = text.trim();
    let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => t.parse(),
    };
    parsed.with_context(|| format!("{text:?} is not a 32-bit number"))
}

fn build_layout(layout: &Layout, base: &Path, output: &Path) -> anyhow::Result<DiskReport> {
    let mut inputs: Vec<PathBuf> = Vec::new();
    for part in &layout.partitions {
        inputs.extend(part.source.iter().map(|p| base.join(p)));
        inputs.extend(part.files.iter().map(|p| base.join(p)));
    }
    crate::output::refuse_input_as_output(
        output,
        inputs.iter().map(|p| ("partition content", p.as_path())),
    )?;
    // The library writes the image in place; build beside the target, then rename.
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let temp = tempfile::Builder::new()
        .prefix(".kir-disk-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?
        .into_temp_path();
    let report = disk::build_disk_image(layout, base, &temp)
        .with_context(|| format!("cannot build {}", output.display()))?;
    temp.persist(output)
        .with_context(|| format!("cannot write {}", output.display()))?;
    Ok(report)
}

fn print_report(output: &Path, report: &DiskReport) {
    let kind = if report.sparse {
        "sparse image of"
    } else {
        "raw image,"
    };
    eprintln!("{}: {kind} {} bytes", output.display(), report.size_bytes);
    if let Some(id) = report.mbr_disk_id {
        eprintln!("  MBR disk identifier 0x{id:08x}");
    }
    if let Some(guid) = report.disk_guid {
        eprintln!("  GPT disk GUID {guid}");
    }
    for (i, p) in report.partitions.iter().enumerate() {
        let kind = match (p.mbr_type, p.type_guid) {
            (Some(t), _) => format!("type 0x{t:02x}"),
            (_, Some(g)) => format!("type {g}"),
            _ => String::new(),
        };
        eprintln!(
            "  partition {}: start {} size {} sectors {kind}",
            i + 1,
            p.start_lba,
            p.sectors
        );
    }
}

/// img2simg's rule: a multiple of 4 of at least 1024 (it reads the number with atoi).
fn parse_block_size(arg: Option<&str>) -> anyhow::Result<u32> {
    let Some(text) = arg else {
        return Ok(sparse::DEFAULT_BLOCK_SIZE);
    };
    match text.trim().parse::<u32>() {
        Ok(n) if n >= 1024 && n % 4 == 0 => Ok(n),
        _ => bail!("block size {text:?}: must be a multiple of 4 of at least 1024"),
    }
}

fn parse_ranges(text: &str) -> anyhow::Result<Vec<std::ops::Range<u64>>> {
    let mut ranges = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let parse = |s: &str| -> anyhow::Result<u64> {
            s.trim()
                .parse()
                .with_context(|| format!("--free-blocks: {item:?} is not START-END"))
        };
        let range = match item.split_once('-') {
            Some((a, b)) => {
                let (start, end) = (parse(a)?, parse(b)?);
                if end <= start {
                    bail!(
                        "--free-blocks: {item:?} is empty (the end is exclusive and must exceed the start)"
                    );
                }
                start..end
            }
            None => {
                let n = parse(item)?;
                n..n.saturating_add(1)
            }
        };
        ranges.push(range);
    }
    Ok(ranges)
}

fn img2simg(input: &str, output: &str, options: &EncodeOptions) -> anyhow::Result<()> {
    let encode = |sink: File| -> anyhow::Result<File> {
        let sink = BufWriter::with_capacity(1 << 20, sink);
        let sink = if input == "-" {
            sparse::encode_reader(io::stdin().lock(), sink, options)?
        } else {
            sparse::encode_file(Path::new(input), sink, options)?
        };
        sink.into_inner()
            .map_err(|e| e.into_error())
            .context("cannot write the sparse image")
    };

    if output == "-" {
        // The header is written last, so the image is built in a temporary file.
        let mut temp = encode(tempfile::tempfile().context("cannot create a temporary file")?)?;
        temp.rewind()?;
        io::copy(&mut temp, &mut io::stdout().lock()).context("cannot write to stdout")?;
        return Ok(());
    }
    crate::output::refuse_input_as_output(
        Path::new(output),
        [("the raw image", Path::new(input))],
    )?;
    crate::output::write_with(Path::new(output), |file| {
        encode(file.try_clone()?).map(drop)
    })
}

fn simg2img(inputs: &[String], output: &Path, options: &DecodeOptions) -> anyhow::Result<()> {
    crate::output::refuse_input_as_output(
        output,
        inputs
            .iter()
            .map(|i| ("a sparse image", Path::new(i.as_str()))),
    )?;
    crate::output::write_with(output, |file| {
        let mut out = BufWriter::with_capacity(1 << 20, &*file);
        let mut expanded = 0u64;
        for input in inputs {
            out.rewind()?;
            let summary = if input == "-" {
                sparse::decode(BufReader::new(io::stdin().lock()), &mut out, options)?
            } else {
                let reader = File::open(input).with_context(|| format!("cannot open {input}"))?;
                sparse::decode(BufReader::with_capacity(1 << 20, reader), &mut out, options)
                    .with_context(|| input.clone())?
            };
            expanded = expanded.max(summary.expanded_len);
        }
        out.flush()?;
        drop(out);
        if file.metadata()?.len() < expanded {
            file.set_len(expanded)?;
        }
        Ok(())
    })
}

fn simg_dump(paths: &[PathBuf], verbose: u8, csvfile: Option<&Path>) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut csv = match csvfile {
        Some(p) => {
            let mut w = BufWriter::new(
                File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
            );
            w.write_all(
                b"chunk,input offset,input bytes,output offset,output blocks,type,hash\r\n",
            )?;
            Some(w)
        }
        None => None,
    };

    for path in paths {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let len = file.metadata()?.len();
        let (header, chunks) = sparse::inspect(BufReader::with_capacity(1 << 20, file))
            .with_context(|| path.display().to_string())?;
        writeln!(
            out,
            "{}: Total of {} {}-byte output blocks in {} input chunks.",
            path.display(),
            header.total_blks,
            header.blk_sz,
            header.total_chunks
        )?;
        if header.image_checksum != 0 {
            writeln!(out, "checksum=0x{:08X}", header.image_checksum)?;
        }
        if verbose > 0 {
            writeln!(out, "            input_bytes      output_blocks")?;
            writeln!(out, "chunk    offset     number  offset  number")?;
        }
        let mut end = u64::from(header.file_hdr_sz);
        for c in &chunks {
            let kind = match c.chunk {
                SparseChunk::Raw => "Raw data".to_string(),
                SparseChunk::Fill(v) => format!("Fill with 0x{v:08X}"),
                SparseChunk::DontCare => "Don't care".to_string(),
                SparseChunk::Crc32(v) => format!("Unverified CRC32 0x{v:08X}"),
            };
            if verbose > 0 {
                write!(
                    out,
                    "{:4} {:10} {:10} {:7} {:7} {kind:<18} ",
                    c.index + 1,
                    c.data_offset,
                    c.data_len,
                    c.first_block,
                    c.blocks
                )?;
                if verbose > 1 {
                    let h = c.raw_header;
                    write!(
                        out,
                        " ({:02X}{:02X} {:02X}{:02X} {:02X}{:02X}{:02X}{:02X} {:02X}{:02X}{:02X}{:02X}) ",
                        h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11]
                    )?;
                }
                writeln!(out)?;
            }
            if let Some(w) = &mut csv {
                write!(
                    w,
                    "{},{},{},{},{},{},\r\n",
                    c.index + 1,
                    c.data_offset,
                    c.data_len,
                    c.first_block,
                    c.blocks,
                    kind
                )?;
            }
            end = c.data_offset + c.data_len;
        }
        if verbose > 0 {
            writeln!(
                out,
                "     {end:10}            {:7}         End",
                header.total_blks
            )?;
        }
        if len > end {
            writeln!(
                out,
                "There were {} bytes of extra data at the end of the file.",
                len - end
            )?;
        }
    }
    if let Some(mut w) = csv {
        w.flush()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_ranges;

    #[test]
    fn free_block_ranges_are_end_exclusive_and_never_empty() {
        assert_eq!(parse_ranges("10-20, 30").unwrap(), [10..20, 30..31]);
        let err = parse_ranges("10-5").unwrap_err().to_string();
        assert!(err.contains("\"10-5\" is empty"), "{err}");
        assert!(parse_ranges("7-7").is_err());
        assert!(parse_ranges("x-3").is_err());
    }
}
