#!/usr/bin/env python3
"""LIEF's nearest equivalent of `elfcompat patch`, for bench/patch-large.sh. Not a test.

  patch_large_lief.py edit PLAN.json IN OUT     parse IN, edit, write OUT (the timed row)
  patch_large_lief.py patchelf-args PLAN.json   the patchelf arguments of the same edit
  patch_large_lief.py table WORKDIR             the results (markdown) of a bench run
  patch_large_lief.py phases PERF-SCRIPT.TXT    elfcompat's on-CPU samples by phase, from
                                                `perf script -F ip,sym` (DWARF call chains)

PLAN.json is `elfcompat patch --dry-run --json` of IN. What LIEF (1.0) can do of it:

  repoint        the symbol's version -> the older vernaux of the same library (added to
                 that library's verneed entry if it is not there yet)
  rename         the same, under the new name
  move-library   DT_NEEDED for the new library, and the symbol made unversioned: LIEF has
                 no call that adds a verneed entry for a library that has none, so the
                 reference cannot be tied to libpthread's GLIBC_2.2.5 (what patchelf's
                 --clear-symbol-version does too)
  unversion      the symbol made unversioned
  polyfill       nothing (neither tool can link code in)

then every vernaux the plan drops is removed if no symbol uses it any more.
patchelf gets --clear-symbol-version for every symbol LIEF edits, and --add-needed for
every library the plan adds.
"""

import json
import os
import re
import sys


def elf_hash(name):
    h = 0
    for c in name.encode():
        h = ((h << 4) + c) & 0xFFFFFFFF
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xFFFFFFFF
    return h


def load_plan(path):
    with open(path) as f:
        doc = json.load(f)
    return doc["plan"]


def patchelf_args(plan):
    args = []
    seen = set()
    for ch in plan["changes"]:
        if ch["how"] == "polyfill" or ch["symbol"] in seen:
            continue
        seen.add(ch["symbol"])
        args += ["--clear-symbol-version", ch["symbol"]]
    for lib in plan["add_needed"]:
        args += ["--add-needed", lib]
    return args


def edit(plan, src, dst):
    import lief

    lief.logging.disable()
    b = lief.ELF.parse(src)
    if b is None:
        sys.exit(f"LIEF could not parse {src}")
    dynsyms = list(b.dynamic_symbols)
    done = skipped = 0

    def aux_for(lib, version):
        req = b.find_version_requirement(lib)
        if req is None:
            return None
        for aux in req.get_auxiliary_symbols():
            if aux.name == version:
                return aux
        new = lief.ELF.SymbolVersionAuxRequirement()
        new.name = version
        new.hash = elf_hash(version)
        new.flags = 0
        used = [a.other for r in b.symbols_version_requirement for a in r.get_auxiliary_symbols()]
        used += [d.version for d in b.symbols_version_definition]
        new.other = max(used + [1]) + 1
        return req.add_auxiliary_requirement(new)

    for ch in plan["changes"]:
        how = ch["how"]
        sym = dynsyms[ch["dynsym_index"]]
        if sym.name != ch["symbol"]:
            sys.exit(f"dynsym {ch['dynsym_index']} is {sym.name}, the plan says {ch['symbol']}")
        if how in ("repoint", "rename") and ch["to_library"] == ch["from_library"]:
            aux = aux_for(ch["to_library"], ch["to_version"])
            if aux is None:
                skipped += 1
                continue
            if how == "rename":
                sym.name = ch["to_symbol"]
            sym.symbol_version.symbol_version_auxiliary = aux
            done += 1
        elif how in ("move-library", "unversion", "repoint", "rename"):
            if how != "unversion" and not b.has_library(ch["to_library"]):
                b.add_library(ch["to_library"])
            if how == "rename":
                sym.name = ch["to_symbol"]
            sym.symbol_version.as_global()
            done += 1
        else:
            skipped += 1
    for lib in plan["add_needed"]:
        if not b.has_library(lib):
            b.add_library(lib)

    # Drop the requirements the plan drops, when nothing refers to them any more.
    in_use = set()
    for s in b.dynamic_symbols:
        if s.has_version and s.symbol_version.has_auxiliary_version:
            in_use.add(s.symbol_version.symbol_version_auxiliary.name)
    dropped = 0
    for d in plan["drop_versions"]:
        req = b.find_version_requirement(d["library"])
        if req is not None and d["version"] not in in_use and req.remove_aux_requirement(d["version"]):
            dropped += 1
    b.write(dst)
    print(f"lief: {done} symbol(s) edited, {skipped} not possible (polyfill/other), "
          f"{dropped} of {len(plan['drop_versions'])} requirement(s) dropped", file=sys.stderr)


# --- the results table ---------------------------------------------------------------------

def read_tsv(path):
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def fmt_time(sec):
    return f"{sec * 1000:.0f} ms" if sec < 10 else f"{sec:.1f} s"


def cpu(res):
    """hyperfine's mean user and system time of the command."""
    return f"{res['user'] * 1000:.0f} + {res['system'] * 1000:.0f} ms"


def fmt_bytes(n):
    sign = "+" if n > 0 else ("-" if n < 0 else "")
    n = abs(n)
    if n < 10 * 1024:
        return f"{sign}{n:,} B"
    if n < 10 * 1024 * 1024:
        return f"{sign}{n:,} B ({n / 1024:.0f} KiB)"
    return f"{sign}{n:,} B ({n / 1048576:.1f} MiB)"


def short_finding(check, msg):
    head = msg.split(":")[0]
    m = re.match(r"(\S+) (\S+) from (\S+)$", head)
    if check == "version-above-baseline" and m:
        sym, ver, lib = m.groups()
        return f"{ver} (unused vernaux)" if sym == "(unused)" else f"{sym}@{ver}"
    return msg


def verify_summary(d, name):
    try:
        with open(os.path.join(d, f"verify-{name}.json")) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return "verify could not read it (exit %s)" % open(os.path.join(d, f"verify-{name}.rc")).read().strip()
    fi = doc["files"][0]
    if fi.get("ok"):
        return "OK"
    groups = {}
    for fd in fi["findings"]:
        groups.setdefault(fd["check"], []).append(short_finding(fd["check"], fd["message"]))
    parts = []
    for check in sorted(groups, key=lambda c: (c == "loader", c == "version-above-baseline", c)):
        items = list(dict.fromkeys(groups[check]))
        k = 2 if check == "loader" else 3
        shown = ", ".join(items[:k]) + (f" (+{len(items) - k} more)" if len(items) > k else "")
        label = {"version-above-baseline": "above baseline", "loader": "loader"}.get(check, "STRUCTURE " + check)
        parts.append(f"{label}: {shown}")
    return "FAIL: " + "; ".join(parts)


def plan_summary(d):
    with open(os.path.join(d, "plan.json")) as f:
        plan = json.load(f)["plan"]
    hows = {}
    for ch in plan["changes"]:
        hows[ch["how"]] = hows.get(ch["how"], 0) + 1
    bits = [f"{n} {h}" for h, n in sorted(hows.items())]
    if plan["add_needed"]:
        bits.append("DT_NEEDED " + ", ".join(plan["add_needed"]))
    if plan["drop_versions"]:
        bits.append(f"{len(plan['drop_versions'])} vernaux dropped")
    if plan.get("startup_shim"):
        bits.append("startup shim")
    if plan["blockers"]:
        bits.append(f"{len(plan['blockers'])} blocker(s): "
                    + ", ".join(b.get("symbol", "?") if isinstance(b, dict) else str(b) for b in plan["blockers"]))
    method = ""
    try:
        for line in open(os.path.join(d, "plan.txt")):
            if line.strip().startswith("method"):
                method = line.split(None, 1)[1].strip()
    except OSError:
        pass
    return "; ".join(bits) + (f"; method: {method}" if method else "")


def perf_stat_summary(path):
    try:
        text = open(path).read()
    except OSError:
        return None
    def num(pat):
        m = re.search(pat, text)
        return float(m.group(1).replace(",", "")) if m else None
    task = num(r"([\d,.]+) msec task-clock")
    wall = num(r"([\d.]+) \+- [\d.]+ seconds time elapsed") or num(r"([\d.]+) seconds time elapsed")
    user = num(r"([\d,]+) ns\s+user_time") or None
    sys_ = num(r"([\d,]+) ns\s+system_time") or None
    faults = num(r"([\d,]+)\s+page-faults")
    out = []
    if wall is not None:
        out.append(f"wall {wall * 1000:.0f} ms")
    if task is not None:
        out.append(f"on CPU {task:.0f} ms")
        if wall:
            out.append(f"off CPU {max(wall * 1000 - task, 0):.0f} ms")
    if user is not None and sys_ is not None:
        out.append(f"user {user / 1e6:.0f} ms, sys {sys_ / 1e6:.0f} ms")
    if faults is not None:
        out.append(f"{faults:,.0f} page faults")
    return ", ".join(out) + " (perf stat, mean of 3)"


def perf_trace_summary(path, top=6):
    rows = []
    try:
        for line in open(path):
            m = re.match(r"\s+(\w+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s", line)
            if m:
                rows.append((float(m.group(4)), m.group(1), int(m.group(2))))
    except OSError:
        return None
    rows.sort(reverse=True)
    return ", ".join(f"{name} {ms:.0f} ms ({n}x)" for ms, name, n in rows[:top])


# --- where elfcompat's time goes: each sample's call chain, one phase each -----------------

def classify(frames):
    """The phase of one sample; frames are symbol names, leaf first."""
    def has(pat):
        return any(re.search(pat, f) for f in frames)
    if has(r"write_atomic"):
        if has(r"std::fs::read"):
            return "write_atomic: read the temp file back"
        if has(r"sync_all|fsync"):
            return "write_atomic: fsync"
        if has(r"elfcompat::verify|verify_output"):
            return "write_atomic: verify the read-back bytes"
        if has(r"munmap|_int_free|__GI___libc_free"):
            return "write_atomic: free buffers"
        if has(r"io::Write|write_all|ksys_write|__libc_write"):
            return "write_atomic: write"
        return "write_atomic: other (create, rename, ...)"
    if has(r"std::fs::read"):
        return "read the input (std::fs::read)"
    if has(r"AbiDb::new"):
        return "load the ABI data"
    if has(r"plan::plan_with|plan::plan\b"):
        return "plan"
    if has(r"rewrite::apply"):
        if has(r"Builder::write"):
            return "rewrite: object Builder::write (serialise)"
        if has(r"Builder::read"):
            return "rewrite: object Builder::read (parse)"
        return "rewrite: other"
    if has(r"inplace::apply"):
        return "in-place edit"
    if has(r"verify_output|elfcompat::verify"):
        return "verify the new bytes"
    if has(r"munmap|_int_free|__GI___libc_free"):
        return "free buffers"
    if has(r"_dl_start|_dl_init|dl_main"):
        return "process start-up (loader)"
    if has(r"elfcompat::"):
        return "other elfcompat code"
    return "other (kernel exit, ...)"


def phases(path):
    counts = {}
    frames = []
    def flush():
        if frames:
            ph = classify(frames)
            counts[ph] = counts.get(ph, 0) + 1
            frames.clear()
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                flush()
                continue
            parts = line.split(None, 1)
            if len(parts) == 2:
                frames.append(parts[1].strip())
    flush()
    return counts


def phase_lines(path, on_cpu_ms=None):
    try:
        counts = phases(path)
    except OSError:
        return []
    total = sum(counts.values())
    if not total:
        return []
    out = []
    for ph, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        pct = 100 * n / total
        if pct < 1:
            continue
        ms = f" ≈{pct * on_cpu_ms / 100:.0f} ms" if on_cpu_ms else ""
        out.append(f"{ph} {pct:.0f}%{ms}")
    return out


def table(work):
    files = read_tsv(os.path.join(work, "files.tsv"))
    rows = read_tsv(os.path.join(work, "rows.tsv"))
    hf = {}
    for r in rows:
        with open(os.path.join(work, f"hf-{r[0]}.json")) as f:
            res = json.load(f)["results"][0]
        hf[r[0]] = res
    out = []
    out.append("Machine and method:")
    out.append("")
    out.append("```")
    out.append(open(os.path.join(work, "machine.txt")).read().rstrip())
    out.append("```")
    notes = []
    for idx, path, size, flags, one_sym in files:
        d = os.path.join(work, idx)
        size = int(size)
        out.append("")
        out.append(f"**{os.path.basename(path)}** ({size:,} bytes, `{path}`): plan {plan_summary(d)}"
                   + (f"; run with `{flags}`" if flags else ""))
        out.append("")
        out.append("| tool | time (mean ± σ) | × cp | × cp+sync | CPU: user + sys | growth (OUT − IN) | `verify --glibc 2.31 --loader-check` | cores busy before: normal / niced |")
        out.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
        cp = hf.get(f"{idx}-cp", {}).get("mean")
        cps = hf.get(f"{idx}-cpsync", {}).get("mean")
        for rid, ridx, label, opath, osize, busy, niced in rows:
            if ridx != idx:
                continue
            res = hf[rid]
            mean, sd = res["mean"], res["stddev"] or 0.0
            name = os.path.basename(opath)
            if name.startswith("out.cp"):
                out.append(f"| {label} | {fmt_time(res['mean'])} ± {fmt_time(res['stddev'] or 0.0)} | "
                           f"{res['mean'] / cp:.2f}x | {res['mean'] / cps:.2f}x | {cpu(res)} | {fmt_bytes(int(osize) - size)} | "
                           f"(the input's bytes) | {busy}% / {niced}% |")
                if int(busy) >= 25:
                    notes.append(f"{os.path.basename(path)} / {label}")
                continue
            v = verify_summary(d, name)
            if os.path.exists(os.path.join(d, f"verify-{name}.err")) and \
                    "no-loader-check" in open(os.path.join(d, f"verify-{name}.err")).read():
                v += " (without --loader-check: no glibc runtime cached)"
            if int(busy) >= 25:
                notes.append(f"{os.path.basename(path)} / {label}")
            out.append(f"| {label} | {fmt_time(mean)} ± {fmt_time(sd)} | {mean / cp:.2f}x | {mean / cps:.2f}x | {cpu(res)} | "
                       f"{fmt_bytes(int(osize) - size)} | {v} | {busy}% / {niced}% |")
        out.append(f"| (input, unpatched) | | | | | | {verify_summary(d, 'input')} | |")
        try:
            lief_note = open(os.path.join(d, "lief.txt")).read().strip()
            if lief_note:
                out.append("")
                out.append(f"LIEF edit: {lief_note.splitlines()[-1].removeprefix('lief: ')}.")
        except OSError:
            pass
    if notes:
        out.append("")
        out.append(f"{len(notes)} of {len(rows)} rows started while work at normal priority kept the cores "
                   f"25% busy or more (after waiting for them to quieten): " + "; ".join(notes) + ".")

    prof = []
    for idx, path, size, flags, one_sym in files:
        d = os.path.join(work, idx)
        ps = perf_stat_summary(os.path.join(d, "perf-stat.txt"))
        m = re.search(r"on CPU (\d+) ms", ps or "")
        on_cpu_ms = float(m.group(1)) if m else None
        pt = perf_trace_summary(os.path.join(d, "perf-trace.txt"))
        if ps is None and pt is None:
            continue
        prof.append(f"- {os.path.basename(path)}: {ps or ''}")
        if pt:
            prof.append(f"  - syscalls by time (perf trace -s): {pt}")
        ph = phase_lines(os.path.join(d, "perf-script.txt"), on_cpu_ms)
        if ph:
            prof.append("  - on-CPU samples by phase (perf record -g, DWARF call chains; ms = share × on-CPU time): "
                        + ", ".join(ph))
        try:
            top = [l.strip() for l in open(os.path.join(d, "perf-self.txt")) if l.strip()][:8]
        except OSError:
            top = []
        if top:
            prof.append("  - hottest functions, self: " + ", ".join(
                re.sub(r"\s+", " ", re.sub(r"\[[k.]\] ", "", l)) for l in top))
    if prof:
        out.append("")
        out.append("Where elfcompat's time goes:")
        out.append("")
        out += prof
    print("\n".join(out))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "edit":
        edit(load_plan(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 3 and sys.argv[1] == "phases":
        print("\n".join(phase_lines(sys.argv[2])))
    elif len(sys.argv) == 3 and sys.argv[1] == "table":
        table(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "patchelf-args":
        print("\n".join(patchelf_args(load_plan(sys.argv[2]))))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
