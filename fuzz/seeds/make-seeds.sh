#!/usr/bin/env bash
# Makes the committed seed inputs of the fuzz targets with the reference
# tools, in the shapes the differential tests use (KIR's board recipes:
# dragonboard-410c v0, e850-96 v2, gs101 v4 + vendor_boot v4), but with
# tiny parts so each seed stays a few KB. Run from anywhere:
#
#   KIR_MKBOOTIMG=~/.cache/kir/mkbootimg-trixie/tree/usr/bin/mkbootimg fuzz/seeds/make-seeds.sh
#
# Needs Debian's mkbootimg (bookworm, v0-v2), trixie's AOSP mkbootimg
# (KIR_MKBOOTIMG, set by scripts/setup.d/10-mkbootimg.sh; v3/v4/vendor_boot),
# GNU cpio, gzip and dtc. Seeds are inputs, not expectations: regenerating
# them changes nothing a test asserts.
set -euo pipefail
SEEDS=$(cd "$(dirname "$0")" && pwd)
AOSP=${KIR_MKBOOTIMG:?set KIR_MKBOOTIMG to trixie mkbootimg}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"

# Parts: a fake gzip'd kernel with an appended DTB (410c style), a raw
# kernel, a tiny DTB, a 22-byte "initrd", gzip'd cpio ramdisks.
head -c 300 /dev/urandom >Image
gzip -9n <Image >Image.gz
printf '/dts-v1/;\n/ { compatible = "qcom,apq8016-sbc"; model = "seed"; };\n' >board.dts
dtc -q -I dts -O dtb -o board.dtb board.dts
cat Image.gz board.dtb >zImage+dtb
echo "This is not an initrd" >initrd.img
mkdir -p root/usr/lib/modules/6.1.0 && echo "kernel/drivers/x.ko:" >root/usr/lib/modules/6.1.0/modules.dep
(cd root && find . | LC_ALL=C sort | cpio -o -H newc -R +0:+0 --quiet | gzip -9n) >plat.cpio.gz
(cd root && find usr | LC_ALL=C sort | cpio -o -H newc -R +0:+0 --quiet | gzip -9n) >dlkm.cpio.gz
printf 'androidboot.boot_devices=14700000.ufs\n' >bootconfig

b=$SEEDS/bootimg_parse
v=$SEEDS/vendor_boot_parse
c=$SEEDS/cpio_read
mkdir -p "$b" "$v" "$c"

mkbootimg --kernel zImage+dtb --ramdisk initrd.img --pagesize 2048 --base 0x80000000 \
    --cmdline "root=/dev/mmcblk0p14 rw rootwait console=ttyMSM0,115200n8" --output "$b/v0-410c.img"
"$AOSP" --kernel Image --ramdisk plat.cpio.gz --second board.dtb --pagesize 4096 \
    --header_version 0 --board seed --output "$b/v0-second-board.img"
"$AOSP" --kernel Image --ramdisk initrd.img --recovery_dtbo board.dtb --header_version 1 \
    --os_version 11.0.0 --os_patch_level 2021-05 --output "$b/v1-recovery-dtbo.img"
"$AOSP" --kernel Image --cmdline "rw androidboot.hardware=exynos850 earlycon" \
    --os_version 10 --os_patch_level 2019-12-01 --tags_offset 0 --header_version 2 \
    --dtb board.dtb --dtb_offset 0 --output "$b/v2-e850.img"
"$AOSP" --kernel Image --ramdisk plat.cpio.gz --header_version 3 --cmdline "console=ttyS0" \
    --vendor_boot "$v/v3.img" --vendor_ramdisk dlkm.cpio.gz --dtb board.dtb \
    --vendor_cmdline "androidboot.console=ttyS0" --output "$b/v3.img"
"$AOSP" --header_version 4 --dtb board.dtb --kernel Image --vendor_bootconfig bootconfig \
    --vendor_cmdline "root=PARTLABEL=userdata rw rootwait console=ttyMSM0,115200n8" \
    --ramdisk_type platform --ramdisk_name PLAT --vendor_ramdisk_fragment plat.cpio.gz \
    --ramdisk_type dlkm --ramdisk_name DLKM --board_id0 0x2a --vendor_ramdisk_fragment dlkm.cpio.gz \
    --vendor_boot "$v/v4-gs101.img" --output "$b/v4-gs101.img"

(cd root && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$c/newc-tree.cpio"
(cd root && find . | LC_ALL=C sort | cpio -o -H crc --quiet) >"$c/crc-tree.cpio"
mkdir -p links/dev && echo data >links/a && ln links/a links/b && ln -s a links/c && mkfifo links/p
(cd links && find . | LC_ALL=C sort | cpio -o -H newc -R +0:+0 --quiet) >"$c/hardlink-symlink-fifo.cpio"
cp plat.cpio.gz "$c/gzip.cpio.gz"
cat plat.cpio.gz dlkm.cpio.gz >"$c/two-gzip-members.cpio.gz"
ls -l "$b" "$v" "$c"

# fuzz/seeds/tuxsuite_plan_parse/*.yaml are hand-written TuxSuite plans (every job shape,
# the matrix syntax, YAML anchors and merge keys); no tool makes them.

# fuzz/seeds/repack_inputs: what `kir repack-boot` checks before building:
# a DTB (dtc), an arm64 Image header with a version banner, its gzip, and a
# modules tarball (GNU tar) with lib/modules/<release>.
r=$SEEDS/repack_inputs
mkdir -p "$r"
printf '/dts-v1/;\n/ { compatible = "google,gs101-oriole", "google,gs101"; model = "seed"; chosen { }; };\n' >gs101.dts
dtc -q -I dts -O dtb -o "$r/gs101-oriole.dtb" gs101.dts
{ printf 'MZ\0\0\0\0\0\x14'; head -c 48 /dev/zero; printf 'ARMd\0\0\0\0'; printf 'Linux version 6.1.0-seed (seed) #1\n'; } >"$r/arm64-Image"
gzip -9n <"$r/arm64-Image" >"$r/arm64-Image.gz"
mkdir -p mods/lib/modules/6.1.0-seed/kernel && echo "kernel/x.ko:" >mods/lib/modules/6.1.0-seed/modules.dep
printf '\x7fELF' >mods/lib/modules/6.1.0-seed/kernel/x.ko
tar -C mods --owner=0 --group=0 --numeric-owner --sort=name --mtime=@0 -cf "$r/modules.tar" lib
ls -l "$r"
mkdir -p "$SEEDS"/sparse_decode "$SEEDS"/disk_tables "$SEEDS"/fat_read

# sparse_decode (needs android-sdk-libsparse-utils, fdisk, gdisk, dosfstools, mtools): images written by AOSP img2simg (android-sdk-libsparse-utils).
head -c 3000 /dev/urandom > "$W/r.bin"; dd if=/dev/zero bs=1k count=8 >> "$W/r.bin"
img2simg "$W/r.bin" "$SEEDS"/sparse_decode/img2simg-random-and-zeros.simg 1024
printf 'abcd%.0s' $(seq 1 1024) > "$W/f.bin"
img2simg "$W/f.bin" "$SEEDS"/sparse_decode/img2simg-fill-pattern.simg

# disk_tables: sector 0 of an sfdisk MBR disk, LBA 0-33 of an sgdisk GPT disk.
truncate -s 4M "$W/d.img"
printf 'label: dos\nlabel-id: 0x1234\nstart=2048, size=2048, type=6, bootable\nstart=4096, type=83\n' | sfdisk -q "$W/d.img"
head -c 512 "$W/d.img" >"$SEEDS"/disk_tables/sfdisk-mbr-two-partitions.bin
truncate -s 4M "$W/g.img"
sgdisk -q -n 1:2048:4095 -t 1:EF00 -c 1:esp -n 2:4096:0 -c 2:rootfs "$W/g.img"
head -c $((34 * 512)) "$W/g.img" >"$SEEDS"/disk_tables/sgdisk-gpt-two-partitions.bin

# fat_read: a 128 KiB FAT12 volume from mkfs.fat with a long name and a directory (mtools).
truncate -s 128K "$W/fat.img"; mkfs.fat -F 12 -n SEED "$W/fat.img"
echo hello > "$W/hello.txt"
mcopy -i "$W/fat.img" "$W/hello.txt" "::a long file name.txt"
mmd -i "$W/fat.img" ::dir; mcopy -i "$W/fat.img" "$W/hello.txt" ::dir/x
cp "$W/fat.img" "$SEEDS"/fat_read/mkfs-fat12-lfn-and-dir.img

# ext4_read (needs e2fsprogs): 96 KiB images made by mke2fs -d from a small tree
# (file, symlink, hard link, fifo, a 3000-byte file): ext4 without journal,
# with inline_data, and ext2 (block maps).
mkdir -p "$W/e4/sub"; echo hello >"$W/e4/a"; ln -s a "$W/e4/l"; ln "$W/e4/a" "$W/e4/sub/h"
mkfifo "$W/e4/p"; printf 'x%.0s' $(seq 1 3000) >"$W/e4/sub/big"
mke2fs -q -F -t ext4 -O ^has_journal -N 32 -d "$W/e4" "$SEEDS"/ext4_read/mke2fs-ext4-no-journal.img 96k
mke2fs -q -F -t ext4 -O ^has_journal,inline_data -N 32 -d "$W/e4" "$SEEDS"/ext4_read/mke2fs-inline-data.img 96k
mke2fs -q -F -t ext2 -N 32 -d "$W/e4" "$SEEDS"/ext4_read/mke2fs-ext2-block-map.img 96k

# tar_read (GNU tar): the same tree as pax (with xattrs) and GNU archives, and
# a GNU sparse member (1 MiB hole, then data).
tar --format=pax --xattrs -C "$W/e4" -cf "$SEEDS"/tar_read/gnu-tar-pax.tar .
tar --format=gnu -C "$W/e4" -cf "$SEEDS"/tar_read/gnu-tar-gnu.tar .
truncate -s 1M "$W/sp"; echo end >>"$W/sp"
tar --sparse --format=gnu -C "$W" -cf "$SEEDS"/tar_read/gnu-tar-sparse.tar sp
