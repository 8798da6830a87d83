"""ext4 and root file systems through kir, checked with e2fsprogs' e2fsck."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path

import kir
import pytest
from conftest import in_ci


def small_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        d = tarfile.TarInfo("etc")
        d.type = tarfile.DIRTYPE
        d.mode = 0o755
        t.addfile(d)
        data = b"lab\n"
        f = tarfile.TarInfo("etc/hostname")
        f.size = len(data)
        f.mode = 0o644
        f.uid = 1000
        f.gid = 1000
        t.addfile(f, io.BytesIO(data))
        n = tarfile.TarInfo("dev/null")
        n.type = tarfile.CHRTYPE
        n.devmajor, n.devminor = 1, 3
        n.mode = 0o666
        t.addfile(n)
    return buf.getvalue()


def test_tar_becomes_an_ext4_that_lists_back_with_owners_and_devices(tmp_path: Path) -> None:
    image = kir.ext4_from_tar(small_tar(), profile="debian")
    entries = {path: (mode, uid, gid, size) for path, mode, uid, gid, size in kir.ext4_list(image)}
    assert entries["/etc/hostname"] == (0o100644, 1000, 1000, 4)
    assert entries["/dev/null"][0] == 0o020666
    assert "/lost+found" in entries
    e2fsck = shutil.which("e2fsck")
    if e2fsck is None:
        if in_ci():
            pytest.fail("e2fsck missing (scripts/deps/apt.txt installs e2fsprogs)")
        pytest.skip("e2fsck not installed")
    img = tmp_path / "fs.ext4"
    img.write_bytes(image)
    subprocess.run([e2fsck, "-fn", str(img)], check=True, capture_output=True)


def test_ext4_to_tar_round_trips_file_content() -> None:
    image = kir.ext4_from_tar(small_tar())
    with tarfile.open(fileobj=io.BytesIO(kir.ext4_to_tar(image))) as t:
        member = t.extractfile("./etc/hostname")
        assert member is not None
        assert member.read() == b"lab\n"


def test_garbage_image_raises_malformed_error() -> None:
    with pytest.raises(kir.MalformedError) as e:
        kir.ext4_list(bytes(8192))
    assert e.value.field == "s_magic"


def test_unknown_profile_raises_invalid_argument() -> None:
    with pytest.raises(kir.InvalidArgumentError):
        kir.ext4_from_tar(small_tar(), profile="ext2")


def test_resize_rootfs_reimages_a_tarball_with_an_overlay(tmp_path: Path) -> None:
    rootfs = tmp_path / "base.rootfs.tar"
    rootfs.write_bytes(small_tar())
    overlay = tmp_path / "modules.tar"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        f = tarfile.TarInfo("lib/modules/6.1/x.ko")
        f.size = 3
        t.addfile(f, io.BytesIO(b"ko!"))
    overlay.write_bytes(buf.getvalue())
    out = kir.resize_rootfs(rootfs, overlay=overlay, extra_size_kib=100, output_dir=tmp_path)
    assert Path(out).name == "base.new.rootfs"
    paths = [p for p, *_ in kir.ext4_list(Path(out).read_bytes())]
    assert "/lib/modules/6.1/x.ko" in paths
