//! `patch` and `verify`.

use std::io::Write;
use std::path::{Path, PathBuf};

use elfcompat::baseline::Baseline;
use elfcompat::elf::ElfFile;
use elfcompat::patch::{self, How, Method, Options, PatchError, Plan};
use elfcompat::verify;

use super::{CliError, EXIT_ERROR, EXIT_OK, EXIT_VIOLATION};

/// Render a plan for people.
pub fn plan_text(path: &str, plan: &Plan, method: Option<Method>) -> String {
    let mut s = format!(
        "{path}: plan for {} on {}\n",
        plan.baseline,
        plan.target
            .unwrap_or("an architecture the ABI database does not know")
    );
    if plan.is_noop() && plan.blockers.is_empty() {
        s.push_str("  nothing to do: the file already satisfies the baseline\n");
    }
    for c in &plan.changes {
        let line = match c.how {
            How::Repoint => format!(
                "  re-point  {:<28} {} -> {} ({})",
                c.symbol, c.from_version, c.to_version, c.to_library
            ),
            How::MoveLibrary => format!(
                "  move      {:<28} {} ({}) -> {} ({})",
                c.symbol, c.from_version, c.from_library, c.to_version, c.to_library
            ),
            How::Polyfill => format!("  polyfill  {:<28} {} ({}) -> elfcompat's implementation, linked in", c.symbol, c.from_version, c.from_library),
            How::Wrap => format!("  wrap      {:<28} {} ({}) -> elfcompat's wrapper, linked in (answers what glibc {} and later added)", c.symbol, c.from_version, c.from_library, elfcompat::patch::wrappers::WRAPPERS.iter().find(|w| w.symbol == c.symbol).map(|w| w.since.to_string()).unwrap_or_default()),
            How::Unversion => format!("  unversion {:<28} {} ({}) -> weak, unversioned: NULL where the old glibc lacks it", c.symbol, c.from_version, c.from_library),
            How::Rename => format!(
                "  rename    {:<28} {} -> {}@{} ({})",
                c.symbol, c.from_version, c.to_symbol, c.to_version, c.to_library
            ),
        };
        s.push_str(&line);
        s.push('\n');
    }
    for lib in &plan.add_needed {
        s.push_str(&format!("  add       DT_NEEDED {lib}\n"));
    }
    for v in &plan.add_versions {
        s.push_str(&format!(
            "  add       requirement {} {}\n",
            v.library, v.version
        ));
    }
    for v in &plan.drop_versions {
        s.push_str(&format!(
            "  drop      requirement {} {}\n",
            v.library, v.version
        ));
    }
    for p in &plan.polyfills {
        if p.wrapper {
            s.push_str(&format!(
                "  wrapper   {} ({} bytes with what it reaches)\n",
                p.symbol, p.size
            ));
        } else if p.copy_relocated {
            s.push_str(&format!("  polyfill  {} (copy-relocated object: its copy in the executable becomes the object, initially 0)\n", p.symbol));
        } else {
            s.push_str(&format!(
                "  polyfill  {} ({} bytes with what it reaches)\n",
                p.symbol, p.size
            ));
        }
    }
    for i in &plan.polyfill_imports {
        s.push_str(&format!(
            "  import    {}@{} ({}) for the polyfills\n",
            i.symbol, i.version, i.library
        ));
    }
    if plan.startup_shim {
        s.push_str("  startup   inject the startup shim: DT_INIT and DT_INIT_ARRAY run once through __libc_start_main's init\n");
    }
    for b in &plan.blockers {
        s.push_str(&format!(
            "  BLOCKER   {}@{} ({}): {}\n",
            b.symbol.as_deref().unwrap_or("-"),
            b.version,
            b.library,
            b.reason
        ));
    }
    for n in &plan.notes {
        s.push_str(&format!("  note      {n}\n"));
    }
    if let Some(m) = method {
        let how = match m {
            Method::Unchanged => "unchanged",
            Method::InPlace => "edited in place (same size)",
            Method::Rewrite => {
                "rewritten (tables rebuilt; what no longer fits moved to a new PT_LOAD)"
            }
        };
        s.push_str(&format!("  method    {how}\n"));
    }
    s
}

/// One file to patch: where it is, where the result goes, how.
pub struct FileJob<'a> {
    /// The input, as the user named it (or as the walk reached it).
    pub input: &'a Path,
    /// Where the result goes.
    pub dest: Dest<'a>,
    pub allow_blockers: bool,
    pub polyfill: bool,
}

/// Where a patched file goes.
#[derive(Copy, Clone)]
pub enum Dest<'a> {
    /// `--dry-run`: nowhere.
    DryRun,
    /// `--in-place`: over the input (a symlink's target).
    InPlace,
    /// `-o OUT`.
    To(&'a Path),
    /// None given: a usage error once the input is known to be readable.
    Missing,
}

/// What became of one file. Nothing has been written unless it is `Written`.
pub enum Done {
    /// `--dry-run`: the plan.
    Planned(Plan),
    /// Blockers: the plan that lists them; nothing written.
    Blocked(Plan),
    /// Written (or, in place, left as it was because nothing needed changing).
    Written {
        /// The file written (or left as it was).
        output: PathBuf,
        plan: Plan,
        method: Method,
        size_before: usize,
        size_after: u64,
        /// `--in-place` on a file that needed nothing: not rewritten.
        unchanged_in_place: bool,
    },
    /// A statically linked file: nothing to patch (the reason, for people).
    Static(String),
    /// The input could not be read or planned (exit code 2 for one file).
    Unreadable(String),
    /// Patching or writing failed; the message names the file. Nothing written.
    Failed(String),
}

/// Patch one file, printing nothing (but a note when `--in-place` follows a symlink).
pub fn patch_file(job: &FileJob<'_>, baseline: &Baseline) -> Done {
    // --in-place on a symlink patches the file it points at.
    let in_place = matches!(job.dest, Dest::InPlace);
    let input: PathBuf = if in_place {
        let real = match std::fs::canonicalize(job.input) {
            Ok(r) => r,
            Err(e) => return Done::Unreadable(format!("{}: {e}", job.input.display())),
        };
        if real != job.input
            && std::fs::symlink_metadata(job.input).is_ok_and(|m| m.file_type().is_symlink())
        {
            eprintln!(
                "elfcompat: {} is a symlink: patching its target {}",
                job.input.display(),
                real.display()
            );
        }
        real
    } else {
        job.input.to_path_buf()
    };
    let meta = match std::fs::metadata(&input) {
        Ok(m) => m,
        Err(e) => return Done::Unreadable(format!("{}: {e}", input.display())),
    };
    if !meta.is_file() {
        return Done::Unreadable(format!("{}: not a regular file", input.display()));
    }
    elfcompat::timing::mark("start");
    // Mapped, not read: a large library is not copied into fresh memory just to be parsed.
    // With --in-place the new file is renamed over the old one, whose mapping stays valid.
    let map = match elfcompat::elf::open(&input) {
        Ok(m) => m,
        Err(e) => return Done::Unreadable(e.to_string()),
    };
    let data = map.bytes();
    let shown = job.input.display().to_string();
    // The plan alone, for --dry-run and to show what blocks a patch (`Planned`, or why
    // there is none).
    let plan_only = || -> Done {
        let file = match ElfFile::parse(data) {
            Ok(f) => f,
            Err(e) => return Done::Unreadable(format!("{shown}: {e}")),
        };
        let opts = patch::PlanOptions {
            polyfill: job.polyfill,
        };
        match patch::plan_with(&file, baseline, &opts) {
            Ok(plan) => Done::Planned(plan),
            Err(e @ patch::PlanError::Static) => Done::Static(e.to_string()),
            Err(e) => Done::Unreadable(format!("{shown}: {e}")),
        }
    };
    let target: &Path = match job.dest {
        Dest::DryRun => return plan_only(),
        Dest::InPlace => &input,
        Dest::To(o) => o,
        Dest::Missing => {
            return Done::Unreadable("patch needs -o OUT or --in-place (or --dry-run)".into())
        }
    };
    // The bytes are verified once, as read back from the synced temp file, before the
    // rename: verifying them in memory first as well would only cost time.
    let opts = Options {
        allow_blockers: job.allow_blockers,
        polyfill: job.polyfill,
        verify_in_memory: false,
    };
    // With -o the input is copied in any case: a background thread starts on it now, while
    // the input is checked and planned and the rewrite runs (what `cp` costs, overlapped);
    // only the changed pages are written after it. With --in-place, once it is known that
    // something changes. If the temp file cannot be made here, writing reports why below.
    let start_staging = || match map.file() {
        Some(f) => {
            patch::Staging::start(target, f, data.len() as u64, patch::front_tables_end(data)).ok()
        }
        None => None,
    };
    let early = if target != input {
        start_staging()
    } else {
        None
    };
    let prepared = match patch::prepare(data, baseline, &opts) {
        Ok(p) => p,
        Err(PatchError::Blocked(_)) => {
            return match plan_only() {
                Done::Planned(plan) => Done::Blocked(plan),
                done => done,
            }
        }
        Err(PatchError::Plan(e @ patch::PlanError::Static)) => return Done::Static(e.to_string()),
        Err(e) => return Done::Failed(format!("{shown}: {e}")),
    };
    let unchanged_in_place = prepared.is_noop() && target == input;
    let staging = if early.is_some() || unchanged_in_place {
        early
    } else {
        start_staging()
    };
    let patched = match patch::apply(prepared, baseline, &opts) {
        Ok(p) => p,
        Err(e) => return Done::Failed(format!("{shown}: {e}")),
    };
    if unchanged_in_place {
        // Leftovers of killed runs go whether or not this run writes.
        if let Some(dir) = target.parent() {
            patch::remove_stale_temps(if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            });
        }
    } else {
        let keep = if in_place {
            patch::Keep::Everything
        } else {
            keep_for_copy(&meta)
        };
        let plan = &patched.plan;
        let check = |back: &[u8]| {
            let findings = patch::verify_output(back, baseline, plan)?;
            if findings.is_empty() {
                Ok(())
            } else {
                Err(PatchError::Verification(findings))
            }
        };
        let written = match staging {
            Some(s) => Ok(s),
            None => patch::Staging::new(target).map_err(PatchError::from),
        }
        .and_then(|s| s.commit(target, &patched.image, map.file(), keep, check));
        if let Err(e) = written {
            return Done::Failed(format!("{}: {e}", target.display()));
        }
    }
    Done::Written {
        output: target.to_path_buf(),
        size_before: data.len(),
        size_after: patched.image.len(),
        plan: patched.plan,
        method: patched.method,
        unchanged_in_place,
    }
}

/// What a new file (`-o`) keeps of its input: the mode, without setuid/setgid unless the
/// writer owns the input.
pub fn keep_for_copy(meta: &std::fs::Metadata) -> patch::Keep {
    use std::os::unix::fs::MetadataExt;
    patch::Keep::Nothing {
        mode: std::os::unix::fs::PermissionsExt::mode(&meta.permissions()),
        own_input: meta.uid() == current_uid(),
    }
}

/// `patch` on one file, printed as it always was: the plan, then what was written.
pub fn patch(job: FileJob<'_>, json: bool, baseline: &Baseline) -> Result<u8, CliError> {
    let mut out = std::io::stdout().lock();
    // The ABI database decodes (a few ms) on the other core while the input is mapped and
    // parsed; the plan is the first to need it.
    std::thread::spawn(|| {
        elfcompat::abi::db();
    });
    let shown = job.input.display().to_string();
    let print_plan = |out: &mut std::io::StdoutLock<'_>,
                      plan: &Plan,
                      method: Option<Method>,
                      status: Option<&str>|
     -> Result<(), CliError> {
        if json {
            let mut v = serde_json::json!({"file": shown, "plan": plan});
            if let Some(status) = status {
                v["status"] = serde_json::json!(status);
            }
            serde_json::to_writer_pretty(&mut *out, &v).map_err(std::io::Error::from)?;
            writeln!(out)?;
        } else {
            write!(out, "{}", plan_text(&shown, plan, method))?;
        }
        Ok(())
    };
    match patch_file(&job, baseline) {
        Done::Planned(plan) => {
            print_plan(&mut out, &plan, None, None)?;
            Ok(if plan.blockers.is_empty() {
                EXIT_OK
            } else {
                EXIT_VIOLATION
            })
        }
        Done::Blocked(plan) => {
            print_plan(&mut out, &plan, None, Some("blocked"))?;
            eprintln!("elfcompat: {shown}: not patched: {} blocker(s); nothing written (--allow-blockers leaves them in place)", plan.blockers.len());
            Ok(EXIT_VIOLATION)
        }
        Done::Unreadable(msg) => Err(CliError::Usage(msg)),
        Done::Static(why) if matches!(job.dest, Dest::DryRun) => {
            Err(CliError::Usage(format!("{shown}: {why}")))
        }
        Done::Static(why) => {
            eprintln!("elfcompat: {shown}: {why}; nothing written");
            Ok(EXIT_ERROR)
        }
        Done::Failed(msg) => {
            eprintln!("elfcompat: {msg}; nothing written");
            Ok(EXIT_ERROR)
        }
        Done::Written {
            output,
            plan,
            method,
            size_before,
            size_after,
            unchanged_in_place,
        } => {
            let target = output.display().to_string();
            if json {
                serde_json::to_writer_pretty(
                    &mut out,
                    &serde_json::json!({"file": shown, "output": target, "status": "patched", "method": method, "plan": plan, "size_before": size_before, "size_after": size_after}),
                )
                .map_err(std::io::Error::from)?;
                writeln!(out)?;
            } else {
                write!(out, "{}", plan_text(&shown, &plan, Some(method)))?;
                if unchanged_in_place {
                    writeln!(out, "{target}: unchanged (already within the baseline)")?;
                } else {
                    writeln!(
                        out,
                        "{target}: verified and written ({size_before} -> {size_after} bytes)"
                    )?;
                }
            }
            Ok(EXIT_OK)
        }
    }
}

pub fn verify_files(
    paths: &[PathBuf],
    baseline: &Baseline,
    json: bool,
    loader_check: bool,
) -> Result<u8, CliError> {
    let mut out = std::io::stdout().lock();
    let mut worst = EXIT_OK;
    let mut results = Vec::new();
    // One set of stub libraries per target, written on first use.
    let mut loader_checks: Vec<(elfcompat::abi::Target, verify::loader::LoaderCheck)> = Vec::new();
    for p in paths {
        let shown = p.display().to_string();
        let map = match elfcompat::elf::open(p) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("elfcompat: {e}");
                worst = EXIT_ERROR;
                continue;
            }
        };
        let file = match ElfFile::parse(map.bytes()) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("elfcompat: {shown}: {e}");
                worst = EXIT_ERROR;
                continue;
            }
        };
        let mut findings = verify::verify(&file, baseline);
        let mut loader = None;
        if loader_check {
            match run_loader_check(&mut loader_checks, &file, p, baseline) {
                Ok(report) => {
                    findings.extend(report.verify_findings());
                    loader = Some(report);
                }
                Err(e) => {
                    eprintln!("elfcompat: {shown}: loader check: {e}");
                    worst = EXIT_ERROR;
                    continue;
                }
            }
        }
        if !findings.is_empty() && worst == EXIT_OK {
            worst = EXIT_VIOLATION;
        }
        let mut notes = loader.as_ref().map(|r| r.notes()).unwrap_or_default();
        if let Some(why) = loader.as_ref().and_then(|r| r.skipped.clone()) {
            notes.push(format!("loader check skipped: {why}"));
        }
        if json {
            let mut entry =
                serde_json::json!({"file": shown, "ok": findings.is_empty(), "findings": findings});
            if let Some(report) = &loader {
                entry["loader"] = serde_json::json!(report);
                entry["notes"] = serde_json::json!(notes);
            }
            results.push(entry);
        } else {
            if findings.is_empty() {
                writeln!(out, "{shown}: OK for {}", baseline.describe())?;
            } else {
                writeln!(out, "{shown}: FAIL for {}", baseline.describe())?;
                for f in &findings {
                    writeln!(out, "  [{}] {}", f.check, f.message)?;
                }
            }
            for n in &notes {
                writeln!(out, "  note [loader] {n}")?;
            }
        }
    }
    if json {
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({"baseline": baseline.describe(), "files": results}),
        )
        .map_err(std::io::Error::from)?;
        writeln!(out)?;
    }
    Ok(worst)
}

/// `verify --loader-check` for one file: the stubs of its target at the baseline's glibc.
fn run_loader_check(
    checks: &mut Vec<(elfcompat::abi::Target, verify::loader::LoaderCheck)>,
    file: &ElfFile<'_>,
    path: &Path,
    baseline: &Baseline,
) -> Result<verify::loader::LoaderReport, String> {
    let target = elfcompat::report::target_of_file(file)
        .ok_or("the ABI database has no glibc target for this architecture")?;
    if !checks.iter().any(|(t, _)| *t == target) {
        let check =
            verify::loader::LoaderCheck::new(target, baseline.glibc).map_err(|e| e.to_string())?;
        checks.push((target, check));
    }
    let (_, check) = checks
        .iter()
        .find(|(t, _)| *t == target)
        .ok_or("no stubs")?;
    check.check(path).map_err(|e| e.to_string())
}

/// The real user id of this process (owner of the files it creates).
fn current_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    // /proc/self is owned by the process's user: no libc call needed.
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(0)
}
