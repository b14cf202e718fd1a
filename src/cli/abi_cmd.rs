//! `abi` and `targets`: questions to the glibc ABI database and the preset table.

use std::io::Write;

use serde_json::json;

use elfcompat::abi::{self, GlibcVersion, SymbolKind};

use super::{CliError, EXIT_OK, EXIT_VIOLATION};

fn kind_str(k: SymbolKind) -> &'static str {
    match k {
        SymbolKind::Function => "function",
        SymbolKind::Object => "object",
        SymbolKind::Tls => "tls",
    }
}

pub fn abi(
    symbol: Option<&str>,
    arch: &str,
    glibc: Option<&str>,
    as_json: bool,
) -> Result<u8, CliError> {
    let db = abi::db();
    let target = db
        .target_by_name(arch)
        .ok_or_else(|| CliError::Usage(format!("unknown architecture '{arch}'")))?;
    let release = match glibc {
        Some(g) => Some(
            GlibcVersion::parse(g)
                .ok_or_else(|| CliError::Usage(format!("'{g}' is not a glibc version")))?,
        ),
        None => None,
    };
    let mut out = std::io::stdout().lock();
    match (symbol, release) {
        (None, None) => Err(CliError::Usage(
            "give a SYMBOL, or --glibc to list what a release added".into(),
        )),
        (None, Some(r)) => {
            if !db.releases().contains(&r) {
                return Err(CliError::Usage(format!(
                    "glibc {r} is not a release in the ABI database"
                )));
            }
            let mut added = db.added_in(target, r);
            added.sort_by(|a, b| (a.1.lib, &a.0).cmp(&(b.1.lib, &b.0)));
            if as_json {
                let list: Vec<_> = added
                    .iter()
                    .map(|(n, sv)| json!({"symbol": n, "library": sv.lib.soname(target), "version": sv.version.tag(), "kind": kind_str(sv.kind)}))
                    .collect();
                serde_json::to_writer_pretty(
                    &mut out,
                    &json!({"target": target.name(), "release": r.to_string(), "added": list}),
                )
                .map_err(std::io::Error::from)?;
                writeln!(out)?;
            } else {
                writeln!(
                    out,
                    "glibc {r} on {}: {} symbol version(s) added",
                    target.name(),
                    added.len()
                )?;
                for (n, sv) in &added {
                    writeln!(
                        out,
                        "  {:<18} {:<40} {}",
                        sv.lib.soname(target),
                        n,
                        kind_str(sv.kind)
                    )?;
                }
            }
            Ok(EXIT_OK)
        }
        (Some(name), release) => {
            let versions = db.symbol(target, name);
            let at = release.map(|r| (r, db.newest_at_or_below(target, name, None, r)));
            if as_json {
                let list: Vec<_> = versions
                    .iter()
                    .map(|sv| json!({"library": sv.lib.soname(target), "version": sv.version.tag(), "kind": kind_str(sv.kind), "size": sv.size, "weak": sv.weak}))
                    .collect();
                let mut doc = json!({"symbol": name, "target": target.name(), "versions": list});
                if let Some((r, best)) = &at {
                    doc["release"] = json!(r.to_string());
                    doc["available"] = json!(best.is_some());
                    doc["newest_at_or_below"] = match best {
                        Some(sv) => {
                            json!({"library": sv.lib.soname(target), "version": sv.version.tag()})
                        }
                        None => json!(null),
                    };
                }
                serde_json::to_writer_pretty(&mut out, &doc).map_err(std::io::Error::from)?;
                writeln!(out)?;
            } else if versions.is_empty() {
                writeln!(out, "{name}: not a glibc symbol on {} (libc, libm, libpthread, libdl, librt, libutil, libresolv, ld.so)", target.name())?;
            } else {
                writeln!(out, "{name} on {}:", target.name())?;
                for sv in &versions {
                    writeln!(
                        out,
                        "  {:<16} {:<20} {}",
                        sv.version.tag(),
                        sv.lib.soname(target),
                        kind_str(sv.kind)
                    )?;
                }
                if let Some((r, best)) = &at {
                    match best {
                        Some(sv) => writeln!(
                            out,
                            "in glibc {r}: {}@{} from {}",
                            name,
                            sv.version.tag(),
                            sv.lib.soname(target)
                        )?,
                        None => writeln!(
                            out,
                            "in glibc {r}: not available (first in {})",
                            versions[0].version
                        )?,
                    }
                }
            }
            Ok(match at {
                Some((_, None)) => EXIT_VIOLATION,
                _ if versions.is_empty() => EXIT_VIOLATION,
                _ => EXIT_OK,
            })
        }
    }
}

pub fn targets(as_json: bool) -> Result<u8, CliError> {
    let mut out = std::io::stdout().lock();
    let fmt3 = |t: Option<(u8, u8, u8)>, p: &str| t.map(|(a, b, c)| format!("{p}{a}.{b}.{c}"));
    if as_json {
        let list: Vec<_> = abi::presets()
            .iter()
            .map(|p| json!({"name": p.name, "aliases": p.aliases, "display": p.display, "family": p.family, "glibc": p.glibc.to_string(), "glibcxx": fmt3(p.glibcxx, "GLIBCXX_"), "cxxabi": fmt3(p.cxxabi, "CXXABI_")}))
            .collect();
        serde_json::to_writer_pretty(&mut out, &list).map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        let w = abi::presets()
            .iter()
            .map(|p| p.display.len())
            .max()
            .unwrap_or(24);
        writeln!(
            out,
            "{:<18} {:<w$} {:<7} {:<16} aliases",
            "name", "release", "glibc", "libstdc++"
        )?;
        for p in abi::presets() {
            writeln!(
                out,
                "{:<18} {:<w$} {:<7} {:<16} {}",
                p.name,
                p.display,
                p.glibc.to_string(),
                fmt3(p.glibcxx, "GLIBCXX_").unwrap_or_else(|| "-".into()),
                p.aliases.join(", ")
            )?;
        }
    }
    Ok(EXIT_OK)
}

/// `abi --coverage`: how the planner lowers every symbol newer than the release.
pub fn coverage(arch: &str, glibc: &str, as_json: bool) -> Result<u8, CliError> {
    let db = abi::db();
    let target = db
        .target_by_name(arch)
        .ok_or_else(|| CliError::Usage(format!("unknown architecture '{arch}'")))?;
    let release = GlibcVersion::parse(glibc)
        .ok_or_else(|| CliError::Usage(format!("'{glibc}' is not a glibc version")))?;
    let cov = elfcompat::patch::coverage::coverage(target, release);
    let mut out = std::io::stdout().lock();
    if as_json {
        let doc = json!({
            "target": cov.target,
            "baseline": cov.baseline,
            "through": cov.through,
            "new": cov.counts(true),
            "newer_versions": cov.counts(false),
            "symbols": cov.rows,
        });
        serde_json::to_writer_pretty(&mut out, &doc).map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        out.write_all(elfcompat::patch::coverage::markdown(&cov).as_bytes())?;
    }
    Ok(EXIT_OK)
}
