//! The in-place path: when a plan only re-points symbols to versions the file already
//! requires and drops requirements, the file keeps its size and layout. Only
//! `.gnu.version` entries, the `.gnu.version_r` records (rewritten compactly in their own
//! space) and DT_VERNEEDNUM change. Works without section headers, through PT_DYNAMIC.

use crate::elf::{ByteOrder, Class, ElfFile};

use super::{How, Image, PatchError, Plan};

struct Writer<'w, 'a> {
    out: &'w mut Image<'a>,
    big: bool,
}

impl Writer<'_, '_> {
    fn put(&mut self, off: u64, bytes: &[u8]) -> Result<(), PatchError> {
        match off.checked_add(bytes.len() as u64) {
            Some(end) if end <= self.out.len() => {
                self.out.write_at(off, bytes);
                Ok(())
            }
            _ => Err(PatchError::internal("write outside the file")),
        }
    }
    /// An integer in the file's byte order, given as its big- and little-endian bytes.
    fn int<const N: usize>(
        &mut self,
        off: u64,
        be: [u8; N],
        le: [u8; N],
    ) -> Result<(), PatchError> {
        self.put(off, if self.big { &be } else { &le })
    }
    fn u16(&mut self, off: u64, v: u16) -> Result<(), PatchError> {
        self.int(off, v.to_be_bytes(), v.to_le_bytes())
    }
    fn u32(&mut self, off: u64, v: u32) -> Result<(), PatchError> {
        self.int(off, v.to_be_bytes(), v.to_le_bytes())
    }
    fn u64(&mut self, off: u64, v: u64) -> Result<(), PatchError> {
        self.int(off, v.to_be_bytes(), v.to_le_bytes())
    }
}

fn read_u32(data: &[u8], off: u64, big: bool) -> Option<u32> {
    let b = data.get(off as usize..off as usize + 4)?;
    let a = [b[0], b[1], b[2], b[3]];
    Some(if big {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    })
}

/// Whether the plan can be applied without growing anything.
pub fn fits(plan: &Plan) -> bool {
    plan.add_versions.is_empty()
        && plan.add_needed.is_empty()
        && !plan.startup_shim
        && !plan.expand_relr
        && plan.polyfills.is_empty()
        && plan.link.is_empty()
        && plan.changes.iter().all(|c| c.symbol == c.to_symbol)
}

/// Apply a plan that [`fits`]: the file's bytes with the edited pages.
pub fn apply<'a>(file: &ElfFile<'a>, plan: &Plan) -> Result<Image<'a>, PatchError> {
    let dynamic = file
        .dynamic
        .as_ref()
        .ok_or_else(|| PatchError::internal("no dynamic section"))?;
    let big = file.byte_order == ByteOrder::Big;
    let mut out = Image::unchanged(file.data);
    let mut w = Writer { out: &mut out, big };

    // Which vernaux index each (library, version) has.
    let index_of = |lib: &str, ver: &str| -> Option<u16> {
        dynamic
            .verneed
            .iter()
            .filter(|vn| vn.file == lib)
            .flat_map(|vn| vn.aux.iter())
            .find(|a| a.name == ver)
            .map(|a| a.index & 0x7fff)
    };

    // 1. .gnu.version: re-point each changed symbol, keeping the hidden bit.
    let versym = dynamic
        .layout
        .versym
        .ok_or_else(|| PatchError::internal("symbols to re-point but no DT_VERSYM"))?;
    for c in &plan.changes {
        if c.how == How::Unversion {
            w.u16(versym.offset + 2 * c.dynsym_index as u64, 1)?;
            continue;
        }
        let idx = index_of(&c.to_library, &c.to_version).ok_or_else(|| {
            PatchError::internal(format!(
                "{} {} is not required yet: the in-place path cannot add it",
                c.to_library, c.to_version
            ))
        })?;
        let old = dynamic.versym.get(c.dynsym_index).copied().unwrap_or(0);
        w.u16(
            versym.offset + 2 * c.dynsym_index as u64,
            (old & 0x8000) | idx,
        )?;
    }

    // 2. .gnu.version_r: rewrite the kept records compactly where the old ones were.
    let region = dynamic
        .layout
        .verneed
        .ok_or_else(|| PatchError::internal("no DT_VERNEED"))?;
    let dropped = |lib: &str, ver: &str| {
        plan.drop_versions
            .iter()
            .any(|d| d.library == lib && d.version == ver)
    };
    let mut records: Vec<(u64, Vec<u64>)> = Vec::new(); // (verneed offset, kept vernaux offsets)
    for vn in &dynamic.verneed {
        let kept: Vec<u64> = vn
            .aux
            .iter()
            .filter(|a| !dropped(&vn.file, &a.name))
            .map(|a| a.offset)
            .collect();
        if !kept.is_empty() {
            records.push((vn.offset, kept));
        }
    }
    if records.is_empty() {
        // Nothing is required any more: the loader would still read one record at
        // DT_VERNEED, so the tags go instead (the array is compacted in place).
        drop_verneed_tags(file, &mut w, region)?;
        return Ok(out);
    }
    let original = file.data;
    let mut blob: Vec<u8> = Vec::with_capacity(region.size as usize);
    let n = records.len();
    for (i, (vn_off, kept)) in records.iter().enumerate() {
        let head = original
            .get(*vn_off as usize..*vn_off as usize + 16)
            .ok_or_else(|| PatchError::internal("verneed outside the file"))?;
        let vn_version = &head[0..2];
        let vn_file = read_u32(original, vn_off + 4, big).unwrap_or(0);
        let cnt = kept.len() as u16;
        let next = if i + 1 == n {
            0
        } else {
            16 + 16 * u32::from(cnt)
        };
        blob.extend_from_slice(vn_version);
        blob.extend_from_slice(&if big {
            cnt.to_be_bytes()
        } else {
            cnt.to_le_bytes()
        });
        for v in [vn_file, 16, next] {
            blob.extend_from_slice(&if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            });
        }
        for (j, aux_off) in kept.iter().enumerate() {
            let rec = original
                .get(*aux_off as usize..*aux_off as usize + 12)
                .ok_or_else(|| PatchError::internal("vernaux outside the file"))?;
            blob.extend_from_slice(rec); // hash, flags, other, name
            let next: u32 = if j + 1 == kept.len() { 0 } else { 16 };
            blob.extend_from_slice(&if big {
                next.to_be_bytes()
            } else {
                next.to_le_bytes()
            });
        }
    }
    if blob.len() as u64 > region.size {
        return Err(PatchError::internal(
            "compacted .gnu.version_r is larger than the original",
        ));
    }
    blob.resize(region.size as usize, 0);
    w.put(region.offset, &blob)?;

    // 3. DT_VERNEEDNUM (and the section header's sh_info, when there is one).
    let dyn_region = dynamic
        .layout
        .dynamic
        .ok_or_else(|| PatchError::internal("no PT_DYNAMIC"))?;
    let word = if file.class == Class::Elf64 { 8 } else { 4 };
    if let Some(pos) = dynamic
        .entries
        .iter()
        .position(|(t, _)| *t == object::elf::DT_VERNEEDNUM.0)
    {
        let off = dyn_region.offset + (pos as u64) * 2 * word + word;
        if word == 8 {
            w.u64(off, n as u64)?;
        } else {
            w.u32(off, n as u32)?;
        }
    }
    if let Some(sh) = verneed_section_info_offset(file) {
        w.u32(sh, n as u32)?;
    }
    Ok(out)
}

/// File offset of `sh_info` of the SHT_GNU_verneed section header, if there is one.
fn verneed_section_info_offset(file: &ElfFile<'_>) -> Option<u64> {
    if !file.has_section_headers {
        return None;
    }
    let big = file.byte_order == ByteOrder::Big;
    let data = file.data;
    let (shoff, shentsize, shnum, info_at) = if file.class == Class::Elf64 {
        let shoff = {
            let b = data.get(0x28..0x30)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            if big {
                u64::from_be_bytes(a)
            } else {
                u64::from_le_bytes(a)
            }
        };
        let two = |o: usize| -> Option<u16> {
            let b = data.get(o..o + 2)?;
            Some(if big {
                u16::from_be_bytes([b[0], b[1]])
            } else {
                u16::from_le_bytes([b[0], b[1]])
            })
        };
        (shoff, u64::from(two(0x3a)?), u64::from(two(0x3c)?), 44)
    } else {
        let shoff = u64::from(read_u32(data, 0x20, big)?);
        let two = |o: usize| -> Option<u16> {
            let b = data.get(o..o + 2)?;
            Some(if big {
                u16::from_be_bytes([b[0], b[1]])
            } else {
                u16::from_le_bytes([b[0], b[1]])
            })
        };
        (shoff, u64::from(two(0x2e)?), u64::from(two(0x30)?), 28)
    };
    (0..shnum).find_map(|i| {
        let base = shoff + i * shentsize;
        let sh_type = read_u32(data, base + 4, big)?;
        (sh_type == object::elf::SHT_GNU_VERNEED.0).then_some(base + info_at)
    })
}

/// Remove DT_VERNEED and DT_VERNEEDNUM from the dynamic array (the later entries move up
/// one slot each, DT_NULL fills the end) and clear the old records.
fn drop_verneed_tags(
    file: &ElfFile<'_>,
    w: &mut Writer<'_, '_>,
    region: crate::elf::Region,
) -> Result<(), PatchError> {
    if file.machine == object::elf::EM_MIPS.0 {
        // MIPS has dynamic tags relative to their own slot (DT_MIPS_RLD_MAP_REL).
        return Err(PatchError::Refused(
            "every version requirement goes, and MIPS dynamic entries cannot be moved to drop DT_VERNEED".into(),
        ));
    }
    let dynamic = file
        .dynamic
        .as_ref()
        .ok_or_else(|| PatchError::internal("no dynamic section"))?;
    let dyn_region = dynamic
        .layout
        .dynamic
        .ok_or_else(|| PatchError::internal("no PT_DYNAMIC"))?;
    let word: u64 = if file.class == Class::Elf64 { 8 } else { 4 };
    let kept: Vec<(i64, u64)> = dynamic
        .entries
        .iter()
        .copied()
        .filter(|(t, _)| *t != object::elf::DT_VERNEED.0 && *t != object::elf::DT_VERNEEDNUM.0)
        .collect();
    for i in 0..dynamic.entries.len() as u64 + 1 {
        let (tag, val) = kept.get(i as usize).copied().unwrap_or((0, 0));
        let off = dyn_region.offset + i * 2 * word;
        if word == 8 {
            w.u64(off, tag as u64)?;
            w.u64(off + 8, val)?;
        } else {
            w.u32(off, tag as u32)?;
            w.u32(off + 4, val as u32)?;
        }
    }
    w.put(region.offset, &vec![0u8; region.size as usize])?;
    Ok(())
}
