//! `bundle`: plan (and print), then write and verify.

use std::io::Write;
use std::path::PathBuf;

use elfcompat::baseline::Baseline;
use elfcompat::bundle::{self, BundleError, BundlePlan, Origin, Request};
use elfcompat::patch::How;

use super::{CliError, EXIT_ERROR, EXIT_OK, EXIT_VIOLATION};

/// What the command line asked of `bundle`.
pub struct BundleJob {
    pub inputs: Vec<PathBuf>,
    pub out: PathBuf,
    pub sysroot: PathBuf,
    pub library_path: Vec<PathBuf>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub polyfill: bool,
    pub dry_run: bool,
    pub json: bool,
}

/// Run `bundle`; the result is the exit code.
pub fn bundle(job: BundleJob, baseline: &Baseline) -> Result<u8, CliError> {
    let req = Request {
        inputs: job.inputs,
        out: job.out,
        baseline: baseline.clone(),
        sysroot: job.sysroot,
        library_path: job.library_path,
        include: job.include,
        exclude: job.exclude,
        polyfill: job.polyfill,
        layout: bundle::Layout::default(),
    };
    if req.inputs.iter().any(|p| bundle::wheel::is_wheel(p)) {
        return wheels(&req, job.dry_run, job.json);
    }
    if req
        .inputs
        .iter()
        .any(|p| bundle::archive::Kind::of(p).is_some())
    {
        return archive(&req, job.dry_run, job.json);
    }
    let mut stdout = std::io::stdout().lock();
    let plan = match bundle::plan(&req) {
        Ok(p) => p,
        Err(e) => return Ok(failed(&e, job.json)),
    };
    if job.dry_run {
        if job.json {
            serde_json::to_writer_pretty(&mut stdout, &serde_json::json!({"plan": plan}))
                .map_err(std::io::Error::from)?;
            writeln!(stdout)?;
        } else {
            stdout.write_all(plan_text(&plan).as_bytes())?;
        }
        return Ok(EXIT_OK);
    }
    if !job.json {
        stdout.write_all(plan_text(&plan).as_bytes())?;
        stdout.flush()?;
    }
    match bundle::write(&plan) {
        Ok(w) => {
            if job.json {
                serde_json::to_writer_pretty(
                    &mut stdout,
                    &serde_json::json!({"plan": plan, "written": w}),
                )
                .map_err(std::io::Error::from)?;
                writeln!(stdout)?;
            } else {
                for n in &w.notes {
                    writeln!(stdout, "note: {n}")?;
                }
                writeln!(
                    stdout,
                    "verified: every library reached from the bundle or left to the target; {} executable(s) pass the loader check against glibc {}",
                    w.loader_checked, plan.lowering.glibc
                )?;
                writeln!(
                    stdout,
                    "wrote {} ({} files, {} rewritten)",
                    w.out.display(),
                    w.files,
                    w.rewritten
                )?;
            }
            Ok(EXIT_OK)
        }
        Err(e) => Ok(failed(&e, job.json)),
    }
}

/// `bundle` of wheels: each into the output directory, re-tagged.
fn wheels(req: &Request, dry_run: bool, json: bool) -> Result<u8, CliError> {
    if let Some(p) = req.inputs.iter().find(|p| !bundle::wheel::is_wheel(p)) {
        return Err(CliError::Usage(format!(
            "{}: wheels are bundled on their own; give only .whl inputs",
            p.display()
        )));
    }
    let mut stdout = std::io::stdout().lock();
    let mut done = Vec::new();
    for w in &req.inputs {
        let outcome = match bundle::wheel::bundle(req, w, &req.out, dry_run) {
            Ok(o) => o,
            Err(e) => return Ok(failed(&e, json)),
        };
        if !json {
            stdout.write_all(plan_text(&outcome.plan).as_bytes())?;
            for n in &outcome.notes {
                writeln!(stdout, "note: {n}")?;
            }
            if let (Some(out), Some(policy)) = (&outcome.wheel, &outcome.policy) {
                writeln!(
                    stdout,
                    "wrote {} (meets {policy}: {})",
                    out.display(),
                    outcome.platform_tags.join(", ")
                )?;
            }
        }
        done.push(outcome);
    }
    if json {
        serde_json::to_writer_pretty(&mut stdout, &serde_json::json!({ "wheels": done }))
            .map_err(std::io::Error::from)?;
        writeln!(stdout)?;
    }
    Ok(EXIT_OK)
}

/// `bundle` of one release archive, written as an archive.
fn archive(req: &Request, dry_run: bool, json: bool) -> Result<u8, CliError> {
    let [input] = req.inputs.as_slice() else {
        return Err(CliError::Usage(
            "an archive is bundled on its own; give one archive input".into(),
        ));
    };
    let outcome = match bundle::archive::bundle(req, input, &req.out, dry_run) {
        Ok(o) => o,
        Err(e) => return Ok(failed(&e, json)),
    };
    let mut stdout = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut stdout, &outcome).map_err(std::io::Error::from)?;
        writeln!(stdout)?;
    } else {
        stdout.write_all(plan_text(&outcome.plan).as_bytes())?;
        if let Some(a) = &outcome.archive {
            writeln!(stdout, "wrote {}", a.display())?;
        }
    }
    Ok(EXIT_OK)
}

/// Print why the bundle was not made; blockers are exit 1, everything else 2.
fn failed(e: &BundleError, json: bool) -> u8 {
    let code = match e {
        BundleError::Blocked(..) => EXIT_VIOLATION,
        _ => EXIT_ERROR,
    };
    if json {
        let blockers = match e {
            BundleError::Blocked(b, r) => serde_json::json!({"blockers": b, "refused": r}),
            _ => serde_json::Value::Null,
        };
        println!(
            "{}",
            serde_json::json!({"error": e.to_string(), "blockers": blockers})
        );
    } else {
        eprintln!("elfcompat bundle: {e}");
    }
    code
}

/// The plan for people: a line per file written, a line per library left to the target.
pub fn plan_text(plan: &BundlePlan) -> String {
    let mut s = format!("bundle for {} into {}\n", plan.baseline, plan.out.display());
    for f in &plan.files {
        let what = match f.origin {
            Origin::Input => "input",
            Origin::Bundled => "bundled",
        };
        let mut detail = Vec::new();
        if let Some(t) = &f.symlink {
            detail.push(format!("link to {}", t.display()));
        }
        if f.origin == Origin::Bundled {
            detail.push(format!("from {}", f.source.display()));
            detail.push(f.why.clone());
        }
        if !f.needed_by.is_empty() {
            detail.push(format!("needed by {}", list(&f.needed_by)));
        }
        if let Some(p) = &f.plan {
            detail.push(lowering(p));
        }
        s.push_str(&format!(
            "  {:<34} {:<8} {:>9}  {}\n",
            f.dest,
            what,
            size(f.size),
            detail.join("; ")
        ));
    }
    for l in &plan.system {
        s.push_str(&format!(
            "  {:<34} {:<8} {:>9}  {}; needed by {}\n",
            l.name,
            "system",
            "-",
            l.why,
            list(&l.needed_by)
        ));
    }
    let bundled = plan
        .files
        .iter()
        .filter(|f| f.origin == Origin::Bundled)
        .count();
    s.push_str(&format!(
        "total: {} files, {} ({} bundled librar{}, {}); {} left to the target\n",
        plan.files.len(),
        size(plan.total_size),
        bundled,
        if bundled == 1 { "y" } else { "ies" },
        size(plan.bundled_size),
        plan.system.len()
    ));
    s
}

fn list(v: &[String]) -> String {
    if v.len() <= 3 {
        v.join(", ")
    } else {
        format!("{}, ... ({} files)", v[..3].join(", "), v.len())
    }
}

/// One phrase for what happens to an ELF file.
fn lowering(p: &elfcompat::patch::Plan) -> String {
    let mut parts = Vec::new();
    let count = |h: How| p.changes.iter().filter(|c| c.how == h).count();
    for (h, word) in [
        (How::Repoint, "re-pointed"),
        (How::MoveLibrary, "moved"),
        (How::Rename, "renamed"),
        (How::Polyfill, "polyfilled"),
        (How::Wrap, "wrapped"),
        (How::Unversion, "unversioned"),
    ] {
        let n = count(h);
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    if p.startup_shim {
        parts.push("startup shim".into());
    }
    if p.expand_relr {
        parts.push("RELR expanded".into());
    }
    if let Some(s) = &p.link.soname {
        parts.push(format!("soname {s}"));
    }
    for (old, new) in &p.link.rename_needed {
        parts.push(format!("needs {new} for {old}"));
    }
    for (lib, tag) in &p.link.private_versions {
        parts.push(format!(
            "versions of {lib} renamed private (FAMILY-{tag}_N)"
        ));
    }
    if let Some(r) = &p.link.runpath {
        parts.push(format!("RUNPATH {r}"));
    }
    if parts.is_empty() {
        "unchanged".into()
    } else {
        parts.join(", ")
    }
}

/// Bytes for people.
fn size(n: u64) -> String {
    const K: f64 = 1024.0;
    let f = n as f64;
    if f < K {
        format!("{n} B")
    } else if f < K * K {
        format!("{:.1} KiB", f / K)
    } else if f < K * K * K {
        format!("{:.1} MiB", f / K / K)
    } else {
        format!("{:.1} GiB", f / K / K / K)
    }
}
