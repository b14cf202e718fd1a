//! The analysis of one file. Its names are borrowed from the file's mapping
//! ([`with_file_report`] renders while the file is mapped); [`analyze_path`] copies them
//! out for callers that keep the result.

use std::borrow::Cow;
use std::path::Path;

use crate::abi::{self, GlibcVersion, Target};
use crate::baseline::Baseline;
use crate::check::{self, Violation};
use crate::elf::{self, ElfFile, FileError};
use crate::versym::{DefinedVersion, Family, ImportedSymbol, Requirements, VersionName};

/// One version of one family, with the libraries that require it and the symbols that
/// use it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VersionGroup<'a> {
    /// The version.
    pub version: VersionName,
    /// The libraries the version is required from.
    pub libraries: Vec<Cow<'a, str>>,
    /// Whether every requirement of it is weak (VER_FLG_WEAK).
    pub weak: bool,
    /// The symbols bound to it, sorted.
    pub symbols: Vec<Cow<'a, str>>,
}

/// What a file needs from one version family.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FamilySummary<'a> {
    /// The family.
    pub family: Family,
    /// The newest version required: the minimum the system must provide.
    pub minimum: VersionName,
    /// Each version required, newest first.
    pub versions: Vec<VersionGroup<'a>>,
}

/// One system a file runs on: the oldest release of a distribution family that provides
/// everything the file needs.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RunsOn {
    /// The distribution family or policy ("RHEL", "Ubuntu", "manylinux").
    pub family: &'static str,
    /// The preset name (`rhel8`, `manylinux_2_28`).
    pub name: &'static str,
    /// The display name ("RHEL 8").
    pub display: &'static str,
    /// Its glibc.
    pub glibc: GlibcVersion,
}

/// Everything `report` says about one ELF file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Analysis<'a> {
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
    pub interpreter: Option<Cow<'a, str>>,
    /// DT_SONAME.
    pub soname: Option<Cow<'a, str>>,
    /// DT_NEEDED, in order.
    pub needed: Vec<Cow<'a, str>>,
    /// Per family (glibc, glibcxx, cxxabi, gcc): the minimum and the versions, newest first.
    pub requires: Vec<FamilySummary<'a>>,
    /// Requirements outside the four families (GLIBC_PRIVATE, other libraries' versions).
    pub other_versions: Vec<VersionGroup<'a>>,
    /// Versions this file defines (shared libraries).
    pub defines: Vec<DefinedVersion>,
    /// How many symbols it exports.
    pub exported_symbols: usize,
    /// The oldest systems it runs on, per distribution family.
    pub runs_on: Vec<RunsOn>,
    /// Every imported symbol with its library and version.
    pub symbols: Vec<ImportedSymbol<'a>>,
    /// Imported glibc symbols elfcompat can polyfill on this architecture (`patch` links
    /// its own implementation when the baseline lacks them).
    pub polyfillable: Vec<Cow<'a, str>>,
    /// Requirements newer than the baseline (empty without a baseline).
    pub violations: Vec<Violation>,
    /// What the baseline's glibc may do differently that no requirement shows: format
    /// strings with newer conversions (`silent::formats`). Empty without a baseline.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Oddities that do not stop the loader.
    pub warnings: Vec<String>,
}

fn owned(s: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(s.into_owned())
}

impl VersionGroup<'_> {
    /// The same group, with its names copied out of the file.
    pub fn into_owned(self) -> VersionGroup<'static> {
        VersionGroup {
            version: self.version,
            libraries: self.libraries.into_iter().map(owned).collect(),
            weak: self.weak,
            symbols: self.symbols.into_iter().map(owned).collect(),
        }
    }
}

impl Analysis<'_> {
    /// The minimum glibc the file needs (None: no glibc version requirement).
    pub fn min_glibc(&self) -> Option<&VersionName> {
        self.family(Family::Glibc).map(|f| &f.minimum)
    }

    /// The summary of one family.
    pub fn family(&self, family: Family) -> Option<&FamilySummary<'_>> {
        self.requires.iter().find(|f| f.family == family)
    }

    /// The same analysis, with its names copied out of the file.
    pub fn into_owned(self) -> Analysis<'static> {
        Analysis {
            class: self.class,
            byte_order: self.byte_order,
            machine: self.machine,
            target: self.target,
            linkage: self.linkage,
            interpreter: self.interpreter.map(owned),
            soname: self.soname.map(owned),
            needed: self.needed.into_iter().map(owned).collect(),
            requires: self
                .requires
                .into_iter()
                .map(|f| FamilySummary {
                    family: f.family,
                    minimum: f.minimum,
                    versions: f.versions.into_iter().map(|g| g.into_owned()).collect(),
                })
                .collect(),
            other_versions: self
                .other_versions
                .into_iter()
                .map(|g| g.into_owned())
                .collect(),
            defines: self.defines,
            exported_symbols: self.exported_symbols,
            runs_on: self.runs_on,
            symbols: self.symbols.into_iter().map(|s| s.into_owned()).collect(),
            polyfillable: self.polyfillable.into_iter().map(owned).collect(),
            violations: self.violations,
            notes: self.notes,
            warnings: self.warnings,
        }
    }
}

/// The outcome for one path.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Outcome<'a> {
    /// An ELF file, analysed.
    Elf(Box<Analysis<'a>>),
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
pub struct FileReport<'a> {
    /// The path as walked.
    pub path: String,
    /// What was found.
    #[serde(flatten)]
    pub outcome: Outcome<'a>,
}

impl FileReport<'_> {
    /// The same report, with its names copied out of the file.
    pub fn into_owned(self) -> FileReport<'static> {
        FileReport {
            path: self.path,
            outcome: match self.outcome {
                Outcome::Elf(a) => Outcome::Elf(Box::new(a.into_owned())),
                Outcome::NotElf => Outcome::NotElf,
                Outcome::Error { error } => Outcome::Error { error },
            },
        }
    }
}

/// Analyse one file on disk; the result owns its names.
pub fn analyze_path(path: &Path, baseline: Option<&Baseline>) -> FileReport<'static> {
    with_file_report(path, false, baseline, |r| r.clone().into_owned())
}

/// Analyse one file on disk and hand the report, whose names still point into the mapped
/// file, to `render`: what `report` and `check` do for each file of a tree, so that no
/// name is copied before it is written out. `walked_regular`: a walk has just found the
/// path to be a regular file (its metadata is not asked for again).
pub fn with_file_report<R>(
    path: &Path,
    walked_regular: bool,
    baseline: Option<&Baseline>,
    render: impl FnOnce(&FileReport<'_>) -> R,
) -> R {
    let path_text = || path.display().to_string();
    let error = |error: String| FileReport {
        path: path_text(),
        outcome: Outcome::Error { error },
    };
    let opened = match walked_regular {
        true => elf::open_walked_if_elf(path),
        false => elf::open_if_elf(path),
    };
    let map = match opened {
        Ok(Some(map)) => map,
        Ok(None) => {
            return render(&FileReport {
                path: path_text(),
                outcome: Outcome::NotElf,
            })
        }
        Err(e) => return render(&error(e.to_string())),
    };
    let report = match analyze_bytes(map.bytes(), baseline) {
        Ok(a) => FileReport {
            path: path_text(),
            outcome: Outcome::Elf(Box::new(a)),
        },
        Err(elf::ElfError::NotElf) => FileReport {
            path: path_text(),
            outcome: Outcome::NotElf,
        },
        Err(source) => error(
            FileError::Elf {
                path: path.to_path_buf(),
                source,
            }
            .to_string(),
        ),
    };
    render(&report)
}

/// Analyse an ELF file's bytes.
pub fn analyze_bytes<'data>(
    data: &'data [u8],
    baseline: Option<&Baseline>,
) -> Result<Analysis<'data>, elf::ElfError> {
    // Only the imports' names: no report shows an exported symbol's name.
    let file = ElfFile::parse_imports(data)?;
    Ok(analyze(&file, baseline))
}

/// Where one version requirement's symbols go: the family (None: other versions) and the
/// group's position in it.
#[derive(Copy, Clone)]
struct Slot {
    family: Option<usize>,
    group: usize,
}

/// The per-family summary of the file's version requirements: every (library, version)
/// requirement in file order, grouped by version, with the imported symbols bound to it.
fn summarise<'a>(req: &Requirements<'a>) -> (Vec<FamilySummary<'a>>, Vec<VersionGroup<'a>>) {
    let mut requires: Vec<FamilySummary<'a>> = Vec::new();
    let mut other_versions: Vec<VersionGroup<'a>> = Vec::new();
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
            Some(p) => p,
            None => {
                groups.push(VersionGroup {
                    version: vr.name.clone(),
                    libraries: Vec::new(),
                    weak: true,
                    symbols: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let g = &mut groups[group];
        if !g.libraries.contains(&lib.soname) {
            g.libraries.push(lib.soname.clone());
        }
        g.weak &= vr.weak;
    }
    // Each bound import goes to the group of its version that lists its library. Imports
    // come in runs of the same (library, version): remember the last one's group.
    let mut last: Option<(&VersionName, &str, Option<Slot>)> = None;
    for sym in &req.imports {
        let (Some(lib), Some(version)) = (&sym.library, &sym.version) else {
            continue;
        };
        let slot = match last {
            Some((v, l, slot)) if v == version && l == lib.as_ref() => slot,
            _ => {
                let slot = group_of(&requires, &other_versions, version, lib);
                last = Some((version, lib.as_ref(), slot));
                slot
            }
        };
        let Some(slot) = slot else { continue };
        let group = match slot.family {
            Some(f) => &mut requires[f].versions[slot.group],
            None => &mut other_versions[slot.group],
        };
        group.symbols.push(sym.name.clone());
    }
    for f in &mut requires {
        f.versions.sort_by(|a, b| b.version.cmp(&a.version));
        for g in &mut f.versions {
            sort_names(&mut g.symbols);
        }
        if let Some(first) = f.versions.first() {
            f.minimum = first.version.clone();
        }
    }
    // DT_RELR binaries carry GLIBC_ABI_DT_RELR, which only glibc >= 2.36 defines: the
    // loader of any older release refuses them, so it raises the minimum.
    if req
        .version_requirements()
        .any(|(_, v)| v.name.as_str() == check::DT_RELR_MARKER)
    {
        let relr_floor = VersionName::parse("GLIBC_2.36");
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
        sort_names(&mut g.symbols);
    }
    (requires, other_versions)
}

/// Sort names (as bytes) and drop repeats. Most comparisons are settled by the first
/// eight bytes ([`elf::name_key`]), without a call to compare the strings.
fn sort_names(names: &mut Vec<Cow<'_, str>>) {
    let mut keyed: Vec<(u64, Cow<'_, str>)> =
        names.drain(..).map(|n| (elf::name_key(&n), n)).collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    names.extend(keyed.into_iter().map(|(_, n)| n));
    names.dedup();
}

/// The group an import bound to `version` of `lib` belongs to: the group of that version,
/// in its family, that lists the library (None when its family has no summary).
fn group_of(
    requires: &[FamilySummary<'_>],
    other_versions: &[VersionGroup<'_>],
    version: &VersionName,
    lib: &str,
) -> Option<Slot> {
    let (family, groups) = if version.family() == Family::Other {
        (None, other_versions)
    } else {
        let f = requires.iter().position(|f| f.family == version.family())?;
        (Some(f), requires[f].versions.as_slice())
    };
    let group = groups
        .iter()
        .position(|g| &g.version == version && g.libraries.iter().any(|l| l == lib))?;
    Some(Slot { family, group })
}

fn analyze<'a>(file: &ElfFile<'a>, baseline: Option<&Baseline>) -> Analysis<'a> {
    let req = Requirements::of_imports(file);
    let target = target_of_file(file);
    let (requires, other_versions) = summarise(&req);
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
    let (violations, notes) = match baseline {
        Some(b) => baseline_findings(file, &req, target, b),
        None => (Vec::new(), Vec::new()),
    };
    let polyfillable = polyfillable(&req, target);
    let dynamic = file.dynamic.as_ref();
    let mut a = Analysis {
        class: class_name(file),
        byte_order: byte_order_name(file),
        machine: file.machine_name(),
        target: target.map(|t| t.name()),
        linkage: file.linkage(),
        interpreter: file.interp.clone(),
        soname: dynamic.and_then(|d| d.soname.clone()),
        needed: dynamic.map(|d| d.needed.clone()).unwrap_or_default(),
        requires,
        other_versions,
        defines: req.defined_versions,
        exported_symbols: req.export_count,
        runs_on: Vec::new(),
        polyfillable,
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

pub(super) fn class_name(file: &ElfFile<'_>) -> &'static str {
    match file.class {
        elf::Class::Elf32 => "elf32",
        elf::Class::Elf64 => "elf64",
    }
}

pub(super) fn byte_order_name(file: &ElfFile<'_>) -> &'static str {
    match file.byte_order {
        elf::ByteOrder::Little => "little",
        elf::ByteOrder::Big => "big",
    }
}

/// Requirements above the baseline and what it may do differently (`check`): the
/// violations of `check::violations` and of the code's calls (`silent`), and the notes.
pub(super) fn baseline_findings(
    file: &ElfFile<'_>,
    req: &Requirements<'_>,
    target: Option<Target>,
    b: &Baseline,
) -> (Vec<Violation>, Vec<String>) {
    // What can be fixed is the planner's answer (polyfills on, as `patch` has by default).
    let _ = target;
    let seen = crate::silent::seen_uses(file, req, b.glibc);
    // The notes read all of the file's read-only bytes: made once, for the plan and here.
    let notes = crate::silent::file_notes(file, req, b.glibc, &seen);
    // The plan answers for requirements above the baseline and for calls seen: a file with
    // neither has nothing to ask it.
    let asks = !seen.is_empty()
        || req
            .version_requirements()
            .any(|(_, vr)| check::exceeds(b, &vr.name));
    let plan = asks
        .then(|| {
            crate::patch::plan_noted(file, req, b, &Default::default(), &seen, notes.clone()).ok()
        })
        .flatten();
    let mut v = check::violations(req, b, plan.as_ref());
    // A requirement above the baseline is listed once, with the plan's answer.
    let listed: Vec<String> = v.iter().filter_map(|x| x.symbol.clone()).collect();
    v.extend(
        silent_violations(req, &seen, plan.as_ref())
            .into_iter()
            .filter(|x| x.symbol.as_ref().is_none_or(|s| !listed.contains(s))),
    );
    (v, notes)
}

/// The imported glibc symbols with a polyfill on the target's architecture, sorted.
pub(super) fn polyfillable<'a>(
    req: &Requirements<'a>,
    target: Option<Target>,
) -> Vec<Cow<'a, str>> {
    let Some(arch) = target.and_then(crate::polyfill::Arch::of_target) else {
        return Vec::new();
    };
    let mut v: Vec<Cow<'a, str>> = req
        .imports
        .iter()
        .filter(|i| {
            i.version
                .as_ref()
                .is_some_and(|v| v.family() == Family::Glibc)
        })
        .filter(|i| crate::polyfill::in_catalog(arch, &i.name))
        .map(|i| i.name.clone())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Calls the code makes with arguments the baseline's glibc refuses (`silent`), with the
/// plan's answer: the wrapper it links, or the blocker it names.
fn silent_violations(
    req: &crate::versym::Requirements<'_>,
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
                library: imp.library.as_deref().unwrap_or_default().to_string(),
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
pub fn runs_on(a: &Analysis<'_>) -> Vec<RunsOn> {
    // Asked for every file: the presets' baselines are made once.
    static BASELINES: std::sync::OnceLock<Vec<(&'static abi::Preset, Baseline)>> =
        std::sync::OnceLock::new();
    let baselines = BASELINES.get_or_init(|| {
        abi::presets()
            .iter()
            .map(|p| (p, Baseline::from_preset(p)))
            .collect()
    });
    let need_glibc = a
        .min_glibc()
        .and_then(|v| v.glibc_triple())
        .map(|(x, y, z)| GlibcVersion::new(x, y, z))
        .unwrap_or(GlibcVersion::new(2, 0, 0));
    let mut out: Vec<RunsOn> = Vec::new();
    for (p, base) in baselines {
        if p.glibc < need_glibc {
            continue;
        }
        let ok = [Family::Glibcxx, Family::Cxxabi, Family::Gcc]
            .into_iter()
            .all(|f| match (a.family(f), base.limit(f)) {
                (Some(need), Some(have)) => need.minimum <= have,
                _ => true,
            });
        if !ok {
            continue;
        }
        let this = RunsOn {
            family: p.family,
            name: p.name,
            display: p.display,
            glibc: p.glibc,
        };
        match out.iter_mut().find(|r| r.family == p.family) {
            Some(r) if r.glibc <= p.glibc => {}
            Some(r) => *r = this,
            None => out.push(this),
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
