#!/usr/bin/env python3
"""Remove the section header table from an ELF file, the way sstrip does.

Usage: strip-section-headers.py INPUT OUTPUT

Sets e_shoff, e_shnum and e_shstrndx to 0 (e_shentsize is kept), and cuts the
section header table off the file when it is the last thing in the file and no
segment's file image reaches into it.  The loader needs only the program
headers, so the result still runs; readers must find everything through
PT_DYNAMIC.  Handles ELFCLASS32/64 and little/big endian.  Python stdlib only.
"""

import os
import struct
import sys

EI_CLASS, EI_DATA = 4, 5
ELFCLASS32, ELFCLASS64 = 1, 2
ELFDATA2LSB, ELFDATA2MSB = 1, 2


def layout(ident):
    """Return (endian prefix, header struct, program header struct)."""
    if ident[EI_DATA] == ELFDATA2LSB:
        end = "<"
    elif ident[EI_DATA] == ELFDATA2MSB:
        end = ">"
    else:
        raise ValueError("unknown EI_DATA %d" % ident[EI_DATA])
    if ident[EI_CLASS] == ELFCLASS64:
        # e_type .. e_shstrndx after the 16-byte e_ident
        ehdr = struct.Struct(end + "16sHHIQQQIHHHHHH")
        # p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align
        phdr = struct.Struct(end + "IIQQQQQQ")
        phdr_fields = ("type", "flags", "offset", "vaddr", "paddr", "filesz", "memsz", "align")
    elif ident[EI_CLASS] == ELFCLASS32:
        ehdr = struct.Struct(end + "16sHHIIIIIHHHHHH")
        # p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags, p_align
        phdr = struct.Struct(end + "IIIIIIII")
        phdr_fields = ("type", "offset", "vaddr", "paddr", "filesz", "memsz", "flags", "align")
    else:
        raise ValueError("unknown EI_CLASS %d" % ident[EI_CLASS])
    return ehdr, phdr, phdr_fields


def strip_section_headers(data):
    if data[:4] != b"\x7fELF":
        raise ValueError("not an ELF file")
    ehdr_s, phdr_s, phdr_fields = layout(data[:16])
    (ident, e_type, e_machine, e_version, e_entry, e_phoff, e_shoff, e_flags,
     e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx) = ehdr_s.unpack_from(data, 0)
    if e_shoff == 0:
        raise ValueError("file has no section header table")
    if e_phentsize != phdr_s.size:
        raise ValueError("unexpected e_phentsize %d" % e_phentsize)

    # The end of the last byte any segment maps from the file.
    segments_end = 0
    for i in range(e_phnum):
        ph = dict(zip(phdr_fields, phdr_s.unpack_from(data, e_phoff + i * e_phentsize)))
        segments_end = max(segments_end, ph["offset"] + ph["filesz"])
    segments_end = max(segments_end, e_phoff + e_phnum * e_phentsize, e_ehsize)

    # With e_shnum == 0 and e_shoff != 0, the real count lives in section 0's
    # sh_size (more than 0xff00 sections); not expected here, but handle it.
    shnum = e_shnum
    if shnum == 0:
        size_off = e_shoff + (20 if ehdr_s.size == 52 else 32)
        fmt = ehdr_s.format[0] + ("I" if ehdr_s.size == 52 else "Q")
        shnum = struct.unpack_from(fmt, data, size_off)[0]
    sht_end = e_shoff + shnum * e_shentsize

    out = bytearray(data)
    if sht_end == len(data) and e_shoff >= segments_end:
        del out[e_shoff:]
    ehdr_s.pack_into(out, 0, ident, e_type, e_machine, e_version, e_entry, e_phoff, 0, e_flags,
                     e_ehsize, e_phentsize, e_phnum, e_shentsize, 0, 0)
    return bytes(out)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    src, dst = argv[1], argv[2]
    with open(src, "rb") as f:
        data = f.read()
    out = strip_section_headers(data)
    tmp = dst + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out)
    os.chmod(tmp, os.stat(src).st_mode & 0o7777)
    os.replace(tmp, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
