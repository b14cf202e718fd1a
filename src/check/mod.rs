//! Checking a binary against a baseline: every requirement newer than the baseline is a
//! violation, and for each the ABI database tells what could fix it.

use crate::abi::{self, GlibcVersion, Lib, Target};
use crate::baseline::Baseline;
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
    /// Nothing in the baseline provides it.
    Blocker {
        /// Why.
        reason: String,
    },
}

impl Fix {
    /// Whether a rewrite can fix it.
    pub fn is_fixable(&self) -> bool {
        !matches!(self, Fix::Blocker { .. })
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

/// Find every requirement of a file newer than the baseline, with its possible fix.
pub fn violations(
    req: &Requirements,
    target: Option<Target>,
    baseline: &Baseline,
) -> Vec<Violation> {
    let mut out = Vec::new();
    let db = abi::db();
    let limit_glibc = VersionName::parse(&baseline.glibc.tag());
    for (lib, vr) in req.version_requirements() {
        let family = vr.name.family();
        let exceeds = if vr.name.as_str() == DT_RELR_MARKER {
            baseline.glibc < GlibcVersion::new(2, 36, 0)
        } else {
            match family {
                Family::Glibc => vr.name > limit_glibc,
                f => baseline.limit(f).is_some_and(|limit| vr.name > limit),
            }
        };
        if !exceeds {
            continue;
        }
        if vr.name.as_str() == DT_RELR_MARKER {
            out.push(Violation {
                symbol: None,
                library: lib.soname.to_string(),
                version: vr.name.clone(),
                family,
                fix: Fix::ExpandRelr,
            });
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
            out.push(Violation {
                symbol: None,
                library: lib.soname.to_string(),
                version: vr.name.clone(),
                family,
                fix: Fix::DropUnused,
            });
            continue;
        }
        for name in users {
            let fix = match family {
                Family::Glibc => match glibc_fix(db, target, name, &lib.soname, &vr.name, baseline.glibc) {
                    Fix::Blocker { .. } if rename_fix(db, target, name, baseline.glibc).is_some() => {
                        rename_fix(db, target, name, baseline.glibc).unwrap_or(Fix::DropUnused)
                    }
                    Fix::Blocker { .. }
                        if target
                            .and_then(crate::polyfill::Arch::of_target)
                            .is_some_and(|a| crate::polyfill::provides(a, name)) =>
                    {
                        Fix::Polyfill
                    }
                    f => f,
                },
                Family::Glibcxx | Family::Cxxabi => Fix::Blocker {
                    reason: "libstdc++ versions cannot be lowered: link with -static-libstdc++ or an older libstdc++".into(),
                },
                Family::Gcc => Fix::Blocker {
                    reason: "libgcc_s versions cannot be lowered: link with -static-libgcc or an older libgcc".into(),
                },
                Family::Other => Fix::Blocker {
                    reason: "not a versioned glibc interface".into(),
                },
            };
            out.push(Violation {
                symbol: Some(name.to_string()),
                library: lib.soname.to_string(),
                version: vr.name.clone(),
                family,
                fix,
            });
        }
    }
    out
}

/// What the ABI database says about lowering one glibc symbol.
pub fn glibc_fix(
    db: &abi::AbiDb,
    target: Option<Target>,
    symbol: &str,
    soname: &str,
    required: &VersionName,
    baseline: GlibcVersion,
) -> Fix {
    let fix = older_version_fix(db, target, symbol, soname, baseline);
    // An older version whose meaning differs is no fix (`changed`).
    let older = match &fix {
        Fix::Repoint { version } | Fix::MoveLibrary { version, .. } => {
            VersionName::parse(version).glibc_triple()
        }
        _ => None,
    };
    if let (Some((a, b, c)), Some((ra, rb, rc))) = (older, required.glibc_triple()) {
        if let Some(ch) = changed::changed_between(
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
            reason: format!(
                "first available in glibc {} (no older version)",
                first.version
            ),
        },
        None => Fix::Blocker {
            reason: format!("not in the ABI database for {}", target.name()),
        },
    }
}

/// The rename rule for a symbol, when its target exists at the baseline.
fn rename_fix(
    db: &abi::AbiDb,
    target: Option<Target>,
    symbol: &str,
    baseline: GlibcVersion,
) -> Option<Fix> {
    let t = target?;
    let is_64 = [
        "x86_64-",
        "aarch64",
        "powerpc64",
        "s390x",
        "riscv64",
        "mips64",
        "sparc64",
        "loongarch64",
    ]
    .iter()
    .any(|p| t.name().starts_with(p));
    let rule = crate::patch::renames::rename_for(symbol, is_64)?;
    let sv = db.newest_at_or_below(t, rule.to, None, baseline)?;
    Some(Fix::Rename {
        to: rule.to.to_string(),
        version: sv.version.tag(),
    })
}
