//! `report` and `check`: walk, analyse in parallel, print.

use std::io::Write;
use std::path::PathBuf;

use rayon::prelude::*;

use elfcompat::baseline::Baseline;
use elfcompat::report::{self, json, text, FileReport, Outcome};
use elfcompat::scan;

use super::{CheckFormat, CliError, EXIT_ERROR, EXIT_OK, EXIT_VIOLATION};

fn analyse(paths: &[PathBuf], baseline: Option<&Baseline>) -> (Vec<FileReport>, json::Summary) {
    let walk = scan::walk(paths);
    let mut reports: Vec<FileReport> = walk
        .files
        .par_iter()
        .map(|p| report::analyze_path(p, baseline))
        .collect();
    for (path, e) in &walk.errors {
        reports.push(FileReport {
            path: path.display().to_string(),
            outcome: Outcome::Error {
                error: format!("{}: {e}", path.display()),
            },
        });
    }
    let mut summary = json::Summary::of(&reports);
    summary.special_skipped = walk.special;
    summary.duplicates_skipped = walk.duplicates;
    (reports, summary)
}

fn summary_line(s: &json::Summary) -> String {
    format!(
        "{} files: {} ELF, {} not ELF, {} unreadable; {} special files and {} duplicate links skipped",
        s.files, s.elf, s.not_elf, s.errors, s.special_skipped, s.duplicates_skipped
    )
}

/// `check`'s closing line: OK or FAIL, and the counts.
fn check_summary_line(s: &json::Summary, baseline: &Baseline, style: &text::Style) -> String {
    let status = if s.violating == 0 {
        style.green("OK")
    } else {
        style.red("FAIL")
    };
    format!(
        "{status}: {} of {} ELF files exceed {}; {}",
        s.violating,
        s.elf,
        baseline.describe(),
        summary_line(s)
    )
}

pub fn report(
    paths: &[PathBuf],
    as_json: bool,
    symbols: bool,
    quiet: bool,
    style: &text::Style,
) -> Result<u8, CliError> {
    let (reports, summary) = analyse(paths, None);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if as_json {
        json::write_document(&mut out, &reports, &summary, None, symbols)
            .map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        let many = reports.len() > 1;
        for r in &reports {
            match &r.outcome {
                Outcome::NotElf if quiet || many => continue,
                Outcome::Error { error } => {
                    eprintln!("elfcompat: {error}");
                    continue;
                }
                _ => {}
            }
            write!(out, "{}", text::render_file(r, style, symbols))?;
        }
        if many {
            writeln!(out, "{}", summary_line(&summary))?;
        }
    }
    out.flush()?;
    Ok(if summary.errors > 0 {
        EXIT_ERROR
    } else {
        EXIT_OK
    })
}

pub fn check(
    paths: &[PathBuf],
    baseline: &Baseline,
    format: CheckFormat,
    style: &text::Style,
) -> Result<u8, CliError> {
    let (reports, summary) = analyse(paths, Some(baseline));
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let plain = text::Style { color: false };
    if format == CheckFormat::Junit {
        for r in &reports {
            if let Outcome::Error { error } = &r.outcome {
                eprintln!("elfcompat: {error}");
            }
        }
        write!(out, "{}", report::ci::junit(&reports, &baseline.describe()))?;
    } else if format == CheckFormat::Github {
        for r in &reports {
            if let Outcome::Error { error } = &r.outcome {
                eprintln!("elfcompat: {error}");
            }
        }
        write!(
            out,
            "{}",
            report::ci::github_annotations(&reports, &baseline.describe())
        )?;
        writeln!(out, "{}", check_summary_line(&summary, baseline, &plain))?;
    } else if format == CheckFormat::Json {
        json::write_document(
            &mut out,
            &reports,
            &summary,
            Some(baseline.describe()),
            false,
        )
        .map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        for r in &reports {
            match &r.outcome {
                Outcome::Error { error } => eprintln!("elfcompat: {error}"),
                Outcome::Elf(a) if !a.violations.is_empty() => {
                    let fixable = a.violations.iter().filter(|v| v.fix.is_fixable()).count();
                    writeln!(
                        out,
                        "{}: {}: {} symbol requirement(s) above {} ({} fixable by `elfcompat patch`, {} blocker(s))",
                        r.path,
                        style.red("FAIL"),
                        a.violations.len(),
                        baseline.describe(),
                        fixable,
                        a.violations.len() - fixable
                    )?;
                    for v in &a.violations {
                        writeln!(out, "{}", text::violation_line(v, style))?;
                    }
                    for n in &a.notes {
                        writeln!(out, "  {}", style.yellow(&format!("note: {n}")))?;
                    }
                }
                Outcome::Elf(a) if !a.notes.is_empty() => {
                    for n in &a.notes {
                        writeln!(out, "{}: {}", r.path, style.yellow(&format!("note: {n}")))?;
                    }
                }
                _ => {}
            }
        }
        writeln!(out, "{}", check_summary_line(&summary, baseline, style))?;
    }
    out.flush()?;
    Ok(if summary.errors > 0 {
        EXIT_ERROR
    } else if summary.violating > 0 {
        EXIT_VIOLATION
    } else {
        EXIT_OK
    })
}
