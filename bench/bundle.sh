#!/usr/bin/env bash
# Benchmark `elfcompat bundle --target debian11` on a large C++ program with a deep closure
# against `cp` of the same files (and `cp` + `sync`, since bundle fsyncs what it writes).
# Wall time of each run (the page cache warm, `rm -rf OUT; sync` before each) and the
# output's size. Not a test.
#
#   bash bench/bundle.sh [PROGRAM]      (default /usr/bin/llvm-objdump-14: libLLVM-14,
#                                        libstdc++ for bullseye, ... ; package llvm-14)
#
# The files `cp` copies are the plan's: every `source` of `bundle --dry-run --json` (the
# program and each library bundle ships), so both rows write the same bytes but for what
# elfcompat changes.
#
# Environment: ELFCOMPAT=PATH (default: target/release/elfcompat, built when missing)
#              BENCH_RUNS=3  BENCH_TARGET=debian11
#              BENCH_BUNDLE_DIR=/var/tmp/elfcompat-bundle (outputs; a real disk: fsync on
#              tmpfs is free)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
prog=${1:-/usr/bin/llvm-objdump-14}
runs=${BENCH_RUNS:-3}
target=${BENCH_TARGET:-debian11}
work=${BENCH_BUNDLE_DIR:-/var/tmp/elfcompat-bundle}
elfcompat=${ELFCOMPAT:-$root/target/release/elfcompat}

[ -x "$prog" ] || { echo "bundle.sh: $prog not found (apt-get install llvm-14)" >&2; exit 2; }
if [ ! -x "$elfcompat" ]; then
    (cd "$root" && cargo build --release)
fi
mkdir -p "$work"
out=$work/out
plan=$work/plan.json

"$elfcompat" bundle --target "$target" --dry-run --json "$prog" -o "$out" >"$plan"
mapfile -t sources < <(python3 -c '
import json, sys
plan = json.load(open(sys.argv[1]))["plan"]
for f in plan["files"]:
    if not f.get("symlink"):
        print(f["source"])
' "$plan")
echo "$prog: ${#sources[@]} files to ship, $(du -cbL "${sources[@]}" | tail -1 | cut -f1) bytes" >&2

now() { date +%s.%N; }
# time_rows NAME CMD...: run CMD $runs times after `rm -rf $out; sync`; print NAME and the
# times in seconds.
time_rows() {
    local name=$1
    shift
    local times=()
    for _ in $(seq "$runs"); do
        rm -rf "$out" && sync
        local t0 t1
        t0=$(now)
        "$@" >/dev/null
        t1=$(now)
        times+=("$(echo "$t1 - $t0" | bc -l)")
    done
    echo "$name ${times[*]} $(du -sb "$out" | cut -f1)"
}

copy() { mkdir -p "$out" && cp -L "${sources[@]}" "$out/"; }
copy_sync() { copy && sync "$out"/*; }
bundle() { "$elfcompat" bundle --target "$target" "$prog" -o "$out"; }

results=$work/results.txt
{
    time_rows cp copy
    time_rows cp+sync copy_sync
    time_rows elfcompat bundle
} | tee "$results" >&2

python3 - "$results" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, *rest = line.split()
    times = [float(t) for t in rest[:-1]]
    rows[name] = (times, int(rest[-1]))
cp = statistics.mean(rows["cp"][0])
cps = statistics.mean(rows["cp+sync"][0])
print("| tool | time (mean, min–max of %d) | × cp | × cp+sync | output |" % len(rows["cp"][0]))
print("| --- | --- | --- | --- | --- |")
for name, (times, size) in rows.items():
    m = statistics.mean(times)
    print(f"| {name} | {m:.2f} s ({min(times):.2f}–{max(times):.2f}) | {m / cp:.2f} | {m / cps:.2f} | {size / 2**20:.1f} MiB |")
EOF
