"""cpio newc archives through kir, checked against GNU cpio where it is installed."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import kir
import pytest
from conftest import in_ci

ENTRIES = [
    kir.CpioNewEntry("init", "file", data=b"#!/bin/sh\nexec sh\n", permissions=0o755),
    kir.CpioNewEntry("dev", "directory", permissions=0o755),
    kir.CpioNewEntry("dev/console", "char_device", major=5, minor=1, permissions=0o600),
    kir.CpioNewEntry("bin", "directory", permissions=0o755),
    kir.CpioNewEntry("bin/sh", "symlink", target="busybox", permissions=0o777),
    kir.CpioNewEntry("bin/busybox", "file", data=b"\x7fELF" + bytes(100), permissions=0o755),
]


def gnu_cpio() -> str:
    found = shutil.which("cpio")
    if found:
        return found
    if in_ci():
        pytest.fail("GNU cpio is missing (scripts/deps/apt.txt installs it)")
    pytest.skip("GNU cpio not installed")


def test_written_archive_reads_back_sorted_with_types_and_data() -> None:
    archive = kir.cpio_write(ENTRIES)
    assert len(archive) % 512 == 0
    entries = kir.cpio_read(archive)
    assert [e.name for e in entries] == ["bin", "bin/busybox", "bin/sh", "dev", "dev/console", "init"]
    by_name = {e.name: e for e in entries}
    assert by_name["init"].data == b"#!/bin/sh\nexec sh\n"
    assert by_name["init"].permissions == 0o755
    assert by_name["bin/sh"].file_type == "symlink"
    assert by_name["bin/sh"].data == b"busybox"
    assert (by_name["dev/console"].rdev_major, by_name["dev/console"].rdev_minor) == (5, 1)
    assert all(e.uid == 0 and e.gid == 0 and e.mtime == 0 for e in entries)


def test_gnu_cpio_lists_what_kir_wrote(tmp_path: Path) -> None:
    cpio = gnu_cpio()
    archive = tmp_path / "initrd.cpio"
    archive.write_bytes(kir.cpio_write(ENTRIES, mtime=1_700_000_000))
    listing = subprocess.run(
        [cpio, "-it", "--quiet"], stdin=archive.open("rb"), capture_output=True, check=True, text=True
    ).stdout.split()
    assert listing == ["bin", "bin/busybox", "bin/sh", "dev", "dev/console", "init"]


def test_gnu_cpio_archive_reads_in_kir(tmp_path: Path) -> None:
    cpio = gnu_cpio()
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "hostname").write_bytes(b"lab\n")
    (root / "etc" / "motd").symlink_to("hostname")
    made = subprocess.run(
        [cpio, "-o", "-H", "newc", "--quiet"],
        input=b"etc\netc/hostname\netc/motd\n",
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout
    entries = {e.name: e for e in kir.cpio_read(made)}
    assert entries["etc/hostname"].data == b"lab\n"
    assert entries["etc/motd"].file_type == "symlink"
    assert entries["etc"].file_type == "directory"


def test_gzip_members_back_to_back_read_as_an_initramfs() -> None:
    base = kir.cpio_write(ENTRIES[:1], gzip_level=9)
    modules = kir.cpio_write([kir.CpioNewEntry("usr", "directory", permissions=0o755)], gzip_level=9)
    assert kir.sniff_compression(base) == "gzip"
    assert gzip.decompress(base) == kir.cpio_write(ENTRIES[:1])
    segments = kir.cpio_read_initramfs(base + modules)
    assert [s.compression for s in segments] == ["gzip", "gzip"]
    assert segments[1].offset == len(base)
    assert [e.name for s in segments for e in s.entries] == ["init", "usr"]
    assert kir.decompress(base + modules) == gzip.decompress(base + modules)


def test_read_entries_rewrite_to_the_same_archive() -> None:
    archive = kir.cpio_write(ENTRIES)
    again = kir.cpio_write(kir.cpio_to_new_entries(kir.cpio_read(archive)))
    assert again == archive


def test_extract_writes_files_and_skips_device_nodes(tmp_path: Path) -> None:
    report = kir.cpio_extract(kir.cpio_read(kir.cpio_write(ENTRIES)), tmp_path / "out")
    assert (tmp_path / "out" / "init").read_bytes() == b"#!/bin/sh\nexec sh\n"
    assert (tmp_path / "out" / "bin" / "sh").readlink() == Path("busybox")
    assert report.skipped == ["dev/console"]
    assert report.written == 5


def test_truncated_archive_raises_malformed_error_with_offset_and_field() -> None:
    archive = kir.cpio_write(ENTRIES)
    with pytest.raises(kir.MalformedError) as caught:
        kir.cpio_read(archive[:50])
    err = caught.value
    assert err.format == "cpio newc"
    assert err.offset == 0
    assert err.field == "header"
    assert "0x0" in str(err)


def test_bad_magic_names_the_offset_of_the_entry() -> None:
    archive = bytearray(kir.cpio_write(ENTRIES))
    second = archive.index(b"070701", 6)
    archive[second : second + 6] = b"123456"
    with pytest.raises(kir.MalformedError) as caught:
        kir.cpio_read(bytes(archive))
    assert caught.value.offset == second


def test_unknown_entry_kind_raises_invalid_argument_error() -> None:
    with pytest.raises(kir.InvalidArgumentError) as caught:
        kir.CpioNewEntry("x", "pipe")
    assert caught.value.name == "kind"


def test_dotdot_path_raises_invalid_argument_error_naming_the_path() -> None:
    with pytest.raises(kir.InvalidArgumentError) as caught:
        kir.cpio_write([kir.CpioNewEntry("../etc/passwd", "file")])
    assert caught.value.name == "../etc/passwd"


def test_extract_refuses_entries_escaping_the_destination(tmp_path: Path) -> None:
    import kir as k

    # An archive GNU cpio would write from `cpio -o` of "../evil": kir's writer
    # refuses such names, so build the entry from the bytes of a legal one.
    archive = bytearray(k.cpio_write([k.CpioNewEntry("aaaaaa", "file", data=b"x")], pad_to=0))
    archive = archive.replace(b"aaaaaa\x00", b"../evi\x00")
    with pytest.raises(kir.UnsafePathError) as caught:
        kir.cpio_extract(kir.cpio_read(bytes(archive)), tmp_path / "out")
    assert caught.value.entry == "../evi"
    assert not (tmp_path / "evi").exists()


def test_extract_into_a_file_raises_io_error_with_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_bytes(b"")
    with pytest.raises(kir.IoError) as caught:
        kir.cpio_extract(kir.cpio_read(kir.cpio_write(ENTRIES)), blocker)
    assert caught.value.path.startswith(str(blocker))
    assert isinstance(caught.value.errno, int)


def test_corrupt_gzip_member_raises_a_kir_error() -> None:
    member = bytearray(kir.cpio_write(ENTRIES, gzip_level=6))
    member[20:40] = bytes(20)
    with pytest.raises(kir.KirError):
        kir.cpio_read_initramfs(bytes(member))
