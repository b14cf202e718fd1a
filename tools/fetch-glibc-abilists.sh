#!/usr/bin/env bash
# fetch-glibc-abilists.sh [SUITE...]
#
# Prepare the glibc ABI lists that tests/abi_crosscheck.rs compares the embedded
# glibc ABI database (data/glibc-abi.bin) against: Debian's `glibc-source`
# package of each suite ships the upstream glibc tarball, and we extract only the
# `*.abilist` files of a few Linux architectures from it into
#
#   ${ELFCOMPAT_CACHE:-$HOME/.cache/elfcompat}/glibc-source/<glibc version>/sysdeps/...
#
# Suites (default: all three): bullseye (glibc 2.31), bookworm (2.36), trixie (2.41).
# Idempotent: a suite whose directory carries a `.complete` marker is skipped.
#
# Packages come through apt-get under a private APT_CONFIG whose source list is
# built at run time from the URIs of /etc/apt/sources.list.d/debian.sources (no
# mirror host is written anywhere in the repository).  When the shared helper
# tools/debian-fetch.sh is present it does the download; otherwise a minimal
# private-apt download below does.
#
# Environment:
#   ELFCOMPAT_CACHE        cache root (default $HOME/.cache/elfcompat)
#   ELFCOMPAT_APT_SOURCES  deb822 source file to take URIs from
#                          (default /etc/apt/sources.list.d/debian.sources)
#   ABILIST_ARCH_DIRS      space-separated dirs under sysdeps/unix/sysv/linux to keep
#                          (default "x86_64/64 aarch64 i386")
set -euo pipefail

prog=fetch-glibc-abilists
die() { echo "$prog: error: $*" >&2; exit 1; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${ELFCOMPAT_CACHE:-${HOME:?HOME is not set}/.cache/elfcompat}
sources_file=${ELFCOMPAT_APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}
arch_dirs=${ABILIST_ARCH_DIRS:-"x86_64/64 aarch64 i386"}

suite_version() {
    case $1 in
        bullseye) echo 2.31 ;;
        bookworm) echo 2.36 ;;
        trixie) echo 2.41 ;;
        *) return 1 ;;
    esac
}

for tool in apt-get dpkg-deb tar xz; do
    command -v "$tool" >/dev/null || die "'$tool' not found"
done

# Minimal private-apt download of one package into DIR (used only when
# tools/debian-fetch.sh is absent).  Prints the path of the downloaded .deb.
own_download() {
    local suite=$1 pkg=$2 dir=$3
    local aptdir=$cache/apt-glibc-source/$suite
    mkdir -p "$aptdir/etc/apt.conf.d" "$aptdir/etc/preferences.d" "$aptdir/etc/trusted.gpg.d" \
             "$aptdir/etc/sources.list.d" "$aptdir/state/lists/partial" \
             "$aptdir/cache/archives/partial" "$aptdir/log"
    : > "$aptdir/state/status"
    [ -r "$sources_file" ] || die "cannot read $sources_file"
    # URIs of the non-security entries of the deb822 file.
    local uris
    uris=$(awk '
        function flush() { if (isdeb && !sec) for (i = 1; i <= n; i++) print u[i]; n = 0; isdeb = 0; sec = 0 }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") isdeb = 1 }
        tolower($1) == "uris:" { for (i = 2; i <= NF; i++) u[++n] = $i }
        tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i ~ /-security$/) sec = 1 }
        END { flush() }' "$sources_file" | sort -u)
    [ -n "$uris" ] || die "no Debian archive URI in $sources_file"
    local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    : > "$aptdir/etc/sources.list"
    for u in $uris; do
        echo "deb [signed-by=$keyring] ${u%/} $suite main" >> "$aptdir/etc/sources.list"
    done
    cat > "$aptdir/apt.conf" <<CONF
Dir::Etc "$aptdir/etc/";
Dir::Etc::main "/dev/null";
Dir::Etc::Parts "$aptdir/etc/apt.conf.d/";
Dir::Etc::SourceList "$aptdir/etc/sources.list";
Dir::Etc::SourceParts "$aptdir/etc/sources.list.d/";
Dir::State "$aptdir/state/";
Dir::State::status "$aptdir/state/status";
Dir::Cache "$aptdir/cache/";
Dir::Log "$aptdir/log/";
Acquire::Languages "none";
APT::Sandbox::User "root";
CONF
    (
        export APT_CONFIG=$aptdir/apt.conf
        apt-get -q update >"$aptdir/log/update.log" 2>&1 \
            || { tail -n 20 "$aptdir/log/update.log" >&2; die "apt-get update ($suite) failed"; }
        cd "$dir" && apt-get -q download "$pkg" >"$aptdir/log/download.log" 2>&1 \
            || { tail -n 20 "$aptdir/log/download.log" >&2; die "apt-get download $pkg ($suite) failed"; }
    )
}

fetch_suite() {
    local suite=$1 version
    version=$(suite_version "$suite") || die "unknown suite '$suite' (bullseye, bookworm, trixie)"
    local dest=$cache/glibc-source/$version
    if [ -e "$dest/.complete" ]; then
        echo "$prog: $suite: glibc $version abilists already in $dest"
        return 0
    fi
    local work
    work=$(mktemp -d "${TMPDIR:-/tmp}/$prog.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" RETURN

    if [ -x "$here/debian-fetch.sh" ]; then
        "$here/debian-fetch.sh" "$suite" amd64 "$work/root" glibc-source >&2
    else
        mkdir -p "$work/debs" "$work/root"
        own_download "$suite" glibc-source "$work/debs"
        local deb
        for deb in "$work"/debs/glibc-source_*.deb; do
            # Only the upstream tarball is needed from the package.
            dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/root" --wildcards './usr/src/glibc/glibc-*.tar.*'
        done
    fi

    local tarball
    tarball=$(ls "$work"/root/usr/src/glibc/glibc-"$version"*.tar.* 2>/dev/null | head -n 1)
    [ -n "$tarball" ] || die "$suite: no glibc-$version tarball in glibc-source"
    local top
    top=$(basename "$tarball"); top=${top%.tar.*}

    # Extract selectively: only the abilists of the architectures we compare.
    local patterns=() d
    for d in $arch_dirs; do
        patterns+=("$top/sysdeps/unix/sysv/linux/$d/*.abilist")
    done
    rm -rf "$dest.tmp"
    mkdir -p "$dest.tmp"
    tar -x -f "$tarball" -C "$dest.tmp" --strip-components=1 --wildcards "${patterns[@]}"
    local n
    n=$(find "$dest.tmp" -name '*.abilist' | wc -l)
    [ "$n" -gt 0 ] || die "$suite: no abilist extracted"
    echo "debian suite $suite, $(basename "$tarball")" > "$dest.tmp/.complete"
    rm -rf "$dest"
    mv "$dest.tmp" "$dest"
    echo "$prog: $suite: $n abilist files of glibc $version in $dest"
}

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(bullseye bookworm trixie)
for s in "${suites[@]}"; do
    fetch_suite "$s"
done
