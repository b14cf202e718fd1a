//! Verification: is a binary structurally sound for the loader, and does everything it
//! requires exist in the baseline? `patch` runs this on the bytes it is about to write (and
//! on the file it wrote); `verify` runs it on any binary.

mod hash;
pub mod loader;
pub mod stubs;

use crate::abi::{self, Lib};
use crate::baseline::Baseline;
use crate::check::{self, DT_RELR_MARKER};
use crate::elf::{ElfFile, Linkage};
use crate::versym::{elf_hash, Family, Requirements, VersionName};

/// One problem found.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// A short identifier of the check ("segment-alignment", "version-above-baseline", ...).
    pub check: &'static str,
    /// What is wrong, with the structure named.
    pub message: String,
}

fn finding(check: &'static str, message: impl Into<String>) -> Finding {
    Finding {
        check,
        message: message.into(),
    }
}

/// Structural soundness: what the kernel and the loader need from the file's layout.
pub fn structure(file: &ElfFile<'_>) -> Vec<Finding> {
    // The hash tables take the most time (a hash of every exported name, twice): they are
    // checked on the other core meanwhile.
    let (mut out, hashes) = rayon::join(|| layout(file), || hash::check(file));
    out.extend(hashes);
    out
}

/// [`structure`] without the hash tables: what decides whether a file can be rewritten at
/// all (a patch rebuilds the hash tables, or keeps them and verifies the result).
pub fn layout(file: &ElfFile<'_>) -> Vec<Finding> {
    use object::elf::{PT_INTERP, PT_LOAD, PT_PHDR};
    let mut out = Vec::new();
    let len = file.data.len() as u64;
    let loads: Vec<_> = file
        .segments
        .iter()
        .filter(|s| s.p_type == PT_LOAD.0)
        .collect();
    for (i, s) in file.segments.iter().enumerate() {
        // Even an empty segment (PT_GNU_STACK) must not point past the end: rewriters keep
        // segment offsets and would size their output by it.
        if s.offset > len
            || (s.filesz > 0 && s.offset.checked_add(s.filesz).is_none_or(|end| end > len))
        {
            out.push(finding(
                "segment-in-file",
                format!(
                    "program header {i} (type {:#x}) extends past the end of the file",
                    s.p_type
                ),
            ));
        }
        if s.p_type == PT_LOAD.0 {
            if s.align > 1 && s.offset % s.align != s.vaddr % s.align {
                out.push(finding("segment-alignment", format!("PT_LOAD {i}: p_offset {:#x} and p_vaddr {:#x} are not congruent modulo p_align {:#x}", s.offset, s.vaddr, s.align)));
            }
            if s.filesz > s.memsz {
                out.push(finding(
                    "segment-size",
                    format!("PT_LOAD {i}: p_filesz > p_memsz"),
                ));
            }
        }
    }
    for (i, a) in loads.iter().enumerate() {
        for b in loads.iter().skip(i + 1) {
            let a_end = a.vaddr.saturating_add(a.memsz);
            let b_end = b.vaddr.saturating_add(b.memsz);
            if a.vaddr < b_end && b.vaddr < a_end {
                out.push(finding(
                    "load-overlap",
                    format!("PT_LOADs at {:#x} and {:#x} overlap", a.vaddr, b.vaddr),
                ));
            }
        }
    }
    let covered = |vaddr: u64, size: u64, offset: u64| {
        loads.iter().any(|l| {
            vaddr >= l.vaddr
                && vaddr.saturating_add(size) <= l.vaddr.saturating_add(l.filesz)
                && offset.wrapping_sub(l.offset) == vaddr.wrapping_sub(l.vaddr)
        })
    };
    for s in &file.segments {
        if (s.p_type == PT_PHDR.0 || s.p_type == PT_INTERP.0)
            && !covered(s.vaddr, s.filesz, s.offset)
        {
            let name = if s.p_type == PT_PHDR.0 {
                "PT_PHDR"
            } else {
                "PT_INTERP"
            };
            out.push(finding(
                "segment-covered",
                format!(
                    "{name} at {:#x} is not mapped by a PT_LOAD from the same file offset",
                    s.vaddr
                ),
            ));
        }
    }
    phdr_mapping(file, &loads, &mut out);
    out.extend(hash::headers(file));
    let Some(dynamic) = &file.dynamic else {
        return out;
    };
    if !dynamic.versym.is_empty() && dynamic.versym.len() != dynamic.symbols.len() {
        out.push(finding(
            "versym-count",
            format!(
                ".gnu.version has {} entries for {} symbols",
                dynamic.versym.len(),
                dynamic.symbols.len()
            ),
        ));
    }
    for (i, raw) in &Requirements::dangling_in(file) {
        out.push(finding(
            "versym-index",
            format!(
                ".gnu.version entry {i} names version index {} that nothing defines",
                raw & 0x7fff
            ),
        ));
    }
    for vn in &dynamic.verneed {
        for aux in &vn.aux {
            if aux.hash != elf_hash(aux.name.as_bytes()) {
                out.push(finding(
                    "vna-hash",
                    format!(
                        "vna_hash of {} ({}) is {:#x}, should be {:#x}",
                        aux.name,
                        vn.file,
                        aux.hash,
                        elf_hash(aux.name.as_bytes())
                    ),
                ));
            }
        }
        if !dynamic.needed.contains(&vn.file) {
            out.push(finding(
                "verneed-needed",
                format!(
                    "versions are required from {} but no DT_NEEDED loads it",
                    vn.file
                ),
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for vn in &dynamic.verneed {
        for aux in &vn.aux {
            if !seen.insert(aux.index & 0x7fff) {
                out.push(finding(
                    "vernaux-index",
                    format!(
                        "version index {} is used twice in .gnu.version_r",
                        aux.index & 0x7fff
                    ),
                ));
            }
        }
    }
    out.extend(sections(file));
    if let Some(g) = dynamic.layout.gnu_hash {
        let word = |o: u64| {
            file.data.get(o as usize..o as usize + 4).map(|b| {
                let a = [b[0], b[1], b[2], b[3]];
                if file.byte_order == crate::elf::ByteOrder::Big {
                    u32::from_be_bytes(a)
                } else {
                    u32::from_le_bytes(a)
                }
            })
        };
        let (nbuckets, bloom) = (word(g.offset), word(g.offset + 8));
        if nbuckets == Some(0) || bloom.is_none_or(|b| b == 0 || !b.is_power_of_two()) {
            out.push(finding(
                "gnu-hash",
                "DT_GNU_HASH has no buckets or a bloom filter size that is not a power of two",
            ));
        }
    }
    for vn in &dynamic.verneed {
        if vn.file.is_empty() || vn.aux.iter().any(|a| a.name.is_empty()) {
            out.push(finding(
                "verneed-name",
                format!("a version requirement of '{}' has an empty name", vn.file),
            ));
        }
    }
    if dynamic
        .verdef
        .iter()
        .any(|d| d.names.is_empty() || d.name().is_empty())
    {
        out.push(finding("verdef-name", "a version definition has no name"));
    }
    if let Some(i) = (1..dynamic.symbols.len()).find(|&i| {
        dynamic.symbols[i].name.is_empty() && dynamic.versym.get(i).is_some_and(|v| v & 0x7fff >= 2)
    }) {
        out.push(finding(
            "symbol-name",
            format!("dynamic symbol {i} has a version but no name"),
        ));
    }
    out
}

/// Where the loader will think the program header table is (dl_iterate_phdr, and so every
/// unwinder, reads it there). With PT_PHDR it is PT_PHDR's address, which must describe the
/// table at e_phoff. Without, glibc takes the first PT_LOAD whose page-rounded file window
/// holds e_phoff: if the table is past that segment's p_filesz, it lies in memory the
/// loader zero-fills (the rest of the last page), and the object has no program headers at
/// run time. Checked for 4 KiB pages and, where segments are aligned so, 64 KiB ones.
fn phdr_mapping(file: &ElfFile<'_>, loads: &[&crate::elf::Segment], out: &mut Vec<Finding>) {
    let entry: u64 = if file.class == crate::elf::Class::Elf64 {
        56
    } else {
        32
    };
    let size = entry * file.segments.len() as u64;
    let (start, end) = (file.phoff, file.phoff.saturating_add(size));
    if size == 0 {
        return;
    }
    if let Some(p) = file
        .segments
        .iter()
        .find(|s| s.p_type == object::elf::PT_PHDR.0)
    {
        // A PT_PHDR shorter than the table (LIEF leaves it so when it adds segments) only
        // gives the address: the loader reads e_phnum entries from there, which is fine
        // while a PT_LOAD maps the whole table at that address.
        let mapped = || {
            loads.iter().any(|l| {
                l.offset <= start
                    && end <= l.offset.saturating_add(l.filesz)
                    && l.vaddr.wrapping_sub(l.offset) == p.vaddr.wrapping_sub(p.offset)
            })
        };
        if p.offset != file.phoff || (p.filesz < size && !mapped()) {
            out.push(finding(
                "phdr-mapped",
                format!(
                    "PT_PHDR describes {:#x} bytes at offset {:#x}, the table is {size:#x} bytes at e_phoff {:#x}",
                    p.filesz, p.offset, file.phoff
                ),
            ));
        }
        return;
    }
    let mut pages = vec![0x1000u64];
    if loads.iter().any(|l| l.align >= 0x10000) {
        pages.push(0x10000);
    }
    for page in pages {
        let down = |v: u64| v & !(page - 1);
        let up = |v: u64| v.saturating_add(page - 1) & !(page - 1);
        let holder = loads.iter().find(|l| {
            let mapoff = down(l.offset);
            let window = up(l.vaddr.saturating_add(l.filesz)).saturating_sub(down(l.vaddr));
            mapoff <= start && end <= mapoff.saturating_add(window)
        });
        if let Some(l) = holder {
            if start < l.offset || end > l.offset.saturating_add(l.filesz) {
                out.push(finding(
                    "phdr-mapped",
                    format!(
                        "without PT_PHDR the loader finds the program headers (e_phoff {:#x}) in the PT_LOAD at {:#x}, past its file contents: in memory they would be zeros ({page:#x}-byte pages)",
                        file.phoff, l.vaddr
                    ),
                ));
                return;
            }
        }
    }
}

/// Requirements against the baseline: nothing above it, and everything that remains exists
/// in the baseline release according to the ABI database.
pub fn against_baseline(file: &ElfFile<'_>, baseline: &Baseline) -> Vec<Finding> {
    let mut out = Vec::new();
    if matches!(file.linkage(), Linkage::Static | Linkage::StaticPie) {
        return out;
    }
    let req = Requirements::of_imports(file);
    let target = crate::report::target_of_file(file);
    let plan = crate::patch::plan_for(file, &req, baseline, &Default::default()).ok();
    for v in check::violations(&req, baseline, plan.as_ref()) {
        out.push(finding(
            "version-above-baseline",
            format!(
                "{} {} from {}: {}",
                v.symbol.as_deref().unwrap_or("(unused)"),
                v.version,
                v.library,
                v.fix.describe()
            ),
        ));
    }
    let Some(target) = target else {
        return out;
    };
    let db = abi::db();
    // Every glibc version still required must be defined by that library in the baseline.
    for (lib, vr) in req.version_requirements() {
        let Some(l) = Lib::from_soname(&lib.soname) else {
            continue;
        };
        if vr.name.family() != Family::Glibc || vr.name.as_str() == DT_RELR_MARKER {
            continue;
        }
        let Some((a, b, c)) = vr.name.glibc_triple() else {
            continue;
        };
        let v = abi::GlibcVersion::new(a, b, c);
        if v > baseline.glibc {
            continue; // already reported above
        }
        if !db.library_versions(target, l, baseline.glibc).contains(&v) {
            out.push(finding(
                "version-not-in-baseline",
                format!(
                    "{} does not define {} in glibc {}",
                    lib.soname, vr.name, baseline.glibc
                ),
            ));
        }
    }
    // Every versioned glibc symbol must exist at exactly that version in the baseline.
    for imp in &req.imports {
        let (Some(lib), Some(ver)) = (&imp.library, &imp.version) else {
            continue;
        };
        if Lib::from_soname(lib).is_none() {
            continue;
        };
        let Some((a, b, c)) = ver.glibc_triple() else {
            continue;
        };
        let v = abi::GlibcVersion::new(a, b, c);
        if v > baseline.glibc {
            continue;
        }
        let versions = db.symbol(target, &imp.name);
        // Versioned lookup matches name and version, not the library: any library of the
        // baseline that exports name@version satisfies it, as long as it is loaded.
        let exists = versions.iter().any(|sv| sv.version == v);
        if !exists {
            out.push(finding(
                "symbol-not-in-baseline",
                format!(
                    "{}@{} ({}) does not exist in glibc {} on {}",
                    imp.name,
                    ver,
                    lib,
                    baseline.glibc,
                    target.name()
                ),
            ));
        }
    }
    let _ = VersionName::parse;
    out
}

/// Everything: structure, then the baseline.
pub fn verify(file: &ElfFile<'_>, baseline: &Baseline) -> Vec<Finding> {
    let (mut out, more) = rayon::join(|| structure(file), || against_baseline(file, baseline));
    out.extend(more);
    out
}

/// Section headers, when present, must describe the same file the segments do: inside the
/// file, sane alignments, and allocated sections at the file offset their address maps to.
fn sections(file: &ElfFile<'_>) -> Vec<Finding> {
    use object::elf::{PT_LOAD, SHF_ALLOC, SHT_NOBITS};
    let mut out = Vec::new();
    let len = file.data.len() as u64;
    for (i, s) in file.sections().iter().enumerate().skip(1) {
        if s.sh_type != SHT_NOBITS.0
            && s.size > 0
            && s.offset.checked_add(s.size).is_none_or(|e| e > len)
        {
            out.push(finding(
                "section-in-file",
                format!("section {i} extends past the end of the file"),
            ));
        }
        if s.addralign > 1 && (!s.addralign.is_power_of_two() || s.addralign > 1 << 16) {
            out.push(finding(
                "section-alignment",
                format!("section {i} has alignment {:#x}", s.addralign),
            ));
        }
        if s.flags & SHF_ALLOC.0 != 0 && s.sh_type != SHT_NOBITS.0 {
            let seg = file.segments.iter().find(|g| {
                g.p_type == PT_LOAD.0
                    && s.addr >= g.vaddr
                    && s.addr < g.vaddr.saturating_add(g.filesz)
            });
            if let Some(g) = seg {
                if s.offset.wrapping_sub(g.offset) != s.addr.wrapping_sub(g.vaddr) {
                    out.push(finding(
                        "section-offset",
                        format!(
                            "section {i} is at file offset {:#x}, but its address maps to {:#x}",
                            s.offset,
                            g.offset.wrapping_add(s.addr - g.vaddr)
                        ),
                    ));
                }
            }
        }
    }
    if let Some(d) = &file.dynamic {
        for s in file.sections() {
            let at = |r: Option<crate::elf::Region>| r.map(|r| r.vaddr);
            let expected = match s.sh_type {
                t if t == object::elf::SHT_GNU_VERSYM.0 => at(d.layout.versym),
                t if t == object::elf::SHT_DYNSYM.0 => at(d.layout.symtab),
                t if t == object::elf::SHT_GNU_VERNEED.0 => at(d.layout.verneed),
                t if t == object::elf::SHT_GNU_HASH.0 => at(d.layout.gnu_hash),
                _ => None,
            };
            if expected.is_some_and(|a| a != s.addr) {
                out.push(finding(
                    "section-address",
                    format!(
                        "section type {:#x} at {:#x}, the dynamic section says {:#x}",
                        s.sh_type,
                        s.addr,
                        expected.unwrap_or(0)
                    ),
                ));
            }
            if s.sh_type == object::elf::SHT_GNU_VERSYM.0
                && !d.versym.is_empty()
                && s.size / 2 != d.versym.len() as u64
            {
                out.push(finding(
                    "versym-section",
                    format!(
                        ".gnu.version section has {} entries, the dynamic view {}",
                        s.size / 2,
                        d.versym.len()
                    ),
                ));
            }
            if s.sh_type == object::elf::SHT_DYNSYM.0
                && s.size / d.layout.syment.max(1) != d.symbols.len() as u64
            {
                out.push(finding(
                    "dynsym-section",
                    format!(
                        ".dynsym section has {} entries, the dynamic view {}",
                        s.size / d.layout.syment.max(1),
                        d.symbols.len()
                    ),
                ));
            }
        }
    }
    out
}
