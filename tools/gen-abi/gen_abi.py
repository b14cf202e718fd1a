#!/usr/bin/env python3
"""Generate data/glibc-abi.bin, elfcompat's embedded glibc ABI database.

Source: the `abilists` file that the Zig compiler ships for its glibc stubs
(`ziglang/lib/libc/glibc/abilists` in the `ziglang` wheel on PyPI).  It records,
for every public glibc symbol of GLIBC_2.0 ... 2.44 on each glibc target, which
library first exported it and at which version tags (format: see `decode_zig`;
upstream documentation: ziglang/libc-abi-tools glibc/README.md and zig's
src/libs/glibc.zig).  Zig builds it from glibc's own `*.abilist` files of
releases 2.23 onwards and attributes every symbol to the library that first
exported it (see docs/abi-data.md).

Two pinned wheels are used:
  * ziglang 0.17.1 (glibc 2.0 ... 2.44, 31 targets) is the primary source.
  * ziglang 0.16.0 (glibc 2.0 ... 2.43) supplies only the targets that 0.17
    dropped: powerpc-linux-gnueabi, powerpc-linux-gnueabihf and
    powerpc64-linux-gnu (big-endian).  Their data therefore stops at 2.43.
    For every target both wheels have, the two agree exactly up to 2.43 (the
    generator checks that).

libanl, which zig's data lacks, comes from glibc itself: the `libanl.abilist`
files of the release tag glibc-2.33, the last release in which libanl.so.1 held
its four functions (2.34 moved them into libc, where zig's data has only their
new GLIBC_2.34 tags).  They are kept, as extracted, in
tools/gen-abi/libanl-glibc-2.33.abilists with each file's git blob id, which
the generator checks; `--extract-libanl GLIBC_GIT_DIR` rewrites that file from
a clone of glibc's repository.

Not covered by the sources (and so not by the database): libmvec, libcrypt,
libnsl, libBrokenLocale, libthread_db, libc_malloc_debug and the GLIBC_PRIVATE
version.

Usage (Python 3 standard library only; pip is used to fetch the wheels):
    python3 tools/gen-abi/gen_abi.py                # download, verify, write data/glibc-abi.bin
    python3 tools/gen-abi/gen_abi.py --wheel-dir D  # use wheels already in D (no download)
    python3 tools/gen-abi/gen_abi.py --check        # regenerate in memory, compare with the committed file
    python3 tools/gen-abi/gen_abi.py --extract-libanl GLIBC_GIT_DIR   # rewrite the libanl abilists

Output format (all integers little-endian; "uleb" = unsigned LEB128;
"str" = UTF-8 bytes ended by a NUL byte):

    magic        8 bytes  b"ELFCABI" + format version byte (1)
    provenance   str      human-readable source description
    nlibs        u8       then nlibs str: library names, in elfcompat's `Lib` order
                          (c, m, pthread, dl, rt, util, resolv, ld, anl)
    nversions    u8       then nversions (major, minor, patch) u8 triples, ascending
    ntargets     u8       then per target: str zig triple, u8 index of the newest
                          version the source covers for that target
    nmasks       u16      then nmasks uleb target bitmasks (bit i = target i)
    nnames       u16      then nnames str symbol names, strictly ascending bytewise
    per name, in the same order:
      nrecords   uleb     then nrecords records:
        mask     uleb     index into the target-mask table
        flags    u8       bits 0-3 library index, bits 4-5 kind (0 function,
                          1 object, 2 TLS), bit 6 weak, bit 7 unversioned
        size     uleb     only for objects and TLS: st_size in bytes
        versions u8...    version indices (bits 0-6); bit 7 set on the last one
    nremovals    u16      then per removal: uleb name index, u8 library index,
                          u8 version index of the first release WITHOUT the
                          symbol in that library (all its tags, all targets)
    (end of file: a decoder must consume the file exactly)
"""

import argparse
import collections
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile

# ---------------------------------------------------------------- provenance

PRIMARY = {
    "version": "0.17.1",
    "wheel": "ziglang-0.17.1-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl",
    "wheel_sha256": "ea6cc5d87b033cf0aedfbc8f9549a908cae6c50ac31f1698188fa48a74524b54",
    "abilists_sha256": "9327bdbeae15b383481c7a821f58d3ade9d2c6745ff19bb8b646df4c7a953037",
}
SUPPLEMENT = {
    "version": "0.16.0",
    "wheel": "ziglang-0.16.0-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl",
    "wheel_sha256": "9fcda73f62b851dd72a54b710ad40a209896db14cfb13649e62191243556342b",
    "abilists_sha256": "171100b5f16018881ac43964437827303a8d48b435d1fcc3cc2042ab66622c79",
}
# The wheels are platform wheels; the abilists file inside is the same on every
# platform, but the wheel hash is not: always fetch the x86_64 manylinux one.
PIP_PLATFORM = "manylinux_2_12_x86_64"
ABILISTS_MEMBER = "ziglang/lib/libc/glibc/abilists"

# elfcompat's `Lib` enum order (src/abi/table.rs relies on it).  zig's data has
# the first eight; "anl" comes from glibc's own abilists (LIBANL below).
LIBS = ["c", "m", "pthread", "dl", "rt", "util", "resolv", "ld", "anl"]
ZIG_LIBS = LIBS[:8]

# libanl.so.1 before glibc 2.34: glibc's `libanl.abilist` files of the tag
# glibc-2.33, the last release whose libanl held its functions (2.34 moved them
# into libc.so.6, keeping the old tags there as compat symbols; libanl.so.1 is
# a stub since, defining the old version node with a placeholder symbol).
LIBANL = {
    "tag": "glibc-2.33",
    "commit": "9826b03b747b841f5fc6de2054bf1ef3f5c4bdf3",
    "file": "libanl-glibc-2.33.abilists",
}
# zig target -> glibc directory under sysdeps/unix/sysv/linux holding its
# libanl.abilist in glibc 2.33.  loongarch (glibc 2.36) came after the merge:
# its libanl never held a function, so its targets have no entry.
LIBANL_DIRS = {
    "arm-linux-gnueabi": "arm/le",
    "arm-linux-gnueabihf": "arm/le",
    "armeb-linux-gnueabi": "arm/be",
    "armeb-linux-gnueabihf": "arm/be",
    "arc-linux-gnu": "arc",
    "csky-linux-gnueabi": "csky",
    "csky-linux-gnueabihf": "csky",
    "m68k-linux-gnu": "m68k/m680x0",
    "mipsel-linux-gnueabihf": "mips/mips32",
    "mips-linux-gnueabihf": "mips/mips32",
    "mipsel-linux-gnueabi": "mips/mips32",
    "mips-linux-gnueabi": "mips/mips32",
    "mips64el-linux-gnuabi64": "mips/mips64",
    "mips64-linux-gnuabi64": "mips/mips64",
    "mips64el-linux-gnuabin32": "mips/mips64",
    "mips64-linux-gnuabin32": "mips/mips64",
    "x86-linux-gnu": "i386",
    "riscv32-linux-gnu": "riscv/rv32",
    "riscv64-linux-gnu": "riscv/rv64",
    "sparc-linux-gnu": "sparc/sparc32",
    "sparc64-linux-gnu": "sparc/sparc64",
    "powerpc64le-linux-gnu": "powerpc/powerpc64/le",
    "powerpc64-linux-gnu": "powerpc/powerpc64/be",
    "powerpc-linux-gnueabi": "powerpc/powerpc32",
    "powerpc-linux-gnueabihf": "powerpc/powerpc32",
    "aarch64-linux-gnu": "aarch64",
    "aarch64_be-linux-gnu": "aarch64",
    "x86_64-linux-gnu": "x86_64/64",
    "x86_64-linux-gnux32": "x86_64/x32",
    "s390x-linux-gnu": "s390",
}
LIBANL_NO_DATA = {"loongarch32-linux-gnu", "loongarch32-linux-gnusf", "loongarch64-linux-gnu", "loongarch64-linux-gnusf"}
KINDS = ["function", "object", "tls"]

# Symbols that glibc really removed from a library (so "no version is ever
# removed" does not hold for them).  Found by tests/abi_crosscheck.rs against
# Debian's glibc 2.36 / 2.41 abilists; zig's data cannot express removals.
#   (name, library, first release without it, reason)
REMOVALS = [
    ("malloc_get_state", "c", (2, 34, 0), "moved to libc_malloc_debug.so in glibc 2.34"),
    ("malloc_set_state", "c", (2, 34, 0), "moved to libc_malloc_debug.so in glibc 2.34"),
]

MAGIC = b"ELFCABI\x01"

# ---------------------------------------------------------------- helpers


def die(msg):
    sys.stderr.write("gen_abi: error: %s\n" % msg)
    sys.exit(1)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_wheel(spec, wheel_dir):
    path = os.path.join(wheel_dir, spec["wheel"])
    if not os.path.exists(path):
        cmd = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--platform", PIP_PLATFORM, "ziglang==" + spec["version"], "-d", wheel_dir,
        ]
        sys.stderr.write("gen_abi: %s\n" % " ".join(cmd))
        subprocess.run(cmd, check=True, stdout=sys.stderr)
    if not os.path.exists(path):
        die("pip did not produce %s" % spec["wheel"])
    got = sha256_file(path)
    if got != spec["wheel_sha256"]:
        die("%s: sha256 %s, expected %s" % (spec["wheel"], got, spec["wheel_sha256"]))
    with zipfile.ZipFile(path) as z:
        data = z.read(ABILISTS_MEMBER)
    got = hashlib.sha256(data).hexdigest()
    if got != spec["abilists_sha256"]:
        die("%s in %s: sha256 %s, expected %s" % (ABILISTS_MEMBER, spec["wheel"], got, spec["abilists_sha256"]))
    return data


def git_blob_id(data):
    """The id git gives a file's content (so a glibc clone can confirm it)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def libanl_path(d):
    return "sysdeps/unix/sysv/linux/%s/libanl.abilist" % d


def extract_libanl(git_dir, out_path):
    """Write LIBANL["file"] from a clone of glibc's repository."""
    def git(*a):
        return subprocess.run(["git", "-C", git_dir] + list(a), check=True, stdout=subprocess.PIPE).stdout

    commit = git("rev-parse", LIBANL["tag"] + "^{commit}").decode().strip()
    if commit != LIBANL["commit"]:
        die("%s is commit %s in %s, expected %s" % (LIBANL["tag"], commit, git_dir, LIBANL["commit"]))
    out = bytearray(
        b"# glibc's libanl.abilist files of tag %s (commit %s), as extracted by\n"
        b"# tools/gen-abi/gen_abi.py --extract-libanl.  '@ PATH BLOB' starts a file; BLOB is its git blob id.\n"
        % (LIBANL["tag"].encode(), LIBANL["commit"].encode())
    )
    for d in sorted(set(LIBANL_DIRS.values())):
        path = libanl_path(d)
        data = git("show", "%s:%s" % (LIBANL["commit"], path))
        blob = git("rev-parse", "%s:%s" % (LIBANL["commit"], path)).decode().strip()
        if git_blob_id(data) != blob:
            die("%s: blob id mismatch" % path)
        out += b"@ %s %s\n" % (path.encode(), blob.encode())
        out += data
    with open(out_path, "wb") as f:
        f.write(out)
    sys.stderr.write("gen_abi: wrote %s\n" % out_path)


def read_libanl(path):
    """{glibc dir: [(version, name)]} from LIBANL["file"], each file's blob id checked."""
    files = {}
    cur = None
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"#"):
                continue
            if line.startswith(b"@ "):
                _, p, blob = line.decode().split()
                cur = [p, blob, bytearray()]
                files[p] = cur
            elif cur is None:
                die("%s: content before the first '@' line" % path)
            else:
                cur[2] += line
    out = {}
    for p, blob, data in files.values():
        if git_blob_id(bytes(data)) != blob:
            die("%s: %s does not match its blob id %s" % (path, p, blob))
        entries = []
        for line in data.decode().splitlines():
            tag, name, kind = line.split()
            if kind != "F" or not tag.startswith("GLIBC_"):
                die("%s: %s: unexpected line %r" % (path, p, line))
            nums = [int(x) for x in tag[len("GLIBC_"):].split(".")]
            entries.append((tuple(nums + [0] * (3 - len(nums))), name))
        out[p] = entries
    return out


def libanl_facts(libanl, targets, zig_facts):
    """libanl's facts for the database's targets, checked against zig's libc data:
    every function must be one that libc took over at GLIBC_2.34."""
    if set(LIBANL_DIRS) | LIBANL_NO_DATA != set(targets) or set(LIBANL_DIRS) & LIBANL_NO_DATA:
        die("LIBANL_DIRS / LIBANL_NO_DATA do not match the targets %s" % targets)
    moved = {(f[0], f[3]) for f in zig_facts if f[1] == "c" and f[2] == (2, 34, 0)}
    facts = set()
    for t, d in LIBANL_DIRS.items():
        entries = libanl.get(libanl_path(d))
        if not entries:
            die("no libanl abilist for %s (%s)" % (t, d))
        for v, name in entries:
            if (name, t) not in moved:
                die("libanl's %s on %s is not a libc GLIBC_2.34 function in zig's data" % (name, t))
            facts.add((name, "anl", v, t, "function", None, False, False))
    return facts


class Reader:
    def __init__(self, data):
        self.d = data
        self.i = 0

    def u8(self):
        if self.i >= len(self.d):
            raise ValueError("unexpected end of data at %d" % self.i)
        b = self.d[self.i]
        self.i += 1
        return b

    def u16(self):
        return self.u8() | self.u8() << 8

    def cstr(self):
        j = self.d.index(b"\0", self.i)
        s = self.d[self.i:j].decode("utf-8")
        self.i = j + 1
        return s

    def uleb(self):
        r = 0
        shift = 0
        while True:
            b = self.u8()
            r |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return r
            if shift > 63:
                raise ValueError("uleb128 too long at %d" % self.i)

    def done(self):
        return self.i == len(self.d)


def uleb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


# ---------------------------------------------------------------- zig format


def decode_zig(data):
    """Decode zig's abilists.

    Layout: u8 library count + NUL-terminated names; u8 version count +
    (major, minor, patch) byte triples; u8 target count + NUL-terminated zig
    triples; then three sections (functions, objects, TLS), each a u16 count of
    inclusions.  An inclusion: the symbol name (NUL-terminated) only when it
    starts a new name; a ULEB128 target bitmask; for objects and TLS a ULEB128
    size; a byte with the library index in bits 0-4, bit 5 unversioned, bit 6
    weak, bit 7 = last inclusion of this name; then version-index bytes, bit 7
    set on the last one.

    Returns (libs, versions, targets, facts) where facts is a set of
    (name, lib, version, target, kind, size, weak, unversioned).
    """
    r = Reader(data)
    libs = [r.cstr() for _ in range(r.u8())]
    nver = r.u8()
    versions = [(r.u8(), r.u8(), r.u8()) for _ in range(nver)]
    targets = [r.cstr() for _ in range(r.u8())]
    if versions != sorted(versions) or len(set(versions)) != len(versions):
        die("zig abilists: versions not strictly ascending")
    if len(targets) > 64:
        die("zig abilists: more than 64 targets")
    facts = set()
    for kind in KINDS:
        count = r.u16()
        name = None
        for _ in range(count):
            if name is None:
                name = r.cstr()
                if not name:
                    die("zig abilists: empty symbol name")
            mask = r.uleb()
            size = r.uleb() if kind != "function" else None
            lb = r.u8()
            lib = lb & 0x1F
            unversioned = bool(lb & 0x20)
            weak = bool(lb & 0x40)
            last = bool(lb & 0x80)
            if lib >= len(libs):
                die("zig abilists: library index %d out of range (%s)" % (lib, name))
            if mask >> len(targets):
                die("zig abilists: target mask %#x out of range (%s)" % (mask, name))
            vers = []
            while True:
                b = r.u8()
                if (b & 0x7F) >= len(versions):
                    die("zig abilists: version index %d out of range (%s)" % (b & 0x7F, name))
                vers.append(versions[b & 0x7F])
                if b & 0x80:
                    break
            for t in range(len(targets)):
                if mask >> t & 1:
                    for v in vers:
                        facts.add((name, libs[lib], v, targets[t], kind, size, weak, unversioned))
            if last:
                name = None
        if name is not None:
            die("zig abilists: section %s ends inside the inclusions of %s" % (kind, name))
    if not r.done():
        die("zig abilists: %d trailing bytes" % (len(data) - r.i))
    return libs, versions, targets, facts


# ---------------------------------------------------------------- our format


def build(primary, supplement, libanl):
    p_libs, p_versions, p_targets, p_facts = decode_zig(primary)
    s_libs, s_versions, s_targets, s_facts = decode_zig(supplement)
    for libs in (p_libs, s_libs):
        if sorted(libs) != sorted(ZIG_LIBS):
            die("unexpected library set %s" % libs)
    if p_versions[: len(s_versions)] != s_versions:
        die("supplement versions are not a prefix of the primary versions")

    # Where both sources have a target they must agree (up to the supplement's newest).
    s_newest = s_versions[-1]
    common = set(p_targets) & set(s_targets)
    p_common = {f for f in p_facts if f[3] in common and f[2] <= s_newest}
    s_common = {f for f in s_facts if f[3] in common}
    if p_common != s_common:
        diff = sorted(p_common ^ s_common)[:10]
        die("primary and supplement disagree on common targets: %s" % diff)

    extra_targets = [t for t in s_targets if t not in p_targets]
    targets = list(p_targets) + extra_targets
    versions = list(p_versions)
    newest = {t: len(versions) - 1 for t in p_targets}
    for t in extra_targets:
        newest[t] = versions.index(s_newest)
    facts = set(p_facts) | {f for f in s_facts if f[3] in extra_targets}
    facts |= libanl_facts(libanl, targets, facts)

    # One (kind, size, weak, unversioned) per (name, lib, version, target).
    seen = {}
    for (name, lib, v, t, kind, size, weak, unv) in facts:
        key = (name, lib, v, t)
        val = (kind, size, weak, unv)
        if seen.setdefault(key, val) != val:
            die("conflicting attributes for %s: %s vs %s" % (key, seen[key], val))
    return versions, targets, newest, facts


def encode(versions, targets, newest, facts, provenance):
    tindex = {t: i for i, t in enumerate(targets)}
    vindex = {v: i for i, v in enumerate(versions)}
    lindex = {l: i for i, l in enumerate(LIBS)}
    kindex = {k: i for i, k in enumerate(KINDS)}
    if len(versions) > 127 or len(targets) > 64 or len(LIBS) > 16:
        die("table limits exceeded")

    # (name, lib, version, kind, size, weak, unv) -> target mask
    masks = collections.defaultdict(int)
    for (name, lib, v, t, kind, size, weak, unv) in facts:
        masks[(name, lib, v, kind, size, weak, unv)] |= 1 << tindex[t]
    # group the versions that share everything else
    groups = collections.defaultdict(list)
    for (name, lib, v, kind, size, weak, unv), mask in masks.items():
        groups[(name, lib, kind, size, weak, unv, mask)].append(v)

    mask_freq = collections.Counter(k[6] for k in groups)
    mask_list = sorted(mask_freq, key=lambda m: (-mask_freq[m], m))
    mask_idx = {m: i for i, m in enumerate(mask_list)}

    names = sorted({k[0] for k in groups}, key=lambda s: s.encode("utf-8"))
    name_idx = {n: i for i, n in enumerate(names)}
    per_name = collections.defaultdict(list)
    for key, vs in groups.items():
        per_name[key[0]].append((key, sorted(vs)))

    out = bytearray(MAGIC)
    out += provenance.encode("utf-8") + b"\0"
    out.append(len(LIBS))
    for l in LIBS:
        out += l.encode() + b"\0"
    out.append(len(versions))
    for v in versions:
        out += bytes(v)
    out.append(len(targets))
    for t in targets:
        out += t.encode() + b"\0"
        out.append(vindex[versions[newest[t]]])
    if len(mask_list) > 0xFFFF or len(names) > 0xFFFF:
        die("too many masks or names for u16 counts")
    out += len(mask_list).to_bytes(2, "little")
    for m in mask_list:
        out += uleb(m)
    out += len(names).to_bytes(2, "little")
    for n in names:
        b = n.encode("utf-8")
        if b"\0" in b:
            die("NUL in symbol name")
        out += b + b"\0"
    for n in names:
        recs = sorted(
            per_name[n],
            key=lambda kv: (lindex[kv[0][1]], kindex[kv[0][2]], kv[0][3] or 0, kv[0][4], kv[0][5], kv[1], kv[0][6]),
        )
        out += uleb(len(recs))
        for (name, lib, kind, size, weak, unv, mask), vs in recs:
            out += uleb(mask_idx[mask])
            out.append(lindex[lib] | kindex[kind] << 4 | (0x40 if weak else 0) | (0x80 if unv else 0))
            if kind != "function":
                out += uleb(size)
            for j, v in enumerate(vs):
                out.append(vindex[v] | (0x80 if j == len(vs) - 1 else 0))
    removals = []
    for (name, lib, rel, _why) in REMOVALS:
        if name not in name_idx:
            die("removal of unknown symbol %s" % name)
        if rel not in vindex:
            die("removal release %s not a version of the table" % (rel,))
        removals.append((name_idx[name], lindex[lib], vindex[rel]))
    out += len(removals).to_bytes(2, "little")
    for (ni, li, vi) in removals:
        out += uleb(ni)
        out.append(li)
        out.append(vi)
    return bytes(out), {"names": len(names), "records": sum(len(v) for v in per_name.values()), "masks": len(mask_list)}


def decode_ours(data):
    """Independent decoder of our own format, used to verify the encoder."""
    r = Reader(data)
    if data[:8] != MAGIC:
        die("bad magic")
    r.i = 8
    provenance = r.cstr()
    libs = [r.cstr() for _ in range(r.u8())]
    versions = [(r.u8(), r.u8(), r.u8()) for _ in range(r.u8())]
    targets = []
    newest = {}
    for _ in range(r.u8()):
        t = r.cstr()
        newest[t] = r.u8()
        targets.append(t)
    masks = [r.uleb() for _ in range(r.u16())]
    names = [r.cstr() for _ in range(r.u16())]
    facts = set()
    for n in names:
        for _ in range(r.uleb()):
            mask = masks[r.uleb()]
            flags = r.u8()
            lib = libs[flags & 0x0F]
            kind = KINDS[flags >> 4 & 3]
            weak = bool(flags & 0x40)
            unv = bool(flags & 0x80)
            size = r.uleb() if kind != "function" else None
            while True:
                b = r.u8()
                for t in range(len(targets)):
                    if mask >> t & 1:
                        facts.add((n, lib, versions[b & 0x7F], targets[t], kind, size, weak, unv))
                if b & 0x80:
                    break
    removals = []
    for _ in range(r.u16()):
        removals.append((names[r.uleb()], libs[r.u8()], versions[r.u8()]))
    if not r.done():
        die("own format: trailing bytes")
    return provenance, versions, targets, newest, facts, removals


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wheel-dir", help="directory holding (or receiving) the pinned ziglang wheels")
    ap.add_argument("--out", default=os.path.join(repo, "data", "glibc-abi.bin"))
    ap.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    ap.add_argument("--extract-libanl", metavar="GLIBC_GIT_DIR",
                    help="rewrite %s from a clone of glibc's repository, then stop" % LIBANL["file"])
    args = ap.parse_args()
    libanl_file = os.path.join(here, LIBANL["file"])
    if args.extract_libanl:
        extract_libanl(args.extract_libanl, libanl_file)
        return
    libanl = read_libanl(libanl_file)

    with tempfile.TemporaryDirectory() as tmp:
        wheel_dir = args.wheel_dir or tmp
        os.makedirs(wheel_dir, exist_ok=True)
        primary = fetch_wheel(PRIMARY, wheel_dir)
        supplement = fetch_wheel(SUPPLEMENT, wheel_dir)

    versions, targets, newest, facts = build(primary, supplement, libanl)
    provenance = (
        "glibc symbol versions from zig's lib/libc/glibc/abilists: PyPI ziglang %s (%s, sha256 %s); "
        "targets %s from ziglang %s (%s, sha256 %s); libanl from glibc's libanl.abilist files of %s (%s); removals: %s"
        % (
            PRIMARY["version"], PRIMARY["wheel"], PRIMARY["wheel_sha256"],
            ", ".join(t for t in targets if newest[t] != len(versions) - 1),
            SUPPLEMENT["version"], SUPPLEMENT["wheel"], SUPPLEMENT["wheel_sha256"],
            LIBANL["tag"], LIBANL["commit"],
            "; ".join("%s@lib%s from %d.%d (%s)" % (n, l, r[0], r[1], why) for (n, l, r, why) in REMOVALS),
        )
    )
    data, stats = encode(versions, targets, newest, facts, provenance)

    # Round trip through an independent decoder.
    _, v2, t2, n2, f2, rm = decode_ours(data)
    if v2 != versions or t2 != targets or f2 != facts:
        die("round trip mismatch")
    if {t: v2[i] for t, i in n2.items()} != {t: versions[newest[t]] for t in targets}:
        die("round trip mismatch (newest)")

    sys.stderr.write(
        "gen_abi: %d bytes: %d versions (%s .. %s), %d targets, %d names, %d records, %d target masks, %d removals\n"
        % (len(data), len(versions), ".".join(map(str, versions[0])), ".".join(map(str, versions[-1])),
           len(targets), stats["names"], stats["records"], stats["masks"], len(rm))
    )
    if args.check:
        with open(args.out, "rb") as f:
            if f.read() != data:
                die("%s is out of date: rerun tools/gen-abi/gen_abi.py" % args.out)
        sys.stderr.write("gen_abi: %s is up to date\n" % args.out)
        return
    tmp_out = args.out + ".tmp"
    with open(tmp_out, "wb") as f:
        f.write(data)
    os.replace(tmp_out, args.out)
    sys.stderr.write("gen_abi: wrote %s (sha256 %s)\n" % (args.out, hashlib.sha256(data).hexdigest()))


if __name__ == "__main__":
    main()
