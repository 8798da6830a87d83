//! Checksums and hashes ext4 stores: crc32c for metadata_csum, the half-MD4
//! directory-index hash, and the extended-attribute entry and block hashes.

/// crc32c as ext4 chains it: the raw register, seeded with `seed`, without the
/// final inversion (the kernel's `ext4_chksum`, e2fsprogs' `ext2fs_crc32c_le`).
pub fn crc32c_raw(seed: u32, data: &[u8]) -> u32 {
    !crc32c::crc32c_append(!seed, data)
}

const HALF_MD4_K2: u32 = 0o13240474631;
const HALF_MD4_K3: u32 = 0o15666365641;

fn half_md4_transform(buf: &mut [u32; 4], input: &[u32; 8]) {
    let f = |x: u32, y: u32, z: u32| z ^ (x & (y ^ z));
    let g = |x: u32, y: u32, z: u32| (x & y).wrapping_add((x ^ y) & z);
    let h = |x: u32, y: u32, z: u32| x ^ y ^ z;
    let [mut a, mut b, mut c, mut d] = *buf;
    macro_rules! round {
        ($fun:expr, $a:ident, $b:ident, $c:ident, $d:ident, $x:expr, $s:expr) => {
            $a = $a
                .wrapping_add($fun($b, $c, $d))
                .wrapping_add($x)
                .rotate_left($s);
        };
    }
    let k2 = HALF_MD4_K2;
    let k3 = HALF_MD4_K3;
    round!(f, a, b, c, d, input[0], 3);
    round!(f, d, a, b, c, input[1], 7);
    round!(f, c, d, a, b, input[2], 11);
    round!(f, b, c, d, a, input[3], 19);
    round!(f, a, b, c, d, input[4], 3);
    round!(f, d, a, b, c, input[5], 7);
    round!(f, c, d, a, b, input[6], 11);
    round!(f, b, c, d, a, input[7], 19);

    round!(g, a, b, c, d, input[1].wrapping_add(k2), 3);
    round!(g, d, a, b, c, input[3].wrapping_add(k2), 5);
    round!(g, c, d, a, b, input[5].wrapping_add(k2), 9);
    round!(g, b, c, d, a, input[7].wrapping_add(k2), 13);
    round!(g, a, b, c, d, input[0].wrapping_add(k2), 3);
    round!(g, d, a, b, c, input[2].wrapping_add(k2), 5);
    round!(g, c, d, a, b, input[4].wrapping_add(k2), 9);
    round!(g, b, c, d, a, input[6].wrapping_add(k2), 13);

    round!(h, a, b, c, d, input[3].wrapping_add(k3), 3);
    round!(h, d, a, b, c, input[7].wrapping_add(k3), 9);
    round!(h, c, d, a, b, input[2].wrapping_add(k3), 11);
    round!(h, b, c, d, a, input[6].wrapping_add(k3), 15);
    round!(h, a, b, c, d, input[1].wrapping_add(k3), 3);
    round!(h, d, a, b, c, input[5].wrapping_add(k3), 9);
    round!(h, c, d, a, b, input[0].wrapping_add(k3), 11);
    round!(h, b, c, d, a, input[4].wrapping_add(k3), 15);

    buf[0] = buf[0].wrapping_add(a);
    buf[1] = buf[1].wrapping_add(b);
    buf[2] = buf[2].wrapping_add(c);
    buf[3] = buf[3].wrapping_add(d);
}

/// Packs up to `4 * words` bytes of a name into hash input words, padding
/// with a value derived from the name's length (`str2hashbuf`).
fn str2hashbuf(msg: &[u8], words: usize, signed: bool) -> [u32; 8] {
    let len = msg.len() as u32;
    let mut pad = len | (len << 8);
    pad |= pad << 16;
    let mut out = [pad; 8];
    let mut val = pad;
    let mut idx = 0;
    let take = msg.len().min(words * 4);
    for (i, &byte) in msg.iter().take(take).enumerate() {
        let c = if signed {
            byte as i8 as i32 as u32
        } else {
            byte as u32
        };
        val = c.wrapping_add(val << 8);
        if i % 4 == 3 {
            if let Some(slot) = out.get_mut(idx) {
                *slot = val;
            }
            idx += 1;
            val = pad;
        }
    }
    if idx < words {
        if let Some(slot) = out.get_mut(idx) {
            *slot = val;
        }
    }
    out
}

/// Directory-index hash (`DX_HASH_HALF_MD4`) of a name: (major, minor).
///
/// `seed` is the superblock's `s_hash_seed`; an all-zero seed selects the
/// MD4 initial values. `signed` follows the superblock's signed-hash flag.
pub fn dx_hash_half_md4(name: &[u8], seed: &[u32; 4], signed: bool) -> (u32, u32) {
    let mut buf = if seed.iter().any(|&w| w != 0) {
        *seed
    } else {
        [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]
    };
    let mut rest = name;
    loop {
        let input = str2hashbuf(rest, 8, signed);
        half_md4_transform(&mut buf, &input);
        if rest.len() <= 32 {
            break;
        }
        rest = &rest[32..];
    }
    let mut major = buf[1] & !1;
    // 0x7fffffff << 1 marks end-of-directory in readdir cookies.
    if major == 0x7fff_ffff << 1 {
        major = 0x7fff_fffe << 1;
    }
    (major, buf[2])
}

/// Hash of one extended-attribute entry over its name and (padded) value.
pub fn xattr_entry_hash(name: &[u8], value: &[u8]) -> u32 {
    let mut hash: u32 = 0;
    for &c in name {
        hash = (hash << 5) ^ (hash >> 27) ^ c as u32;
    }
    for chunk in value.chunks(4) {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        hash = (hash << 16) ^ (hash >> 16) ^ u32::from_le_bytes(word);
    }
    hash
}

/// Hash of an extended-attribute block from its entries' hashes.
pub fn xattr_block_hash(entry_hashes: &[u32]) -> u32 {
    let mut hash: u32 = 0;
    for &h in entry_hashes {
        if h == 0 {
            return 0;
        }
        hash = (hash << 16) ^ (hash >> 16) ^ h;
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_raw_is_the_uninverted_standard_crc() {
        // Standard CRC-32C("123456789") = 0xE3069283.
        assert_eq!(!crc32c_raw(!0, b"123456789"), 0xE306_9283);
    }

    #[test]
    fn str2hashbuf_pads_with_the_length_pattern() {
        let words = str2hashbuf(b"", 8, true);
        assert!(words.iter().all(|&w| w == 0));
        let words = str2hashbuf(b"a", 8, true);
        assert_eq!(words[0], 0x0101_0161);
        assert_eq!(words[1], 0x0101_0101);
    }
}
