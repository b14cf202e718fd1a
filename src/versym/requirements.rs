//! Requirements: what a binary needs from each library, per version and per symbol,
//! resolved from `.gnu.version` indices the way the loader resolves them.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::elf::{DynSymbol, ElfFile};

use super::VersionName;

/// The ELF hash (SysV `elf_hash`) that `vna_hash` / `vd_hash` hold.
pub fn elf_hash(name: &[u8]) -> u32 {
    let mut h: u32 = 0;
    for &c in name {
        h = (h << 4).wrapping_add(u32::from(c));
        let g = h & 0xf000_0000;
        if g != 0 {
            h ^= g >> 24;
        }
        h &= !g;
    }
    h
}

/// What kind of object a symbol is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SymbolKind {
    /// STT_FUNC or STT_GNU_IFUNC.
    Function,
    /// STT_OBJECT or STT_COMMON.
    Object,
    /// STT_TLS.
    Tls,
    /// STT_NOTYPE and anything else.
    Other,
}

impl SymbolKind {
    fn of(sym: &DynSymbol<'_>) -> SymbolKind {
        use object::elf::*;
        match sym.kind {
            k if k == STT_FUNC.0 || k == STT_GNU_IFUNC.0 => SymbolKind::Function,
            k if k == STT_OBJECT.0 || k == STT_COMMON.0 => SymbolKind::Object,
            k if k == STT_TLS.0 => SymbolKind::Tls,
            _ => SymbolKind::Other,
        }
    }
}

/// Symbol binding as far as requirements care.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SymbolBinding {
    /// STB_GLOBAL (or anything not weak).
    Global,
    /// STB_WEAK: a missing definition is not an error.
    Weak,
}

/// One version required from one library (a vernaux entry).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VersionRequirement {
    /// The version name.
    pub name: VersionName,
    /// The index `.gnu.version` uses for it (vna_other).
    pub index: u16,
    /// vna_flags has VER_FLG_WEAK: the loader only warns when it is missing.
    pub weak: bool,
    /// vna_hash as stored.
    pub hash: u32,
    /// Whether vna_hash is the ELF hash of the name.
    pub hash_ok: bool,
    /// How many dynamic symbols use this version. The loader checks the version even
    /// when this is 0.
    pub used_by: usize,
}

/// Everything required from one needed library.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LibraryRequirement<'data> {
    /// The library's soname (vn_file, or the DT_NEEDED string).
    pub soname: Cow<'data, str>,
    /// Whether a DT_NEEDED names it (a verneed without DT_NEEDED relies on another
    /// library loading it).
    pub in_dt_needed: bool,
    /// The versions required from it, in file order.
    pub versions: Vec<VersionRequirement>,
}

/// One symbol this binary takes from another file. Its names are borrowed from the file's
/// string table (see [`ImportedSymbol::into_owned`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ImportedSymbol<'data> {
    /// The symbol name.
    pub name: Cow<'data, str>,
    /// The library whose version it is bound to (None when unversioned).
    pub library: Option<Cow<'data, str>>,
    /// The required version (None when unversioned).
    pub version: Option<VersionName>,
    /// The raw `.gnu.version` entry (index and hidden bit).
    pub versym: u16,
    /// STB_WEAK: the binary runs without a definition.
    pub binding: SymbolBinding,
    /// Function, object or TLS.
    pub kind: SymbolKind,
    /// Defined in this file but bound to a needed version: a COPY-relocated data object of
    /// a non-PIE executable (`stdout@GLIBC_2.2.5`).
    pub copy_relocated: bool,
    /// Index in `.dynsym`.
    pub dynsym_index: usize,
}

impl ImportedSymbol<'_> {
    /// The same symbol, with its names copied out of the file.
    pub fn into_owned(self) -> ImportedSymbol<'static> {
        ImportedSymbol {
            name: Cow::Owned(self.name.into_owned()),
            library: self.library.map(|l| Cow::Owned(l.into_owned())),
            version: self.version,
            versym: self.versym,
            binding: self.binding,
            kind: self.kind,
            copy_relocated: self.copy_relocated,
            dynsym_index: self.dynsym_index,
        }
    }
}

/// One version this file defines (a verdef entry).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DefinedVersion {
    /// The version name.
    pub name: VersionName,
    /// vd_ndx.
    pub index: u16,
    /// VER_FLG_BASE: the file's own name, not a real version.
    pub base: bool,
    /// Parent versions named by the definition.
    pub parents: Vec<String>,
}

/// One symbol this file exports.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ExportedSymbol<'data> {
    /// The symbol name.
    pub name: Cow<'data, str>,
    /// Its version, if versioned.
    pub version: Option<VersionName>,
    /// Index in `.dynsym`.
    pub dynsym_index: usize,
    /// Hidden (a non-default `sym@VER`, only reachable by a versioned reference).
    pub hidden: bool,
    /// Function, object or TLS.
    pub kind: SymbolKind,
}

/// The complete requirement and definition model of one file. Names are borrowed from the
/// parsed file.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Requirements<'data> {
    /// Per needed library: the versions required (verneed), plus every DT_NEEDED library.
    pub libraries: Vec<LibraryRequirement<'data>>,
    /// Every imported dynamic symbol, in `.dynsym` order.
    pub imports: Vec<ImportedSymbol<'data>>,
    /// Versions defined by this file (shared libraries).
    pub defined_versions: Vec<DefinedVersion>,
    /// Exported symbols (shared libraries; executables that export); empty from
    /// [`Requirements::of_imports`].
    pub exports: Vec<ExportedSymbol<'data>>,
    /// How many symbols the file exports (what `exports` would hold, counted by
    /// [`Requirements::of_imports`] too).
    pub export_count: usize,
    /// `.gnu.version` indices used by a symbol that no verneed or verdef defines.
    pub dangling_indices: Vec<(usize, u16)>,
}

/// The import at `i` of `.dynsym`, bound to the version requirement `needed` ((library,
/// version) positions in `libraries`, whose use it counts) or unversioned.
fn imported<'data>(
    libraries: &mut [LibraryRequirement<'data>],
    sym: &DynSymbol<'data>,
    i: usize,
    raw: u16,
    name: Cow<'data, str>,
    needed: Option<(usize, usize)>,
) -> ImportedSymbol<'data> {
    let (library, version) = match needed {
        Some((li, vi)) => {
            let lib = &mut libraries[li];
            let v = &mut lib.versions[vi];
            v.used_by += 1;
            (Some(lib.soname.clone()), Some(v.name.clone()))
        }
        None => (None, None),
    };
    ImportedSymbol {
        name,
        library,
        version,
        versym: raw,
        binding: if sym.is_weak() {
            SymbolBinding::Weak
        } else {
            SymbolBinding::Global
        },
        kind: SymbolKind::of(sym),
        // Defined, yet bound to a needed version: a COPY-relocated object.
        copy_relocated: needed.is_some() && !sym.is_undefined(),
        dynsym_index: i,
    }
}

impl<'data> Requirements<'data> {
    /// Build the model from a parsed file. Files without a dynamic section require nothing.
    pub fn of(file: &ElfFile<'data>) -> Requirements<'data> {
        Self::build(file, true)
    }

    /// The model without `exports` (only their count): what reports and checks against a
    /// baseline need, without an entry per exported symbol (tens of thousands in a large
    /// library).
    pub fn of_imports(file: &ElfFile<'data>) -> Requirements<'data> {
        Self::build(file, false)
    }

    fn build(file: &ElfFile<'data>, with_exports: bool) -> Requirements<'data> {
        let Some(dynamic) = &file.dynamic else {
            return Requirements::default();
        };
        let mut req = Requirements::default();

        // Per version index, (library position, version position) of its requirement; the
        // first entry of an index wins. Indices are small (a few dozen, counted from 2 up),
        // so a table indexed by them answers each symbol in one step.
        let needed_indices = dynamic.verneed.iter().flat_map(|vn| &vn.aux);
        let needed_indices = needed_indices.map(|aux| usize::from(aux.index & 0x7fff));
        let defined_indices = dynamic
            .verdef
            .iter()
            .map(|vd| usize::from(vd.index & 0x7fff));
        let table_len = needed_indices
            .chain(defined_indices)
            .max()
            .map_or(0, |m| m + 1);
        let mut needed_by_index: Vec<Option<(usize, usize)>> = vec![None; table_len];
        // Indices some verneed or verdef entry defines: any other is dangling.
        let mut known = vec![false; table_len];
        for vd in &dynamic.verdef {
            known[usize::from(vd.index & 0x7fff)] = true;
        }
        for vn in &dynamic.verneed {
            let li = req.libraries.len();
            let mut versions = Vec::with_capacity(vn.aux.len());
            for (vi, aux) in vn.aux.iter().enumerate() {
                known[usize::from(aux.index & 0x7fff)] = true;
                let slot = &mut needed_by_index[usize::from(aux.index & 0x7fff)];
                if slot.is_none() {
                    *slot = Some((li, vi));
                }
                versions.push(VersionRequirement {
                    name: VersionName::parse(&aux.name),
                    index: aux.index,
                    weak: aux.is_weak(),
                    hash: aux.hash,
                    hash_ok: aux.hash == elf_hash(aux.name.as_bytes()),
                    used_by: 0,
                });
            }
            req.libraries.push(LibraryRequirement {
                soname: vn.file.clone(),
                in_dt_needed: dynamic.needed.contains(&vn.file),
                versions,
            });
        }
        for n in &dynamic.needed {
            if !req.libraries.iter().any(|l| l.soname == *n) {
                req.libraries.push(LibraryRequirement {
                    soname: n.clone(),
                    in_dt_needed: true,
                    versions: Vec::new(),
                });
            }
        }
        let defined_by_index: HashMap<u16, usize> = dynamic
            .verdef
            .iter()
            .enumerate()
            .map(|(i, vd)| (vd.index & 0x7fff, i))
            .collect();
        for vd in &dynamic.verdef {
            req.defined_versions.push(DefinedVersion {
                name: VersionName::parse(vd.name()),
                index: vd.index,
                base: vd.is_base(),
                parents: vd.names.iter().skip(1).map(|n| n.to_string()).collect(),
            });
        }

        // The parse's pass over `.dynsym` found the imports: only they are read again.
        let needed_at = |index: u16| {
            let index = usize::from(index & 0x7fff);
            needed_by_index
                .get(index)
                .copied()
                .flatten()
                .filter(|_| index >= 2)
        };
        if let (Some(scan), false) = (&dynamic.imports, with_exports) {
            req.export_count = scan.export_count;
            req.dangling_indices.clone_from(&scan.dangling);
            req.imports.reserve_exact(scan.symbols.len());
            for &(i, len) in &scan.symbols {
                let i = i as usize;
                let Some(sym) = dynamic.table.get(i) else {
                    continue;
                };
                let raw = dynamic.versym.get(i).copied().unwrap_or(1);
                let name = dynamic.name_at(sym.name_offset, len);
                let import = imported(&mut req.libraries, &sym, i, raw, name, needed_at(raw));
                req.imports.push(import);
            }
            return req;
        }

        // Read in place: only the names shown (imports, and exports when asked) are decoded.
        for (i, sym) in dynamic.table.iter().enumerate().skip(1) {
            if !dynamic.is_named(&sym) {
                continue;
            }
            let raw = dynamic.versym.get(i).copied().unwrap_or(1);
            let index = raw & 0x7fff;
            if index >= 2 && !known.get(usize::from(index)).copied().unwrap_or(false) {
                req.dangling_indices.push((i, raw));
            }
            let hidden = raw & 0x8000 != 0;
            let local = sym.bind == object::elf::STB_LOCAL.0;
            let needed = needed_at(raw);
            if needed.is_some() || sym.is_undefined() {
                let name = dynamic.symbol_name(&sym);
                let import = imported(&mut req.libraries, &sym, i, raw, name, needed);
                req.imports.push(import);
            } else if !local {
                req.export_count += 1;
                if !with_exports {
                    continue;
                }
                let version = defined_by_index
                    .get(&index)
                    .and_then(|&d| dynamic.verdef.get(d))
                    .filter(|vd| !vd.is_base())
                    .map(|vd| VersionName::parse(vd.name()));
                req.exports.push(ExportedSymbol {
                    name: dynamic.symbol_name(&sym),
                    dynsym_index: i,
                    version,
                    hidden,
                    kind: SymbolKind::of(&sym),
                });
            }
        }
        req
    }

    /// `.gnu.version` entries (dynsym index, raw value) naming an index that no verneed or
    /// verdef entry has (what [`Requirements::dangling_indices`] holds), for checks that
    /// need nothing else of the model.
    pub fn dangling_in(file: &ElfFile<'_>) -> Vec<(usize, u16)> {
        let Some(dynamic) = &file.dynamic else {
            return Vec::new();
        };
        // A `Names::Imports` parse found them already.
        if let Some(scan) = &dynamic.imports {
            return scan.dangling.clone();
        }
        // One bit per possible index (4 KiB, not 32 KiB of bools to clear per file).
        let mut known = [0u64; 0x8000 / 64];
        let mut mark = |i: u16| known[usize::from(i & 0x7fff) / 64] |= 1 << (i & 63);
        for vn in &dynamic.verneed {
            for aux in &vn.aux {
                mark(aux.index);
            }
        }
        for vd in &dynamic.verdef {
            mark(vd.index);
        }
        let known = |i: u16| known[usize::from(i) / 64] & (1 << (i & 63)) != 0;
        dynamic
            .table
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, s)| dynamic.is_named(s))
            .filter_map(|(i, _)| {
                let raw = dynamic.versym.get(i).copied().unwrap_or(1);
                let index = raw & 0x7fff;
                (index >= 2 && !known(index)).then_some((i, raw))
            })
            .collect()
    }

    /// The newest glibc release an imported symbol requires. A file that needs a release
    /// was built against headers at least that new.
    pub fn newest_glibc(&self) -> Option<crate::abi::GlibcVersion> {
        self.imports
            .iter()
            .filter_map(|i| i.version.as_ref()?.glibc_triple())
            .map(|(a, b, c)| crate::abi::GlibcVersion::new(a, b, c))
            .max()
    }

    /// All version requirements with their library, in file order.
    pub fn version_requirements(
        &self,
    ) -> impl Iterator<Item = (&LibraryRequirement<'data>, &VersionRequirement)> {
        self.libraries
            .iter()
            .flat_map(|l| l.versions.iter().map(move |v| (l, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::elf_hash;

    #[test]
    fn elf_hash_matches_binutils() {
        // Values as stored by GNU ld in vna_hash.
        assert_eq!(elf_hash(b"GLIBC_2.2.5"), 0x09691a75);
        assert_eq!(elf_hash(b"GLIBC_2.34"), 0x069691b4);
        assert_eq!(elf_hash(b""), 0);
    }
}
