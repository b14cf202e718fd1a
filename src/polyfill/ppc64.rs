//! The polyfill linker's ppc64el (little-endian ELFv2) relocations.
//!
//! The object is `-fPIC -fno-plt` code of the medium code model. Every function sets up
//! its TOC pointer at its global entry point (`addis r2,r12,.TOC.-f@ha; addi r2,r2,...`:
//! `REL16_HA`/`REL16_LO` against `.TOC.`); the polyfills' `.TOC.` is their GOT base (the
//! first of their slots in the data blob), so data is reached TOC-relative
//! (`TOC16_HA`/`TOC16_LO`/`TOC16_LO_DS`) and a glibc function through its GOT slot with
//! GCC's inline PLT sequence (`addis r9,r2,f@plt@ha` `PLT16_HA`; `ld r12,f@plt@l(r9)`
//! `PLT16_LO_DS`; `mtctr r12` `PLTSEQ`; `bctrl` `PLTCALL`; then `ld r2,24(r1)`): the
//! slot's TOC-relative offset is all that needs filling, and no PLT stub is needed. A call
//! between polyfills (`REL24`, or such a sequence, which becomes a `bl`) goes to the
//! callee's local entry point (its `st_other`), which skips the TOC set-up the caller's
//! `r2` makes redundant. An import whose address
//! the code loads from a `.toc` word (an `ADDR64` there) gets that word as its GOT slot,
//! filled by the loader like any other; any other `ADDR64` (an absolute address the loader
//! would have to relocate) is an error, and so is every unknown type.

use std::collections::BTreeMap;

use object::{ObjectSection, ObjectSymbol, RelocationFlags, RelocationTarget};

use super::{get32, put16, put32, Parsed, PolyfillError, Resolved};

/// The inline PLT sequence's markers (ELFv2 ABI; object 0.40 does not name them).
const R_PPC64_PLTSEQ: u32 = 119;
const R_PPC64_PLTCALL: u32 = 120;

const NOP: u32 = 0x6000_0000;
const MTCTR_R12: u32 = 0x7d89_03a6;
const BCTRL: u32 = 0x4e80_0421;

/// The symbol the code names its TOC base by.
pub(super) const TOC_SYMBOL: &str = ".TOC.";

/// The offset of a function's local entry point from its global one, from `st_other`
/// (ELFv2 ABI: bits 5-7; 0 and 1 mean none, 2-6 mean `(1 << v) >> 2` instructions).
pub(super) fn local_entry_offset(st_other: u8) -> u64 {
    match st_other >> 5 {
        v @ 2..=6 => ((1u64 << v) >> 2) << 2,
        _ => 0,
    }
}

/// The imports whose GOT slot is a `.toc` word of a placed writable section: name ->
/// offset in the data blob.
pub(super) fn toc_slots(
    p: &Parsed<'_>,
    place: &BTreeMap<usize, (bool, u64)>,
) -> Result<BTreeMap<String, u64>, PolyfillError> {
    let mut slots = BTreeMap::new();
    for (i, (is_text, off)) in place {
        if *is_text {
            continue;
        }
        for (r_off, rel) in p.section(*i)?.relocations() {
            let RelocationFlags::Elf { r_type } = rel.flags() else {
                continue;
            };
            let RelocationTarget::Symbol(si) = rel.target() else {
                continue;
            };
            let sym = p.symbol_at(si)?;
            if r_type != object::elf::R_PPC64_ADDR64
                || sym.section_index().is_some()
                || rel.addend() != 0
            {
                continue;
            }
            let name = sym
                .name()
                .map_err(|e| PolyfillError::Object(e.to_string()))?;
            slots.entry(name.to_string()).or_insert(off + r_off);
        }
    }
    Ok(slots)
}

/// `#ha` and `#lo` of a 32-bit signed value (the high half adjusted for the sign of the
/// low one, as `addis` + a signed 16-bit displacement need).
fn ha(v: i64) -> Result<u16, PolyfillError> {
    if !(-(1i64 << 31)..(1i64 << 31) - 0x8000).contains(&v) {
        return Err(PolyfillError::Range);
    }
    Ok(((v + 0x8000) >> 16) as u16)
}

fn lo(v: i64) -> u16 {
    v as u16
}

/// A DS-form low half: the displacement's two low bits belong to the opcode.
fn lo_ds(dst: &mut [u8], at: usize, v: i64) -> Result<(), PolyfillError> {
    if v & 3 != 0 {
        return Err(PolyfillError::Range);
    }
    let insn = get32(dst, at)?;
    put32(dst, at, (insn & 0xffff_0003) | (u32::from(lo(v)) & 0xfffc))
}

pub(super) fn apply(
    r_type: u32,
    dst: &mut [u8],
    at: usize,
    r: &Resolved,
    addend: i64,
) -> Result<(), PolyfillError> {
    use object::elf::*;
    let s_a = (r.target as i64).wrapping_add(addend);
    let p = r.place as i64;
    let toc = r.got_base as i64;
    // In little-endian code the 16-bit field of a D-form instruction is its first halfword,
    // at the relocation's offset.
    match r_type {
        t if t == R_PPC64_REL24.0 => {
            r.require_defined(t)?;
            let d = s_a + r.local_entry as i64 - p;
            if d % 4 != 0 || !(-(1 << 25)..(1 << 25)).contains(&d) {
                return Err(PolyfillError::Range);
            }
            let insn = get32(dst, at)?;
            put32(dst, at, (insn & 0xfc00_0003) | (d as u32 & 0x03ff_fffc))
        }
        t if t == R_PPC64_REL16_HA.0 => {
            r.require_defined(t)?;
            put16(dst, at, ha(s_a - p)?)
        }
        t if t == R_PPC64_REL16_LO.0 => {
            r.require_defined(t)?;
            put16(dst, at, lo(s_a - p))
        }
        t if t == R_PPC64_TOC16_HA.0 => {
            r.require_defined(t)?;
            put16(dst, at, ha(s_a - toc)?)
        }
        t if t == R_PPC64_TOC16_LO.0 => {
            r.require_defined(t)?;
            put16(dst, at, lo(s_a - toc))
        }
        t if t == R_PPC64_TOC16_LO_DS.0 => {
            r.require_defined(t)?;
            lo_ds(dst, at, s_a - toc)
        }
        // An inline PLT sequence calling another polyfill becomes a direct call of its
        // local entry point (as GNU ld does): the loads and `mtctr r12` become `nop`, the
        // `bctrl` a `bl`; the TOC save and restore around it stay (harmless).
        t if r.defined && (t == R_PPC64_PLT16_HA.0 || t == R_PPC64_PLT16_LO_DS.0) => {
            put32(dst, at, NOP)
        }
        t if r.defined && t == R_PPC64_PLTSEQ => match get32(dst, at)? {
            MTCTR_R12 => put32(dst, at, NOP),
            _ => Ok(()),
        },
        t if r.defined && t == R_PPC64_PLTCALL => {
            if get32(dst, at)? != BCTRL {
                return Err(PolyfillError::Relocation(t));
            }
            let d = s_a + r.local_entry as i64 - p;
            if d % 4 != 0 || !(-(1 << 25)..(1 << 25)).contains(&d) {
                return Err(PolyfillError::Range);
            }
            put32(dst, at, 0x4800_0001 | (d as u32 & 0x03ff_fffc))
        }
        // The import's GOT slot, TOC-relative (the inline PLT sequence).
        t if t == R_PPC64_PLT16_HA.0 => put16(dst, at, ha(r.got_slot(t)? + addend - toc)?),
        t if t == R_PPC64_PLT16_LO_DS.0 => lo_ds(dst, at, r.got_slot(t)? + addend - toc),
        // Markers of the inline PLT sequence: nothing to change for an import.
        t if t == R_PPC64_PLTSEQ || t == R_PPC64_PLTCALL => Ok(()),
        // A `.toc` word that is the import's own GOT slot: the loader fills it.
        t if t == R_PPC64_ADDR64.0 => match (r.defined, r.got) {
            (false, Some(g)) if g == r.place && addend == 0 => Ok(()),
            _ => Err(PolyfillError::Relocation(t)),
        },
        t => Err(PolyfillError::Relocation(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_and_local_entries() {
        // addis r2,r12,2; addi r2,r2,29724: 0x2741c = (2 << 16) + 0x741c.
        assert_eq!((ha(0x2_741c).expect("in range"), lo(0x2_741c)), (2, 0x741c));
        // A negative low half carries: 0x1_8000 = (2 << 16) - 0x8000.
        assert_eq!((ha(0x1_8000).expect("in range"), lo(0x1_8000)), (2, 0x8000));
        assert_eq!(ha(-8).expect("in range"), 0);
        assert!(ha(1 << 31).is_err());
        // readelf's "[<localentry>: 8]" is st_other 0x60.
        assert_eq!(local_entry_offset(0x60), 8);
        assert_eq!(local_entry_offset(0), 0);
        assert_eq!(local_entry_offset(0x20), 0);
    }
}
