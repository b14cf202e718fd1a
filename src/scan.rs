//! Walking the paths a user names: files and whole trees, each file once.
//!
//! Symlinks are followed, but every file and directory is visited once, keyed by its
//! (device, inode): the `libfoo.so -> libfoo.so.1.2` links of a library tree and symlink
//! loops cost nothing. Anything that is not a regular file is counted and skipped without
//! being opened, so FIFOs and devices can never block a run.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What the walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// Regular files to analyse, in a stable order (depth-first, names sorted).
    pub files: Vec<PathBuf>,
    /// Paths skipped because they are not regular files (sockets, FIFOs, devices).
    pub special: usize,
    /// Files reached a second time (hard links, symlinks to files already listed).
    pub duplicates: usize,
    /// Paths that could not be read (with the error).
    pub errors: Vec<(PathBuf, std::io::Error)>,
}

/// Walk the given paths. A path named explicitly is always listed (even a FIFO, so the
/// analysis can report it as not a regular file).
pub fn walk(paths: &[PathBuf]) -> Walk {
    let mut walk = Walk::default();
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                if seen.insert((meta.dev(), meta.ino())) {
                    visit_dir(path, &mut walk, &mut seen);
                }
            }
            Ok(meta) => {
                if !meta.is_file() || seen.insert((meta.dev(), meta.ino())) {
                    walk.files.push(path.clone());
                } else {
                    walk.duplicates += 1;
                }
            }
            Err(e) => walk.errors.push((path.clone(), e)),
        }
    }
    walk
}

fn visit_dir(dir: &Path, walk: &mut Walk, seen: &mut HashSet<(u64, u64)>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            walk.errors.push((dir.to_path_buf(), e));
            return;
        }
    };
    let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    names.sort();
    for path in names {
        // metadata() follows symlinks; a dangling link is an error only for the walk's
        // count, not for the run.
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                    walk.special += 1;
                } else {
                    walk.errors.push((path, e));
                }
                continue;
            }
        };
        if meta.is_dir() {
            if seen.insert((meta.dev(), meta.ino())) {
                visit_dir(&path, walk, seen);
            }
        } else if meta.is_file() {
            if seen.insert((meta.dev(), meta.ino())) {
                walk.files.push(path);
            } else {
                walk.duplicates += 1;
            }
        } else {
            walk.special += 1;
        }
    }
}

/// Whether a file starts with the ELF magic, read with one small read (no mapping).
pub fn looks_like_elf(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        let n = f.read(&mut magic[got..])?;
        if n == 0 {
            return Ok(false);
        }
        got += n;
    }
    Ok(magic == *b"\x7fELF")
}
