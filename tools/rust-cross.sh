#!/usr/bin/env bash
# rust-cross.sh ARCH...      (Debian names: arm64 i386 armhf ppc64el s390x riscv64)
#
# A rustup-free Rust cross compiler for each ARCH, from Debian's own packages, into
#   ${ELFCOMPAT_CACHE:-$HOME/.cache/elfcompat}/rust-cross/
# without multiarch and without touching the system's dpkg or apt state
# (tools/debian-fetch.sh: private apt configuration, signed indexes, dpkg-deb -x):
#
#   arm64 i386 armhf ppc64el s390x: bookworm's amd64 rustc 1.63 (rustc, libstd-rust-1.63,
#       libstd-rust-dev) and bookworm's libstd-rust-dev of ARCH, one sysroot in
#       rust-cross/bookworm/. rustc's libLLVM-14 is the system's (package libllvm14).
#   riscv64: bookworm has no riscv64 port. trixie's amd64 rustc (1.85, built for glibc
#       2.41, which this glibc 2.36 host cannot load) runs through trixie's own loader,
#       with trixie's libraries it needs (LLVM 19, libstdc++, ...), beside trixie's
#       libstd-rust-dev of riscv64, in rust-cross/trixie/.
#
# The linker is Debian 12's cross gcc of ARCH (`.ci/run` installs them), so the program
# links against bookworm's cross libc (glibc 2.36) on every architecture.
#
# Per ARCH this writes rust-cross/bin/rustc-ARCH, a wrapper that runs that rustc with
# `--sysroot`, `--target` and `-C linker=` (further arguments are rustc's), and
# rust-cross/ARCH.env (sourceable by sh: RUSTC=, TARGET=, LINKER=, RUST_RELEASE=,
# DEB_VERSION=, SUITE=), and prints the .env path as a line of stdout. Before writing
# them it checks that the compiler and ARCH's std come from the same Debian build (one
# package version) and that the compiler loads that std (a library crate that uses it,
# compiled for TARGET). Idempotent: a second run only checks the files are there.
set -euo pipefail

prog=rust-cross
die() { echo "$prog: error: $*" >&2; exit 1; }

if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
    echo "usage: $0 ARCH...   (arm64 i386 armhf ppc64el s390x riscv64)" >&2
    exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${ELFCOMPAT_CACHE:-${HOME:?HOME is not set}/.cache/elfcompat}
base=$cache/rust-cross
host_arch=$(dpkg --print-architecture)
[ "$host_arch" = amd64 ] || die "the Debian rustc fetched here is amd64's; this host is $host_arch"

# ARCH -> suite, Rust target, cross gcc.
describe() {
    case $1 in
        arm64)   echo bookworm aarch64-unknown-linux-gnu aarch64-linux-gnu-gcc ;;
        i386)    echo bookworm i686-unknown-linux-gnu i686-linux-gnu-gcc ;;
        armhf)   echo bookworm armv7-unknown-linux-gnueabihf arm-linux-gnueabihf-gcc ;;
        ppc64el) echo bookworm powerpc64le-unknown-linux-gnu powerpc64le-linux-gnu-gcc ;;
        s390x)   echo bookworm s390x-unknown-linux-gnu s390x-linux-gnu-gcc ;;
        riscv64) echo trixie riscv64gc-unknown-linux-gnu riscv64-linux-gnu-gcc ;;
        *) return 1 ;;
    esac
}

# The Debian version of package PKG (architecture A) among the files a fetch recorded
# in ROOT's .complete-* markers.
deb_version() {
    local root=$1 pkg=$2 a=$3
    cat "$root"/.complete-* | sed -n "s/^${pkg}_\(.*\)_${a}\.deb\$/\1/p" | head -n1 | sed 's/%3a/:/'
}

# The host compiler of SUITE in ROOT; sets rustc_cmd (an array: how to run rustc).
prepare_host() {
    local suite=$1 root=$2
    case $suite in
        bookworm)
            "$here/debian-fetch.sh" bookworm amd64 "$root" rustc libstd-rust-1.63 libstd-rust-dev >&2
            local lib=$root/usr/lib/x86_64-linux-gnu
            local missing
            missing=$(LD_LIBRARY_PATH=$lib ldd "$root/usr/bin/rustc" | awk '/not found/ {print $1}' | sort -u | tr '\n' ' ')
            [ -z "$missing" ] || die "bookworm's rustc cannot load ${missing}(install libllvm14: .ci/run does)"
            rustc_cmd=(env "LD_LIBRARY_PATH=$lib" "$root/usr/bin/rustc")
            ;;
        trixie)
            # rustc and the shared libraries it loads, with trixie's glibc to run them.
            "$here/debian-fetch.sh" trixie amd64 "$root" rustc libstd-rust-1.85 libstd-rust-dev \
                libllvm19 libxml2 libz3-4 libedit2 libffi8 libzstd1 libtinfo6 libbsd0 libmd0 \
                liblzma5 zlib1g libc6 libgcc-s1 libstdc++6 >&2
            local lib=$root/usr/lib/x86_64-linux-gnu
            [ -x "$lib/ld-linux-x86-64.so.2" ] || die "no trixie loader in $lib"
            rustc_cmd=("$lib/ld-linux-x86-64.so.2" --inhibit-cache --library-path "$lib" "$root/usr/bin/rustc")
            ;;
    esac
}

for arch in "$@"; do
    read -r suite target linker < <(describe "$arch") || die "unknown architecture '$arch' (arm64 i386 armhf ppc64el s390x riscv64)"
    root=$base/$suite
    env_file=$base/$arch.env
    wrapper=$base/bin/rustc-$arch
    if [ -s "$env_file" ] && [ -x "$wrapper" ]; then
        echo "$prog: $arch: $wrapper already prepared (nothing to do)" >&2
        echo "$env_file"
        continue
    fi
    command -v "$linker" >/dev/null || die "no $linker (apt-get install gcc-${linker%-gcc}; .ci/run does)"
    mkdir -p "$root" "$base/bin"
    prepare_host "$suite" "$root"
    "$here/debian-fetch.sh" "$suite" "$arch" "$root" libstd-rust-dev >&2

    # One build: the compiler and this architecture's std have the same package version,
    # and rustc reports that upstream release.
    compiler_version=$(deb_version "$root" rustc amd64)
    std_version=$(deb_version "$root" libstd-rust-dev "$arch")
    [ -n "$compiler_version" ] && [ -n "$std_version" ] || die "no package versions recorded in $root"
    [ "$compiler_version" = "$std_version" ] ||
        die "rustc is $compiler_version but $arch's libstd-rust-dev is $std_version: not one build"
    release=$("${rustc_cmd[@]}" -vV | sed -n 's/^release: //p')
    case $compiler_version in
        "$release"+*|"$release"-*) ;;
        *) die "rustc reports release '$release', its package is $compiler_version" ;;
    esac
    [ -d "$root/usr/lib/rustlib/$target/lib" ] || die "no std for $target in $root/usr/lib/rustlib"

    {
        echo '#!/bin/sh'
        echo "# written by tools/rust-cross.sh: $suite's rustc $compiler_version for $target"
        printf 'exec'
        printf " '%s'" "${rustc_cmd[@]}" --sysroot "$root/usr" --target "$target" -C "linker=$linker"
        printf ' "$@"\n'
    } > "$wrapper.tmp.$$"
    chmod +x "$wrapper.tmp.$$"

    # The compiler loads this std: a library that uses it compiles for the target.
    probe=$(mktemp -d)
    trap 'rm -rf "$probe"' EXIT
    echo 'pub fn f() -> String { std::thread::current().name().unwrap_or("").to_string() }' > "$probe/probe.rs"
    if ! "$wrapper.tmp.$$" --edition 2021 --crate-type lib --emit metadata \
            -o "$probe/libprobe.rmeta" "$probe/probe.rs" 2> "$probe/err"; then
        cat "$probe/err" >&2
        die "rustc $release cannot use $arch's std ($target)"
    fi
    rm -rf "$probe"
    trap - EXIT
    mv "$wrapper.tmp.$$" "$wrapper"

    {
        echo "# written by tools/rust-cross.sh; sourceable by sh"
        echo "SUITE='$suite'"
        echo "ARCH='$arch'"
        echo "TARGET='$target'"
        echo "LINKER='$linker'"
        echo "RUST_RELEASE='$release'"
        echo "DEB_VERSION='$compiler_version'"
        echo "RUSTC='$wrapper'"
    } > "$env_file.tmp.$$"
    mv "$env_file.tmp.$$" "$env_file"
    echo "$prog: $arch: $suite's rustc $release ($compiler_version) for $target, linked by $linker: $wrapper" >&2
    echo "$env_file"
done
