#!/usr/bin/env python3
"""Benchmark helper: extract every file's dynamic symbols and their versions with
pyelftools or LIEF, in parallel, the way elfcompat does it natively.

Per file: every .dynsym entry with the version its .gnu.version entry names, resolved
through .gnu.version_r (needed versions: name and library) and .gnu.version_d (defined
versions). The records go back to the parent process, which writes them as JSON lines to
--out (default /dev/null), so the cost of moving and printing the data is paid as
elfcompat pays it for its JSON.

  extract.py {pyelftools|lief} --list FILES.txt [--jobs 2] [--out PATH] [--counts PATH]

--counts writes one line per file: path, status (ok or the error), number of .dynsym
entries, and number of symbols bound to a needed version (comparable to the entries of
elfcompat's per-symbol table that have a library).
"""

import argparse
import json
import multiprocessing
import os
import sys
import time

HIDDEN = 0x8000


def _versym_index(ndx):
    # pyelftools returns the named specials as strings.
    if isinstance(ndx, str):
        return {"VER_NDX_LOCAL": 0, "VER_NDX_GLOBAL": 1, "VER_NDX_LORESERVE": 0xFF00,
                "VER_NDX_ELIMINATE": 0xFF01}.get(ndx, 0)
    return ndx


def extract_pyelftools(path):
    from elftools.elf.elffile import ELFFile
    from elftools.elf.gnuversions import GNUVerDefSection, GNUVerNeedSection, GNUVerSymSection
    from elftools.elf.sections import SymbolTableSection

    with open(path, "rb") as f:
        elf = ELFFile(f)
        dynsym = versym = verneed = verdef = None
        for sec in elf.iter_sections():
            t = sec["sh_type"]
            if t == "SHT_DYNSYM" and isinstance(sec, SymbolTableSection):
                dynsym = sec
            elif isinstance(sec, GNUVerSymSection):
                versym = sec
            elif isinstance(sec, GNUVerNeedSection):
                verneed = sec
            elif isinstance(sec, GNUVerDefSection):
                verdef = sec
        needed = {}  # index -> (version name, library)
        if verneed is not None:
            for vn, auxs in verneed.iter_versions():
                for aux in auxs:
                    needed[aux["vna_other"] & 0x7FFF] = (aux.name, vn.name)
        defined = {}  # index -> version name
        if verdef is not None:
            for vd, auxs in verdef.iter_versions():
                first = next(iter(auxs), None)
                if first is not None:
                    defined[vd["vd_ndx"]] = first.name
        records = []
        if dynsym is not None:
            vs = list(versym.iter_symbols()) if versym is not None else None
            for i, sym in enumerate(dynsym.iter_symbols()):
                if i == 0:
                    continue
                version = library = None
                if vs is not None and i < len(vs):
                    idx = _versym_index(vs[i]["ndx"]) & 0x7FFF
                    if idx in needed:
                        version, library = needed[idx]
                    elif idx in defined:
                        version = defined[idx]
                records.append((sym.name, version, library, sym["st_shndx"] != "SHN_UNDEF"))
        return records


def extract_lief(path):
    import lief

    binary = lief.ELF.parse(path)
    if binary is None:
        raise ValueError("lief.ELF.parse returned None")
    # LIEF does not link a needed version back to its library: map the names here.
    libraries = {}
    for req in binary.symbols_version_requirement:
        for aux in req.get_auxiliary_symbols():
            libraries.setdefault(aux.name, req.name)
    records = []
    for i, sym in enumerate(binary.dynamic_symbols):
        if i == 0:
            continue
        version = library = None
        if sym.has_version:
            sv = sym.symbol_version
            aux = sv.symbol_version_auxiliary
            if aux is not None:
                version = aux.name
                if isinstance(aux, lief.ELF.SymbolVersionAuxRequirement):
                    library = libraries.get(aux.name)
        records.append((sym.name, version, library, sym.shndx != 0))
    return records


TOOLS = {"pyelftools": extract_pyelftools, "lief": extract_lief}
_tool = None


def _init(tool):
    global _tool
    _tool = TOOLS[tool]
    if tool == "lief":
        import lief
        lief.logging.disable()


def _work(path):
    try:
        return path, "ok", _tool(path)
    except Exception as e:  # any parse failure is a result, not a crash
        return path, f"{type(e).__name__}: {e}".replace("\n", " ")[:200], []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tool", choices=sorted(TOOLS))
    ap.add_argument("--list", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=os.devnull)
    ap.add_argument("--counts")
    args = ap.parse_args()
    with open(args.list) as f:
        paths = [line.rstrip("\n") for line in f if line.strip()]
    t0 = time.perf_counter()
    ok = bad = nsyms = 0
    counts = []
    with open(args.out, "w") as out:
        if args.jobs > 1:
            pool = multiprocessing.Pool(args.jobs, initializer=_init, initargs=(args.tool,))
            results = pool.imap(_work, paths, chunksize=1)
        else:
            pool = None
            _init(args.tool)
            results = map(_work, paths)
        for path, status, records in results:
            if status == "ok":
                ok += 1
            else:
                bad += 1
            nsyms += len(records)
            out.write(json.dumps({"path": path, "status": status, "symbols": records}))
            out.write("\n")
            if args.counts:
                with_lib = sum(1 for r in records if r[2] is not None)
                counts.append(f"{path}\t{status}\t{len(records)}\t{with_lib}\n")
        if pool is not None:
            pool.close()
            pool.join()
    if args.counts:
        with open(args.counts, "w") as f:
            f.writelines(counts)
    print(f"{args.tool}: {ok} parsed, {bad} failed, {nsyms} symbols, "
          f"{time.perf_counter() - t0:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
