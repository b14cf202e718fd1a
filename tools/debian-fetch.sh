#!/usr/bin/env bash
# debian-fetch.sh SUITE ARCH DEST PKG...
#
# Download binary packages of another Debian suite/architecture with
# `apt-get download` under a private apt configuration (never the system's
# apt state), verify them through the suite's signed InRelease, and extract
# them with `dpkg-deb -x` into DEST.
#
# Mirrors are not hard-coded: they are read at run time from the URIs of
# /etc/apt/sources.list.d/debian.sources (or $ELFCOMPAT_APT_SOURCES; one-line
# sources.list files work too).  See tools/README.md.
#
# Environment:
#   ELFCOMPAT_CACHE        cache root (default $HOME/.cache/elfcompat)
#   ELFCOMPAT_APT_SOURCES  system source file to take URIs from
#   ELFCOMPAT_KEYRING      keyring for Signed-By
#                          (default /usr/share/keyrings/debian-archive-keyring.gpg)
#   ELFCOMPAT_LISTS_MAX_AGE  seconds before the private package lists are
#                          refreshed (default 86400)
set -euo pipefail

prog=debian-fetch
die() { echo "$prog: error: $*" >&2; exit 1; }

if [ $# -lt 4 ]; then
    echo "usage: $0 SUITE ARCH DEST PKG..." >&2
    echo "  e.g. $0 bullseye arm64 /tmp/root libc6 libstdc++6" >&2
    exit 2
fi

suite=$1 arch=$2 dest=$3
shift 3
pkgs=("$@")

case $suite in ''|*/*|*' '*) die "bad suite name '$suite'";; esac
case $arch in ''|*/*|*' '*) die "bad architecture '$arch'";; esac
for p in "${pkgs[@]}"; do
    case $p in -*|'') die "bad package name '$p'";; esac
done
for tool in apt-get dpkg-deb flock sha256sum; do
    command -v "$tool" >/dev/null || die "'$tool' not found (needs apt, dpkg, util-linux, coreutils)"
done

cache=${ELFCOMPAT_CACHE:-${HOME:?HOME is not set}/.cache/elfcompat}
sources_file=${ELFCOMPAT_APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}
keyring=${ELFCOMPAT_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
max_age=${ELFCOMPAT_LISTS_MAX_AGE:-86400}

# Idempotence: one marker per (suite, arch, package set).
key=$(printf '%s\n' "$suite" "$arch" $(printf '%s\n' "${pkgs[@]}" | LC_ALL=C sort -u) | sha256sum | cut -c1-16)
marker=$dest/.complete-$key
if [ -e "$marker" ]; then
    echo "$prog: $suite/$arch: ${pkgs[*]} already in $dest (nothing to do)"
    exit 0
fi

start=$(date +%s.%N)
aptdir=$cache/apt/$suite-$arch
debdir=$cache/debs/$suite-$arch
mkdir -p "$aptdir" "$debdir" "$dest"
aptdir=$(cd "$aptdir" && pwd) debdir=$(cd "$debdir" && pwd) dest=$(cd "$dest" && pwd)
marker=$dest/.complete-$key

# Serialise runs on the same suite/arch (parallel tests share the cache).
exec 9>"$aptdir/lock"
flock -w 900 9 || die "timed out waiting for $aptdir/lock"
if [ -e "$marker" ]; then
    echo "$prog: $suite/$arch: ${pkgs[*]} already in $dest (done by a concurrent run)"
    exit 0
fi

# ---------------------------------------------------------------- sources
# Print "main URI" / "security URI" lines from a deb822 or one-line file.
read_uris() {
    awk '
    function flush() {
        if (nuris && isdeb && enabled) for (i = 1; i <= nuris; i++) print (sec ? "security" : "main"), uris[i]
        nuris = 0; isdeb = 0; enabled = 1; sec = 0; field = ""
    }
    BEGIN { deb822 = 0; enabled = 1 }
    /^[ \t]*#/ { next }
    # one-line format: deb [opts] URI SUITE COMPONENTS...
    /^[ \t]*deb[ \t]/ && !deb822 {
        n = split($0, f, /[ \t]+/); j = 1; while (f[j] != "deb") j++; j++
        if (f[j] ~ /^\[/) { while (f[j] !~ /\]$/) j++; j++ }
        print ((f[j+1] ~ /(-security|\/updates)$/ || f[j] ~ /-security\/?$/) ? "security" : "main"), f[j]
        next
    }
    /^[ \t]*$/ { flush(); next }
    /^[A-Za-z-]+:/ {
        deb822 = 1
        field = tolower(substr($0, 1, index($0, ":") - 1)); val = substr($0, index($0, ":") + 1)
    }
    /^[ \t]/ { val = $0 }      # continuation line of the previous field
    {
        if (field == "types") { if (val ~ /(^|[ \t])deb([ \t]|$)/) isdeb = 1 }
        else if (field == "enabled") { if (val ~ /no/) enabled = 0 }
        else if (field == "uris") { n = split(val, u, /[ \t]+/); for (i = 1; i <= n; i++) if (u[i] != "") uris[++nuris] = u[i] }
        else if (field == "suites") { if (val ~ /(-security|\/updates)([ \t]|$)/) sec = 1 }
    }
    END { flush() }
    ' "$1"
}

[ -r "$sources_file" ] || die "cannot read $sources_file (set ELFCOMPAT_APT_SOURCES to a Debian deb822 or sources.list file)"
main_uris=() sec_uris=()
while read -r kind uri; do
    uri=${uri%/}
    if [ "$kind" = security ]; then sec_uris+=("$uri"); else main_uris+=("$uri"); fi
done < <(read_uris "$sources_file")
[ ${#main_uris[@]} -gt 0 ] || die "no Debian archive URI found in $sources_file"

[ -r "$keyring" ] || die "keyring $keyring not found (apt-get install debian-archive-keyring)"
if ! ls /usr/share/keyrings/debian-archive-"$suite"-*.gpg >/dev/null 2>&1 \
   && [ -z "${ELFCOMPAT_KEYRING:-}" ]; then
    echo "$prog: warning: debian-archive-keyring has no $suite key; signature check may fail" >&2
fi

sources=$aptdir/etc/sources.list
mkdir -p "$aptdir/etc/sources.list.d" "$aptdir/etc/apt.conf.d" "$aptdir/etc/preferences.d" \
         "$aptdir/etc/trusted.gpg.d" "$aptdir/state/lists/partial" "$aptdir/cache/archives/partial" \
         "$aptdir/log"
: > "$aptdir/state/status" 2>/dev/null || true
{
    opts="[arch=$arch signed-by=$keyring]"
    for u in "${main_uris[@]}"; do
        echo "deb $opts $u $suite main"
        case $suite in sid|unstable|experimental|rc-buggy) ;; *) echo "deb $opts $u $suite-updates main";; esac
    done
    case $suite in
        sid|unstable|experimental|rc-buggy) ;;
        *) for u in "${sec_uris[@]}"; do echo "deb $opts $u $suite-security main"; done ;;
    esac
} > "$sources.new"
if ! cmp -s "$sources.new" "$sources" 2>/dev/null; then
    mv "$sources.new" "$sources"
    rm -f "$aptdir/lists.stamp"          # sources changed: lists must be refreshed
else
    rm -f "$sources.new"
fi

# ---------------------------------------------------------------- apt config
# Fully private: own Dir::Etc (so no system apt.conf.d hooks run and no system
# sources are read), own state, own cache, own dpkg status.  Only network
# settings of the system configuration (proxies, date checks, retries) are
# carried over, so a machine that needs a proxy for apt still works.
conf=$aptdir/apt.conf
{
    cat <<EOF
Dir::Etc "$aptdir/etc/";
Dir::Etc::main "/dev/null";
Dir::Etc::Parts "$aptdir/etc/apt.conf.d/";
Dir::Etc::SourceList "$sources";
Dir::Etc::SourceParts "$aptdir/etc/sources.list.d/";
Dir::Etc::Preferences "$aptdir/etc/preferences";
Dir::Etc::PreferencesParts "$aptdir/etc/preferences.d/";
Dir::Etc::Trusted "$aptdir/etc/trusted.gpg";
Dir::Etc::TrustedParts "$aptdir/etc/trusted.gpg.d/";
Dir::State "$aptdir/state/";
Dir::State::Lists "$aptdir/state/lists/";
Dir::State::status "$aptdir/state/status";
Dir::Cache "$aptdir/cache/";
Dir::Cache::Archives "$aptdir/cache/archives/";
Dir::Cache::srcpkgcache "";
Dir::Log "$aptdir/log/";
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
Acquire::Languages "none";
Acquire::GzipIndexes "true";
Acquire::AllowInsecureRepositories "false";
APT::Get::AllowUnauthenticated "false";
EOF
    [ "$(id -u)" = 0 ] && echo 'APT::Sandbox::User "root";'
    # Network settings from the system configuration (read-only look-up).
    APT_CONFIG=/dev/null apt-config dump 2>/dev/null \
        | grep -E '^Acquire::((https?|ftp)::(Proxy|proxy)|Check-Valid-Until|Check-Date|Max-FutureTime|Retries|ForceIPv[46]|http::Timeout|https::Timeout)' || true
} > "$conf"
export APT_CONFIG=$conf
export DEBIAN_FRONTEND=noninteractive
log=$aptdir/log/last.log
: > "$log"

run_apt() {
    if ! "$@" >>"$log" 2>&1; then
        echo "$prog: '$*' failed:" >&2
        tail -n 30 "$log" >&2
        return 1
    fi
}

updated=""
update_lists() {
    if ! run_apt apt-get -q -o APT::Update::Error-Mode=any update; then
        # A mirror may lack a security index for an architecture (seen: bullseye-security
        # armhf answered 404): the glibc of the point release is still that suite's
        # glibc. Retry once without the security suite, and say so; any other failure
        # stays fatal.
        if grep -q -- "^E: Failed to fetch .*-security/.*404" "$log" &&
           ! grep "^E: Failed to fetch" "$log" | grep -qv -- "-security/"; then
            echo "$prog: warning: no $suite-security index for $arch on this mirror; using $suite and $suite-updates" >&2
            grep -v -- "-security main" "$sources" > "$sources.new" && mv "$sources.new" "$sources"
            run_apt apt-get -q -o APT::Update::Error-Mode=any update || die "apt-get update for $suite/$arch failed"
        else
            die "apt-get update for $suite/$arch failed"
        fi
    fi
    touch "$aptdir/lists.stamp"
    updated=", lists updated"
}
now=$(date +%s)
if [ ! -e "$aptdir/lists.stamp" ] || [ $(( now - $(stat -c %Y "$aptdir/lists.stamp") )) -gt "$max_age" ]; then
    update_lists
fi

# ---------------------------------------------------------------- download
# A .deb in $debdir is reused when its size and SHA256 match the signed index.
cached_ok() {
    local f=$debdir/$1
    [ -e "$f" ] && [ "$(stat -c %s "$f")" = "$2" ] || return 1
    case $3 in SHA256:*) [ "$(sha256sum < "$f" | cut -d' ' -f1)" = "${3#SHA256:}" ];; *) return 1;; esac
}
# fetch_one SPEC: resolve SPEC (`--print-uris` lines: 'URI' FILE SIZE HASH),
# reuse or download it (apt-get download checks the hash against the signed
# index); sets got_file/got_size/got_how.
fetch_one() {
    local line _uri file size hash
    line=$(apt-get download --print-uris "$1" 2>>"$log" | grep "^'" | head -n1) || return 1
    [ -n "$line" ] || return 1
    read -r _uri file size hash <<< "$line"
    got_file=$file got_size=$size
    if cached_ok "$file" "$size" "$hash"; then got_how=cached; return 0; fi
    echo "+ apt-get download $1" >>"$log"
    (cd "$debdir" && apt-get -q download "$1" >>"$log" 2>&1) || return 1
    cached_ok "$file" "$size" "$hash" || return 1
    got_how=downloaded
}
# fetch_pkg SPEC: the candidate version, or else (a mirror that lacks the
# candidate's file answers 404) the highest other version that can be had.
fetch_pkg() {
    local spec=$1 v
    fetch_one "$spec" && return 0
    case $spec in *=*|*/*) return 1;; esac
    for v in $(apt-cache madison "$spec" 2>>"$log" | awk -F'|' '{gsub(/[ \t]/, "", $2); if (!seen[$2]++) print $2}'); do
        if fetch_one "$spec=$v"; then
            notes+="; $spec: candidate not obtainable, used $v"
            return 0
        fi
    done
    return 1
}

files=() bytes=0 notes="" n_down=0
for spec in "${pkgs[@]}"; do
    if ! fetch_pkg "$spec"; then
        if [ -z "$updated" ]; then
            update_lists      # stale lists (superseded package): refresh once
            fetch_pkg "$spec" || { tail -n 20 "$log" >&2; die "cannot fetch '$spec' for $suite/$arch"; }
        else
            tail -n 20 "$log" >&2; die "cannot fetch '$spec' for $suite/$arch"
        fi
    fi
    files+=("$got_file")
    bytes=$(( bytes + got_size ))
    [ "$got_how" = downloaded ] && n_down=$(( n_down + 1 ))
done
fetched="cached"
[ "$n_down" -gt 0 ] && fetched="downloaded $n_down of"

# ---------------------------------------------------------------- extract
for file in "${files[@]}"; do
    [ -e "$debdir/$file" ] || die "expected $debdir/$file after download"
    dpkg-deb -x "$debdir/$file" "$dest"
done
printf '%s\n' "${files[@]}" > "$marker"

end=$(date +%s.%N)
names=$(printf '%s ' "${files[@]%.deb}")
printf '%s: %s/%s: %s %d debs (%s MB%s): %s\n' "$prog" "$suite" "$arch" "$fetched" "${#files[@]}" \
    "$(awk -v b="$bytes" 'BEGIN{printf "%.1f", b/1e6}')" "$updated$notes" "${names% }"
printf '%s: extracted into %s in %.1f s\n' "$prog" "$dest" "$(awk -v a="$start" -v b="$end" 'BEGIN{print b-a}')"
