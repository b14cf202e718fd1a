//! `report` and `check`: walk, analyse in parallel, print.

use std::io::Write;
use std::path::PathBuf;

use elfcompat::baseline::Baseline;
use elfcompat::report::stream::Item;
use elfcompat::report::{self, json, stream, text, Outcome};
use elfcompat::scan;
use elfcompat::wheel::WheelVerdict;

use super::{CheckFormat, CliError, EXIT_ERROR, EXIT_OK, EXIT_VIOLATION};

/// One file's output: for stdout, and a line for stderr (a file that could not be read).
#[derive(Default)]
struct Out {
    text: Vec<u8>,
    error: Option<String>,
}

impl Out {
    fn error_of(r: &report::FileReport<'_>) -> Option<String> {
        match &r.outcome {
            Outcome::Error { error } => Some(format!("elfcompat: {error}")),
            _ => None,
        }
    }
}

/// Whether a run makes more than one report (files walked and unreadable paths; an
/// archive's members are reports of their own).
fn count(paths: &[PathBuf]) -> bool {
    let walk = scan::walk(paths);
    let n = walk.files.len() + walk.errors.len();
    let archives = walk
        .files
        .iter()
        .any(|f| elfcompat::archive::format_of(f).is_some());
    n > 1 || archives
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

/// The output buffer of a run over many files: a few dozen writes for a report of
/// megabytes, not one per 8 KiB.
const OUT_BUFFER: usize = 1 << 16;

pub fn report(
    paths: &[PathBuf],
    as_json: bool,
    symbols: bool,
    quiet: bool,
    style: &text::Style,
) -> Result<u8, CliError> {
    elfcompat::timing::mark("start");
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(OUT_BUFFER, stdout.lock());
    let summary = if as_json {
        let mut doc = json::DocumentWriter::begin(&mut out, None)?;
        let summary = stream::reports(
            stream::Files::Walk(paths),
            None,
            |r| json::file_json(r, symbols, false),
            |object: Vec<u8>| doc.file(&object),
        )?;
        let out = doc.finish(&summary)?;
        writeln!(out)?;
        elfcompat::timing::mark("files");
        summary
    } else {
        // A run of more than one report leaves out the files that are not ELF and closes
        // with the counts. The walk is not made first to know: a second report says so,
        // and the first waits for it; a run of at most one asks the walk afterwards (an
        // archive counts as many even with one member).
        let mut first: Option<(Out, bool)> = None;
        let mut many = false;
        let emit = |(o, not_elf): (Out, bool), many: bool, out: &mut dyn Write| {
            if let Some(e) = o.error {
                eprintln!("{e}");
            }
            if not_elf && (quiet || many) {
                return Ok(());
            }
            out.write_all(&o.text)
        };
        let summary = stream::reports(
            stream::Files::Walk(paths),
            None,
            |r| {
                let text = match &r.outcome {
                    Outcome::Error { .. } => String::new(),
                    _ => text::render_file(r, style, symbols),
                };
                let o = Out {
                    text: text.into_bytes(),
                    error: Out::error_of(r),
                };
                (o, matches!(r.outcome, Outcome::NotElf))
            },
            |piece: (Out, bool)| {
                if many {
                    return emit(piece, true, &mut out);
                }
                match first.take() {
                    None => {
                        first = Some(piece);
                        Ok(())
                    }
                    Some(earlier) => {
                        many = true;
                        emit(earlier, true, &mut out)?;
                        emit(piece, true, &mut out)
                    }
                }
            },
        )?;
        if !many {
            many = count(paths);
            if let Some(piece) = first {
                emit(piece, many, &mut out)?;
            }
        }
        if many {
            writeln!(out, "{}", summary_line(&summary))?;
        }
        summary
    };
    out.flush()?;
    Ok(if summary.errors > 0 {
        EXIT_ERROR
    } else {
        EXIT_OK
    })
}

/// `check`'s text for one file: the violations and notes, or nothing.
fn check_text(r: &report::FileReport<'_>, baseline: &Baseline, style: &text::Style) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    match &r.outcome {
        Outcome::Elf(a) if !a.violations.is_empty() => {
            let fixable = a.violations.iter().filter(|v| v.fix.is_fixable()).count();
            let _ = writeln!(
                out,
                "{}: {}: {} symbol requirement(s) above {} ({} fixable by `elfcompat patch`, {} blocker(s))",
                r.path,
                style.red("FAIL"),
                a.violations.len(),
                baseline.describe(),
                fixable,
                a.violations.len() - fixable
            );
            for v in &a.violations {
                let _ = writeln!(out, "{}", text::violation_line(v, style));
            }
            for n in &a.notes {
                let _ = writeln!(out, "  {}", style.yellow(&format!("note: {n}")));
            }
        }
        Outcome::Elf(a) => {
            for n in &a.notes {
                let _ = writeln!(out, "{}: {}", r.path, style.yellow(&format!("note: {n}")));
            }
        }
        _ => {}
    }
    out
}

pub fn check(
    paths: &[PathBuf],
    baseline: &Baseline,
    format: CheckFormat,
    style: &text::Style,
) -> Result<u8, CliError> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(OUT_BUFFER, stdout.lock());
    let plain = text::Style { color: false };
    let described = baseline.describe();
    let b = Some(baseline);
    // With a manylinux policy as the target, every wheel also gets a verdict.
    let wheels = elfcompat::wheel::is_manylinux(baseline);
    let mut failed_wheels = 0usize;
    let mut wheel_failed = |v: &WheelVerdict| {
        if !v.qualifies {
            failed_wheels += 1;
        }
    };
    let summary = match format {
        CheckFormat::Junit => {
            let mut suite = report::ci::JunitSuite::default();
            let summary = stream::reports_with(
                stream::Files::Walk(paths),
                b,
                wheels,
                |r| (report::ci::junit_case(r, &described), Out::error_of(r)),
                |item| {
                    match item {
                        Item::Report((case, error)) => {
                            if let Some(e) = error {
                                eprintln!("{e}");
                            }
                            suite.add(&case);
                        }
                        Item::Wheel(v) => {
                            wheel_failed(&v);
                            suite.add(&report::ci::junit_wheel_case(&v));
                        }
                    }
                    Ok::<(), std::io::Error>(())
                },
            )?;
            write!(out, "{}", suite.document(&described))?;
            summary
        }
        CheckFormat::Json => {
            let mut doc = json::DocumentWriter::begin(&mut out, Some(&described))?;
            let mut verdicts = Vec::new();
            let summary = stream::reports_with(
                stream::Files::Walk(paths),
                b,
                wheels,
                |r| json::file_json(r, false, true),
                |item| match item {
                    Item::Report(object) => doc.file(&object),
                    Item::Wheel(v) => {
                        wheel_failed(&v);
                        verdicts.push(*v);
                        Ok(())
                    }
                },
            )?;
            let out = doc.finish_with_wheels(&summary, &verdicts)?;
            writeln!(out)?;
            summary
        }
        CheckFormat::Github | CheckFormat::Text => {
            let github = matches!(format, CheckFormat::Github);
            let summary = stream::reports_with(
                stream::Files::Walk(paths),
                b,
                wheels,
                |r| Out {
                    text: if github {
                        report::ci::github_annotations_of(r, &described).into_bytes()
                    } else {
                        check_text(r, baseline, style).into_bytes()
                    },
                    error: Out::error_of(r),
                },
                |item| match item {
                    Item::Report(o) => {
                        if let Some(e) = o.error {
                            eprintln!("{e}");
                        }
                        out.write_all(&o.text)
                    }
                    Item::Wheel(v) => {
                        wheel_failed(&v);
                        if github {
                            if v.qualifies {
                                return Ok(());
                            }
                            let best = v.best.as_deref().unwrap_or("none");
                            writeln!(
                                out,
                                "::error file={}::does not qualify for {} (auditwheel's tag: {best})",
                                v.path, v.requested
                            )
                        } else {
                            out.write_all(text::wheel_verdict(&v, style).as_bytes())
                        }
                    }
                },
            )?;
            let line_style = if github { &plain } else { style };
            writeln!(
                out,
                "{}",
                check_summary_line(&summary, baseline, line_style)
            )?;
            summary
        }
    };
    out.flush()?;
    Ok(if summary.errors > 0 {
        EXIT_ERROR
    } else if summary.violating > 0 || failed_wheels > 0 {
        EXIT_VIOLATION
    } else {
        EXIT_OK
    })
}
