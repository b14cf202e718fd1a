#!/usr/bin/env bash
# build-python.sh [SUITE] [ARCH]        (default: bullseye amd64)
#
# A Python of SUITE that builds extension wheels ON THIS HOST: SUITE's python3.X with its
# headers (python3.X-dev), distutils and the shared libraries its standard library's
# extension modules load that this host lacks (bullseye: libssl1.1, libffi7, libmpdec3),
# but NOT SUITE's libc6: the interpreter runs on the host's glibc, and what it compiles
# with the host's gcc links against the host's glibc, as a wheel built on a current
# distribution does.  tests/bundle_pypi.rs builds real projects' sdists with it into
# wheels for SUITE's Python ABI (cp39 for bullseye), which are then installed into the
# suite's own Python (tools/old-python.sh) in a chroot.
#
# Writes ${ELFCOMPAT_CACHE:-$HOME/.cache/elfcompat}/build-python/SUITE-ARCH/ with
#   usr/bin/python3.X, usr/include/..., usr/lib/...   (the packages, via tools/debian-fetch.sh)
#   pip/pip-*.whl                                     (pip from PyPI, run as python3.X pip.whl/pip)
#   build-python.env  PYTHON=, PIP=, LIBPATH=, CFLAGS=  (sourceable by sh)
# and prints ROOT as the last line of stdout.  Idempotent; cheap when present.
set -euo pipefail

suite=${1:-bullseye}
arch=${2:-amd64}
if [ $# -gt 2 ] || [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
    echo "usage: $0 [SUITE] [ARCH]    (default: bullseye amd64)" >&2
    exit 2
fi
case $suite in
    bullseye) py=python3.9; extra=(libssl1.1 libffi7 libmpdec3) ;;
    *) echo "build-python: no Python version known for $suite" >&2; exit 2 ;;
esac
# pip's last release that runs on every Python this script knows (3.9).
pip_version=24.0

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${ELFCOMPAT_CACHE:-${HOME:?HOME is not set}/.cache/elfcompat}
root=$cache/build-python/$suite-$arch

"$here/debian-fetch.sh" "$suite" "$arch" "$root" \
    "$py-minimal" "lib$py-minimal" "lib$py-stdlib" "lib$py-dev" "$py-dev" \
    python3-distutils python3-lib2to3 "${extra[@]}" >&2
root=$(cd "$root" && pwd)
[ -x "$root/usr/bin/$py" ] || { echo "build-python: no $root/usr/bin/$py" >&2; exit 1; }

pip_whl=$root/pip/pip-$pip_version-py3-none-any.whl
if [ ! -s "$pip_whl" ]; then
    mkdir -p "$root/pip"
    # Debian's python3-pip (.ci/run installs it) when there, whatever python3 PATH finds.
    host_python=python3
    [ -x /usr/bin/python3 ] && /usr/bin/python3 -m pip --version >/dev/null 2>&1 && host_python=/usr/bin/python3
    "$host_python" -m pip download -q --no-deps --only-binary :all: -d "$root/pip" "pip==$pip_version" >&2
fi
[ -s "$pip_whl" ] || { echo "build-python: no $pip_whl" >&2; exit 1; }

libpath=$root/usr/lib/$(ls "$root/usr/lib" | grep -- '-linux-gnu' | head -n1)
cat > "$root/build-python.env" <<ENV
PYTHON=$root/usr/bin/$py
PIP=$pip_whl/pip
LIBPATH=$libpath
CFLAGS=-I$root/usr/include
ENV
echo "$root"
