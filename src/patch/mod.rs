//! Patching: lower a binary's version requirements to a baseline. A pure [`plan`] decides;
//! applying it is mechanical (in place when nothing grows, through object's ELF builder
//! otherwise); the result is verified before anything is written, and again after.

mod advice;
pub mod coverage;
mod cxx;
mod image;
mod inplace;
mod limits;
mod link;
mod lookup;
mod notes_c23;
mod plan;
mod polyfill_notes;
mod relr;
#[cfg(test)]
mod relr_be_tests;
pub mod renames;
mod rewrite;
pub(crate) mod startup;
pub mod wrappers;
pub(crate) mod write;

pub use image::Image;
pub use limits::Limits;
pub use plan::private_version;
pub use plan::{
    plan, plan_for, plan_noted, plan_requirements, plan_seen, plan_with, Blocker, How, LinkEdits,
    Plan, PlanError, PlanOptions, PolyfillImport, PolyfillUse, SymbolChange, VersionRef,
};
pub use write::{remove_stale_temps, Keep, Staging, TEMP_PREFIX};

use crate::baseline::Baseline;
use crate::elf::{ElfError, ElfFile};
use crate::verify::{self, Finding};

/// Why a patch was not done. Nothing has been written when one of these is returned.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    /// The input is not a valid ELF file.
    #[error("{0}")]
    Elf(#[from] ElfError),
    /// The file cannot be planned (static, no dynamic section).
    #[error("{0}")]
    Plan(#[from] PlanError),
    /// Requirements nothing can fix; the plan lists them.
    #[error("{} blocker(s): {}", .0.len(), .0.iter().map(|b| format!("{}@{} ({})", b.symbol.as_deref().unwrap_or("-"), b.version, b.reason)).collect::<Vec<_>>().join("; "))]
    Blocked(Vec<Blocker>),
    /// A rewrite this file needs is refused, with the reason.
    #[error("refused: {0}")]
    Refused(String),
    /// object's ELF builder failed.
    #[error("rewrite failed: {0}")]
    Rewrite(String),
    /// The rewritten bytes failed verification; nothing was written.
    #[error("verification of the result failed: {}", .0.iter().map(|f| format!("[{}] {}", f.check, f.message)).collect::<Vec<_>>().join("; "))]
    Verification(Vec<Finding>),
    /// Reading or writing files.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A bug: an invariant of the patcher did not hold.
    #[error("internal error: {0}")]
    Internal(String),
}

impl PatchError {
    pub(crate) fn internal(msg: impl Into<String>) -> Self {
        PatchError::Internal(msg.into())
    }
}

/// How to patch.
#[derive(Clone, Debug)]
pub struct Options {
    /// Leave blocked requirements as they are instead of refusing.
    pub allow_blockers: bool,
    /// Link polyfills (on by default).
    pub polyfill: bool,
    /// Verify the result in memory (on by default; a caller that verifies what it wrote
    /// before making it visible, as the CLI does, may skip this).
    pub verify_in_memory: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            allow_blockers: false,
            polyfill: true,
            verify_in_memory: true,
        }
    }
}

/// Which writer the plan needed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Nothing to do: the output is the input.
    Unchanged,
    /// Same size: `.gnu.version`, `.gnu.version_r` and DT_VERNEEDNUM edited in place.
    InPlace,
    /// Tables rebuilt; what no longer fits where it was moved into a new PT_LOAD.
    Rewrite,
}

/// A finished patch, not yet written.
pub struct Patched<'a> {
    /// The plan that was applied.
    pub plan: Plan,
    /// How it was applied.
    pub method: Method,
    /// The new file: the input plus the pages that differ.
    pub image: Image<'a>,
}

impl Patched<'_> {
    /// The new file's bytes, materialised (tests and in-memory callers; `Staging::commit`
    /// writes the image without this copy).
    pub fn bytes(&self) -> Vec<u8> {
        self.image.to_vec()
    }
}

/// A plan checked against its input, not yet applied: what `patch` knows before it spends
/// time on the rewrite (the CLI starts copying the input meanwhile).
pub struct Prepared<'a> {
    data: &'a [u8],
    file: ElfFile<'a>,
    /// The plan.
    pub plan: Plan,
}

impl Prepared<'_> {
    /// Whether applying the plan leaves the input as it is.
    pub fn is_noop(&self) -> bool {
        self.plan.is_noop()
    }
}

/// Parse, check that the input is sound, and plan; blockers are an error unless allowed.
pub fn prepare<'a>(
    data: &'a [u8],
    baseline: &Baseline,
    opts: &Options,
) -> Result<Prepared<'a>, PatchError> {
    let file = ElfFile::parse(data)?;
    crate::timing::mark("parse");
    // A file whose layout is not sound is not rewritten: what it would become is anyone's
    // guess, and the rewriter trusts the headers (sizes, offsets) it is given. (Its hash
    // tables are rebuilt, or kept and checked in the result.)
    let unsound = verify::layout(&file);
    if !unsound.is_empty() {
        return Err(PatchError::Refused(format!(
            "the input is not structurally sound: {}",
            unsound
                .iter()
                .map(|f| format!("[{}] {}", f.check, f.message))
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    let plan = plan_with(
        &file,
        baseline,
        &PlanOptions {
            polyfill: opts.polyfill,
        },
    )?;
    crate::timing::mark("check and plan");
    if !plan.blockers.is_empty() && !opts.allow_blockers {
        return Err(PatchError::Blocked(plan.blockers.clone()));
    }
    Ok(Prepared { data, file, plan })
}

/// Plan, apply and verify, all in memory.
pub fn patch_bytes<'a>(
    data: &'a [u8],
    baseline: &Baseline,
    opts: &Options,
) -> Result<Patched<'a>, PatchError> {
    apply(prepare(data, baseline, opts)?, baseline, opts)
}

/// Apply a prepared plan (and verify the result in memory if `opts` asks).
pub fn apply<'a>(
    prepared: Prepared<'a>,
    baseline: &Baseline,
    opts: &Options,
) -> Result<Patched<'a>, PatchError> {
    let Prepared { data, file, plan } = prepared;
    if plan.is_noop() {
        return Ok(Patched {
            plan,
            method: Method::Unchanged,
            image: Image::unchanged(data),
        });
    }
    let (method, image) = if inplace::fits(&plan) {
        (Method::InPlace, inplace::apply(&file, &plan)?)
    } else {
        // The rewriter is object's Builder: a panic inside it (a header combination the
        // checks above let through) must become a refusal, never a crash of the caller.
        let rewritten =
            std::panic::catch_unwind(|| rewrite::apply(data, &plan, file.has_section_headers))
                .unwrap_or_else(|_| {
                    Err(PatchError::Refused(
                        "the ELF rewriter failed on this file's layout".into(),
                    ))
                })?;
        (Method::Rewrite, rewritten)
    };
    if opts.verify_in_memory {
        let findings = verify_output(&image.to_vec(), baseline, &plan)?;
        if !findings.is_empty() {
            return Err(PatchError::Verification(findings));
        }
    }
    Ok(Patched {
        plan,
        method,
        image,
    })
}

/// The file offset where the tables at the front of an ELF file (notes, `.dynsym`,
/// `.dynstr`, hash and version tables, relocations) end: its first code section. A rewrite
/// usually changes bytes before it and none after it but a few in `.dynamic` and the GOT.
/// 0 when the file has no section headers or no code.
pub fn front_tables_end(data: &[u8]) -> u64 {
    use object::elf::{SHF_ALLOC, SHF_EXECINSTR, SHT_NOBITS};
    crate::elf::section_infos(data)
        .iter()
        .filter(|s| {
            s.sh_type != SHT_NOBITS.0
                && s.flags & SHF_ALLOC.0 != 0
                && s.flags & SHF_EXECINSTR.0 != 0
        })
        .map(|s| s.offset)
        .min()
        .unwrap_or(0)
        .min(data.len() as u64)
}

/// Verify patched bytes: structure, and the baseline except for what the plan reported as
/// blockers (left as they are with `--allow-blockers`).
pub fn verify_output(
    bytes: &[u8],
    baseline: &Baseline,
    plan: &Plan,
) -> Result<Vec<Finding>, PatchError> {
    let out = ElfFile::parse(bytes)?;
    crate::timing::mark("read back: parse");
    let findings = verify::verify(&out, baseline);
    crate::timing::mark("read back: verify");
    // A blocker forgives exactly its own finding (same symbol, version and library, in the
    // words `verify` uses), never another symbol that happens to share its version.
    let forgiven: Vec<String> = plan
        .blockers
        .iter()
        .map(|b| {
            format!(
                "{} {} from {}:",
                b.symbol.as_deref().unwrap_or("(unused)"),
                b.version,
                b.library
            )
        })
        .collect();
    Ok(findings
        .into_iter()
        .filter(|f| {
            !(f.check == "version-above-baseline"
                && forgiven.iter().any(|p| f.message.starts_with(p.as_str())))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The front tables end where the first code section starts, for every fixture with
    /// section headers (goblin, an independent parser, says where that is); 0 without
    /// section headers or for bytes that are not ELF.
    #[test]
    fn front_tables_end_at_the_first_code_section() {
        let mut checked = 0;
        for arch in std::fs::read_dir("testdata/bin").unwrap().flatten() {
            for f in std::fs::read_dir(arch.path()).unwrap().flatten() {
                let data = std::fs::read(f.path()).unwrap();
                let elf = goblin::elf::Elf::parse(&data).unwrap();
                let want = elf
                    .section_headers
                    .iter()
                    .filter(|s| {
                        s.sh_type != goblin::elf::section_header::SHT_NOBITS
                            && s.is_alloc()
                            && s.is_executable()
                    })
                    .map(|s| s.sh_offset)
                    .min()
                    .unwrap_or(0);
                assert_eq!(front_tables_end(&data), want, "{}", f.path().display());
                checked += 1;
            }
        }
        assert!(checked >= 40, "{checked} fixtures");
        assert_eq!(front_tables_end(b"not an ELF file"), 0);
        assert_eq!(front_tables_end(&[]), 0);
    }
}
