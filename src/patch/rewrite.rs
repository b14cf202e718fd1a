//! The growing path, through `object::build::elf::Builder`: new verneed files and
//! vernaux entries, new DT_NEEDED, renamed symbols and the startup shim. Tables that grow
//! (.dynstr, .dynsym, hash and version tables, notes, .interp) move into a new PT_LOAD at
//! the end of the image; code, data, .dynamic, .got and relocations never move.
//!
//! The Builder reads through section headers, so this path refuses files without them.

use object::build::elf::{
    Builder, Dynamic, SectionData, SectionId, VersionData, VersionId, VersionNeed,
};
use object::build::ByteString;
use object::elf;

use super::link;
use super::relr;
use super::startup;
use super::{How, Image, PatchError, Plan};

/// Sections elfcompat adds (startup shim, polyfills) are named with this prefix; they have
/// no address until the layout places them in a new PT_LOAD.
pub(super) const NEW_SECTION_PREFIX: &str = ".elfcompat.";

fn build_err(e: object::build::Error) -> PatchError {
    PatchError::Rewrite(e.to_string())
}

/// Apply a plan by rebuilding the dynamic tables.
pub fn apply<'a>(
    data: &'a [u8],
    plan: &Plan,
    has_section_headers: bool,
) -> Result<Image<'a>, PatchError> {
    if !has_section_headers {
        return Err(PatchError::Refused(
            "the plan needs new strings or version records, which means moving tables; a file without section headers can only be edited in place".into(),
        ));
    }
    // What object's builder cannot read (e.g. MIPS-specific sections) cannot be rewritten:
    // a named refusal, before anything is written.
    let mut b = Builder::read(data).map_err(|e| {
        PatchError::Refused(format!("the ELF rewriter cannot handle this file: {e}"))
    })?;
    for c in &plan.changes {
        let vid = if c.how == How::Unversion {
            VersionId::global()
        } else {
            find_or_add_need(&mut b, &c.to_library, &c.to_version)?
        };
        let sym = b
            .dynamic_symbols
            .iter_mut()
            .enumerate()
            .find(|(i, _)| *i + 1 == c.dynsym_index)
            .map(|(_, s)| s)
            .ok_or_else(|| {
                PatchError::internal(format!("dynamic symbol #{} not found", c.dynsym_index))
            })?;
        if sym.name.as_slice() != c.symbol.as_bytes() {
            return Err(PatchError::internal(format!(
                "dynamic symbol #{} is not {}",
                c.dynsym_index, c.symbol
            )));
        }
        sym.version = vid;
        sym.version_hidden = false;
        if c.to_symbol != c.symbol {
            sym.name = ByteString::from(c.to_symbol.as_bytes().to_vec());
        }
    }
    for lib in &plan.add_needed {
        add_needed(&mut b, lib)?;
    }
    let relr = if plan.expand_relr {
        Some(relr::expand(&mut b)?)
    } else {
        None
    };
    let shim = if plan.startup_shim {
        Some(startup::prepare(&mut b)?)
    } else {
        None
    };
    let pf = if plan.polyfills.is_empty() {
        None
    } else {
        Some(link::prepare(&mut b, plan)?)
    };
    let rela_table = relr::table_of(&b);
    let jmprel = relr::jmprel_of(&b);
    layout(&mut b)?;
    if let Some(pf) = pf {
        link::finish(&mut b, pf)?;
    }
    relr::fix_dynamic(
        &mut b,
        rela_table,
        jmprel,
        relr.map(|r| r.added).unwrap_or(0),
    )?;
    if let Some(shim) = shim {
        startup::finish(&mut b, shim)?;
    }
    let mut out = Image::empty(data);
    b.write(&mut out).map_err(build_err)?;
    Ok(out)
}

/// The vernaux (file, version), added with its verneed file when missing. Existing
/// entries keep their place; new ones get the next index.
pub(super) fn find_or_add_need(
    b: &mut Builder<'_>,
    file: &str,
    ver: &str,
) -> Result<VersionId, PatchError> {
    let file_id = match b
        .version_files
        .iter()
        .find(|f| f.name.as_slice() == file.as_bytes())
    {
        Some(f) => f.id(),
        None => b
            .version_files
            .add(ByteString::from(file.as_bytes().to_vec())),
    };
    for v in b.versions.iter() {
        if let VersionData::Need(n) = &v.data {
            if n.file == file_id && n.name.as_slice() == ver.as_bytes() {
                return Ok(v.id());
            }
        }
    }
    Ok(b.versions.add(VersionData::Need(VersionNeed {
        file: file_id,
        name: ByteString::from(ver.as_bytes().to_vec()),
        flags: elf::VersionFlags(0),
    })))
}

/// DT_NEEDED after the last existing one, so the search order keeps libc where it was.
fn add_needed(b: &mut Builder<'_>, file: &str) -> Result<(), PatchError> {
    let dynamic = b
        .dynamic_data_mut()
        .ok_or_else(|| PatchError::internal("no .dynamic"))?;
    if dynamic
        .iter()
        .any(|d| matches!(d, Dynamic::String { tag: elf::DT_NEEDED, val } if val.as_slice() == file.as_bytes()))
    {
        return Ok(());
    }
    let pos = dynamic
        .iter()
        .rposition(|d| d.tag() == elf::DT_NEEDED)
        .map_or(0, |p| p + 1);
    dynamic.insert(
        pos,
        Dynamic::String {
            tag: elf::DT_NEEDED,
            val: ByteString::from(file.as_bytes().to_vec()),
        },
    );
    Ok(())
}

/// Sections nothing but DT_* values (which the Builder regenerates) or PT_INTERP/PT_NOTE
/// address, and the shim's own new section: these may move.
fn movable(b: &Builder<'_>, id: SectionId) -> bool {
    let s = b.sections.get(id);
    match &s.data {
        SectionData::DynamicSymbol
        | SectionData::DynamicString
        | SectionData::Hash
        | SectionData::GnuHash
        | SectionData::GnuVersym
        | SectionData::GnuVerdef
        | SectionData::GnuVerneed
        | SectionData::Note(_) => true,
        SectionData::Data(_) => {
            Some(id) == b.interp_section()
                || s.name.as_slice().starts_with(NEW_SECTION_PREFIX.as_bytes())
        }
        // Only the table DT_REL(A) points at, and only once RELR expansion grew it: its
        // DT_ values are rewritten afterwards (the Builder copies them as they are).
        SectionData::DynamicRelocation(_) => {
            relr::is_grown_table(b, id) || relr::is_jmprel_table(b, id)
        }
        _ => false,
    }
}

struct Block {
    start: u64,
    end: u64,
    sec: Option<SectionId>,
    name: String,
}

/// Which alloc sections must move, given `extra` more program headers.
fn find_moves(b: &Builder<'_>, extra: usize) -> Result<Vec<SectionId>, PatchError> {
    let mut blocks = Vec::new();
    let phend = b.header.e_phoff
        + b.program_headers_size()
        + extra as u64 * b.encoder().program_header_size();
    if let Some(seg) = b.segments.find_load_segment_from_offset(0) {
        let a = seg.address_from_offset(0);
        blocks.push(Block {
            start: a,
            end: a + phend,
            sec: None,
            name: "ELF and program headers".into(),
        });
    }
    for seg in b.segments.iter().filter(|s| s.p_type == elf::PT_LOAD) {
        let e = seg.p_vaddr + seg.p_memsz;
        blocks.push(Block {
            start: e,
            end: e,
            sec: None,
            name: "end of a PT_LOAD".into(),
        });
    }
    for s in b.sections.iter() {
        if !s.is_alloc() || (s.sh_type == elf::SHT_NOBITS && s.sh_flags.contains(elf::SHF_TLS)) {
            continue;
        }
        let new_shim =
            s.name.as_slice().starts_with(NEW_SECTION_PREFIX.as_bytes()) && s.sh_addr == 0;
        blocks.push(Block {
            start: if new_shim { 0 } else { s.sh_addr },
            end: if new_shim {
                u64::MAX
            } else {
                s.sh_addr + s.sh_size
            },
            sec: Some(s.id()),
            name: s.name.to_string(),
        });
    }
    blocks.sort_by_key(|k| (k.start, k.end));
    let mut moved = Vec::new();
    let mut i = 0;
    while i + 1 < blocks.len() {
        if blocks[i].end <= blocks[i + 1].start {
            i += 1;
            continue;
        }
        // When both may move, move the smaller: the file grows by what moves.
        let can = |k: usize| blocks[k].sec.is_some_and(|s| movable(b, s));
        let size = |k: usize| blocks[k].end.saturating_sub(blocks[k].start);
        let pick = if can(i) && can(i + 1) {
            if size(i + 1) < size(i) {
                i + 1
            } else {
                i
            }
        } else if can(i) {
            i
        } else if can(i + 1) {
            i + 1
        } else {
            return Err(PatchError::Refused(format!(
                "no room: {} [{:#x},{:#x}) would overlap {} [{:#x},{:#x}) and neither may move",
                blocks[i].name,
                blocks[i].start,
                blocks[i].end,
                blocks[i + 1].name,
                blocks[i + 1].start,
                blocks[i + 1].end
            )));
        };
        if let Some(s) = blocks[pick].sec {
            moved.push(s);
        }
        blocks.remove(pick);
    }
    Ok(moved)
}

/// Give every alloc section that no longer fits a place in new PT_LOAD segment(s) at the
/// end of the image. The program header table grows in place (the Builder keeps it right
/// after the ELF header), pushing out what follows it if that may move.
fn layout(b: &mut Builder<'_>) -> Result<(), PatchError> {
    b.delete_orphans();
    b.delete_unused_versions();
    // .dynamic cannot move: pad it back to its old size with DT_NULLs so sh_size keeps
    // matching PT_DYNAMIC; growth past the spare slots shows up as an overlap below.
    let dyn_size = b.encoder().dyn_size();
    if let Some(id) = b.dynamic_section() {
        let old = b.sections.get(id).sh_size;
        if let SectionData::Dynamic(d) = &mut b.sections.get_mut(id).data {
            make_room(d, old / dyn_size);
            while (d.len() as u64 + 2) * dyn_size <= old {
                d.push(Dynamic::Integer {
                    tag: elf::DT_NULL,
                    val: 0,
                });
            }
        }
    }
    b.set_section_sizes();

    let mut extra = 0usize;
    loop {
        let moved = find_moves(b, extra)?;
        if moved.is_empty() {
            return Ok(());
        }
        let mut flags: Vec<elf::ProgramFlags> = Vec::new();
        for id in &moved {
            let f = b.sections.get(*id).p_flags();
            if !flags.contains(&f) {
                flags.push(f);
            }
        }
        let mut splits = 0;
        for seg in b.segments.iter() {
            if seg.p_type == elf::PT_LOAD {
                continue;
            }
            let n = seg.sections.iter().filter(|s| moved.contains(s)).count();
            if n != 0 && n != seg.sections.len() {
                splits += 1;
            }
        }
        if flags.len() + splits > extra {
            extra = flags.len() + splits;
            continue;
        }
        // New segments are aligned like the most aligned existing PT_LOAD (64 KiB pages
        // on some aarch64 and ppc64le systems).
        let align = b
            .segments
            .iter()
            .filter(|s| s.p_type == elf::PT_LOAD)
            .map(|s| s.p_align)
            .max()
            .unwrap_or(0x1000);
        let mut order = moved.clone();
        order.sort_by_key(|id| {
            let s = b.sections.get(*id);
            (s.sh_addr, s.sh_size)
        });
        for f in flags {
            let seg = b.segments.add_load_segment(f, align);
            for id in &order {
                let s = b.sections.get_mut(*id);
                if s.p_flags() == f {
                    seg.append_section(s);
                }
            }
        }
        let mut split_out = Vec::new();
        let sections = &b.sections;
        for seg in b.segments.iter_mut() {
            if seg.p_type == elf::PT_LOAD || !seg.sections.iter().any(|s| moved.contains(s)) {
                continue;
            }
            if !seg.sections.iter().all(|s| moved.contains(s)) {
                let gone: Vec<SectionId> = seg
                    .sections
                    .iter()
                    .copied()
                    .filter(|s| moved.contains(s))
                    .collect();
                seg.sections.retain(|s| !moved.contains(s));
                split_out.push((seg.id(), gone));
            }
            seg.recalculate_ranges(sections);
        }
        for (seg_id, ids) in split_out {
            let seg = b.segments.copy(seg_id);
            for id in ids {
                seg.append_section(b.sections.get_mut(id));
            }
        }
        let size = b.program_headers_size();
        for seg in b.segments.iter_mut() {
            if seg.p_type == elf::PT_PHDR {
                seg.p_filesz = size;
                seg.p_memsz = size;
            }
        }
        return Ok(());
    }
}

/// When new DT_NEEDED entries do not fit in `.dynamic` (which cannot move), drop entries
/// the loader does not need, in this order: padding DT_NULLs, DT_RELACOUNT/DT_RELCOUNT
/// (an optimisation hint), and DT_FLAGS when it only says BIND_NOW and DT_FLAGS_1 says NOW
/// too. Linkers that leave no spare slots (rustc's, lld) need this for even one addition.
fn make_room(d: &mut Vec<Dynamic<'_>>, slots: u64) {
    let now_in_flags_1 = d.iter().any(|e| {
        matches!(e, Dynamic::Integer { tag, val } if *tag == elf::DT_FLAGS_1 && val & elf::DF_1_NOW.0 != 0)
    });
    let removable: [&dyn Fn(&Dynamic<'_>) -> bool; 3] = [
        &|e| e.tag() == elf::DT_NULL,
        &|e| matches!(e.tag(), elf::DT_RELACOUNT | elf::DT_RELCOUNT),
        &|e| {
            now_in_flags_1
                && matches!(e, Dynamic::Integer { tag, val } if *tag == elf::DT_FLAGS && *val == elf::DF_BIND_NOW.0)
        },
    ];
    for is_removable in removable {
        while d.len() as u64 + 1 > slots {
            match d.iter().position(is_removable) {
                Some(pos) => {
                    d.remove(pos);
                }
                None => break,
            }
        }
    }
}
