//! The growing path, through `object::build::elf::Builder`: new verneed files and
//! vernaux entries, new DT_NEEDED, renamed symbols and the startup shim. Tables that grow
//! (.dynstr, .dynsym, hash and version tables, notes, .interp) move into a new PT_LOAD at
//! the end of the image; code, data, .dynamic, .got and relocations never move.
//!
//! The Builder reads through section headers, so this path refuses files without them.

use object::build::elf::{
    Builder, Dynamic, DynamicSymbolId, SectionData, SectionId, SegmentId, VersionData, VersionId,
    VersionNeed,
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
    // The Builder rebuilds the hash tables with the bucket counts their section headers
    // give (which the loader never reads when no DT_ tag points there): counts out of all
    // proportion to the symbols would make it build tables of gigabytes, bucket by bucket.
    // Linkers use about one bucket per symbol or fewer.
    let sane = 4 * b.dynamic_symbols.count() as u64 + 1024;
    for (what, n) in [
        ("DT_HASH bucket", b.hash_bucket_count),
        ("DT_GNU_HASH bucket", b.gnu_hash_bucket_count),
        ("DT_GNU_HASH Bloom word", b.gnu_hash_bloom_count),
    ] {
        if u64::from(n) > sane {
            return Err(PatchError::Refused(format!(
                "the input's hash table claims {n} {what}s for {} dynamic symbols",
                b.dynamic_symbols.count()
            )));
        }
    }
    // sh_addralign 0 means no alignment, as 1 does (LIEF writes 0 for a section it adds);
    // the Builder would align an offset to 0.
    for sec in b.sections.iter_mut() {
        if sec.sh_addralign == 0 {
            sec.sh_addralign = 1;
        }
    }
    crate::timing::mark("rewrite: read");
    let symbols = dynamic_symbol_ids(&b);
    for c in &plan.changes {
        // Polyfilled and wrapped symbols become definitions (`link::prepare`): unversioned.
        let vid = if matches!(c.how, How::Unversion | How::Polyfill | How::Wrap) {
            VersionId::global()
        } else {
            find_or_add_need(&mut b, &c.to_library, &c.to_version)?
        };
        let id = c
            .dynsym_index
            .checked_sub(1)
            .and_then(|i| symbols.get(i))
            .ok_or_else(|| {
                PatchError::internal(format!("dynamic symbol #{} not found", c.dynsym_index))
            })?;
        let sym = b.dynamic_symbols.get_mut(*id);
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
    edit_links(&mut b, &plan.link)?;
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
        Some(link::prepare(&mut b, plan, &symbols)?)
    };
    crate::timing::mark("rewrite: edit");
    let rela_table = relr::table_of(&b);
    let jmprel = relr::jmprel_of(&b);
    // A shared library's program header table may live anywhere in a loaded segment (the
    // loader finds it through e_phoff or PT_PHDR); an executable's may not, since kernels
    // before 5.17.2 compute AT_PHDR from the first PT_LOAD. So a library's table moves to
    // the new segment instead of growing in place and pushing out what follows it (often
    // `.dynsym`, megabytes of it).
    // A shared object with an entry point may be run as a program (libc.so.6, ld.so,
    // libcap.so.2, a static PIE): the kernel computes its AT_PHDR too, so its table stays.
    let relocate_phdrs = b.header.e_type == elf::ET_DYN
        && b.header.e_entry == 0
        && !b.segments.iter().any(|s| s.p_type == elf::PT_INTERP);
    let original_segments: Vec<SegmentId> = b.segments.iter().map(|s| s.id()).collect();
    let phdrs = layout(&mut b, relocate_phdrs)?;
    crate::timing::mark("rewrite: lay out");
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
    crate::timing::mark("rewrite: link and fix up");
    let table = phdrs.map(|sec| phdr_table(&mut b, sec, &original_segments));
    let (is_64, endian) = (b.is_64, b.endian);
    let mut out = Image::empty(data);
    b.write(&mut out).map_err(build_err)?;
    if let Some(t) = table {
        t.apply(&mut out, is_64, endian);
    }
    crate::timing::mark("rewrite: write");
    if out.overflowed() {
        return Err(PatchError::Refused(
            "the rewritten layout would reach far past the input's size (headers pointing outside the file?)".into(),
        ));
    }
    Ok(out)
}

/// The dynamic symbols as read, in `.dynsym` order: entry `i` is symbol index `i + 1`.
fn dynamic_symbol_ids(b: &Builder<'_>) -> Vec<DynamicSymbolId> {
    b.dynamic_symbols.iter().map(|s| s.id()).collect()
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

/// The search entries `bundle` sets: DT_NEEDED renames (with the verneed file of the same
/// name, which the loader matches against the loaded library's name), DT_SONAME, and one
/// DT_RUNPATH in place of every DT_RPATH/DT_RUNPATH. A new entry takes a spare slot of
/// `.dynamic` (see `make_room`).
fn edit_links(b: &mut Builder<'_>, edits: &super::LinkEdits) -> Result<(), PatchError> {
    if edits.is_empty() {
        return Ok(());
    }
    for (old, new) in &edits.rename_needed {
        for f in b.version_files.iter_mut() {
            if f.name.as_slice() == old.as_bytes() {
                f.name = ByteString::from(new.as_bytes().to_vec());
            }
        }
    }
    let dynamic = b
        .dynamic_data_mut()
        .ok_or_else(|| PatchError::internal("no .dynamic"))?;
    for (old, new) in &edits.rename_needed {
        for d in dynamic.iter_mut() {
            if let Dynamic::String {
                tag: elf::DT_NEEDED,
                val,
            } = d
            {
                if val.as_slice() == old.as_bytes() {
                    *val = ByteString::from(new.as_bytes().to_vec());
                }
            }
        }
    }
    if let Some(soname) = &edits.soname {
        let val = ByteString::from(soname.as_bytes().to_vec());
        // The VER_FLG_BASE definition names the library itself: its soname.
        if let Some(base) = b.version_base.as_mut() {
            *base = val.clone();
        }
        let dynamic = b
            .dynamic_data_mut()
            .ok_or_else(|| PatchError::internal("no .dynamic"))?;
        match dynamic.iter_mut().find(|d| d.tag() == elf::DT_SONAME) {
            Some(Dynamic::String { val: v, .. }) => *v = val,
            _ => {
                let pos = dynamic
                    .iter()
                    .rposition(|d| d.tag() == elf::DT_NEEDED)
                    .map_or(0, |p| p + 1);
                dynamic.insert(
                    pos,
                    Dynamic::String {
                        tag: elf::DT_SONAME,
                        val,
                    },
                );
            }
        }
    }
    if let Some(runpath) = &edits.runpath {
        let dynamic = b
            .dynamic_data_mut()
            .ok_or_else(|| PatchError::internal("no .dynamic"))?;
        let first = dynamic
            .iter()
            .position(|d| matches!(d.tag(), elf::DT_RPATH | elf::DT_RUNPATH));
        dynamic.retain(|d| !matches!(d.tag(), elf::DT_RPATH | elf::DT_RUNPATH));
        if !runpath.is_empty() {
            let pos = first.unwrap_or_else(|| {
                dynamic
                    .iter()
                    .rposition(|d| matches!(d.tag(), elf::DT_NEEDED | elf::DT_SONAME))
                    .map_or(0, |p| p + 1)
            });
            dynamic.insert(
                pos.min(dynamic.len()),
                Dynamic::String {
                    tag: elf::DT_RUNPATH,
                    val: ByteString::from(runpath.as_bytes().to_vec()),
                },
            );
        }
    }
    privatize_versions(b, edits);
    Ok(())
}

/// Make the version names of the libraries `edits.private_versions` lists private to them
/// (`super::private_version`): the definitions when this file is the library, the
/// requirements when it loads it. Only names change: every index, flag (VER_FLG_WEAK
/// included) and `.gnu.version` entry (hidden bit included) stays, and the Builder writes
/// the new names into `.dynstr` with their ELF hashes (vd_hash, vna_hash).
fn privatize_versions(b: &mut Builder<'_>, edits: &super::LinkEdits) {
    for (soname, tag) in &edits.private_versions {
        let private = |n: &ByteString<'_>| -> ByteString<'static> {
            let name = String::from_utf8_lossy(n.as_slice());
            ByteString::from(super::private_version(&name, tag).into_bytes())
        };
        let itself = edits.soname.as_deref() == Some(soname.as_str());
        let files: Vec<_> = b
            .version_files
            .iter()
            .filter(|f| f.name.as_slice() == soname.as_bytes())
            .map(|f| f.id())
            .collect();
        for v in b.versions.iter_mut() {
            match &mut v.data {
                VersionData::Def(def) if itself => {
                    for n in def.names.iter_mut() {
                        *n = private(n);
                    }
                }
                VersionData::Need(need) if files.contains(&need.file) => {
                    need.name = private(&need.name);
                }
                _ => {}
            }
        }
    }
}

/// Give every allocated section its size, as the Builder will write it. The same as the
/// Builder's own `set_section_sizes`, but for `.dynstr`, whose size it finds by gathering
/// every dynamic string in a hash set and sorting them all to tail-merge them (tens of
/// milliseconds for a large C++ library, and its `write` does it all again): see
/// `dynstr_size`.
fn set_section_sizes(b: &mut Builder<'_>) {
    let dynstr = dynstr_size(b);
    let ids: Vec<SectionId> = b.sections.iter().map(|s| s.id()).collect();
    for id in ids {
        let s = b.sections.get(id);
        if s.delete || !s.is_alloc() {
            continue;
        }
        let size = match s.data {
            SectionData::DynamicString => dynstr,
            _ => b.section_size(s),
        };
        b.sections.get_mut(id).sh_size = size;
    }
}

/// The size of the `.dynstr` the Builder will write. It stores each distinct string once,
/// and a string that is the tail of another inside that one: 1 (the leading NUL) + the sum
/// of (length + 1) over the distinct non-empty strings that are the tail of no other.
/// Sorted by their reversed bytes, a string's tails come right before it, so a string is
/// such a tail exactly when the next one ends with it. Equal to
/// `Builder::dynamic_string_size` (a test compares them on real libraries); were it ever
/// short, the Builder's write would fail on the next section's offset (a refusal, nothing
/// written), or with nothing after it in its segment the table would reach into free
/// room, which the read-back verification checks like any other.
fn dynstr_size(b: &Builder<'_>) -> u64 {
    // Reversed copies in one buffer, so that comparisons are plain memcmp, each with its
    // first eight bytes as a number, which decides most comparisons.
    let mut reversed: Vec<u8> = Vec::new();
    let mut spans = Vec::with_capacity(b.dynamic_symbols.count() + 64);
    gather_dynamic_strings(b, &mut |s: &[u8]| {
        if s.is_empty() {
            return;
        }
        let at = reversed.len();
        reversed.extend(s.iter().rev());
        let mut key = [0u8; 8];
        let n = s.len().min(8);
        key[..n].copy_from_slice(&reversed[at..at + n]);
        spans.push((u64::from_be_bytes(key), at..reversed.len()));
    });
    let rev = |r: &std::ops::Range<usize>| &reversed[r.clone()];
    spans.sort_unstable_by(|x, y| x.0.cmp(&y.0).then_with(|| rev(&x.1).cmp(rev(&y.1))));
    spans.dedup_by(|x, y| rev(&x.1) == rev(&y.1));
    let mut size = 1u64;
    for (i, (_, s)) in spans.iter().enumerate() {
        let tail_of_next = spans
            .get(i + 1)
            .is_some_and(|(_, n)| rev(n).starts_with(rev(s)));
        if !tail_of_next {
            size += s.len() as u64 + 1;
        }
    }
    size
}

/// Every string the Builder puts in `.dynstr`, as its `dynamic_string_size` gathers them.
fn gather_dynamic_strings(b: &Builder<'_>, add: &mut impl FnMut(&[u8])) {
    for section in b.sections.iter() {
        if let SectionData::Dynamic(dynamics) = &section.data {
            for d in dynamics {
                if let Dynamic::String { val, .. } = d {
                    add(val);
                }
            }
        }
    }
    for sym in b.dynamic_symbols.iter() {
        add(&sym.name);
    }
    if let Some(base) = &b.version_base {
        add(base);
    }
    for v in b.versions.iter() {
        match &v.data {
            VersionData::Def(def) => def.names.iter().for_each(|n| add(n)),
            VersionData::Need(need) => add(&need.name),
        }
    }
    for f in b.version_files.iter() {
        add(&f.name);
    }
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
    /// Where it was in the input: two such blocks that overlap overlapped there already,
    /// in a file the loader runs (mold's `.relro_padding` past the end of its PT_LOAD,
    /// `.bss` over what follows), and are no business of the layout.
    as_read: bool,
}

/// Every allocated section's (address, size) as read, before anything grew or moved.
type AsRead = Vec<(SectionId, u64, u64)>;

fn as_read(b: &Builder<'_>) -> AsRead {
    b.sections
        .iter()
        .filter(|s| s.is_alloc())
        .map(|s| (s.id(), s.sh_addr, s.sh_size))
        .collect()
}

/// Which alloc sections must move. `phend`: the file offset where the program header table
/// the Builder writes ends; `gone`: sections already decided to move (left out of a
/// repacked run), which take no room where they were.
fn find_moves(
    b: &Builder<'_>,
    phend: u64,
    gone: &[SectionId],
    input: &AsRead,
    input_phend: u64,
) -> Result<Vec<SectionId>, PatchError> {
    let mut blocks = Vec::new();
    if let Some(seg) = b.segments.find_load_segment_from_offset(0) {
        let a = seg.address_from_offset(0);
        blocks.push(Block {
            start: a,
            end: a + phend,
            sec: None,
            name: "ELF and program headers".into(),
            as_read: phend <= input_phend,
        });
    }
    for seg in b.segments.iter().filter(|s| s.p_type == elf::PT_LOAD) {
        let e = seg.p_vaddr + seg.p_memsz;
        blocks.push(Block {
            start: e,
            end: e,
            sec: None,
            name: "end of a PT_LOAD".into(),
            as_read: true,
        });
    }
    for s in b.sections.iter() {
        if !s.is_alloc()
            || (s.sh_type == elf::SHT_NOBITS && s.sh_flags.contains(elf::SHF_TLS))
            || gone.contains(&s.id())
        {
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
            as_read: !new_shim && input.contains(&(s.id(), s.sh_addr, s.sh_size)),
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
        if blocks[i].as_read && blocks[i + 1].as_read {
            // The one that reaches further is compared with what follows.
            if blocks[i].end > blocks[i + 1].end {
                blocks.swap(i, i + 1);
            }
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

/// Lay the movable tables that follow the program header table in the first PT_LOAD out
/// again, packed against the first thing after them that may not move, so that a table
/// that grew takes room that is free (the old program header table of a shared library,
/// which moves: see `layout`) or that the smallest of them leave by moving out, instead of
/// a large table moving out whole. The run starts at file offset `from` (the end of the
/// program header table as it was) and may not start below `floor` (where the table the
/// Builder writes will end). Returns None when nothing needed laying out again or nothing
/// fitted, else the tables left out (they move to the new segment); the Builder rewrites
/// the others and their DT_* entries from the new addresses, and the segments that
/// describe them (PT_INTERP, PT_NOTE, PT_GNU_PROPERTY) follow.
fn repack_front(b: &mut Builder<'_>, from: u64, floor: u64) -> Option<Vec<SectionId>> {
    let seg = b.segments.find_load_segment_from_offset(0)?;
    let (seg_vaddr, seg_offset, seg_end) = (
        seg.p_vaddr,
        seg.p_offset,
        seg.p_vaddr.saturating_add(seg.p_filesz),
    );
    let addr_of = |off: u64| seg_vaddr.saturating_add(off.saturating_sub(seg_offset));
    let (from_addr, floor_addr) = (addr_of(from), addr_of(floor));
    let mut secs: Vec<(SectionId, u64, u64, u64)> = b
        .sections
        .iter()
        .filter(|s| {
            s.is_alloc()
                && s.sh_type != elf::SHT_NOBITS
                && !(s.name.as_slice().starts_with(NEW_SECTION_PREFIX.as_bytes()) && s.sh_addr == 0)
                && s.sh_addr >= from_addr
                && s.sh_addr < seg_end
        })
        .map(|s| (s.id(), s.sh_addr, s.sh_size, s.sh_addralign.max(1)))
        .collect();
    secs.sort_by_key(|&(_, addr, size, _)| (addr, size));
    let run_len = secs.iter().take_while(|(id, ..)| movable(b, *id)).count();
    // Pack `run` backwards from `limit`; None if it does not reach down only to `floor`.
    let pack = |run: &[(SectionId, u64, u64, u64)], limit: u64| -> Option<Vec<(SectionId, u64)>> {
        let mut end = limit;
        let mut placed = Vec::with_capacity(run.len());
        for &(id, _, size, align) in run.iter().rev() {
            let start = end.checked_sub(size)? / align * align;
            if start < floor_addr {
                return None;
            }
            placed.push((id, start));
            end = start;
        }
        Some(placed)
    };
    // The longest prefix of the run that needs it and fits, leaving out as few bytes of
    // its smallest tables as it takes (what is left of the overlaps is for `find_moves`,
    // which moves the smaller of two overlapping tables).
    // (where the kept tables go, the tables left out)
    type Layout = (Vec<(SectionId, u64)>, Vec<SectionId>);
    let mut best: Option<Layout> = None;
    for k in (1..=run_len).rev() {
        let limit = secs.get(k).map_or(seg_end, |&(_, addr, ..)| addr);
        let run = &secs[..k];
        let needs = run.first().is_some_and(|&(_, a, ..)| a < floor_addr)
            || run.iter().enumerate().any(|(i, &(_, addr, size, _))| {
                let next = run.get(i + 1).map_or(limit, |&(_, a, ..)| a);
                addr.saturating_add(size) > next
            });
        if !needs {
            continue;
        }
        let mut by_size: Vec<usize> = (0..k).collect();
        by_size.sort_by_key(|&i| run[i].2);
        let mut out: Vec<usize> = Vec::new();
        loop {
            let kept: Vec<_> = (0..k)
                .filter(|i| !out.contains(i))
                .map(|i| run[i])
                .collect();
            if let Some(placed) = pack(&kept, limit) {
                best = Some((placed, out.iter().map(|&i| run[i].0).collect()));
                break;
            }
            // Leaving out more than 64 KiB would cost more than it saves.
            let left_out: u64 = out.iter().map(|&i| run[i].2).sum();
            match by_size.get(out.len()) {
                Some(&i) if left_out + run[i].2 <= 64 << 10 && out.len() + 1 < k => out.push(i),
                _ => break,
            }
        }
        if best.is_some() {
            break;
        }
    }
    let (placed, left_out) = best?;
    for &(id, addr) in &placed {
        let sec = b.sections.get_mut(id);
        sec.sh_addr = addr;
        sec.sh_offset = (addr - seg_vaddr).saturating_add(seg_offset);
    }
    let ids: Vec<SectionId> = placed.iter().map(|&(id, _)| id).collect();
    let sections = &b.sections;
    for seg in b.segments.iter_mut() {
        if seg.p_type != elf::PT_LOAD && seg.sections.iter().any(|s| ids.contains(s)) {
            seg.recalculate_ranges(sections);
        }
    }
    Some(left_out)
}

/// Give every alloc section that no longer fits a place in new PT_LOAD segment(s) at the
/// end of the image. Without `relocate_phdrs` the program header table grows in place
/// (the Builder keeps it right after the ELF header), pushing out what follows it if that
/// may move. With it, the table is left as it is and a section sized for the whole new
/// table joins the moved ones: its id is returned, for [`phdr_table`] to fill after the
/// Builder has written the file.
fn layout(b: &mut Builder<'_>, relocate_phdrs: bool) -> Result<Option<SectionId>, PatchError> {
    b.delete_orphans();
    b.delete_unused_versions();
    let input = as_read(b);
    // .dynamic cannot move: pad it back to its old size with DT_NULLs so sh_size keeps
    // matching PT_DYNAMIC; growth past the spare slots shows up as an overlap below.
    let dyn_size = b.encoder().dyn_size();
    let machine = b.header.e_machine.0;
    if let Some(id) = b.dynamic_section() {
        let old = b.sections.get(id).sh_size;
        if let SectionData::Dynamic(d) = &mut b.sections.get_mut(id).data {
            make_room(d, old / dyn_size, machine);
            while (d.len() as u64 + 2) * dyn_size <= old {
                d.push(Dynamic::Integer {
                    tag: elf::DT_NULL,
                    val: 0,
                });
            }
        }
    }
    set_section_sizes(b);

    let entry = b.encoder().program_header_size();
    // When the table moves, the Builder writes a single stale entry in its old place
    // (it insists on one there); the rest of the old table is free room. When it stays
    // (an executable), it grows by an entry per new segment: room for four is made by
    // laying the tables after it out again, leaving the smallest out if need be.
    let kept_end = b.header.e_phoff + entry;
    let table_end = b.header.e_phoff + b.program_headers_size();
    let moves = |b: &Builder<'_>, phend: u64, gone: &[SectionId]| {
        find_moves(b, phend, gone, &input, table_end)
    };
    let left_out = if relocate_phdrs {
        repack_front(b, kept_end, kept_end)
    } else if !moves(b, table_end, &[])?.is_empty() {
        repack_front(b, table_end, table_end + 4 * entry)
    } else {
        None
    };
    let repacked = left_out.is_some();
    let mut left_out = left_out.unwrap_or_default();
    let mut extra = 0usize;
    let mut phdr_section = None;
    // An executable's table that cannot grow in place (what follows it may not move, as in
    // the layout patchelf gives a non-PIE executable: a new first PT_LOAD with the headers,
    // then .dynamic) moves elsewhere in the first PT_LOAD, into room the moved tables
    // leave: see `place_in_first_load`.
    let mut in_first_load = false;
    loop {
        let phend = if relocate_phdrs || in_first_load {
            kept_end
        } else {
            table_end + extra as u64 * entry
        };
        let mut moved = match moves(b, phend, &left_out) {
            Ok(moved) => moved,
            Err(PatchError::Refused(_)) if !relocate_phdrs && !in_first_load => {
                in_first_load = true;
                continue;
            }
            Err(e) => return Err(e),
        };
        for id in &left_out {
            if !moved.contains(id) {
                moved.push(*id);
            }
        }
        if moved.is_empty() && !repacked {
            return Ok(None);
        }
        if relocate_phdrs {
            let id = *phdr_section.get_or_insert_with(|| new_phdr_section(b, (0, 0), 0));
            if !moved.contains(&id) {
                moved.push(id);
            }
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
        if !relocate_phdrs && !in_first_load && flags.len() + splits > extra {
            extra = flags.len() + splits;
            continue;
        }
        if in_first_load {
            let has_phdr = b.segments.iter().any(|s| s.p_type == elf::PT_PHDR);
            let entries = b.segments.count() + flags.len() + splits + usize::from(!has_phdr);
            let size = entries as u64 * entry;
            match place_in_first_load(b, kept_end, size, &moved) {
                Ok(at) => phdr_section = Some(new_phdr_section(b, at, size)),
                Err(more) => {
                    left_out.push(more?);
                    continue;
                }
            }
        }
        if let (Some(id), false) = (phdr_section, in_first_load) {
            // A table that moves gets a PT_PHDR if it had none: without one glibc looks for
            // the table in the first PT_LOAD whose pages hold e_phoff, which may be the end
            // of the data segment, zero-filled at run time (verify's "phdr-mapped").
            let has_phdr = b.segments.iter().any(|s| s.p_type == elf::PT_PHDR);
            let entries = b.segments.count() + flags.len() + splits + usize::from(!has_phdr);
            let size = entries as u64 * b.encoder().program_header_size();
            let sec = b.sections.get_mut(id);
            sec.data = SectionData::Data(vec![0; size as usize].into());
            sec.sh_size = size;
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
        if phdr_section.is_none() {
            let size = b.program_headers_size();
            for seg in b.segments.iter_mut() {
                if seg.p_type == elf::PT_PHDR {
                    seg.p_filesz = size;
                    seg.p_memsz = size;
                }
            }
        }
        return Ok(phdr_section);
    }
}

/// The section that holds a program header table written outside the Builder: at `at`
/// (file offset, address) when it has a place already, else placed with the moved tables.
fn new_phdr_section(b: &mut Builder<'_>, at: (u64, u64), size: u64) -> SectionId {
    let sec = b.sections.add();
    sec.name = format!("{NEW_SECTION_PREFIX}phdrs").into_bytes().into();
    sec.sh_type = elf::SHT_PROGBITS;
    sec.sh_flags = elf::SHF_ALLOC;
    sec.sh_addralign = 8;
    sec.sh_offset = at.0;
    sec.sh_addr = at.1;
    sec.sh_size = size;
    sec.data = SectionData::Data(vec![0; size as usize].into());
    sec.id()
}

/// Room for an executable's program header table of `size` bytes in the PT_LOAD that maps
/// the file's start, where kernels before 5.17.2 look for it (they take AT_PHDR to be
/// that segment's address of e_phoff): (file offset, address) of the lowest free range
/// once the `moved` tables are gone, outside the ELF header and the `kept_end` bytes of
/// the old table the Builder still writes. The segment may grow into the rest of its last
/// page when nothing else is there (patchelf's first PT_LOAD for a non-PIE executable
/// ends right after `.interp`). Without room, `Err(Ok(id))` names the next movable table
/// of that segment to move out to make room, and `Err(Err(..))` refuses.
fn place_in_first_load(
    b: &mut Builder<'_>,
    kept_end: u64,
    size: u64,
    moved: &[SectionId],
) -> Result<(u64, u64), Result<SectionId, PatchError>> {
    let Some(seg) = b.segments.find_load_segment_from_offset(0) else {
        return Err(Err(PatchError::Refused(
            "no PT_LOAD maps the ELF header, so a larger program header table has nowhere to go"
                .into(),
        )));
    };
    let (seg_id, seg_offset, seg_vaddr) = (seg.id(), seg.p_offset, seg.p_vaddr);
    let start = seg_offset;
    let filled = seg_offset.saturating_add(seg.p_filesz);
    let end = if seg.p_memsz == seg.p_filesz {
        last_page_room(b, seg_id, filled)
    } else {
        filled
    };
    let mut used: Vec<(u64, u64)> = vec![(0, kept_end)];
    let mut candidates: Vec<(u64, SectionId)> = Vec::new();
    for s in b.sections.iter() {
        if !s.is_alloc() || s.sh_type == elf::SHT_NOBITS || moved.contains(&s.id()) {
            continue;
        }
        let (lo, hi) = (s.sh_offset, s.sh_offset.saturating_add(s.sh_size));
        if hi <= start || lo >= end {
            continue;
        }
        used.push((lo, hi));
        if movable(b, s.id()) {
            candidates.push((lo, s.id()));
        }
    }
    used.sort_unstable();
    let mut at = start;
    for (lo, hi) in used {
        let aligned = at.next_multiple_of(8);
        if aligned.saturating_add(size) <= lo.min(end) {
            break;
        }
        at = at.max(hi);
    }
    let at = at.next_multiple_of(8);
    if at.saturating_add(size) <= end {
        if at + size > filled {
            let seg = b.segments.get_mut(seg_id);
            seg.p_filesz = at + size - seg_offset;
            seg.p_memsz = seg.p_filesz;
        }
        return Ok((at, seg_vaddr + (at - seg_offset)));
    }
    // Free the room right after what may not move first: the lowest movable table.
    candidates.sort_unstable_by_key(|&(lo, _)| lo);
    match candidates.first() {
        Some(&(_, id)) => Err(Ok(id)),
        None => Err(Err(PatchError::Refused(format!(
            "no room: the program header table must grow to {size} bytes inside the first PT_LOAD (where kernels before 5.17.2 look for it), and nothing there may move to make room"
        )))),
    }
}

/// How far (file offset) the segment `seg`, whose file bytes end at `filled`, may grow
/// into the rest of its last 4 KiB page (mapped from the file on any page size): up to
/// where another segment's bytes or pages begin, in the file and in memory.
fn last_page_room(b: &Builder<'_>, seg: SegmentId, filled: u64) -> u64 {
    const PAGE: u64 = 0x1000;
    let this = b.segments.get(seg);
    let delta = this.p_vaddr.wrapping_sub(this.p_offset);
    let mut end = filled.next_multiple_of(PAGE);
    for other in b
        .segments
        .iter()
        .filter(|s| s.id() != seg && s.p_type == elf::PT_LOAD)
    {
        // In the file: its bytes. In memory: its first page, as this segment's offsets.
        if other.p_offset >= filled {
            end = end.min(other.p_offset);
        }
        let page = other.p_vaddr / PAGE * PAGE;
        if page >= this.p_vaddr {
            end = end.min(page.wrapping_sub(delta).max(filled));
        }
    }
    for s in b.sections.iter() {
        if s.sh_type != elf::SHT_NOBITS && s.sh_offset >= filled && s.sh_size > 0 {
            end = end.min(s.sh_offset);
        }
    }
    end
}

/// A program header table written outside the Builder, into its own section.
struct PhdrTable {
    /// File offset of the section that holds it.
    offset: u64,
    /// The entries, encoded.
    bytes: Vec<u8>,
    /// How many.
    count: u16,
}

impl PhdrTable {
    /// Put the table in place and point e_phoff/e_phnum at it.
    fn apply(&self, out: &mut Image<'_>, is_64: bool, endian: object::Endianness) {
        let big = endian == object::Endianness::Big;
        out.write_at(self.offset, &self.bytes);
        let count = if big {
            self.count.to_be_bytes()
        } else {
            self.count.to_le_bytes()
        };
        if is_64 {
            let off = if big {
                self.offset.to_be_bytes()
            } else {
                self.offset.to_le_bytes()
            };
            out.write_at(0x20, &off);
            out.write_at(0x38, &count);
        } else {
            let o = self.offset as u32;
            let off = if big {
                o.to_be_bytes()
            } else {
                o.to_le_bytes()
            };
            out.write_at(0x1c, &off);
            out.write_at(0x2c, &count);
        }
    }
}

/// The final program header table, with PT_PHDR describing where it now is; the segments
/// the layout added are then dropped from the Builder, which writes the original count at
/// the original place (stale bytes, referenced by nothing once e_phoff moves).
fn phdr_table(b: &mut Builder<'_>, sec: SectionId, original: &[SegmentId]) -> PhdrTable {
    let (offset, addr) = {
        let s = b.sections.get(sec);
        (s.sh_offset, s.sh_addr)
    };
    let entry = b.encoder().program_header_size();
    let has_phdr = b.segments.iter().any(|s| s.p_type == elf::PT_PHDR);
    let count = b.segments.count() + usize::from(!has_phdr);
    let size = count as u64 * entry;
    let big = b.endian == object::Endianness::Big;
    let mut bytes = Vec::with_capacity(size as usize);
    let u32b = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u64b = |v: u64| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    // (type, flags, offset, vaddr, paddr, filesz, memsz, align); PT_PHDR first, as the ELF
    // specification wants it before any PT_LOAD.
    let phdr = (
        elf::PT_PHDR.0,
        elf::PF_R.0,
        offset,
        addr,
        addr,
        size,
        size,
        if b.is_64 { 8 } else { 4 },
    );
    let mut rows = Vec::with_capacity(count);
    if !has_phdr {
        rows.push(phdr);
    }
    for seg in b.segments.iter() {
        rows.push(if seg.p_type == elf::PT_PHDR {
            (
                phdr.0,
                seg.p_flags.0,
                phdr.2,
                phdr.3,
                phdr.4,
                phdr.5,
                phdr.6,
                seg.p_align,
            )
        } else {
            (
                seg.p_type.0,
                seg.p_flags.0,
                seg.p_offset,
                seg.p_vaddr,
                seg.p_paddr,
                seg.p_filesz,
                seg.p_memsz,
                seg.p_align,
            )
        });
    }
    for (p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align) in rows {
        if b.is_64 {
            bytes.extend_from_slice(&u32b(p_type));
            bytes.extend_from_slice(&u32b(p_flags));
            for v in [p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align] {
                bytes.extend_from_slice(&u64b(v));
            }
        } else {
            bytes.extend_from_slice(&u32b(p_type));
            for v in [p_offset, p_vaddr, p_paddr, p_filesz, p_memsz] {
                bytes.extend_from_slice(&u32b(v as u32));
            }
            bytes.extend_from_slice(&u32b(p_flags));
            bytes.extend_from_slice(&u32b(p_align as u32));
        }
    }
    // The Builder writes the table where it was, so it keeps one entry (the first
    // PT_LOAD); the room the rest took may hold tables now (`repack_front`).
    let keep = b
        .segments
        .iter()
        .find(|s| s.p_type == elf::PT_LOAD && original.contains(&s.id()))
        .map(|s| s.id());
    for seg in b.segments.iter_mut() {
        if Some(seg.id()) != keep {
            seg.delete = true;
        }
    }
    PhdrTable {
        offset,
        bytes,
        count: count as u16,
    }
}

/// When new DT_NEEDED entries do not fit in `.dynamic` (which cannot move), drop entries
/// the loader does not need, in this order: padding DT_NULLs, DT_RELACOUNT/DT_RELCOUNT
/// (an optimisation hint), DT_SYMENT (glibc's loader reads it only for the function
/// descriptors of ia64 and hppa: everywhere else the symbol size is the class's, and
/// readers fall back to it), and DT_FLAGS when it only says BIND_NOW and DT_FLAGS_1 says
/// NOW too. Linkers that leave no spare slots (rustc's, lld) need this for even one
/// addition; lld's shared libraries need two slots for libpthread and libdl.
fn make_room(d: &mut Vec<Dynamic<'_>>, slots: u64, machine: u16) {
    let now_in_flags_1 = d.iter().any(|e| {
        matches!(e, Dynamic::Integer { tag, val } if *tag == elf::DT_FLAGS_1 && val & elf::DF_1_NOW.0 != 0)
    });
    let function_descriptors = machine == elf::EM_IA_64.0 || machine == elf::EM_PARISC.0;
    let removable: [&dyn Fn(&Dynamic<'_>) -> bool; 4] = [
        &|e| e.tag() == elf::DT_NULL,
        &|e| matches!(e.tag(), elf::DT_RELACOUNT | elf::DT_RELCOUNT),
        &|e| !function_descriptors && e.tag() == elf::DT_SYMENT,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `dynstr_size` must equal the Builder's own count, on the fixtures of every
    /// architecture and on this machine's large libraries, as read and with new strings
    /// (a new version file and version, a renamed symbol: strings not from the input).
    #[test]
    fn dynstr_size_equals_the_builders() {
        let mut files: Vec<std::path::PathBuf> = Vec::new();
        for arch in std::fs::read_dir("testdata/bin").unwrap().flatten() {
            for f in std::fs::read_dir(arch.path()).unwrap().flatten() {
                files.push(f.path());
            }
        }
        for lib in [
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/x86_64-linux-gnu/libc.so.6",
            "/usr/lib/x86_64-linux-gnu/libLLVM-16.so.1",
            "/usr/lib/llvm-14/lib/libclang-cpp.so.14",
            "/usr/bin/python3",
        ] {
            if std::path::Path::new(lib).exists() {
                files.push(lib.into());
            }
        }
        let mut compared = 0;
        for f in &files {
            let data = std::fs::read(f).unwrap();
            let Ok(mut b) = Builder::read(&data[..]) else {
                continue;
            };
            if !b
                .sections
                .iter()
                .any(|s| matches!(s.data, SectionData::DynamicString))
            {
                continue;
            }
            b.delete_orphans();
            b.delete_unused_versions();
            assert_eq!(
                dynstr_size(&b),
                b.dynamic_string_size(),
                "{} as read",
                f.display()
            );
            find_or_add_need(&mut b, "libelfcompat-test.so.1", "GLIBC_2.2.5").unwrap();
            find_or_add_need(&mut b, "libc.so.6", "ELFCOMPAT_TEST_1.0").unwrap();
            if let Some(sym) = b.dynamic_symbols.iter_mut().next() {
                sym.name = ByteString::from(b"elfcompat_renamed_symbol".to_vec());
            }
            assert_eq!(
                dynstr_size(&b),
                b.dynamic_string_size(),
                "{} with new strings",
                f.display()
            );
            compared += 1;
        }
        assert!(compared >= 10, "only {compared} files compared");
    }
}
