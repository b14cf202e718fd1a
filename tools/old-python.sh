#!/usr/bin/env bash
# old-python.sh [SUITE] [ARCH]        (default: bullseye amd64)
#
# Put SUITE's own Python 3 (bullseye: python3.9) with the libraries its standard library
# loads, and the suite's libc6, libstdc++6 and libgcc-s1, into
#   ${ELFCOMPAT_CACHE:-$HOME/.cache/elfcompat}/python/SUITE-ARCH/
# using tools/debian-fetch.sh, and print ROOT as the last line of stdout (the interpreter is
# ROOT/usr/bin/python3.X).  A root for tools/chroot-run.sh: tests/bundle_wheel.rs installs
# bundled wheels on the host with `pip install --target DIR` and imports them there with
# the suite's Python.  Idempotent and cheap when the root is already there.
set -euo pipefail

suite=${1:-bullseye}
arch=${2:-amd64}
if [ $# -gt 2 ] || [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
    echo "usage: $0 [SUITE] [ARCH]    (default: bullseye amd64)" >&2
    exit 2
fi
case $suite in
    bullseye) py=python3.9 ;;
    bookworm) py=python3.11 ;;
    *) echo "old-python: no Python version known for $suite" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${ELFCOMPAT_CACHE:-${HOME:?HOME is not set}/.cache/elfcompat}
root=$cache/python/$suite-$arch

# The interpreter, its standard library, and what the standard library's extension
# modules load (Debian's Depends of the three python packages, by name).
"$here/debian-fetch.sh" "$suite" "$arch" "$root" \
    libc6 libstdc++6 libgcc-s1 \
    "$py-minimal" "lib$py-minimal" "lib$py-stdlib" \
    zlib1g libexpat1 libssl1.1 libffi7 libbz2-1.0 liblzma5 libmpdec3 libuuid1 libcrypt1 \
    libsqlite3-0 libtinfo6 libncursesw6 libreadline8 libdb5.3 libgdbm6 libnsl2 libtirpc3 \
    libgssapi-krb5-2 libkrb5-3 libk5crypto3 libcom-err2 libkrb5support0 libkeyutils1 >&2
root=$(cd "$root" && pwd)
[ -x "$root/usr/bin/$py" ] || { echo "old-python: no $root/usr/bin/$py" >&2; exit 1; }
echo "$root"
