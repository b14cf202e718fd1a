//! DT_RELR expansion. Loaders before glibc 2.36 ignore DT_RELR, so a packed-relocation
//! binary would run with unrelocated pointers. Below 2.36 every RELR entry becomes an
//! ordinary relative relocation in the DT_RELA/DT_REL table (which moves to the new
//! PT_LOAD), DT_RELR* are removed, and so is the `GLIBC_ABI_DT_RELR` requirement.

use object::build::elf::{
    Builder, Dynamic, DynamicRelocation, SectionData, SectionId, VersionData,
};
use object::elf;

use super::PatchError;

/// What `expand` changed.
pub struct Expanded {
    /// Relative relocations added at the front of the table.
    pub added: u64,
}

/// The relocation table DT_RELA (or DT_REL) names, and whether it is RELA.
pub fn table_of(b: &Builder<'_>) -> Option<(SectionId, bool)> {
    let (addr, rela) = match int(b, elf::DT_RELA) {
        Some(a) => (a, true),
        None => (int(b, elf::DT_REL)?, false),
    };
    b.sections
        .iter()
        .find(|s| s.sh_addr == addr && matches!(s.data, SectionData::DynamicRelocation(_)))
        .map(|s| (s.id(), rela))
}

fn refuse(msg: impl Into<String>) -> PatchError {
    PatchError::Refused(msg.into())
}

/// The relative relocation type of the file's architecture, and whether its table is RELA
/// (the planner asks too, through `limits`).
pub fn relative_type(machine: u16) -> Option<(u32, bool)> {
    Some(match elf::Machine(machine) {
        elf::EM_X86_64 => (elf::R_X86_64_RELATIVE.0, true),
        elf::EM_AARCH64 => (elf::R_AARCH64_RELATIVE.0, true),
        elf::EM_PPC64 => (elf::R_PPC64_RELATIVE.0, true),
        elf::EM_RISCV => (elf::R_RISCV_RELATIVE.0, true),
        elf::EM_S390 => (elf::R_390_RELATIVE.0, true),
        elf::EM_386 => (elf::R_386_RELATIVE.0, false),
        elf::EM_ARM => (elf::R_ARM_RELATIVE.0, false),
        _ => return None,
    })
}

fn int(b: &Builder<'_>, tag: elf::DynamicTag) -> Option<u64> {
    b.dynamic_data()?.iter().find_map(|d| match d {
        Dynamic::Integer { tag: t, val } if *t == tag => Some(*val),
        _ => None,
    })
}

/// The word at a virtual address, from the section that holds it.
fn word_at(b: &Builder<'_>, addr: u64, wide: bool) -> Option<u64> {
    // .tbss occupies no address space of its own (it may share .init_array's address).
    let s = b.sections.iter().find(|s| {
        s.is_alloc()
            && s.sh_type != elf::SHT_NOBITS
            && !s.sh_flags.contains(elf::SHF_TLS)
            && s.sh_addr <= addr
            && addr < s.sh_addr + s.sh_size
    })?;
    let SectionData::Data(d) = &s.data else {
        return None;
    };
    let off = (addr - s.sh_addr) as usize;
    let n = if wide { 8 } else { 4 };
    let bytes = d.as_slice().get(off..off + n)?;
    let little = b.endian == object::Endianness::Little;
    Some(if wide {
        let a: [u8; 8] = bytes.try_into().ok()?;
        if little {
            u64::from_le_bytes(a)
        } else {
            u64::from_be_bytes(a)
        }
    } else {
        let a: [u8; 4] = bytes.try_into().ok()?;
        u64::from(if little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    })
}

/// Decode a RELR table into the addresses it relocates.
pub fn decode(words: &[u64], wide: bool) -> Vec<u64> {
    let bits = if wide { 64 } else { 32 };
    let word = if wide { 8 } else { 4 };
    let mut out = Vec::new();
    let mut base = 0u64;
    for &w in words {
        if w & 1 == 0 {
            out.push(w);
            base = w.wrapping_add(word);
        } else {
            let mut bitmap = w >> 1;
            let mut i = 0u64;
            while bitmap != 0 {
                if bitmap & 1 != 0 {
                    out.push(base.wrapping_add(i * word));
                }
                bitmap >>= 1;
                i += 1;
            }
            base = base.wrapping_add((bits - 1) * word);
        }
    }
    out
}

/// Whether `id` is the PLT relocation table (DT_JMPREL), on its own: it may move, and
/// `fix_dynamic` points DT_JMPREL at its new place (the PLT finds its relocations by index
/// or offset from DT_JMPREL, never by address).
pub fn is_jmprel_table(b: &Builder<'_>, id: SectionId) -> bool {
    let s = b.sections.get(id);
    let Some(j) = int(b, elf::DT_JMPREL) else {
        return false;
    };
    let covered = match (
        int(b, elf::DT_RELA).or_else(|| int(b, elf::DT_REL)),
        int(b, elf::DT_RELASZ).or_else(|| int(b, elf::DT_RELSZ)),
    ) {
        (Some(a), Some(sz)) => j >= a && j < a + sz,
        _ => false,
    };
    s.sh_addr == j && s.sh_size != 0 && !covered
}

/// Whether `id` is the relocation table `expand` grew (named by DT_RELA / DT_REL).
pub fn is_grown_table(b: &Builder<'_>, id: SectionId) -> bool {
    let s = b.sections.get(id);
    let (addr, size) = match (int(b, elf::DT_RELA), int(b, elf::DT_REL)) {
        (Some(a), _) => (a, int(b, elf::DT_RELASZ).unwrap_or(0)),
        (None, Some(a)) => (a, int(b, elf::DT_RELSZ).unwrap_or(0)),
        _ => return false,
    };
    // Some linkers make DT_RELASZ cover the PLT relocations too (GNU ld on riscv64). When
    // they are a section of their own that ends the range, the loader takes DT_PLTRELSZ
    // off such a range before it relocates (glibc's _ELF_DYNAMIC_DO_RELOC, every release),
    // so the table alone is the same to it, and `fix_dynamic` names the table alone: it
    // may move. Any other overlap makes the two one range that neither may leave.
    let covers_plt = int(b, elf::DT_JMPREL).is_some_and(|j| {
        let plt_size = int(b, elf::DT_PLTRELSZ).unwrap_or(0);
        let own_section = jmprel_of(b).is_some_and(|p| p != id);
        let plt_ends_range = own_section && j > addr && j + plt_size == addr + size;
        j >= addr && j < addr + size && !plt_ends_range
    });
    addr == s.sh_addr && s.sh_size != 0 && !covers_plt
}

/// Turn every RELR entry into a relative relocation at the front of the DT_RELA/DT_REL
/// table, and remove DT_RELR, its section and the `GLIBC_ABI_DT_RELR` requirement.
pub fn expand(b: &mut Builder<'_>) -> Result<Expanded, PatchError> {
    let (r_type, rela) = relative_type(b.header.e_machine.0).ok_or_else(|| {
        refuse(format!(
            "DT_RELR expansion is not supported for e_machine {}",
            b.header.e_machine.0
        ))
    })?;
    let wide = b.is_64;
    let relr_addr =
        int(b, elf::DT_RELR).ok_or_else(|| refuse("GLIBC_ABI_DT_RELR required but no DT_RELR"))?;
    let relr_id = b
        .sections
        .iter()
        .find(|s| s.sh_addr == relr_addr && s.is_alloc())
        .map(|s| s.id())
        .ok_or_else(|| refuse("DT_RELR points at no section"))?;
    let SectionData::Data(raw) = &b.sections.get(relr_id).data else {
        return Err(refuse("DT_RELR section is not plain data"));
    };
    let little = b.endian == object::Endianness::Little;
    let n = if wide { 8 } else { 4 };
    let words: Vec<u64> = raw
        .as_slice()
        .chunks_exact(n)
        .map(|c| {
            if wide {
                let a: [u8; 8] = c.try_into().unwrap_or([0; 8]);
                if little {
                    u64::from_le_bytes(a)
                } else {
                    u64::from_be_bytes(a)
                }
            } else {
                let a: [u8; 4] = c.try_into().unwrap_or([0; 4]);
                u64::from(if little {
                    u32::from_le_bytes(a)
                } else {
                    u32::from_be_bytes(a)
                })
            }
        })
        .collect();
    let addrs = decode(&words, wide);
    let mut relocs = Vec::with_capacity(addrs.len());
    for a in &addrs {
        // RELR's addend is the word in place; RELA wants it in the relocation, REL
        // keeps using the word in place.
        let addend = if rela {
            let w = word_at(b, *a, wide)
                .ok_or_else(|| refuse(format!("RELR entry {a:#x} is not in a data section")))?;
            if wide {
                w as i64
            } else {
                i64::from(w as u32 as i32)
            }
        } else {
            0
        };
        relocs.push(DynamicRelocation {
            r_offset: *a,
            symbol: None,
            r_type: elf::RelocationType(r_type),
            r_addend: addend,
        });
    }
    let tag = if rela { elf::DT_RELA } else { elf::DT_REL };
    let table_addr = int(b, tag)
        .ok_or_else(|| refuse("DT_RELR expansion needs an existing DT_RELA/DT_REL table"))?;
    let table = b
        .sections
        .iter()
        .find(|s| s.sh_addr == table_addr && matches!(s.data, SectionData::DynamicRelocation(_)))
        .map(|s| s.id())
        .ok_or_else(|| refuse("DT_RELA/DT_REL points at no relocation section"))?;
    if let SectionData::DynamicRelocation(v) = &mut b.sections.get_mut(table).data {
        let mut all = relocs;
        all.append(v);
        *v = all;
    }
    b.sections.get_mut(relr_id).delete = true;
    if let Some(d) = b.dynamic_data_mut() {
        d.retain(|e| !matches!(e.tag(), elf::DT_RELR | elf::DT_RELRSZ | elf::DT_RELRENT));
    }
    for v in b.versions.iter_mut() {
        if let VersionData::Need(need) = &v.data {
            if need.name.as_slice() == b"GLIBC_ABI_DT_RELR" {
                v.delete = true;
            }
        }
    }
    let _ = table;
    Ok(Expanded {
        added: addrs.len() as u64,
    })
}

/// After layout: DT_RELA/DT_REL and their size name the table where it now is (it moves
/// when it grew; the Builder copies these values as they were), and the relative count
/// grows by what RELR expansion put at its front.
pub fn fix_dynamic(
    b: &mut Builder<'_>,
    table: Option<(SectionId, bool)>,
    jmprel: Option<SectionId>,
    added_relative: u64,
) -> Result<(), PatchError> {
    if let Some(j) = jmprel {
        let addr = b.sections.get(j).sh_addr;
        if let Some(d) = b.dynamic_data_mut() {
            for entry in d.iter_mut() {
                if let Dynamic::Integer { tag, val } = entry {
                    if *tag == elf::DT_JMPREL {
                        *val = addr;
                    }
                }
            }
        }
    }
    let Some((table, rela)) = table else {
        return Ok(());
    };
    let s = b.sections.get(table);
    let (addr, size) = (s.sh_addr, s.sh_size);
    let (t_addr, t_size, t_count) = if rela {
        (elf::DT_RELA, elf::DT_RELASZ, elf::DT_RELACOUNT)
    } else {
        (elf::DT_REL, elf::DT_RELSZ, elf::DT_RELCOUNT)
    };
    let d = b
        .dynamic_data_mut()
        .ok_or_else(|| PatchError::internal("no .dynamic"))?;
    for entry in d.iter_mut() {
        if let Dynamic::Integer { tag, val } = entry {
            if *tag == t_addr {
                *val = addr;
            } else if *tag == t_size {
                *val = size;
            } else if *tag == t_count {
                *val += added_relative;
            }
        }
    }
    Ok(())
}

/// The section DT_JMPREL names.
pub fn jmprel_of(b: &Builder<'_>) -> Option<SectionId> {
    let j = int(b, elf::DT_JMPREL)?;
    b.sections
        .iter()
        .find(|s| s.sh_addr == j && matches!(s.data, SectionData::DynamicRelocation(_)))
        .map(|s| s.id())
}
