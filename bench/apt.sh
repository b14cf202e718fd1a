# Sourced by the bench scripts: apt_install PKG... installs what a benchmark needs
# (apt-get update first). linux-perf may be missing on some images: the timings work
# without it, so when the whole set fails the rest is installed alone.
apt_install() {
    (($# == 0)) && return 0
    say "apt-get install $*"
    apt-get update -qq
    if ! apt-get install -y -qq "$@" >/dev/null; then
        local rest=() p
        for p in "$@"; do [[ $p == linux-perf ]] || rest+=("$p"); done
        ((${#rest[@]} == 0)) || apt-get install -y -qq "${rest[@]}" >/dev/null
    fi
}
