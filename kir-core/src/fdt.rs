//! Flattened device trees (DTB): validation and the root node's identity.
//!
//! [`inspect`] checks the 40-byte big-endian header against the file
//! (devicetree specification, "Flattened Devicetree (DTB) Format"), walks the
//! whole structure block so a truncated or unbalanced tree is refused, and
//! returns the root node's `model` and `compatible` strings, which recipes
//! compare with the board they build for. [`build`] writes a small valid tree,
//! for demos and tests.
//!
//! ```
//! let dtb = kir_core::fdt::build("Demo board", &["vendor,demo-board", "vendor,soc"]);
//! let info = kir_core::fdt::inspect(&dtb).unwrap();
//! assert_eq!(info.model.as_deref(), Some("Demo board"));
//! assert!(info.is_compatible("vendor,soc"));
//! ```

use crate::{Error, Result};

const FDT_MAGIC: u32 = 0xd00d_feed;
const HEADER_LEN: usize = 40;
const FDT_BEGIN_NODE: u32 = 1;
const FDT_END_NODE: u32 = 2;
const FDT_PROP: u32 = 3;
const FDT_NOP: u32 = 4;
const FDT_END: u32 = 9;
const FORMAT: &str = "fdt";
/// Nesting deeper than this is refused (real trees are under 10 deep).
const MAX_DEPTH: usize = 64;

/// What a DTB says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdtInfo {
    /// `totalsize` from the header: the tree's length in bytes.
    pub totalsize: u32,
    /// `version` from the header (17 for current trees).
    pub version: u32,
    /// The root node's `model`.
    pub model: Option<String>,
    /// The root node's `compatible` strings, most specific first.
    pub compatible: Vec<String>,
}

impl FdtInfo {
    /// Whether the root node lists `compatible`.
    pub fn is_compatible(&self, compatible: &str) -> bool {
        self.compatible.iter().any(|c| c == compatible)
    }
}

/// Validates a DTB and reads its root node's `model` and `compatible`.
/// Bytes past `totalsize` are allowed (a DTB padded by its container).
pub fn inspect(data: &[u8]) -> Result<FdtInfo> {
    let header = data.get(..HEADER_LEN).ok_or_else(|| {
        Error::malformed(
            FORMAT,
            0,
            "header",
            format!("{} bytes, a header needs {HEADER_LEN}", data.len()),
        )
    })?;
    let field = |i: usize| be32(header, i * 4);
    if field(0) != FDT_MAGIC {
        return Err(Error::malformed(
            FORMAT,
            0,
            "magic",
            format!("{:#010x}, expected 0xd00dfeed", field(0)),
        ));
    }
    let totalsize = field(1);
    let (off_struct, off_strings, off_rsvmap) = (field(2), field(3), field(4));
    let (version, last_comp) = (field(5), field(6));
    let size_strings = field(8);
    let size_struct = field(9);

    if (totalsize as usize) > data.len() || (totalsize as usize) < HEADER_LEN {
        return Err(Error::malformed(
            FORMAT,
            4,
            "totalsize",
            format!("{totalsize} but the file holds {} bytes", data.len()),
        ));
    }
    if last_comp > 17 || version < 16 {
        return Err(Error::malformed(
            FORMAT,
            20,
            "version",
            format!("version {version}, last_comp_version {last_comp}: only 16 and 17 are read"),
        ));
    }
    let tree = &data[..totalsize as usize];
    let in_tree = |off: u32, len: u32, at: u64, name: &'static str| -> Result<()> {
        if u64::from(off) + u64::from(len) > u64::from(totalsize) || (off as usize) < HEADER_LEN {
            return Err(Error::malformed(
                FORMAT,
                at,
                name,
                format!("block at {off:#x}+{len:#x} is outside the tree ({totalsize} bytes)"),
            ));
        }
        Ok(())
    };
    in_tree(off_rsvmap, 16, 16, "off_mem_rsvmap")?;
    // Version 16 trees have no size_dt_struct: the block runs to totalsize at most.
    let size_struct = if version >= 17 {
        size_struct
    } else {
        totalsize.saturating_sub(off_struct)
    };
    in_tree(off_struct, size_struct, 8, "off_dt_struct")?;
    in_tree(off_strings, size_strings, 12, "off_dt_strings")?;

    let structure = &tree[off_struct as usize..(off_struct + size_struct) as usize];
    let strings = &tree[off_strings as usize..(off_strings + size_strings) as usize];
    let (model, compatible) = walk(structure, strings, u64::from(off_struct))?;
    Ok(FdtInfo {
        totalsize,
        version,
        model,
        compatible,
    })
}

/// Walks the structure block; returns the root node's model and compatible.
fn walk(s: &[u8], strings: &[u8], base: u64) -> Result<(Option<String>, Vec<String>)> {
    let mut pos = 0usize;
    let mut depth = 0usize;
    let mut model = None;
    let mut compatible = Vec::new();
    let bad = |pos: usize, field: &'static str, reason: String| {
        Error::malformed(FORMAT, base + pos as u64, field, reason)
    };
    loop {
        let token = s
            .get(pos..pos + 4)
            .map(|b| be32(b, 0))
            .ok_or_else(|| bad(pos, "structure block", "ends before FDT_END".into()))?;
        pos += 4;
        match token {
            FDT_BEGIN_NODE => {
                let name_len = s
                    .get(pos..)
                    .and_then(|r| r.iter().position(|&b| b == 0))
                    .ok_or_else(|| {
                        bad(
                            pos,
                            "node name",
                            "not NUL-terminated inside the structure block".into(),
                        )
                    })?;
                if depth == 0 && name_len != 0 {
                    return Err(bad(
                        pos,
                        "node name",
                        "the root node must have an empty name".into(),
                    ));
                }
                pos = align4(pos + name_len + 1);
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(bad(
                        pos,
                        "structure block",
                        format!("nodes nested deeper than {MAX_DEPTH}"),
                    ));
                }
            }
            FDT_END_NODE => {
                depth = depth.checked_sub(1).ok_or_else(|| {
                    bad(
                        pos - 4,
                        "FDT_END_NODE",
                        "closes a node that was never opened".into(),
                    )
                })?;
            }
            FDT_PROP => {
                let head = s
                    .get(pos..pos + 8)
                    .ok_or_else(|| bad(pos, "FDT_PROP", "truncated".into()))?;
                let (len, nameoff) = (be32(head, 0) as usize, be32(head, 4) as usize);
                let value = pos
                    .checked_add(8 + len)
                    .and_then(|end| s.get(pos + 8..end))
                    .ok_or_else(|| {
                        bad(
                            pos,
                            "len",
                            format!("property of {len} bytes runs past the block"),
                        )
                    })?;
                let name = strings
                    .get(nameoff..)
                    .and_then(|r| r.iter().position(|&b| b == 0).map(|n| &r[..n]))
                    .ok_or_else(|| {
                        bad(
                            pos + 4,
                            "nameoff",
                            format!("{nameoff:#x} is outside the strings block"),
                        )
                    })?;
                if depth == 1 {
                    match name {
                        b"model" => model = string_list(value).into_iter().next(),
                        b"compatible" => compatible = string_list(value),
                        _ => {}
                    }
                }
                pos = align4(pos + 8 + len);
            }
            FDT_NOP => {}
            FDT_END => {
                if depth != 0 {
                    return Err(bad(
                        pos - 4,
                        "FDT_END",
                        format!("{depth} node(s) left open"),
                    ));
                }
                return Ok((model, compatible));
            }
            other => return Err(bad(pos - 4, "token", format!("unknown token {other:#x}"))),
        }
    }
}

fn string_list(value: &[u8]) -> Vec<String> {
    value
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

fn be32(b: &[u8], at: usize) -> u32 {
    let mut v = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        v.copy_from_slice(s);
    }
    u32::from_be_bytes(v)
}

fn align4(n: usize) -> usize {
    n.div_ceil(4) * 4
}

/// Writes a minimal version-17 DTB: a root node with `model`, `compatible`,
/// `#address-cells` and `#size-cells` = 2, and an empty `chosen` node.
pub fn build(model: &str, compatible: &[&str]) -> Vec<u8> {
    let mut strings = Vec::new();
    let mut structure = Vec::new();
    let mut prop = |structure: &mut Vec<u8>, name: &str, value: &[u8]| {
        let nameoff = strings.len() as u32;
        strings.extend_from_slice(name.as_bytes());
        strings.push(0);
        structure.extend_from_slice(&FDT_PROP.to_be_bytes());
        structure.extend_from_slice(&(value.len() as u32).to_be_bytes());
        structure.extend_from_slice(&nameoff.to_be_bytes());
        structure.extend_from_slice(value);
        structure.resize(align4(structure.len()), 0);
    };
    structure.extend_from_slice(&FDT_BEGIN_NODE.to_be_bytes());
    structure.extend_from_slice(&[0, 0, 0, 0]);
    prop(&mut structure, "#address-cells", &2u32.to_be_bytes());
    prop(&mut structure, "#size-cells", &2u32.to_be_bytes());
    prop(&mut structure, "model", format!("{model}\0").as_bytes());
    let compat: Vec<u8> = compatible
        .iter()
        .flat_map(|c| c.bytes().chain([0]))
        .collect();
    prop(&mut structure, "compatible", &compat);
    structure.extend_from_slice(&FDT_BEGIN_NODE.to_be_bytes());
    structure.extend_from_slice(b"chosen\0\0");
    structure.extend_from_slice(&FDT_END_NODE.to_be_bytes());
    structure.extend_from_slice(&FDT_END_NODE.to_be_bytes());
    structure.extend_from_slice(&FDT_END.to_be_bytes());

    let off_rsvmap = HEADER_LEN as u32;
    let off_struct = off_rsvmap + 16;
    let off_strings = off_struct + structure.len() as u32;
    let totalsize = off_strings + strings.len() as u32;
    let header = [
        FDT_MAGIC,
        totalsize,
        off_struct,
        off_strings,
        off_rsvmap,
        17,
        16,
        0,
        strings.len() as u32,
        structure.len() as u32,
    ];
    let mut out: Vec<u8> = header.iter().flat_map(|v| v.to_be_bytes()).collect();
    out.extend_from_slice(&[0u8; 16]); // empty memory reservation map
    out.extend_from_slice(&structure);
    out.extend_from_slice(&strings);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_tree_reads_back() {
        let dtb = build("Board", &["a,b", "c,d"]);
        let info = inspect(&dtb).unwrap();
        assert_eq!(info.compatible, ["a,b", "c,d"]);
        assert_eq!(info.totalsize as usize, dtb.len());
        assert_eq!(info.version, 17);
    }

    #[test]
    fn every_truncation_is_refused() {
        let dtb = build("Board", &["a,b"]);
        for cut in 0..dtb.len() {
            assert!(inspect(&dtb[..cut]).is_err(), "cut {cut}");
        }
    }

    #[test]
    fn wrong_magic_names_the_field() {
        let mut dtb = build("Board", &["a,b"]);
        dtb[0] = 0;
        let err = inspect(&dtb).unwrap_err();
        assert!(err.to_string().contains("magic"), "{err}");
    }

    #[test]
    fn unbalanced_nodes_are_refused() {
        let mut dtb = build("Board", &["a,b"]);
        // Replace the final FDT_END_NODE (before FDT_END) with FDT_NOP.
        let info = inspect(&dtb).unwrap();
        let off_struct = be32(&dtb, 8) as usize;
        let size_struct = be32(&dtb, 36) as usize;
        let last_end_node = off_struct + size_struct - 8;
        dtb[last_end_node..last_end_node + 4].copy_from_slice(&FDT_NOP.to_be_bytes());
        assert!(inspect(&dtb).is_err(), "{info:?}");
    }
}
