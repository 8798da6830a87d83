#!/usr/bin/env bash
# Times `kir repack-boot -t dragonboard-845c` against KIR's own recipe for the
# same board (gzip + cat + tar + find|cpio|gzip -9 + cat + mkbootimg) on the
# real Debian trixie inputs (scripts/fetch-real-inputs). Whole process, median
# of RUNS runs (default 5). Needs a release build: cargo build --release -p kir-cli.
#
#   scripts/bench/repack-boot.sh [KIR_BINARY]
set -euo pipefail
cd "$(dirname "$0")/../.."
kir=$(realpath "${1:-${CARGO_TARGET_DIR:-target}/release/kir}")
inputs=${KIR_REAL_INPUTS:-${KIR_CACHE:-$HOME/.cache/kir}/real-inputs}/trixie
runs=${RUNS:-5}
[ -e "$inputs/done" ] || { echo "no real inputs in $inputs: run scripts/fetch-real-inputs" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

kir_run() {
    "$kir" repack-boot -t dragonboard-845c -k "$inputs/Image" -d "$inputs/dtbs/sdm845-db845c.dtb" \
        -i "$inputs/initrd.cpio.gz" -m "$inputs/modules.tar.gz" -o "$work/kir" >/dev/null 2>&1
}

# KIR's repack_boot.sh steps for dragonboard-845c, in a scratch directory.
kir_shell_run() {
    local d=$work/shell
    rm -rf "$d" && mkdir -p "$d/modules_dir/usr" && cd "$d"
    gzip -c "$inputs/Image" >zImage
    cat zImage "$inputs/dtbs/sdm845-db845c.dtb" >zImage+dtb
    tar -xf "$inputs/modules.tar.gz" -C modules_dir/usr
    (cd modules_dir && find . | cpio -o -H newc -R +0:+0 --quiet | gzip -9) >modules.cpio.gz
    cat "$inputs/initrd.cpio.gz" modules.cpio.gz >final-initrd.cpio.gz
    mkbootimg --kernel zImage+dtb --ramdisk final-initrd.cpio.gz --pagesize 4096 --base 0x80000000 \
        --cmdline "root=/dev/sda1 init=/sbin/init rw console=tty0 console=ttyMSM0,115200n8 earlycon clk_ignore_unused pd_ignore_unused -- " \
        --output boot.img
    cd - >/dev/null
}

median() {
    local name=$1 i t0 t1 times=()
    for ((i = 0; i < runs; i++)); do
        t0=$(date +%s%N)
        "$name"
        t1=$(date +%s%N)
        times+=($(((t1 - t0) / 1000000)))
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

ref=$(median kir_shell_run)
ours=$(median kir_run)
echo "dragonboard-845c repack, trixie 6.12 Image $(stat -c %s "$inputs/Image") B + $(stat -c %s "$inputs/modules.tar.gz") B modules"
echo "KIR shell recipe: ${ref} ms (median of $runs)"
echo "kir repack-boot:  ${ours} ms (median of $runs)"
