//! The polyfill linker's riscv64 relocations (RELA, little-endian). `polyfill/build.sh`
//! compiles the object with `-mno-relax`: nothing here shrinks code, so `R_RISCV_RELAX`
//! (a hint that an instruction pair may be relaxed) is ignored, and `R_RISCV_ALIGN`
//! (padding that only relaxation would trim) is an error, like every type not handled.
//!
//! A `%pcrel_lo` relocation (`PCREL_LO12_I/S`) does not name the target: its symbol is
//! the label of the `auipc` whose `%pcrel_hi` (`PCREL_HI20`, `GOT_HI20`) did, and the low
//! part is that pair's difference minus its rounded high part. The linker applies a
//! section's relocations in order of their places, so each `auipc`'s difference is
//! recorded ([`PcrelHi`]) before the instruction that completes it; a low part whose
//! `auipc` was not seen is an error. Calls of glibc functions (`CALL_PLT` to an import)
//! go to a 16-byte stub that jumps through the import's GOT slot, as a PLT entry would:
//! `auipc t3, %pcrel_hi(slot); ld t3, %pcrel_lo(slot)(t3); jr t3; nop`.

use std::collections::BTreeMap;

use super::{get16, get32, put16, put32, PolyfillError, Resolved};

/// The difference each `auipc` (by its address) was given, for its `%pcrel_lo`.
#[derive(Default)]
pub(super) struct PcrelHi(BTreeMap<u64, i64>);

// Relocation types (RISC-V psABI).
const BRANCH: u32 = 16;
const JAL: u32 = 17;
const CALL: u32 = 18;
const CALL_PLT: u32 = 19;
const GOT_HI20: u32 = 20;
const PCREL_HI20: u32 = 23;
const PCREL_LO12_I: u32 = 24;
const PCREL_LO12_S: u32 = 25;
const RVC_BRANCH: u32 = 44;
const RVC_JUMP: u32 = 45;
const RELAX: u32 = 51;

/// Whether a relocation of this type against an import calls it (and so needs a stub).
pub(super) fn is_call(r_type: u32) -> bool {
    r_type == CALL || r_type == CALL_PLT
}

/// `%pcrel_hi` and `%pcrel_lo` of a difference: the low part is sign-extended by the
/// instruction that uses it, so the high part rounds to nearest.
fn hi_lo(d: i64) -> Result<(u32, u32), PolyfillError> {
    if !(-(1i64 << 31) - 0x800..(1i64 << 31) - 0x800).contains(&d) {
        return Err(PolyfillError::Range);
    }
    let hi = (d + 0x800) >> 12;
    let lo = d - (hi << 12);
    Ok((hi as u32 & 0xf_ffff, lo as u32 & 0xfff))
}

fn with_u_imm(insn: u32, hi: u32) -> u32 {
    (insn & 0xfff) | (hi << 12)
}

fn with_i_imm(insn: u32, lo: u32) -> u32 {
    (insn & 0x000f_ffff) | (lo << 20)
}

fn with_s_imm(insn: u32, lo: u32) -> u32 {
    (insn & 0x01ff_f07f) | ((lo >> 5) << 25) | ((lo & 0x1f) << 7)
}

/// An even difference that fits `bits` bits, signed.
fn even(d: i64, bits: u32) -> Result<u32, PolyfillError> {
    if d % 2 != 0 || !(-(1i64 << (bits - 1))..(1i64 << (bits - 1))).contains(&d) {
        return Err(PolyfillError::Range);
    }
    Ok(d as u32)
}

fn b_type(insn: u32, d: u32) -> u32 {
    (insn & 0x01ff_f07f)
        | (((d >> 12) & 1) << 31)
        | (((d >> 5) & 0x3f) << 25)
        | (((d >> 1) & 0xf) << 8)
        | (((d >> 11) & 1) << 7)
}

fn j_type(insn: u32, d: u32) -> u32 {
    (insn & 0xfff)
        | (((d >> 20) & 1) << 31)
        | (((d >> 1) & 0x3ff) << 21)
        | (((d >> 11) & 1) << 20)
        | (((d >> 12) & 0xff) << 12)
}

/// `c.beqz`/`c.bnez` (CB format): offset[8|4:3] in bits 12:10, [7:6|2:1|5] in 6:2.
fn cb_type(insn: u16, d: u32) -> u16 {
    let v = (((d >> 8) & 1) << 12)
        | (((d >> 3) & 3) << 10)
        | (((d >> 6) & 3) << 5)
        | (((d >> 1) & 3) << 3)
        | (((d >> 5) & 1) << 2);
    (insn & 0xe383) | v as u16
}

/// `c.j` (CJ format): offset[11|4|9:8|10|6|7|3:1|5] in bits 12:2.
fn cj_type(insn: u16, d: u32) -> u16 {
    let v = (((d >> 11) & 1) << 12)
        | (((d >> 4) & 1) << 11)
        | (((d >> 8) & 3) << 9)
        | (((d >> 10) & 1) << 8)
        | (((d >> 6) & 1) << 7)
        | (((d >> 7) & 1) << 6)
        | (((d >> 1) & 7) << 3)
        | (((d >> 5) & 1) << 2);
    (insn & 0xe003) | v as u16
}

/// The stub at `at` that jumps to the address in the GOT slot `slot`.
pub(super) fn stub(at: u64, slot: u64) -> Result<[u8; 16], PolyfillError> {
    let (hi, lo) = hi_lo(slot as i64 - at as i64)?;
    let words = [
        with_u_imm(0x0000_0e17, hi), // auipc t3, hi
        with_i_imm(0x000e_3e03, lo), // ld t3, lo(t3)
        0x000e_0067,                 // jr t3
        0x0000_0013,                 // nop
    ];
    let mut b = [0u8; 16];
    for (i, w) in words.iter().enumerate() {
        b[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
    }
    Ok(b)
}

/// Apply one relocation at `dst[at..]`.
pub(super) fn apply(
    hi: &mut PcrelHi,
    r_type: u32,
    dst: &mut [u8],
    at: usize,
    r: &Resolved,
    addend: i64,
) -> Result<(), PolyfillError> {
    let s_a = (r.target as i64).wrapping_add(addend);
    let p = r.place as i64;
    // A direct reference (a branch, a call, a PC-relative address) needs a defined target:
    // an import is reached through its stub (calls) or its GOT slot only.
    let direct = |t: u32| r.require_defined(t).map(|()| s_a - p);
    match r_type {
        RELAX => Ok(()),
        BRANCH => {
            let d = even(direct(r_type)?, 13)?;
            put32(dst, at, b_type(get32(dst, at)?, d))
        }
        JAL => {
            let d = even(direct(r_type)?, 21)?;
            put32(dst, at, j_type(get32(dst, at)?, d))
        }
        RVC_BRANCH => {
            let d = even(direct(r_type)?, 9)?;
            put16(dst, at, cb_type(get16(dst, at)?, d))
        }
        RVC_JUMP => {
            let d = even(direct(r_type)?, 12)?;
            put16(dst, at, cj_type(get16(dst, at)?, d))
        }
        // auipc ra, hi; jalr ra, lo(ra)
        CALL | CALL_PLT => {
            let (h, l) = hi_lo(direct(r_type)?)?;
            put32(dst, at, with_u_imm(get32(dst, at)?, h))?;
            put32(dst, at + 4, with_i_imm(get32(dst, at + 4)?, l))
        }
        PCREL_HI20 | GOT_HI20 => {
            let d = match r_type {
                PCREL_HI20 => direct(r_type)?,
                _ => r.got_slot(r_type)? + addend - p,
            };
            let (h, _) = hi_lo(d)?;
            hi.0.insert(r.place, d);
            put32(dst, at, with_u_imm(get32(dst, at)?, h))
        }
        PCREL_LO12_I | PCREL_LO12_S => {
            // The symbol is the auipc's label.
            let d = *hi
                .0
                .get(&(s_a as u64))
                .ok_or(PolyfillError::Relocation(r_type))?;
            let (_, l) = hi_lo(d)?;
            let insn = get32(dst, at)?;
            let v = match r_type {
                PCREL_LO12_I => with_i_imm(insn, l),
                _ => with_s_imm(insn, l),
            };
            put32(dst, at, v)
        }
        t => Err(PolyfillError::Relocation(t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sext(v: u32, bits: u32) -> i64 {
        i64::from(((v << (32 - bits)) as i32) >> (32 - bits))
    }

    /// Each immediate format decoded back (RISC-V unprivileged spec, chapter 2 and the C
    /// extension's CB and CJ formats).
    #[test]
    fn immediates_round_trip() {
        for d in [-4096i64, -2050, -2, 0, 2, 6, 254, 2046, 4094] {
            let i = b_type(0x0000_0063, d as u32);
            let back = ((i >> 31) << 12)
                | (((i >> 7) & 1) << 11)
                | (((i >> 25) & 0x3f) << 5)
                | (((i >> 8) & 0xf) << 1);
            assert_eq!(sext(back, 13), d, "B {d}");
        }
        for d in [-(1i64 << 20), -2, 2, 0x7_fffe, (1 << 20) - 2] {
            let i = j_type(0x0000_006f, d as u32);
            let back = ((i >> 31) << 20)
                | (((i >> 12) & 0xff) << 12)
                | (((i >> 20) & 1) << 11)
                | (((i >> 21) & 0x3ff) << 1);
            assert_eq!(sext(back, 21), d, "J {d}");
        }
        for d in [-256i64, -2, 0, 2, 38, 254] {
            let c = u32::from(cb_type(0xc001, d as u32));
            let back = (((c >> 12) & 1) << 8)
                | (((c >> 10) & 3) << 3)
                | (((c >> 5) & 3) << 6)
                | (((c >> 3) & 3) << 1)
                | (((c >> 2) & 1) << 5);
            assert_eq!(sext(back, 9), d, "CB {d}");
            assert_eq!(c & 0xe383, 0xc001, "CB opcode and rs1' kept");
        }
        for d in [-2048i64, -2, 0, 2, 0x554, 2046] {
            let c = u32::from(cj_type(0xa001, d as u32));
            let back = (((c >> 12) & 1) << 11)
                | (((c >> 11) & 1) << 4)
                | (((c >> 9) & 3) << 8)
                | (((c >> 8) & 1) << 10)
                | (((c >> 7) & 1) << 6)
                | (((c >> 6) & 1) << 7)
                | (((c >> 3) & 7) << 1)
                | (((c >> 2) & 1) << 5);
            assert_eq!(sext(back, 12), d, "CJ {d}");
        }
        // Checked against GNU as (binutils 2.40): `c.j .+6` a019, `c.j .-2048` b001,
        // `beq a0,a1,.+8` 00b50463, `c.beqz a0,.+10` c509, `c.bnez s1,.-256` f081.
        assert_eq!(cj_type(0xa001, 6), 0xa019);
        assert_eq!(cj_type(0xa001, (-2048i32) as u32), 0xb001);
        assert_eq!(b_type(0x00b5_0063, 8), 0x00b5_0463);
        assert_eq!(cb_type(0xc101, 10), 0xc509);
        assert_eq!(cb_type(0xe081, (-256i32) as u32), 0xf081);
    }

    /// `%pcrel_hi` rounds so that hi * 4096 + sext(lo) is the difference.
    #[test]
    fn pcrel_pairs() {
        for d in [
            0i64,
            0x7ff,
            0x800,
            0xfff,
            0x1800,
            -0x800,
            -0x801,
            0x7fff_f7ff,
            -0x8000_0000,
        ] {
            let (h, l) = hi_lo(d).expect("in range");
            assert_eq!(sext(h << 12, 32) + sext(l, 12), d, "{d:#x}");
        }
        assert!(hi_lo(0x7fff_f800).is_err());
        // sd a1,0(a0) -> sd a1,-24(a0) (GNU as: feb53423)
        assert_eq!(with_s_imm(0x00b5_3023, 0xfe8), 0xfeb5_3423);
    }

    /// The stub loads the slot and jumps: decoded back.
    #[test]
    fn import_stub() {
        let at = 0x10_0000u64;
        let slot = 0x20_0ff8u64;
        let b = stub(at, slot).expect("in range");
        let w = |i: usize| u32::from_le_bytes(b[4 * i..4 * i + 4].try_into().expect("4"));
        assert_eq!(w(0) & 0xfff, 0xe17, "auipc t3");
        assert_eq!(w(1) & 0x000f_ffff, 0x000e_3e03, "ld t3, (t3)");
        let target = at as i64 + sext(w(0) & 0xffff_f000, 32) + sext(w(1) >> 20, 12);
        assert_eq!(target as u64, slot);
        assert_eq!(w(2), 0x000e_0067, "jr t3");
    }
}
