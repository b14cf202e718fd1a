#!/usr/bin/env bash
# build.sh ARCH OUTDIR        (ARCH: amd64 or arm64)
#
# Compile the bundle test programs for ARCH into OUTDIR with the host's gcc/g++
# (amd64) or Debian's aarch64-linux-gnu-gcc/g++ (arm64), linked the normal way against
# the host's glibc 2.36 and GCC 12's libstdc++ (except oldabi and probe). The tests call
# this at test time; nothing built here is committed. See README.md for what each file is.
#
# arm64 zlib/OpenSSL: the host has no arm64 dev packages (no multiarch), so bookworm's
# arm64 zlib1g(-dev) and libssl3/libssl-dev are fetched with tools/debian-fetch.sh into
#   ${ELFCOMPAT_CACHE:-$HOME/.cache/elfcompat}/sysroot/bookworm-arm64
# and zssl is linked against them with a RUNPATH that includes that sysroot's library
# directories (as a cross build that links a sysroot's libraries would).
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 amd64|arm64 OUTDIR" >&2; exit 2; }
arch=$1
out=$2
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tools=$src/../../tools
mkdir -p "$out"
out=$(cd "$out" && pwd -P)

case $arch in
    amd64) cc=gcc cxx=g++ sys_libs=(-lz -lssl -lcrypto) sys_flags=() ;;
    arm64)
        cc=aarch64-linux-gnu-gcc cxx=aarch64-linux-gnu-g++
        cache=${ELFCOMPAT_CACHE:-${HOME:?HOME is not set}/.cache/elfcompat}
        sysroot=$cache/sysroot/bookworm-arm64
        "$tools/debian-fetch.sh" bookworm arm64 "$sysroot" zlib1g zlib1g-dev libssl3 libssl-dev >&2
        libdirs=$sysroot/lib/aarch64-linux-gnu:$sysroot/usr/lib/aarch64-linux-gnu
        # libz.so in zlib1g-dev is an absolute link (to /lib/...): name the sonames.
        sys_libs=(-l:libz.so.1 -l:libssl.so.3 -l:libcrypto.so.3)
        sys_flags=(-I"$sysroot/usr/include" -I"$sysroot/usr/include/aarch64-linux-gnu"
                   -L"$sysroot/lib/aarch64-linux-gnu" -L"$sysroot/usr/lib/aarch64-linux-gnu"
                   -Wl,-rpath,"$libdirs") ;;
    *) echo "build.sh: unknown ARCH '$arch' (amd64 or arm64)" >&2; exit 2 ;;
esac
run() { echo "+ $*" >&2; "$@"; }

# The C++20 program: needs GLIBCXX_3.4.29/3.4.30 (bullseye's libstdc++ has 3.4.28).
run $cxx -std=c++20 -O2 -pthread -o "$out/cxx20" "$src/cxx20.cc"

# The C program with its own library (RUNPATH to OUTDIR) plus zlib and OpenSSL.
run $cc -O2 -fPIC -shared -Wl,-soname,libgreet.so.1 "${sys_flags[@]}" \
    -o "$out/libgreet.so.1" "$src/greet.c" "${sys_libs[0]}"
run $cc -O2 "${sys_flags[@]}" -o "$out/zssl" "$src/zssl.c" \
    "$out/libgreet.so.1" "${sys_libs[@]}" -Wl,-rpath,"$out"

# The C program that dlopens a C++ plugin ("libplugin.so", found through RUNPATH).
run $cxx -O2 -fPIC -shared -Wl,-soname,libplugin.so -o "$out/libplugin.so" "$src/plugin.cc"
run $cc -O2 -o "$out/host" "$src/host.c" -ldl -Wl,-rpath,"$out"

# Runs on glibc 2.31 as built (base glibc version only).
run $cc -O2 -nostartfiles -o "$out/oldabi" "$src/oldabi.c" "$src/start-old.c"

# Static: runs anywhere, for looking around inside a chroot.
run $cc -O2 -static -o "$out/probe" "$src/probe.c"
