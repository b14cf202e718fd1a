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

# (A root filled from the cross packages before goes there directly.)
if grep -qs -- "-$arch-cross_" "$root"/.complete-* ||
   ! "$here/debian-fetch.sh" "$suite" "$arch" "$root" libc6 libstdc++6 libgcc-s1 >&2; then
    # A suite past its last point release keeps only its LTS architectures in the main
    # archive (bullseye: amd64, arm64, armhf, i386), but Debian's cross-toolchain builds of
    # the same libraries for the others are Architecture: all packages and stay. They
    # install under usr/TRIPLET/lib.
    echo "old-glibc: no $suite/$arch libc6; trying $suite's libc6-$arch-cross" >&2
    "$here/debian-fetch.sh" "$suite" "$(dpkg --print-architecture)" "$root" \
        "libc6-$arch-cross" "libstdc++6-$arch-cross" "libgcc-s1-$arch-cross" >&2
fi
root=$(cd "$root" && pwd)

env_file=$root/elfcompat-runtime.env
if [ ! -s "$env_file" ]; then
    # libc.so.6 lives in lib/TRIPLET (bullseye) or usr/lib/TRIPLET (merged /usr).
    # The cross packages put it in usr/TRIPLET/lib.
    libc=$(for d in "$root/lib" "$root/usr/lib" "$root"/usr/*-linux-*/lib; do
               [ -d "$d" ] || continue
               find "$d" -maxdepth 2 -name libc.so.6
           done | head -n1)
    [ -n "$libc" ] || { echo "old-glibc: no libc.so.6 under $root" >&2; exit 1; }
    libdir=$(dirname "$libc")
    triplet=$(basename "$libdir")
    [ "$triplet" = lib ] && triplet=$(basename "$(dirname "$libdir")")
    # The loader: ld-X.Y.so (glibc < 2.34) or the ld-linux*/ld64 name itself.
    loader=$(find "$libdir" -maxdepth 1 -type f \( -name 'ld-[0-9]*.so' -o -name 'ld-linux*.so.*' -o -name 'ld64.so.*' \) | head -n1)
    [ -n "$loader" ] || { echo "old-glibc: no dynamic loader in $libdir" >&2; exit 1; }
    # The GLIBC_X.Y version of the fetched libc6 (from its package version).
    ver=$(cat "$root"/.complete-* | sed -n 's/^libc6\(-[a-z0-9]*-cross\)\{0,1\}_\([0-9]*\.[0-9]*\).*/\2/p' | head -n1)
    libpath=$root/lib/$triplet:$root/usr/lib/$triplet
    [ "$libdir" = "$root/usr/$triplet/lib" ] && libpath=$libdir
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
