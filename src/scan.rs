//! Walking the paths a user names: files and whole trees, each file once.
//!
//! Symlinks are followed, but every file and directory is visited once, keyed by its
//! (device, inode): the `libfoo.so -> libfoo.so.1.2` links of a library tree and symlink
//! loops cost nothing. Anything that is not a regular file is counted and skipped without
//! being opened, so FIFOs and devices can never block a run.
//!
//! [`walk_mirror`] walks for a copy of the tree (`patch -o DIR`): symlinks inside the
//! directories are listed as links, not followed, and a second name of a file already
//! listed is listed with the first, so the copy can have the same links.

use std::collections::HashMap;
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
    /// [`walk_mirror`] only: symlinks met inside walked directories, not followed.
    pub symlinks: Vec<PathBuf>,
    /// [`walk_mirror`] only: files reached a second time (hard links), each with the
    /// path it was first listed under (counted in `duplicates` too).
    pub hard_links: Vec<(PathBuf, PathBuf)>,
}

/// How a walk treats what it meets.
struct Walker<'f> {
    walk: Walk,
    /// Where each listed path goes as it is found, instead of `walk.files` (with whether
    /// the walk found it a regular file: false for a special file named explicitly).
    each: Option<&'f mut dyn FnMut(PathBuf, bool)>,
    /// (device, inode) of every file and directory listed so far, with the index of the
    /// file in `walk.files` (`usize::MAX` for a directory).
    seen: HashMap<(u64, u64), usize>,
    /// Whether symlinks inside directories are listed instead of followed.
    keep_links: bool,
}

impl Walker<'_> {
    /// List a path: a regular file, or (named explicitly) a special one.
    fn list(&mut self, path: PathBuf, regular: bool) {
        match self.each.as_mut() {
            Some(each) => each(path, regular),
            None => self.walk.files.push(path),
        }
    }

    /// Record a regular file, or the second name of one.
    fn file(&mut self, path: PathBuf, meta: &std::fs::Metadata) {
        let next = self.walk.files.len();
        match self.seen.entry((meta.dev(), meta.ino())) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(next);
                self.list(path, true);
            }
            std::collections::hash_map::Entry::Occupied(o) => {
                self.walk.duplicates += 1;
                if self.keep_links {
                    if let Some(first) = self.walk.files.get(*o.get()) {
                        self.walk.hard_links.push((path, first.clone()));
                    }
                }
            }
        }
    }

    /// Whether a directory is seen for the first time (and mark it seen).
    fn first_visit(&mut self, meta: &std::fs::Metadata) -> bool {
        self.seen
            .insert((meta.dev(), meta.ino()), usize::MAX)
            .is_none()
    }
}

/// Walk the given paths. A path named explicitly is always listed (even a FIFO, so the
/// analysis can report it as not a regular file).
pub fn walk(paths: &[PathBuf]) -> Walk {
    walk_with(paths, false)
}

/// Walk the given paths for a copy of the tree: like [`walk`], but symlinks inside the
/// directories go to `symlinks` unfollowed and second names of files to `hard_links`.
/// Paths named explicitly are followed, as by [`walk`].
pub fn walk_mirror(paths: &[PathBuf]) -> Walk {
    walk_with(paths, true)
}

/// Walk the given paths as [`walk`] does, handing each file to `each` as soon as it is
/// found (with whether the walk found it a regular file: false only for a special file
/// named explicitly), so that work on the first files can start while the walk goes on.
/// The returned walk's `files` is empty.
pub fn walk_each(paths: &[PathBuf], each: &mut dyn FnMut(PathBuf, bool)) -> Walk {
    walk_into(paths, false, Some(each))
}

fn walk_with(paths: &[PathBuf], keep_links: bool) -> Walk {
    walk_into(paths, keep_links, None)
}

fn walk_into(
    paths: &[PathBuf],
    keep_links: bool,
    each: Option<&mut dyn FnMut(PathBuf, bool)>,
) -> Walk {
    let mut w = Walker {
        walk: Walk::default(),
        each,
        seen: HashMap::new(),
        keep_links,
    };
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                if w.first_visit(&meta) {
                    visit_dir(path, &mut w);
                }
            }
            Ok(meta) if !meta.is_file() => w.list(path.clone(), false),
            Ok(meta) => w.file(path.clone(), &meta),
            Err(e) => w.walk.errors.push((path.clone(), e)),
        }
    }
    w.walk
}

fn visit_dir(dir: &Path, w: &mut Walker) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            w.walk.errors.push((dir.to_path_buf(), e));
            return;
        }
    };
    // Sorted by name: the order of the paths (siblings differ only in their last
    // component), without comparing the paths component by component.
    let mut names: Vec<(std::ffi::OsString, PathBuf)> = entries
        .filter_map(|e| e.ok().map(|e| (e.file_name(), e.path())))
        .collect();
    names.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (_, path) in names {
        if w.keep_links
            && std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink())
        {
            w.walk.symlinks.push(path);
            continue;
        }
        // metadata() follows symlinks; a dangling link is an error only for the walk's
        // count, not for the run.
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                    w.walk.special += 1;
                } else {
                    w.walk.errors.push((path, e));
                }
                continue;
            }
        };
        if meta.is_dir() {
            if w.first_visit(&meta) {
                visit_dir(&path, w);
            }
        } else if meta.is_file() {
            w.file(path, &meta);
        } else {
            w.walk.special += 1;
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
