//! Checking a binary against a baseline: every requirement newer than the baseline is a
//! violation, and for each the patch planner tells what fixes it (or why nothing can).

use crate::abi::GlibcVersion;
use crate::baseline::Baseline;
use crate::patch::{How, Plan};
use crate::versym::{Family, Requirements, VersionName};

pub mod changed;

/// The version requirement glibc 2.36 added for binaries with DT_RELR relocations.
pub const DT_RELR_MARKER: &str = "GLIBC_ABI_DT_RELR";

/// What could bring a violating requirement within the baseline.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Fix {
    /// An older version of the same symbol exists in the same library.
    Repoint {
        /// The newest version at or below the baseline.
        version: String,
    },
    /// At the baseline the symbol lived in another library (before the 2.34 merge).
    MoveLibrary {
        /// That library's soname.
        library: String,
        /// The version there.
        version: String,
    },
    /// No symbol uses the requirement: it can simply be removed.
    DropUnused,
    /// DT_RELR must be expanded into ordinary relative relocations.
    ExpandRelr,
    /// No older version exists, but elfcompat has a polyfill it links in.
    Polyfill,
    /// A weak reference with no older version: made unversioned (NULL on a glibc without
    /// it, which code using a weak reference handles).
    Unversion,
    /// An older symbol with the same ABI (the rename table of `patch`).
    Rename {
        /// The older symbol.
        to: String,
        /// Its version at the baseline.
        version: String,
    },
    /// The version is within the baseline, but the code passes the function an argument
    /// that only a newer glibc understands (`silent`); elfcompat links a wrapper.
    Wrap {
        /// The call as written: `sysconf(_SC_SIGSTKSZ)`.
        what: String,
        /// The release that gave the argument its meaning.
        since: String,
    },
    /// The target's C++ runtime is too old for it and no audited older version exists:
    /// a newer copy of `library` shipped with the program (`elfcompat bundle`) satisfies it.
    /// `patch` alone cannot, so the file still fails `check`.
    Bundle {
        /// The soname to ship: `libstdc++.so.6` or `libgcc_s.so.1`.
        library: String,
        /// What is needed and what the target has.
        reason: String,
    },
    /// Nothing in the baseline provides it.
    Blocker {
        /// Why.
        reason: String,
    },
}

impl Fix {
    /// Whether a rewrite can fix it (a bundle is not a rewrite of this file).
    pub fn is_fixable(&self) -> bool {
        !matches!(self, Fix::Blocker { .. } | Fix::Bundle { .. })
    }

    /// A short human description.
    pub fn describe(&self) -> String {
        match self {
            Fix::Repoint { version } => format!("fixable: re-point to {version}"),
            Fix::MoveLibrary { library, version } => {
                format!("fixable: take {version} from {library}")
            }
            Fix::DropUnused => "fixable: unused requirement, drop it".to_string(),
            Fix::ExpandRelr => "fixable: expand DT_RELR into REL/RELA relocations".to_string(),
            Fix::Polyfill => {
                "fixable: polyfill (no older version; elfcompat links its own)".to_string()
            }
            Fix::Rename { to, version } => format!("fixable: rename to {to}@{version} (same ABI)"),
            Fix::Wrap { what, since } => format!(
                "fixable: wrap ({what} means something only since glibc {since}; elfcompat links a wrapper)"
            ),
            Fix::Unversion => {
                "fixable: weak reference, made unversioned (NULL where glibc lacks it)".to_string()
            }
            Fix::Bundle { library, .. } => {
                format!("fixable: bundle a newer {library} (elfcompat bundle)")
            }
            Fix::Blocker { reason } => format!("blocker: {reason}"),
        }
    }
}

/// One requirement (and, when a symbol uses it, that symbol) newer than the baseline.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// The symbol, or None for a requirement no symbol uses.
    pub symbol: Option<String>,
    /// The library the requirement names.
    pub library: String,
    /// The required version.
    pub version: VersionName,
    /// The version family.
    pub family: Family,
    /// What could fix it.
    pub fix: Fix,
}

/// Whether a required version is above the baseline. `GLIBC_ABI_DT_RELR` counts as
/// glibc 2.36, the first release whose loader applies DT_RELR.
pub fn exceeds(baseline: &Baseline, version: &VersionName) -> bool {
    if version.as_str() == DT_RELR_MARKER {
        return baseline.glibc < GlibcVersion::new(2, 36, 0);
    }
    match version.family() {
        // Asked for every requirement of every file: the numbers decide without making
        // the baseline's tag; only equal numbers (`GLIBC_2.17.0` against 2.17) need it.
        Family::Glibc => {
            let g = baseline.glibc;
            let numbers = [g.major, g.minor, g.patch].map(u32::from);
            match version.cmp_numbers(&numbers) {
                std::cmp::Ordering::Equal => *version > VersionName::parse(&g.tag()),
                o => o == std::cmp::Ordering::Greater,
            }
        }
        f => baseline.limit(f).is_some_and(|limit| *version > limit),
    }
}

/// Find every requirement of a file newer than the baseline, with the fix the planner
/// chose for it (`plan`, for this file and baseline; None when the file cannot be planned).
/// Whether something can be fixed is the plan's answer alone, so `check`, `report`,
/// `patch --dry-run` and `patch` agree.
pub fn violations(req: &Requirements, baseline: &Baseline, plan: Option<&Plan>) -> Vec<Violation> {
    let mut out = Vec::new();
    for (lib, vr) in req.version_requirements() {
        if !exceeds(baseline, &vr.name) {
            continue;
        }
        let family = vr.name.family();
        let violation = |symbol: Option<&str>, fix: Fix| Violation {
            symbol: symbol.map(str::to_string),
            library: lib.soname.to_string(),
            version: vr.name.clone(),
            family,
            fix,
        };
        if vr.name.as_str() == DT_RELR_MARKER {
            let fix = match plan {
                Some(p) if p.expand_relr => Fix::ExpandRelr,
                _ => blocked(plan, None, &lib.soname, vr.name.as_str()),
            };
            out.push(violation(None, fix));
            continue;
        }
        let users: Vec<&str> = req
            .imports
            .iter()
            .filter(|s| {
                s.library.as_deref() == Some(&*lib.soname) && s.version.as_ref() == Some(&vr.name)
            })
            .map(|s| &*s.name)
            .collect();
        // A weak version requirement (VER_FLG_WEAK) only makes the loader warn; if every
        // symbol bound to it is a weak reference too, a missing definition is just NULL.
        if vr.weak
            && req.imports.iter().all(|s| {
                !(s.library.as_deref() == Some(&*lib.soname)
                    && s.version.as_ref() == Some(&vr.name))
                    || s.binding == crate::versym::SymbolBinding::Weak
            })
        {
            continue;
        }
        if users.is_empty() {
            let dropped = plan.is_some_and(|p| {
                p.drop_versions
                    .iter()
                    .any(|d| d.library == lib.soname && d.version == vr.name.as_str())
            });
            let fix = if dropped {
                Fix::DropUnused
            } else {
                blocked(plan, None, &lib.soname, vr.name.as_str())
            };
            out.push(violation(None, fix));
            continue;
        }
        for name in users {
            let fix = fix_in_plan(plan, name, &lib.soname, vr.name.as_str());
            out.push(violation(Some(name), fix));
        }
    }
    out
}

/// The plan's decision for one symbol's requirement, as a [`Fix`].
fn fix_in_plan(plan: Option<&Plan>, symbol: &str, library: &str, version: &str) -> Fix {
    let change = plan.and_then(|p| {
        p.changes
            .iter()
            .find(|c| c.symbol == symbol && c.from_library == library && c.from_version == version)
    });
    let Some(c) = change else {
        return blocked(plan, Some(symbol), library, version);
    };
    match c.how {
        How::Repoint => Fix::Repoint {
            version: c.to_version.clone(),
        },
        How::MoveLibrary => Fix::MoveLibrary {
            library: c.to_library.clone(),
            version: c.to_version.clone(),
        },
        How::Rename => Fix::Rename {
            to: c.to_symbol.clone(),
            version: c.to_version.clone(),
        },
        How::Unversion => Fix::Unversion,
        How::Polyfill => Fix::Polyfill,
        // Wraps concern versions within the baseline, which are no violations; the calls
        // that need them are listed apart (`report::analysis`, with what and since).
        How::Wrap => Fix::Wrap {
            what: c.symbol.clone(),
            since: String::new(),
        },
    }
}

/// The plan's blocker for a requirement (the planner decided nothing else for it).
fn blocked(plan: Option<&Plan>, symbol: Option<&str>, library: &str, version: &str) -> Fix {
    let Some(plan) = plan else {
        return Fix::Blocker {
            reason: "the file cannot be planned".into(),
        };
    };
    let found = plan
        .blockers
        .iter()
        .find(|b| b.symbol.as_deref() == symbol && b.library == library && b.version == version);
    match found {
        Some(b) => match &b.bundle {
            Some(lib) => Fix::Bundle {
                library: lib.clone(),
                reason: b.reason.clone(),
            },
            None => Fix::Blocker {
                reason: b.reason.clone(),
            },
        },
        // Not a case the planner leaves open; were it one, `patch` would not fix it either.
        None => Fix::Blocker {
            reason: "the planner has no fix for it".into(),
        },
    }
}
