//! The C++ runtime decision. libstdc++ and libgcc_s are on every target, but perhaps
//! older than what the program needs. Each stays on the target when the target's version
//! covers every requirement of the shipped files once the planner has re-pointed what it
//! can; otherwise the build machine's copy is shipped (and lowered like the rest), and
//! the requirements on it need no lowering. A bundled libstdc++ brings its own needs of
//! libgcc_s, so libgcc_s is decided after it.

use std::collections::BTreeSet;
use std::path::Path;

use crate::baseline::Baseline;
use crate::closure::Closure;
use crate::patch::Plan;

use super::{reachable, BundleError, Decision, Request};

/// libstdc++'s soname.
pub const LIBSTDCXX: &str = "libstdc++.so.6";
/// libgcc_s's soname.
pub const LIBGCC_S: &str = "libgcc_s.so.1";

/// What the runtime decision settled.
pub struct Runtime {
    /// The baseline the shipped files are lowered to.
    pub lowering: Baseline,
    /// Why each runtime library is shipped or not.
    pub notes: Vec<String>,
}

/// Decide libstdc++ and libgcc_s, updating `decisions`.
pub fn decide(
    req: &Request,
    closure: &Closure,
    decisions: &mut [Decision],
) -> Result<Runtime, BundleError> {
    let mut lowering = req.baseline.clone();
    let mut notes = Vec::new();
    let find = |soname: &str, decisions: &[Decision]| {
        closure.objects.iter().enumerate().find_map(|(i, o)| {
            let named = o.soname.as_deref() == Some(soname)
                || o.path.file_name().is_some_and(|n| n == soname);
            (named && matches!(decisions[i], Decision::Bundle(..))).then_some(i)
        })
    };
    let stdcxx = find(LIBSTDCXX, decisions);
    let gcc_s = find(LIBGCC_S, decisions);
    // Until decided, both are the target's.
    let saved: Vec<(usize, Decision)> = [stdcxx, gcc_s]
        .into_iter()
        .flatten()
        .map(|i| (i, decisions[i].clone()))
        .collect();
    for (i, _) in &saved {
        decisions[*i] = Decision::System(String::new());
    }
    let shipped = reachable(closure, decisions);
    let needs = needs_of(closure, &shipped, &req.baseline, req.polyfill)?;

    let mut ship_stdcxx = false;
    if let Some(i) = stdcxx.filter(|&i| loaded(closure, &shipped, i)) {
        let reason = if req.baseline.glibcxx.is_none() {
            Some(
                "the target's libstdc++ is not known (give --target or --glibcxx): shipped"
                    .to_string(),
            )
        } else {
            needs.get(LIBSTDCXX).map(|v| {
                format!(
                    "{LIBSTDCXX}: the shipped files need {} after re-pointing, newer than the target's {}: shipped",
                    v.join(", "),
                    [&req.baseline.glibcxx, &req.baseline.cxxabi]
                        .into_iter()
                        .flatten()
                        .map(|v| v.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
        };
        match reason {
            Some(r) => {
                ship_stdcxx = true;
                decisions[i] = original(&saved, i);
                set_why(&mut decisions[i], &r);
                notes.push(r);
                lowering.glibcxx = None;
                lowering.cxxabi = None;
            }
            None => {
                let r = format!(
                    "{LIBSTDCXX}: the target's ({}) covers what the shipped files need",
                    req.baseline.glibcxx.as_ref().map_or("", |v| v.as_str())
                );
                decisions[i] = Decision::System(r.clone());
                notes.push(r);
            }
        }
    }
    if let Some(i) = gcc_s {
        // A shipped libstdc++ needs libgcc_s too: plan it against the target's.
        let mut needs_gcc = needs.get(LIBGCC_S).cloned();
        if ship_stdcxx {
            let shipped = reachable(closure, decisions);
            let more = needs_of(closure, &shipped, &lowering, req.polyfill)?;
            if let Some(v) = more.get(LIBGCC_S) {
                needs_gcc
                    .get_or_insert_with(Vec::new)
                    .extend(v.iter().cloned());
            }
        }
        let shipped = reachable(closure, decisions);
        let used = closure
            .objects
            .iter()
            .enumerate()
            .any(|(j, o)| shipped.contains(&j) && o.needed.iter().any(|n| n.object == Some(i)));
        if used {
            let reason = if req.baseline.gcc.is_none() {
                Some("the target's libgcc_s is not known (give --target): shipped".to_string())
            } else {
                needs_gcc.map(|mut v| {
                    v.sort();
                    v.dedup();
                    format!(
                        "{LIBGCC_S}: the shipped files need {}, newer than the target's {}: shipped",
                        v.join(", "),
                        req.baseline.gcc.as_ref().map_or("", |v| v.as_str())
                    )
                })
            };
            match reason {
                Some(r) => {
                    decisions[i] = original(&saved, i);
                    set_why(&mut decisions[i], &r);
                    notes.push(r);
                    lowering.gcc = None;
                }
                None => {
                    let r = format!(
                        "{LIBGCC_S}: the target's ({}) covers what the shipped files need",
                        req.baseline.gcc.as_ref().map_or("", |v| v.as_str())
                    );
                    decisions[i] = Decision::System(r.clone());
                    notes.push(r);
                }
            }
        }
    }
    inputs_runtime(closure, decisions, &mut lowering, &mut notes);
    Ok(Runtime { lowering, notes })
}

/// A C++ runtime that is one of the inputs (a tree that ships its own, or a bundled
/// wheel's copy under its unique name) serves the files that load it, as a shipped one
/// does: requirements on it need no lowering.
fn inputs_runtime(
    closure: &Closure,
    decisions: &[Decision],
    lowering: &mut Baseline,
    notes: &mut Vec<String>,
) {
    // `libstdc++.so.6` itself, or auditwheel's unique `libstdc++-<hash>.so.6`.
    let copy_of = |name: &str, soname: &str| {
        let (stem, ext) = soname.split_once(".so").unwrap_or((soname, ""));
        name == soname
            || (name.starts_with(&format!("{stem}-")) && name.ends_with(&format!(".so{ext}")))
    };
    for (i, o) in closure.objects.iter().enumerate() {
        if !matches!(decisions[i], Decision::Input(_)) {
            continue;
        }
        let name = o
            .soname
            .clone()
            .or_else(|| o.path.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        if copy_of(&name, LIBSTDCXX) && lowering.glibcxx.is_some() {
            lowering.glibcxx = None;
            lowering.cxxabi = None;
            notes.push(format!(
                "{name}: a libstdc++ among the inputs serves the files that load it"
            ));
        }
        if copy_of(&name, LIBGCC_S) && lowering.gcc.is_some() {
            lowering.gcc = None;
            notes.push(format!(
                "{name}: a libgcc_s among the inputs serves the files that load it"
            ));
        }
    }
}

fn original(saved: &[(usize, Decision)], i: usize) -> Decision {
    saved
        .iter()
        .find(|(j, _)| *j == i)
        .map(|(_, d)| d.clone())
        .unwrap_or(Decision::System(String::new()))
}

fn set_why(d: &mut Decision, why: &str) {
    if let Decision::Bundle(_, w) = d {
        *w = why.to_string();
    }
}

/// Whether a shipped object loads object `i`.
fn loaded(closure: &Closure, shipped: &BTreeSet<usize>, i: usize) -> bool {
    closure
        .objects
        .iter()
        .enumerate()
        .any(|(j, o)| shipped.contains(&j) && o.needed.iter().any(|n| n.object == Some(i)))
}

/// Per C++ runtime library, the versions the shipped files still need above the baseline
/// after the planner has done what it can (its blockers on that library).
fn needs_of(
    closure: &Closure,
    shipped: &BTreeSet<usize>,
    baseline: &Baseline,
    polyfill: bool,
) -> Result<std::collections::BTreeMap<&'static str, Vec<String>>, BundleError> {
    use rayon::prelude::*;
    let paths: Vec<&Path> = shipped
        .iter()
        .map(|&i| closure.objects[i].canonical.as_path())
        .collect();
    let plans: Vec<Result<Plan, BundleError>> = paths
        .par_iter()
        .map(|p| plan_file(p, baseline, polyfill))
        .collect();
    let mut out: std::collections::BTreeMap<&'static str, Vec<String>> = Default::default();
    // A file that cannot be planned is named by the bundle's own planning, later.
    for plan in plans.into_iter().flatten() {
        for b in plan.blockers {
            // The planner names the library whose newer copy would satisfy it.
            for lib in [LIBSTDCXX, LIBGCC_S] {
                if b.bundle.as_deref() == Some(lib) {
                    let v = out.entry(lib).or_default();
                    if !v.contains(&b.version) {
                        v.push(b.version.clone());
                    }
                }
            }
        }
    }
    for v in out.values_mut() {
        v.sort_by(|a, b| {
            crate::versym::VersionName::parse(a).cmp(&crate::versym::VersionName::parse(b))
        });
    }
    Ok(out)
}

/// The plan of one file against `baseline`, blockers allowed.
pub fn plan_file(path: &Path, baseline: &Baseline, polyfill: bool) -> Result<Plan, BundleError> {
    let map = crate::elf::open(path)?;
    let opts = crate::patch::Options {
        allow_blockers: true,
        polyfill,
        verify_in_memory: false,
    };
    crate::patch::prepare(map.bytes(), baseline, &opts)
        .map(|p| p.plan)
        .map_err(|source| BundleError::Patch {
            dest: path.display().to_string(),
            source,
        })
}
