//! The human report.

use std::fmt::Write;

use super::{Analysis, FileReport, Outcome, VersionGroup};
use crate::elf::Linkage;

/// Colors on or off.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Style {
    /// Emit ANSI colors.
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    /// Bold.
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    /// Red (failures, blockers).
    pub fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    /// Green (success, fixable).
    pub fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    /// Yellow (notes and warnings).
    pub fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
}

/// How many symbols one version line shows before "(+N more)" (all with `--symbols`).
const SYMBOLS_PER_LINE: usize = 8;

fn linkage_text(l: Linkage) -> &'static str {
    match l {
        Linkage::Executable => "executable",
        Linkage::Pie => "PIE executable",
        Linkage::SharedLibrary => "shared library",
        Linkage::Static => "static executable",
        Linkage::StaticPie => "static PIE executable",
        Linkage::Other => "ELF file (no dynamic view)",
    }
}

fn group_line(out: &mut String, style: &Style, g: &VersionGroup<'_>, all: bool) {
    let shown: Vec<&str> = if all {
        g.symbols.iter().map(|s| s.as_ref()).collect()
    } else {
        g.symbols
            .iter()
            .take(SYMBOLS_PER_LINE)
            .map(|s| s.as_ref())
            .collect()
    };
    let mut syms = if g.symbols.is_empty() {
        style.dim("(no symbol uses it)")
    } else {
        shown.join(", ")
    };
    if !all && g.symbols.len() > SYMBOLS_PER_LINE {
        let _ = write!(syms, " (+{} more)", g.symbols.len() - SYMBOLS_PER_LINE);
    }
    let weak = if g.weak { " [weak]" } else { "" };
    let _ = writeln!(
        out,
        "    {:<18} {:<22} {}{}",
        g.version.as_str(),
        g.libraries.join(","),
        syms,
        weak
    );
}

/// Render one file's report. `all_symbols` lists every symbol of every version.
pub fn render_file(r: &FileReport<'_>, style: &Style, all_symbols: bool) -> String {
    let mut out = String::new();
    match &r.outcome {
        Outcome::NotElf => {
            let _ = writeln!(out, "{}: not an ELF file (skipped)", r.path);
        }
        Outcome::Error { error } => {
            let _ = writeln!(out, "{}", style.red(&format!("error: {error}")));
        }
        Outcome::Elf(a) => render_analysis(&mut out, &r.path, a, style, all_symbols),
    }
    out
}

fn render_analysis(out: &mut String, path: &str, a: &Analysis<'_>, style: &Style, all: bool) {
    let mut head = format!(
        "{}: {} {} {}",
        style.bold(path),
        a.class.to_uppercase(),
        a.machine,
        linkage_text(a.linkage)
    );
    if let Some(s) = &a.soname {
        let _ = write!(head, ", soname {s}");
    }
    let _ = writeln!(out, "{head}");
    if let Some(i) = &a.interpreter {
        let _ = writeln!(out, "  interpreter: {i}");
    }
    if matches!(a.linkage, Linkage::Static | Linkage::StaticPie) {
        let _ = writeln!(
            out,
            "  statically linked: no version requirements are checked by the loader"
        );
    }
    for f in &a.requires {
        let _ = writeln!(
            out,
            "  {} >= {}",
            style.bold(f.family.as_str()),
            style.bold(f.minimum.number_str())
        );
        for g in &f.versions {
            group_line(out, style, g, all);
        }
    }
    if !a.other_versions.is_empty() {
        let _ = writeln!(out, "  {}", style.bold("other versions"));
        for g in &a.other_versions {
            group_line(out, style, g, all);
        }
    }
    if a.requires.is_empty()
        && a.other_versions.is_empty()
        && !matches!(a.linkage, Linkage::Static | Linkage::StaticPie)
    {
        let _ = writeln!(out, "  no symbol versions required");
    }
    if !a.needed.is_empty() {
        let _ = writeln!(out, "  needs: {}", a.needed.join(", "));
    }
    if !a.polyfillable.is_empty() {
        let _ = writeln!(
            out,
            "  polyfills available (patch links them where the baseline lacks them): {}",
            a.polyfillable.join(", ")
        );
    }
    let defined: Vec<&str> = a
        .defines
        .iter()
        .filter(|d| !d.base)
        .map(|d| d.name.as_str())
        .collect();
    if !defined.is_empty() {
        let _ = writeln!(
            out,
            "  defines: {} ({} exported symbols)",
            defined.join(", "),
            a.exported_symbols
        );
    }
    if !matches!(
        a.linkage,
        Linkage::Static | Linkage::StaticPie | Linkage::Other
    ) {
        if a.runs_on.is_empty() {
            let _ = writeln!(out, "  runs on: {}", style.yellow("no known release"));
        } else {
            let list: Vec<String> = a
                .runs_on
                .iter()
                .map(|r| {
                    if r.display.contains(&format!("glibc {}", r.glibc)) {
                        r.display.to_string()
                    } else {
                        format!("{} ({})", r.display, r.glibc)
                    }
                })
                .collect();
            let _ = writeln!(out, "  runs on: {}+", list.join(", "));
        }
    }
    if all && !a.symbols.is_empty() {
        let _ = writeln!(out, "  symbols:");
        for s in &a.symbols {
            let ver = match (&s.library, &s.version) {
                (Some(l), Some(v)) => format!("{} ({l})", v.as_str()),
                _ => "(unversioned)".to_string(),
            };
            let weak = if s.binding == crate::versym::SymbolBinding::Weak {
                " weak"
            } else {
                ""
            };
            let _ = writeln!(out, "    {:<40} {}{}", s.name, ver, weak);
        }
    }
    for w in &a.warnings {
        let _ = writeln!(out, "  {}", style.yellow(&format!("warning: {w}")));
    }
    if !a.violations.is_empty() {
        let _ = writeln!(
            out,
            "  {}",
            style.red(&format!("{} violation(s):", a.violations.len()))
        );
        for v in &a.violations {
            let _ = writeln!(out, "  {}", violation_line(v, style));
        }
    }
}

/// One violation as a line: symbol, version, library, and what fixes it (colored).
pub fn violation_line(v: &crate::check::Violation, style: &Style) -> String {
    let fix = v.fix.describe();
    let fix = if v.fix.is_fixable() {
        style.green(&fix)
    } else {
        style.red(&fix)
    };
    format!(
        "  {:<32} {:<18} {:<18} {}",
        v.symbol.as_deref().unwrap_or("-"),
        v.version.as_str(),
        v.library,
        fix
    )
}

/// A wheel's manylinux verdict (`check --target manylinux_*`): a headline, then every
/// policy for its architecture, newest first, with why not and what `bundle` could do.
pub fn wheel_verdict(v: &crate::wheel::WheelVerdict, style: &Style) -> String {
    let mut out = String::new();
    let status = if v.qualifies {
        style.green("OK")
    } else {
        style.red("FAIL")
    };
    let Some(arch) = &v.arch else {
        let why = v
            .error
            .as_deref()
            .unwrap_or("no ELF files: a pure wheel needs no manylinux tag");
        let _ = writeln!(out, "{}: {status}: {why}", v.path);
        return out;
    };
    let best = match &v.best {
        Some(b) => format!("auditwheel's tag: {b}"),
        None => "no manylinux tag (linux only)".to_string(),
    };
    let _ = writeln!(
        out,
        "{}: {status}: {} {} ({arch}); {best}",
        v.path,
        if v.qualifies {
            "qualifies for"
        } else {
            "does not qualify for"
        },
        v.requested
    );
    for p in &v.policies {
        let name = if p.aliases.is_empty() {
            p.policy.clone()
        } else {
            format!("{} ({})", p.policy, p.aliases.join(", "))
        };
        let _ = writeln!(out, "  {name:<32} {}", policy_reasons(p, style));
    }
    out
}

/// "yes", or "no: " and the reasons, and whether `elfcompat bundle` can fix them.
fn policy_reasons(p: &crate::wheel::PolicyVerdict, style: &Style) -> String {
    if p.qualifies {
        return style.green("yes");
    }
    let some = |items: Vec<String>| {
        let n = items.len();
        let mut shown: Vec<String> = items.into_iter().take(4).collect();
        if n > 4 {
            shown.push(format!("+{} more", n - 4));
        }
        shown.join(", ")
    };
    let mut reasons = Vec::new();
    if !p.too_new.is_empty() {
        let versions = p
            .too_new
            .iter()
            .map(|t| format!("{} ({})", t.version, t.library))
            .collect();
        reasons.push(format!("too new: {}", some(versions)));
    }
    if !p.external.is_empty() {
        reasons.push(format!(
            "needs libraries outside the policy: {}",
            some(p.external.clone())
        ));
    }
    if !p.blacklisted.is_empty() {
        reasons.push(format!("blacklisted: {}", some(p.blacklisted.clone())));
    }
    let fix = if p.fixable_by_bundle {
        let mut what = Vec::new();
        if !p.too_new.is_empty() {
            what.push("lowering the versions");
        }
        if !p.external.is_empty() {
            what.push("bundling the libraries");
        }
        style.green(&format!(
            "`elfcompat bundle` can fix it ({})",
            what.join(", ")
        ))
    } else {
        let blocked = p.too_new.iter().filter(|t| !t.fixable).count();
        style.red(&format!(
            "not fixable by `elfcompat bundle`: {}",
            if p.blacklisted.is_empty() {
                format!("{blocked} version(s) it cannot lower")
            } else {
                "blacklisted symbols".to_string()
            }
        ))
    };
    format!("{}: {}; {fix}", style.red("no"), reasons.join("; "))
}
