# Sourced by scripts/test. Builds a Debian bookworm minbase root file system
# from Debian packages with mmdebstrap, once, as a tarball in
# "$KIR_CACHE/debian-rootfs" (owners, modes and device nodes live in the tar
# headers, not on the host), and exports KIR_DEBIAN_ROOTFS_TAR for the
# real-rootfs ext4 test (kir-core/tests/rootfs_debian.rs) and the ext4 bench.
#
# mmdebstrap picks its mode itself: chroot as root (CI), unshare or
# fakechroot otherwise. The mirror is the one the system's apt sources name
# (override: KIR_DEBIAN_MIRROR); the system's apt configuration is untouched.

kir_setup_debian_rootfs() {
    local dir="$KIR_CACHE/debian-rootfs"
    local tar="$dir/bookworm-minbase.tar"
    if [ ! -f "$tar" ] || [ ! -s "$tar" ]; then
        # An earlier run without --format=tar left a directory under this name.
        [ -d "$tar" ] && rm -rf "$tar"
        command -v mmdebstrap >/dev/null || { echo "mmdebstrap missing (scripts/deps/apt.txt)"; return 1; }
        local mirror=${KIR_DEBIAN_MIRROR:-}
        if [ -z "$mirror" ]; then
            mirror=$(grep -hE '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
                awk '{print $2}' | grep -v security | head -n1 || true)
        fi
        if [ -z "$mirror" ]; then
            mirror=$(grep -hE '^\s*deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
                sed -E 's/\[[^]]*\]//' | awk '{print $2}' | grep -v security | head -n1 || true)
        fi
        [ -n "$mirror" ] || { echo "no Debian mirror in the apt sources; set KIR_DEBIAN_MIRROR"; return 1; }
        mkdir -p "$dir"
        echo "building Debian bookworm minbase with mmdebstrap from $mirror"
        SOURCE_DATE_EPOCH=1700000000 mmdebstrap --quiet --variant=minbase --mode=auto --format=tar \
            bookworm "$tar.tmp" "$mirror" || { rm -rf "$tar.tmp"; return 1; }
        mv "$tar.tmp" "$tar"
    fi
    export KIR_DEBIAN_ROOTFS_TAR="$tar"
    echo "KIR_DEBIAN_ROOTFS_TAR=$KIR_DEBIAN_ROOTFS_TAR ($(du -h "$tar" | cut -f1))"
}

kir_setup_debian_rootfs
