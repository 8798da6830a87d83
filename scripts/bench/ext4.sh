#!/bin/sh
# ext4 images: kir against e2fsprogs on a real root file system.
#   1. build: a Debian bookworm minbase root (scripts/setup.d/30-debian-rootfs.sh)
#      plus the modules of Debian's linux-image-<ver>-amd64 (~380 MiB)
#        kir create-ext4-rootfs --rootfs minbase.tar --modules modules.tar
#      against mke2fs -d on the same tree extracted to a directory (as root);
#      both images the same size, both e2fsck -fn clean.
#   2. re-image (KIR's resize-rootfs on an .ext4.gz plus a modules tarball):
#        kir resize-rootfs -f rootfs.ext4.gz -o modules.tar.gz -c
#      against the best rootless pipeline of existing tools:
#        gunzip -k; debugfs -R 'rdump / dir'; rm -rf dir/lib/modules/*;
#        tar -xf modules.tar.gz -C dir; mke2fs -d dir new.ext4 SIZE
# Timing: best of 3 runs of each (wall clock).
# Needs: cargo, mke2fs, e2fsck, debugfs, tar, gzip, apt-get, dpkg-deb, mmdebstrap; root.
set -eu

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export KIR_CACHE="${KIR_CACHE:-$HOME/.cache/kir}"
cargo build --release -q -p kir-cli --manifest-path "$ROOT/Cargo.toml"
KIR="$CARGO_TARGET_DIR/release/kir"

if [ -z "${KIR_DEBIAN_ROOTFS_TAR:-}" ]; then
  # shellcheck disable=SC1091
  (cd "$ROOT" && . scripts/setup.d/30-debian-rootfs.sh >/dev/null)
  KIR_DEBIAN_ROOTFS_TAR="$KIR_CACHE/debian-rootfs/bookworm-minbase.tar"
fi
MINBASE="$KIR_DEBIAN_ROOTFS_TAR"

# Modules of the host architecture's Debian kernel, as a tarball of lib/modules.
MODDIR="$KIR_CACHE/bench-ext4"
mkdir -p "$MODDIR"
if [ ! -s "$MODDIR/modules.tar" ]; then
  pkg=$(apt-cache depends "linux-image-$(dpkg --print-architecture)" | awk '/Depends: linux-image-/ {print $2; exit}')
  (cd "$MODDIR" && apt-get download -qq "$pkg")
  mkdir -p "$MODDIR/x"
  dpkg-deb -x "$MODDIR"/linux-image-*.deb "$MODDIR/x"
  tar -C "$MODDIR/x" -cf "$MODDIR/modules.tar.tmp" lib/modules
  mv "$MODDIR/modules.tar.tmp" "$MODDIR/modules.tar"
  rm -rf "$MODDIR/x" "$MODDIR"/linux-image-*.deb
fi
MODULES="$MODDIR/modules.tar"

WORK="$(mktemp -d "${TMPDIR:-/var/tmp}/kir-bench-ext4.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

best_of_3() { # prints the best wall time in seconds of running "$@" three times
  best=
  for _ in 1 2 3; do
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    t=$(echo "$t1 - $t0" | bc)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
  done
  printf '%.2f' "$best"
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. build ---------------------------------------------------------------
mkdir "$WORK/tree"
tar -C "$WORK/tree" -xpf "$MINBASE"
tar -C "$WORK/tree" -xpf "$MODULES"
content=$(du -sb "$WORK/tree" | cut -f1)
"$KIR" create-ext4-rootfs --profile debian --rootfs "$MINBASE" --modules "$MODULES" --output_file "$WORK/kir.ext4"
size=$(stat -c %s "$WORK/kir.ext4")
e2fsck -fn "$WORK/kir.ext4" >/dev/null
mke2fs_build() { rm -f "$WORK/ref.ext4"; mke2fs -q -F -t ext4 -d "$WORK/tree" "$WORK/ref.ext4" "$((size / 1024))k"; }
mke2fs_build
e2fsck -fn "$WORK/ref.ext4" >/dev/null
kir_build() { "$KIR" create-ext4-rootfs --profile debian --rootfs "$MINBASE" --modules "$MODULES" --output_file "$WORK/kir.ext4"; }
t_ref=$(best_of_3 mke2fs_build)
t_kir=$(best_of_3 kir_build)
echo "build: tree $((content / 1048576)) MiB, image $((size / 1048576)) MiB: mke2fs -d ${t_ref}s, kir ${t_kir}s, speed-up $(echo "scale=2; $t_ref / $t_kir" | bc)x"

# --- 2. re-image ------------------------------------------------------------
gzip -c "$WORK/ref.ext4" > "$WORK/rootfs.ext4.gz"
gzip -c "$MODULES" > "$WORK/modules.tar.gz"
rm -f "$WORK/ref.ext4" "$WORK/kir.ext4"
pipeline() {
  rm -rf "$WORK/p" && mkdir "$WORK/p" && cd "$WORK/p"
  gunzip -c "$WORK/rootfs.ext4.gz" > in.ext4
  mkdir dir
  debugfs -R "rdump / dir" in.ext4
  rm -rf dir/lib/modules/*
  tar -xf "$WORK/modules.tar.gz" -C dir
  mke2fs -q -F -t ext4 -d dir new.ext4 "$(( $(du -sk dir | cut -f1) + 64000 + 65536 ))k"
  cd "$WORK"
}
kir_reimage() {
  rm -rf "$WORK/k" && mkdir "$WORK/k"
  "$KIR" resize-rootfs -f "$WORK/rootfs.ext4.gz" -o "$WORK/modules.tar.gz" -c --output-dir "$WORK/k"
}
kir_reimage
e2fsck -fn "$WORK/k/rootfs.ext4" >/dev/null
t_ref=$(best_of_3 pipeline)
t_kir=$(best_of_3 kir_reimage)
echo "re-image: mke2fs-made $(($(stat -c %s "$WORK/rootfs.ext4.gz") / 1048576)) MiB .ext4.gz + modules: gunzip+debugfs rdump+tar+mke2fs -d ${t_ref}s, kir ${t_kir}s, speed-up $(echo "scale=2; $t_ref / $t_kir" | bc)x"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
