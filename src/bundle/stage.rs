//! Writing a bundle: the whole tree is built under a temporary name beside the output,
//! verified there, and only then renamed into place (exchanged atomically with an older
//! bundle of the same name). On any error the temporary tree is removed and nothing else
//! has changed; the inputs are only ever read.
//!
//! Verification, before the tree becomes visible:
//! - each lowered file is read back and verified against the baseline (`patch` does it);
//! - every shipped file's libraries are resolved again, from the written tree, the way the
//!   loader would: each must be found in the bundle or be one the target keeps, so a
//!   RUNPATH that does not reach is caught;
//! - the loader check of each executable: the real loader, in trace mode, against stub
//!   libraries of the target's glibc plus the bundle's own libraries.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::closure::Resolver;
use crate::elf::{ElfFile, Linkage};

use super::{BundleError, BundlePlan};

/// The bundle's record of itself, in its root. An existing output directory is replaced
/// only when it holds one (or is empty).
pub const MARKER: &str = ".elfcompat-bundle.json";

/// What was written.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Written {
    /// The bundle's directory.
    pub out: PathBuf,
    /// Files written (links included).
    pub files: usize,
    /// ELF files rewritten (lowered or given a new RUNPATH).
    pub rewritten: usize,
    /// Executables the loader check passed.
    pub loader_checked: usize,
    /// What verification noticed without failing.
    pub notes: Vec<String>,
}

/// Write, verify and publish the bundle the plan describes.
pub fn write(plan: &BundlePlan) -> Result<Written, BundleError> {
    let out = plan.out.as_path();
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| BundleError::io(&parent, e))?;
    let replaces = replaceable(out)?;
    let tmp = tempfile::Builder::new()
        .prefix(".elfcompat-bundle-")
        .tempdir_in(&parent)
        .map_err(|e| BundleError::io(&parent, e))?;
    let root = tmp.path();
    let rewritten = write_files(plan, root)?;
    let json = serde_json::to_vec_pretty(plan).map_err(|e| BundleError::Usage(e.to_string()))?;
    std::fs::write(root.join(MARKER), json).map_err(|e| BundleError::io(&root.join(MARKER), e))?;
    let (loader_checked, notes) = verify(plan, root)?;
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| BundleError::io(root, e))?;
    publish(root, out, replaces)?;
    // `tmp` now names the replaced bundle (or nothing): dropping it removes that.
    drop(tmp);
    Ok(Written {
        out: out.to_path_buf(),
        files: plan.files.len(),
        rewritten,
        loader_checked,
        notes,
    })
}

/// Whether `out` exists and may be replaced: an empty directory or an earlier bundle.
fn replaceable(out: &Path) -> Result<bool, BundleError> {
    match std::fs::symlink_metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(BundleError::io(out, e)),
        Ok(m) if m.is_dir() => {
            let empty = std::fs::read_dir(out)
                .map_err(|e| BundleError::io(out, e))?
                .next()
                .is_none();
            if empty || out.join(MARKER).is_file() {
                Ok(true)
            } else {
                Err(BundleError::Usage(format!(
                    "{}: exists and is not a bundle elfcompat wrote (no {MARKER}); remove it or choose another -o",
                    out.display()
                )))
            }
        }
        Ok(_) => Err(BundleError::Usage(format!(
            "{}: exists and is not a directory",
            out.display()
        ))),
    }
}

/// Every file, in the plan's order. Returns how many ELF files were rewritten.
fn write_files(plan: &BundlePlan, root: &Path) -> Result<usize, BundleError> {
    use rayon::prelude::*;
    for f in &plan.files {
        let dest = root.join(&f.dest);
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).map_err(|e| BundleError::io(dir, e))?;
        }
    }
    let opts = crate::patch::Options {
        allow_blockers: false,
        polyfill: plan.polyfill,
        verify_in_memory: true,
    };
    let results: Vec<Result<bool, BundleError>> = plan
        .files
        .par_iter()
        .map(|f| {
            let dest = root.join(&f.dest);
            if let Some(target) = &f.symlink {
                std::os::unix::fs::symlink(target, &dest).map_err(|e| BundleError::io(&dest, e))?;
                return Ok(false);
            }
            let data = std::fs::read(&f.source).map_err(|e| BundleError::io(&f.source, e))?;
            let patch_err = |source| BundleError::Patch {
                dest: f.dest.clone(),
                source,
            };
            let rewritten = match &f.plan {
                Some(p) if !p.is_noop() => {
                    let mut prepared =
                        crate::patch::prepare(&data, &plan.lowering, &opts).map_err(patch_err)?;
                    prepared.plan.link = p.link.clone();
                    let patched =
                        crate::patch::apply(prepared, &plan.lowering, &opts).map_err(patch_err)?;
                    std::fs::write(&dest, patched.bytes())
                        .map_err(|e| BundleError::io(&dest, e))?;
                    true
                }
                _ => {
                    std::fs::write(&dest, &data).map_err(|e| BundleError::io(&dest, e))?;
                    false
                }
            };
            std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(f.mode))
                .map_err(|e| BundleError::io(&dest, e))?;
            Ok(rewritten)
        })
        .collect();
    let mut n = 0;
    for r in results {
        n += usize::from(r?);
    }
    Ok(n)
}

/// Check the written tree; returns the number of executables the loader check passed and
/// notes.
fn verify(plan: &BundlePlan, root: &Path) -> Result<(usize, Vec<String>), BundleError> {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let elf: Vec<(&str, PathBuf)> = plan
        .files
        .iter()
        .filter(|f| f.symlink.is_none() && f.plan.is_some())
        .map(|f| (f.dest.as_str(), root.join(&f.dest)))
        .collect();
    reach(plan, root, &elf, &mut problems)?;
    versions_defined(&elf, &mut problems)?;
    let mut checked = 0;
    let mut checks: Vec<(crate::abi::Target, crate::verify::loader::LoaderCheck)> = Vec::new();
    for (dest, path) in &elf {
        let map = crate::elf::open(path)?;
        let Ok(file) = ElfFile::parse(map.bytes()) else {
            problems.push(format!("{dest}: the written file does not parse"));
            continue;
        };
        // Every file, rewritten or copied as it was: sound, and within the baseline.
        for f in crate::verify::verify(&file, &plan.lowering) {
            problems.push(format!("{dest}: [{}] {}", f.check, f.message));
        }
        if !matches!(file.linkage(), Linkage::Executable | Linkage::Pie) {
            continue;
        }
        let Some(target) = crate::report::target_of_file(&file) else {
            continue;
        };
        if !checks.iter().any(|(t, _)| *t == target) {
            match crate::verify::loader::LoaderCheck::new(target, plan.lowering.glibc) {
                Ok(c) => checks.push((target, c)),
                Err(e) => {
                    notes.push(format!("{dest}: no loader check: {e}"));
                    continue;
                }
            }
        }
        let Some((_, check)) = checks.iter().find(|(t, _)| *t == target) else {
            continue;
        };
        match check.check(path) {
            Ok(report) => {
                if let Some(why) = &report.skipped {
                    notes.push(format!("{dest}: loader check skipped: {why}"));
                    continue;
                }
                let bad: Vec<String> = report
                    .findings
                    .iter()
                    .filter(|f| f.counts())
                    .map(|f| format!("{dest}: {}", f.message()))
                    .collect();
                if bad.is_empty() {
                    checked += 1;
                } else {
                    problems.extend(bad);
                }
            }
            Err(crate::verify::loader::LoaderError::UnsupportedArch { target, reason }) => {
                notes.push(format!(
                    "{dest}: no loader check for {target} here: {reason}"
                ));
            }
            Err(e) => problems.push(format!("{dest}: loader check failed: {e}")),
        }
    }
    if problems.is_empty() {
        Ok((checked, notes))
    } else {
        Err(BundleError::Verification(problems))
    }
}

/// Resolve the written files again: every library a shipped file loads must come from the
/// bundle, or be one the plan leaves to the target.
fn reach(
    plan: &BundlePlan,
    root: &Path,
    elf: &[(&str, PathBuf)],
    problems: &mut Vec<String>,
) -> Result<(), BundleError> {
    let system: BTreeSet<&str> = plan.system.iter().map(|s| s.name.as_str()).collect();
    let roots: Vec<PathBuf> = elf.iter().map(|(_, p)| p.clone()).collect();
    let closure = Resolver::new(Path::new("/"), Vec::new())?.closure(&roots)?;
    let root_canon = std::fs::canonicalize(root).map_err(|e| BundleError::io(root, e))?;
    for obj in &closure.objects {
        if !obj.canonical.starts_with(&root_canon) {
            continue;
        }
        let dest = obj
            .canonical
            .strip_prefix(&root_canon)
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        for n in &obj.needed {
            let inside = n
                .object
                .is_some_and(|j| closure.objects[j].canonical.starts_with(&root_canon));
            // The lowering may add glibc's own libraries (libpthread, for what 2.34 moved).
            if inside || system.contains(n.name.as_str()) || super::policy::is_glibc(&n.name) {
                continue;
            }
            problems.push(match n.object {
                Some(j) => format!(
                    "{dest}: {} would be loaded from {} instead of the bundle (its RUNPATH does not reach it)",
                    n.name,
                    closure.objects[j].path.display()
                ),
                None => format!("{dest}: {} is not found from the bundle", n.name),
            });
        }
    }
    Ok(())
}

/// Every version a written file requires of a library the bundle holds must be defined by
/// that library, as the loader checks at load time ("version `X' not found"): the
/// bundle's own libraries are renamed (sonames, private version names), so a requirement
/// left behind by a rename is caught here, without running anything. Weak requirements
/// only warn in the loader and are not checked.
fn versions_defined(
    elf: &[(&str, PathBuf)],
    problems: &mut Vec<String>,
) -> Result<(), BundleError> {
    const VER_FLG_WEAK: u16 = 2;
    let maps = elf
        .iter()
        .map(|(dest, path)| Ok((*dest, crate::elf::open(path)?)))
        .collect::<Result<Vec<_>, BundleError>>()?;
    let parsed: Vec<(&str, ElfFile<'_>)> = maps
        .iter()
        .filter_map(|(dest, m)| ElfFile::parse(m.bytes()).ok().map(|f| (*dest, f)))
        .collect();
    // Each library of the bundle under its soname and its file name: its definitions.
    let mut defined: std::collections::BTreeMap<String, BTreeSet<&str>> = Default::default();
    for (dest, f) in &parsed {
        let Some(d) = f.dynamic.as_ref() else {
            continue;
        };
        let names: BTreeSet<&str> = d
            .verdef
            .iter()
            .filter_map(|v| v.names.first().map(|n| n.as_ref()))
            .collect();
        let file_name = dest.rsplit('/').next().unwrap_or(dest).to_string();
        for key in d.soname.iter().map(|s| s.to_string()).chain([file_name]) {
            defined
                .entry(key)
                .or_default()
                .extend(names.iter().copied());
        }
    }
    for (dest, f) in &parsed {
        let Some(d) = f.dynamic.as_ref() else {
            continue;
        };
        for vn in &d.verneed {
            let Some(defs) = defined.get(vn.file.as_ref()) else {
                continue;
            };
            for aux in vn.aux.iter().filter(|a| a.flags & VER_FLG_WEAK == 0) {
                if !defs.contains(aux.name.as_ref()) {
                    problems.push(format!(
                        "{dest}: requires version {} of {}, which that library in the bundle does not define",
                        aux.name, vn.file
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Make the tree at `tmp` the bundle at `out`: an atomic exchange with an earlier bundle,
/// or a rename.
fn publish(tmp: &Path, out: &Path, replaces: bool) -> Result<(), BundleError> {
    if replaces {
        exchange(tmp, out).map_err(|e| BundleError::io(out, e))
    } else {
        std::fs::rename(tmp, out).map_err(|e| BundleError::io(out, e))
    }
}

fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths; renameat2 reads them only.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The build machine's C++ runtime: libstdc++ requires GCC_ versions of libgcc_s.
    const LIB: &str = "/usr/lib/x86_64-linux-gnu";

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn requirements_of_bundled_libraries_must_be_defined() {
        let path = |n: &str| PathBuf::from(format!("{LIB}/{n}"));
        let mut problems = Vec::new();
        let good = [
            ("lib/libstdc++.so.6", path("libstdc++.so.6")),
            ("lib/libgcc_s.so.1", path("libgcc_s.so.1")),
        ];
        versions_defined(&good, &mut problems).unwrap();
        assert_eq!(problems, Vec::<String>::new());
        // A "libgcc_s.so.1" that defines none of libgcc_s's versions (zlib's file).
        let bad = [
            ("lib/libstdc++.so.6", path("libstdc++.so.6")),
            ("lib/libgcc_s.so.1", path("libz.so.1")),
        ];
        versions_defined(&bad, &mut problems).unwrap();
        assert!(
            problems
                .iter()
                .any(|p| p
                    .starts_with("lib/libstdc++.so.6: requires version GCC_3.0 of libgcc_s.so.1")),
            "{problems:?}"
        );
    }
}
