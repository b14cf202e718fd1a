//! The startup shim on little-endian 64-bit PowerPC (ELFv2, Debian's ppc64el).
//!
//! glibc's `_start` (`sysdeps/powerpc/powerpc64/start.S`) does not hand `init` to
//! `__libc_start_main` in a register: `r8` points at a `startup_info` structure
//! `{ sda_base, main, init, fini }` in the executable's data, whose `init` and `fini` are
//! NULL since 2.34, and `_start` ends in a tail branch `b __libc_start_main@plt-stub`.
//! The branch is redirected to the shim. When `init` is NULL the shim builds a copy of
//! the structure with its own `init` in a stack frame below `_start`'s (which the
//! never-returning `__libc_start_main` keeps alive), points `r8` at it and branches on to
//! the same PLT call stub, with `_start`'s TOC pointer (`r2`) untouched.
//!
//! The shim uses no TOC: addresses come from a `bcl 20,31` anchor (POWER8, Debian's
//! baseline, has no `addpcis`). Its `init` calls DT_INIT and each DT_INIT_ARRAY entry at
//! the global entry point (`r12` = the address, `mtctr r12; bctrl`) and restores `r2`
//! from its frame's TOC save slot after every call, as an ELFv2 caller must.

use object::build::elf::Builder;

use super::{refuse, PatchError, Shim};

/// The branch `_start` ends with (`b`: opcode 18, AA = LK = 0).
const B: u32 = 0x4800_0000;

fn word(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn sext16(x: u32) -> i64 {
    i64::from(x as u16 as i16)
}

/// The TOC pointer `_start` sets up at its global entry point: `addis r2,r12,hi;
/// addi r2,r2,lo` (r12 = the entry address), or `lis r2,hi; addi r2,r2,lo` where the
/// linker made the prologue absolute in a position-dependent executable.
fn toc_of_start(bytes: &[u8], start: usize, entry: u64) -> Option<u64> {
    let (hi, lo) = (word(bytes, start)?, word(bytes, start + 4)?);
    if lo & 0xffff_0000 != 0x3842_0000 {
        return None;
    }
    let off = (sext16(hi) << 16) + sext16(lo);
    match hi & 0xffff_0000 {
        0x3c4c_0000 => Some((entry as i64 + off) as u64),
        0x3c40_0000 => Some(off as u64),
        _ => None,
    }
}

/// The PLT slot a PLT call stub at `stub` loads, given the TOC pointer.
fn stub_slot(b: &Builder<'_>, stub: u64, toc: u64) -> Option<u64> {
    let (_, bytes, at) = super::code_at(b, stub, 20)?;
    Some((toc as i64 + stub_toc_offset(bytes, at)?) as u64)
}

/// The offset from the TOC pointer of the PLT slot that GNU ld's PLT call stub at `at`
/// loads: `[std r2,24(r1);] ld r12,off(r2); mtctr r12; bctr` when the slot is within
/// 32 KiB of the TOC pointer, else `[std r2,24(r1);] addis rX,r2,ha; ld r12,lo(rX);
/// mtctr r12; bctr` with rX = r12 (binutils 2.40's ELFv2 stubs, seen in every Rust
/// program Debian 12's rustc links) or r11 (older stubs).
pub(crate) fn stub_toc_offset(bytes: &[u8], mut at: usize) -> Option<i64> {
    if word(bytes, at)? == 0xf841_0018 {
        at += 4; // std r2,24(r1)
    }
    let w0 = word(bytes, at)?;
    let (off, next) = if w0 & 0xffff_0003 == 0xe982_0000 {
        (sext16(w0), at + 4)
    } else if matches!(w0 & 0xffff_0000, 0x3d62_0000 | 0x3d82_0000) {
        // addis rX,r2,ha (rX = bits 21..25); then ld r12,lo(rX).
        let rx = (w0 >> 21) & 31;
        let w1 = word(bytes, at + 4)?;
        if w1 & 0xffff_0003 != 0xe980_0000 | (rx << 16) {
            return None;
        }
        ((sext16(w0) << 16) + sext16(w1), at + 8)
    } else {
        return None;
    };
    // mtctr r12; bctr
    if word(bytes, next)? != 0x7d89_03a6 || word(bytes, next + 4)? != 0x4e80_0420 {
        return None;
    }
    Some(off)
}

/// The `b` within 64 bytes of the entry point whose target is a PLT call stub loading
/// `slot`. Returns its offset in the section, its address and the stub's address.
pub(super) fn find_call(
    b: &Builder<'_>,
    bytes: &[u8],
    start: usize,
    sh_addr: u64,
    slot: u64,
) -> Option<(usize, u64, u64)> {
    let toc = toc_of_start(bytes, start, sh_addr + start as u64)?;
    let end = (start + 64).min(bytes.len().saturating_sub(4));
    (start..end).step_by(4).find_map(|i| {
        let insn = word(bytes, i)?;
        if insn & 0xfc00_0003 != B {
            return None;
        }
        let d = i64::from(((insn & 0x03ff_fffc) << 6) as i32 >> 6);
        let pc = sh_addr + i as u64;
        let target = (pc as i64 + d) as u64;
        (stub_slot(b, target, toc)? == slot).then_some((i, pc, target))
    })
}

/// An I-form branch (`b`, or `bl` with `op` 0x4800_0001) from `from` to `to`.
pub(super) fn branch(op: u32, from: u64, to: u64) -> Result<u32, PatchError> {
    let d = to as i64 - from as i64;
    if d % 4 != 0 || !(-(1 << 25)..(1 << 25)).contains(&d) {
        return Err(refuse("shim out of branch range (±32 MiB) of _start"));
    }
    Ok(op | (d as u32 & 0x03ff_fffc))
}

/// A B-form conditional branch (`bc BO,BI`, in `op`) from `from` to `to`, within 32 KiB.
fn branch_cond(op: u32, from: u64, to: u64) -> u32 {
    op | ((to as i64 - from as i64) as u32 & 0xfffc)
}

/// `addis rt,ra,ha(d); addi rt,rt,lo(d)`: `rt = ra + d`.
fn add_large(rt: u32, ra: u32, d: i64) -> Result<[u32; 2], PatchError> {
    let lo = i64::from(d as u16 as i16);
    let ha = (d - lo) >> 16;
    if !(-(1 << 15)..(1 << 15)).contains(&ha) {
        return Err(refuse("init array out of ±2 GiB of the shim"));
    }
    Ok([
        0x3c00_0000 | (rt << 21) | (ra << 16) | (ha as u32 & 0xffff),
        0x3800_0000 | (rt << 21) | (rt << 16) | (lo as u32 & 0xffff),
    ])
}

fn ld(rt: u32, ds: i16, ra: u32) -> u32 {
    0xe800_0000 | (rt << 21) | (ra << 16) | (ds as u16 as u32 & 0xfffc)
}

fn std(rs: u32, ds: i16, ra: u32) -> u32 {
    0xf800_0000 | (rs << 21) | (ra << 16) | (ds as u16 as u32 & 0xfffc)
}

fn mr(ra: u32, rs: u32) -> u32 {
    0x7c00_0378 | (rs << 21) | (ra << 16) | (rs << 11)
}

const MFLR_R0: u32 = 0x7c08_02a6;
const MTLR_R0: u32 = 0x7c08_03a6;
const MTCTR_R12: u32 = 0x7d89_03a6;
const BCTRL: u32 = 0x4e80_0421;
const BLR: u32 = 0x4e80_0020;
/// `bcl 20,31,$+4`: LR = the next instruction's address (the form that does not upset
/// the link-stack predictor).
const BCL_NEXT: u32 = 0x429f_0005;
/// `bne cr0` and `bge cr0` (`bc 4,2` and `bc 4,0`) without their displacement.
const BNE: u32 = 0x4082_0000;
const BGE: u32 = 0x4080_0000;

/// The shim, at `base`. `shim.got_slot` is the PLT call stub `_start` branched to.
pub(super) fn code(base: u64, shim: &Shim) -> Result<Vec<u8>, PatchError> {
    let mut w: Vec<u32> = Vec::new();
    let pc = |w: &Vec<u32>| base + 4 * w.len() as u64;
    // __libc_start_main(argc, argv, envp, auxv, rtld_fini, stinfo = r8, stack_on_entry):
    // keep a non-NULL stinfo->init.
    w.extend_from_slice(&[ld(0, 16, 8), 0x2c20_0000]); // ld r0,16(r8); cmpdi r0,0
    let bne_at = w.len();
    w.push(BNE); // bne -> the final branch
                 // A 128-byte frame (header, parameter save area, the copy at 96(r1)); the PLT stub
                 // saves r2 at 24(r1) of it.
    w.push(0xf821_ff81); // stdu r1,-128(r1)
    for (field, at) in [(0, 96), (8, 104), (24, 120)] {
        w.extend_from_slice(&[ld(0, field, 8), std(0, at, 1)]); // sda_base, main, fini
    }
    w.extend_from_slice(&[MFLR_R0, BCL_NEXT]);
    let anchor = pc(&w);
    w.extend_from_slice(&[0x7d68_02a6, MTLR_R0]); // mflr r11; mtlr r0
    let init_fix = w.len();
    w.extend_from_slice(&[0, 0]); // addis/addi r11 = init (filled below)
    w.push(std(11, 112, 1)); // copy.init = r11
    w.push(0x3901_0060); // addi r8,r1,96
    let b_at = w.len();
    w[bne_at] = branch_cond(BNE, base + 4 * bne_at as u64, pc(&w));
    w.push(branch(B, pc(&w), shim.got_slot)?); // b __libc_start_main's PLT call stub
    let init_at = pc(&w);
    let fix = add_large(11, 11, init_at as i64 - anchor as i64)?;
    w[init_fix..init_fix + 2].copy_from_slice(&fix);
    debug_assert_eq!(b_at + 1, w.len());

    // init(argc = r3, argv = r4, envp = r5): r27-r31 saved in a 144-byte frame (header,
    // parameter save area, the saves at 96..136).
    w.extend_from_slice(&[MFLR_R0, std(0, 16, 1), 0xf821_ff71, std(2, 24, 1)]); // stdu r1,-144(r1)
    for r in 27..32 {
        w.push(std(r, 96 + 8 * (r as i16 - 27), 1));
    }
    w.extend_from_slice(&[mr(31, 3), mr(30, 4), mr(29, 5), BCL_NEXT]);
    let anchor = pc(&w);
    w.push(0x7f88_02a6); // mflr r28
    let call = [
        MTCTR_R12,
        mr(3, 31),
        mr(4, 30),
        mr(5, 29),
        BCTRL,
        ld(2, 24, 1),
    ];
    if let Some(init) = shim.init {
        w.extend_from_slice(&add_large(12, 28, init as i64 - anchor as i64)?);
        w.extend_from_slice(&call);
    }
    if let Some((arr, size)) = shim.init_array {
        w.extend_from_slice(&add_large(27, 28, (arr + size) as i64 - anchor as i64)?);
        w.extend_from_slice(&add_large(28, 28, arr as i64 - anchor as i64)?);
        let lp = w.len();
        w.push(0x7c3c_d840); // cmpld r28,r27
        let bge_at = w.len();
        w.push(BGE);
        w.push(ld(12, 0, 28));
        w.extend_from_slice(&call);
        w.push(0x3b9c_0008); // addi r28,r28,8
        w.push(branch(B, pc(&w), base + 4 * lp as u64)?);
        w[bge_at] = branch_cond(BGE, base + 4 * bge_at as u64, pc(&w));
    }
    for r in 27..32 {
        w.push(ld(r, 96 + 8 * (r as i16 - 27), 1));
    }
    // addi r1,r1,144; ld r0,16(r1); mtlr r0; blr
    w.extend_from_slice(&[0x3821_0090, ld(0, 16, 1), MTLR_R0, BLR]);
    Ok(w.iter().flat_map(|x| x.to_le_bytes()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodings checked against GNU as/objdump (powerpc64le-linux-gnu binutils 2.40).
    #[test]
    fn encodings() {
        // b0c: d4 fc ff 4b  b 7e0 (a Debian _start's branch to its PLT call stub)
        assert_eq!(branch(B, 0xb0c, 0x7e0).expect("in range"), 0x4bff_fcd4);
        assert!(branch(B, 0, 1 << 25).is_err());
        assert_eq!(ld(12, -32496, 2), 0xe982_8110); // ld r12,-32496(r2)
        assert_eq!(std(2, 24, 1), 0xf841_0018); // std r2,24(r1)
        assert_eq!(std(31, 128, 1), 0xfbe1_0080); // std r31,128(r1)
        assert_eq!(mr(9, 1), 0x7c29_0b78); // mr r9,r1
        assert_eq!(branch_cond(BGE, 0x100, 0x130), 0x4080_0030); // bge 0x130
        assert_eq!(branch_cond(BNE, 0x100, 0xf0), 0x4082_fff0); // bne 0xf0
                                                                // addis r2,r12,2; addi r2,r2,29724 (0x741c)
        assert_eq!(
            add_large(2, 12, 0x2_741c).expect("in range"),
            [0x3c4c_0002, 0x3842_741c]
        );
        // A negative low half carries into the high one: 0x1_8000 = (2 << 16) - 0x8000.
        assert_eq!(
            add_large(12, 28, 0x1_8000).expect("in range"),
            [0x3d9c_0002, 0x398c_8000]
        );
        let start = [0x3c4c_0002u32, 0x3842_741c]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect::<Vec<u8>>();
        assert_eq!(toc_of_start(&start, 0, 0xae4), Some(0x2_7f00));
    }

    fn le(words: &[u32]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    /// GNU ld's three PLT call stub forms (binutils 2.40, objdump of Debian 12 builds).
    #[test]
    fn plt_call_stub_forms() {
        const MTCTR_BCTR: [u32; 2] = [0x7d89_03a6, 0x4e80_0420];
        // std r2,24(r1); ld r12,-32496(r2) (a C program's stub)
        let near = le(&[0xf841_0018, 0xe982_8110, MTCTR_BCTR[0], MTCTR_BCTR[1]]);
        assert_eq!(stub_toc_offset(&near, 0), Some(-32496));
        // std r2,24(r1); addis r12,r2,-1; ld r12,32696(r12) (a Rust program's stub: its
        // PLT slot is 0x8048 bytes below the TOC pointer)
        let far12 = le(&[
            0xf841_0018,
            0x3d82_ffff,
            0xe98c_7fb8,
            MTCTR_BCTR[0],
            MTCTR_BCTR[1],
        ]);
        assert_eq!(stub_toc_offset(&far12, 0), Some(-0x8048));
        // addis r11,r2,1; ld r12,-16(r11)
        let far11 = le(&[0x3d62_0001, 0xe98b_fff0, MTCTR_BCTR[0], MTCTR_BCTR[1]]);
        assert_eq!(stub_toc_offset(&far11, 0), Some(0x1_0000 - 16));
        // addis r12,r2,-1; ld r12,32696(r11): not a stub (the load's base is not the
        // register the addis set).
        let mixed = le(&[0x3d82_ffff, 0xe98b_7fb8, MTCTR_BCTR[0], MTCTR_BCTR[1]]);
        assert_eq!(stub_toc_offset(&mixed, 0), None);
        // Without the mtctr r12; bctr tail: not a stub.
        let no_tail = le(&[0xe982_8110, 0x6000_0000, 0x6000_0000]);
        assert_eq!(stub_toc_offset(&no_tail, 0), None);
    }
}
