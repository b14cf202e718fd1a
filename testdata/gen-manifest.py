#!/usr/bin/env python3
"""Write testdata/manifest.json: one entry per file under testdata/bin/.

Each entry describes a fixture as an independent reader sees it: the ELF
header facts, the kind of file, and, read through PT_DYNAMIC the way the
loader reads it, DT_NEEDED, DT_SONAME, the hash tables present, and the
version needs and definitions.  For every file that has section headers the
version data is cross-checked against `readelf -V`, so the manifest is an
oracle for tests that does not share code with elfcompat's reader.

Python stdlib only; needs binutils' readelf for the cross-check.
"""

import json
import os
import re
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

EM_NAMES = {3: "EM_386", 8: "EM_MIPS", 21: "EM_PPC64", 22: "EM_S390", 40: "EM_ARM",
            62: "EM_X86_64", 183: "EM_AARCH64", 243: "EM_RISCV"}
ET_EXEC, ET_DYN = 2, 3
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_HASH, DT_STRTAB, DT_SONAME, DT_RELR = 0, 1, 4, 5, 14, 36
DT_GNU_HASH, DT_MIPS_XHASH = 0x6FFFFEF5, 0x70000036
DT_VERDEF, DT_VERDEFNUM, DT_VERNEED, DT_VERNEEDNUM = 0x6FFFFFFC, 0x6FFFFFFD, 0x6FFFFFFE, 0x6FFFFFFF
DT_FLAGS_1, DF_1_PIE = 0x6FFFFFFB, 0x08000000
VER_FLG_BASE, VER_FLG_WEAK = 0x1, 0x2

# What each fixture is for.  Keys are fixture names; arch-specific additions
# are in ARCH_NOTES.
NOTES = {
    "hello": "PIE C program importing glibc at many versions: printf, memcpy, "
             "pthread_create/join and dlopen/dlsym/dlclose (libc GLIBC_2.34), pow/exp/log "
             "(libm GLIBC_2.29), stat/fstat (2.33), getrandom (2.25), reallocarray (2.26), "
             "gettid (2.30), weak __libc_single_threaded (2.32, vernaux flags still 0), "
             "weak unversioned elfcompat_optional_hook. Stripped (-s).",
    "hello-nopie": "hello.c linked -no-pie: ET_EXEC with PT_INTERP; __libc_single_threaded "
                   "becomes a copy relocation where the architecture uses them.",
    "hello-debug": "hello.c unstripped, with .symtab and DWARF (-g); otherwise like hello.",
    "hello-weakver": "hello with the libc.so.6 GLIBC_2.32 vernaux (used only by the weak "
                     "__libc_single_threaded) marked VER_FLG_WEAK by mark-version-weak.py; "
                     "no linker here sets that flag by itself.",
    "nosections": "hello with the section header table removed (e_shoff/e_shnum/e_shstrndx = 0, "
                  "table truncated) by strip-section-headers.py; still runs. Readers must go "
                  "through PT_DYNAMIC.",
    "libverdef.so": "Shared library with SONAME libverdef.so and a version script: verdefs "
                    "libverdef.so (BASE), VERS_1.0, VERS_2.0 (parent VERS_1.0); vd_value has a "
                    "hidden vd_value@VERS_1.0 and a default vd_value@@VERS_2.0.",
    "uselib": "Executable linked against libverdef.so (DT_RUNPATH $ORIGIN): verneed on "
              "libverdef.so for VERS_1.0 and VERS_2.0 besides libc.so.6; imports vd_value "
              "twice (@VERS_2.0 and, through .symver, @VERS_1.0).",
    "cxx": "C++ program: iostream, std::string, a thrown and caught std::invalid_argument, "
           "std::shared_ptr, a global constructor. Needs GLIBCXX_3.4.x and CXXABI_1.3.x "
           "(libstdc++.so.6), GCC_x.y (libgcc_s.so.1) and glibc.",
    "hashstyle-sysv": "hello.c linked with --hash-style=sysv: DT_HASH only, no DT_GNU_HASH.",
    "relr": "hello.c linked with -z pack-relative-relocs: DT_RELR/.relr.dyn and the "
            "GLIBC_ABI_DT_RELR version requirement (glibc >= 2.36).",
    "static": "hello.c linked -static: ET_EXEC, no PT_INTERP, no PT_DYNAMIC, no version "
              "requirements (IRELATIVE relocations only).",
    "static-pie": "hello.c linked -static-pie: ET_DYN with PT_DYNAMIC and DF_1_PIE but no "
                  "PT_INTERP, no DT_NEEDED, no version requirements.",
}
ARCH_NOTES = {
    ("aarch64", "relr"): "Linked by LLD 16 (GNU ld 2.40 has no aarch64 DT_RELR): LLD's layout, "
                         "vernaux order and string table differ from GNU ld's.",
    ("ppc64", "*"): "ELFv1 ABI: function descriptors in .opd; e_flags 1.",
    ("ppc64le", "*"): "ELFv2 ABI; 64 KiB p_align.",
    ("aarch64", "*"): "64 KiB p_align (GNU ld pads the file to it).",
    ("mips64el", "*"): "n64 ABI; MIPS-specific dynamic tags and GOT-ordered .dynsym.",
    ("armhf", "*"): "EABI5 hard-float; base version GLIBC_2.4.",
    ("s390x", "*"): "Big-endian 64-bit.",
}


class Elf:
    def __init__(self, data):
        if data[:4] != b"\x7fELF":
            raise ValueError("not ELF")
        self.data = data
        self.bits = {1: 32, 2: 64}[data[4]]
        self.endian = {1: "little", 2: "big"}[data[5]]
        e = "<" if self.endian == "little" else ">"
        self.e = e
        if self.bits == 64:
            (self.e_type, self.e_machine, _, _, phoff, shoff, self.e_flags, _, phentsize, phnum,
             _, shnum, _) = struct.unpack_from(e + "HHIQQQIHHHHHH", data, 16)
            ph = struct.Struct(e + "IIQQQQQQ")
            fields = ("type", "flags", "offset", "vaddr", "paddr", "filesz", "memsz", "align")
            self.dyn = struct.Struct(e + "qQ")
        else:
            (self.e_type, self.e_machine, _, _, phoff, shoff, self.e_flags, _, phentsize, phnum,
             _, shnum, _) = struct.unpack_from(e + "HHIIIIIHHHHHH", data, 16)
            ph = struct.Struct(e + "IIIIIIII")
            fields = ("type", "offset", "vaddr", "paddr", "filesz", "memsz", "flags", "align")
            self.dyn = struct.Struct(e + "iI")
        self.has_sections = shoff != 0 and shnum != 0
        self.phdrs = [dict(zip(fields, ph.unpack_from(data, phoff + i * phentsize)))
                      for i in range(phnum)]
        self.tags = []
        for p in self.phdrs:
            if p["type"] == PT_DYNAMIC:
                off = p["offset"]
                while off + self.dyn.size <= p["offset"] + p["filesz"]:
                    tag, val = self.dyn.unpack_from(data, off)
                    if tag == DT_NULL:
                        break
                    self.tags.append((tag, val))
                    off += self.dyn.size

    def has(self, ptype):
        return any(p["type"] == ptype for p in self.phdrs)

    def tag(self, t):
        for k, v in self.tags:
            if k == t:
                return v
        return None

    def off(self, vaddr):
        for p in self.phdrs:
            if p["type"] == PT_LOAD and p["vaddr"] <= vaddr < p["vaddr"] + p["filesz"]:
                return vaddr - p["vaddr"] + p["offset"]
        raise ValueError("address %#x not in a PT_LOAD" % vaddr)

    def string(self, idx):
        start = self.off(self.tag(DT_STRTAB)) + idx
        return self.data[start:self.data.index(b"\0", start)].decode()

    def interp(self):
        for p in self.phdrs:
            if p["type"] == PT_INTERP:
                return self.data[p["offset"]:p["offset"] + p["filesz"]].rstrip(b"\0").decode()
        return None

    def kind(self):
        if self.e_type == ET_EXEC:
            return "exec" if self.has(PT_INTERP) else "static"
        if self.e_type == ET_DYN:
            if self.has(PT_INTERP):
                return "pie"
            if (self.tag(DT_FLAGS_1) or 0) & DF_1_PIE:
                return "static-pie"
            return "dyn"
        return "other"

    def verneed(self):
        out = []
        if self.tag(DT_VERNEED) is None:
            return out
        off = self.off(self.tag(DT_VERNEED))
        for _ in range(self.tag(DT_VERNEEDNUM)):
            # Elf_Verneed: vn_version, vn_cnt, vn_file, vn_aux, vn_next
            _, cnt, vfile, aux, nxt = struct.unpack_from(self.e + "HHIII", self.data, off)
            versions = []
            a = off + aux
            for _ in range(cnt):
                # Elf_Vernaux: vna_hash, vna_flags, vna_other, vna_name, vna_next
                _, flags, other, name, anext = struct.unpack_from(self.e + "IHHII", self.data, a)
                versions.append({"name": self.string(name), "index": other,
                                 "weak": bool(flags & VER_FLG_WEAK)})
                a += anext
            out.append({"file": self.string(vfile), "versions": versions})
            off += nxt
        return out

    def verdef(self):
        out = []
        if self.tag(DT_VERDEF) is None:
            return out
        off = self.off(self.tag(DT_VERDEF))
        for _ in range(self.tag(DT_VERDEFNUM)):
            # Elf_Verdef: vd_version, vd_flags, vd_ndx, vd_cnt, vd_hash, vd_aux, vd_next
            _, flags, ndx, cnt, _, aux, nxt = struct.unpack_from(self.e + "HHHHIII", self.data, off)
            names = []
            a = off + aux
            for _ in range(cnt):
                # Elf_Verdaux: vda_name, vda_next
                name, anext = struct.unpack_from(self.e + "II", self.data, a)
                names.append(self.string(name))
                a += anext
            out.append({"name": names[0], "index": ndx, "base": bool(flags & VER_FLG_BASE),
                        "parents": names[1:]})
            off += nxt
        return out


def readelf_versions(path):
    """(verneed, verdef) as readelf -V prints them, reduced to names."""
    text = subprocess.run(["readelf", "-VW", path], check=True, capture_output=True,
                          text=True).stdout
    need, defs, section = [], [], None
    for line in text.splitlines():
        if line.startswith("Version needs section"):
            section = "need"
        elif line.startswith("Version definition section"):
            section = "def"
        elif line.startswith("Version symbols section"):
            section = None
        elif section == "need":
            m = re.search(r"File: (\S+)\s+Cnt: \d+", line)
            if m:
                need.append({"file": m.group(1), "versions": []})
            m = re.search(r"Name: (\S+)\s+Flags: (.*?)\s+Version: (\d+)", line)
            if m:
                need[-1]["versions"].append({"name": m.group(1), "index": int(m.group(3)),
                                             "weak": "WEAK" in m.group(2)})
        elif section == "def":
            m = re.search(r"Flags: (\S+)\s+Index: (\d+)\s+Cnt: \d+\s+Name: (\S+)", line)
            if m:
                defs.append({"name": m.group(3), "index": int(m.group(2)),
                             "base": m.group(1) == "BASE", "parents": []})
            m = re.search(r"Parent \d+: (\S+)", line)
            if m:
                defs[-1]["parents"].append(m.group(1))
    return need, defs


def describe(rel):
    path = os.path.join(HERE, rel)
    with open(path, "rb") as f:
        elf = Elf(f.read())
    _, arch, name = rel.split("/")
    needed = [elf.string(v) for k, v in elf.tags if k == DT_NEEDED]
    soname = elf.tag(DT_SONAME)
    hashes = [n for t, n in ((DT_GNU_HASH, "gnu"), (DT_HASH, "sysv"), (DT_MIPS_XHASH, "mips-xhash"))
              if elf.tag(t) is not None]
    verneed, verdef = elf.verneed(), elf.verdef()
    if elf.has_sections:
        rneed, rdef = readelf_versions(path)
        if (rneed, rdef) != (verneed, verdef):
            raise SystemExit("%s: PT_DYNAMIC parse disagrees with readelf:\n%s\n%s"
                             % (rel, (verneed, verdef), (rneed, rdef)))
    notes = [NOTES[name]]
    for key in ((arch, name), (arch, "*")):
        if key in ARCH_NOTES:
            notes.append(ARCH_NOTES[key])
    return {
        "path": rel,
        "fixture": name,
        "arch": arch,
        "e_machine": elf.e_machine,
        "e_machine_name": EM_NAMES.get(elf.e_machine, "?"),
        "class": elf.bits,
        "endian": elf.endian,
        "kind": elf.kind(),
        "has_section_headers": elf.has_sections,
        "interp": elf.interp(),
        "needed": needed,
        "soname": elf.string(soname) if soname is not None else None,
        "hash": hashes,
        "relr": elf.tag(DT_RELR) is not None,
        "verneed": verneed,
        "verdef": verdef,
        "size": len(elf.data),
        "notes": " ".join(notes),
    }


def check(entries):
    """Assert what each fixture exists to exercise; a rebuild that loses a
    property (say, the compiler inlines memcpy again) fails here."""
    by = {(e["arch"], e["fixture"]): e for e in entries}
    problems = []

    def need(cond, entry, what):
        if not cond:
            problems.append("%s: %s" % (entry["path"], what))

    def names(entry, lib):
        return {v["name"] for vn in entry["verneed"] if vn["file"] == lib for v in vn["versions"]}

    for e in entries:
        fx, arch = e["fixture"], e["arch"]
        libc, libm = names(e, "libc.so.6"), names(e, "libm.so.6")
        if fx in ("hello", "hello-nopie", "hello-debug", "hello-weakver", "nosections",
                  "hashstyle-sysv", "relr"):
            need(e["kind"] == ("exec" if fx == "hello-nopie" else "pie"), e, "kind " + e["kind"])
            need({"GLIBC_2.30", "GLIBC_2.32", "GLIBC_2.33", "GLIBC_2.34"} <= libc, e, "libc versions")
            need(bool(libm), e, "no libm.so.6 verneed")
            if arch != "riscv64":  # riscv64's base, 2.27, covers these
                need({"GLIBC_2.25", "GLIBC_2.26"} <= libc, e, "getrandom/reallocarray versions")
                need("GLIBC_2.29" in libm, e, "libm GLIBC_2.29")
            if arch == "x86_64":
                need("GLIBC_2.14" in libc, e, "memcpy@GLIBC_2.14")
            need(("GLIBC_ABI_DT_RELR" in libc) == (fx == "relr") and e["relr"] == (fx == "relr"),
                 e, "DT_RELR / GLIBC_ABI_DT_RELR")
            need(e["has_section_headers"] == (fx != "nosections"), e, "section headers")
            weak = {v["name"] for vn in e["verneed"] for v in vn["versions"] if v["weak"]}
            need(weak == ({"GLIBC_2.32"} if fx == "hello-weakver" else set()), e, "weak versions %s" % weak)
        if fx == "nosections":
            hello = by[(arch, "hello")]
            need(e["verneed"] == hello["verneed"] and e["needed"] == hello["needed"], e,
                 "differs from hello")
        if fx == "hashstyle-sysv":
            need(e["hash"] == ["sysv"], e, "hash %s" % e["hash"])
        if fx == "libverdef.so":
            need(e["kind"] == "dyn" and e["soname"] == "libverdef.so", e, "kind/soname")
            need([d["name"] for d in e["verdef"]] == ["libverdef.so", "VERS_1.0", "VERS_2.0"]
                 and e["verdef"][2]["parents"] == ["VERS_1.0"], e, "verdefs")
        if fx == "uselib":
            need(names(e, "libverdef.so") == {"VERS_1.0", "VERS_2.0"}, e, "libverdef.so verneed")
        if fx == "cxx":
            std = names(e, "libstdc++.so.6")
            need(any(n.startswith("GLIBCXX_3.4.") for n in std), e, "GLIBCXX_3.4.x")
            need(any(n.startswith("CXXABI_1.3.") for n in std), e, "CXXABI_1.3.x")
            need(any(n.startswith("GCC_") for n in names(e, "libgcc_s.so.1")), e, "GCC_x.y")
            need("GLIBC_2.32" in libc, e, "__libc_single_threaded@GLIBC_2.32")
        if fx in ("static", "static-pie"):
            need(e["kind"] == fx and not e["verneed"] and not e["needed"], e, "not static")
    if problems:
        raise SystemExit("fixture checks failed:\n  " + "\n  ".join(problems))


def main():
    entries = []
    bindir = os.path.join(HERE, "bin")
    for arch in sorted(os.listdir(bindir)):
        for name in sorted(os.listdir(os.path.join(bindir, arch))):
            entries.append(describe("bin/%s/%s" % (arch, name)))
    check(entries)
    with open(os.path.join(HERE, "manifest.json.tmp"), "w") as f:
        json.dump(entries, f, indent=2)
        f.write("\n")
    os.replace(os.path.join(HERE, "manifest.json.tmp"), os.path.join(HERE, "manifest.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
