#!/usr/bin/env bash
# Writes data/manylinux-policy.json, the manylinux policies elfcompat embeds
# (src/abi/manylinux.rs), from auditwheel's own policy/manylinux-policy.json as shipped
# in its wheel on PyPI. Trimmed to what a verdict needs: per policy its name, aliases,
# priority and glibc release, the versions it allows per architecture and
# symbol-version family (as auditwheel lists them: membership decides, so
# `CXXABI_TM_1` stays allowed and an empty list allows none), the library whitelist
# and the blacklisted symbols, sorted. Deterministic: the same auditwheel release
# always gives the same bytes.
#
#   bash tools/gen-manylinux-policy.sh [AUDITWHEEL_VERSION]
set -euo pipefail
version="${1:-6.8.2}"
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download -q --no-deps --only-binary=:all: -d "$tmp" "auditwheel==$version"
python3 - "$version" "$tmp"/auditwheel-"$version"-*.whl > data/manylinux-policy.json <<'PY'
import hashlib, json, re, sys, zipfile

version, wheel = sys.argv[1], sys.argv[2]
raw = zipfile.ZipFile(wheel).read("auditwheel/policy/manylinux-policy.json")
policies = json.loads(raw)

out = []
for p in policies:
    m = re.fullmatch(r"manylinux_(\d+)_(\d+)", p["name"])
    if not m:  # "linux": no policy, auditwheel's fallback
        continue
    out.append({
        "name": p["name"],
        "aliases": p["aliases"],
        "priority": p["priority"],
        "glibc": f"{m.group(1)}.{m.group(2)}",
        "symbol_versions": {
            arch: {fam: vs for fam, vs in sorted(fams.items())}
            for arch, fams in sorted(p["symbol_versions"].items())
        },
        "lib_whitelist": sorted(p["lib_whitelist"]),
        "blacklist": {lib: sorted(syms) for lib, syms in sorted(p.get("blacklist", {}).items())},
    })
doc = {
    "source": f"auditwheel {version}, auditwheel/policy/manylinux-policy.json",
    "source_sha256": hashlib.sha256(raw).hexdigest(),
    "generator": "tools/gen-manylinux-policy.sh",
    "policies": out,
}
json.dump(doc, sys.stdout, indent=1)
sys.stdout.write("\n")
PY
echo "data/manylinux-policy.json: $(python3 -c 'import json;print(len(json.load(open("data/manylinux-policy.json"))["policies"]))') policies from auditwheel $version" >&2
