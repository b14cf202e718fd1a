//! The s390x part of the polyfill linker. The object (`polyfill/obj/s390x.o`) is
//! big-endian ELFCLASS64 with RELA relocations. Its position-independent code reaches
//! its own code and data with `larl`/`brasl` (`R_390_PC32DBL`, `R_390_PLT32DBL`: halfword
//! offsets), a glibc data object through its GOT slot (`R_390_GOTENT`: `lgrl` of the
//! slot), and calls glibc functions with `brasl %r14, f@PLT` even under `-fno-plt`: each
//! such import gets a stub in the text blob that jumps through its GOT slot, as a
//! linker's PLT entry would (`%r1` is the ABI's scratch register for exactly that).

use super::{PolyfillError, Resolved};

/// Whether a relocation type calls through the PLT (an import then needs a stub).
pub(super) fn is_plt_call(r_type: u32) -> bool {
    r_type == object::elf::R_390_PLT32DBL.0
}

fn put32(dst: &mut [u8], at: usize, v: u32) -> Result<(), PolyfillError> {
    dst.get_mut(at..at + 4)
        .ok_or(PolyfillError::Range)?
        .copy_from_slice(&v.to_be_bytes());
    Ok(())
}

/// A halfword offset (`*DBL` relocations): even, within ±4 GiB.
fn halfwords(d: i64) -> Result<u32, PolyfillError> {
    if d % 2 != 0 {
        return Err(PolyfillError::Range);
    }
    i32::try_from(d / 2)
        .map(|v| v as u32)
        .map_err(|_| PolyfillError::Range)
}

/// `larl %r1, slot; lg %r1, 0(%r1); br %r1; nopr %r7` at `at`: 16 bytes, the size of the
/// arm stub the layout reserves.
pub(super) fn stub(at: u64, slot: u64) -> Result<[u8; 16], PolyfillError> {
    let d = halfwords(slot as i64 - at as i64)?.to_be_bytes();
    Ok([
        0xc0, 0x10, d[0], d[1], d[2], d[3], // larl %r1, slot
        0xe3, 0x10, 0x10, 0x00, 0x00, 0x04, // lg %r1, 0(%r1)
        0x07, 0xf1, // br %r1
        0x07, 0x07, // nopr %r7 (padding)
    ])
}

/// Apply one relocation at `at` (the place is `r.place`).
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
    match r_type {
        // (S + A - P) >> 1; a PLT call of an import reaches its stub (the target here).
        t if t == R_390_PC32DBL.0 || t == R_390_PLT32DBL.0 => {
            r.require_defined(t)?;
            put32(dst, at, halfwords(s_a - p)?)
        }
        // (GOT slot + A - P) >> 1: `lgrl` of an import's slot.
        t if t == R_390_GOTENT.0 => {
            let g = r.got_slot(t)?;
            put32(dst, at, halfwords(g + addend - p)?)
        }
        t => Err(PolyfillError::Relocation(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stub, checked against GNU as 2.40 (`larl %r1,0x2008` at 0x600 is
    /// `c0 10 00 00 0d 04`, as in a Debian s390x PLT entry), and big-endian fields.
    #[test]
    fn stub_and_fields() {
        assert_eq!(
            stub(0x600, 0x2008).expect("in range"),
            [
                0xc0, 0x10, 0x00, 0x00, 0x0d, 0x04, 0xe3, 0x10, 0x10, 0x00, 0x00, 0x04, 0x07, 0xf1,
                0x07, 0x07
            ]
        );
        assert!(stub(0x600, 0x2009).is_err(), "odd slot");
        let mut b = [0u8; 6];
        let r = Resolved {
            place: 0x1002,
            target: 0x800,
            defined: true,
            got: None,
            got_base: 0,
            local_entry: 0,
        };
        // brasl at 0x1000: the field at 0x1002 holds (target - 0x1000) / 2, addend 2.
        apply(R390_PLT32DBL, &mut b, 2, &r, 2).expect("applies");
        assert_eq!(b, [0, 0, 0xff, 0xff, 0xfc, 0x00]);
        let undefined = Resolved {
            defined: false,
            ..r
        };
        assert_eq!(
            apply(R390_PLT32DBL, &mut b, 2, &undefined, 2),
            Err(PolyfillError::Relocation(R390_PLT32DBL))
        );
        assert_eq!(
            apply(object::elf::R_390_64.0, &mut b, 0, &r, 0),
            Err(PolyfillError::Relocation(object::elf::R_390_64.0))
        );
    }

    /// `larl` of the polyfills' own data (`PC32DBL`) and `lgrl` of an import's GOT slot
    /// (`GOTENT`), as the s390x object uses them: the field is 2 bytes into the
    /// instruction and the addend 2, so the offset counts from the instruction.
    #[test]
    fn pc_relative_data_and_got_slots() {
        let r = Resolved {
            place: 0x1002,
            target: 0x3000,
            defined: true,
            got: Some(0x2000),
            got_base: 0,
            local_entry: 0,
        };
        let mut b = [0u8; 6];
        apply(object::elf::R_390_PC32DBL.0, &mut b, 2, &r, 2).expect("applies");
        // (0x3000 + 2 - 0x1002) / 2 = 0x1000.
        assert_eq!(b, [0, 0, 0x00, 0x00, 0x10, 0x00]);
        apply(object::elf::R_390_GOTENT.0, &mut b, 2, &r, 2).expect("applies");
        // (0x2000 + 2 - 0x1002) / 2 = 0x800.
        assert_eq!(b, [0, 0, 0x00, 0x00, 0x08, 0x00]);
        // An odd difference is no halfword offset; GOTENT needs the target's GOT slot.
        assert_eq!(
            apply(object::elf::R_390_PC32DBL.0, &mut b, 2, &r, 3),
            Err(PolyfillError::Range)
        );
        let no_slot = Resolved { got: None, ..r };
        assert_eq!(
            apply(object::elf::R_390_GOTENT.0, &mut b, 2, &no_slot, 2),
            Err(PolyfillError::Relocation(object::elf::R_390_GOTENT.0))
        );
        // Beyond ±4 GiB.
        let far = Resolved {
            target: 0x2_0000_2000,
            ..r
        };
        assert_eq!(
            apply(object::elf::R_390_PC32DBL.0, &mut b, 2, &far, 2),
            Err(PolyfillError::Range)
        );
    }

    const R390_PLT32DBL: u32 = object::elf::R_390_PLT32DBL.0;
}
