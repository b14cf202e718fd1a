#!/usr/bin/env bash
# old-glibc.sh [SUITE] [ARCH]        (default: bullseye amd64)
#
# Put SUITE's glibc runtime for ARCH (libc6, libstdc++6, libgcc-s1) into
#   ${ELFCOMPAT_CACHE:-$HOME/.cache/elfcompat}/runtime/SUITE-ARCH/
# using tools/debian-fetch.sh, write ROOT/elfcompat-runtime.env (LOADER=,
# LIBPATH=, GLIBC_VERSION=, TRIPLET=; sourceable by sh) and print ROOT as the
# last line of stdout.  Progress goes to stderr.  Idempotent and cheap when the
# runtime is already there.  How to run a program under it: tools/README.md.
set -euo pipefail

suite=${1:-bullseye}
arch=${2:-amd64}
if [ $# -gt 2 ] || [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
    echo "usage: $0 [SUITE] [ARCH]    (default: bullseye amd64)" >&2
    exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${ELFCOMPAT_CACHE:-${HOME:?HOME is not set}/.cache/elfcompat}
root=$cache/runtime/$suite-$arch

"$here/debian-fetch.sh" "$suite" "$arch" "$root" libc6 libstdc++6 libgcc-s1 >&2
root=$(cd "$root" && pwd)

env_file=$root/elfcompat-runtime.env
if [ ! -s "$env_file" ]; then
    # libc.so.6 lives in lib/TRIPLET (bullseye) or usr/lib/TRIPLET (merged /usr).
    libc=$(for d in "$root/lib" "$root/usr/lib"; do
               [ -d "$d" ] || continue
               find "$d" -maxdepth 2 -name libc.so.6
           done | head -n1)
    [ -n "$libc" ] || { echo "old-glibc: no libc.so.6 under $root" >&2; exit 1; }
    libdir=$(dirname "$libc")
    triplet=$(basename "$libdir")
    # The loader: ld-X.Y.so (glibc < 2.34) or the ld-linux*/ld64 name itself.
    loader=$(find "$libdir" -maxdepth 1 -type f \( -name 'ld-[0-9]*.so' -o -name 'ld-linux*.so.*' -o -name 'ld64.so.*' \) | head -n1)
    [ -n "$loader" ] || { echo "old-glibc: no dynamic loader in $libdir" >&2; exit 1; }
    # The GLIBC_X.Y version of the fetched libc6 (from its package version).
    ver=$(cat "$root"/.complete-* | sed -n 's/^libc6_\([0-9]*\.[0-9]*\).*/\1/p' | head -n1)
    libpath=$root/lib/$triplet:$root/usr/lib/$triplet
    {
        echo "# written by tools/old-glibc.sh; sourceable by sh"
        echo "SUITE='$suite'"
        echo "ARCH='$arch'"
        echo "TRIPLET='$triplet'"
        echo "GLIBC_VERSION='$ver'"
        echo "LOADER='$loader'"
        echo "LIBPATH='$libpath'"
    } > "$env_file.tmp.$$"
    mv "$env_file.tmp.$$" "$env_file"
fi
echo "$root"
