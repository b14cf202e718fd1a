#!/usr/bin/env bash
# Benchmark `elfcompat report --json --symbols` against what people would otherwise run to
# get the same per-symbol versions: a readelf loop, pyelftools and LIEF. Not a test.
#
#   bash bench/report-tree.sh
#
# Two sets: (a) a whole tree (BENCH_TREE, default /usr) and (b) its largest dynamically
# linked ELF files (see benchlib.py). Every tool gets the same ELF files: elfcompat walks
# the tree itself (its real use; a second row gives it the ELF list instead), the others
# get the list of ELF files ready-made, so the walk and the magic check are free for them.
# Hot cache: every file is read once first; hyperfine then takes the best of BENCH_RUNS
# (default 3) after one warm-up run, except the slow rows (see SLOW_RUNS).
# Results, raw data and the table go to bench/out/ (not committed).
#
# Environment: ELFCOMPAT=PATH (binary to test; default: HEAD built in bench/.build),
#              BENCH_WORKTREE=1 (build the working tree instead of HEAD), BENCH_TREE=/usr  BENCH_RUNS=3  BENCH_SLOW_RUNS=1 (pyelftools over the tree,
# readelf over every regular file)  BENCH_JOBS=2  BENCH_SKIP_SLOW=1 (skip those rows)
#              BENCH_NO_INSTALL=1 (do not run apt-get/pip)
#              BENCH_QUIET_WAIT=60 (seconds to wait, before each row, for other load to drop)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out="$here/out"
tree=${BENCH_TREE:-/usr}
runs=${BENCH_RUNS:-3}
slow_runs=${BENCH_SLOW_RUNS:-1}
jobs=${BENCH_JOBS:-2}
skip_slow=${BENCH_SKIP_SLOW:-0}
venv="$here/.venv"

say() { printf '\n== %s\n' "$*" >&2; }

# --- what the benchmark needs -------------------------------------------------------
if [[ ${BENCH_NO_INSTALL:-0} != 1 ]]; then
    need=()
    command -v hyperfine >/dev/null || need+=(hyperfine)
    [[ -x /usr/bin/time ]] || need+=(time)
    command -v readelf >/dev/null || need+=(binutils)
    command -v perf >/dev/null || need+=(linux-perf)
    command -v python3 >/dev/null || need+=(python3 python3-venv)
    . "$here/apt.sh"
    apt_install ${need[@]+"${need[@]}"}
    if [[ ! -x $venv/bin/python ]]; then
        say "python venv with pyelftools and lief in bench/.venv"
        python3 -m venv "$venv" || { apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$venv"; }
    fi
    "$venv/bin/python" -c 'import elftools, lief' 2>/dev/null ||
        "$venv/bin/pip" install -q pyelftools lief
fi
py="$venv/bin/python"
command -v hyperfine >/dev/null || { echo "hyperfine is required" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"

. "$here/build.sh"   # sets built and built_from
ec="$out/elfcompat"
cp "$built" "$ec"

# --- the machine ----------------------------------------------------------------------
{
    echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "os: $(. /etc/os-release && echo "$PRETTY_NAME") (debian_version $(cat /etc/debian_version 2>/dev/null))"
    echo "kernel: $(uname -r)"
    echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "memory: $(free -g | awk '/^Mem:/ {print $2}') GiB"
    echo "elfcompat: $("$ec" --version), built from $built_from (release profile)"
    echo "readelf: $(readelf --version | head -1)"
    echo "hyperfine: $(hyperfine --version)"
    echo "python: $("$py" --version 2>&1), pyelftools $("$py" -c 'import elftools; print(elftools.__version__)'), lief $("$py" -c 'import lief; print(lief.__version__)')"
    echo "perf: $(perf --version 2>/dev/null || echo 'not installed')"
} | tee "$out/machine.txt" >&2

# --- file lists -------------------------------------------------------------------------
say "listing $tree"
"$py" "$here/benchlib.py" lists "$tree" "$out" | tee "$out/lists.txt" >&2
n_all=$(wc -l <"$out/all.list")
n_tree=$(wc -l <"$out/elf.list")
n_big=$(wc -l <"$out/big.list")

say "warming the page cache (every ELF file read once, the tree walked once)"
xargs -a "$out/elf.list" -d '\n' cat >/dev/null
"$ec" report --json --symbols "$tree" >/dev/null

# --- the runs ----------------------------------------------------------------------------
# bench ID SET "SET TITLE" "TOOL LABEL" FILES BASELINE RUNS WARMUP COMMAND
# Every run goes through /usr/bin/time, which records wall, user and sys time, minor and
# major page faults and max RSS of the command and all its children.
bench() {
    local id=$1 set=$2 title=$3 label=$4 files=$5 base=$6 n=$7 warm=$8 cmd=$9
    say "$label ($set, $files files): $cmd"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$set" "$title" "$label" "$files" "$base" >>"$out/rows.tsv"
    wait_quiet
    local before; before=$(cut -d' ' -f1 /proc/loadavg)
    hyperfine --style basic --ignore-failure --runs "$n" --warmup "$warm" \
        --export-json "$out/hyperfine-$id.json" \
        "/usr/bin/time -a -o $out/rusage-$id.txt -f '%e %U %S %R %F %M' $cmd" >&2
    # The 1-minute load average around the row: above ~2 something else shared the cores.
    printf '%s\t%s\t%s\t%s\n' "$id" "$before" "$(cut -d' ' -f1 /proc/loadavg)" "$busy_before" >>"$out/load.tsv"
}

# How busy the cores are (percent of all cores, over 2 s) while this script is idle.
busy() {
    local u1 t1; read -r u1 t1 < <(awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat)
    sleep 2
    local u2 t2; read -r u2 t2 < <(awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat)
    echo $(( 100 * (u2 - u1) / (t2 - t1 > 0 ? t2 - t1 : 1) ))
}
# Other people's builds share this machine: before each row wait (up to BENCH_QUIET_WAIT
# seconds, default 60) until the cores are less than 25% busy, and record how busy they were.
wait_quiet() {
    local deadline=$((SECONDS + ${BENCH_QUIET_WAIT:-60}))
    busy_before=$(busy)
    while ((busy_before >= 25 && SECONDS < deadline)); do
        sleep 5
        busy_before=$(busy)
    done
}

re_args="-V --dyn-syms -W"
for set in tree big; do
    if [[ $set == tree ]]; then
        list="$out/elf.list"; n=$n_tree; title="(a) the whole $tree tree: $n_all regular files, $n_tree ELF"
        ec_cmd="$ec report --json --symbols $tree"
        ec_label="elfcompat report --json --symbols $tree (walks the tree)"
    else
        list="$out/big.list"; n=$n_big; title="(b) $n_big large ELF files: the largest dynamically linked ones under $tree, plus libstdc++, python3 and cc1 when present"
        ec_cmd="xargs -a $list -d '\\n' -s 2000000 $ec report --json --symbols"
        ec_label="elfcompat report --json --symbols FILE..."
    fi
    bench "$set-elfcompat" $set "$title" "$ec_label" "$n" 1 "$runs" 1 "$ec_cmd"
    if [[ $set == tree ]]; then
        bench "$set-elfcompat-list" $set "$title" "elfcompat report --json --symbols on the ELF list" "$n" 0 "$runs" 1 \
            "xargs -a $list -d '\\n' -s 2000000 $ec report --json --symbols"
    fi
    bench "$set-readelf-serial" $set "$title" "readelf $re_args, one process per file, serial" "$n" 0 "$runs" 0 \
        "xargs -a $list -d '\\n' -n 1 readelf $re_args"
    bench "$set-readelf-p2" $set "$title" "readelf $re_args, one process per file, xargs -P $jobs" "$n" 0 "$runs" 0 \
        "xargs -a $list -d '\\n' -n 1 -P $jobs readelf $re_args"
    # Batches of at most 64 files, small enough that every core gets work.
    batch=$(( (n + 2 * jobs - 1) / (2 * jobs) )); ((batch <= 64)) || batch=64
    bench "$set-readelf-batch" $set "$title" "readelf $re_args, $batch files per process, xargs -P $jobs" "$n" 0 "$runs" 1 \
        "xargs -a $list -d '\\n' -n $batch -P $jobs readelf $re_args"
    bench "$set-lief" $set "$title" "LIEF $("$py" -c 'import lief; print(lief.__version__.split("-")[0])'), $jobs processes" "$n" 0 "$runs" 0 \
        "$py $here/extract.py lief --jobs $jobs --list $list --counts $out/counts-lief-$set.tsv"
    pr=$runs
    if [[ $set == tree ]]; then
        pr=$slow_runs
    fi
    if [[ $set == big || $skip_slow != 1 ]]; then
        bench "$set-pyelftools" $set "$title" "pyelftools $("$py" -c 'import elftools; print(elftools.__version__)'), $jobs processes" "$n" 0 "$pr" 0 \
            "$py $here/extract.py pyelftools --jobs $jobs --list $list --counts $out/counts-pyelftools-$set.tsv"
    fi
    if [[ $set == tree && $skip_slow != 1 ]]; then
        # What a plain loop over the tree does: readelf on every regular file, ELF or not.
        bench "$set-readelf-all" $set "$title" "readelf $re_args on every regular file ($n_all), one process per file, xargs -P $jobs" "$n_all" 0 "$slow_runs" 0 \
            "xargs -a $out/all.list -d '\\n' -n 1 -P $jobs readelf $re_args"
    fi
done

# --- where elfcompat's time goes ---------------------------------------------------------
say "elfcompat under /usr/bin/time -v and perf stat"
/usr/bin/time -v "$ec" report --json --symbols "$tree" 2>"$out/time-v-tree.txt" >"$out/elfcompat-tree.json"
xargs -a "$out/big.list" -d '\n' -s 2000000 /usr/bin/time -v "$ec" report --json --symbols \
    2>"$out/time-v-big.txt" >"$out/elfcompat-big.json"
perf_events=task-clock,user_time,system_time,page-faults,minor-faults,major-faults,context-switches,cpu-migrations
if command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
    perf stat -e "$perf_events" -o "$out/perf-stat-tree.txt" "$ec" report --json --symbols "$tree" >/dev/null 2>&1 ||
        perf stat -e task-clock,page-faults,minor-faults,major-faults,context-switches -o "$out/perf-stat-tree.txt" \
            "$ec" report --json --symbols "$tree" >/dev/null
    # Hardware counters are often unavailable in a VM: say so rather than guess.
    perf stat -e cycles,instructions -o "$out/perf-hw.txt" true >/dev/null 2>&1 || true
    if grep -q 'not supported\|not counted' "$out/perf-hw.txt" 2>/dev/null; then
        echo "perf: hardware counters (cycles, instructions) not supported here; software events only" >"$out/perf-note.txt"
    else
        echo "perf: hardware counters available" >"$out/perf-note.txt"
    fi
else
    echo "perf: not available (not installed or not permitted); /usr/bin/time -v only" >"$out/perf-note.txt"
fi

# --- correctness cross-check ---------------------------------------------------------------
say "cross-checking the tools' per-file symbol counts against elfcompat"
for set in tree big; do
    "$py" "$here/benchlib.py" check "$out" $set >&2 || true
done

# --- results -----------------------------------------------------------------------------------
{
    echo
    echo "## Machine"
    echo '```'
    cat "$out/machine.txt"
    echo '```'
    echo
    "$py" "$here/benchlib.py" table "$out" tree big
    echo "## Other load: 1-minute load average before / after each row, and % of the 2 cores busy with other work just before it"
    echo '```'
    cat "$out/load.tsv"
    echo '```'
    echo "## elfcompat, whole tree, /usr/bin/time -v"
    echo '```'
    grep -E 'Elapsed|User time|System time|Percent of CPU|page faults|Maximum resident|context switches|File system inputs' "$out/time-v-tree.txt"
    echo '```'
    echo "## elfcompat, large files, /usr/bin/time -v"
    echo '```'
    grep -E 'Elapsed|User time|System time|Percent of CPU|page faults|Maximum resident|context switches' "$out/time-v-big.txt"
    echo '```'
    echo "## perf stat, elfcompat whole tree"
    echo '```'
    cat "$out/perf-note.txt"
    [[ -f $out/perf-stat-tree.txt ]] && grep -vE '^#|^$' "$out/perf-stat-tree.txt"
    echo '```'
    echo "## Cross-check"
    echo '```'
    cat "$out"/check-*.txt
    echo '```'
} | tee "$out/results.md"
