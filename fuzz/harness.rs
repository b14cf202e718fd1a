//! The code paths the fuzz targets drive, shared by `fuzz/fuzz_targets/*.rs` (libFuzzer)
//! and `tests/fuzz_regressions.rs` (the ordinary test suite, stable toolchain, no fuzzer),
//! which include this file with `#[path]`.
//!
//! Every input must be answered without a panic, a hang or an allocation out of proportion
//! to it. Errors (`Err` from the reader or the patcher) are fine: they are how hostile
//! input is refused. What is asserted here, and so reported by the fuzzer as a crash, is
//! only what the library promises:
//!
//! * `reader`: `analyze_bytes` fails exactly when `ElfFile::parse` fails; every analysis
//!   serialises to JSON (as `report --json` / `check --json` do) and renders as text.
//! * `patch`: a patch that succeeds produces bytes that parse, analyse and pass
//!   `verify_output` (structure and baseline, less the blockers it was allowed to leave);
//!   every requirement above the baseline left in the output is one of the plan's
//!   blockers (symbol, version and library, not only version and library); `Unchanged`
//!   means the bytes are the input's; a patch without `allow_blockers` that succeeds
//!   gives the same bytes with it; and patching the output again, with the same baseline
//!   and options, is `Unchanged`.

#![allow(dead_code)]

use elfcompat::abi::GlibcVersion;
use elfcompat::baseline::Baseline;
use elfcompat::elf::ElfFile;
use elfcompat::patch::{self, Method, Options};
use elfcompat::report::{self, json, text, FileReport, Outcome};
use elfcompat::verify;
use elfcompat::versym::Requirements;

/// The baselines the targets patch and check against.
pub const BASELINES: [(u8, u8); 2] = [(2, 17), (2, 31)];

fn baseline(v: (u8, u8)) -> Baseline {
    Baseline::glibc(GlibcVersion::new(v.0, v.1, 0))
}

/// Target `reader`: parse + analyse + serialise + requirement model + structural checks.
pub fn reader(data: &[u8]) {
    let parsed = ElfFile::parse(data);
    let b217 = baseline((2, 17));

    for base in [None, Some(&b217)] {
        let analysis = report::analyze_bytes(data, base);
        assert_eq!(
            analysis.is_ok(),
            parsed.is_ok(),
            "analyze_bytes and ElfFile::parse disagree on whether the input is readable"
        );
        let outcome = match analysis {
            Ok(a) => {
                // The analysis itself must serialise: report --json would print `null`.
                serde_json::to_string(&a).expect("Analysis serialises to JSON");
                let _ = a.min_glibc();
                let _ = report::runs_on(&a);
                Outcome::Elf(Box::new(a))
            }
            Err(e) => Outcome::Error {
                error: e.to_string(),
            },
        };
        let reports = [FileReport {
            path: "fuzz-input".to_string(),
            outcome,
        }];
        // Exactly what `report --json` (no baseline) and `check --json` (baseline) print.
        let summary = json::Summary::of(&reports);
        let described = base.map(|b| b.describe());
        json::write_document(
            &mut Vec::new(),
            &reports,
            &summary,
            described.as_deref(),
            true,
        )
        .expect("report document serialises");
        for all_symbols in [false, true] {
            let _ = text::render_file(&reports[0], &text::Style { color: false }, all_symbols);
        }
    }

    let Ok(file) = parsed else { return };
    let _ = file.linkage();
    let _ = file.machine_name();
    let _ = report::target_of_file(&file);
    let req = Requirements::of(&file);
    serde_json::to_string(&req).expect("Requirements serialises to JSON");
    let _ = req.version_requirements().count();
    let _ = verify::structure(&file);
    let _ = verify::verify(&file, &b217);
}

/// Target `patch`: plan + patch (2.17 and 2.31, allow_blockers false and true) + re-read
/// and verify the output + patch it again (must be `Unchanged`).
pub fn patch(data: &[u8]) {
    let Ok(file) = ElfFile::parse(data) else {
        return;
    };
    for v in BASELINES {
        let base = baseline(v);
        if let Ok(p) = &patch::plan(&file, &base) {
            serde_json::to_string(p).expect("Plan serialises to JSON");
        }
        let mut strict_bytes: Option<Vec<u8>> = None;
        for allow_blockers in [false, true] {
            let opts = Options {
                allow_blockers,
                ..Options::default()
            };
            let ctx = format!("glibc {}.{}, allow_blockers={allow_blockers}", v.0, v.1);
            let patched = match patch::patch_bytes(data, &base, &opts) {
                Ok(p) => p,
                Err(e) => {
                    let _ = e.to_string();
                    continue;
                }
            };
            let patched_bytes = patched.bytes();
            serde_json::to_string(&patched.plan).expect("Plan serialises to JSON");
            if let Some(strict) = &strict_bytes {
                assert!(
                    strict == &patched_bytes,
                    "{ctx}: allow_blockers changed the output of a patch that had no blockers"
                );
            }
            if !allow_blockers {
                strict_bytes = Some(patched_bytes.clone());
            }
            if patched.method == Method::Unchanged {
                assert!(
                    patched_bytes == data,
                    "{ctx}: Unchanged but the bytes differ"
                );
                continue;
            }

            // The output must read back, analyse, and verify.
            let out = ElfFile::parse(&patched_bytes)
                .unwrap_or_else(|e| panic!("{ctx}: patched output does not parse: {e}"));
            let _ = verify::verify(&out, &base);
            let findings = patch::verify_output(&patched_bytes, &base, &patched.plan)
                .unwrap_or_else(|e| panic!("{ctx}: verify_output failed on patched output: {e}"));
            assert!(
                findings.is_empty(),
                "{ctx}: patched output fails verification: {findings:?}"
            );
            // verify_output forgives a requirement above the baseline when a blocker has
            // the same version and library; every one left must really be a blocker's.
            let out_req = Requirements::of(&out);
            let out_plan = patch::plan_for(&out, &out_req, &base, &Default::default()).ok();
            for v in elfcompat::check::violations(&out_req, &base, out_plan.as_ref()) {
                let version = v.version.to_string();
                let blocked = patched.plan.blockers.iter().any(|b| {
                    b.library == v.library
                        && b.version == version
                        && (b.symbol.is_none() || v.symbol.is_none() || b.symbol == v.symbol)
                });
                assert!(
                    blocked,
                    "{ctx}: the output needs {}@{} from {} above the baseline, and the plan reported no such blocker (first {:?})",
                    v.symbol.as_deref().unwrap_or("(unused)"),
                    version,
                    v.library,
                    patched.method
                );
            }
            report::analyze_bytes(&patched_bytes, Some(&base))
                .unwrap_or_else(|e| panic!("{ctx}: patched output does not analyse: {e}"));

            // Idempotence: the output already meets the baseline.
            match patch::patch_bytes(&patched_bytes, &base, &opts) {
                Ok(again) => assert_eq!(
                    again.method,
                    Method::Unchanged,
                    "{ctx}: patching the patched output again changed it (first {:?}); plan: {}",
                    patched.method,
                    serde_json::to_string(&again.plan).unwrap_or_default()
                ),
                Err(e) => panic!(
                    "{ctx}: patching the patched output again failed (first {:?}): {e}",
                    patched.method
                ),
            }
        }
    }
}
