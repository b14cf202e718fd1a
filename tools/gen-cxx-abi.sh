#!/usr/bin/env bash
# gen-cxx-abi.sh [OUT]              (default: data/cxx-abi.txt)
#
# Generate elfcompat's libstdc++ / libgcc_s ABI data: fetch Debian's libstdc++6
# and libgcc-s1 of bullseye (GCC 10), bookworm (GCC 12) and trixie (GCC 14) for
# every architecture below with tools/debian-fetch.sh (cached under
# ${ELFCOMPAT_CACHE:-$HOME/.cache/elfcompat}/cxx-abi/SUITE-ARCH), read every
# exported dynamic symbol of libstdc++.so.6 and libgcc_s.so.1 with every version
# tag it has (`readelf -W --dyn-syms`), and write the table OUT (format:
# tools/gen-cxx-abi/gen_cxx_abi.py). The output depends only on the packages'
# contents: running it twice gives the same bytes. See docs/abi-data.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${1:-$repo/data/cxx-abi.txt}
cache=${ELFCOMPAT_CACHE:-${HOME:?HOME is not set}/.cache/elfcompat}

suites=(bullseye bookworm trixie)
arches=(amd64 arm64 i386 armhf ppc64el s390x riscv64)

for tool in readelf python3; do
    command -v "$tool" >/dev/null || { echo "gen-cxx-abi: '$tool' not found" >&2; exit 1; }
done

# libstdc++6 and libgcc-s1 come from the main and -updates archives, never from
# -security: leave the security archive out, so that a security mirror caught
# mid-sync ("File has unexpected size") cannot stop the run. The system's source
# file is only read; the filtered copy is temporary.
sources=${ELFCOMPAT_APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}
nosec=$(mktemp)
trap 'rm -f "$nosec"' EXIT
case $sources in
    *.sources) awk 'BEGIN { RS = ""; ORS = "\n\n" } !/(^|\n)Suites:[^\n]*-security/' "$sources" > "$nosec" ;;
    *) grep -v -e '-security' -e '/updates' "$sources" > "$nosec" || true ;;
esac
export ELFCOMPAT_APT_SOURCES=$nosec

roots=()
for suite in "${suites[@]}"; do
    for arch in "${arches[@]}"; do
        # riscv64 became an official Debian architecture with trixie.
        if [ "$arch" = riscv64 ] && [ "$suite" != trixie ]; then continue; fi
        # Debian 11 LTS covers amd64, arm64, armhf and i386 only: its archive no longer
        # has ppc64el or s390x, whose data therefore starts with bookworm.
        if [ "$suite" = bullseye ] && { [ "$arch" = ppc64el ] || [ "$arch" = s390x ]; }; then continue; fi
        root=$cache/cxx-abi/$suite-$arch
        "$here/debian-fetch.sh" "$suite" "$arch" "$root" libstdc++6 libgcc-s1 >&2
        roots+=("$suite:$arch:$root")
    done
done

tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$nosec" "$tmp"' EXIT
python3 "$here/gen-cxx-abi/gen_cxx_abi.py" "${roots[@]}" > "$tmp"
chmod 644 "$tmp"   # mktemp makes it 600
mv "$tmp" "$out"
echo "gen-cxx-abi: wrote $out ($(wc -c < "$out") bytes)" >&2
