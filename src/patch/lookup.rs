//! What the ABI database offers for one requirement above the baseline: an older version
//! of the same symbol, the library that held it before the 2.34 merge, or nothing. The
//! planner alone asks (and adds what the writer can do: renames, polyfills, the limits of
//! the file); `check` and `report` take their answers from the plan.

use crate::abi::{self, GlibcVersion, Lib, Target};
use crate::check::Fix;
use crate::versym::{Family, VersionName};

/// Why a requirement of a non-glibc family cannot be lowered.
pub fn family_reason(family: Family) -> String {
    match family {
        Family::Glibcxx | Family::Cxxabi => "libstdc++ versions cannot be lowered: link with -static-libstdc++ or an older libstdc++".into(),
        Family::Gcc => "libgcc_s versions cannot be lowered: link with -static-libgcc or an older libgcc".into(),
        Family::Glibc | Family::Other => "not a versioned glibc interface".into(),
    }
}

/// What the ABI database says about lowering one glibc symbol: `Repoint`, `MoveLibrary`
/// or `Blocker` with the reason.
pub fn glibc_fix(
    db: &abi::AbiDb,
    target: Option<Target>,
    symbol: &str,
    soname: &str,
    required: &VersionName,
    baseline: GlibcVersion,
) -> Fix {
    let fix = older_version_fix(db, target, symbol, soname, baseline);
    // An older version whose meaning differs is no fix (`check::changed`).
    let older = match &fix {
        Fix::Repoint { version } | Fix::MoveLibrary { version, .. } => {
            VersionName::parse(version).glibc_triple()
        }
        _ => None,
    };
    if let (Some((a, b, c)), Some((ra, rb, rc))) = (older, required.glibc_triple()) {
        if let Some(ch) = crate::check::changed::changed_between(
            symbol,
            GlibcVersion::new(a, b, c),
            GlibcVersion::new(ra, rb, rc),
        ) {
            return Fix::Blocker {
                reason: format!(
                    "the older version means something else: {} (a re-point would break the program silently)",
                    ch.why
                ),
            };
        }
    }
    fix
}

/// The older version of the symbol the baseline has, by the ABI database alone.
fn older_version_fix(
    db: &abi::AbiDb,
    target: Option<Target>,
    symbol: &str,
    soname: &str,
    baseline: GlibcVersion,
) -> Fix {
    let Some(target) = target else {
        return Fix::Blocker {
            reason: "the ABI database has no data for this architecture".into(),
        };
    };
    if baseline < target.base_version() {
        return Fix::Blocker {
            reason: format!(
                "{} has no glibc older than {}",
                target.name(),
                target.base_version()
            ),
        };
    }
    let lib = Lib::from_soname(soname);
    if let Some(lib) = lib {
        if let Some(sv) = db.newest_at_or_below(target, symbol, Some(lib), baseline) {
            return Fix::Repoint {
                version: sv.version.tag(),
            };
        }
    }
    if let Some(sv) = db.newest_at_or_below(target, symbol, None, baseline) {
        if Some(sv.lib) != lib {
            return Fix::MoveLibrary {
                library: sv.lib.soname(target).to_string(),
                version: sv.version.tag(),
            };
        }
        return Fix::Repoint {
            version: sv.version.tag(),
        };
    }
    let known = db.symbol(target, symbol);
    match known.first() {
        Some(first) => Fix::Blocker {
            reason: match super::advice::advice(symbol) {
                Some(instead) => format!(
                    "first available in glibc {} (no older version, and no sound polyfill): {instead}",
                    first.version
                ),
                None => match super::advice::instead(
                    symbol,
                    target.name(),
                    &first.version.to_string(),
                ) {
                    Some(instead) => format!(
                        "first available in glibc {} (no older version, and no polyfill yet): {instead}",
                        first.version
                    ),
                    None => format!(
                        "first available in glibc {} (no older version)",
                        first.version
                    ),
                },
            },
        },
        None => Fix::Blocker {
            reason: format!("not in the ABI database for {}", target.name()),
        },
    }
}
