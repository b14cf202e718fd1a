#!/bin/bash
# Rebuild every fixture under testdata/bin/ from testdata/src/, then smoke-run
# them and regenerate testdata/manifest.json.
#
# The binaries are committed; tests and CI never run this script.  Run it only
# to change or add a fixture, then review `git diff --stat testdata/bin` and
# update README.md's expected-requirements tables if they moved.
#
# It installs nothing.  On Debian 12 (bookworm, glibc 2.36, gcc 12.2, binutils
# 2.40) the toolchain it expects comes from these packages:
#
#   gcc g++                                              (x86_64, the host)
#   gcc-i686-linux-gnu          g++-i686-linux-gnu          (i686)
#   gcc-aarch64-linux-gnu       g++-aarch64-linux-gnu       (aarch64)
#   gcc-arm-linux-gnueabihf     g++-arm-linux-gnueabihf     (armhf)
#   gcc-powerpc64le-linux-gnu   g++-powerpc64le-linux-gnu   (ppc64le)
#   gcc-powerpc64-linux-gnu     g++-powerpc64-linux-gnu     (ppc64, big-endian)
#   gcc-s390x-linux-gnu         g++-s390x-linux-gnu         (s390x, big-endian)
#   gcc-riscv64-linux-gnu       g++-riscv64-linux-gnu       (riscv64)
#   gcc-mips64el-linux-gnuabi64 g++-mips64el-linux-gnuabi64 (mips64el)
#   lld-16        (aarch64 `relr`: binutils 2.40 has no DT_RELR for aarch64)
#   python3       (strip-section-headers.py, mark-version-weak.py, gen-manifest.py)
#   qemu-user     (optional: smoke-runs the non-x86_64 fixtures)
#   binutils      (readelf, for gen-manifest.py's expectations)
#
# i.e. `apt-get install --no-install-recommends` of the list above.
#
# Usage: testdata/build.sh [ARCH...]   (default: every architecture)
# Output is deterministic: the same toolchain gives byte-identical files
# (no timestamps, no absolute paths; build ids are content hashes).

set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")"
TESTDATA=$PWD

#          dir       compiler prefix             qemu-user name
ARCHES=(
    "x86_64   x86_64-linux-gnu-            -"
    "i686     i686-linux-gnu-              qemu-i386"
    "aarch64  aarch64-linux-gnu-           qemu-aarch64"
    "armhf    arm-linux-gnueabihf-         qemu-arm"
    "ppc64le  powerpc64le-linux-gnu-       qemu-ppc64le"
    "ppc64    powerpc64-linux-gnu-         qemu-ppc64"
    "s390x    s390x-linux-gnu-             qemu-s390x"
    "riscv64  riscv64-linux-gnu-           qemu-riscv64"
    "mips64el mips64el-linux-gnuabi64-     qemu-mips64el"
)
LLD_DIR=/usr/lib/llvm-16/bin

# -Os keeps the files small; -s strips .symtab but keeps everything dynamic.
# -fno-builtin-memcpy: at -Os, x86 gcc inlines a variable-length memcpy as
# `rep movsb`, and the fixture must import memcpy (GLIBC_2.14 on x86_64).
# -ffile-prefix-map: no build directory in the (unstripped) debug fixture.
COMMON=(-Os -ffile-prefix-map="$TESTDATA"=. -ffile-prefix-map="$TESTDATA/src"=.)
HELLO_FLAGS=("${COMMON[@]}" -fno-builtin-memcpy)

want_arch() {
    [ ${#SELECTED[@]} -eq 0 ] && return 0
    local s
    for s in "${SELECTED[@]}"; do [ "$s" = "$1" ] && return 0; done
    return 1
}

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 (package $2)"); }

SELECTED=("$@")
for line in "${ARCHES[@]}"; do
    read -r arch prefix qemu <<<"$line"
    want_arch "$arch" || continue
    pkgarch=${prefix%-}
    if [ "$arch" = x86_64 ]; then
        need "${prefix}gcc" gcc; need "${prefix}g++" g++
    else
        need "${prefix}gcc" "gcc-$pkgarch"; need "${prefix}g++" "g++-$pkgarch"
    fi
done
need python3 python3
need readelf binutils
if want_arch aarch64; then
    [ -x "$LLD_DIR/ld.lld" ] || missing+=("$LLD_DIR/ld.lld (package lld-16)")
fi
if [ ${#missing[@]} -gt 0 ]; then
    printf 'build.sh: missing tools:\n' >&2
    printf '  %s\n' "${missing[@]}" >&2
    exit 1
fi

log() { printf '  %-28s %s\n' "$1" "$2"; }

# cc ARCH-PREFIX OUT FLAGS... : compile and link from testdata/src with
# relative paths, so nothing about this checkout ends up in the output.
cc() {
    local prefix=$1 out=$2; shift 2
    (cd src && "${prefix}gcc" "$@" -o "$out")
}
cxx() {
    local prefix=$1 out=$2; shift 2
    (cd src && "${prefix}g++" "$@" -o "$out")
}

build_arch() {
    local arch=$1 prefix=$2
    local out=$TESTDATA/bin/$arch
    rm -rf "$out"
    mkdir -p "$out"
    echo "== $arch ($("${prefix}gcc" --version | head -n1))"

    # hello: PIE (the distribution default), stripped.
    cc "$prefix" "$out/hello" "${HELLO_FLAGS[@]}" -s hello.c -lm
    log "$arch/hello" "PIE"

    # nosections: hello without its section header table.
    python3 strip-section-headers.py "$out/hello" "$out/nosections"
    log "$arch/nosections" "hello, section headers removed"

    # libverdef.so (own verdefs, SONAME) and uselib (verneed on it).
    cc "$prefix" "$out/libverdef.so" "${COMMON[@]}" -s -fPIC -shared \
        -Wl,-soname,libverdef.so -Wl,--version-script=verdef.map verdef.c
    log "$arch/libverdef.so" "VERS_1.0, VERS_2.0"
    cc "$prefix" "$out/uselib" "${COMMON[@]}" -s uselib.c -L"$out" -lverdef \
        -Wl,-rpath,'$ORIGIN'
    log "$arch/uselib" "needs libverdef.so VERS_1.0/VERS_2.0"

    # cxx: libstdc++, CXXABI, libgcc_s.
    cxx "$prefix" "$out/cxx" "${COMMON[@]}" -s cxx.cc
    log "$arch/cxx" "C++"

    case $arch in
    x86_64|i686|aarch64)
        cc "$prefix" "$out/hello-nopie" "${HELLO_FLAGS[@]}" -s -fno-pie -no-pie hello.c -lm
        log "$arch/hello-nopie" "ET_EXEC"
        ;;
    esac

    case $arch in
    x86_64)
        cc "$prefix" "$out/hello-debug" "${HELLO_FLAGS[@]}" -g hello.c -lm
        log "$arch/hello-debug" "unstripped, with DWARF"
        cc "$prefix" "$out/hashstyle-sysv" "${HELLO_FLAGS[@]}" -s -Wl,--hash-style=sysv hello.c -lm
        log "$arch/hashstyle-sysv" "DT_HASH only"
        cc "$prefix" "$out/relr" "${HELLO_FLAGS[@]}" -s -Wl,-z,pack-relative-relocs hello.c -lm
        log "$arch/relr" "DT_RELR (GNU ld)"
        python3 mark-version-weak.py "$out/hello" "$out/hello-weakver" GLIBC_2.32 libc.so.6
        log "$arch/hello-weakver" "hello, GLIBC_2.32 vernaux marked WEAK"
        # dlopen in a static binary makes ld warn; the fixture keeps the call
        # (same source as hello) and never runs it from a different glibc.
        cc "$prefix" "$out/static" "${HELLO_FLAGS[@]}" -s -static hello.c -lm 2>/dev/null
        log "$arch/static" "ET_EXEC, no PT_INTERP/PT_DYNAMIC"
        cc "$prefix" "$out/static-pie" "${HELLO_FLAGS[@]}" -s -static-pie hello.c -lm 2>/dev/null
        log "$arch/static-pie" "ET_DYN, PT_DYNAMIC, no PT_INTERP"
        ;;
    i686|ppc64le)
        cc "$prefix" "$out/relr" "${HELLO_FLAGS[@]}" -s -Wl,-z,pack-relative-relocs hello.c -lm
        log "$arch/relr" "DT_RELR (GNU ld)"
        ;;
    aarch64)
        # GNU ld 2.40 ignores -z pack-relative-relocs on aarch64 (support came
        # in 2.41); LLD 16 implements it, GLIBC_ABI_DT_RELR verneed included.
        cc "$prefix" "$out/relr" "${HELLO_FLAGS[@]}" -s -B"$LLD_DIR" -fuse-ld=lld \
            -Wl,-z,pack-relative-relocs hello.c -lm
        log "$arch/relr" "DT_RELR (LLD 16)"
        cc "$prefix" "$out/static" "${HELLO_FLAGS[@]}" -s -static hello.c -lm 2>/dev/null
        log "$arch/static" "ET_EXEC, no PT_INTERP/PT_DYNAMIC"
        ;;
    esac
}

# smoke ARCH QEMU SYSROOT: run every program (LD_BIND_NOW=1, natively or
# under qemu-user) and compare its stdout with expected/*.out.
smoke() {
    local arch=$1 qemu=$2 sysroot=$3
    local dir=$TESTDATA/bin/$arch run=() f ok=0 bad=0
    if [ "$qemu" != - ]; then
        if ! command -v "$qemu" >/dev/null 2>&1; then
            echo "   smoke: $qemu not installed, skipped"
            return 0
        fi
        run=("$qemu" -L "$sysroot")
    fi
    local tmp=$TESTDATA/.smoke expected
    for f in "$dir"/*; do
        case ${f##*/} in
        *.so) continue ;;
        uselib) expected=expected/uselib.out ;;
        cxx) expected=expected/cxx.out ;;
        *) expected=expected/hello.out ;;
        esac
        if LD_BIND_NOW=1 "${run[@]}" "$f" >"$tmp.out" 2>"$tmp.err" &&
            cmp -s "$tmp.out" "$expected"; then
            ok=$((ok + 1))
        else
            bad=$((bad + 1)); echo "   smoke FAILED: $arch/${f##*/}"
            diff "$expected" "$tmp.out" | sed 's/^/     /' || true
            sed 's/^/     /' "$tmp.err"
        fi
    done
    rm -f "$tmp.out" "$tmp.err"
    echo "   smoke: $ok ran, $bad failed"
    [ "$bad" -eq 0 ]
}

status=0
for line in "${ARCHES[@]}"; do
    read -r arch prefix qemu <<<"$line"
    want_arch "$arch" || continue
    build_arch "$arch" "$prefix"
    sysroot=/usr/${prefix%-}
    smoke "$arch" "$qemu" "$sysroot" || status=1
done

python3 gen-manifest.py
echo "manifest.json written; total size of bin/: $(du -sb bin | cut -f1) bytes"
exit $status
