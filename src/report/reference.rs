//! The straightforward analysis and JSON rendering that `report` and `check` had before
//! they streamed (issue #15), kept as the reference the streamed output is tested against
//! (`tests/report_stream.rs`, over /usr): every name copied into an owned `String`, the
//! full model with exports (`Requirements::of`), each file's JSON built as a
//! `serde_json::Value` (whose sorted keys give the document's order). Not used by the
//! commands.

use std::borrow::Cow;
use std::path::Path;

use super::{json, Analysis, FamilySummary, FileReport, Outcome, VersionGroup};
use crate::abi;
use crate::baseline::Baseline;
use crate::check;
use crate::elf::{self, ElfFile, FileError};
use crate::versym::{Family, Requirements, VersionName};

/// Analyse one file on disk, the straightforward way.
pub fn analyze_path(path: &Path, baseline: Option<&Baseline>) -> FileReport<'static> {
    let outcome = match elf::open_if_elf(path) {
        Ok(None) => Outcome::NotElf,
        Ok(Some(map)) => match ElfFile::parse(map.bytes()) {
            Ok(file) => Outcome::Elf(Box::new(analyze(&file, baseline))),
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

/// Analyse the members of an archive, the straightforward way: a report per member
/// (`archive!/member`, ELF members parsed from their bytes), then an error report for the
/// archive if it could not be read to its end; with the counts of link and special
/// members skipped.
pub fn analyze_archive(
    path: &Path,
    format: crate::archive::Format,
    baseline: Option<&Baseline>,
) -> (Vec<FileReport<'static>>, usize, usize) {
    use crate::archive::Member;
    let shown = path.display().to_string();
    let (mut reports, mut links, mut special) = (Vec::new(), 0, 0);
    let read = crate::archive::for_each_member(path, format, |member| match member {
        Member::Link => links += 1,
        Member::Special => special += 1,
        Member::File { name, elf } => {
            let member_path = format!("{shown}!/{name}");
            let outcome = match elf.map(ElfFile::parse) {
                None | Some(Err(elf::ElfError::NotElf)) => Outcome::NotElf,
                Some(Ok(file)) => Outcome::Elf(Box::new(analyze(&file, baseline))),
                Some(Err(e)) => Outcome::Error {
                    error: format!("{member_path}: {e}"),
                },
            };
            reports.push(FileReport {
                path: member_path,
                outcome,
            });
        }
    });
    if let Err(e) = read {
        reports.push(FileReport {
            path: shown,
            outcome: Outcome::Error {
                error: e.to_string(),
            },
        });
    }
    (reports, links, special)
}

/// One file's report as a JSON value: `serde_json::to_value`, then the per-symbol table
/// and the violations removed unless asked for.
pub fn file_value(r: &FileReport<'_>, symbols: bool, violations: bool) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap_or(serde_json::Value::Null);
    if let Some(obj) = v.as_object_mut() {
        if !symbols {
            obj.remove("symbols");
        }
        if !violations {
            obj.remove("violations");
        }
    }
    v
}

/// The whole document as one value, pretty-printed as `report --json` prints it.
pub fn document(
    reports: &[FileReport<'_>],
    summary: &json::Summary,
    baseline: Option<String>,
    symbols: bool,
) -> serde_json::Value {
    let files: Vec<serde_json::Value> = reports
        .iter()
        .map(|r| file_value(r, symbols, baseline.is_some()))
        .collect();
    serde_json::json!({
        "schema": json::SCHEMA,
        "tool": concat!("elfcompat ", env!("CARGO_PKG_VERSION")),
        "baseline": baseline,
        "files": files,
        "summary": summary,
    })
}

fn analyze(file: &ElfFile<'_>, baseline: Option<&Baseline>) -> Analysis<'static> {
    let req = Requirements::of(file);
    let target = abi::db().target_for_elf(
        file.machine,
        file.class == elf::Class::Elf64,
        file.byte_order == elf::ByteOrder::Big,
        file.e_flags,
    );
    let mut requires: Vec<FamilySummary<'static>> = Vec::new();
    let mut other_versions: Vec<VersionGroup<'static>> = Vec::new();
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
            group.libraries.push(Cow::Owned(lib.soname.to_string()));
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
            g.symbols.push(Cow::Owned(sym.name.to_string()));
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

    let (violations, notes) = match baseline {
        Some(b) => super::analysis::baseline_findings(file, &req, target, b),
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
        interpreter: file.interp.as_ref().map(|s| Cow::Owned(s.to_string())),
        soname: file
            .dynamic
            .as_ref()
            .and_then(|d| d.soname.as_ref().map(|s| Cow::Owned(s.to_string()))),
        needed: file
            .dynamic
            .as_ref()
            .map(|d| d.needed.iter().map(|s| Cow::Owned(s.to_string())).collect())
            .unwrap_or_default(),
        requires,
        other_versions,
        defines: req.defined_versions.clone(),
        exported_symbols: req.exports.len(),
        runs_on: Vec::new(),
        polyfillable: {
            let arch = target.and_then(crate::polyfill::Arch::of_target);
            let mut v: Vec<Cow<'static, str>> = match arch {
                Some(a) => {
                    let catalog = crate::polyfill::catalog(a);
                    req.imports
                        .iter()
                        .filter(|i| {
                            i.version
                                .as_ref()
                                .is_some_and(|v| v.family() == Family::Glibc)
                        })
                        .filter(|i| catalog.iter().any(|c| *c == i.name))
                        .map(|i| Cow::Owned(i.name.to_string()))
                        .collect()
                }
                None => Vec::new(),
            };
            v.sort();
            v.dedup();
            v
        },
        symbols: req.imports.into_iter().map(|i| i.into_owned()).collect(),
        violations,
        notes,
        warnings,
    };
    // A static binary is checked by no loader: its limits are the kernel's, not glibc's.
    if !matches!(a.linkage, elf::Linkage::Static | elf::Linkage::StaticPie) {
        a.runs_on = super::runs_on(&a);
    }
    a
}
