//! The startup shim. A `_start` linked against glibc >= 2.34 calls
//! `__libc_start_main(main, argc, argv, init = NULL, fini = NULL, rtld_fini, stack_end)`
//! and relies on the new libc to run the executable's DT_INIT and DT_INIT_ARRAY. The old
//! `__libc_start_main@GLIBC_2.2.5` runs them only through `init`, and the old loader skips
//! the executable: re-pointing the version alone would silently run no constructor.
//!
//! The shim sits in a new executable PT_LOAD. `_start`'s indirect call through the GOT
//! slot of `__libc_start_main` becomes a direct call to the shim (same length, no new
//! relocation); the shim substitutes its own `init` when the caller passed NULL and jumps
//! to the real function through the same GOT slot. Its `init` runs DT_INIT, then each
//! DT_INIT_ARRAY entry with (argc, argv, envp), as `__libc_csu_init` did. Every glibc,
//! old or new, calls a non-NULL `init` instead of running the constructors itself, so they
//! run exactly once everywhere.

use object::build::elf::{Builder, Dynamic, SectionData, SectionId};
use object::elf;

use super::PatchError;

pub(crate) mod ppc64;
mod riscv64;
mod s390x;

/// The name of the shim's section.
pub const SECTION_NAME: &str = ".elfcompat.start";

/// What `prepare` found, for `finish` to generate the code once addresses are known.
pub struct Shim {
    arch: Arch,
    section: SectionId,
    /// x86_64 and riscv64: the GOT slot of `__libc_start_main`; aarch64, i386, arm and
    /// s390x: its PLT stub; ppc64le: its PLT call stub.
    got_slot: u64,
    /// The call of `__libc_start_main` in `_start` (riscv64: the PLT stub it calls).
    call_section: SectionId,
    call_offset: usize,
    call_addr: u64,
    init: Option<u64>,
    init_array: Option<(u64, u64)>,
}

const SHIM_SIZE: usize = 160;

/// The bytes reserved for the shim: ppc64le's fixed-width code with its frames is longer.
fn shim_size(arch: Arch) -> usize {
    match arch {
        Arch::Ppc64le => 320,
        _ => SHIM_SIZE,
    }
}

/// An architecture the shim exists for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Arch {
    /// x86_64.
    X86_64,
    /// Little-endian aarch64.
    Aarch64,
    /// 32-bit x86 (i386 to i686).
    I386,
    /// Little-endian 32-bit ARM (EABI), `_start` in ARM or Thumb code.
    Arm,
    /// Little-endian 64-bit PowerPC (ELFv2).
    Ppc64le,
    /// 64-bit s390x (big-endian).
    S390x,
    /// 64-bit RISC-V (LP64D, little-endian).
    Riscv64,
}

/// The architectures the shim exists for, in words.
pub const ARCHES: &str = "x86_64, aarch64, i386, arm, ppc64le, s390x and riscv64";

/// The shim's architecture for an ELF header, if it has one.
pub fn arch_of(machine: u16, is_64: bool, big_endian: bool) -> Option<Arch> {
    match machine {
        m if m == elf::EM_X86_64.0 && is_64 => Some(Arch::X86_64),
        m if m == elf::EM_AARCH64.0 && is_64 && !big_endian => Some(Arch::Aarch64),
        m if m == elf::EM_386.0 && !is_64 => Some(Arch::I386),
        m if m == elf::EM_ARM.0 && !is_64 && !big_endian => Some(Arch::Arm),
        m if m == elf::EM_PPC64.0 && is_64 && !big_endian => Some(Arch::Ppc64le),
        m if m == elf::EM_S390.0 && is_64 && big_endian => Some(Arch::S390x),
        m if m == elf::EM_RISCV.0 && is_64 && !big_endian => Some(Arch::Riscv64),
        _ => None,
    }
}

/// The executable section holding `len` bytes at `addr` (a PLT stub the start code calls):
/// its id, its bytes and `addr`'s offset in them.
fn code_at<'a>(b: &'a Builder<'_>, addr: u64, len: u64) -> Option<(SectionId, &'a [u8], usize)> {
    let s = b.sections.iter().find(|s| {
        s.sh_flags.contains(elf::SHF_EXECINSTR)
            && s.sh_addr <= addr
            && addr + len <= s.sh_addr + s.sh_size
    })?;
    let SectionData::Data(bytes) = &s.data else {
        return None;
    };
    Some((s.id(), bytes.as_slice(), (addr - s.sh_addr) as usize))
}

fn refuse(msg: impl Into<String>) -> PatchError {
    PatchError::Refused(msg.into())
}

/// Find the call site and the constructors, and add the (still empty) shim section.
pub fn prepare(b: &mut Builder<'_>) -> Result<Shim, PatchError> {
    // The planner asks `arch_of` first (`limits`): this refusal is a backstop.
    let arch = arch_of(
        b.header.e_machine.0,
        b.is_64,
        b.endian == object::Endianness::Big,
    )
    .ok_or_else(|| {
        refuse(format!(
            "lowering __libc_start_main below 2.34 needs a startup shim, and there is none for e_machine {} yet ({ARCHES} only)",
            b.header.e_machine.0
        ))
    })?;
    let lsm = b
        .dynamic_symbols
        .iter()
        .find(|s| s.name.as_slice() == b"__libc_start_main")
        .map(|s| s.id())
        .ok_or_else(|| refuse("no __libc_start_main import"))?;
    let slot_types: &[u32] = match arch {
        Arch::X86_64 => &[elf::R_X86_64_GLOB_DAT.0],
        Arch::Aarch64 => &[elf::R_AARCH64_JUMP_SLOT.0, elf::R_AARCH64_GLOB_DAT.0],
        Arch::I386 => &[elf::R_386_JMP_SLOT.0, elf::R_386_GLOB_DAT.0],
        Arch::Arm => &[elf::R_ARM_JUMP_SLOT.0, elf::R_ARM_GLOB_DAT.0],
        Arch::Ppc64le => &[elf::R_PPC64_JMP_SLOT.0],
        Arch::S390x => &[elf::R_390_JMP_SLOT.0, elf::R_390_GLOB_DAT.0],
        Arch::Riscv64 => &[elf::R_RISCV_JUMP_SLOT.0],
    };
    let mut slot = None;
    for s in b.sections.iter() {
        if let SectionData::DynamicRelocation(relocs) = &s.data {
            for r in relocs {
                if r.symbol == Some(lsm) && slot_types.contains(&r.r_type.0) {
                    slot = Some(r.r_offset);
                }
            }
        }
    }
    let slot = slot.ok_or_else(|| {
        refuse("no GOT slot relocation for __libc_start_main: unrecognised _start")
    })?;
    let entry = b.header.e_entry;
    let pltgot = b.dynamic_data().and_then(|d| {
        d.iter().find_map(|d| match d {
            Dynamic::Integer { tag, val } if *tag == elf::DT_PLTGOT => Some(*val),
            _ => None,
        })
    });
    let found = b
        .sections
        .iter()
        .filter(|s| {
            s.sh_flags.contains(elf::SHF_EXECINSTR)
                && s.sh_addr <= entry
                && entry < s.sh_addr + s.sh_size
        })
        .find_map(|s| {
            let SectionData::Data(bytes) = &s.data else {
                return None;
            };
            let start = (entry - s.sh_addr) as usize;
            match arch {
                Arch::X86_64 => find_x86_64_call(bytes.as_slice(), start, s.sh_addr, slot)
                    .map(|(i, insn)| (s.id(), i, insn, slot)),
                Arch::Aarch64 => find_aarch64_call(b, bytes.as_slice(), start, s.sh_addr, slot)
                    .map(|(i, insn, plt)| (s.id(), i, insn, plt)),
                Arch::I386 => find_i386_call(b, bytes.as_slice(), start, s.sh_addr, slot, pltgot)
                    .map(|(i, insn, plt)| (s.id(), i, insn, plt)),
                Arch::Arm => find_arm_call(b, bytes.as_slice(), entry, s.sh_addr, slot)
                    .map(|(i, insn, plt)| (s.id(), i, insn, plt)),
                Arch::Ppc64le => ppc64::find_call(b, bytes.as_slice(), start, s.sh_addr, slot)
                    .map(|(i, insn, plt)| (s.id(), i, insn, plt)),
                Arch::S390x => s390x::find_call(b, bytes.as_slice(), start, s.sh_addr, slot)
                    .map(|(i, insn, plt)| (s.id(), i, insn, plt)),
                // The site to patch is the PLT stub itself (see `riscv64`).
                Arch::Riscv64 => riscv64::find_call(b, bytes.as_slice(), start, s.sh_addr, slot)
                    .map(|(plt, off, stub)| (plt, off, stub, slot)),
            }
        });
    let (call_section, call_offset, call_addr, got_slot) =
        found.ok_or_else(|| refuse("_start does not call __libc_start_main the way glibc's start code does: unrecognised _start"))?;

    let dynamic = b.dynamic_data().ok_or_else(|| refuse("no .dynamic"))?;
    let int = |tag: elf::DynamicTag| {
        dynamic.iter().find_map(|d| match d {
            Dynamic::Integer { tag: t, val } if *t == tag => Some(*val),
            _ => None,
        })
    };
    let init = int(elf::DT_INIT);
    let init_array = match (int(elf::DT_INIT_ARRAY), int(elf::DT_INIT_ARRAYSZ)) {
        (Some(a), Some(sz)) => Some((a, sz)),
        _ => None,
    };
    let sec = b.sections.add();
    sec.name = SECTION_NAME.as_bytes().to_vec().into();
    sec.sh_type = elf::SHT_PROGBITS;
    sec.sh_flags = elf::SHF_ALLOC | elf::SHF_EXECINSTR;
    sec.sh_addralign = 16;
    sec.data = SectionData::Data(vec![0; shim_size(arch)].into());
    Ok(Shim {
        arch,
        section: sec.id(),
        got_slot,
        call_section,
        call_offset,
        call_addr,
        init,
        init_array,
    })
}

fn rel32(from_end: u64, to: u64) -> Result<[u8; 4], PatchError> {
    let d = to as i64 - from_end as i64;
    i32::try_from(d)
        .map(|d| d.to_le_bytes())
        .map_err(|_| refuse("shim out of rel32 range of _start"))
}

/// Generate the shim at its final address and redirect `_start`'s call to it.
pub fn finish(b: &mut Builder<'_>, shim: Shim) -> Result<(), PatchError> {
    let base = b.sections.get(shim.section).sh_addr;
    if base == 0 {
        return Err(PatchError::internal("shim section was not placed"));
    }
    let code = match shim.arch {
        Arch::X86_64 => x86_64_code(base, &shim)?,
        Arch::Aarch64 => aarch64_code(base, &shim)?,
        Arch::I386 => i386_code(base, &shim)?,
        Arch::Arm => arm_code(base, &shim)?,
        Arch::Ppc64le => ppc64::code(base, &shim)?,
        Arch::S390x => s390x::code(base, shim.got_slot, shim.init, shim.init_array)?,
        Arch::Riscv64 => riscv64::code(base, &shim)?,
    };
    if code.len() > shim_size(shim.arch) {
        return Err(PatchError::internal("shim larger than reserved"));
    }
    if let SectionData::Data(bytes) = &mut b.sections.get_mut(shim.section).data {
        let v = bytes.to_mut();
        v[..code.len()].copy_from_slice(&code);
    }
    let patch: Vec<u8> = match shim.arch {
        // call *GOT(%rip) (ff 15 rel32) -> call shim (e8 rel32); nop
        Arch::X86_64 => {
            let mut p = vec![0xe8];
            p.extend_from_slice(&rel32(shim.call_addr + 5, base)?);
            p.push(0x90);
            p
        }
        // bl __libc_start_main@plt -> bl shim
        Arch::Aarch64 => a64_branch(0x9400_0000, shim.call_addr, base)?
            .to_le_bytes()
            .to_vec(),
        // call __libc_start_main@plt (e8 rel32) -> call shim
        Arch::I386 => {
            let mut p = vec![0xe8];
            p.extend_from_slice(&rel32(shim.call_addr + 5, base)?);
            p
        }
        // Thumb `blx __libc_start_main@plt` -> `blx shim`; ARM `bl` -> `bl shim` (the
        // shim is ARM code, like the PLT stub).
        Arch::Arm if shim.call_addr & 1 == 1 => thumb_blx(shim.call_addr & !1, base)?.to_vec(),
        Arch::Arm => arm_branch(0xeb00_0000, shim.call_addr, base)?
            .to_le_bytes()
            .to_vec(),
        // b __libc_start_main's PLT call stub -> b shim
        Arch::Ppc64le => ppc64::branch(0x4800_0000, shim.call_addr, base)?
            .to_le_bytes()
            .to_vec(),
        // brasl %r14, __libc_start_main@plt -> brasl %r14, shim
        Arch::S390x => s390x::call(shim.call_addr, base)?.to_vec(),
        Arch::Riscv64 => riscv64::stub_patch(shim.call_addr, base)?,
    };
    if let SectionData::Data(bytes) = &mut b.sections.get_mut(shim.call_section).data {
        let v = bytes.to_mut();
        // The call site's byte offset on every architecture (a Thumb site's mark is in
        // `call_addr`, never here): an x86 call may sit at an odd offset.
        let i = shim.call_offset;
        v[i..i + patch.len()].copy_from_slice(&patch);
    }
    Ok(())
}

/// `call *slot(%rip)` within 64 bytes of the entry point.
fn find_x86_64_call(bytes: &[u8], start: usize, sh_addr: u64, slot: u64) -> Option<(usize, u64)> {
    let end = (start + 64).min(bytes.len().saturating_sub(6));
    (start..end).find_map(|i| {
        if bytes[i] != 0xff || bytes[i + 1] != 0x15 {
            return None;
        }
        let disp = i32::from_le_bytes([bytes[i + 2], bytes[i + 3], bytes[i + 4], bytes[i + 5]]);
        let insn = sh_addr + i as u64;
        let target = (insn as i64 + 6 + i64::from(disp)) as u64;
        (target == slot).then_some((i, insn))
    })
}

fn a64_word(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// `bl` within 64 bytes of the entry point whose target is a PLT stub loading `slot`
/// (`adrp x16, page; ldr x17, [x16, #off]`).
fn find_aarch64_call(
    b: &Builder<'_>,
    bytes: &[u8],
    start: usize,
    sh_addr: u64,
    slot: u64,
) -> Option<(usize, u64, u64)> {
    let end = (start + 64).min(bytes.len().saturating_sub(4));
    (start..end).step_by(4).find_map(|i| {
        let insn = a64_word(bytes, i)?;
        if insn & 0xfc00_0000 != 0x9400_0000 {
            return None;
        }
        let imm = ((insn & 0x03ff_ffff) << 6) as i32 >> 6;
        let pc = sh_addr + i as u64;
        let target = (pc as i64 + i64::from(imm) * 4) as u64;
        let (_, pb, off) = code_at(b, target, 8)?;
        let adrp = a64_word(pb, off)?;
        let ldr = a64_word(pb, off + 4)?;
        if adrp & 0x9f00_001f != 0x9000_0010 || ldr & 0xffc0_03ff != 0xf940_0211 {
            return None;
        }
        let immhi = u64::from((adrp >> 5) & 0x7ffff);
        let immlo = u64::from((adrp >> 29) & 3);
        let pages = (((immhi << 2) | immlo) << 43) as i64 >> 43;
        let page = ((target as i64 & !0xfff) + (pages << 12)) as u64;
        let lo = u64::from((ldr >> 10) & 0xfff) * 8;
        (page + lo == slot).then_some((i, pc, target))
    })
}

/// A `b`/`bl` (opcode in `op`) from `from` to `to`.
fn a64_branch(op: u32, from: u64, to: u64) -> Result<u32, PatchError> {
    let d = to as i64 - from as i64;
    if d % 4 != 0 || !(-(1 << 27)..(1 << 27)).contains(&d) {
        return Err(refuse("shim out of branch range (±128 MiB) of _start"));
    }
    Ok(op | ((d / 4) as u32 & 0x03ff_ffff))
}

/// `adrp xd, target; add xd, xd, #lo12(target)` at `pc`.
fn a64_addr(rd: u32, pc: u64, target: u64) -> Result<[u32; 2], PatchError> {
    let pages = (target as i64 >> 12) - (pc as i64 >> 12);
    if !(-(1 << 20)..(1 << 20)).contains(&pages) {
        return Err(refuse("init array out of adrp range (±4 GiB)"));
    }
    let imm = pages as u32 & 0x1f_ffff;
    let adrp = 0x9000_0000 | ((imm & 3) << 29) | ((imm >> 2) << 5) | rd;
    let add = 0x9100_0000 | (((target & 0xfff) as u32) << 10) | (rd << 5) | rd;
    Ok([adrp, add])
}

fn aarch64_code(base: u64, shim: &Shim) -> Result<Vec<u8>, PatchError> {
    let mut w: Vec<u32> = Vec::new();
    let pc = |w: &Vec<u32>| base + 4 * w.len() as u64;
    w.push(0xb500_0043); // cbnz x3, +8 (init given: keep it)
    w.push(0x1000_0043); // adr x3, +8 (the init routine below)
    let b = a64_branch(0x1400_0000, pc(&w), shim.got_slot)?; // b __libc_start_main@plt
    w.push(b);
    // init(argc=w0, argv=x1, envp=x2)
    w.push(0xd503_245f); // bti c (called indirectly)
    w.extend_from_slice(&[
        0xa9bc_7bfd,
        0x9100_03fd,
        0xa901_53f3,
        0xa902_5bf5,
        0xa903_63f7,
    ]); // frame, save x19-x24
    w.extend_from_slice(&[0x2a00_03f3, 0xaa01_03f4, 0xaa02_03f5]); // w19 = argc, x20 = argv, x21 = envp
    if let Some(init) = shim.init {
        let bl = a64_branch(0x9400_0000, pc(&w), init)?;
        w.push(bl);
    }
    if let Some((arr, size)) = shim.init_array {
        let a = a64_addr(22, pc(&w), arr)?;
        w.extend_from_slice(&a);
        let e = a64_addr(23, pc(&w), arr + size)?;
        w.extend_from_slice(&e);
        // loop: cmp x22, x23; b.hs done; ldr x8, [x22], #8; args; blr x8; b loop
        w.extend_from_slice(&[
            0xeb17_02df,
            0x5400_00e2,
            0xf840_86c8,
            0x2a13_03e0,
            0xaa14_03e1,
            0xaa15_03e2,
            0xd63f_0100,
        ]);
        w.push(0x1400_0000 | ((-7i32) as u32 & 0x03ff_ffff));
    }
    w.extend_from_slice(&[
        0xa941_53f3,
        0xa942_5bf5,
        0xa943_63f7,
        0xa8c4_7bfd,
        0xd65f_03c0,
    ]); // restore, ret
    Ok(w.iter().flat_map(|x| x.to_le_bytes()).collect())
}

fn x86_64_code(base: u64, shim: &Shim) -> Result<Vec<u8>, PatchError> {
    let mut c: Vec<u8> = Vec::with_capacity(SHIM_SIZE);
    let here = |c: &Vec<u8>| base + c.len() as u64;
    // start_main shim: rcx = init.
    c.extend_from_slice(&[0xf3, 0x0f, 0x1e, 0xfa]); // endbr64
    c.extend_from_slice(&[0x48, 0x85, 0xc9]); // test rcx, rcx
    c.extend_from_slice(&[0x75, 0x07]); // jnz +7 (over the lea)
    let init_at = base + 4 + 3 + 2 + 7 + 6; // the init routine follows the jmp below
    c.extend_from_slice(&[0x48, 0x8d, 0x0d]); // lea rcx, [rip + init]
    let r = rel32(here(&c) + 4, init_at)?;
    c.extend_from_slice(&r);
    c.extend_from_slice(&[0xff, 0x25]); // jmp *GOT[__libc_start_main](%rip)
    let r = rel32(here(&c) + 4, shim.got_slot)?;
    c.extend_from_slice(&r);
    debug_assert_eq!(here(&c), init_at);
    // init(argc=edi, argv=rsi, envp=rdx)
    c.extend_from_slice(&[0xf3, 0x0f, 0x1e, 0xfa]); // endbr64 (called indirectly)
    c.extend_from_slice(&[0x53, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57]); // push rbx, r12-r15
    c.extend_from_slice(&[0x41, 0x89, 0xfc]); // mov r12d, edi
    c.extend_from_slice(&[0x49, 0x89, 0xf5]); // mov r13, rsi
    c.extend_from_slice(&[0x49, 0x89, 0xd6]); // mov r14, rdx
    if let Some(init) = shim.init {
        c.push(0xe8); // call DT_INIT
        let r = rel32(here(&c) + 4, init)?;
        c.extend_from_slice(&r);
    }
    if let Some((arr, size)) = shim.init_array {
        c.extend_from_slice(&[0x48, 0x8d, 0x1d]); // lea rbx, [rip + init_array]
        let r = rel32(here(&c) + 4, arr)?;
        c.extend_from_slice(&r);
        c.extend_from_slice(&[0x4c, 0x8d, 0x3d]); // lea r15, [rip + init_array_end]
        let r = rel32(here(&c) + 4, arr + size)?;
        c.extend_from_slice(&r);
        // loop: cmp rbx, r15; jae done; args; call [rbx]; add rbx, 8; jmp loop
        c.extend_from_slice(&[0x4c, 0x39, 0xfb, 0x73, 0x11]);
        c.extend_from_slice(&[0x44, 0x89, 0xe7, 0x4c, 0x89, 0xee, 0x4c, 0x89, 0xf2]);
        c.extend_from_slice(&[0xff, 0x13, 0x48, 0x83, 0xc3, 0x08, 0xeb, 0xea]);
    }
    c.extend_from_slice(&[0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5b, 0xc3]); // pops, ret
    Ok(c)
}

/// `call rel32` within 64 bytes of the entry point whose target is a PLT stub jumping
/// through `slot`: `jmp *disp(%ebx)` (PIC, %ebx = DT_PLTGOT) or `jmp *abs` (non-PIC).
fn find_i386_call(
    b: &Builder<'_>,
    bytes: &[u8],
    start: usize,
    sh_addr: u64,
    slot: u64,
    pltgot: Option<u64>,
) -> Option<(usize, u64, u64)> {
    let end = (start + 64).min(bytes.len().saturating_sub(5));
    (start..end).find_map(|i| {
        if bytes[i] != 0xe8 {
            return None;
        }
        let rel = i32::from_le_bytes(bytes.get(i + 1..i + 5)?.try_into().ok()?);
        let pc = sh_addr + i as u64;
        let target = u64::from((pc as u32).wrapping_add(5).wrapping_add(rel as u32));
        let (_, pb, off) = code_at(b, target, 6)?;
        let stub = pb.get(off..off + 6)?;
        let word = u32::from_le_bytes(stub[2..6].try_into().ok()?);
        let jumps_to = match (stub[0], stub[1]) {
            (0xff, 0xa3) => u64::from((pltgot? as u32).wrapping_add(word)),
            (0xff, 0x25) => u64::from(word),
            _ => return None,
        };
        (jumps_to == slot).then_some((i, pc, target))
    })
}

/// The i386 shim. `__libc_start_main`'s arguments are on the stack: `init` is the fourth
/// (16(%esp) at the shim's entry). The shim leaves %ebx alone: a PIC PLT stub needs the
/// GOT address `_start` put there.
fn i386_code(base: u64, shim: &Shim) -> Result<Vec<u8>, PatchError> {
    // Differences of 32-bit addresses: wrapping, so any layout of a 32-bit file encodes.
    let d32 = |from: u64, to: u64| (to as u32).wrapping_sub(from as u32).to_le_bytes();
    let mut c: Vec<u8> = Vec::with_capacity(SHIM_SIZE);
    let here = |c: &Vec<u8>| base + c.len() as u64;
    c.extend_from_slice(&[0x83, 0x7c, 0x24, 0x10, 0x00]); // cmpl $0, 16(%esp)
    c.extend_from_slice(&[0x75, 0x10]); // jne over the next 16 bytes
    c.extend_from_slice(&[0xe8, 0, 0, 0, 0, 0x58]); // call 1f; 1: pop %eax
    let anchor = here(&c) - 1;
    let init_at = base + 0x1c; // the init routine follows the jmp below
    c.extend_from_slice(&[0x8d, 0x80]); // lea init-1b(%eax), %eax
    c.extend_from_slice(&d32(anchor, init_at));
    c.extend_from_slice(&[0x89, 0x44, 0x24, 0x10]); // mov %eax, 16(%esp)
    c.push(0xe9); // jmp __libc_start_main@plt
    c.extend_from_slice(&d32(here(&c) + 4, shim.got_slot));
    debug_assert_eq!(here(&c), init_at);
    // init(argc, argv, envp), cdecl: save the callee-saved registers and keep %esp
    // 16-byte aligned at each call (entry: %esp = 12 mod 16).
    c.extend_from_slice(&[0x55, 0x53, 0x56, 0x57]); // push %ebp, %ebx, %esi, %edi
    c.extend_from_slice(&[0x83, 0xec, 0x0c]); // sub $12, %esp
    c.extend_from_slice(&[0xe8, 0, 0, 0, 0, 0x5b]); // call 1f; 1: pop %ebx
    let anchor = here(&c) - 1;
    // Copy (argc, argv, envp) from the caller's frame (32..44(%esp)) to the outgoing
    // argument slots before every call: a callee may overwrite its own arguments.
    let args: [u8; 23] = [
        0x8b, 0x44, 0x24, 0x20, 0x89, 0x04, 0x24, // argc
        0x8b, 0x44, 0x24, 0x24, 0x89, 0x44, 0x24, 0x04, // argv
        0x8b, 0x44, 0x24, 0x28, 0x89, 0x44, 0x24, 0x08, // envp
    ];
    if let Some(init) = shim.init {
        c.extend_from_slice(&args);
        c.push(0xe8); // call DT_INIT
        c.extend_from_slice(&d32(here(&c) + 4, init));
    }
    if let Some((arr, size)) = shim.init_array {
        c.extend_from_slice(&[0x8d, 0xb3]); // lea init_array-1b(%ebx), %esi
        c.extend_from_slice(&d32(anchor, arr));
        c.extend_from_slice(&[0x8d, 0xbb]); // lea init_array_end-1b(%ebx), %edi
        c.extend_from_slice(&d32(anchor, arr + size));
        // loop: cmp %edi, %esi; jae done; args; call *(%esi); add $4, %esi; jmp loop
        c.extend_from_slice(&[0x39, 0xfe, 0x73, 0x1e]);
        c.extend_from_slice(&args);
        c.extend_from_slice(&[0xff, 0x16, 0x83, 0xc6, 0x04, 0xeb, 0xde]);
    }
    c.extend_from_slice(&[0x83, 0xc4, 0x0c]); // add $12, %esp
    c.extend_from_slice(&[0x5f, 0x5e, 0x5b, 0x5d, 0xc3]); // pop %edi, %esi, %ebx, %ebp; ret
    Ok(c)
}

/// The ARM immediate of a data-processing instruction: 8 bits rotated right by twice the
/// 4-bit rotation.
fn arm_imm(insn: u32) -> u32 {
    (insn & 0xff).rotate_right(((insn >> 8) & 0xf) * 2)
}

/// The GOT slot an ARM PLT stub `add ip, pc, #a; add ip, ip, #b; ldr pc, [ip, #c]!` at
/// `stub` loads.
fn arm_plt_slot(b: &Builder<'_>, stub: u64) -> Option<u64> {
    let (_, pb, off) = code_at(b, stub, 12)?;
    let w = |k: usize| a64_word(pb, off + 4 * k);
    let (w0, w1, w2) = (w(0)?, w(1)?, w(2)?);
    if w0 & 0xffff_f000 != 0xe28f_c000
        || w1 & 0xffff_f000 != 0xe28c_c000
        || w2 & 0xffff_f000 != 0xe5bc_f000
    {
        return None;
    }
    Some(stub + 8 + u64::from(arm_imm(w0)) + u64::from(arm_imm(w1)) + u64::from(w2 & 0xfff))
}

/// The call of `__libc_start_main@plt` within 64 bytes of the entry point: Thumb `blx`
/// (entry address odd) or ARM `bl`. Returns the offset in the section, the call's address
/// (odd for Thumb) and the PLT stub.
fn find_arm_call(
    b: &Builder<'_>,
    bytes: &[u8],
    entry: u64,
    sh_addr: u64,
    slot: u64,
) -> Option<(usize, u64, u64)> {
    let thumb = entry & 1 == 1;
    let start = ((entry & !1) - sh_addr) as usize;
    let end = (start + 64).min(bytes.len().saturating_sub(4));
    let step = if thumb { 2 } else { 4 };
    (start..end).step_by(step).find_map(|i| {
        let pc = sh_addr + i as u64;
        let target = if thumb {
            let h1 = u32::from(u16::from_le_bytes(bytes.get(i..i + 2)?.try_into().ok()?));
            let h2 = u32::from(u16::from_le_bytes(
                bytes.get(i + 2..i + 4)?.try_into().ok()?,
            ));
            // BLX (immediate), encoding T2: to ARM code at Align(PC, 4) + imm32.
            if h1 & 0xf800 != 0xf000 || h2 & 0xd001 != 0xc000 {
                return None;
            }
            let s = (h1 >> 10) & 1;
            let i1 = !((h2 >> 13) ^ s) & 1;
            let i2 = !((h2 >> 11) ^ s) & 1;
            let imm =
                (s << 24) | (i1 << 23) | (i2 << 22) | ((h1 & 0x3ff) << 12) | ((h2 & 0x7fe) << 1);
            let off = ((imm << 7) as i32 >> 7) as i64;
            (((pc + 4) & !3) as i64 + off) as u64
        } else {
            let w = a64_word(bytes, i)?;
            if w & 0xff00_0000 != 0xeb00_0000 {
                return None;
            }
            let off = (((w & 0x00ff_ffff) << 8) as i32 >> 8) as i64 * 4;
            (pc as i64 + 8 + off) as u64
        };
        (arm_plt_slot(b, target)? == slot).then_some((i, pc | u64::from(thumb), target))
    })
}

/// An ARM `b`/`bl` (condition and opcode in `op`) from `from` to `to`.
fn arm_branch(op: u32, from: u64, to: u64) -> Result<u32, PatchError> {
    let d = to as i64 - (from as i64 + 8);
    if d % 4 != 0 || !(-(1 << 25)..(1 << 25)).contains(&d) {
        return Err(refuse("shim out of branch range (±32 MiB) of _start"));
    }
    Ok(op | ((d / 4) as u32 & 0x00ff_ffff))
}

/// A Thumb `blx` (immediate, to ARM code) at `from` to `to`, as two halfwords.
fn thumb_blx(from: u64, to: u64) -> Result<[u8; 4], PatchError> {
    let d = to as i64 - ((from + 4) & !3) as i64;
    if d % 4 != 0 || !(-(1 << 24)..(1 << 24)).contains(&d) {
        return Err(refuse("shim out of branch range (±16 MiB) of _start"));
    }
    let imm = d as u32;
    let s = (imm >> 24) & 1;
    let j1 = (!(imm >> 23) ^ s) & 1;
    let j2 = (!(imm >> 22) ^ s) & 1;
    let h1 = (0xf000 | (s << 10) | ((imm >> 12) & 0x3ff)) as u16;
    let h2 = (0xe800 | (j1 << 13) | (j2 << 11) | (((imm >> 2) & 0x3ff) << 1)) as u16;
    let mut out = [0; 4];
    out[..2].copy_from_slice(&h1.to_le_bytes());
    out[2..].copy_from_slice(&h2.to_le_bytes());
    Ok(out)
}

/// The ARM shim (ARM code; `init` in r3). Addresses it needs come from a literal pool as
/// offsets from the pc (`ldr rd, lit; add rd, pc, rd`), so it is position-independent;
/// `blx` to DT_INIT and the DT_INIT_ARRAY entries interworks with Thumb code (bit 0).
fn arm_code(base: u64, shim: &Shim) -> Result<Vec<u8>, PatchError> {
    let mut w: Vec<u32> = vec![0xe353_0000, 0x028f_3000]; // cmp r3, #0; addeq r3, pc, #0
    let b = arm_branch(0xea00_0000, base + 8, shim.got_slot)?; // b __libc_start_main@plt
    w.push(b);
    // init(argc=r0, argv=r1, envp=r2): push {r4-r8, lr}; r4-r6 = argc, argv, envp
    w.extend_from_slice(&[0xe92d_41f0, 0xe1a0_4000, 0xe1a0_5001, 0xe1a0_6002]);
    let mut literals: Vec<(usize, u64)> = Vec::new();
    let mut load = |w: &mut Vec<u32>, rd: u32, target: u64| {
        literals.push((w.len(), target));
        w.push(0xe59f_0000 | (rd << 12)); // ldr rd, [pc, #literal]
        w.push(0xe08f_0000 | (rd << 12) | rd); // add rd, pc, rd
    };
    let args = [0xe1a0_0004, 0xe1a0_1005, 0xe1a0_2006]; // mov r0-r2, r4-r6
    if let Some(init) = shim.init {
        load(&mut w, 7, init);
        w.extend_from_slice(&args);
        w.push(0xe12f_ff37); // blx r7
    }
    if let Some((arr, size)) = shim.init_array {
        load(&mut w, 7, arr);
        load(&mut w, 8, arr + size);
        // loop: cmp r7, r8; bhs done; ldr r3, [r7], #4; args; blx r3; b loop
        w.extend_from_slice(&[0xe157_0008, 0x2a00_0005, 0xe497_3004]);
        w.extend_from_slice(&args);
        w.extend_from_slice(&[0xe12f_ff33, 0xeaff_fff7]);
    }
    w.push(0xe8bd_81f0); // pop {r4-r8, pc}
    for (i, target) in literals {
        let lit = w.len();
        // The ldr at i reads pc + 8 + imm; the add at i + 1 adds pc = its address + 8.
        w[i] |= (4 * (lit - i) - 8) as u32;
        let add_pc = base + 4 * (i as u64 + 1) + 8;
        w.push((target as u32).wrapping_sub(add_pc as u32));
    }
    Ok(w.iter().flat_map(|x| x.to_le_bytes()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodings checked against GNU as/objdump: the `blx __libc_start_main@plt` of a
    /// Debian armhf `_start`, and the i386 and ARM branches the shim writes.
    #[test]
    fn branch_encodings() {
        // 5dc: f7ff ef9e  blx 51c
        assert_eq!(
            thumb_blx(0x5dc, 0x51c).expect("in range"),
            [0xff, 0xf7, 0x9e, 0xef]
        );
        // 3068: eafff52b  b 51c
        assert_eq!(
            arm_branch(0xea00_0000, 0x3068, 0x51c).expect("in range"),
            0xeaff_f52b
        );
        // e28cca01: add ip, ip, #4096
        assert_eq!(arm_imm(0xe28c_ca01), 0x1000);
        assert!(thumb_blx(0x5dc, 0x51e).is_err(), "not 4-aligned");
    }
}
