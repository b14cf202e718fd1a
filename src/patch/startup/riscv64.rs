//! The startup shim on riscv64. glibc's `_start` (sysdeps/riscv/start.S) calls
//! `__libc_start_main@plt` with `init` in `a3`: a `jal ra` once the linker relaxed
//! `call`, else `auipc ra; jalr ra`. A `jal` reaches ±1 MiB only, and the shim's new
//! PT_LOAD sits after all of the file, so the redirect is made in the PLT stub
//! instead (`auipc t3; ld t3; jalr t1, t3; nop`, only `_start` calls it): its first
//! two instructions become `auipc t3, %pcrel_hi(shim); jr %pcrel_lo(shim)(t3)`, which
//! reaches ±2 GiB. The shim ends the way the stub did: `t1` holds the address after the
//! stub's `jalr` (the lazy-binding PLT header computes the slot's index from it) and
//! `t3` the slot's value.

use object::build::elf::{Builder, SectionId};

use super::{refuse, Shim};
use crate::patch::PatchError;

const ZERO: u32 = 0;
const RA: u32 = 1;
const SP: u32 = 2;
const T0: u32 = 5;
const T1: u32 = 6;
const S0: u32 = 8;
const S1: u32 = 9;
const A0: u32 = 10;
const A1: u32 = 11;
const A2: u32 = 12;
const A3: u32 = 13;
const S2: u32 = 18;
const S3: u32 = 19;
const S4: u32 = 20;
const T3: u32 = 28;

fn i_type(opcode: u32, funct3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    ((imm as u32 & 0xfff) << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode
}

fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x13, 0, rd, rs1, imm)
}

fn ld(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x03, 3, rd, rs1, imm)
}

fn jalr(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x67, 0, rd, rs1, imm)
}

/// `jr lo(rs1)`, in `pair`'s shape (`rd` is the `auipc`'s, not written).
fn jr(_rd: u32, rs1: u32, imm: i32) -> u32 {
    jalr(ZERO, rs1, imm)
}

fn sd(rs2: u32, rs1: u32, imm: i32) -> u32 {
    let imm = imm as u32 & 0xfff;
    ((imm >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (3 << 12) | ((imm & 0x1f) << 7) | 0x23
}

fn auipc(rd: u32, hi: i32) -> u32 {
    ((hi as u32) << 12) | (rd << 7) | 0x17
}

/// A conditional branch (`funct3`: 1 `bne`, 7 `bgeu`) by `d` bytes.
fn branch(funct3: u32, rs1: u32, rs2: u32, d: i64) -> u32 {
    let imm = d as u32;
    (((imm >> 12) & 1) << 31)
        | (((imm >> 5) & 0x3f) << 25)
        | (rs2 << 20)
        | (rs1 << 15)
        | (funct3 << 12)
        | (((imm >> 1) & 0xf) << 8)
        | (((imm >> 11) & 1) << 7)
        | 0x63
}

/// `jal rd` by `d` bytes.
fn jal(rd: u32, d: i64) -> u32 {
    let imm = d as u32;
    (((imm >> 20) & 1) << 31)
        | (((imm >> 1) & 0x3ff) << 21)
        | (((imm >> 11) & 1) << 20)
        | (((imm >> 12) & 0xff) << 12)
        | (rd << 7)
        | 0x6f
}

/// `%pcrel_hi` and `%pcrel_lo` of `to` seen from an `auipc` at `from`: the low part is
/// sign-extended by the instruction that uses it, so the high part rounds to nearest.
fn pcrel(from: u64, to: u64) -> Result<(i32, i32), PatchError> {
    let d = to.wrapping_sub(from) as i64;
    if !(-(1i64 << 31) - 0x800..(1i64 << 31) - 0x800).contains(&d) {
        return Err(refuse("riscv64 shim out of auipc range (±2 GiB)"));
    }
    let hi = ((d + 0x800) >> 12) as i32;
    let lo = (d - (i64::from(hi) << 12)) as i32;
    Ok((hi, lo))
}

/// The PC-relative pair `auipc rd, hi; <second> rd, lo(rd)` for `to` at `pc`.
fn pair(
    rd: u32,
    pc: u64,
    to: u64,
    second: fn(u32, u32, i32) -> u32,
) -> Result<[u32; 2], PatchError> {
    let (hi, lo) = pcrel(pc, to)?;
    Ok([auipc(rd, hi), second(rd, rd, lo)])
}

fn sign_extend(v: u32, bits: u32) -> i64 {
    i64::from(((v << (32 - bits)) as i32) >> (32 - bits))
}

fn word(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Where an `auipc rd` at `pc` and the I-type instruction after it (`ld`/`addi`/`jalr`
/// with `rs1 = rd`) point, if they form such a pair.
fn decode_pair(pc: u64, auipc_w: u32, second: u32) -> Option<(u32, u64)> {
    if auipc_w & 0x7f != 0x17 {
        return None;
    }
    let rd = (auipc_w >> 7) & 0x1f;
    if (second >> 15) & 0x1f != rd {
        return None;
    }
    let hi = i64::from((auipc_w & 0xffff_f000) as i32);
    let lo = sign_extend(second >> 20, 12);
    Some((rd, (pc as i64).wrapping_add(hi).wrapping_add(lo) as u64))
}

/// The GOT slot a standard PLT stub at `stub` loads: `auipc t3, hi; ld t3, lo(t3);
/// jalr t1, t3`.
fn plt_slot(bytes: &[u8], off: usize, stub: u64) -> Option<u64> {
    let (a, l, j) = (
        word(bytes, off)?,
        word(bytes, off + 4)?,
        word(bytes, off + 8)?,
    );
    if a & 0xfff != (T3 << 7) | 0x17 || l & 0x000f_ffff != ld(T3, T3, 0) || j != jalr(T1, T3, 0) {
        return None;
    }
    decode_pair(stub, a, l).map(|(_, slot)| slot)
}

/// The PLT stub `_start` calls that loads `slot`, within 64 bytes of the entry point:
/// (its section, offset, address). `_start` mixes 2-byte (C extension) and 4-byte
/// instructions, so it is walked instruction by instruction.
pub(super) fn find_call(
    b: &Builder<'_>,
    bytes: &[u8],
    start: usize,
    sh_addr: u64,
    slot: u64,
) -> Option<(SectionId, usize, u64)> {
    let end = (start + 64).min(bytes.len());
    let mut i = start;
    while i + 2 <= end {
        let half = u16::from_le_bytes(bytes.get(i..i + 2)?.try_into().ok()?);
        if half & 3 != 3 {
            i += 2;
            continue;
        }
        let w = word(bytes, i)?;
        let pc = sh_addr + i as u64;
        let target = if w & 0xfff == (RA << 7) | 0x6f {
            // jal ra, imm
            let imm = ((w >> 31) << 20)
                | (((w >> 12) & 0xff) << 12)
                | (((w >> 20) & 1) << 11)
                | (((w >> 21) & 0x3ff) << 1);
            Some((pc as i64 + sign_extend(imm, 21)) as u64)
        } else if w & 0xfff == (RA << 7) | 0x17 {
            // auipc ra, hi; jalr ra, lo(ra)
            word(bytes, i + 4)
                .filter(|j| j & 0x000f_ffff == jalr(RA, RA, 0))
                .and_then(|j| decode_pair(pc, w, j))
                .map(|(_, t)| t)
        } else {
            None
        };
        if let Some(target) = target {
            let found = super::code_at(b, target, 16).and_then(|(id, pb, off)| {
                (plt_slot(pb, off, target)? == slot).then_some((id, off, target))
            });
            if found.is_some() {
                return found;
            }
        }
        i += 4;
    }
    None
}

/// The stub's new first two instructions: `auipc t3, hi(shim); jr lo(shim)(t3)`.
pub(super) fn stub_patch(stub: u64, base: u64) -> Result<Vec<u8>, PatchError> {
    let p = pair(T3, stub, base, jr)?;
    Ok(p.iter().flat_map(|w| w.to_le_bytes()).collect())
}

/// The shim at `base`. `shim.call_addr` is the PLT stub, `shim.got_slot` its GOT slot.
pub(super) fn code(base: u64, shim: &Shim) -> Result<Vec<u8>, PatchError> {
    let mut w: Vec<u32> = Vec::new();
    let pc = |w: &Vec<u32>| base + 4 * w.len() as u64;
    // init given (a3 != 0): keep it; else a3 = the init routine below.
    let init_at = base + 4 * 8;
    w.push(branch(1, A3, ZERO, 12)); // bnez a3, 1f
    let p = pair(A3, pc(&w), init_at, addi)?;
    w.extend_from_slice(&p);
    // 1: what the PLT stub does, as if from the stub: t1 = stub + 12, t3 = *slot.
    let p = pair(T1, pc(&w), shim.call_addr + 12, addi)?;
    w.extend_from_slice(&p);
    let p = pair(T3, pc(&w), shim.got_slot, ld)?;
    w.extend_from_slice(&p);
    w.push(jalr(ZERO, T3, 0)); // jr t3
    debug_assert_eq!(pc(&w), init_at);
    // init(argc = a0, argv = a1, envp = a2): keep them in s0-s2 across the calls.
    w.push(addi(SP, SP, -48));
    for (k, r) in [RA, S0, S1, S2, S3, S4].into_iter().enumerate() {
        w.push(sd(r, SP, 40 - 8 * k as i32));
    }
    w.extend_from_slice(&[addi(S0, A0, 0), addi(S1, A1, 0), addi(S2, A2, 0)]);
    let args = [addi(A0, S0, 0), addi(A1, S1, 0), addi(A2, S2, 0)];
    if let Some(init) = shim.init {
        // a0-a2 still hold the arguments.
        let p = pair(RA, pc(&w), init, jalr)?; // call DT_INIT
        w.extend_from_slice(&p);
    }
    if let Some((arr, size)) = shim.init_array {
        let p = pair(S3, pc(&w), arr, addi)?;
        w.extend_from_slice(&p);
        let p = pair(S4, pc(&w), arr + size, addi)?;
        w.extend_from_slice(&p);
        // loop: bgeu s3, s4, done; ld t0, 0(s3); args; jalr t0; addi s3, s3, 8; j loop
        w.push(branch(7, S3, S4, 4 * 8));
        w.push(ld(T0, S3, 0));
        w.extend_from_slice(&args);
        w.push(jalr(RA, T0, 0));
        w.push(addi(S3, S3, 8));
        w.push(jal(ZERO, -4 * 7));
    }
    for (k, r) in [RA, S0, S1, S2, S3, S4].into_iter().enumerate() {
        w.push(ld(r, SP, 40 - 8 * k as i32));
    }
    w.push(addi(SP, SP, 48));
    w.push(jalr(ZERO, RA, 0)); // ret
    Ok(w.iter().flat_map(|x| x.to_le_bytes()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodings checked against GNU as/objdump (Debian 12's riscv64-linux-gnu
    /// binutils 2.40).
    #[test]
    fn encodings() {
        assert_eq!(addi(SP, SP, -48), 0xfd01_0113); // addi sp,sp,-48
        assert_eq!(sd(RA, SP, 40), 0x0211_3423); // sd ra,40(sp)
        assert_eq!(ld(RA, SP, 40), 0x0281_3083); // ld ra,40(sp)
        assert_eq!(jalr(ZERO, RA, 0), 0x0000_8067); // ret
        assert_eq!(jalr(T1, T3, 0), 0x000e_0367); // jalr t1,t3 (a PLT stub's)
        assert_eq!(branch(1, A3, ZERO, 12), 0x0006_9663); // bnez a3,+12
        assert_eq!(branch(7, S3, S4, 32), 0x0349_f063); // bgeu s3,s4,+32
        assert_eq!(jal(ZERO, -28), 0xfe5f_f06f); // j -28
        assert_eq!(auipc(T3, 2), 0x0000_2e17); // auipc t3,0x2
        assert_eq!(ld(T3, T3, -1432), 0xa68e_3e03); // ld t3,-1432(t3)
        assert_eq!(sd(S4, SP, 0), 0x0141_3023); // sd s4,0(sp)
        assert_eq!(ld(T0, S3, 0), 0x0009_b283); // ld t0,0(s3)
    }

    /// `%pcrel_hi` rounds so that the sign-extended `%pcrel_lo` lands on the target,
    /// for low parts on both sides of 0x800 and backwards.
    #[test]
    fn pcrel_pairs_decode_to_their_target() {
        let from = 0x1_0000u64;
        for d in [
            0i64,
            4,
            0x7ff,
            0x800,
            0x801,
            0xfff,
            0x1000,
            0x12_3800,
            -4,
            -0x800,
            -0x801,
            -0x12_3456,
            0x7fff_f7ff,
            -0x8000_0000,
        ] {
            let to = (from as i64 + d) as u64;
            for second in [addi as fn(u32, u32, i32) -> u32, ld, jalr] {
                let [a, s] = pair(T3, from, to, second).expect("in range");
                assert_eq!(decode_pair(from, a, s), Some((T3, to)), "d = {d:#x}");
                let lo = sign_extend(s >> 20, 12);
                assert!((-0x800..0x800).contains(&lo));
            }
        }
        assert!(pcrel(0, 0x7fff_f800).is_err());
        assert!(pcrel(0x8000_0801, 0).is_err());
        // The stub of a Debian 12 build: 5b0 auipc t3,0x2; 5b4 ld t3,-1432(t3) -> 0x2018.
        assert_eq!(
            decode_pair(0x5b0, 0x0000_2e17, 0xa68e_3e03),
            Some((T3, 0x2018))
        );
    }

    fn decode_all(code: &[u8]) -> Vec<u32> {
        code.chunks(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect()
    }

    /// The shim's control flow and addresses, decoded back from its words.
    #[test]
    fn shim_decodes() {
        let base = 0x40_0000u64;
        let shim = Shim {
            arch: super::super::Arch::Riscv64,
            section: dummy_section(),
            got_slot: 0x2018,
            call_section: dummy_section(),
            call_offset: 0x5b0,
            call_addr: 0x5b0,
            init: Some(0x640),
            init_array: Some((0x1e08, 16)),
        };
        let w = decode_all(&code(base, &shim).expect("encodes"));
        let at = |k: usize| base + 4 * k as u64;
        // bnez a3 skips the two instructions that set a3 to the init routine.
        assert_eq!(w[0], branch(1, A3, ZERO, 12));
        assert_eq!(decode_pair(at(1), w[1], w[2]), Some((A3, at(8))));
        assert_eq!(w[2] & 0x7f, 0x13, "addi");
        assert_eq!(decode_pair(at(3), w[3], w[4]), Some((T1, 0x5bc)));
        assert_eq!(decode_pair(at(5), w[5], w[6]), Some((T3, 0x2018)));
        assert_eq!(w[6] & 0x707f, 0x3003, "ld");
        assert_eq!(w[7], jalr(ZERO, T3, 0));
        // init: frame, DT_INIT through ra, the array bounds, the loop.
        assert_eq!(w[8], addi(SP, SP, -48));
        assert_eq!(
            w[15..18],
            [addi(S0, A0, 0), addi(S1, A1, 0), addi(S2, A2, 0)]
        );
        assert_eq!(decode_pair(at(18), w[18], w[19]), Some((RA, 0x640)));
        assert_eq!(w[19] & 0x0000_0fff, 0x0e7, "jalr ra");
        assert_eq!(decode_pair(at(20), w[20], w[21]), Some((S3, 0x1e08)));
        assert_eq!(decode_pair(at(22), w[22], w[23]), Some((S4, 0x1e18)));
        assert_eq!(w[24], branch(7, S3, S4, 32), "to the restore at 32");
        assert_eq!(w[25], ld(T0, S3, 0));
        assert_eq!(
            w[26..29],
            [addi(A0, S0, 0), addi(A1, S1, 0), addi(A2, S2, 0)]
        );
        assert_eq!(w[29], jalr(RA, T0, 0));
        assert_eq!(w[31], jal(ZERO, -28), "back to the bgeu");
        assert_eq!(w[32], ld(RA, SP, 40));
        assert_eq!(*w.last().expect("ret"), jalr(ZERO, RA, 0));
        assert!(4 * w.len() <= super::super::SHIM_SIZE);
        // The stub's patch jumps to the shim.
        let p = decode_all(&stub_patch(0x5b0, base).expect("in range"));
        assert_eq!(decode_pair(0x5b0, p[0], p[1]), Some((T3, base)));
        assert_eq!(p[1] & 0xf8_7fff, jalr(ZERO, T3, 0) & 0xf8_7fff);
        assert_eq!((p[1] >> 7) & 0x1f, ZERO, "jr, not a call");
    }

    fn dummy_section() -> SectionId {
        let mut b = Builder::new(object::Endianness::Little, true);
        b.sections.add().id()
    }
}
