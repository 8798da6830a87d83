//! Shared helpers for the ext4 tests: generated trees and the e2fsprogs oracle.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use kir_core::ext4::{DataRun, FileData, Metadata, Node, NodeKind, Timestamp, Tree, Xattr};

/// True when the e2fsprogs tools are here. In CI their absence fails the test.
pub fn have_e2fsprogs() -> bool {
    let ok = Command::new("e2fsck").arg("-V").output().is_ok()
        && Command::new("debugfs").arg("-V").output().is_ok();
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "e2fsprogs missing in CI"
        );
        eprintln!("skipping: e2fsprogs (e2fsck, debugfs) not installed");
    }
    ok
}

pub fn meta(perm: u16, uid: u32, gid: u32, sec: i64) -> Metadata {
    let mut m = Metadata::new(perm, uid, gid, Timestamp::from_secs(sec));
    m.mtime = Timestamp { sec, nsec: 500 };
    m
}

fn file(data: Vec<u8>, m: Metadata) -> Node {
    Node::new(NodeKind::File(FileData::from_bytes(data)), m)
}

pub fn pseudo(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// POSIX ACL in the Linux xattr format.
pub fn acl(entries: &[(u16, u16, u32)]) -> Vec<u8> {
    let mut v = 2u32.to_le_bytes().to_vec();
    for (tag, perm, id) in entries {
        v.extend_from_slice(&tag.to_le_bytes());
        v.extend_from_slice(&perm.to_le_bytes());
        v.extend_from_slice(&id.to_le_bytes());
    }
    v
}

/// A tree with one of everything ext4 stores.
pub fn varied_tree(big_dir_entries: usize) -> Tree {
    let d = meta(0o755, 0, 0, 1_700_000_000);
    let mut t = Tree::new(d.clone());
    for (i, len) in [
        0usize, 1, 59, 1023, 1024, 1025, 4095, 4096, 4097, 70_000, 300_001,
    ]
    .iter()
    .enumerate()
    {
        let path = format!("/data/f{i}_{len}");
        t.insert(
            path.as_bytes(),
            file(
                pseudo(i as u64, *len),
                meta(0o644, 1000 + i as u32, 100, 1_600_000_000 + i as i64),
            ),
            &d,
        )
        .unwrap();
    }
    t.insert(
        b"/bin/suid",
        file(b"#!/bin/sh\n".to_vec(), meta(0o4755, 0, 0, 1)),
        &d,
    )
    .unwrap();
    t.insert(
        b"/tmp",
        Node::new(NodeKind::empty_dir(), meta(0o1777, 0, 0, 2)),
        &d,
    )
    .unwrap();
    t.insert(
        b"/home/big",
        file(vec![7; 10], meta(0o600, 200_000, 300_000, 3)),
        &d,
    )
    .unwrap();
    t.insert(
        b"/lnk/short",
        Node::new(
            NodeKind::Symlink(b"../data/f1_1".to_vec()),
            meta(0o777, 0, 0, 4),
        ),
        &d,
    )
    .unwrap();
    let long = format!("/{}", "long-target-component/".repeat(5));
    t.insert(
        b"/lnk/long",
        Node::new(NodeKind::Symlink(long.into_bytes()), meta(0o777, 5, 6, 5)),
        &d,
    )
    .unwrap();
    t.hard_link(b"/lnk/hard1", b"/data/f3_1023", &d).unwrap();
    t.hard_link(b"/other/hard2", b"/data/f3_1023", &d).unwrap();
    t.insert(
        b"/dev/null",
        Node::new(
            NodeKind::CharDevice { major: 1, minor: 3 },
            meta(0o666, 0, 0, 6),
        ),
        &d,
    )
    .unwrap();
    t.insert(
        b"/dev/sda",
        Node::new(
            NodeKind::BlockDevice { major: 8, minor: 0 },
            meta(0o660, 0, 6, 6),
        ),
        &d,
    )
    .unwrap();
    t.insert(
        b"/dev/big",
        Node::new(
            NodeKind::CharDevice {
                major: 300,
                minor: 70_000,
            },
            meta(0o600, 0, 0, 6),
        ),
        &d,
    )
    .unwrap();
    t.insert(
        b"/run/fifo",
        Node::new(NodeKind::Fifo, meta(0o644, 0, 0, 7)),
        &d,
    )
    .unwrap();
    t.insert(
        b"/run/sock",
        Node::new(NodeKind::Socket, meta(0o755, 0, 0, 7)),
        &d,
    )
    .unwrap();
    let mut ping = file(b"\x7fELF".to_vec(), meta(0o755, 0, 0, 9));
    let mut cap = vec![0u8; 20];
    cap[0..4].copy_from_slice(&0x0200_0000u32.to_le_bytes());
    cap[4] = 0x00;
    cap[5] = 0x20; // CAP_NET_RAW
    ping.xattrs.push(Xattr {
        name: b"security.capability".to_vec(),
        value: cap,
    });
    ping.xattrs.push(Xattr {
        name: b"security.selinux".to_vec(),
        value: b"system_u:object_r:ping_exec_t:s0\0".to_vec(),
    });
    t.insert(b"/bin/ping", ping, &d).unwrap();
    let mut shared = Node::new(NodeKind::empty_dir(), meta(0o2775, 0, 50, 10));
    shared.xattrs.push(Xattr {
        name: b"system.posix_acl_access".to_vec(),
        value: acl(&[
            (1, 7, u32::MAX),
            (2, 5, 1001),
            (4, 5, u32::MAX),
            (0x10, 7, u32::MAX),
            (0x20, 5, u32::MAX),
        ]),
    });
    shared.xattrs.push(Xattr {
        name: b"system.posix_acl_default".to_vec(),
        value: acl(&[
            (1, 7, u32::MAX),
            (4, 5, u32::MAX),
            (8, 7, 50),
            (0x10, 7, u32::MAX),
            (0x20, 0, u32::MAX),
        ]),
    });
    t.insert(b"/srv/shared", shared, &d).unwrap();
    let mut many = file(b"x".to_vec(), meta(0o644, 0, 0, 11));
    for i in 0..12 {
        many.xattrs.push(Xattr {
            name: format!("user.attribute_{i:02}").into_bytes(),
            value: pseudo(i, 40 + i as usize),
        });
    }
    t.insert(b"/data/many_xattrs", many, &d).unwrap();
    for i in 0..big_dir_entries {
        let name = format!("/big/entry-with-a-longish-name-{i:06}");
        if i % 3 == 0 {
            t.insert(
                name.as_bytes(),
                Node::new(NodeKind::empty_dir(), meta(0o755, 0, 0, 12)),
                &d,
            )
            .unwrap();
        } else {
            t.insert(
                name.as_bytes(),
                file(vec![i as u8; i % 7], meta(0o644, 0, 0, 12)),
                &d,
            )
            .unwrap();
        }
    }
    t
}

/// A file of 5 GiB + 3 bytes, mostly hole, with data past 2 and 4 GiB.
pub fn sparse_5g() -> FileData {
    FileData::sparse(
        (5u64 << 30) + 3,
        vec![
            DataRun {
                offset: 0,
                data: pseudo(99, 5000),
            },
            DataRun {
                offset: 1 << 31,
                data: pseudo(98, 4096),
            },
            DataRun {
                offset: 5u64 << 30,
                data: vec![1, 2, 3],
            },
        ],
    )
    .unwrap()
}

pub fn e2fsck_clean(img: &Path) {
    let out = Command::new("e2fsck")
        .args(["-fn"])
        .arg(img)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "e2fsck -fn failed ({:?}):\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs debugfs commands on an image; returns stdout.
pub fn debugfs(img: &Path, cmds: &[String]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("cmds");
    std::fs::write(&f, cmds.join("\n")).unwrap();
    let out = Command::new("debugfs")
        .arg("-f")
        .arg(&f)
        .arg(img)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "debugfs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn lossy(p: &[u8]) -> String {
    String::from_utf8(p.to_vec()).unwrap()
}

/// Checks an image against its tree with e2fsck, `debugfs rdump` (content,
/// modes, owners of files, dirs and symlinks), `debugfs stat` (link counts,
/// devices, fifos, sockets) and `debugfs ea_get` (every xattr).
pub fn verify_image(img: &Path, tree: &Tree) {
    e2fsck_clean(img);
    let out = tempfile::tempdir().unwrap();
    let cmd = format!("rdump / {}", out.path().display());
    debugfs(img, &[cmd]);
    let root: PathBuf = out.path().to_path_buf();

    let mut links: BTreeMap<usize, u32> = BTreeMap::new();
    for (_, id) in tree.walk().iter().skip(1) {
        *links.entry(*id).or_default() += 1;
    }
    let mut stat_cmds = Vec::new();
    let mut checks = Vec::new();
    for (path, id) in tree.walk().iter().skip(1) {
        let node = tree.node(*id).unwrap();
        let p = lossy(path);
        let host = root.join(p.trim_start_matches('/'));
        match &node.kind {
            NodeKind::File(f) if f.size() < (1 << 30) => {
                assert_eq!(
                    std::fs::read(&host).unwrap(),
                    f.to_vec().unwrap(),
                    "content of {p}"
                );
            }
            NodeKind::File(f) => {
                assert_eq!(
                    std::fs::metadata(&host).unwrap().len(),
                    f.size(),
                    "size of {p}"
                );
            }
            NodeKind::Symlink(target) => {
                assert_eq!(
                    std::fs::read_link(&host)
                        .unwrap()
                        .as_os_str()
                        .as_encoded_bytes(),
                    &target[..],
                    "{p}"
                );
            }
            _ => {}
        }
        if matches!(node.kind, NodeKind::File(_) | NodeKind::Dir(_)) {
            let md = std::fs::symlink_metadata(&host).unwrap();
            // debugfs restores permission bits but drops set-id and sticky
            // bits (chown after chmod); `stat` below checks all twelve.
            assert_eq!(
                md.permissions().mode() & 0o777,
                node.meta.perm as u32 & 0o777,
                "mode of {p}"
            );
            assert_eq!(
                (md.uid(), md.gid()),
                (node.meta.uid, node.meta.gid),
                "owner of {p}"
            );
            assert_eq!(md.mtime(), node.meta.mtime.sec, "mtime of {p}");
        }
        stat_cmds.push(format!("stat \"{p}\""));
        checks.push((p.clone(), node.clone(), *links.get(id).unwrap_or(&1)));
        for x in &node.xattrs {
            stat_cmds.push(format!("ea_get -x \"{p}\" {}", lossy(&x.name)));
        }
    }
    let text = debugfs(img, &stat_cmds);
    // debugfs prints one "Inode: N   Type: ..." block per stat, in order.
    let blocks: Vec<&str> = text.split("Inode: ").skip(1).collect();
    assert_eq!(blocks.len(), checks.len(), "one stat block per path");
    for (block, (p, node, nlink)) in blocks.iter().zip(&checks) {
        let flat: String = block.split_whitespace().collect::<Vec<_>>().join(" ");
        let block = &flat;
        let mode = format!("Mode: 0{:03o}", node.meta.perm);
        assert!(block.contains(&mode), "{p}: want {mode}\n{block}");
        let owner = format!("User: {} Group: {}", node.meta.uid, node.meta.gid);
        assert!(block.contains(&owner), "{p}: want {owner}\n{block}");
        let ty = match &node.kind {
            NodeKind::File(_) => "regular",
            NodeKind::Dir(_) => "directory",
            NodeKind::Symlink(_) => "symlink",
            NodeKind::CharDevice { .. } => "character special",
            NodeKind::BlockDevice { .. } => "block special",
            NodeKind::Fifo => "FIFO",
            NodeKind::Socket => "socket",
        };
        assert!(
            block.contains(&format!("Type: {ty}")),
            "{p}: want type {ty}\n{block}"
        );
        if let NodeKind::CharDevice { major, minor } | NodeKind::BlockDevice { major, minor } =
            node.kind
        {
            let want = format!("Device major/minor number: {major:02}:{minor:02}");
            assert!(block.contains(&want), "{p}: want {want}\n{block}");
        }
        if !matches!(node.kind, NodeKind::Dir(_)) {
            assert!(
                block.contains(&format!("Links: {nlink} ")),
                "{p}: want {nlink} links\n{block}"
            );
        }
        for x in &node.xattrs {
            // debugfs shows the owner/group/mask/other entries of an ACL
            // with id 0 where the kernel reports -1 (undefined).
            let mut value = x.value.clone();
            if x.name.starts_with(b"system.posix_acl_") {
                for e in value[4..].chunks_mut(8) {
                    if matches!(e[0], 1 | 4 | 0x10 | 0x20) {
                        e[4..8].copy_from_slice(&[0; 4]);
                    }
                }
            }
            let hex: String = value.iter().map(|b| format!("{b:02x} ")).collect();
            let want: String = hex.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                block.contains(&want),
                "{p}: xattr {} value {want}\n{block}",
                lossy(&x.name)
            );
        }
    }
}

/// One line per reachable path: kind, metadata, xattrs, content digest and
/// the first path of its inode (so hard links compare too).
pub fn canonical(tree: &Tree, with_times: bool) -> Vec<String> {
    let mut first: BTreeMap<usize, String> = BTreeMap::new();
    let mut out = Vec::new();
    for (path, id) in tree.walk() {
        let p = lossy(&path);
        let node = tree.node(id).unwrap();
        let link = first.entry(id).or_insert_with(|| p.clone()).clone();
        let kind = match &node.kind {
            NodeKind::File(f) => {
                // Content as its non-zero 4 KiB chunks (trailing zeros
                // trimmed), so a hole and stored zeros compare equal.
                let mut chunks = Vec::new();
                for r in f.runs().unwrap().iter() {
                    let mut off = r.offset;
                    let mut rest = &r.data[..];
                    while !rest.is_empty() {
                        let n = ((4096 - off % 4096) as usize).min(rest.len());
                        let chunk = &rest[..n];
                        let end = chunk
                            .iter()
                            .rposition(|&b| b != 0)
                            .map(|i| i + 1)
                            .unwrap_or(0);
                        if end > 0 {
                            chunks.push(format!("{off}:{:08x}", crc32(&chunk[..end])));
                        }
                        off += n as u64;
                        rest = &rest[n..];
                    }
                }
                format!("file size={} chunks={}", f.size(), chunks.len())
                    + &format!(" {:08x}", crc32(chunks.join(",").as_bytes()))
            }
            NodeKind::Dir(_) => "dir".to_string(),
            NodeKind::Symlink(t) => format!("symlink {}", lossy(t)),
            other => format!("{other:?}"),
        };
        let mut xattrs: Vec<String> = node
            .xattrs
            .iter()
            .map(|x| format!("{}={:02x?}", lossy(&x.name), x.value))
            .collect();
        xattrs.sort();
        let m = &node.meta;
        let times = if with_times {
            format!(
                " a={:?} c={:?} m={:?} cr={:?}",
                m.atime, m.ctime, m.mtime, m.crtime
            )
        } else {
            format!(" m={}", m.mtime.sec)
        };
        out.push(format!(
            "{p} [{link}] {kind} perm={:o} uid={} gid={}{times} xattrs={xattrs:?}",
            m.perm, m.uid, m.gid
        ));
    }
    out
}

fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        t
    });
    let mut c = !0u32;
    for &b in data {
        c = table[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

/// Adds `/lost+found` as the writer does, so that a tree read back compares equal.
pub fn with_lost_found(tree: &Tree) -> Tree {
    let mut t = tree.clone();
    if t.lookup(b"/lost+found").unwrap().is_none() {
        let root = t.node(t.root()).unwrap().meta.clone();
        let mut m = Metadata::new(0o700, 0, 0, Timestamp::default());
        let newest = t
            .walk()
            .iter()
            .map(|(_, id)| t.node(*id).unwrap().meta.mtime.sec)
            .max()
            .unwrap();
        m = Metadata::new(m.perm, 0, 0, Timestamp::from_secs(newest));
        t.insert(b"/lost+found", Node::new(NodeKind::empty_dir(), m), &root)
            .unwrap();
    }
    t
}

/// Materialises a tree on the host (needs root for owners and devices).
pub fn write_host_tree(tree: &Tree, dest: &Path) {
    let mut first: BTreeMap<usize, PathBuf> = BTreeMap::new();
    let walk = tree.walk();
    for (path, id) in &walk {
        let node = tree.node(*id).unwrap();
        let host = dest.join(lossy(path).trim_start_matches('/'));
        if let Some(existing) = first.get(id) {
            std::fs::hard_link(existing, &host).unwrap();
            continue;
        }
        first.insert(*id, host.clone());
        let run = |args: &[&str]| {
            let st = Command::new(args[0]).args(&args[1..]).status().unwrap();
            assert!(st.success(), "{args:?}");
        };
        let hs = host.to_str().unwrap();
        match &node.kind {
            NodeKind::Dir(_) => {
                std::fs::create_dir_all(&host).unwrap();
            }
            NodeKind::File(f) => std::fs::write(&host, f.to_vec().unwrap()).unwrap(),
            NodeKind::Symlink(t) => std::os::unix::fs::symlink(lossy(t), &host).unwrap(),
            NodeKind::CharDevice { major, minor } => {
                run(&["mknod", hs, "c", &major.to_string(), &minor.to_string()])
            }
            NodeKind::BlockDevice { major, minor } => {
                run(&["mknod", hs, "b", &major.to_string(), &minor.to_string()])
            }
            NodeKind::Fifo => run(&["mkfifo", hs]),
            NodeKind::Socket => {
                std::os::unix::net::UnixListener::bind(&host).unwrap();
            }
        }
        // chown drops file capabilities, so attributes come after it.
        std::os::unix::fs::lchown(&host, Some(node.meta.uid), Some(node.meta.gid)).unwrap();
        if !matches!(node.kind, NodeKind::Symlink(_)) {
            std::fs::set_permissions(
                &host,
                std::fs::Permissions::from_mode(node.meta.perm as u32),
            )
            .unwrap();
        }
        for x in &node.xattrs {
            let hex: String = x.value.iter().map(|b| format!("{b:02x}")).collect();
            run(&[
                "setfattr",
                "-h",
                "-n",
                &lossy(&x.name),
                "-v",
                &format!("0x{hex}"),
                hs,
            ]);
        }
    }
    // Times last, children before parents, so creating entries does not touch them.
    for (path, id) in walk.iter().rev() {
        let node = tree.node(*id).unwrap();
        let host = dest.join(lossy(path).trim_start_matches('/'));
        let t = node.meta.mtime;
        let st = Command::new("touch")
            .args(["-h", "-d", &format!("@{}.{:09}", t.sec, t.nsec)])
            .arg(&host)
            .status()
            .unwrap();
        assert!(st.success());
    }
}

/// Asserts two canonical listings are equal, showing only the lines that differ.
pub fn assert_same(got: &[String], want: &[String]) {
    let missing: Vec<_> = want.iter().filter(|l| !got.contains(l)).take(10).collect();
    let extra: Vec<_> = got.iter().filter(|l| !want.contains(l)).take(10).collect();
    assert!(
        missing.is_empty() && extra.is_empty() && got.len() == want.len(),
        "missing {missing:#?}\nunexpected {extra:#?}"
    );
}

pub fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().unwrap();
    let root = String::from_utf8_lossy(&out.stdout).trim() == "0";
    if !root {
        eprintln!("skipping: needs root to create owners and device nodes for mke2fs -d");
    }
    root
}
