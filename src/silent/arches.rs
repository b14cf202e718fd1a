//! The silent-change scan on i386, armhf (ARM and Thumb-2), s390x and riscv64: the calls
//! and tail calls through a function's PLT entry, each with the value its instructions
//! put in the argument (register, or stack slot on i386) just before.
//!
//! A value is reported only when it is certain: a walk forward from an instruction that
//! sets the argument from an immediate reaches the call instruction exactly, through
//! instructions each known here (length and which register or stack slot it writes), none
//! a branch, none writing the argument but to finish building the same constant (`movt`,
//! `addi` of the register to itself). Every start within a short window before the call
//! is tried; when two starts disagree on the value (the bytes read two ways), none is
//! reported. An unknown instruction ends the walk: a use not seen is not reported.

use crate::elf::{ByteOrder, Class, ElfFile};

/// The architectures of this module.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub(super) enum Arch {
    I386,
    Arm,
    S390x,
    Riscv64,
    Ppc64le,
}

impl Arch {
    pub(super) fn of(file: &ElfFile<'_>) -> Option<Arch> {
        use object::elf::{EM_386, EM_ARM, EM_PPC64, EM_RISCV, EM_S390};
        let (m, c, o) = (file.machine, file.class, file.byte_order);
        match (m, c, o) {
            _ if m == EM_386.0 && c == Class::Elf32 && o == ByteOrder::Little => Some(Arch::I386),
            _ if m == EM_ARM.0 && c == Class::Elf32 && o == ByteOrder::Little => Some(Arch::Arm),
            _ if m == EM_PPC64.0 && c == Class::Elf64 && o == ByteOrder::Little => {
                Some(Arch::Ppc64le)
            }
            _ if m == EM_S390.0 && c == Class::Elf64 && o == ByteOrder::Big => Some(Arch::S390x),
            _ if m == EM_RISCV.0 && c == Class::Elf64 && o == ByteOrder::Little => {
                Some(Arch::Riscv64)
            }
            _ => None,
        }
    }

    /// (JUMP_SLOT, GLOB_DAT) relocation types.
    pub(super) fn slot_relocs(self) -> (u32, u32) {
        match self {
            Arch::I386 => (object::elf::R_386_JMP_SLOT.0, object::elf::R_386_GLOB_DAT.0),
            Arch::Arm => (
                object::elf::R_ARM_JUMP_SLOT.0,
                object::elf::R_ARM_GLOB_DAT.0,
            ),
            Arch::S390x => (object::elf::R_390_JMP_SLOT.0, object::elf::R_390_GLOB_DAT.0),
            // riscv64 has no GLOB_DAT: a GOT entry is an R_RISCV_64.
            Arch::Riscv64 => (object::elf::R_RISCV_JUMP_SLOT.0, object::elf::R_RISCV_64.0),
            Arch::Ppc64le => (
                object::elf::R_PPC64_JMP_SLOT.0,
                object::elf::R_PPC64_GLOB_DAT.0,
            ),
        }
    }
}

fn le16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn sext(v: u32, bits: u32) -> i64 {
    i64::from(((v << (32 - bits)) as i32) >> (32 - bits))
}

/// For each of `symbols`, the GOT slots the loader fills with it (its relocations of the
/// architecture's JUMP_SLOT and GLOB_DAT types, `(jump_slot, glob_dat)`, in DT_REL,
/// DT_RELA and DT_JMPREL), for a file of any class and byte order: one pass over the
/// symbols and one over the relocations (hundreds of thousands in the largest libraries)
/// for all of them.
pub(super) fn got_slots(
    file: &ElfFile<'_>,
    (jump_slot, glob_dat): (u32, u32),
    symbols: &[&str],
    offset_of: impl Fn(u64, u64) -> Option<usize>,
) -> Vec<Vec<u64>> {
    let mut slots = vec![Vec::new(); symbols.len()];
    let Some(dynamic) = &file.dynamic else {
        return slots;
    };
    // (symbol index, which of `symbols`) of each undefined symbol named by one.
    let indices: Vec<(u64, usize)> = dynamic
        .table
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_undefined())
        .flat_map(|(i, s)| {
            symbols
                .iter()
                .enumerate()
                .filter(move |(_, name)| dynamic.name_is(&s, name.as_bytes()))
                .map(move |(k, _)| (i as u64, k))
        })
        .collect();
    if indices.is_empty() {
        return slots;
    }
    let is64 = file.class == Class::Elf64;
    let big = file.byte_order == ByteOrder::Big;
    // One word reader per class and byte order, chosen once: the loop below runs over
    // every relocation of the file.
    fn read<const N: usize>(data: &[u8], at: usize, from: fn([u8; N]) -> u64) -> Option<u64> {
        Some(from(data.get(at..at.checked_add(N)?)?.try_into().ok()?))
    }
    let word: &dyn Fn(usize) -> Option<u64> = match (is64, big) {
        (true, false) => &|at| read(file.data, at, u64::from_le_bytes),
        (true, true) => &|at| read(file.data, at, u64::from_be_bytes),
        (false, false) => &|at| read(file.data, at, |a| u64::from(u32::from_le_bytes(a))),
        (false, true) => &|at| read(file.data, at, |a| u64::from(u32::from_be_bytes(a))),
    };
    let w = if is64 { 8 } else { 4 };
    let rela = |tag: i64| -> bool {
        match tag {
            t if t == object::elf::DT_RELA.0 => true,
            t if t == object::elf::DT_REL.0 => false,
            // DT_JMPREL: DT_PLTREL says which.
            _ => dynamic.value(object::elf::DT_PLTREL.0) == Some(7),
        }
    };
    let tables = [
        (object::elf::DT_RELA, object::elf::DT_RELASZ),
        (object::elf::DT_REL, object::elf::DT_RELSZ),
        (object::elf::DT_JMPREL, object::elf::DT_PLTRELSZ),
    ];
    for (addr_tag, size_tag) in tables {
        let (Some(addr), Some(size)) = (dynamic.value(addr_tag.0), dynamic.value(size_tag.0))
        else {
            continue;
        };
        let Some(start) = offset_of(addr, size) else {
            continue;
        };
        let entry = if rela(addr_tag.0) { 3 * w } else { 2 * w };
        for k in 0..(size as usize / entry) {
            let at = start + entry * k;
            // r_info follows r_offset: where it can be read, so can r_offset, which is
            // read only for the few relocations of the wanted types.
            let Some(r_info) = word(at + w) else {
                break;
            };
            let (sym, ty) = if is64 {
                (r_info >> 32, (r_info & 0xffff_ffff) as u32)
            } else {
                (r_info >> 8, (r_info & 0xff) as u32)
            };
            if ty == jump_slot || ty == glob_dat {
                let Some(r_offset) = word(at) else {
                    break;
                };
                for &(_, k) in indices.iter().filter(|(i, _)| *i == sym) {
                    slots[k].push(r_offset);
                }
            }
        }
    }
    slots
}

/// A walk's step: the instruction at `at` is `len` bytes long and leaves the tracked value
/// `next` (None: not a known constant any more); None: an instruction not known here, or
/// a branch (the walk ends).
type Step<S> = Option<(usize, Option<S>)>;

/// The tracked value at `call`, walking from `start`, whose instruction must set it.
fn walk<S: Copy>(
    start: usize,
    call: usize,
    step: impl Fn(usize, Option<S>) -> Step<S>,
) -> Option<S> {
    let (len, mut v) = step(start, None)?;
    v?;
    let mut at = start + len;
    while at < call {
        let (len, next) = step(at, v)?;
        v = next;
        at += len;
    }
    if at == call {
        v
    } else {
        None
    }
}

/// The one value every start in `starts` that walks to `call` agrees on, of those the
/// walk leaves where the argument is (`accept`).
fn agreed<S: Copy + PartialEq>(
    starts: impl Iterator<Item = usize>,
    call: usize,
    step: impl Fn(usize, Option<S>) -> Step<S>,
    accept: impl Fn(&S) -> bool,
) -> Option<S> {
    let mut found: Option<S> = None;
    for s in starts {
        if let Some(v) = walk(s, call, &step).filter(|v| accept(v)) {
            match found {
                Some(f) if f != v => return None,
                _ => found = Some(v),
            }
        }
    }
    found
}

/// Each call or tail call in `text` reaching one of `slots`, with the value of integer
/// argument `arg` seen just before it: (address of the call, value).
pub(super) fn calls(
    arch: Arch,
    file: &ElfFile<'_>,
    text: &[(u64, &[u8])],
    slots: &[u64],
    arg: u8,
) -> Vec<(u64, u64)> {
    match arch {
        Arch::I386 => i386_calls(file, text, slots, arg),
        Arch::Arm => arm_calls(text, slots, arg),
        Arch::S390x => s390x_calls(text, slots, arg),
        Arch::Riscv64 => riscv64_calls(text, slots, arg),
        Arch::Ppc64le => ppc64_calls(text, slots, arg),
    }
}

// ---------------------------------------------------------------------------------------
// i386: arguments on the stack. The tracked state is (value, its offset from %esp).

/// The length of a ModRM operand (ModRM byte, SIB, displacement) at `at`, and, for an
/// `%esp`-based memory operand without index, its displacement.
fn modrm(b: &[u8], at: usize) -> Option<(usize, Option<i64>, u8, u8)> {
    let m = *b.get(at)?;
    let (md, reg, rm) = (m >> 6, (m >> 3) & 7, m & 7);
    if md == 3 {
        return Some((1, None, reg, rm));
    }
    let mut len = 1;
    let mut esp = None;
    if rm == 4 {
        let sib = *b.get(at + 1)?;
        len += 1;
        if sib == 0x24 {
            esp = Some(0);
        }
        if md == 0 && sib & 7 == 5 {
            return Some((len + 4, None, reg, 8));
        }
    } else if md == 0 && rm == 5 {
        return Some((len + 4, None, reg, 8));
    }
    let disp = match md {
        1 => {
            len += 1;
            i64::from(*b.get(at + len - 1)? as i8)
        }
        2 => {
            len += 4;
            i64::from(le32(b, at + len - 4)? as i32)
        }
        _ => 0,
    };
    Some((
        len,
        esp.map(|_| disp),
        reg,
        if esp.is_some() { 4 } else { 9 },
    ))
}

/// One i386 instruction; the state is (value, offset from %esp).
fn i386_step(b: &[u8], at: usize, st: Option<(u64, i64)>) -> Step<(u64, i64)> {
    let op = *b.get(at)?;
    let push = |len: usize| Some((len, st.map(|(v, o)| (v, o + 4))));
    match op {
        0x50..=0x57 => push(1),
        0x68 if st.is_some() => push(5),
        0x6a if st.is_some() => push(2),
        // push $imm: the argument, when the walk starts here.
        0x68 => Some((5, Some((u64::from(le32(b, at + 1)?), 0)))),
        0x6a => Some((
            2,
            Some((sext(u32::from(*b.get(at + 1)?), 8) as u32 as u64, 0)),
        )),
        // push r/m32
        0xff => {
            let (len, _, reg, _) = modrm(b, at + 1)?;
            (reg == 6).then_some(())?;
            push(1 + len)
        }
        // mov r/m32, r32; lea: not into %esp.
        0x8b | 0x8d => {
            let (len, _, reg, _) = modrm(b, at + 1)?;
            (reg != 4).then_some((1 + len, st))
        }
        // mov $imm32, r32 (not %esp)
        0xb8..=0xbb | 0xbd..=0xbf => Some((5, st)),
        // mov r32, r/m32 and mov $imm32, r/m32: to a register, or to the stack at an
        // offset from %esp (which, at the argument's offset, is the argument).
        0x89 | 0xc7 => {
            let (len, esp_disp, reg, rm) = modrm(b, at + 1)?;
            let imm = if op == 0xc7 { 4 } else { 0 };
            if op == 0xc7 && reg != 0 {
                return None;
            }
            let md = b[at + 1] >> 6;
            if md == 3 {
                return (rm != 4).then_some((1 + len + imm, st));
            }
            let disp = esp_disp?;
            if op == 0xc7 {
                let v = u64::from(le32(b, at + 1 + len)?);
                return match st {
                    Some((_, o)) if o != disp => Some((1 + len + 4, st)),
                    _ => Some((1 + len + 4, Some((v, disp)))),
                };
            }
            match st {
                Some((_, o)) if o != disp => Some((1 + len, st)),
                _ => Some((1 + len, None)),
            }
        }
        // sub $imm8, %esp
        0x83 if b.get(at + 1) == Some(&0xec) => {
            let n = i64::from(*b.get(at + 2)? as i8);
            Some((3, st.map(|(v, o)| (v, o + n))))
        }
        // xor r32, r32 (registers only, not %esp)
        0x31 | 0x33 => {
            let (len, _, reg, rm) = modrm(b, at + 1)?;
            (b[at + 1] >> 6 == 3 && reg != 4 && rm != 4).then_some((1 + len, st))
        }
        _ => None,
    }
}

fn i386_calls(
    file: &ElfFile<'_>,
    text: &[(u64, &[u8])],
    slots: &[u64],
    arg: u8,
) -> Vec<(u64, u64)> {
    let got = file
        .dynamic
        .as_ref()
        .and_then(|d| d.value(object::elf::DT_PLTGOT.0));
    // The slot an indirect jump or call `ff <modrm> disp32` goes through: `*disp(%ebx)`
    // (%ebx = the GOT, in position-independent code) or `*abs32`.
    let through = |b: &[u8], i: usize, ebx: u8, abs: u8| -> Option<u64> {
        let m = *b.get(i + 1)?;
        let d = u64::from(le32(b, i + 2)?);
        if m == ebx {
            Some(got?.wrapping_add(d) & 0xffff_ffff)
        } else if m == abs {
            Some(d)
        } else {
            None
        }
    };
    // PLT entries: jmp *slot(%ebx) / jmp *slot (and the endbr32 before).
    let mut entries = Vec::new();
    for (base, bytes) in text {
        for i in memchr::memchr_iter(0xff, bytes) {
            if through(bytes, i, 0xa3, 0x25).is_some_and(|s| slots.contains(&s)) {
                entries.push(base + i as u64);
                if i >= 4 && bytes[i - 4..i] == [0xf3, 0x0f, 0x1e, 0xfb] {
                    entries.push(base + i as u64 - 4);
                }
            }
        }
    }
    let mut out = Vec::new();
    for (base, bytes) in text {
        let mut sites: Vec<usize> = memchr::memchr_iter(0xe8, bytes)
            .filter(|&i| {
                le32(bytes, i + 1).is_some_and(|d| {
                    let to = (base + i as u64 + 5).wrapping_add(d as i32 as i64 as u64);
                    entries.contains(&(to & 0xffff_ffff))
                })
            })
            .collect();
        // call *slot(%ebx) / call *slot
        sites.extend(
            memchr::memchr_iter(0xff, bytes)
                .filter(|&i| through(bytes, i, 0x93, 0x15).is_some_and(|s| slots.contains(&s))),
        );
        sites.sort_unstable();
        for call in sites {
            let want = 4 * i64::from(arg);
            let step = |at: usize, st| i386_step(bytes, at, st);
            let at_arg = |&(_, o): &(u64, i64)| o == want;
            if let Some((v, _)) = agreed(call.saturating_sub(48)..call, call, step, at_arg) {
                out.push((base + call as u64, v));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// armhf: ARM and Thumb-2; the argument is r<arg>. PLT entries are ARM code.

fn arm_imm(insn: u32) -> u32 {
    (insn & 0xff).rotate_right(((insn >> 8) & 0xf) * 2)
}

/// Thumb-2 modified immediate constant (i:imm3:imm8).
fn thumb_imm(h1: u32, h2: u32) -> Option<u32> {
    let imm12 = ((h1 >> 10) & 1) << 11 | ((h2 >> 12) & 7) << 8 | (h2 & 0xff);
    let x = imm12 & 0xff;
    Some(match imm12 >> 8 {
        0 => x,
        1 => x << 16 | x,
        2 => x << 24 | x << 8,
        3 => x << 24 | x << 16 | x << 8 | x,
        _ => (0x80 | (imm12 & 0x7f)).rotate_right(imm12 >> 7),
    })
}

/// One ARM instruction (condition AL only) and register `r`.
fn arm_step(b: &[u8], at: usize, r: u32, v: Option<u64>) -> Step<u64> {
    let w = le32(b, at)?;
    if w >> 28 != 0xe {
        return None;
    }
    // push {...} (stmdb sp!): writes sp only
    if w & 0xffff_0000 == 0xe92d_0000 {
        return Some((4, v));
    }
    let rd = (w >> 12) & 0xf;
    let rn = (w >> 16) & 0xf;
    let imm16 = u64::from((w >> 4) & 0xf000 | (w & 0xfff));
    match (w >> 25) & 7 {
        // mov rd, #imm
        1 if w & 0x0fef_0000 == 0x03a0_0000 && rd == r => Some((4, Some(u64::from(arm_imm(w))))),
        // movw
        1 if w & 0x0ff0_0000 == 0x0300_0000 && rd == r => Some((4, Some(imm16))),
        // movt
        1 if w & 0x0ff0_0000 == 0x0340_0000 && rd == r => {
            Some((4, v.map(|v| (v & 0xffff) | imm16 << 16)))
        }
        // data processing (not multiplies and extra loads/stores, bit 7 and bit 4 set)
        0 | 1 if (w >> 25) & 1 == 1 || w & 0x90 != 0x90 => {
            if rd == 15 {
                return None;
            }
            let compare = (w >> 23) & 3 == 2 && (w >> 20) & 1 == 1;
            Some((4, if rd == r && !compare { None } else { v }))
        }
        // ldr/str immediate offset (no writeback)
        2 if (w >> 24) & 1 == 1 && (w >> 21) & 1 == 0 => {
            let load = (w >> 20) & 1 == 1;
            if load && rd == 15 {
                return None;
            }
            let _ = rn;
            Some((4, if load && rd == r { None } else { v }))
        }
        _ => None,
    }
}

/// One Thumb-2 instruction and register `r`.
fn thumb_step(b: &[u8], at: usize, r: u32, v: Option<u64>) -> Step<u64> {
    let h1 = le16(b, at)?;
    if h1 >> 11 >= 0x1d {
        let h2 = le16(b, at + 2)?;
        let rd = (h2 >> 8) & 0xf;
        let imm16 = u64::from(
            (h1 & 0xf) << 12 | ((h1 >> 10) & 1) << 11 | ((h2 >> 12) & 7) << 8 | (h2 & 0xff),
        );
        if h2 & 0x8000 != 0 {
            return None; // branches and miscellaneous control
        }
        // push.w {...} (stmdb sp!): writes sp only
        if h1 == 0xe92d {
            return Some((4, v));
        }
        return match h1 & 0xfbf0 {
            // movw / movt
            0xf240 => Some((4, if rd == r { Some(imm16) } else { v })),
            0xf2c0 => Some((
                4,
                if rd == r {
                    v.map(|v| (v & 0xffff) | imm16 << 16)
                } else {
                    v
                },
            )),
            // mov.w / movs.w rd, #const
            0xf040 | 0xf050 if h1 & 0xf == 0xf => Some((
                4,
                if rd == r {
                    Some(u64::from(thumb_imm(h1, h2)?))
                } else {
                    v
                },
            )),
            _ => {
                // ldr.w rt, [rn, #imm12] / str.w
                match h1 & 0xfff0 {
                    0xf8d0 => {
                        let rt = h2 >> 12;
                        (rt != 15).then_some((4, if rt == r { None } else { v }))
                    }
                    0xf8c0 => Some((4, v)),
                    _ => None,
                }
            }
        };
    }
    let lo = |x: u32| if x == r { None } else { v };
    match h1 >> 11 {
        // movs rd, #imm8
        0x04 => {
            let rd = (h1 >> 8) & 7;
            Some((
                2,
                if rd == r {
                    Some(u64::from(h1 & 0xff))
                } else {
                    v
                },
            ))
        }
        // ldr rt, [pc, #imm]; ldr rt, [rn, #imm]; ldr rt, [sp, #imm]; add rd, sp, #imm
        0x09 | 0x15 => Some((2, lo((h1 >> 8) & 7))),
        0x0d => Some((2, lo(h1 & 7))),
        0x13 => Some((2, lo((h1 >> 8) & 7))),
        // str rt, [rn, #imm]; str rt, [sp, #imm]
        0x0c | 0x12 => Some((2, v)),
        _ => match h1 & 0xff00 {
            // add rdn, rm / mov rd, rm (high registers)
            0x4400 | 0x4600 => {
                let rd = ((h1 >> 7) & 1) << 3 | (h1 & 7);
                (rd != 15).then_some((2, lo(rd)))
            }
            // nop
            0xbf00 if h1 == 0xbf00 => Some((2, v)),
            // push {...}; add sp, #imm; sub sp, #imm: write sp only
            0xb400 | 0xb500 | 0xb000 => Some((2, v)),
            _ => None,
        },
    }
}

fn arm_calls(text: &[(u64, &[u8])], slots: &[u64], arg: u8) -> Vec<(u64, u64)> {
    let r = u32::from(arg);
    // PLT entries: add ip, pc, #a; add ip, ip, #b; ldr pc, [ip, #c]! (ARM), and the Thumb
    // entry `bx pc; b.n` 4 bytes before.
    let mut arm_entries = Vec::new();
    let mut thumb_entries = Vec::new();
    for (base, bytes) in text {
        for k in 0..bytes.len() / 4 {
            let i = 4 * k;
            let (Some(w0), Some(w1), Some(w2)) =
                (le32(bytes, i), le32(bytes, i + 4), le32(bytes, i + 8))
            else {
                continue;
            };
            if w0 & 0xffff_f000 != 0xe28f_c000
                || w1 & 0xffff_f000 != 0xe28c_c000
                || w2 & 0xffff_f000 != 0xe5bc_f000
            {
                continue;
            }
            let pc = base + i as u64;
            let slot =
                pc + 8 + u64::from(arm_imm(w0)) + u64::from(arm_imm(w1)) + u64::from(w2 & 0xfff);
            if slots.contains(&(slot & 0xffff_ffff)) {
                arm_entries.push(pc);
                if i >= 4 && le16(bytes, i - 4) == Some(0x4778) {
                    thumb_entries.push(pc - 4);
                }
            }
        }
    }
    let mut out = Vec::new();
    for (base, bytes) in text {
        // ARM bl / b
        for k in 0..bytes.len() / 4 {
            let i = 4 * k;
            let Some(w) = le32(bytes, i) else { continue };
            if w & 0xfe00_0000 != 0xea00_0000 {
                continue;
            }
            let pc = base + i as u64;
            let to = (pc as i64 + 8 + sext(w & 0x00ff_ffff, 24) * 4) as u64;
            if !arm_entries.contains(&to) {
                continue;
            }
            let starts = (i.saturating_sub(24)..i).step_by(4);
            if let Some(v) = agreed(starts, i, |at, v| arm_step(bytes, at, r, v), |_| true) {
                out.push((pc, v));
            }
        }
        // Thumb bl / blx / b.w
        for k in 0..bytes.len() / 2 {
            let i = 2 * k;
            let (Some(h1), Some(h2)) = (le16(bytes, i), le16(bytes, i + 2)) else {
                continue;
            };
            if h1 & 0xf800 != 0xf000 || h2 & 0x8000 == 0 {
                continue;
            }
            let s = (h1 >> 10) & 1;
            let i1 = !((h2 >> 13) ^ s) & 1;
            let i2 = !((h2 >> 11) ^ s) & 1;
            let imm = s << 24 | i1 << 23 | i2 << 22 | (h1 & 0x3ff) << 12 | (h2 & 0x7ff) << 1;
            let off = sext(imm, 25);
            let pc = base + i as u64;
            let to = match h2 & 0xd000 {
                0xd000 | 0x9000 => (pc as i64 + 4 + off) as u64,
                0xc000 if h2 & 1 == 0 => (((pc + 4) & !3) as i64 + off) as u64,
                _ => continue,
            };
            let hit = if h2 & 0xd000 == 0xc000 {
                arm_entries.contains(&to)
            } else {
                thumb_entries.contains(&to)
            };
            if !hit {
                continue;
            }
            // A start after an IT instruction may be conditional: none within the four
            // instructions an IT block can hold. A halfword that looks like IT after one
            // that can only begin a 32-bit instruction (and does not follow another such)
            // is that instruction's second half.
            let first_half =
                |j: usize| j >= 2 && le16(bytes, j - 2).is_some_and(|h| h >> 11 >= 0x1d);
            let after_it = |s: usize| {
                (s.saturating_sub(8)..s).step_by(2).any(|j| {
                    le16(bytes, j).is_some_and(|h| h & 0xff00 == 0xbf00 && h & 0xf != 0)
                        && (!first_half(j) || first_half(j - 2))
                })
            };
            let starts = (i.saturating_sub(24)..i)
                .step_by(2)
                .filter(|&s| !after_it(s));
            if let Some(v) = agreed(starts, i, |at, v| thumb_step(bytes, at, r, v), |_| true) {
                out.push((pc | 1, v));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// s390x: big-endian, instruction length in the first two bits; the argument is %r(2+arg).

fn s390x_len(op: u8) -> usize {
    match op >> 6 {
        0 => 2,
        1 | 2 => 4,
        _ => 6,
    }
}

fn s390x_step(b: &[u8], at: usize, r: u32, v: Option<u64>) -> Step<u64> {
    let op = *b.get(at)?;
    let len = s390x_len(op);
    b.get(at..at + len)?;
    let r1 = u32::from(b[at + 1] >> 4);
    let set = |x: Option<u64>| Some((len, if r1 == r { x } else { v }));
    let write = || Some((len, if r1 == r { None } else { v }));
    match (op, b[at + 1] & 0xf) {
        // lhi / lghi
        (0xa7, 8) => set(Some(sext(be16(b, at + 2)?, 16) as i32 as u32 as u64)),
        (0xa7, 9) => set(Some(sext(be16(b, at + 2)?, 16) as u64)),
        // lgfi / llilf / iilf
        (0xc0, 1) => set(Some(be32(b, at + 2)? as i32 as i64 as u64)),
        (0xc0, 0xf) => set(Some(u64::from(be32(b, at + 2)?))),
        // larl
        (0xc0, 0) => write(),
        // lr, lgr (b904), la (41)
        (0x18 | 0x41, _) => write(),
        (0xb9, _) if b[at + 1] == 0x04 => {
            let r1 = u32::from(b[at + 3] >> 4);
            Some((len, if r1 == r { None } else { v }))
        }
        // ahi / aghi
        (0xa7, 0xa | 0xb) => write(),
        // lg, lay / stg, stmg (e3 .. 04, 71 / 24, eb .. 24)
        (0xe3, _) if matches!(b[at + 5], 0x04 | 0x71) => write(),
        (0xeb, _) if b[at + 5] == 0x24 => Some((len, v)),
        (0xe3, _) if b[at + 5] == 0x24 => Some((len, v)),
        // st
        (0x50, _) => Some((len, v)),
        _ => None,
    }
}

fn s390x_calls(text: &[(u64, &[u8])], slots: &[u64], arg: u8) -> Vec<(u64, u64)> {
    let r = 2 + u32::from(arg);
    let target = |pc: u64, b: &[u8], i: usize| -> Option<u64> {
        Some((pc as i64 + 2 * i64::from(be32(b, i + 2)? as i32)) as u64)
    };
    // PLT entries: larl %r1, slot; lg %r1, 0(%r1); br %r1
    let mut entries = Vec::new();
    for (base, bytes) in text {
        for k in 0..bytes.len() / 2 {
            let i = 2 * k;
            if bytes.get(i..i + 2) != Some(&[0xc0, 0x10])
                || bytes.get(i + 6..i + 14)
                    != Some(&[0xe3, 0x10, 0x10, 0x00, 0x00, 0x04, 0x07, 0xf1])
            {
                continue;
            }
            let pc = base + i as u64;
            if target(pc, bytes, i).is_some_and(|s| slots.contains(&s)) {
                entries.push(pc);
            }
        }
    }
    let mut out = Vec::new();
    for (base, bytes) in text {
        for k in 0..bytes.len() / 2 {
            let i = 2 * k;
            // brasl %r14 / jg
            if bytes.get(i..i + 2) != Some(&[0xc0, 0xe5])
                && bytes.get(i..i + 2) != Some(&[0xc0, 0xf4])
            {
                continue;
            }
            let pc = base + i as u64;
            if !target(pc, bytes, i).is_some_and(|t| entries.contains(&t)) {
                continue;
            }
            let starts = (i.saturating_sub(30)..i).step_by(2);
            if let Some(v) = agreed(starts, i, |at, v| s390x_step(bytes, at, r, v), |_| true) {
                out.push((pc, v));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// riscv64: 4-byte instructions and 2-byte compressed ones; the argument is a<arg> (x10+).

fn riscv64_step(b: &[u8], at: usize, r: u32, v: Option<u64>) -> Step<u64> {
    let h = le16(b, at)?;
    if h & 3 == 3 {
        let w = le32(b, at)?;
        let rd = (w >> 7) & 0x1f;
        let rs1 = (w >> 15) & 0x1f;
        let f3 = (w >> 12) & 7;
        let imm = sext(w >> 20, 12);
        let other = |x| Some((4, if rd == r { x } else { v }));
        return match w & 0x7f {
            // addi / addiw
            0x13 | 0x1b if f3 == 0 && rd == r && rs1 == 0 => Some((4, Some(imm as u64))),
            0x13 if f3 == 0 && rd == r && rs1 == r => {
                Some((4, v.map(|v| v.wrapping_add(imm as u64))))
            }
            0x1b if f3 == 0 && rd == r && rs1 == r => Some((
                4,
                v.map(|v| v.wrapping_add(imm as u64) as i32 as i64 as u64),
            )),
            // lui
            0x37 if rd == r => Some((4, Some(sext(w & 0xffff_f000, 32) as u64))),
            0x13 | 0x1b | 0x33 | 0x3b | 0x37 | 0x17 | 0x03 => other(None),
            // stores
            0x23 => Some((4, v)),
            _ => None,
        };
    }
    let f3 = h >> 13;
    let rd = (h >> 7) & 0x1f;
    let imm6 = sext(((h >> 12) & 1) << 5 | ((h >> 2) & 0x1f), 6);
    let other = |rd: u32| Some((2, if rd == r { None } else { v }));
    match (h & 3, f3) {
        // c.li
        (1, 2) => Some((2, if rd == r { Some(imm6 as u64) } else { v })),
        // c.addi / c.addiw
        (1, 0) => Some((
            2,
            if rd == r {
                v.map(|v| v.wrapping_add(imm6 as u64))
            } else {
                v
            },
        )),
        (1, 1) => Some((
            2,
            if rd == r {
                v.map(|v| v.wrapping_add(imm6 as u64) as i32 as i64 as u64)
            } else {
                v
            },
        )),
        // c.lui / c.addi16sp
        (1, 3) => {
            if rd == r {
                Some((2, Some((imm6 << 12) as u64)))
            } else {
                other(rd)
            }
        }
        // c.addi4spn, c.ld, c.lw: rd' in bits 2..4
        (0, 0 | 2 | 3) => other(8 + ((h >> 2) & 7)),
        // c.sd, c.sw
        (0, 6 | 7) => Some((2, v)),
        // c.ldsp / c.lwsp
        (2, 2 | 3) => other(rd),
        // c.mv, c.add (not c.jr, c.jalr, c.ebreak: rs2 = 0)
        (2, 4) if (h >> 2) & 0x1f != 0 => other(rd),
        // c.sdsp, c.swsp
        (2, 6 | 7) => Some((2, v)),
        // c.slli
        (2, 0) => other(rd),
        _ => None,
    }
}

fn riscv64_calls(text: &[(u64, &[u8])], slots: &[u64], arg: u8) -> Vec<(u64, u64)> {
    let r = 10 + u32::from(arg);
    // PLT entries: auipc t3, hi; ld t3, lo(t3); jalr t1, t3
    let mut entries = Vec::new();
    for (base, bytes) in text {
        for k in 0..bytes.len() / 4 {
            let i = 4 * k;
            let (Some(a), Some(l), Some(j)) =
                (le32(bytes, i), le32(bytes, i + 4), le32(bytes, i + 8))
            else {
                continue;
            };
            if a & 0xfff != 0xe17 || l & 0x000f_ffff != 0x000e_3e03 || j != 0x000e_0367 {
                continue;
            }
            let pc = base + i as u64;
            let slot = (pc as i64 + sext(a & 0xffff_f000, 32) + sext(l >> 20, 12)) as u64;
            if slots.contains(&slot) {
                entries.push(pc);
            }
        }
    }
    let mut out = Vec::new();
    for (base, bytes) in text {
        for k in 0..bytes.len() / 2 {
            let i = 2 * k;
            let pc = base + i as u64;
            let Some(h) = le16(bytes, i) else { continue };
            let to = if h & 3 == 3 {
                let Some(w) = le32(bytes, i) else { continue };
                match w & 0x7f {
                    // jal ra / jal zero
                    0x6f if matches!((w >> 7) & 0x1f, 0 | 1) => {
                        let imm = ((w >> 31) & 1) << 20
                            | ((w >> 12) & 0xff) << 12
                            | ((w >> 20) & 1) << 11
                            | ((w >> 21) & 0x3ff) << 1;
                        (pc as i64 + sext(imm, 21)) as u64
                    }
                    // auipc ra/t1; jalr ra/zero, lo(ra/t1)
                    0x17 => {
                        let rd = (w >> 7) & 0x1f;
                        let Some(j) = le32(bytes, i + 4) else {
                            continue;
                        };
                        if !matches!(rd, 1 | 6)
                            || j & 0x000f_f07f != (rd << 15) | 0x67
                            || !matches!((j >> 7) & 0x1f, 0 | 1)
                        {
                            continue;
                        }
                        (pc as i64 + sext(w & 0xffff_f000, 32) + sext(j >> 20, 12)) as u64
                    }
                    _ => continue,
                }
            } else if h & 0xe003 == 0xa001 {
                // c.j
                let imm = ((h >> 12) & 1) << 11
                    | ((h >> 11) & 1) << 4
                    | ((h >> 9) & 3) << 8
                    | ((h >> 8) & 1) << 10
                    | ((h >> 7) & 1) << 6
                    | ((h >> 6) & 1) << 7
                    | ((h >> 3) & 7) << 1
                    | ((h >> 2) & 1) << 5;
                (pc as i64 + sext(imm, 12)) as u64
            } else {
                continue;
            };
            if !entries.contains(&to) {
                continue;
            }
            let starts = (i.saturating_sub(24)..i).step_by(2);
            if let Some(v) = agreed(starts, i, |at, v| riscv64_step(bytes, at, r, v), |_| true) {
                out.push((pc, v));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// ppc64el (ELFv2): `bl` to a PLT call stub, `ld r2,24(r1)` after; the argument is r(3+arg).

/// The one TOC pointer of the file: every global entry point's `addis r2,r12,hi;
/// addi r2,r2,lo` (r12 = the entry), or `lis r2,hi; addi r2,r2,lo` in a
/// position-dependent executable, sets the same one, or there is none to go by.
fn ppc64_toc(text: &[(u64, &[u8])]) -> Option<u64> {
    let mut toc = None;
    for (base, bytes) in text {
        for k in 0..bytes.len() / 4 {
            let (Some(hi), Some(lo)) = (le32(bytes, 4 * k), le32(bytes, 4 * k + 4)) else {
                continue;
            };
            if lo & 0xffff_0000 != 0x3842_0000 {
                continue;
            }
            let off = ((sext(hi & 0xffff, 16) << 16) + sext(lo & 0xffff, 16)) as u64;
            let t = match hi & 0xffff_0000 {
                0x3c4c_0000 => (base + 4 * k as u64).wrapping_add(off),
                0x3c40_0000 => off,
                _ => continue,
            };
            match toc {
                Some(x) if x != t => return None,
                _ => toc = Some(t),
            }
        }
    }
    toc
}

fn ppc64_step(b: &[u8], at: usize, r: u32, v: Option<u64>) -> Step<u64> {
    let w = le32(b, at)?;
    let rt = (w >> 21) & 31;
    let ra = (w >> 16) & 31;
    let imm = sext(w & 0xffff, 16);
    let to = |d: u32| Some((4, if d == r { None } else { v }));
    match w >> 26 {
        // li / addi
        14 if rt == r && ra == 0 => Some((4, Some(imm as u64))),
        14 if rt == r && ra == r => Some((4, v.map(|v| v.wrapping_add(imm as u64)))),
        // lis / addis
        15 if rt == r && ra == 0 => Some((4, Some((imm << 16) as u64))),
        14 | 15 => to(rt),
        // ori ra,rs,imm (ra is the destination)
        24 if ra == r && rt == r => Some((4, v.map(|v| v | u64::from(w & 0xffff)))),
        24 => to(ra),
        // ld / lwz
        58 if w & 3 == 0 => to(rt),
        32 => to(rt),
        // std / stdu (stdu writes ra), stw
        62 if w & 3 == 0 => Some((4, v)),
        62 if w & 3 == 1 => to(ra),
        36 => Some((4, v)),
        31 => match (w >> 1) & 0x3ff {
            // or (mr): ra
            444 => to(ra),
            // mfspr (mflr): rt
            339 => to(rt),
            _ => None,
        },
        _ => None,
    }
}

fn ppc64_calls(text: &[(u64, &[u8])], slots: &[u64], arg: u8) -> Vec<(u64, u64)> {
    let r = 3 + u32::from(arg);
    let Some(toc) = ppc64_toc(text) else {
        return Vec::new();
    };
    // The PLT call stub at `to` and the slot it loads.
    let slot_of = |to: u64| -> Option<u64> {
        let (base, bytes) = text
            .iter()
            .find(|(b, t)| to >= *b && to < b + t.len() as u64)?;
        let off = crate::patch::startup::ppc64::stub_toc_offset(bytes, (to - base) as usize)?;
        Some((toc as i64 + off) as u64)
    };
    let mut out = Vec::new();
    for (base, bytes) in text {
        for k in 0..bytes.len() / 4 {
            let i = 4 * k;
            let Some(w) = le32(bytes, i) else { continue };
            // bl, then ld r2,24(r1)
            if w & 0xfc00_0003 != 0x4800_0001 || le32(bytes, i + 4) != Some(0xe841_0018) {
                continue;
            }
            let pc = base + i as u64;
            let to = (pc as i64 + sext(w & 0x03ff_fffc, 26)) as u64;
            if !slot_of(to).is_some_and(|s| slots.contains(&s)) {
                continue;
            }
            let starts = (i.saturating_sub(40)..i).step_by(4);
            if let Some(v) = agreed(starts, i, |at, v| ppc64_step(bytes, at, r, v), |_| true) {
                out.push((pc, v));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ARM PLT entry at 0x1000 (its slot: 0x2008), then Thumb code at 0x100c:
    /// `[it ne / nop]; movs r0, #250; blx 0x1000` (checked with objdump
    /// -M force-thumb).
    fn thumb_code(first: u16) -> Vec<u8> {
        let mut b = Vec::new();
        for w in [0xe28f_c600u32, 0xe28c_ca01, 0xe5bc_f000] {
            b.extend(w.to_le_bytes());
        }
        for h in [first, 0x20fa, 0xf7ff, 0xeff6] {
            b.extend(h.to_le_bytes());
        }
        b
    }

    #[test]
    fn thumb_immediate_in_an_it_block_is_not_certain() {
        let plain = thumb_code(0xbf00);
        assert_eq!(
            arm_calls(&[(0x1000, &plain)], &[0x2008], 0),
            [(0x1011, 250)]
        );
        assert_eq!(arm_calls(&[(0x1000, &plain)], &[0x2010], 0), []);
        let it = thumb_code(0xbf18);
        assert_eq!(arm_calls(&[(0x1000, &it)], &[0x2008], 0), []);
        // adds r0, #1 between: not the immediate any more.
        let mut added = plain.clone();
        added[12..14].copy_from_slice(&0x20fau16.to_le_bytes());
        added[14..16].copy_from_slice(&0x3001u16.to_le_bytes());
        assert_eq!(arm_calls(&[(0x1000, &added)], &[0x2008], 0), []);
    }
}
