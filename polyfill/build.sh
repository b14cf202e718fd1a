#!/usr/bin/env bash
# Compile the polyfills into one relocatable object per architecture: polyfill/obj/<arch>.o.
# The objects are committed (users need no compiler); elfcompat links the parts a binary
# needs into it. Needs gcc (x86_64), gcc-aarch64-linux-gnu (aarch64), gcc-i686-linux-gnu
# (i386), gcc-arm-linux-gnueabihf (armhf), gcc-powerpc64le-linux-gnu (ppc64el),
# gcc-s390x-linux-gnu (s390x) and gcc-riscv64-linux-gnu (riscv64), Debian 12.
# Usage: polyfill/build.sh [OUTDIR]   (default polyfill/obj; tests rebuild into a temp dir
# and compare with the committed objects byte for byte)
set -euo pipefail
cd "$(dirname "$0")"
out=${1:-obj}
flags=(-std=gnu11 -O2 -fPIC -fno-plt -fvisibility=hidden -ffreestanding -fno-builtin
       -fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables
       -ffunction-sections -fdata-sections -fno-jump-tables -fno-common
       -ffile-prefix-map="$PWD"=. -Wall -Wextra -Werror)
build() {
  local arch=$1 cc=$2 ld=$3; shift 3
  local tmp; tmp=$(mktemp -d)
  for src in "${sources[@]}"; do
    # Sources not ported to an architecture: `skip` (see the call).
    case " $(echo ${skip:-}) " in *" $(basename "$src") "*) continue ;; esac
    "$cc" "${flags[@]}" "$@" -c "$src" -o "$tmp/$(basename "${src%.c}").o"
  done
  "$ld" -r "$tmp"/*.o -o "$out/$arch.o"
  "${ld%ld}strip" --strip-debug --discard-locals -R .comment -R .note.GNU-stack "$out/$arch.o" 2>/dev/null || true
  rm -rf "$tmp"
  echo "$out/$arch.o: $(stat -c %s "$out/$arch.o") bytes ($("$cc" --version | head -1))"
}
mkdir -p "$out"
sources=(src/*.c)
build x86_64 gcc ld -fcf-protection=full
build aarch64 aarch64-linux-gnu-gcc aarch64-linux-gnu-ld -mbranch-protection=standard
# 32-bit: the compilers' defaults (Debian's i686 baseline, armhf's ARMv7 Thumb-2 with VFPv3-D16
# hard float). Sources that are not ported to 32-bit are empty there (#if with the reason).
build i386 i686-linux-gnu-gcc i686-linux-gnu-ld
build armhf arm-linux-gnueabihf-gcc arm-linux-gnueabihf-ld
# ppc64el (ELFv2, POWER8: the compiler's default). Not ported (left out): the math, fenv and
# strfrom sources (Debian's ppc64el long double is IBM double-double, which they do not
# handle) and termios.c (powerpc's termios layout and constants are its own).
skip="fenv_c23.c fromfp.c math_c23.c math_exact.c math_narrow.c math_payload.c math_quad.c
      strfrom.c termios.c" \
  build ppc64el powerpc64le-linux-gnu-gcc powerpc64le-linux-gnu-ld
# s390x (big-endian; the compiler's default z196 baseline; long double is IEEE binary128):
# the sources whose polyfills tests/polyfill_s390x.rs runs side by side with glibc on
# s390x (it checks that every polyfill of the object is linked by one of its runs); of the
# math, fromfp, math_exact and math_payload (float and double: their long double branches
# are x87's). Not ported (left out): fenv_c23.c (its fenv bits and control registers are
# x86_64's and aarch64's; s390x's FPC is its own), math_narrow.c and math_quad.c (their
# rounding-mode control and long double code are x86_64's and aarch64's), math_c23.c (its
# long double branches are x86_64's and aarch64's; its error-bound tests are not ported)
# and pkey (x86_64's).
sources=(src/clockwait.c src/data.c src/find_object.c src/fmemopen.c src/mem.c src/misc.c src/misc_tail.c
         src/names.c src/pidfd_getpid.c src/random.c src/stat.c src/stdc.c src/strfrom.c
         src/strings.c src/strto_c23.c src/sys.c src/sys_new.c src/syscalls.c src/termios.c
         src/thread_atexit.c src/threads.c src/fromfp.c src/math_exact.c src/math_payload.c
         src/wrap_fs.c src/wrap_open.c src/wrap_sysconf.c)
build s390x s390x-linux-gnu-gcc s390x-linux-gnu-ld
# riscv64 (RV64GC, LP64D): without linker relaxation, which the polyfill linker does not
# do (R_RISCV_RELAX and R_RISCV_ALIGN then never appear). Only the sources ported to it:
# of the math, fromfp, math_exact and math_payload (float and double, as on s390x;
# tests/polyfill_arches.rs runs them side by side). Not ported: the other math sources
# (fenv bits, rounding-mode control and long double code of x86_64 and aarch64), pkey
# (x86_64's) or wrap_open.c (the O_TMPFILE mode fixed in 2.22, before riscv64's first
# glibc, 2.27).
sources=(src/clockwait.c src/data.c src/find_object.c src/fmemopen.c src/mem.c src/misc.c src/misc_tail.c
         src/names.c src/pidfd_getpid.c src/random.c src/stat.c src/stdc.c src/strfrom.c
         src/strings.c src/strto_c23.c src/sys.c src/sys_new.c src/syscalls.c src/termios.c
         src/thread_atexit.c src/threads.c src/fromfp.c src/math_exact.c src/math_payload.c
         src/wrap_fs.c src/wrap_sysconf.c)
build riscv64 riscv64-linux-gnu-gcc riscv64-linux-gnu-ld -mno-relax
