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

/// The name of the shim's section.
pub const SECTION_NAME: &str = ".elfcompat.start";

/// What `prepare` found, for `finish` to generate the code once addresses are known.
pub struct Shim {
    section: SectionId,
    got_slot: u64,
    call_section: SectionId,
    call_offset: usize,
    call_addr: u64,
    init: Option<u64>,
    init_array: Option<(u64, u64)>,
}

const X86_64_SIZE: usize = 128;

fn refuse(msg: impl Into<String>) -> PatchError {
    PatchError::Refused(msg.into())
}

/// Find the call site and the constructors, and add the (still empty) shim section.
pub fn prepare(b: &mut Builder<'_>) -> Result<Shim, PatchError> {
    if b.header.e_machine != elf::EM_X86_64 || !b.is_64 {
        return Err(refuse(format!(
            "lowering __libc_start_main below 2.34 needs a startup shim, and there is none for e_machine {} yet (x86_64 only)",
            b.header.e_machine.0
        )));
    }
    let lsm = b
        .dynamic_symbols
        .iter()
        .find(|s| s.name.as_slice() == b"__libc_start_main")
        .map(|s| s.id())
        .ok_or_else(|| refuse("no __libc_start_main import"))?;
    let mut got_slot = None;
    for s in b.sections.iter() {
        if let SectionData::DynamicRelocation(relocs) = &s.data {
            for r in relocs {
                if r.symbol == Some(lsm) && r.r_type.0 == elf::R_X86_64_GLOB_DAT.0 {
                    got_slot = Some(r.r_offset);
                }
            }
        }
    }
    let got_slot = got_slot.ok_or_else(|| {
        refuse("__libc_start_main is not called through a GOT slot (R_X86_64_GLOB_DAT): unrecognised _start")
    })?;
    let entry = b.header.e_entry;
    let (call_section, call_offset, call_addr) = b
        .sections
        .iter()
        .filter(|s| s.sh_flags.contains(elf::SHF_EXECINSTR) && s.sh_addr <= entry && entry < s.sh_addr + s.sh_size)
        .find_map(|s| {
            let SectionData::Data(bytes) = &s.data else {
                return None;
            };
            let bytes = bytes.as_slice();
            let start = (entry - s.sh_addr) as usize;
            let end = (start + 64).min(bytes.len().saturating_sub(6));
            (start..end).find_map(|i| {
                if bytes[i] != 0xff || bytes[i + 1] != 0x15 {
                    return None;
                }
                let disp = i32::from_le_bytes([bytes[i + 2], bytes[i + 3], bytes[i + 4], bytes[i + 5]]);
                let insn = s.sh_addr + i as u64;
                let target = (insn as i64 + 6 + i64::from(disp)) as u64;
                (target == got_slot).then_some((s.id(), i, insn))
            })
        })
        .ok_or_else(|| refuse("_start does not call __libc_start_main through `call *GOT(%rip)`: unrecognised _start"))?;

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
    sec.data = SectionData::Data(vec![0xcc; X86_64_SIZE].into());
    Ok(Shim {
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
    let code = x86_64_code(base, &shim)?;
    if code.len() > X86_64_SIZE {
        return Err(PatchError::internal("shim larger than reserved"));
    }
    if let SectionData::Data(bytes) = &mut b.sections.get_mut(shim.section).data {
        let v = bytes.to_mut();
        v[..code.len()].copy_from_slice(&code);
    }
    let call = rel32(shim.call_addr + 5, base)?;
    if let SectionData::Data(bytes) = &mut b.sections.get_mut(shim.call_section).data {
        let v = bytes.to_mut();
        let i = shim.call_offset;
        // call *GOT(%rip) (ff 15 rel32) -> call shim (e8 rel32) ; nop
        v[i] = 0xe8;
        v[i + 1..i + 5].copy_from_slice(&call);
        v[i + 5] = 0x90;
    }
    Ok(())
}

fn x86_64_code(base: u64, shim: &Shim) -> Result<Vec<u8>, PatchError> {
    let mut c: Vec<u8> = Vec::with_capacity(X86_64_SIZE);
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
