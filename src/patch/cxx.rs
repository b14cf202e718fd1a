//! Lowering a C++ runtime requirement (`GLIBCXX_*`, `CXXABI_*` of libstdc++.so.6,
//! `GCC_*` of libgcc_s.so.1): re-point it to an older version of the same symbol when
//! the two are audited equivalent (docs/cxx-repoint-audit.md), or name the remedy,
//! a newer copy of the library shipped with the program (`elfcompat bundle`).

use crate::abi::cxx::{self, CxxLib};
use crate::abi::Target;
use crate::versym::VersionName;

/// A pair of versions of one symbol whose difference is known and acceptable.
struct Audited {
    /// The mangled symbol.
    symbol: &'static str,
    /// The newer version, as a new toolchain links it.
    newer: &'static str,
    /// The older version it may be re-pointed to.
    older: &'static str,
    /// What differs, for the plan's notes.
    note: &'static str,
}

/// Every pair with the newer version above GLIBCXX_3.4.19 / CXXABI_1.3.7 / GCC_4.8.0 in
/// the data, audited in docs/cxx-repoint-audit.md. A pair missing here is not re-pointed.
const AUDITED: &[Audited] = &[Audited {
    symbol: "_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE",
    newer: "GLIBCXX_3.4.30",
    older: "GLIBCXX_3.4.11",
    note: "condition_variable::wait@GLIBCXX_3.4.11 is noexcept: a thread cancelled \
           (pthread_cancel) while waiting terminates the process instead of unwinding \
           (GCC 12 made wait unwind, PR libstdc++/103382); otherwise the same function",
}];

/// What the planner does with one C++ runtime requirement above the baseline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum CxxFix {
    /// Re-point to `version`; `note` says what differs.
    Repoint {
        /// The older version.
        version: VersionName,
        /// What differs (from the audit).
        note: &'static str,
    },
    /// Only a newer library fixes it: ship one (`bundle` = the soname) or link statically.
    Bundle {
        /// Why, with the remedy.
        reason: String,
    },
}

/// The audit's note for re-pointing `symbol` from `newer` to `older`, if the pair is audited.
fn audited(symbol: &str, newer: &VersionName, older: &VersionName) -> Option<&'static str> {
    AUDITED
        .iter()
        .find(|a| a.symbol == symbol && a.newer == newer.as_str() && a.older == older.as_str())
        .map(|a| a.note)
}

/// Decide for `symbol@required` of `lib` when the target's library has versions up to
/// `limit` (the baseline's limit for the requirement's family).
pub(super) fn fix(
    target: Option<Target>,
    lib: CxxLib,
    symbol: &str,
    required: &VersionName,
    limit: &VersionName,
) -> CxxFix {
    let (short, static_flag) = match lib {
        CxxLib::Libstdcxx => ("libstdc++", "-static-libstdc++"),
        CxxLib::LibgccS => ("libgcc_s", "-static-libgcc"),
    };
    let remedy =
        format!("bundle a newer {short} with `elfcompat bundle`, or link with {static_flag}");
    let needs = format!(
        "needs {}; the target's {short} has {limit}",
        cxx::describe(required)
    );
    let Some(t) = target.filter(|t| cxx::covers(*t)) else {
        return CxxFix::Bundle {
            reason: format!("{needs} (no {short} data for this architecture): {remedy}"),
        };
    };
    match cxx::newest_at_or_below(t, lib, symbol, limit) {
        Some(older) => match audited(symbol, required, &older) {
            Some(note) => CxxFix::Repoint {
                version: older,
                note,
            },
            None => CxxFix::Bundle {
                reason: format!(
                    "{needs}, and {symbol}@{older} is not audited equivalent \
                     (docs/cxx-repoint-audit.md): {remedy}"
                ),
            },
        },
        None => CxxFix::Bundle {
            reason: format!("{needs}: {remedy}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> VersionName {
        VersionName::parse(s)
    }

    #[test]
    fn audited_pairs_exist_in_the_data() {
        let x = crate::abi::db().target_by_name("x86_64");
        for a in AUDITED {
            let t = x.unwrap_or_else(|| unreachable!());
            let vers: Vec<VersionName> = cxx::versions(t, CxxLib::Libstdcxx, a.symbol).collect();
            assert!(
                vers.contains(&v(a.newer)) && vers.contains(&v(a.older)),
                "{}",
                a.symbol
            );
        }
    }

    #[test]
    fn repoint_or_bundle() {
        let x = crate::abi::db().target_by_name("x86_64");
        let wait = "_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE";
        let f = fix(
            x,
            CxxLib::Libstdcxx,
            wait,
            &v("GLIBCXX_3.4.30"),
            &v("GLIBCXX_3.4.28"),
        );
        assert!(
            matches!(f, CxxFix::Repoint { ref version, .. } if *version == v("GLIBCXX_3.4.11"))
        );
        let f = fix(
            x,
            CxxLib::Libstdcxx,
            "_ZSt28__throw_bad_array_new_lengthv",
            &v("GLIBCXX_3.4.29"),
            &v("GLIBCXX_3.4.28"),
        );
        assert_eq!(
            f,
            CxxFix::Bundle {
                reason: "needs GLIBCXX_3.4.29 (GCC 11); the target's libstdc++ has GLIBCXX_3.4.28: \
                         bundle a newer libstdc++ with `elfcompat bundle`, or link with -static-libstdc++"
                    .into()
            }
        );
        // Below 3.4.11 nothing older exists.
        let f = fix(
            x,
            CxxLib::Libstdcxx,
            wait,
            &v("GLIBCXX_3.4.30"),
            &v("GLIBCXX_3.4.10"),
        );
        assert!(matches!(f, CxxFix::Bundle { .. }));
        let f = fix(
            x,
            CxxLib::LibgccS,
            "__extendhfsf2",
            &v("GCC_12.0.0"),
            &v("GCC_7.0.0"),
        );
        assert!(matches!(f, CxxFix::Bundle { ref reason } if reason.contains("-static-libgcc")));
    }
}
