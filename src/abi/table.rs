//! Decoder of `data/glibc-abi.bin`, the table that `tools/gen-abi/gen_abi.py`
//! derives from zig's glibc `abilists`. The format is documented in the
//! generator's docstring; this decoder checks every index and consumes the
//! input exactly, so a corrupt table is an error, never a panic.

use std::collections::HashMap;

use super::{GlibcVersion, Lib, SymbolKind};

const MAGIC: &[u8; 8] = b"ELFCABI\x01";
/// The library names of the table, in [`Lib`] order.
const LIB_NAMES: [&str; 9] = [
    "c", "m", "pthread", "dl", "rt", "util", "resolv", "ld", "anl",
];
/// Version indices are 7-bit and the per-library version sets are u128 bitsets.
const MAX_VERSIONS: usize = 127;
/// Target sets are u64 bitmasks.
const MAX_TARGETS: usize = 64;
/// "Not removed" in [`Entry::removed_in`].
pub(crate) const NOT_REMOVED: u8 = u8::MAX;

/// Why the table could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// The data does not start with the expected magic and format version.
    #[error("glibc ABI table: bad magic or unsupported format version")]
    BadMagic,
    /// The data ended in the middle of a structure.
    #[error("glibc ABI table: truncated at byte {offset} (reading {what})")]
    Truncated {
        /// Where the read started.
        offset: usize,
        /// The structure being read.
        what: &'static str,
    },
    /// A value is out of range or inconsistent.
    #[error("glibc ABI table: invalid {what} at byte {offset}")]
    Invalid {
        /// Where the value is.
        offset: usize,
        /// The structure that is invalid.
        what: &'static str,
    },
    /// Data follows the last structure.
    #[error("glibc ABI table: {count} trailing bytes at byte {offset}")]
    Trailing {
        /// Where the trailing bytes start.
        offset: usize,
        /// How many there are.
        count: usize,
    },
}

/// One target of the table.
#[derive(Clone, Debug)]
pub(crate) struct TargetInfo<'a> {
    /// The zig triple, e.g. `x86_64-linux-gnu`.
    pub name: &'a str,
    /// Index of the newest version the source data covers for this target.
    pub newest: u8,
}

/// One (library, version) of one symbol, on the targets of `targets`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Bit i: present on target i.
    pub targets: u64,
    /// Object / TLS size in bytes (0 for functions).
    pub size: u64,
    /// Version index.
    pub version: u8,
    /// Version index of the first release without it, or [`NOT_REMOVED`].
    pub removed_in: u8,
    pub lib: Lib,
    pub kind: SymbolKind,
    pub weak: bool,
    pub unversioned: bool,
}

/// The decoded table.
#[derive(Debug)]
pub(crate) struct Table<'a> {
    pub provenance: &'a str,
    pub versions: Vec<GlibcVersion>,
    pub targets: Vec<TargetInfo<'a>>,
    /// Symbol names, strictly ascending (bytewise, as `str`'s `Ord`).
    pub names: Vec<&'a str>,
    /// `entries[starts[i]..starts[i + 1]]` belong to `names[i]`; each run is
    /// sorted by (version, lib).
    pub starts: Vec<u32>,
    pub entries: Vec<Entry>,
    /// Name to index of `names`, for lookups in O(1).
    pub index: HashMap<&'a str, u32>,
}

impl<'a> Table<'a> {
    /// The entries of the symbol at `index` of `names`.
    pub fn entries_of(&self, index: usize) -> &[Entry] {
        let start = self.starts.get(index).copied().unwrap_or(0) as usize;
        let end = self.starts.get(index + 1).copied().unwrap_or(0) as usize;
        self.entries.get(start..end).unwrap_or(&[])
    }

    /// Index of `name` in `names`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.index.get(name).map(|&i| i as usize)
    }
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn u8(&mut self, what: &'static str) -> Result<u8, TableError> {
        let b = *self.data.get(self.pos).ok_or(TableError::Truncated {
            offset: self.pos,
            what,
        })?;
        self.pos += 1;
        Ok(b)
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, TableError> {
        let lo = self.u8(what)?;
        let hi = self.u8(what)?;
        Ok(u16::from_le_bytes([lo, hi]))
    }

    fn uleb(&mut self, what: &'static str) -> Result<u64, TableError> {
        let start = self.pos;
        let mut value: u64 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.u8(what)?;
            let bits = u64::from(b & 0x7f);
            if shift >= 64 || (shift == 63 && bits > 1) {
                return Err(TableError::Invalid {
                    offset: start,
                    what,
                });
            }
            value |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
        }
    }

    fn cstr(&mut self, what: &'static str) -> Result<&'a str, TableError> {
        let start = self.pos;
        let rest = self.data.get(start..).unwrap_or(&[]);
        let len = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or(TableError::Truncated {
                offset: start,
                what,
            })?;
        let bytes = rest.get(..len).unwrap_or(&[]);
        let s = std::str::from_utf8(bytes).map_err(|_| TableError::Invalid {
            offset: start,
            what,
        })?;
        self.pos = start + len + 1;
        Ok(s)
    }

    fn invalid(&self, what: &'static str) -> TableError {
        TableError::Invalid {
            offset: self.pos,
            what,
        }
    }
}

/// Decode a table (see the generator for the format).
pub(crate) fn decode(data: &[u8]) -> Result<Table<'_>, TableError> {
    if data.get(..MAGIC.len()) != Some(&MAGIC[..]) {
        return Err(TableError::BadMagic);
    }
    let mut c = Cursor {
        data,
        pos: MAGIC.len(),
    };
    let provenance = c.cstr("provenance")?;

    let nlibs = c.u8("library count")?;
    if usize::from(nlibs) != LIB_NAMES.len() {
        return Err(c.invalid("library count"));
    }
    for expected in LIB_NAMES {
        if c.cstr("library name")? != expected {
            return Err(c.invalid("library name"));
        }
    }

    let nversions = usize::from(c.u8("version count")?);
    if nversions == 0 || nversions > MAX_VERSIONS {
        return Err(c.invalid("version count"));
    }
    let mut versions = Vec::with_capacity(nversions);
    for _ in 0..nversions {
        let v = GlibcVersion::new(c.u8("version")?, c.u8("version")?, c.u8("version")?);
        if versions.last().is_some_and(|last| *last >= v) {
            return Err(c.invalid("version order"));
        }
        versions.push(v);
    }

    let ntargets = usize::from(c.u8("target count")?);
    if ntargets == 0 || ntargets > MAX_TARGETS {
        return Err(c.invalid("target count"));
    }
    let mut targets = Vec::with_capacity(ntargets);
    for _ in 0..ntargets {
        let name = c.cstr("target name")?;
        let newest = c.u8("target newest version")?;
        if usize::from(newest) >= nversions {
            return Err(c.invalid("target newest version"));
        }
        targets.push(TargetInfo { name, newest });
    }
    let all_targets = if ntargets == 64 {
        u64::MAX
    } else {
        (1u64 << ntargets) - 1
    };

    let nmasks = usize::from(c.u16("mask count")?);
    let mut masks = Vec::with_capacity(nmasks);
    for _ in 0..nmasks {
        let m = c.uleb("target mask")?;
        if m == 0 || m & !all_targets != 0 {
            return Err(c.invalid("target mask"));
        }
        masks.push(m);
    }

    let nnames = usize::from(c.u16("name count")?);
    let mut names: Vec<&str> = Vec::with_capacity(nnames);
    for _ in 0..nnames {
        let n = c.cstr("symbol name")?;
        // Strictly ascending, so lookups can binary-search.
        if n.is_empty() || names.last().is_some_and(|last| *last >= n) {
            return Err(c.invalid("symbol name order"));
        }
        names.push(n);
    }

    let mut starts = Vec::with_capacity(nnames + 1);
    let mut entries = Vec::with_capacity(nnames * 9);
    for _ in 0..nnames {
        starts.push(u32::try_from(entries.len()).map_err(|_| c.invalid("entry count"))?);
        let first = entries.len();
        let nrecords = c.uleb("record count")?;
        if nrecords == 0 {
            return Err(c.invalid("record count"));
        }
        for _ in 0..nrecords {
            let mask_index = usize::try_from(c.uleb("mask index")?).unwrap_or(usize::MAX);
            let targets = *masks
                .get(mask_index)
                .ok_or_else(|| c.invalid("mask index"))?;
            let flags = c.u8("record flags")?;
            let lib = *Lib::ALL
                .get(usize::from(flags & 0x0f))
                .ok_or_else(|| c.invalid("library index"))?;
            let kind = match (flags >> 4) & 3 {
                0 => SymbolKind::Function,
                1 => SymbolKind::Object,
                2 => SymbolKind::Tls,
                _ => return Err(c.invalid("symbol kind")),
            };
            let size = match kind {
                SymbolKind::Function => 0,
                SymbolKind::Object | SymbolKind::Tls => c.uleb("symbol size")?,
            };
            loop {
                let b = c.u8("version index")?;
                let version = b & 0x7f;
                if usize::from(version) >= nversions {
                    return Err(c.invalid("version index"));
                }
                entries.push(Entry {
                    targets,
                    size,
                    version,
                    removed_in: NOT_REMOVED,
                    lib,
                    kind,
                    weak: flags & 0x40 != 0,
                    unversioned: flags & 0x80 != 0,
                });
                if b & 0x80 != 0 {
                    break;
                }
            }
        }
        if let Some(run) = entries.get_mut(first..) {
            run.sort_by_key(|e| (e.version, e.lib));
        }
    }
    starts.push(u32::try_from(entries.len()).map_err(|_| c.invalid("entry count"))?);

    let index = names
        .iter()
        .enumerate()
        .filter_map(|(i, n)| u32::try_from(i).ok().map(|i| (*n, i)))
        .collect();
    let mut table = Table {
        index,
        provenance,
        versions,
        targets,
        names,
        starts,
        entries,
    };

    let nremovals = c.u16("removal count")?;
    for _ in 0..nremovals {
        let name = usize::try_from(c.uleb("removal name")?).unwrap_or(usize::MAX);
        let lib = *Lib::ALL
            .get(usize::from(c.u8("removal library")?))
            .ok_or_else(|| c.invalid("removal library"))?;
        let release = c.u8("removal release")?;
        if name >= table.names.len() || usize::from(release) >= nversions {
            return Err(c.invalid("removal"));
        }
        let start = table.starts.get(name).copied().unwrap_or(0) as usize;
        let end = table.starts.get(name + 1).copied().unwrap_or(0) as usize;
        for e in table.entries.get_mut(start..end).unwrap_or(&mut []) {
            if e.lib == lib {
                e.removed_in = release;
            }
        }
    }

    if c.pos != data.len() {
        return Err(TableError::Trailing {
            offset: c.pos,
            count: data.len() - c.pos,
        });
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny valid table: 2 versions, 1 target, names "a" (function) and "b" (object).
    fn tiny() -> Vec<u8> {
        let mut d = MAGIC.to_vec();
        d.extend_from_slice(b"test\0");
        d.push(LIB_NAMES.len() as u8);
        for n in LIB_NAMES {
            d.extend_from_slice(n.as_bytes());
            d.push(0);
        }
        d.extend_from_slice(&[2, 2, 0, 0, 2, 17, 0]);
        d.extend_from_slice(&[1]);
        d.extend_from_slice(b"x86_64-linux-gnu\0");
        d.push(1);
        d.extend_from_slice(&[1, 0, 1]); // one mask: target 0
        d.extend_from_slice(&[2, 0]);
        d.extend_from_slice(b"a\0b\0");
        d.extend_from_slice(&[1, 0, 0x00, 0x00, 0x81]); // a: libc function @2.0, 2.17
        d.extend_from_slice(&[1, 0, 0x11, 8, 0x80]); // b: libm object size 8 @2.0
        d.extend_from_slice(&[1, 0, 0, 0, 1]); // remove a from libc in 2.17
        d
    }

    #[test]
    fn decodes_tiny_table() {
        let data = tiny();
        let t = decode(&data).map_err(|e| e.to_string());
        let t = match t {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(t.names, ["a", "b"]);
        assert_eq!(t.entries_of(0).len(), 2);
        assert_eq!(t.entries_of(0)[1].removed_in, 1);
        let b = &t.entries_of(1)[0];
        assert_eq!((b.lib, b.kind, b.size), (Lib::M, SymbolKind::Object, 8));
    }

    #[test]
    fn rejects_every_truncation_and_trailing_bytes() {
        let data = tiny();
        for len in 0..data.len() {
            assert!(
                decode(&data[..len]).is_err(),
                "prefix of {len} bytes accepted"
            );
        }
        let mut longer = data.clone();
        longer.push(0);
        assert!(matches!(decode(&longer), Err(TableError::Trailing { .. })));
    }

    #[test]
    fn rejects_bad_indices() {
        let data = tiny();
        // a's record [1, mask, flags, v, v] precedes b's record and the removal (5 bytes each).
        let at = data.len() - 15;
        let mut bad = data.clone();
        bad[at + 1] = 7; // mask index out of range
        assert!(decode(&bad).is_err());
        let mut bad = data.clone();
        bad[at + 3] = 0x05; // version index out of range
        assert!(decode(&bad).is_err());
        let mut bad = data.clone();
        bad[at + 2] = 0x0f; // library index out of range
        assert!(decode(&bad).is_err());
        let mut bad = data;
        bad[0] = b'X';
        assert_eq!(decode(&bad).err(), Some(TableError::BadMagic));
    }
}
