# Sourced by scripts/test. Fetches the AOSP mkbootimg of Debian trixie (pure
# Python, arch all) from the Debian registry into "$KIR_CACHE" and exports
# KIR_MKBOOTIMG / KIR_UNPACK_BOOTIMG for the boot image differential tests.
#
# Bookworm's own mkbootimg (1:29) writes a pre-release v3 layout and refuses
# v4, so the oracle is trixie's 1:34.0.5. The system's apt sources are left
# alone: apt runs with a private sources list and private state under the
# cache, pointing at the Debian mirror this machine already uses.

kir_setup_mkbootimg() {
    local root="$KIR_CACHE/mkbootimg-trixie"
    local tree="$root/tree" mirror=
    if [ ! -x "$tree/usr/bin/mkbootimg" ] || [ ! -x "$tree/usr/bin/unpack_bootimg" ]; then
        # The first Debian mirror named in the system sources (deb822 or one-line).
        mirror=$(sed -n -E 's#^URIs:[[:space:]]*([^[:space:]]+/debian)/?([[:space:]].*)?$#\1#p' \
            /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 || true)
        if [ -z "$mirror" ]; then
            mirror=$(sed -n -E 's#^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+/debian)/?[[:space:]].*#\2#p' \
                /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1 || true)
        fi
        [ -n "$mirror" ] || { echo "no Debian mirror in the apt sources"; return 1; }

        local apt="$root/apt"
        rm -rf "$apt" "$root/deb" "$tree.tmp"
        mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$root/deb"
        echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" \
            >"$apt/sources.list"
        local opts=(
            -o "Dir::Etc::sourcelist=$apt/sources.list"
            -o "Dir::Etc::sourceparts=$apt/none"
            -o "Dir::State::Lists=$apt/lists"
            -o "Dir::Cache=$apt/cache"
            -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
            -o "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false"
            -o "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false"
            -o "Debug::NoLocking=1"
            -o "APT::Sandbox::User=root"
        )
        echo "fetching mkbootimg (trixie) from $mirror"
        apt-get -qq "${opts[@]}" update || return 1
        (cd "$root/deb" && apt-get -qq "${opts[@]}" download mkbootimg/trixie) || return 1
        dpkg-deb -x "$root"/deb/mkbootimg_*.deb "$tree.tmp" || return 1
        rm -rf "$tree" "$apt"
        mv "$tree.tmp" "$tree"
    fi
    export KIR_MKBOOTIMG="$tree/usr/bin/mkbootimg"
    export KIR_UNPACK_BOOTIMG="$tree/usr/bin/unpack_bootimg"
    echo "KIR_MKBOOTIMG=$KIR_MKBOOTIMG"
}

kir_setup_mkbootimg
