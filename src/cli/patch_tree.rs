//! `patch` on several files and whole trees: walked as `report` walks them, patched in
//! parallel, each file all-or-nothing through the same atomic write as a single file.
//! With `-o DIR` the output is a complete copy of the inputs: files that need nothing,
//! static binaries and files that are not ELF are copied unchanged, symlinks and hard
//! links are made again.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use elfcompat::baseline::Baseline;
use elfcompat::patch::{self, Method, Plan};
use elfcompat::scan;

use super::patch_cmd::{keep_for_copy, patch_file, plan_text, Dest, Done, FileJob};
use super::{CliError, EXIT_ERROR, EXIT_OK, EXIT_VIOLATION};

/// Where the patched files go.
#[derive(Copy, Clone)]
pub enum TreeDest<'a> {
    /// `--dry-run`: nowhere.
    DryRun,
    /// `--in-place`.
    InPlace,
    /// `-o DIR`: a directory that mirrors the inputs.
    Dir(&'a Path),
}

/// `patch` on many inputs.
pub struct TreeArgs<'a> {
    pub inputs: &'a [PathBuf],
    pub dest: TreeDest<'a>,
    pub json: bool,
    pub allow_blockers: bool,
    pub polyfill: bool,
}

/// What became of one file of the walk.
enum Outcome {
    /// `--dry-run` on an ELF file that can be planned.
    Planned(Plan),
    /// Patched and written (`method` is `Unchanged` for a file that needed nothing).
    Patched {
        output: PathBuf,
        plan: Plan,
        method: Method,
        size_before: usize,
        size_after: u64,
    },
    /// Refused: the plan names the blockers. Nothing written.
    Blocked(Plan),
    /// Statically linked: nothing to patch (copied when there is an output).
    Static {
        reason: String,
        output: Option<PathBuf>,
    },
    /// Not an ELF file (copied when there is an output).
    NotElf { output: Option<PathBuf> },
    /// Unreadable, or patching or writing failed. Nothing written.
    Error(String),
}

impl Outcome {
    fn exit_code(&self) -> u8 {
        match self {
            Outcome::Blocked(_) => EXIT_VIOLATION,
            Outcome::Planned(plan) if !plan.blockers.is_empty() => EXIT_VIOLATION,
            Outcome::Error(_) => EXIT_ERROR,
            _ => EXIT_OK,
        }
    }

    /// The file written for this input, if any.
    fn output(&self) -> Option<&Path> {
        match self {
            Outcome::Patched { output, .. } => Some(output),
            Outcome::Static { output, .. } | Outcome::NotElf { output } => output.as_deref(),
            _ => None,
        }
    }
}

/// Counts for the closing line and the JSON summary record.
#[derive(Default, serde::Serialize)]
struct Summary {
    files: usize,
    patched: usize,
    unchanged: usize,
    blocked: usize,
    errors: usize,
    not_elf: usize,
    links: usize,
    special_skipped: usize,
    duplicates_skipped: usize,
}

impl Summary {
    fn count(&mut self, o: &Outcome) {
        self.files += 1;
        match o {
            Outcome::Planned(plan) if !plan.blockers.is_empty() => self.blocked += 1,
            Outcome::Planned(plan) if plan.is_noop() => self.unchanged += 1,
            Outcome::Planned(_) => self.patched += 1,
            Outcome::Patched {
                method: Method::Unchanged,
                ..
            }
            | Outcome::Static { .. } => self.unchanged += 1,
            Outcome::Patched { .. } => self.patched += 1,
            Outcome::Blocked(_) => self.blocked += 1,
            Outcome::NotElf { .. } => self.not_elf += 1,
            Outcome::Error(_) => self.errors += 1,
        }
    }

    fn line(&self, dest: TreeDest<'_>) -> String {
        let (patched, not_elf) = match dest {
            TreeDest::DryRun => ("to patch", "skipped"),
            TreeDest::InPlace => ("patched", "skipped"),
            TreeDest::Dir(_) => ("patched", "copied"),
        };
        let skipped = match dest {
            TreeDest::Dir(_) => format!(
                "{} links made again, {} special files skipped",
                self.links, self.special_skipped
            ),
            _ => format!(
                "{} special files and {} duplicate links skipped",
                self.special_skipped, self.duplicates_skipped
            ),
        };
        format!(
            "{} files: {} {patched}, {} unchanged, {} refused (blockers), {} errors, {} not ELF ({not_elf}); {skipped}",
            self.files, self.patched, self.unchanged, self.blocked, self.errors, self.not_elf
        )
    }
}

pub fn patch_tree(a: TreeArgs<'_>, baseline: &Baseline) -> Result<u8, CliError> {
    // Decoded once, before the workers need it.
    elfcompat::abi::db();
    let walk = match a.dest {
        TreeDest::Dir(_) => scan::walk_mirror(a.inputs),
        _ => scan::walk(a.inputs),
    };
    let dir_inputs: Vec<&PathBuf> = a.inputs.iter().filter(|p| p.is_dir()).collect();
    // Where each file, symlink and second name goes; decided (and checked for clashes)
    // before anything is written.
    let out_of = |p: &Path| -> Option<PathBuf> {
        let TreeDest::Dir(dir) = a.dest else {
            return None;
        };
        mirrored(p, a.inputs, &dir_inputs, dir)
    };
    if let TreeDest::Dir(dir) = a.dest {
        check_output_dir(dir, &dir_inputs)?;
        let mut taken: HashMap<PathBuf, &Path> = HashMap::new();
        let all = walk
            .files
            .iter()
            .chain(&walk.symlinks)
            .chain(walk.hard_links.iter().map(|(p, _)| p));
        for p in all {
            let Some(out) = out_of(p) else {
                return Err(CliError::Usage(format!(
                    "{}: no place for it under {}",
                    p.display(),
                    dir.display()
                )));
            };
            if let Some(other) = taken.insert(out.clone(), p) {
                return Err(CliError::Usage(format!(
                    "{} and {} would both be written to {}",
                    other.display(),
                    p.display(),
                    out.display()
                )));
            }
        }
    }
    let mut records: Vec<(String, Outcome)> = walk
        .files
        .par_iter()
        .map(|p| {
            let out = out_of(p);
            (
                p.display().to_string(),
                patch_one(p, out.as_deref(), &a, baseline),
            )
        })
        .collect();
    for (p, e) in &walk.errors {
        records.push((
            p.display().to_string(),
            Outcome::Error(format!("{}: {e}", p.display())),
        ));
    }
    let mut summary = Summary {
        special_skipped: walk.special,
        duplicates_skipped: walk.duplicates,
        ..Summary::default()
    };
    for (_, o) in &records {
        summary.count(o);
    }
    let mut worst = records
        .iter()
        .map(|(_, o)| o.exit_code())
        .max()
        .unwrap_or(EXIT_OK);
    // Links last: a hard link needs its first name's output in place.
    for link in &walk.symlinks {
        match link_again(link, out_of(link).as_deref(), None) {
            Ok(()) => summary.links += 1,
            Err(e) => {
                eprintln!("elfcompat: {e}");
                summary.errors += 1;
                worst = EXIT_ERROR;
            }
        }
    }
    let written: HashMap<String, &Path> = records
        .iter()
        .filter_map(|(p, o)| Some((p.clone(), o.output()?)))
        .collect();
    for (second, first) in &walk.hard_links {
        // A first name that was refused was not written: nor is its second name.
        let Some(first_out) = written.get(&first.display().to_string()) else {
            continue;
        };
        match link_again(second, out_of(second).as_deref(), Some(first_out)) {
            Ok(()) => summary.links += 1,
            Err(e) => {
                eprintln!("elfcompat: {e}");
                summary.errors += 1;
                worst = EXIT_ERROR;
            }
        }
    }
    print(&records, &summary, &a)?;
    Ok(worst)
}

/// Patch (or copy, or plan) one file of the walk.
fn patch_one(path: &Path, out: Option<&Path>, a: &TreeArgs<'_>, baseline: &Baseline) -> Outcome {
    // Not opened unless it is a regular file: a FIFO named on the command line must not block.
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return Outcome::Error(format!("{}: not a regular file", path.display())),
        Err(e) => return Outcome::Error(format!("{}: {e}", path.display())),
    }
    if let Some(parent) = out.and_then(Path::parent) {
        if let Err(e) = std::fs::create_dir_all(parent) {
            return Outcome::Error(format!("{}: {e}", parent.display()));
        }
    }
    let copied = |out: Option<&Path>| -> Result<Option<PathBuf>, String> {
        match out {
            Some(o) => copy_atomically(path, o).map(|()| Some(o.to_path_buf())),
            None => Ok(None),
        }
    };
    match scan::looks_like_elf(path) {
        Err(e) => return Outcome::Error(format!("{}: {e}", path.display())),
        Ok(false) => {
            return match copied(out) {
                Ok(output) => Outcome::NotElf { output },
                Err(e) => Outcome::Error(e),
            }
        }
        Ok(true) => {}
    }
    let dest = match (a.dest, out) {
        (TreeDest::DryRun, _) => Dest::DryRun,
        (TreeDest::InPlace, _) => Dest::InPlace,
        (TreeDest::Dir(_), Some(o)) => Dest::To(o),
        (TreeDest::Dir(_), None) => Dest::Missing,
    };
    let job = FileJob {
        input: path,
        dest,
        allow_blockers: a.allow_blockers,
        polyfill: a.polyfill,
    };
    match patch_file(&job, baseline) {
        Done::Planned(plan) => Outcome::Planned(plan),
        Done::Blocked(plan) => Outcome::Blocked(plan),
        Done::Written {
            output,
            plan,
            method,
            size_before,
            size_after,
            ..
        } => Outcome::Patched {
            output,
            plan,
            method,
            size_before,
            size_after,
        },
        Done::Static(reason) => match copied(out) {
            Ok(output) => Outcome::Static { reason, output },
            Err(e) => Outcome::Error(e),
        },
        Done::Unreadable(msg) => Outcome::Error(msg),
        Done::Failed(msg) => Outcome::Error(format!("{msg}; nothing written")),
    }
}

/// Where `path` (reached by walking `inputs`) goes under `dir`: a directory's files keep
/// their path inside it, a file named on the command line its name.
fn mirrored(path: &Path, inputs: &[PathBuf], dirs: &[&PathBuf], dir: &Path) -> Option<PathBuf> {
    for input in inputs {
        if dirs.contains(&input) {
            if let Ok(rel) = path.strip_prefix(input) {
                if !rel.as_os_str().is_empty() {
                    return Some(dir.join(rel));
                }
            }
        } else if path == input {
            return Some(dir.join(input.file_name()?));
        }
    }
    None
}

/// `-o DIR` must be a directory (made if missing) outside every input directory: else a
/// second run would patch the first run's output as input. Checked before it is made.
fn check_output_dir(dir: &Path, dir_inputs: &[&PathBuf]) -> Result<(), CliError> {
    if dir.exists() && !dir.is_dir() {
        return Err(CliError::Usage(format!(
            "{}: not a directory (several inputs need -o DIR)",
            dir.display()
        )));
    }
    // The real path of DIR: its nearest existing ancestor's, and the rest of its name.
    let mut existing = dir.to_path_buf();
    let mut rest = Vec::new();
    let real = loop {
        if let Ok(r) = std::fs::canonicalize(&existing) {
            break rest.iter().rev().fold(r, |p: PathBuf, c| p.join(c));
        }
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = if parent.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    parent.to_path_buf()
                };
            }
            _ => break dir.to_path_buf(),
        }
    };
    for input in dir_inputs {
        if std::fs::canonicalize(input).is_ok_and(|i| real.starts_with(i)) {
            return Err(CliError::Usage(format!(
                "{}: the output directory is inside the input {}",
                dir.display(),
                input.display()
            )));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| CliError::Usage(format!("{}: {e}", dir.display())))
}

/// Copy a file unchanged through the same atomic write as a patched one.
fn copy_atomically(from: &Path, to: &Path) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}; nothing written", to.display());
    let meta = std::fs::metadata(from).map_err(|e| format!("{}: {e}", from.display()))?;
    let map = elfcompat::elf::open(from).map_err(|e| e.to_string())?;
    let image = patch::Image::unchanged(map.bytes());
    patch::Staging::new(to)
        .and_then(|s| {
            s.commit(to, &image, map.file(), keep_for_copy(&meta), |_| {
                Ok::<(), std::io::Error>(())
            })
        })
        .map_err(|e| fail(&e))
}

/// Make `link` again at `out`: a symlink with the same target, or (with `first`) a hard
/// link to `first`. Made under a temp name and renamed, like every file written.
fn link_again(link: &Path, out: Option<&Path>, first: Option<&Path>) -> Result<(), String> {
    let out = out.ok_or_else(|| format!("{}: no place for it", link.display()))?;
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let tmp = dir.join(format!(
        "{}{}-link-{}",
        patch::TEMP_PREFIX,
        std::process::id(),
        out.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let _ = std::fs::remove_file(&tmp);
    let made = match first {
        Some(first) => std::fs::hard_link(first, &tmp),
        None => std::fs::read_link(link).and_then(|to| std::os::unix::fs::symlink(to, &tmp)),
    };
    made.and_then(|()| std::fs::rename(&tmp, out)).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", out.display())
    })
}

fn print(
    records: &[(String, Outcome)],
    summary: &Summary,
    a: &TreeArgs<'_>,
) -> Result<(), CliError> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (file, o) in records {
        if let Outcome::Error(msg) = o {
            eprintln!("elfcompat: {msg}");
        }
        if let Outcome::Blocked(plan) = o {
            eprintln!(
                "elfcompat: {file}: not patched: {} blocker(s); nothing written (--allow-blockers leaves them in place)",
                plan.blockers.len()
            );
        }
        if a.json {
            serde_json::to_writer(&mut out, &json_record(file, o)).map_err(std::io::Error::from)?;
            writeln!(out)?;
        } else {
            write!(out, "{}", text_record(file, o, a.dest))?;
        }
    }
    if a.json {
        serde_json::to_writer(&mut out, &serde_json::json!({ "summary": summary }))
            .map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", summary.line(a.dest))?;
    }
    out.flush()?;
    Ok(())
}

/// One JSON Lines record: the fields of the single-file `patch --json`, and a status for
/// the outcomes only many files have.
fn json_record(file: &str, o: &Outcome) -> serde_json::Value {
    use serde_json::json;
    match o {
        Outcome::Planned(plan) => json!({"file": file, "status": "planned", "plan": plan}),
        Outcome::Patched {
            output,
            plan,
            method,
            size_before,
            size_after,
        } => {
            json!({"file": file, "output": output.display().to_string(), "status": "patched", "method": method, "plan": plan, "size_before": size_before, "size_after": size_after})
        }
        Outcome::Blocked(plan) => json!({"file": file, "status": "blocked", "plan": plan}),
        Outcome::Static { reason, output } => {
            json!({"file": file, "output": output.as_ref().map(|o| o.display().to_string()), "status": "static", "reason": reason})
        }
        Outcome::NotElf { output } => {
            json!({"file": file, "output": output.as_ref().map(|o| o.display().to_string()), "status": "not-elf"})
        }
        Outcome::Error(error) => json!({"file": file, "status": "error", "error": error}),
    }
}

/// What people read for one file: the plan of a file that changes or is refused, then a
/// line saying what was written. Files that are not ELF are only counted.
fn text_record(file: &str, o: &Outcome, dest: TreeDest<'_>) -> String {
    match o {
        Outcome::Planned(plan) => plan_text(file, plan, None),
        Outcome::Patched {
            method: Method::Unchanged,
            ..
        } if matches!(dest, TreeDest::InPlace) => {
            format!("{file}: unchanged (already within the baseline)\n")
        }
        Outcome::Patched {
            output,
            method: Method::Unchanged,
            ..
        } => format!(
            "{file}: unchanged (already within the baseline), copied to {}\n",
            output.display()
        ),
        Outcome::Patched {
            output,
            plan,
            method,
            size_before,
            size_after,
        } => format!(
            "{}{}: verified and written ({size_before} -> {size_after} bytes)\n",
            plan_text(file, plan, Some(*method)),
            output.display()
        ),
        Outcome::Blocked(plan) => plan_text(file, plan, None),
        Outcome::Static {
            reason,
            output: Some(o),
        } => format!("{file}: {reason}; copied to {}\n", o.display()),
        Outcome::Static { reason, .. } => format!("{file}: {reason}\n"),
        Outcome::NotElf { .. } | Outcome::Error(_) => String::new(),
    }
}
