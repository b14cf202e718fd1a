#!/usr/bin/env bash
# chroot-run.sh ROOT [--bind HOST=GUEST]... [--bind-rw HOST=GUEST]... [--cwd DIR]
#               [--env NAME=VALUE]... [--qemu PATH|none] -- PROG ARGS...
#
# Run PROG inside the system ROOT (e.g. the root `tools/old-glibc.sh bullseye arm64`
# prints) with nothing of the host's file system visible, as root:
#
#   - a private mount namespace (`unshare -m`): nothing mounted here is seen outside,
#     and it all goes away when PROG exits;
#   - the new root is a fresh tmpfs; ROOT's top-level directories are bind-mounted
#     into it READ-ONLY (its symbolic links are copied), so ROOT itself is never
#     written and parallel runs on the same ROOT cannot disturb one another;
#   - /dev holds only null, zero, full, random, urandom and tty (bound from the host),
#     the fd/stdin/stdout/stderr links and a tmpfs /dev/shm; /proc is a new proc
#     mount; /tmp is writable (mode 1777, part of the tmpfs);
#   - each --bind HOST=GUEST is bound read-only at GUEST, --bind-rw read-write
#     (GUEST must not lie inside one of ROOT's directories, which are read-only);
#   - PROG starts with the environment PATH=/usr/bin:/bin HOME=/ LANG=C
#     LD_BIND_NOW=1 plus each --env, and nothing else; its working directory is
#     --cwd (default /).
#
# ROOT has no `env` or `chroot` binary (it holds only libc6, libstdc++6 and
# libgcc-s1): the host's `env -i` sets the environment and the host's
# `unshare --root --wd` enters the root and execs PROG, so PROG is the first (and
# only) program run inside.  Every step is an exec: the process that started this
# script ends up being PROG, so a caller's kill(pid) stops it.
#
# Foreign architectures: when ROOT/elfcompat-runtime.env says ARCH=arm64 (etc.) and
# the host is another architecture, PROG runs under a STATIC qemu-user
# (`qemu-aarch64-static`, Debian's qemu-user-static), bound into the root at
# /.elfcompat/qemu and run as `/.elfcompat/qemu PROG ARGS`: qemu then finds PROG's
# loader (/lib/ld-linux-aarch64.so.1) in the chroot, as the kernel would.  No
# binfmt_misc registration is needed.  --qemu PATH picks the emulator, --qemu none
# runs PROG directly.
#
# Exit status: PROG's.  125 when this script fails before PROG starts (its message
# starts with "chroot-run:"); 126/127 when PROG cannot be executed (from unshare).
set -euo pipefail

prog=chroot-run
die() { echo "$prog: $*" >&2; exit 125; }
usage() {
    sed -n '2,3p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}/usage: /;2s/^usage: /       /' >&2
    exit "${1:-125}"
}

[ $# -ge 1 ] || usage
case $1 in -h|--help) usage 0;; esac
orig_args=("$@")
root=$1
shift
binds=() cwd=/ envs=() qemu=auto
while [ $# -gt 0 ]; do
    case $1 in
        --bind|--bind-rw)
            [ $# -ge 2 ] || usage
            case $2 in ?*=/*) ;; *) die "$1 wants HOSTDIR=/GUESTDIR, got '$2'";; esac
            binds+=("$1 $2")
            shift 2;;
        --cwd) [ $# -ge 2 ] || usage; cwd=$2; shift 2;;
        --env)
            [ $# -ge 2 ] || usage
            case $2 in [A-Za-z_]*=*) ;; *) die "--env wants NAME=VALUE, got '$2'";; esac
            envs+=("$2"); shift 2;;
        --qemu) [ $# -ge 2 ] || usage; qemu=$2; shift 2;;
        --) shift; break;;
        *) usage;;
    esac
done
[ $# -ge 1 ] || usage

[ "$(id -u)" = 0 ] || die "needs root (unshare -m, mount, chroot)"
[ -d "$root" ] || die "no root directory '$root'"

if [ -z "${_ELFCOMPAT_CHROOT_NEWROOT:-}" ]; then
    # The new root's mount point: one empty directory shared by every run. Each run
    # mounts its own tmpfs on it inside its own mount namespace, so runs never see
    # one another's mounts and the host only ever sees the empty directory.
    mnt=${ELFCOMPAT_CACHE:-${HOME:-/root}/.cache/elfcompat}/chroot-newroot
    mkdir -p "$mnt" || die "cannot create $mnt"
    _ELFCOMPAT_CHROOT_NEWROOT=$(cd "$mnt" && pwd -P) || die "cannot enter $mnt"
    export _ELFCOMPAT_CHROOT_NEWROOT
    exec unshare --mount --propagation private -- bash "${BASH_SOURCE[0]}" "${orig_args[@]}"
fi

# ------------------------------------------------------------ inside the namespace
new=$_ELFCOMPAT_CHROOT_NEWROOT
unset _ELFCOMPAT_CHROOT_NEWROOT
root=$(cd "$root" && pwd -P)

# Which emulator, if any: from the root's description (old-glibc.sh writes it).
if [ "$qemu" = auto ]; then
    qemu=none
    guest_arch=$(sed -n "s/^ARCH='\{0,1\}\([^']*\)'\{0,1\}\$/\1/p" "$root/elfcompat-runtime.env" 2>/dev/null || true)
    host_arch=$(dpkg --print-architecture 2>/dev/null || true)
    if [ -n "$guest_arch" ] && [ -n "$host_arch" ] && [ "$guest_arch" != "$host_arch" ]; then
        case $guest_arch in
            arm64) q=aarch64;; armhf|armel) q=arm;; ppc64el) q=ppc64le;; i386) q=i386;;
            s390x|riscv64|ppc64) q=$guest_arch;; *) die "no qemu name known for ARCH=$guest_arch";;
        esac
        qemu=$(command -v "qemu-$q-static") \
            || die "ROOT is $guest_arch: needs qemu-$q-static (apt-get install qemu-user-static)"
    fi
elif [ "$qemu" != none ]; then
    qemu=$(command -v "$qemu") || die "--qemu: no executable '$qemu'"
fi

mount -t tmpfs -o mode=0755,size=256m elfcompat-chroot "$new" || die "cannot mount a tmpfs on $new"

# ROOT's top level: directories bound read-only, symbolic links copied (a merged-/usr
# root has lib -> usr/lib), plain files (the .complete-* markers, the env file) left out.
for entry in "$root"/* "$root"/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    name=${entry##*/}
    case $name in dev|proc|tmp|.elfcompat) continue;; esac
    if [ -L "$entry" ]; then
        cp -P "$entry" "$new/$name"
    elif [ -d "$entry" ]; then
        mkdir "$new/$name"
        mount --bind -o ro "$entry" "$new/$name" || die "cannot bind $entry"
    fi
done

# /dev: only the harmless character devices, as on a minimal system.
mkdir -m 0755 "$new/dev"
for node in null zero full random urandom tty; do
    [ -c "/dev/$node" ] || continue
    : > "$new/dev/$node"
    mount --bind "/dev/$node" "$new/dev/$node" || die "cannot bind /dev/$node"
done
ln -s /proc/self/fd "$new/dev/fd"
ln -s /proc/self/fd/0 "$new/dev/stdin"
ln -s /proc/self/fd/1 "$new/dev/stdout"
ln -s /proc/self/fd/2 "$new/dev/stderr"
mkdir -m 1777 "$new/dev/shm"
mount -t tmpfs -o mode=1777,size=64m elfcompat-shm "$new/dev/shm" || die "cannot mount /dev/shm"
mkdir -m 0555 "$new/proc"
mount -t proc -o nosuid,nodev,noexec proc "$new/proc" || die "cannot mount proc"
mkdir -m 1777 "$new/tmp"
mount -t tmpfs -o mode=1777,size=256m elfcompat-tmp "$new/tmp" || die "cannot mount /tmp"

for b in "${binds[@]}"; do
    kind=${b%% *} spec=${b#* }
    host=${spec%%=*} guest=${spec#*=}
    [ -e "$host" ] || die "$kind: no '$host'"
    # Inside one of ROOT's (read-only) directories no mount point can be made.
    if [ -d "$host" ]; then
        mkdir -p "$new$guest" 2>/dev/null || die "$kind: cannot make $guest in the root (inside a read-only directory of ROOT?)"
    else
        mkdir -p "$(dirname "$new$guest")" 2>/dev/null && : > "$new$guest" 2>/dev/null \
            || die "$kind: cannot make $guest in the root (inside a read-only directory of ROOT?)"
    fi
    if [ "$kind" = --bind-rw ]; then
        mount --bind "$host" "$new$guest" || die "cannot bind $host"
    else
        mount --bind -o ro "$host" "$new$guest" || die "cannot bind $host read-only"
    fi
done

run=("$@")
if [ "$qemu" != none ]; then
    mkdir -p "$new/.elfcompat"
    : > "$new/.elfcompat/qemu"
    mount --bind -o ro "$qemu" "$new/.elfcompat/qemu" || die "cannot bind $qemu"
    run=(/.elfcompat/qemu "$@")
fi

# Nothing but /tmp, /dev/shm and --bind-rw directories is writable inside.
mount -o remount,ro "$new" || die "cannot make the root read-only"

# The host's env and unshare run before the root changes; PROG is the first program
# run inside it.
exec env -i PATH=/usr/bin:/bin HOME=/ LANG=C LD_BIND_NOW=1 "${envs[@]}" \
    unshare --root="$new" --wd="$cwd" -- "${run[@]}"
