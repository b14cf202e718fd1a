#!/usr/bin/env bash
# Where `elfcompat report --json --symbols TREE` spends its time: perf record with DWARF
# call graphs, summarised by phase (walk, open/mmap, munmap, parse, analysis, JSON, ...)
# and by hot leaf function. Not a test.
#
#   bash bench/profile.sh [TREE]        (default /usr; output in bench/out/profile/)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
tree=${1:-/usr}
out="$here/out/profile"
mkdir -p "$out"

if ! command -v perf >/dev/null; then
    apt-get update -qq && apt-get install -y -qq linux-perf >/dev/null || true
fi
command -v perf >/dev/null || { echo "perf is not available here" >&2; exit 1; }

say() { printf '\n== %s\n' "$*" >&2; }
. "$here/build.sh"   # sets built and built_from
ec="$out/elfcompat"
cp "$built" "$ec"

"$ec" report --json --symbols "$tree" >/dev/null # warm the cache

# The cost of each layer, by difference between runs: walking and opening every file
# (the tree against a list of its ELF files), the report itself (text), JSON, symbols.
say "layers, best of 3 each"
python3 "$here/benchlib.py" lists "$tree" "$out" >/dev/null
{
    echo "elfcompat built from $built_from; best of 3 wall seconds (user, sys)"
    for mode in "report --quiet" "report --json" "report --json --symbols"; do
        for what in tree list; do
            best=
            for _ in 1 2 3; do
                if [[ $what == tree ]]; then
                    /usr/bin/time -o "$out/t" -f '%e %U %S' $ec $mode "$tree" >/dev/null
                else
                    /usr/bin/time -o "$out/t" -f '%e %U %S' xargs -a "$out/elf.list" -d '\n' -s 2000000 $ec $mode >/dev/null
                fi
                read -r e u s <"$out/t"
                if [[ -z $best ]] || awk "BEGIN{exit !($e < ${best%% *})}"; then best="$e $u $s"; fi
            done
            read -r e u s <<<"$best"
            printf '  %-26s %-6s %6.2f s  (user %5.2f, sys %5.2f)\n' "$mode" "$what" "$e" "$u" "$s"
        done
    done
    for t in 1 2; do
        best=
        for _ in 1 2 3; do
            RAYON_NUM_THREADS=$t /usr/bin/time -o "$out/t" -f '%e %U %S' $ec report --json --symbols "$tree" >/dev/null
            read -r e u s <"$out/t"
            if [[ -z $best ]] || awk "BEGIN{exit !($e < ${best%% *})}"; then best="$e $u $s"; fi
        done
        read -r e u s <<<"$best"
        printf '  %-26s %-6s %6.2f s  (user %5.2f, sys %5.2f)  RAYON_NUM_THREADS=%s\n' "report --json --symbols" tree "$e" "$u" "$s" "$t"
    done
    echo "  1-minute load average after: $(cut -d' ' -f1 /proc/loadavg)"
} | tee "$out/layers.txt"

say "perf record (DWARF call graphs)"
perf record -q -F 999 --call-graph dwarf,16384 -o "$out/perf.data" \
    "$ec" report --json --symbols "$tree" >/dev/null
perf script -i "$out/perf.data" -F comm,tid,ip,sym,dso 2>/dev/null >"$out/perf.txt"
python3 "$here/benchlib.py" perf-summary "$out/perf.txt" | tee "$out/summary.txt"
