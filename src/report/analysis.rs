//! The analysis of one file, owned so it outlives the file's mapping.

use std::path::Path;

use crate::abi::{self, GlibcVersion, Target};
use crate::baseline::Baseline;
use crate::check::{self, Violation};
use crate::elf::{self, ElfFile, FileError};
use crate::versym::{DefinedVersion, Family, ImportedSymbol, Requirements, VersionName};

/// One version of one family, with the libraries that require it and the symbols that
/// use it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VersionGroup {
    /// The version.
    pub version: VersionName,
    /// The libraries the version is required from.
    pub libraries: Vec<String>,
    /// Whether every requirement of it is weak (VER_FLG_WEAK).
    pub weak: bool,
    /// The symbols bound to it, sorted.
    pub symbols: Vec<String>,
}

/// What a file needs from one version family.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FamilySummary {
    /// The family.
    pub family: Family,
    /// The newest version required: the minimum the system must provide.
    pub minimum: VersionName,
    /// Each version required, newest first.
    pub versions: Vec<VersionGroup>,
}

/// One system a file runs on: the oldest release of a distribution family that provides
/// everything the file needs.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RunsOn {
    /// The distribution family or policy ("RHEL", "Ubuntu", "manylinux").
    pub family: String,
    /// The preset name (`rhel8`, `manylinux_2_28`).
    pub name: String,
    /// The display name ("RHEL 8").
    pub display: String,
    /// Its glibc.
    pub glibc: GlibcVersion,
}

/// Everything `report` says about one ELF file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Analysis {
    /// "elf32" or "elf64".
    pub class: &'static str,
    /// "little" or "big".
    pub byte_order: &'static str,
    /// Architecture name from e_machine.
    pub machine: &'static str,
    /// The ABI database's target for it, if any.
    pub target: Option<&'static str>,
    /// Executable, PIE, shared library, static, static PIE.
    pub linkage: elf::Linkage,
    /// PT_INTERP.
    pub interpreter: Option<String>,
    /// DT_SONAME.
    pub soname: Option<String>,
    /// DT_NEEDED, in order.
    pub needed: Vec<String>,
    /// Per family (glibc, glibcxx, cxxabi, gcc): the minimum and the versions, newest first.
    pub requires: Vec<FamilySummary>,
    /// Requirements outside the four families (GLIBC_PRIVATE, other libraries' versions).
    pub other_versions: Vec<VersionGroup>,
    /// Versions this file defines (shared libraries).
    pub defines: Vec<DefinedVersion>,
    /// How many symbols it exports.
    pub exported_symbols: usize,
    /// The oldest systems it runs on, per distribution family.
    pub runs_on: Vec<RunsOn>,
    /// Every imported symbol with its library and version.
    pub symbols: Vec<ImportedSymbol>,
    /// Imported glibc symbols elfcompat can polyfill on this architecture (`patch` links
    /// its own implementation when the baseline lacks them).
    pub polyfillable: Vec<String>,
    /// Requirements newer than the baseline (empty without a baseline).
    pub violations: Vec<Violation>,
    /// What the baseline's glibc may do differently that no requirement shows: format
    /// strings with newer conversions (`silent::formats`). Empty without a baseline.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Oddities that do not stop the loader.
    pub warnings: Vec<String>,
}

impl Analysis {
    /// The minimum glibc the file needs (None: no glibc version requirement).
    pub fn min_glibc(&self) -> Option<&VersionName> {
        self.family(Family::Glibc).map(|f| &f.minimum)
    }

    /// The summary of one family.
    pub fn family(&self, family: Family) -> Option<&FamilySummary> {
        self.requires.iter().find(|f| f.family == family)
    }
}

/// The outcome for one path.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Outcome {
    /// An ELF file, analysed.
    Elf(Box<Analysis>),
    /// Not an ELF file: skipped.
    NotElf,
    /// Could not be read or is malformed.
    Error {
        /// One line naming the broken structure.
        error: String,
    },
}

/// A path and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileReport {
    /// The path as walked.
    pub path: String,
    /// What was found.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Analyse one file on disk.
pub fn analyze_path(path: &Path, baseline: Option<&Baseline>) -> FileReport {
    let outcome = match elf::open_if_elf(path) {
        Ok(None) => Outcome::NotElf,
        Ok(Some(map)) => match analyze_bytes(map.bytes(), baseline) {
            Ok(a) => Outcome::Elf(Box::new(a)),
            Err(elf::ElfError::NotElf) => Outcome::NotElf,
            Err(source) => Outcome::Error {
                error: FileError::Elf {
                    path: path.to_path_buf(),
                    source,
                }
                .to_string(),
            },
        },
        Err(e) => Outcome::Error {
            error: e.to_string(),
        },
    };
    FileReport {
        path: path.display().to_string(),
        outcome,
    }
}

/// Analyse an ELF file's bytes.
pub fn analyze_bytes(data: &[u8], baseline: Option<&Baseline>) -> Result<Analysis, elf::ElfError> {
    let file = ElfFile::parse(data)?;
    Ok(analyze(&file, baseline))
}

fn analyze(file: &ElfFile<'_>, baseline: Option<&Baseline>) -> Analysis {
    let req = Requirements::of(file);
    let target = abi::db().target_for_elf(
        file.machine,
        file.class == elf::Class::Elf64,
        file.byte_order == elf::ByteOrder::Big,
        file.e_flags,
    );
    let mut requires: Vec<FamilySummary> = Vec::new();
    let mut other_versions: Vec<VersionGroup> = Vec::new();
    for (lib, vr) in req.version_requirements() {
        let family = vr.name.family();
        let groups = if family == Family::Other {
            &mut other_versions
        } else {
            let pos = match requires.iter().position(|f| f.family == family) {
                Some(p) => p,
                None => {
                    requires.push(FamilySummary {
                        family,
                        minimum: vr.name.clone(),
                        versions: Vec::new(),
                    });
                    requires.len() - 1
                }
            };
            &mut requires[pos].versions
        };
        let group = match groups.iter().position(|g| g.version == vr.name) {
            Some(p) => &mut groups[p],
            None => {
                groups.push(VersionGroup {
                    version: vr.name.clone(),
                    libraries: Vec::new(),
                    weak: true,
                    symbols: Vec::new(),
                });
                groups.last_mut().expect("just pushed")
            }
        };
        if !group.libraries.contains(&lib.soname) {
            group.libraries.push(lib.soname.clone());
        }
        group.weak &= vr.weak;
    }
    for sym in &req.imports {
        let (Some(lib), Some(version)) = (&sym.library, &sym.version) else {
            continue;
        };
        let groups = if version.family() == Family::Other {
            &mut other_versions
        } else {
            match requires.iter_mut().find(|f| f.family == version.family()) {
                Some(f) => &mut f.versions,
                None => continue,
            }
        };
        if let Some(g) = groups
            .iter_mut()
            .find(|g| &g.version == version && g.libraries.contains(lib))
        {
            g.symbols.push(sym.name.clone());
        }
    }
    for f in &mut requires {
        f.versions.sort_by(|a, b| b.version.cmp(&a.version));
        for g in &mut f.versions {
            g.symbols.sort();
            g.symbols.dedup();
        }
        if let Some(first) = f.versions.first() {
            f.minimum = first.version.clone();
        }
    }
    // DT_RELR binaries carry GLIBC_ABI_DT_RELR, which only glibc >= 2.36 defines: the
    // loader of any older release refuses them, so it raises the minimum.
    let relr_floor = VersionName::parse("GLIBC_2.36");
    if req
        .version_requirements()
        .any(|(_, v)| v.name.as_str() == check::DT_RELR_MARKER)
    {
        match requires.iter_mut().find(|f| f.family == Family::Glibc) {
            Some(f) if f.minimum < relr_floor => f.minimum = relr_floor.clone(),
            Some(_) => {}
            None => requires.push(FamilySummary {
                family: Family::Glibc,
                minimum: relr_floor.clone(),
                versions: Vec::new(),
            }),
        }
    }
    requires.sort_by_key(|f| f.family);
    other_versions.sort_by(|a, b| a.version.cmp(&b.version));
    for g in &mut other_versions {
        g.symbols.sort();
        g.symbols.dedup();
    }

    let mut warnings = file.warnings.clone();
    for (i, raw) in &req.dangling_indices {
        warnings.push(format!(
            ".gnu.version entry {i} names version index {} that no verneed or verdef defines",
            raw & 0x7fff
        ));
    }
    for (lib, vr) in req.version_requirements() {
        if !vr.hash_ok {
            warnings.push(format!(
                "vna_hash of {} ({}) is {:#x}, not the ELF hash of the name",
                vr.name, lib.soname, vr.hash
            ));
        }
    }
    if other_versions
        .iter()
        .any(|g| g.version.as_str() == "GLIBC_PRIVATE")
    {
        warnings.push("requires GLIBC_PRIVATE: bound to one exact glibc build".into());
    }

    // What can be fixed is the planner's answer (polyfills on, as `patch` has by default).
    let (violations, notes) = match baseline {
        Some(b) => {
            let seen = crate::silent::seen_uses(file, &req, b.glibc);
            let plan = crate::patch::plan_for(file, &req, b, &Default::default()).ok();
            let mut v = check::violations(&req, b, plan.as_ref());
            v.extend(silent_violations(&req, &seen, plan.as_ref()));
            (v, crate::silent::file_notes(file, &req, b.glibc, &seen))
        }
        None => (Vec::new(), Vec::new()),
    };
    let mut a = Analysis {
        class: match file.class {
            elf::Class::Elf32 => "elf32",
            elf::Class::Elf64 => "elf64",
        },
        byte_order: match file.byte_order {
            elf::ByteOrder::Little => "little",
            elf::ByteOrder::Big => "big",
        },
        machine: file.machine_name(),
        target: target.map(|t| t.name()),
        linkage: file.linkage(),
        interpreter: file.interp.as_ref().map(|s| s.to_string()),
        soname: file
            .dynamic
            .as_ref()
            .and_then(|d| d.soname.as_ref().map(|s| s.to_string())),
        needed: file
            .dynamic
            .as_ref()
            .map(|d| d.needed.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
        requires,
        other_versions,
        defines: req.defined_versions.clone(),
        exported_symbols: req.exports.len(),
        runs_on: Vec::new(),
        polyfillable: {
            let arch = target.and_then(crate::polyfill::Arch::of_target);
            let mut v: Vec<String> = match arch {
                Some(a) => {
                    let catalog = crate::polyfill::catalog(a);
                    req.imports
                        .iter()
                        .filter(|i| {
                            i.version
                                .as_ref()
                                .is_some_and(|v| v.family() == Family::Glibc)
                        })
                        .filter(|i| catalog.binary_search(&i.name).is_ok())
                        .map(|i| i.name.clone())
                        .collect()
                }
                None => Vec::new(),
            };
            v.sort();
            v.dedup();
            v
        },
        symbols: req.imports,
        violations,
        notes,
        warnings,
    };
    // A static binary is checked by no loader: its limits are the kernel's, not glibc's.
    if !matches!(a.linkage, elf::Linkage::Static | elf::Linkage::StaticPie) {
        a.runs_on = runs_on(&a);
    }
    a
}

/// Calls the code makes with arguments the baseline's glibc refuses (`silent`), with the
/// plan's answer: the wrapper it links, or the blocker it names.
fn silent_violations(
    req: &crate::versym::Requirements,
    seen: &[crate::silent::SeenUse],
    plan: Option<&crate::patch::Plan>,
) -> Vec<check::Violation> {
    seen.iter()
        .filter(|u| !matches!(u.remedy, crate::silent::Remedy::Note(_)))
        .filter_map(|u| {
            let imp = req.imports.iter().find(|i| i.name == u.symbol)?;
            let wrapped = plan.is_some_and(|p| {
                p.changes
                    .iter()
                    .any(|c| c.symbol == u.symbol && c.how == crate::patch::How::Wrap)
            });
            let fix = if wrapped {
                check::Fix::Wrap {
                    what: u.what.clone(),
                    since: u.since.clone(),
                }
            } else {
                let reason = plan
                    .and_then(|p| {
                        p.blockers
                            .iter()
                            .find(|b| b.symbol.as_deref() == Some(u.symbol.as_str()))
                    })
                    .map(|b| b.reason.clone())
                    .unwrap_or_else(|| {
                        format!(
                            "{} needs glibc {}'s meaning, and the file cannot be patched",
                            u.what, u.since
                        )
                    });
                check::Fix::Blocker { reason }
            };
            Some(check::Violation {
                symbol: Some(u.symbol.clone()),
                library: imp.library.clone().unwrap_or_default(),
                version: imp
                    .version
                    .clone()
                    .unwrap_or_else(|| crate::versym::VersionName::parse("")),
                family: crate::versym::Family::Glibc,
                fix,
            })
        })
        .collect()
}

/// The oldest release of each distribution family (and manylinux policy) that provides
/// every glibc, GLIBCXX, CXXABI and GCC version the file needs. Where a preset does not
/// know its libstdc++, only glibc decides.
pub fn runs_on(a: &Analysis) -> Vec<RunsOn> {
    let need_glibc = a
        .min_glibc()
        .and_then(|v| v.glibc_triple())
        .map(|(x, y, z)| GlibcVersion::new(x, y, z))
        .unwrap_or(GlibcVersion::new(2, 0, 0));
    let mut out: Vec<RunsOn> = Vec::new();
    for p in abi::presets() {
        if p.glibc < need_glibc {
            continue;
        }
        let base = Baseline::from_preset(p);
        let ok = [Family::Glibcxx, Family::Cxxabi, Family::Gcc]
            .into_iter()
            .all(|f| match (a.family(f), base.limit(f)) {
                (Some(need), Some(have)) => need.minimum <= have,
                _ => true,
            });
        if !ok {
            continue;
        }
        match out.iter_mut().find(|r| r.family == p.family) {
            Some(r) if r.glibc <= p.glibc => {}
            Some(r) => {
                *r = RunsOn {
                    family: p.family.to_string(),
                    name: p.name.to_string(),
                    display: p.display.to_string(),
                    glibc: p.glibc,
                }
            }
            None => out.push(RunsOn {
                family: p.family.to_string(),
                name: p.name.to_string(),
                display: p.display.to_string(),
                glibc: p.glibc,
            }),
        }
    }
    out
}

/// The ABI database target of a parsed file.
pub fn target_of_file(file: &ElfFile<'_>) -> Option<Target> {
    abi::db().target_for_elf(
        file.machine,
        file.class == elf::Class::Elf64,
        file.byte_order == elf::ByteOrder::Big,
        file.e_flags,
    )
}
