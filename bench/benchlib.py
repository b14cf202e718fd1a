#!/usr/bin/env python3
"""Helpers for bench/report-tree.sh (standard library only).

  benchlib.py lists ROOT OUTDIR        all.list (every regular file, walked as elfcompat
                                       walks), elf.list (those with the ELF magic) and
                                       big.list (the largest dynamically linked ELF files)
  benchlib.py check OUTDIR SET         cross-check the tools' per-file symbol counts
  benchlib.py table OUTDIR SET...      the results table (markdown) from hyperfine's JSON
                                       and the /usr/bin/time records
  benchlib.py speed-table OUTDIR        bench/report-speed.sh's table: each row against
                                       the floor and the readelf loop, over the rounds
  benchlib.py perf-summary PERF.TXT    elfcompat's samples by phase and by leaf cost, from
                                       `perf script -F comm,tid,ip,sym,dso` (DWARF stacks)
"""

import json
import os
import re
import stat
import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

SHT_DYNSYM = 11
# readelf prints a symbol bound to a needed version as NAME@VERSION (N).
NEEDED = re.compile(r"[^@\s]@[^@\s]+ \(\d+\)$")


# --- file lists -----------------------------------------------------------------------

def walk(root):
    """Regular files under root, as elfcompat's scan::walk lists them: symlinks followed,
    names sorted, depth first, every (device, inode) once."""
    seen = set()
    files = []

    def visit(d):
        try:
            names = sorted(os.listdir(d))
        except OSError:
            return
        for name in names:
            p = os.path.join(d, name)
            try:
                st = os.stat(p)
            except OSError:
                continue
            key = (st.st_dev, st.st_ino)
            if stat.S_ISDIR(st.st_mode):
                if key not in seen:
                    seen.add(key)
                    visit(p)
            elif stat.S_ISREG(st.st_mode):
                if key not in seen:
                    seen.add(key)
                    files.append((p, st.st_size))

    st = os.stat(root)
    seen.add((st.st_dev, st.st_ino))
    visit(root)
    return files


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def has_dynsym(path):
    """Whether the section headers list a .dynsym (SHT_DYNSYM)."""
    try:
        with open(path, "rb") as f:
            h = f.read(64)
            if len(h) < 52 or h[:4] != b"\x7fELF":
                return False
            e = "<" if h[5] == 1 else ">"
            if h[4] == 2:
                shoff, = struct.unpack(e + "Q", h[40:48])
                shentsize, shnum = struct.unpack(e + "HH", h[58:62])
            else:
                shoff, = struct.unpack(e + "I", h[32:36])
                shentsize, shnum = struct.unpack(e + "HH", h[46:50])
            if shoff == 0 or shnum == 0 or shentsize < 8:
                return False
            f.seek(shoff)
            table = f.read(shentsize * shnum)
            for i in range(shnum):
                t, = struct.unpack(e + "I", table[i * shentsize + 4:i * shentsize + 8])
                if t == SHT_DYNSYM:
                    return True
    except (OSError, struct.error):
        return False
    return False


def cmd_lists(root, outdir, nbig=10):
    files = walk(root)
    with open(os.path.join(outdir, "all.list"), "w") as f:
        f.writelines(p + "\n" for p, _ in files)
    with ThreadPoolExecutor(4) as ex:
        flags = list(ex.map(is_elf, (p for p, _ in files), chunksize=256))
    elf = [(p, s) for (p, s), e in zip(files, flags) if e]
    with open(os.path.join(outdir, "elf.list"), "w") as f:
        f.writelines(p + "\n" for p, _ in elf)
    # The largest dynamically linked ELF files (static Go binaries have no symbol
    # versions to read), one per size so identical cross-compiler copies count once,
    # plus libstdc++, python3 and cc1 when present: what people point such tools at.
    big, sizes = [], set()
    for p, s in sorted(elf, key=lambda x: -x[1]):
        if len(big) >= nbig:
            break
        if s not in sizes and has_dynsym(p):
            big.append((p, s))
            sizes.add(s)
    chosen = {os.path.realpath(p) for p, _ in big}
    extras = ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/bin/python3",
              "/usr/lib/gcc/x86_64-linux-gnu/12/cc1"]
    for p in extras:
        real = os.path.realpath(p)
        if real.startswith(root.rstrip("/") + "/") and os.path.isfile(real) \
                and real not in chosen and is_elf(real):
            big.append((real, os.path.getsize(real)))
            chosen.add(real)
    with open(os.path.join(outdir, "big.list"), "w") as f:
        f.writelines(p + "\n" for p, _ in big)
    print(f"{len(files)} regular files, {len(elf)} ELF "
          f"({sum(s for _, s in elf) / 1e9:.2f} GB), {len(big)} large ELF files "
          f"({sum(s for _, s in big) / 1e6:.0f} MB)")


# --- cross-check ------------------------------------------------------------------------

def readelf_counts(path):
    """Run readelf on one file: (status, .dynsym entries, entries bound to a needed
    version), a needed version being printed as NAME@VERSION (N)."""
    r = subprocess.run(["readelf", "-V", "--dyn-syms", "-W", path], capture_output=True,
                       text=True, errors="replace")
    n = with_lib = 0
    in_dynsym = False
    for line in r.stdout.splitlines():
        if line.startswith("Symbol table '.dynsym'"):
            in_dynsym = True
            continue
        if in_dynsym:
            if not line.strip():
                in_dynsym = False
                continue
            m = re.match(r"\s*(\d+):", line)
            if not m or m.group(1) == "0":
                continue
            n += 1
            if NEEDED.search(line):
                with_lib += 1
    err = r.stderr.strip().replace("\n", " ")
    status = "ok" if r.returncode == 0 and not err else f"rc={r.returncode} {err[:160]}"
    return status, n, with_lib


def load_counts(path):
    out = {}
    with open(path) as f:
        for line in f:
            p, status, n, w = line.rstrip("\n").split("\t")
            out[p] = (status, int(n), int(w))
    return out


def cmd_check(outdir, setname):
    with open(os.path.join(outdir, f"elfcompat-{setname}.json")) as f:
        doc = json.load(f)
    ref = {}
    for r in doc["files"]:
        if r.get("status") == "elf":
            ref[r["path"]] = sum(1 for s in r.get("symbols", []) if s.get("library"))
        elif r.get("status") not in ("not-elf",):
            ref[r["path"]] = None
    listfile = {"tree": "elf.list", "big": "big.list"}[setname]
    paths = [line.rstrip("\n") for line in open(os.path.join(outdir, listfile))]
    lines = [f"cross-check ({setname}): symbols bound to a needed version, per file, "
             f"against elfcompat's per-symbol table"]
    tools = {}
    for tool in ("pyelftools", "lief"):
        p = os.path.join(outdir, f"counts-{tool}-{setname}.tsv")
        if os.path.exists(p):
            tools[tool] = load_counts(p)
    with ThreadPoolExecutor(2) as ex:
        tools["readelf"] = dict(zip(paths, ex.map(readelf_counts, paths)))
    missing = [p for p in paths if p not in ref]
    if missing:
        lines.append(f"  elfcompat: {len(missing)} listed files absent from its report, "
                     f"e.g. {missing[:3]}")
    for tool, counts in tools.items():
        failed = [(p, c[0]) for p, c in counts.items() if c[0] != "ok"]
        differ = [(p, ref.get(p), c[2]) for p, c in counts.items()
                  if c[0] == "ok" and p in ref and ref[p] != c[2]]
        agree = sum(1 for p, c in counts.items() if c[0] == "ok" and ref.get(p) == c[2])
        total = sum(c[1] for c in counts.values())
        lines.append(f"  {tool}: {len(counts)} files, {total} .dynsym entries; "
                     f"{agree} agree with elfcompat, {len(differ)} differ, "
                     f"{len(failed)} errors or warnings")
        for p, e in failed[:5]:
            lines.append(f"    {tool} error: {p}: {e}")
        for p, a, b in differ[:5]:
            lines.append(f"    differs: {p}: elfcompat {a}, {tool} {b}")
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(outdir, f"check-{setname}.txt"), "w") as f:
        f.write(text + "\n")


# --- table ----------------------------------------------------------------------------

def read_rusage(path):
    """/usr/bin/time -f '%e %U %S %R %F %M' records, one per run."""
    runs = []
    if os.path.exists(path):
        for line in open(path):
            parts = line.split()
            if len(parts) == 6:
                try:
                    e, u, s = map(float, parts[:3])
                    mi, ma, rss = map(int, parts[3:])
                except ValueError:
                    continue
                runs.append({"wall": e, "user": u, "sys": s, "minor": mi, "major": ma,
                             "rss_kb": rss})
    return runs


def cmd_table(outdir, sets):
    # rows.tsv: id, set, set title, tool label, files, baseline (1 or 0)
    meta = []
    for line in open(os.path.join(outdir, "rows.tsv")):
        i, st, title, tool, files, base = line.rstrip("\n").split("\t")
        meta.append({"id": i, "set": st, "set_title": title, "tool": tool,
                     "files": int(files), "baseline": base == "1"})
    out = []
    for setname in sets:
        rows = [r for r in meta if r["set"] == setname]
        if not rows:
            continue
        base = None
        table = []
        for r in rows:
            hf = os.path.join(outdir, f"hyperfine-{r['id']}.json")
            if not os.path.exists(hf):
                continue
            res = json.load(open(hf))["results"][0]
            times = res["times"]
            best = min(times)
            ru = read_rusage(os.path.join(outdir, f"rusage-{r['id']}.txt"))
            # The rusage record of the fastest run (closest wall time).
            rb = min(ru, key=lambda x: abs(x["wall"] - best)) if ru else None
            if r.get("baseline"):
                base = best
            table.append((r, best, len(times), rb))
        nb = base or (table[0][1] if table else 1)
        out.append(f"### {rows[0]['set_title']}\n")
        base_cpu = next(((rb["user"] + rb["sys"]) for r, _, _, rb in table
                         if r.get("baseline") and rb), None)
        out.append("| tool | files | runs | wall s (best) | files/s | wall ms/file | "
                   "CPU ms/file | user s | sys s | sys share | minor faults | major faults "
                   "| max RSS MB | wall vs elfcompat | CPU vs elfcompat |")
        out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
                   "---: | ---: | ---: | ---: | ---: |")
        for r, best, nruns, rb in table:
            files = r["files"]
            cpu = (rb["user"] + rb["sys"]) if rb else None
            cells = [
                r["tool"], f"{files:,}", str(nruns), f"{best:.3f}",
                f"{files / best:,.0f}", f"{1000 * best / files:.3f}",
                f"{1000 * cpu / files:.3f}" if rb else "-",
                f"{rb['user']:.2f}" if rb else "-",
                f"{rb['sys']:.2f}" if rb else "-",
                f"{100 * rb['sys'] / cpu:.0f}%" if rb and cpu else "-",
                f"{rb['minor']:,}" if rb else "-",
                f"{rb['major']:,}" if rb else "-",
                f"{rb['rss_kb'] / 1024:,.0f}" if rb else "-",
                "1.0 (baseline)" if r.get("baseline") else f"{best / nb:.1f}x slower"
                if best >= nb else f"{nb / best:.1f}x faster",
                "-" if not (rb and base_cpu and cpu) else "1.0 (baseline)" if r.get("baseline")
                else f"{cpu / base_cpu:.1f}x more" if cpu >= base_cpu
                else f"{base_cpu / cpu:.1f}x less",
            ]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    text = "\n".join(out)
    print(text)
    with open(os.path.join(outdir, "table.md"), "w") as f:
        f.write(text + "\n")


# --- perf summary -----------------------------------------------------------------------

# A sample's phase: one of these found anywhere on the stack (perf lists inlined frames
# out of order, and these are leaves of the phases below)...
LEAF_PHASES = [
    ("munmap of a file mapping (dropping the Mmap)", r"drop_in_place<memmap2"),
    ("mmap of a file", r"memmap2::"),
    ("JSON: freeing the Value tree", r"drop_in_place<serde_json::value::Value>"),
]
# ...or else the innermost stack frame that matches one of these.
PHASES = [
    ("walk: readdir, stat, (dev, inode) set", r"elfcompat::scan::"),
    ("open: stat + open + fstat", r"elfcompat::elf::file::open"),
    ("ELF parse (incl. faults on the mapping)", r"elfcompat::elf::"),
    ("symbol versions (versym)", r"elfcompat::versym::"),
    ("report analysis", r"elfcompat::report::analysis|elfcompat::abi::|elfcompat::baseline"),
    ("JSON: writing the text", r"serde_json::ser::|to_writer_pretty|BufWriter|std::io::stdio"),
    ("JSON: building the Value tree", r"elfcompat::report::json|serde_json::value"),
    ("freeing the reports", r"drop_in_place<.*elfcompat"),
    ("rayon scheduling", r"rayon"),
]

# What a sample's CPU was doing: for a kernel sample, the innermost frame that matches;
# for a user sample, its leaf function.
KERNEL = [
    ("munmap (page table teardown, TLB shootdown IPIs)", r"__vm_munmap|__x64_sys_munmap"),
    ("mmap", r"vm_mmap_pgoff|ksys_mmap_pgoff"),
    ("page faults on fresh heap pages (zeroing them)", r"do_anonymous_page|clear_page"),
    ("page faults on mapped file pages", r"filemap_|do_fault|do_read_fault"),
    ("page faults (other)", r"exc_page_fault"),
    ("statx", r"statx"),
    ("open / close", r"do_sys_open|openat|__x64_sys_close|__fput"),
    ("readdir", r"getdents"),
    ("write", r"ksys_write|__x64_sys_write"),
    ("process exit", r"exit_mmap|do_exit"),
]
USER = [
    ("libc malloc / free", r"malloc|_int_free|cfree|free|unlink_chunk|consolidate|memalign|realloc"),
    ("memcpy / memmove / memset", r"memmove|memcpy|memset"),
]


def _first(frames, compiled, otherwise="other"):
    for f in frames:
        for name, rx in compiled:
            if rx.search(f):
                return name
    return otherwise


def cmd_perf_summary(path):
    samples = []
    cur = None
    for line in open(path, errors="replace"):
        if not line.strip():
            if cur:
                samples.append(cur)
            cur = None
            continue
        if not line[0].isspace():
            cur = []
            continue
        if cur is not None:
            parts = line.strip().split(None, 1)
            cur.append(parts[1] if len(parts) > 1 else parts[0])
    if cur:
        samples.append(cur)
    total = len(samples)
    if not total:
        sys.exit("no samples")
    lc = [(n, re.compile(p)) for n, p in LEAF_PHASES]
    pc = [(n, re.compile(p)) for n, p in PHASES]
    kc = [(n, re.compile(p)) for n, p in KERNEL]
    uc = [(n, re.compile(p)) for n, p in USER]
    phases, what, cross, top = {}, {}, {}, {}
    kernel = 0
    for frames in samples:
        ph = next((n for n, rx in lc if any(rx.search(f) for f in frames)), None) \
            or _first(frames, pc)
        leaf = frames[0] if frames else "?"
        if "[kernel" in leaf:
            kernel += 1
            w = "kernel: " + _first([f for f in frames if "[kernel" in f], kc)
        else:
            w = "user: " + _first([leaf], uc, "elfcompat, serde, std code")
        phases[ph] = phases.get(ph, 0) + 1
        what[w] = what.get(w, 0) + 1
        cross[(ph, w)] = cross.get((ph, w), 0) + 1
        fn = re.sub(r"\+0x[0-9a-f]+", "", leaf.split(" (")[0])
        top[fn] = top.get(fn, 0) + 1

    def pct(n):
        return f"{100 * n / total:5.1f}%"

    print(f"{total} samples; {100 * kernel / total:.0f}% in the kernel")
    print("\nby phase (innermost elfcompat phase on the stack), with its main costs:")
    for name, n in sorted(phases.items(), key=lambda x: -x[1]):
        parts = sorted(((c, w) for (p, w), c in cross.items() if p == name), reverse=True)
        detail = ", ".join(f"{w} {100 * c / total:.1f}%" for c, w in parts[:3])
        print(f"  {pct(n)}  {name}  [{detail}]")
    print("\nby what the CPU was doing:")
    for name, n in sorted(what.items(), key=lambda x: -x[1]):
        print(f"  {pct(n)}  {name}")
    print("\nhottest leaf functions:")
    for fn, n in sorted(top.items(), key=lambda x: -x[1])[:15]:
        print(f"  {pct(n)}  {fn[:110]}")


def cmd_speed_table(outdir):
    """Per row: median wall and mean CPU (user + sys) per round; ratios to the floor and
    from the readelf loop per round, shown as the range over the rounds."""
    rounds = []
    r = 1
    while os.path.exists(os.path.join(outdir, f"round-{r}.json")):
        with open(os.path.join(outdir, f"round-{r}.json")) as f:
            rounds.append({x["command"]: x for x in json.load(f)["results"]})
        r += 1
    if not rounds:
        sys.exit("no round-N.json in " + outdir)
    names = list(rounds[0])
    floor = names[0]
    readelf = [n for n in names if n.startswith("readelf")][0]

    def wall(rd, n):
        return rd[n]["median"]

    def cpu(rd, n):
        return rd[n]["user"] + rd[n]["system"]

    def span(values, fmt):
        lo, hi = min(values), max(values)
        return fmt(lo) if fmt(lo) == fmt(hi) else f"{fmt(lo)}–{fmt(hi)}"

    ms = lambda v: f"{v * 1000:.0f}"
    x = lambda v: f"{v:.1f}x"
    out = [
        f"{len(rounds)} rounds; each cell is the range over the rounds (median wall, "
        "mean user+sys CPU per round).",
        "",
        "| command | wall ms | CPU ms | wall vs floor | CPU vs floor | readelf loop's wall vs it | readelf loop's CPU vs it |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n in names:
        out.append("| " + " | ".join([
            f"`{n}`" if n != floor else "**floor** (examples/floor.rs)",
            span([wall(rd, n) for rd in rounds], ms),
            span([cpu(rd, n) for rd in rounds], ms),
            span([wall(rd, n) / wall(rd, floor) for rd in rounds], x),
            span([cpu(rd, n) / cpu(rd, floor) for rd in rounds], x),
            span([wall(rd, readelf) / wall(rd, n) for rd in rounds], x),
            span([cpu(rd, readelf) / cpu(rd, n) for rd in rounds], x),
        ]) + " |")
    # `check` also against the floor that reads what it must read; `report` against the
    # floor that holds files' bytes as elfcompat does.
    for prefix, other in (("check", "floor + check's reads"), ("report", "floor, small files read")):
        if other not in names:
            continue
        out.append("")
        for n in names:
            if n.startswith(prefix):
                out.append(f"`{n}` against `{other}`: wall "
                           + span([wall(rd, n) / wall(rd, other) for rd in rounds], x)
                           + ", CPU " + span([cpu(rd, n) / cpu(rd, other) for rd in rounds], x))
    loads = []
    for i in range(1, len(rounds) + 1):
        p = os.path.join(outdir, f"load-{i}.txt")
        if os.path.exists(p):
            loads.append(" → ".join(open(p).read().split()))
    out.append("")
    out.append("1-minute load average before → after each round: " + "; ".join(loads))
    print("\n".join(out))


def main():
    cmd, *args = sys.argv[1:]
    if cmd == "lists":
        cmd_lists(args[0], args[1])
    elif cmd == "check":
        cmd_check(args[0], args[1])
    elif cmd == "perf-summary":
        cmd_perf_summary(args[0])
    elif cmd == "speed-table":
        cmd_speed_table(args[0])
    elif cmd == "table":
        cmd_table(args[0], args[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
