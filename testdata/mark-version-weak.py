#!/usr/bin/env python3
"""Set VER_FLG_WEAK on one vernaux entry of an ELF file.

Usage: mark-version-weak.py INPUT OUTPUT VERSION [LIBRARY]

Neither GNU ld, gold nor lld sets VER_FLG_WEAK on a vernaux, even when every
reference to that version is weak, so a fixture with a weak version
requirement has to be made by editing one: this finds the vernaux named
VERSION (under the verneed for LIBRARY, if given) through PT_DYNAMIC, the way
the loader does, and ORs 0x2 into its vna_flags.  Nothing else changes.
ELFCLASS32/64, little and big endian.  Python stdlib only.
"""

import os
import struct
import sys

VER_FLG_WEAK = 0x2
PT_LOAD, PT_DYNAMIC = 1, 2
DT_NULL, DT_STRTAB, DT_VERNEED, DT_VERNEEDNUM = 0, 5, 0x6FFFFFFE, 0x6FFFFFFF


def parse(data):
    end = {1: "<", 2: ">"}[data[5]]
    is64 = {1: False, 2: True}[data[4]]
    if is64:
        e_phoff, = struct.unpack_from(end + "Q", data, 32)
        e_phentsize, e_phnum = struct.unpack_from(end + "HH", data, 54)
        phdr = struct.Struct(end + "IIQQQQQQ")
        fields = ("type", "flags", "offset", "vaddr", "paddr", "filesz", "memsz", "align")
        dyn = struct.Struct(end + "qQ")
    else:
        e_phoff, = struct.unpack_from(end + "I", data, 28)
        e_phentsize, e_phnum = struct.unpack_from(end + "HH", data, 42)
        phdr = struct.Struct(end + "IIIIIIII")
        fields = ("type", "offset", "vaddr", "paddr", "filesz", "memsz", "flags", "align")
        dyn = struct.Struct(end + "iI")
    phdrs = [dict(zip(fields, phdr.unpack_from(data, e_phoff + i * e_phentsize))) for i in range(e_phnum)]
    return end, phdrs, dyn


def vaddr_to_offset(phdrs, vaddr):
    for ph in phdrs:
        if ph["type"] == PT_LOAD and ph["vaddr"] <= vaddr < ph["vaddr"] + ph["filesz"]:
            return vaddr - ph["vaddr"] + ph["offset"]
    raise ValueError("address %#x is not in any PT_LOAD" % vaddr)


def cstr(data, off):
    return data[off:data.index(b"\0", off)].decode()


def mark(data, version, library=None):
    end, phdrs, dyn = parse(data)
    dynamic = [ph for ph in phdrs if ph["type"] == PT_DYNAMIC]
    if not dynamic:
        raise ValueError("no PT_DYNAMIC")
    tags = {}
    off = dynamic[0]["offset"]
    while True:
        tag, val = dyn.unpack_from(data, off)
        if tag == DT_NULL:
            break
        tags.setdefault(tag, val)
        off += dyn.size
    strtab = vaddr_to_offset(phdrs, tags[DT_STRTAB])
    vn_off = vaddr_to_offset(phdrs, tags[DT_VERNEED])
    out = bytearray(data)
    hits = 0
    for _ in range(tags[DT_VERNEEDNUM]):
        # Elf_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32
        vn_version, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from(end + "HHIII", data, vn_off)
        file_name = cstr(data, strtab + vn_file)
        aux_off = vn_off + vn_aux
        for _ in range(vn_cnt):
            # Elf_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
            vna_hash, vna_flags, vna_other, vna_name, vna_next = struct.unpack_from(end + "IHHII", data, aux_off)
            if cstr(data, strtab + vna_name) == version and library in (None, file_name):
                struct.pack_into(end + "H", out, aux_off + 4, vna_flags | VER_FLG_WEAK)
                hits += 1
            aux_off += vna_next
        vn_off += vn_next
    if hits != 1:
        raise ValueError("expected exactly one vernaux %s, found %d" % (version, hits))
    return bytes(out)


def main(argv):
    if len(argv) not in (4, 5):
        sys.stderr.write(__doc__)
        return 2
    src, dst, version = argv[1:4]
    library = argv[4] if len(argv) == 5 else None
    with open(src, "rb") as f:
        data = f.read()
    out = mark(data, version, library)
    tmp = dst + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out)
    os.chmod(tmp, os.stat(src).st_mode & 0o7777)
    os.replace(tmp, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
