# Sourced by scripts/test. Fetches real arm64 kernels, board DTBs and modules
# of Debian bookworm (6.1) and trixie (6.12) from the Debian registry into
# "$KIR_CACHE/real-inputs" (once; later runs reuse them) and exports
# KIR_REAL_INPUTS for the real-input tier (kir-core/tests/real_boot_targets.rs).
# See scripts/fetch-real-inputs for the layout; the system's apt configuration
# is not touched.

kir_setup_debian_kernels() {
    local dest="$KIR_CACHE/real-inputs"
    scripts/fetch-real-inputs "$dest" || return 1
    export KIR_REAL_INPUTS="$dest"
    echo "KIR_REAL_INPUTS=$KIR_REAL_INPUTS ($(cat "$dest"/*/release 2>/dev/null | tr '\n' ' '))"
}

kir_setup_debian_kernels
