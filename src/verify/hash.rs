//! Hash-table consistency: every exported symbol must be findable through DT_GNU_HASH and
//! DT_HASH exactly as the loader looks it up, or the loader will not find it.

use crate::elf::{ByteOrder, Class, ElfFile};

use super::{finding, Finding};

fn gnu_hash(name: &[u8]) -> u32 {
    name.iter().fold(5381u32, |h, &c| {
        h.wrapping_mul(33).wrapping_add(u32::from(c))
    })
}

struct Raw<'a> {
    data: &'a [u8],
    big: bool,
}

impl Raw<'_> {
    fn u32(&self, off: u64) -> Option<u32> {
        let b = self
            .data
            .get(off as usize..(off as usize).checked_add(4)?)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if self.big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    }
    fn u64(&self, off: u64) -> Option<u64> {
        let b = self
            .data
            .get(off as usize..(off as usize).checked_add(8)?)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(if self.big {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        })
    }
}

/// A file's bytes as its hash tables are read: their byte order, the Bloom filter's word
/// size, and DT_HASH's entry size (8 bytes on 64-bit s390, 4 everywhere else).
struct Tables<'a> {
    raw: Raw<'a>,
    wide: bool,
    sysv_entry: u64,
}

impl<'a> Tables<'a> {
    fn of(file: &ElfFile<'a>) -> Self {
        let wide = file.class == Class::Elf64;
        Tables {
            raw: Raw {
                data: file.data,
                big: file.byte_order == ByteOrder::Big,
            },
            wide,
            sysv_entry: if file.machine == object::elf::EM_S390.0 && wide {
                8
            } else {
                4
            },
        }
    }

    /// Entry `k` of the DT_HASH table at `base` (0: nbucket, 1: nchain, then buckets and
    /// chains).
    fn sysv(&self, base: u64, k: u64) -> Option<u64> {
        if self.sysv_entry == 8 {
            self.raw.u64(base + 8 * k)
        } else {
            self.raw.u32(base + 4 * k).map(u64::from)
        }
    }
}

/// The hash tables' fixed parts (headers, Bloom filter, buckets, and DT_HASH's chains)
/// must lie inside the file: the loader indexes the buckets by hash, so a bucket count the
/// file cannot hold sends it past the table, and a rewriter that keeps the count builds a
/// table of that size. Cheap (no symbol is hashed): part of the layout checks.
pub(super) fn headers(file: &ElfFile<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(dynamic) = &file.dynamic else {
        return out;
    };
    let t = Tables::of(file);
    let len = file.data.len() as u64;
    if let Some(g) = dynamic.layout.gnu_hash {
        let fits = (|| {
            let nbuckets = u64::from(t.raw.u32(g.offset)?);
            let bloom = u64::from(t.raw.u32(g.offset + 8)?);
            let word = if t.wide { 8 } else { 4 };
            let end = g
                .offset
                .checked_add(16)?
                .checked_add(bloom.checked_mul(word)?)?
                .checked_add(nbuckets.checked_mul(4)?)?;
            Some(end <= len)
        })();
        if fits != Some(true) {
            out.push(finding(
                "gnu-hash",
                "DT_GNU_HASH's header, Bloom filter or buckets reach past the end of the file",
            ));
        }
    }
    if let Some(h) = dynamic.layout.hash {
        let fits = (|| {
            let (nbucket, nchain) = (t.sysv(h.offset, 0)?, t.sysv(h.offset, 1)?);
            let words = nbucket.checked_add(nchain)?.checked_add(2)?;
            Some(h.offset.checked_add(words.checked_mul(t.sysv_entry)?)? <= len)
        })();
        if fits != Some(true) {
            out.push(finding(
                "sysv-hash",
                "DT_HASH's buckets and chains reach past the end of the file",
            ));
        }
    }
    out
}

/// Check both hash tables against `.dynsym`.
pub(super) fn check(file: &ElfFile<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(dynamic) = &file.dynamic else {
        return out;
    };
    let t = Tables::of(file);
    let (raw, wide) = (&t.raw, t.wide);
    let defined: Vec<(usize, &str)> = dynamic
        .symbols
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, s)| {
            !s.is_undefined() && s.bind != object::elf::STB_LOCAL.0 && !s.name.is_empty()
        })
        .map(|(i, s)| (i, s.name.as_ref()))
        .collect();
    if let Some(g) = dynamic.layout.gnu_hash {
        // The header once; then each exported symbol looked up as the loader would.
        let header = (|| {
            let base = g.offset;
            Some((
                raw.u32(base)?,
                raw.u32(base + 4)?,
                raw.u32(base + 8)?,
                raw.u32(base + 12)?,
            ))
        })();
        let word_bits: u32 = if wide { 64 } else { 32 };
        // Some(true): `want` is reached under `name`; None: the table is truncated.
        let reaches = |name: &str, want: usize| -> Option<bool> {
            let (nbuckets, symoffset, bloom_size, shift) = header?;
            let h = gnu_hash(name.as_bytes());
            let bloom_at = g.offset + 16;
            let idx = u64::from((h / word_bits) % bloom_size.max(1));
            let word = if wide {
                raw.u64(bloom_at + idx * 8)?
            } else {
                u64::from(raw.u32(bloom_at + idx * 4)?)
            };
            let mask = (1u64 << (h % word_bits)) | (1u64 << ((h >> shift) % word_bits));
            if word & mask != mask {
                return Some(false);
            }
            let buckets_at = bloom_at + u64::from(bloom_size) * u64::from(word_bits / 8);
            let chains_at = buckets_at + 4 * u64::from(nbuckets);
            let mut i = raw.u32(buckets_at + 4 * u64::from(h % nbuckets.max(1)))?;
            if i == 0 {
                return Some(false);
            }
            let mut steps = 0usize;
            loop {
                let c = raw.u32(chains_at + 4 * u64::from(i.checked_sub(symoffset)?))?;
                if (c | 1) == (h | 1) && i as usize == want {
                    return Some(true);
                }
                steps += 1;
                if c & 1 == 1 || steps > dynamic.symbols.len() {
                    return Some(false);
                }
                i += 1;
            }
        };
        for (i, name) in &defined {
            match reaches(name, *i) {
                Some(true) => {}
                Some(false) => out.push(finding(
                    "gnu-hash",
                    format!("exported symbol {name} (#{i}) is not reachable through DT_GNU_HASH"),
                )),
                None => {
                    out.push(finding(
                        "gnu-hash",
                        "DT_GNU_HASH is truncated or inconsistent",
                    ));
                    break;
                }
            }
        }
    }
    if let Some(hsh) = dynamic.layout.hash {
        let get = |k: u64| t.sysv(hsh.offset, k);
        for (i, name) in &defined {
            let reach = (|| -> Option<bool> {
                let nbucket = get(0)?;
                let nchain = get(1)?;
                let h = u64::from(crate::versym::elf_hash(name.as_bytes()));
                let mut y = get(2 + h % nbucket.max(1))?;
                let mut steps = 0u64;
                while y != 0 && steps <= nchain {
                    if y as usize == *i {
                        return Some(true);
                    }
                    y = get(2 + nbucket + y)?;
                    steps += 1;
                }
                Some(false)
            })();
            if reach != Some(true) {
                out.push(finding(
                    "sysv-hash",
                    format!("exported symbol {name} (#{i}) is not reachable through DT_HASH"),
                ));
            }
        }
    }
    out
}
