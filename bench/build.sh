# Sourced by the bench scripts: build the elfcompat binary under test.
# Others may rebuild target/release/elfcompat from a half-edited tree while a benchmark
# runs, so by default the committed HEAD is built in a private target directory
# (bench/.build, not committed); BENCH_WORKTREE=1 builds the working tree as it is
# instead, ELFCOMPAT=PATH takes a ready binary. Sets $built and $built_from.
if [[ -n ${ELFCOMPAT:-} ]]; then
    built="$ELFCOMPAT"; built_from="given binary $ELFCOMPAT"
elif [[ ${BENCH_WORKTREE:-0} == 1 ]]; then
    say "cargo build --release (working tree)"
    (cd "$root" && CARGO_TARGET_DIR="$here/.build/target" cargo build --release --quiet)
    built="$here/.build/target/release/elfcompat"
    built_from="working tree at $(cd "$root" && git describe --always --dirty 2>/dev/null || echo '?')"
else
    say "cargo build --release (HEAD, in bench/.build)"
    rm -rf "$here/.build/src"
    mkdir -p "$here/.build/src"
    (cd "$root" && git archive HEAD) | tar -x -C "$here/.build/src"
    (cd "$here/.build/src" && CARGO_TARGET_DIR="$here/.build/target" cargo build --release --quiet --bin elfcompat)
    built="$here/.build/target/release/elfcompat"
    built_from="HEAD $(cd "$root" && git rev-parse --short HEAD)"
fi
