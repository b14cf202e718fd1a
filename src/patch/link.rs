//! Linking polyfills into a binary through the Builder: their code and data go into two
//! new sections (placed in new PT_LOADs by the layout), every glibc function they call
//! gets a GOT slot filled by a GLOB_DAT relocation against an import at a baseline
//! version, and the binary's references are bound to them by making the binary's own
//! dynamic symbol a definition: the loader then finds it in the binary itself (an
//! executable comes first in the lookup scope), on old and new glibc alike. A
//! COPY-relocated object of a non-PIE executable needs no code: its copy becomes the
//! object (the COPY relocation goes, the storage starts at 0, which every data polyfill
//! uses as its value).

use std::collections::BTreeMap;

use object::build::elf::{
    Builder, DynamicRelocation, DynamicSymbolId, SectionData, SectionId, VersionId,
};
use object::build::ByteString;
use object::elf;

use super::{How, PatchError, Plan};
use crate::polyfill::{self, Arch};

/// What `prepare` set up, for `finish` once the new sections have addresses.
pub struct Prepared {
    layout: polyfill::Layout,
    text: SectionId,
    data: SectionId,
    table: SectionId,
    /// Per import: the relocation's index in the table.
    got_relocs: BTreeMap<String, usize>,
    /// Per import reached through a GOT slot the binary already has: its relocation (to
    /// read the slot's address once the layout is final).
    shared_slots: BTreeMap<String, (SectionId, usize)>,
    /// Per polyfill or wrapper (the object's symbol name): the binary's dynamic symbol.
    bound: Vec<(String, DynamicSymbolId)>,
}

fn refuse(msg: impl Into<String>) -> PatchError {
    PatchError::Refused(msg.into())
}

fn new_section(b: &mut Builder<'_>, name: &str, flags: elf::SectionFlags, size: u64) -> SectionId {
    let sec = b.sections.add();
    sec.name = name.as_bytes().to_vec().into();
    sec.sh_type = elf::SHT_PROGBITS;
    sec.sh_flags = flags;
    sec.sh_addralign = 16;
    sec.data = SectionData::Data(vec![0; size as usize].into());
    sec.id()
}

/// Whether glibc's `name` is a data object (`_sys_siglist`) rather than a function.
fn object_kind(arch: Arch, name: &str) -> bool {
    let db = crate::abi::db();
    db.target_by_name(arch.target_name()).is_some_and(|t| {
        db.symbol(t, name)
            .first()
            .is_some_and(|s| s.kind == crate::abi::SymbolKind::Object)
    })
}

/// Add the sections, imports and GLOB_DAT relocations, and bind the binary's symbols.
pub fn prepare(
    b: &mut Builder<'_>,
    plan: &Plan,
    symbols: &[DynamicSymbolId],
) -> Result<Prepared, PatchError> {
    let arch = Arch::of(
        b.header.e_machine.0,
        b.is_64,
        b.endian == object::Endianness::Big,
    )
    .ok_or_else(|| refuse("no polyfills for this architecture"))?;
    let (glob_dat, copy, want_rela) = match arch {
        Arch::X86_64 => (elf::R_X86_64_GLOB_DAT.0, elf::R_X86_64_COPY.0, true),
        Arch::Aarch64 => (elf::R_AARCH64_GLOB_DAT.0, elf::R_AARCH64_COPY.0, true),
        Arch::I386 => (elf::R_386_GLOB_DAT.0, elf::R_386_COPY.0, false),
        Arch::Armhf => (elf::R_ARM_GLOB_DAT.0, elf::R_ARM_COPY.0, false),
        Arch::Ppc64el => (elf::R_PPC64_GLOB_DAT.0, elf::R_PPC64_COPY.0, true),
        Arch::S390x => (elf::R_390_GLOB_DAT.0, elf::R_390_COPY.0, true),
        // riscv64 has no GLOB_DAT: a GOT slot is filled by R_RISCV_64 (S + A).
        Arch::Riscv64 => (elf::R_RISCV_64.0, elf::R_RISCV_COPY.0, true),
    };
    if arch == Arch::Armhf && b.header.e_flags.0 & elf::EF_ARM_ABI_FLOAT_HARD == 0 {
        return Err(refuse(
            "the arm polyfills are hard-float (armhf) code, and this file is not",
        ));
    }
    // The imports' GLOB_DAT relocations go into the file's table, RELA on the 64-bit
    // architectures and REL on the 32-bit ones (whose GLOB_DAT takes no addend).
    let (table, rela) = super::relr::table_of(b).ok_or_else(|| {
        refuse(match want_rela {
            true => "polyfills need a DT_RELA table for their imports",
            false => "polyfills need a DT_REL table for their imports",
        })
    })?;
    if rela != want_rela {
        return Err(refuse(match want_rela {
            true => "polyfills need a RELA relocation table",
            false => "polyfills need a REL relocation table",
        }));
    }

    // The binary's symbols: COPY-relocated objects lose their COPY relocation; the rest
    // are linked.
    let mut roots = Vec::new();
    let mut copies = Vec::new();
    for c in plan
        .changes
        .iter()
        .filter(|c| matches!(c.how, How::Polyfill | How::Wrap))
    {
        let id = c
            .dynsym_index
            .checked_sub(1)
            .and_then(|i| symbols.get(i))
            .copied()
            .filter(|id| b.dynamic_symbols.get(*id).name.as_slice() == c.symbol.as_bytes())
            .ok_or_else(|| {
                PatchError::internal(format!(
                    "dynamic symbol #{} is not {}",
                    c.dynsym_index, c.symbol
                ))
            })?;
        if b.dynamic_symbols.get(id).st_shndx != elf::SHN_UNDEF
            || b.dynamic_symbols.get(id).section.is_some()
        {
            copies.push(id);
        } else {
            let object = match c.how {
                How::Wrap => polyfill::object_symbol(&c.symbol, true),
                _ => polyfill::polyfill_symbol(&c.symbol, &c.from_version),
            };
            roots.push((object, id));
        }
    }
    for id in &copies {
        for s in b.sections.iter_mut() {
            if let SectionData::DynamicRelocation(v) = &mut s.data {
                v.retain(|r| !(r.symbol == Some(*id) && r.r_type.0 == copy));
            }
        }
        let sym = b.dynamic_symbols.get_mut(*id);
        sym.version = VersionId::global();
        sym.version_hidden = false;
    }

    let names: Vec<String> = roots.iter().map(|(n, _)| n.clone()).collect();
    let layout = polyfill::layout(arch, &names).map_err(|e| refuse(e.to_string()))?;
    // A trial link at placeholder addresses tells which blob each polyfill lives in.
    let trial = layout
        .link(0x4000_0000, 0x5000_0000)
        .map_err(|e| refuse(e.to_string()))?;
    let text = new_section(
        b,
        ".elfcompat.polyfill.text",
        elf::SHF_ALLOC | elf::SHF_EXECINSTR,
        layout.text_size,
    );
    let data = new_section(
        b,
        ".elfcompat.polyfill.data",
        elf::SHF_ALLOC | elf::SHF_WRITE,
        layout.data_size,
    );

    // Imports: a dynamic symbol at the planned version, and a GLOB_DAT into its slot.
    // When the binary already imports the symbol at that version, its dynamic symbol
    // serves, and so does its GOT slot if it has one the loader fills with the address:
    // a GLOB_DAT slot, or (x86_64, functions) a PLT slot, which before lazy binding
    // resolves it holds the address of the PLT entry's second half, so that a call through
    // it binds and calls the function as the PLT entry would. No new symbol, string or
    // relocation then: the tables need not grow.
    let jump_slot = match arch {
        Arch::X86_64 => Some(elf::R_X86_64_JUMP_SLOT.0),
        // aarch64's PLT header finds the relocation through x16, which only a PLT entry sets;
        // i386's PLT entries jump through %ebx, the binary's GOT base, which the polyfills'
        // code holds its own GOT base in; arm's PLT header expects ip set by a PLT entry.
        // ppc64el's PLT slots point into `.glink` until bound, whose stubs expect r11/r12
        // set by a PLT call stub; s390x's are left to the PLT (the polyfills' stubs use
        // their own); riscv64's PLT header finds the slot from t1, which only a PLT entry sets.
        Arch::Aarch64 | Arch::I386 | Arch::Armhf | Arch::Ppc64el | Arch::S390x | Arch::Riscv64 => {
            None
        }
    };
    // What each import needs: its version, its kind, and the binary's own dynamic symbol
    // for it if there is one (found in one pass over the symbols, and their GOT slots in
    // one pass over the relocations: a large library has hundreds of thousands).
    let mut imports = Vec::new();
    for name in layout.got.keys() {
        let pi = plan
            .polyfill_imports
            .iter()
            .find(|p| &p.symbol == name)
            .ok_or_else(|| PatchError::internal(format!("polyfill import {name} not planned")))?;
        let vid = super::rewrite::find_or_add_need(b, &pi.library, &pi.version)?;
        let kind = match object_kind(arch, name) {
            true => elf::STT_OBJECT.0,
            false => elf::STT_FUNC.0,
        };
        imports.push((name, vid, kind, None));
    }
    for s in b.dynamic_symbols.iter() {
        if s.st_shndx != elf::SHN_UNDEF
            || s.section.is_some()
            || s.st_info.0 >> 4 != elf::STB_GLOBAL.0
        {
            continue;
        }
        for (name, vid, _, existing) in imports.iter_mut() {
            if existing.is_none() && s.version == *vid && s.name.as_slice() == name.as_bytes() {
                *existing = Some(s.id());
            }
        }
    }
    // The first GLOB_DAT (or, for a function, JUMP_SLOT) relocation of each existing
    // symbol, in section order.
    let mut slots: Vec<Option<(SectionId, usize)>> = vec![None; imports.len()];
    for sec in b.sections.iter() {
        let SectionData::DynamicRelocation(v) = &sec.data else {
            continue;
        };
        for (i, r) in v.iter().enumerate() {
            let Some(sym) = r.symbol else { continue };
            if r.r_addend != 0 || (r.r_type.0 != glob_dat && Some(r.r_type.0) != jump_slot) {
                continue;
            }
            for (k, (_, _, kind, existing)) in imports.iter().enumerate() {
                let is_function = *kind == elf::STT_FUNC.0;
                if slots[k].is_none()
                    && *existing == Some(sym)
                    && (r.r_type.0 == glob_dat || is_function)
                {
                    slots[k] = Some((sec.id(), i));
                }
            }
        }
    }
    let mut got_relocs = BTreeMap::new();
    let mut shared_slots = BTreeMap::new();
    for ((name, vid, kind, existing), slot) in imports.into_iter().zip(slots) {
        let sid = match existing {
            Some(id) => id,
            None => {
                let sym = b.dynamic_symbols.add();
                sym.name = ByteString::from(name.as_bytes().to_vec());
                sym.st_info = elf::SymbolInfo((elf::STB_GLOBAL.0 << 4) | kind);
                sym.version = vid;
                sym.id()
            }
        };
        if let Some(slot) = slot {
            shared_slots.insert(name.clone(), slot);
            continue;
        }
        if let SectionData::DynamicRelocation(v) = &mut b.sections.get_mut(table).data {
            v.push(DynamicRelocation {
                r_offset: 0,
                symbol: Some(sid),
                r_type: elf::RelocationType(glob_dat),
                r_addend: 0,
            });
            got_relocs.insert(name.clone(), v.len() - 1);
        }
    }

    // Bind: the binary's own dynamic symbol becomes the definition.
    for (name, id) in &roots {
        let (_, size, in_text) = trial
            .symbols
            .get(name)
            .copied()
            .ok_or_else(|| PatchError::internal(format!("{name} not linked")))?;
        let sym = b.dynamic_symbols.get_mut(*id);
        let kind = if in_text {
            elf::STT_FUNC.0
        } else {
            elf::STT_OBJECT.0
        };
        sym.st_info = elf::SymbolInfo((elf::STB_GLOBAL.0 << 4) | kind);
        // A function is protected, and its version index (global) hidden. Protected: the
        // loader binds the binary's own references to it, whatever comes before the binary
        // in the lookup scope (a shared library after libc.so.6 would otherwise get the
        // old glibc's function of that name, which a wrapper exists to correct). Hidden: a
        // versioned reference never matches it, so other objects keep binding to glibc,
        // and the wrapper's own import of the same name (`sysconf@GLIBC_2.2.5`) reaches
        // glibc's function instead of the wrapper. Both rules are in every glibc's
        // loader (dl-lookup.c check_match and the STV_PROTECTED case, dl-runtime.c).
        let protect = in_text;
        sym.st_other = elf::SymbolOther(if protect {
            elf::STV_PROTECTED.0
        } else {
            elf::STV_DEFAULT.0
        });
        sym.section = Some(if in_text { text } else { data });
        // object's Builder counts hashed symbols by st_shndx when sizing .gnu.hash, but
        // writes st_shndx from `section`: set both, or .gnu.hash is sized too small.
        sym.st_shndx = elf::SHN_ABS;
        sym.st_size = size;
        sym.version = VersionId::global();
        sym.version_hidden = protect;
    }
    Ok(Prepared {
        layout,
        text,
        data,
        table,
        got_relocs,
        shared_slots,
        bound: roots,
    })
}

/// Link at the final addresses, fill the sections, point the symbols and GOT relocations.
pub fn finish(b: &mut Builder<'_>, p: Prepared) -> Result<(), PatchError> {
    let text_base = b.sections.get(p.text).sh_addr;
    let data_base = b.sections.get(p.data).sh_addr;
    if text_base == 0 || data_base == 0 {
        return Err(PatchError::internal("polyfill sections were not placed"));
    }
    let mut got_at = BTreeMap::new();
    for (name, (sec, idx)) in &p.shared_slots {
        if let SectionData::DynamicRelocation(v) = &b.sections.get(*sec).data {
            let r = v
                .get(*idx)
                .ok_or_else(|| PatchError::internal("shared GOT slot relocation"))?;
            got_at.insert(name.clone(), r.r_offset);
        }
    }
    let linked = p
        .layout
        .link_with(text_base, data_base, &got_at)
        .map_err(|e| refuse(e.to_string()))?;
    for (id, bytes) in [(p.text, &linked.text), (p.data, &linked.data)] {
        if let SectionData::Data(d) = &mut b.sections.get_mut(id).data {
            let v = d.to_mut();
            v[..bytes.len()].copy_from_slice(bytes);
        }
    }
    for (name, id) in &p.bound {
        let (addr, _, _) = linked
            .symbols
            .get(name)
            .copied()
            .ok_or_else(|| PatchError::internal(format!("{name} not linked")))?;
        b.dynamic_symbols.get_mut(*id).st_value = addr;
    }
    if let SectionData::DynamicRelocation(v) = &mut b.sections.get_mut(p.table).data {
        for (name, idx) in &p.got_relocs {
            let off = p
                .layout
                .got
                .get(name)
                .copied()
                .ok_or_else(|| PatchError::internal("GOT slot"))?;
            if let Some(r) = v.get_mut(*idx) {
                r.r_offset = data_base + off;
            }
        }
    }
    Ok(())
}
