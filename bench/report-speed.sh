#!/usr/bin/env bash
# `report` and `check` against the floor (issue #15): how close elfcompat comes to the
# least work any tool must do to say which versions each file of a directory needs, and
# how it compares with a batched readelf loop over the same files. Not a test.
#
#   bash bench/report-speed.sh
#
# The floor is examples/floor.rs: the same walk, a 4-byte magic check, a mapping of each
# ELF file and object's ELF reader visiting every imported symbol's name and version
# index and every verneed entry, on the same number of threads, with no output; "floor +
# check's reads" (FLOOR_READS=check) also touches, with one memchr pass, the code and
# read-only data `check --glibc 2.17` must read (examples/floor.rs says which); "floor,
# small files read" (FLOOR_IO=read) holds each file's bytes as elfcompat does (a file
# under 1 MiB read whole, a larger one mapped), so `report` is also compared with a floor
# that does its I/O the same way. Each
# round runs every row with hyperfine (BENCH_RUNS runs after 2 warm-ups, hot cache), in
# one hyperfine call so the rows share the machine's load; BENCH_ROUNDS rounds (default
# 3) give the spread. Ratios are of medians (wall) and of mean user+sys time (CPU).
# Raw data and the table go to bench/out/speed/ (not committed).
#
# Environment: BENCH_DIR=/usr/lib/x86_64-linux-gnu  BENCH_ROUNDS=3  BENCH_RUNS=10
#              BENCH_JOBS=2 (readelf processes)  BENCH_NO_INSTALL=1 (no apt-get)
#              ELFCOMPAT=PATH, BENCH_WORKTREE=1: which elfcompat (see build.sh; the floor
#              is built from the same sources)  BENCH_FLOOR=PATH: a ready floor binary
#              BENCH_BEFORE=PATH: another elfcompat (an earlier build) whose `report --json`
#              and `check --glibc 2.17` run in the same rounds, for before/after ratios
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out="$here/out/speed"
dir=${BENCH_DIR:-/usr/lib/x86_64-linux-gnu}
rounds=${BENCH_ROUNDS:-3}
runs=${BENCH_RUNS:-10}
jobs=${BENCH_JOBS:-2}

say() { printf '\n== %s\n' "$*" >&2; }

if [[ ${BENCH_NO_INSTALL:-0} != 1 ]]; then
    need=()
    command -v hyperfine >/dev/null || need+=(hyperfine)
    command -v readelf >/dev/null || need+=(binutils)
    command -v python3 >/dev/null || need+=(python3)
    . "$here/apt.sh"
    apt_install ${need[@]+"${need[@]}"}
fi

rm -rf "$out"
mkdir -p "$out"

. "$here/build.sh"   # sets built and built_from
ec="$out/elfcompat"
cp "$built" "$ec"
# The floor, from the same sources and target directory as the binary under test.
if [[ -n ${ELFCOMPAT:-} || ${BENCH_WORKTREE:-0} == 1 ]]; then src=$root; else src=$here/.build/src; fi
floor="$out/floor"
if [[ -n ${BENCH_FLOOR:-} ]]; then
    cp "$BENCH_FLOOR" "$floor"
else
    say "cargo build --release --example floor ($src)"
    (cd "$src" && CARGO_TARGET_DIR="$here/.build/target" cargo build --release --quiet --example floor)
    cp "$here/.build/target/release/examples/floor" "$floor"
fi
before=()
if [[ -n ${BENCH_BEFORE:-} ]]; then
    cp "$BENCH_BEFORE" "$out/elfcompat-before"
    before=(-n "report --json (before)" "$out/elfcompat-before report --json $dir"
        -n "check --glibc 2.17 (before)" "$out/elfcompat-before check --glibc 2.17 $dir")
fi

{
    echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "os: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
    echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "elfcompat: $("$ec" --version), built from $built_from (release profile)"
    [[ -z ${BENCH_BEFORE:-} ]] || echo "before: $BENCH_BEFORE ($("$BENCH_BEFORE" --version))"
    echo "readelf: $(readelf --version | head -1)"
    echo "hyperfine: $(hyperfine --version)"
} | tee "$out/machine.txt" >&2

say "listing $dir"
python3 "$here/benchlib.py" lists "$dir" "$out" >"$out/lists.txt"
n_elf=$(wc -l <"$out/elf.list")
echo "$dir: $(wc -l <"$out/all.list") files, $n_elf ELF" | tee -a "$out/machine.txt" >&2
FLOOR_COUNTS=1 "$floor" "$dir" 2>&1 | sed 's/^/floor visits: /' | tee -a "$out/machine.txt" >&2
FLOOR_COUNTS=1 FLOOR_READS=check "$floor" "$dir" 2>&1 | sed "s/^/floor + check's reads visits: /" |
    tee -a "$out/machine.txt" >&2
"$ec" report "$dir" | tail -1 | sed 's/^/elfcompat: /' | tee -a "$out/machine.txt" >&2
xargs -a "$out/elf.list" -d '\n' cat >/dev/null   # warm the page cache

for r in $(seq 1 "$rounds"); do
    say "round $r of $rounds ($(cut -d' ' -f1-3 /proc/loadavg) load)"
    cut -d' ' -f1 /proc/loadavg >"$out/load-$r.txt"
    hyperfine --style basic --ignore-failure --runs "$runs" --warmup 2 \
        --export-json "$out/round-$r.json" \
        -n floor "$floor $dir" \
        -n "floor + check's reads" "env FLOOR_READS=check $floor $dir" \
        -n "floor, small files read" "env FLOOR_IO=read $floor $dir" \
        -n "report --json" "$ec report --json $dir" \
        -n "report" "$ec report $dir" \
        -n "check --glibc 2.17" "$ec check --glibc 2.17 $dir" \
        -n "check --glibc 2.17 --json" "$ec check --glibc 2.17 --json $dir" \
        ${before[@]+"${before[@]}"} \
        -n "readelf -V -W, 50 files per process, -P $jobs" \
        "xargs -a $out/elf.list -d '\\n' -n 50 -P $jobs readelf -V -W" >&2
    cut -d' ' -f1 /proc/loadavg >>"$out/load-$r.txt"
done

say "peak memory (max RSS; GNU time)"
for cmd in "$floor $dir" "$ec report --json $dir" "$ec check --glibc 2.17 $dir"; do
    /usr/bin/time -f "%M KB  $cmd" $cmd >/dev/null 2>>"$out/rss.txt" || true
done
grep KB "$out/rss.txt" >&2 || true

python3 "$here/benchlib.py" speed-table "$out" | tee "$out/results.md"
