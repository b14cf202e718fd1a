//! The loader's library cache: `/etc/ld.so.cache` in the format glibc >= 2.32 writes
//! ("glibc-ld.so.cache1.1", optionally after an old "ld.so-1.7.0" part), or, for a root
//! without one, the cache ldconfig would build from `/etc/ld.so.conf` and the system
//! directories.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::search::{cache_flags_match, host_path};
use super::ClosureError;

const MAGIC_OLD: &[u8] = b"ld.so-1.7.0";
const MAGIC_NEW: &[u8] = b"glibc-ld.so.cache1.1";
const HEADER_NEW: usize = 48;
const ENTRY_NEW: usize = 24;
const EXTENSION_MAGIC: u32 = 0xeaa4_2174;
const TAG_GLIBC_HWCAPS: u32 = 1;
/// The hwcap bit marking an entry of a `glibc-hwcaps` subdirectory; the low 32 bits then
/// index the extension's list of subdirectory names (glibc's DL_CACHE_HWCAP_EXTENSION).
const HWCAP_EXTENSION: u64 = 1 << 62;

/// Which files an entry is for: the cache's flags word, or (for a cache built from
/// ld.so.conf here) the library's own machine and class.
#[derive(Clone, Debug)]
enum Kind {
    Flags(i32),
    Elf { machine: u16, is_64: bool },
}

/// One cache entry.
#[derive(Clone, Debug)]
struct Entry {
    kind: Kind,
    /// The legacy hwcap bits (0 for an ordinary entry).
    legacy_hwcap: u64,
    /// The glibc-hwcaps subdirectory name, for such an entry.
    hwcaps: Option<String>,
    /// The library's path in target terms.
    value: String,
}

/// A parsed cache: entries by name, in file order.
#[derive(Clone, Debug, Default)]
pub struct LdCache {
    entries: HashMap<String, Vec<Entry>>,
    /// Where it came from: the cache file, or the ld.so.conf it was built from.
    pub source: Option<PathBuf>,
}

impl LdCache {
    /// Parse the bytes of an ld.so.cache file.
    pub fn parse(path: &Path, data: &[u8]) -> Result<LdCache, ClosureError> {
        let bad = |reason: &str| ClosureError::Cache {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        let mut start = 0usize;
        if data.starts_with(MAGIC_OLD) {
            // The old format's entries (12 bytes each) come first; the new part follows,
            // aligned to 8 bytes. Only the new part has what glibc >= 2.32 reads.
            // struct cache_file: magic[11], then nlibs aligned to 4.
            let n = rd32(data, 12, false).ok_or_else(|| bad("truncated old header"))? as usize;
            let end = 16usize
                .checked_add(n.checked_mul(12).ok_or_else(|| bad("old entry count"))?)
                .ok_or_else(|| bad("old entry count"))?;
            start = end.div_ceil(8) * 8;
        }
        let d = data.get(start..).ok_or_else(|| bad("no new-format part"))?;
        if !d.starts_with(MAGIC_NEW) {
            return Err(bad("no glibc-ld.so.cache1.1 header"));
        }
        // Byte 28: 2 little-endian, 3 big-endian (0: written before the flag existed).
        let big = d.get(28) == Some(&3);
        let nlibs = rd32(d, 20, big).ok_or_else(|| bad("truncated header"))? as usize;
        let ext_off = rd32(d, 32, big).unwrap_or(0) as usize;
        nlibs
            .checked_mul(ENTRY_NEW)
            .and_then(|n| n.checked_add(HEADER_NEW))
            .filter(|&e| e <= d.len())
            .ok_or_else(|| bad("entry table runs past the end"))?;
        let hwcaps_names = read_hwcaps_extension(d, ext_off, big);
        let mut entries: HashMap<String, Vec<Entry>> = HashMap::new();
        for i in 0..nlibs {
            let o = HEADER_NEW + i * ENTRY_NEW;
            let flags = rd32(d, o, big).ok_or_else(|| bad("entry"))? as i32;
            let key = rd32(d, o + 4, big).ok_or_else(|| bad("entry"))? as usize;
            let value = rd32(d, o + 8, big).ok_or_else(|| bad("entry"))? as usize;
            let hwcap = rd64(d, o + 16, big).ok_or_else(|| bad("entry"))?;
            // String offsets are from the start of the new-format header.
            let (Some(key), Some(value)) = (cstr(d, key), cstr(d, value)) else {
                return Err(bad("string offset outside the file"));
            };
            let (hwcaps, legacy_hwcap) = if hwcap & HWCAP_EXTENSION != 0 {
                let idx = (hwcap & 0xffff_ffff) as usize;
                match hwcaps_names.get(idx) {
                    Some(n) => (Some(n.clone()), 0),
                    // An index the loader cannot resolve: it skips the entry.
                    None => continue,
                }
            } else {
                (None, hwcap)
            };
            entries.entry(key.to_string()).or_default().push(Entry {
                kind: Kind::Flags(flags),
                legacy_hwcap,
                hwcaps,
                value: value.to_string(),
            });
        }
        Ok(LdCache {
            entries,
            source: Some(path.to_path_buf()),
        })
    }

    /// The path (target terms) the loader's `_dl_load_cache_lookup` returns for `name`:
    /// among the entries for this machine/class, the one from the best supported
    /// glibc-hwcaps subdirectory, else the first ordinary entry.
    pub fn lookup(
        &self,
        name: &str,
        machine: u16,
        is_64: bool,
        e_flags: u32,
        glibc_hwcaps: &[String],
    ) -> Option<&str> {
        let list = self.entries.get(name)?;
        let fits = |e: &&Entry| match e.kind {
            Kind::Flags(f) => cache_flags_match(f, machine, is_64, e_flags),
            Kind::Elf {
                machine: m,
                is_64: b,
            } => m == machine && b == is_64,
        };
        let best_hwcaps = list
            .iter()
            .filter(fits)
            .filter_map(|e| {
                let prio = glibc_hwcaps
                    .iter()
                    .position(|h| Some(h) == e.hwcaps.as_ref())?;
                Some((prio, e))
            })
            .min_by_key(|(p, _)| *p);
        if let Some((_, e)) = best_hwcaps {
            return Some(&e.value);
        }
        // Legacy hwcap entries (bits set, no glibc-hwcaps name) are not chosen: ldconfig
        // >= 2.33 no longer writes them for the legacy subdirectories Debian uses.
        list.iter()
            .filter(fits)
            .find(|e| e.hwcaps.is_none() && e.legacy_hwcap == 0)
            .map(|e| e.value.as_str())
    }

    /// The number of names in the cache.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The cache ldconfig would build for `sysroot`: the directories of `/etc/ld.so.conf`
    /// (with its `include` globs), then the system directories, each scanned for
    /// `lib*.so*`/`ld-*.so*` ELF shared objects, entered under their soname; a soname
    /// already entered from an earlier directory keeps its first entry.
    pub fn from_conf(sysroot: &Path, system_dirs: &[String]) -> LdCache {
        let conf = host_path(sysroot, "/etc/ld.so.conf");
        let mut dirs: Vec<String> = Vec::new();
        let mut seen_conf = Vec::new();
        parse_conf(sysroot, &conf, &mut dirs, &mut seen_conf, 0);
        dirs.extend(system_dirs.iter().cloned());
        let mut entries: HashMap<String, Vec<Entry>> = HashMap::new();
        let mut seen_dirs: Vec<PathBuf> = Vec::new();
        for dir in dirs {
            let host = host_path(sysroot, &dir);
            let canon = super::search::canonicalize_in(sysroot, &host);
            if seen_dirs.contains(&canon) {
                continue;
            }
            seen_dirs.push(canon);
            scan_dir(&host, &dir, None, &mut entries);
            // glibc-hwcaps subdirectories are entered as hwcaps entries.
            if let Ok(rd) = std::fs::read_dir(host.join("glibc-hwcaps")) {
                let mut subs: Vec<String> = rd
                    .flatten()
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect();
                subs.sort();
                for sub in subs {
                    let tdir = format!("{}/glibc-hwcaps/{sub}", dir.trim_end_matches('/'));
                    scan_dir(&host_path(sysroot, &tdir), &tdir, Some(&sub), &mut entries);
                }
            }
        }
        LdCache {
            entries,
            source: Some(conf),
        }
    }
}

fn scan_dir(
    host: &Path,
    target_dir: &str,
    hwcaps: Option<&str>,
    entries: &mut HashMap<String, Vec<Entry>>,
) {
    let Ok(rd) = std::fs::read_dir(host) else {
        return;
    };
    let mut names: Vec<String> = rd
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| (n.starts_with("lib") || n.starts_with("ld-")) && n.contains(".so"))
        .collect();
    names.sort();
    // soname -> (file name, machine, class); the file named as its soname wins.
    let mut found: Vec<(String, String, u16, bool)> = Vec::new();
    for name in names {
        let p = host.join(&name);
        let Ok(Some(map)) = crate::elf::open_if_elf(&p) else {
            continue;
        };
        let Ok(elf) = crate::elf::ElfFile::parse(map.bytes()) else {
            continue;
        };
        if elf.e_type != object::elf::ET_DYN.0 {
            continue;
        }
        let soname = elf
            .dynamic
            .as_ref()
            .and_then(|d| d.soname.as_deref())
            .unwrap_or(&name)
            .to_string();
        let is_64 = elf.class == crate::elf::Class::Elf64;
        match found.iter_mut().find(|f| f.0 == soname) {
            Some(f) if name == soname => f.1 = name,
            Some(_) => {}
            None => found.push((soname, name, elf.machine, is_64)),
        }
    }
    for (soname, _file, machine, is_64) in found {
        // ldconfig makes (or finds) the soname link in the directory and enters that.
        let value = format!("{}/{soname}", target_dir.trim_end_matches('/'));
        entries.entry(soname).or_default().push(Entry {
            kind: Kind::Elf { machine, is_64 },
            legacy_hwcap: 0,
            hwcaps: hwcaps.map(str::to_string),
            value,
        });
    }
}

fn parse_conf(
    sysroot: &Path,
    file: &Path,
    dirs: &mut Vec<String>,
    seen: &mut Vec<PathBuf>,
    depth: usize,
) {
    if depth > 16 || seen.iter().any(|s| s == file) {
        return;
    }
    seen.push(file.to_path_buf());
    let Ok(text) = std::fs::read_to_string(file) else {
        return;
    };
    // The directory of this conf file in target terms, for relative include patterns.
    let conf_dir = file
        .strip_prefix(sysroot)
        .ok()
        .and_then(|p| p.parent())
        .map(|p| format!("/{}", p.display()))
        .unwrap_or_else(|| "/etc".into());
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("include") {
            if rest.starts_with(char::is_whitespace) {
                for pat in rest.split_whitespace() {
                    let pat = if pat.starts_with('/') {
                        pat.to_string()
                    } else {
                        format!("{}/{pat}", conf_dir.trim_end_matches('/'))
                    };
                    for f in glob(sysroot, &pat) {
                        parse_conf(sysroot, &f, dirs, seen, depth + 1);
                    }
                }
                continue;
            }
        }
        if line.starts_with("hwcap") && line[5..].starts_with(char::is_whitespace) {
            continue;
        }
        // Old syntax "DIR=TYPE"; several directories may share a line.
        for d in line.split(|c: char| c.is_whitespace() || c == ',' || c == ':') {
            let d = d.split('=').next().unwrap_or("").trim_end_matches('/');
            if d.starts_with('/') && !dirs.iter().any(|x| x == d) {
                dirs.push(d.to_string());
            }
        }
    }
}

/// Files matching a target-terms pattern whose last component may hold `*` and `?`,
/// sorted as glob(3) sorts them.
fn glob(sysroot: &Path, pattern: &str) -> Vec<PathBuf> {
    let (dir, name) = pattern.rsplit_once('/').unwrap_or(("", pattern));
    let host_dir = host_path(sysroot, if dir.is_empty() { "/" } else { dir });
    let Ok(rd) = std::fs::read_dir(&host_dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| wildcard(name.as_bytes(), n.as_bytes()))
        })
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

fn wildcard(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => wildcard(&p[1..], s) || (!s.is_empty() && wildcard(p, &s[1..])),
        (Some(b'?'), Some(_)) => wildcard(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => wildcard(&p[1..], &s[1..]),
        _ => false,
    }
}

fn read_hwcaps_extension(d: &[u8], off: usize, big: bool) -> Vec<String> {
    if off == 0 || rd32(d, off, big) != Some(EXTENSION_MAGIC) {
        return Vec::new();
    }
    let count = rd32(d, off + 4, big).unwrap_or(0) as usize;
    for i in 0..count.min(64) {
        let s = off + 8 + i * 16;
        let (Some(tag), Some(start), Some(size)) =
            (rd32(d, s, big), rd32(d, s + 8, big), rd32(d, s + 12, big))
        else {
            break;
        };
        if tag == TAG_GLIBC_HWCAPS {
            return (0..size as usize / 4)
                .filter_map(|k| rd32(d, start as usize + k * 4, big))
                .map(|o| cstr(d, o as usize).unwrap_or("").to_string())
                .collect();
        }
    }
    Vec::new()
}

fn rd32(d: &[u8], o: usize, big: bool) -> Option<u32> {
    let b: [u8; 4] = d.get(o..o.checked_add(4)?)?.try_into().ok()?;
    Some(if big {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    })
}

fn rd64(d: &[u8], o: usize, big: bool) -> Option<u64> {
    let b: [u8; 8] = d.get(o..o.checked_add(8)?)?.try_into().ok()?;
    Some(if big {
        u64::from_be_bytes(b)
    } else {
        u64::from_le_bytes(b)
    })
}

fn cstr(d: &[u8], o: usize) -> Option<&str> {
    let rest = d.get(o..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    std::str::from_utf8(&rest[..end]).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard(b"*.conf", b"libc.conf"));
        assert!(!wildcard(b"*.conf", b"libc.confx"));
        assert!(wildcard(b"a?c", b"abc"));
    }

    #[test]
    fn truncated_cache_is_an_error() {
        let p = Path::new("/x");
        assert!(LdCache::parse(p, b"glibc-ld.so.cache1.1").is_err());
        assert!(LdCache::parse(p, b"nonsense").is_err());
    }

    /// A cache written by hand: one ordinary entry, one for a glibc-hwcaps subdirectory,
    /// one of another class.
    #[test]
    fn hwcaps_entry_preferred_when_supported() {
        let mut d = vec![0u8; HEADER_NEW];
        d[..20].copy_from_slice(MAGIC_NEW);
        d[20..24].copy_from_slice(&3u32.to_le_bytes());
        d[28] = 2;
        let strings_at = HEADER_NEW + 3 * ENTRY_NEW;
        let mut strings = Vec::new();
        let mut add = |s: &str| {
            let o = strings_at + strings.len();
            strings.extend_from_slice(s.as_bytes());
            strings.push(0);
            o as u32
        };
        let key = add("libz.so.1");
        let plain = add("/lib/libz.so.1");
        let v3 = add("/lib/glibc-hwcaps/x86-64-v3/libz.so.1");
        let i386 = add("/lib32/libz.so.1");
        let hw_name = add("x86-64-v3");
        let entry = |flags: i32, value: u32, hwcap: u64| {
            let mut e = Vec::new();
            e.extend_from_slice(&flags.to_le_bytes());
            e.extend_from_slice(&key.to_le_bytes());
            e.extend_from_slice(&value.to_le_bytes());
            e.extend_from_slice(&0u32.to_le_bytes());
            e.extend_from_slice(&hwcap.to_le_bytes());
            e
        };
        d.extend(entry(3, i386, 0));
        d.extend(entry(0x303, v3, HWCAP_EXTENSION));
        d.extend(entry(0x303, plain, 0));
        d.extend(&strings);
        while d.len() % 4 != 0 {
            d.push(0);
        }
        let ext = d.len() as u32;
        d[32..36].copy_from_slice(&ext.to_le_bytes());
        let list_at = ext + 8 + 16;
        for w in [EXTENSION_MAGIC, 1, TAG_GLIBC_HWCAPS, 0, list_at, 4, hw_name] {
            d.extend_from_slice(&w.to_le_bytes());
        }
        let c = LdCache::parse(Path::new("/c"), &d).unwrap();
        let x86 = object::elf::EM_X86_64.0;
        let v3s = vec!["x86-64-v3".to_string()];
        assert_eq!(
            c.lookup("libz.so.1", x86, true, 0, &v3s),
            Some("/lib/glibc-hwcaps/x86-64-v3/libz.so.1")
        );
        assert_eq!(
            c.lookup("libz.so.1", x86, true, 0, &[]),
            Some("/lib/libz.so.1")
        );
        assert_eq!(
            c.lookup("libz.so.1", object::elf::EM_386.0, false, 0, &v3s),
            Some("/lib32/libz.so.1")
        );
        assert_eq!(c.lookup("libq.so", x86, true, 0, &v3s), None);
    }
}
