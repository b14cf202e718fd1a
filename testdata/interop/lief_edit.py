"""Edits made with LIEF (PyPI `lief`) for tests/interop.rs: the ways people change an ELF
file with it. Usage: python3 lief_edit.py OP IN OUT [OP IN OUT ...], OP one of
  add-library   a new DT_NEEDED libm.so.6
  add-segment   a new PT_LOAD holding 448 bytes of data
  add-section   a new allocated section (LIEF maps it in a new segment)
Several edits in one process: starting Python and importing LIEF costs more than an edit.
"""
import sys

import lief

PAYLOAD = list(b"interop" * 64)


def edit(op, src, dst):
    binary = lief.ELF.parse(src)
    if binary is None:
        raise SystemExit(f"lief cannot parse {src}")
    if op == "add-library":
        binary.add_library("libm.so.6")
    elif op == "add-segment":
        seg = lief.ELF.Segment()
        seg.type = lief.ELF.Segment.TYPE.LOAD
        seg.flags = lief.ELF.Segment.FLAGS.R
        seg.content = PAYLOAD
        seg.alignment = 0x1000
        binary.add(seg)
    elif op == "add-section":
        sec = lief.ELF.Section(".interop", lief.ELF.Section.TYPE.PROGBITS)
        sec.content = PAYLOAD
        sec.flags = lief.ELF.Section.FLAGS.ALLOC
        binary.add(sec, loaded=True)
    else:
        raise SystemExit(f"unknown edit {op}")
    binary.write(dst)


def main(args):
    if len(args) % 3 != 0 or not args:
        raise SystemExit(__doc__)
    for i in range(0, len(args), 3):
        edit(*args[i : i + 3])


if __name__ == "__main__":
    main(sys.argv[1:])
