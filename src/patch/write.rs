//! Atomic output: a temp file in the target's directory, fsync, the original mode, rename.
//! A crash at any moment leaves the old file or the complete new one, never a mix. Temp
//! files carry the writer's pid in their name, so a later run can tell the leftovers of a
//! killed run (pid gone) from the work of one still running, and remove them.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::Image;

/// Temp files are named `.elfcompat-tmp-<pid>-<random>`.
pub const TEMP_PREFIX: &str = ".elfcompat-tmp-";

/// Remove temp files left in `dir` by elfcompat processes that no longer exist.
/// Returns how many were removed.
pub fn remove_stale_temps(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(TEMP_PREFIX)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let alive = pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists();
        if !alive
            && e.file_type().is_ok_and(|t| t.is_file())
            && std::fs::remove_file(e.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// What the written file keeps of the one it replaces.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Keep {
    /// `--in-place`: the same file, patched. Owner, group, mode (setuid bits included) and
    /// extended attributes (file capabilities, ACLs, SELinux labels) stay as they were.
    Everything,
    /// `-o OUT`: a new file. The writer owns it; the mode is the input's, without
    /// setuid/setgid unless the writer owns the input too.
    Nothing {
        /// The input's mode.
        mode: u32,
        /// Whether the input belongs to the writer.
        own_input: bool,
    },
}

/// The directory a temp file for `target` goes in: the target's own, so the rename is
/// atomic; the temp directory when the target is a special file, which is written into,
/// never renamed over.
pub(crate) fn dir_of(target: &Path) -> std::borrow::Cow<'_, Path> {
    if is_special(target) {
        return std::env::temp_dir().into();
    }
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.into(),
        _ => Path::new(".").into(),
    }
}

/// Whether `target` exists and is neither a regular file nor a directory (`/dev/null`, a
/// FIFO, a terminal). Renaming a finished file over it would replace the device node
/// itself — as root, `-o /dev/null` would leave a regular file where every program's
/// `/dev/null` was — so such a target gets the bytes written into it, as `cp` does.
pub fn is_special(target: &Path) -> bool {
    std::fs::metadata(target).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Put the finished `tmp` in place at `target`: renamed over it (atomic), or, for a
/// special file ([`is_special`]), copied into it and removed.
pub fn persist(tmp: tempfile::NamedTempFile, target: &Path) -> std::io::Result<()> {
    if is_special(target) {
        let mut from = std::fs::File::open(tmp.path())?;
        let mut to = std::fs::OpenOptions::new().write(true).open(target)?;
        std::io::copy(&mut from, &mut to)?;
        return Ok(());
    }
    tmp.persist(target).map_err(|e| e.error)?;
    Ok(())
}

/// A temp file in the target's directory, possibly being filled with a copy of the input
/// in the background while the patch is computed (the copy is what `cp` costs; on two
/// cores it need not wait for the rewrite). Dropping it removes the file.
pub struct Staging {
    /// Always Some until `commit` persists it.
    tmp: Option<tempfile::NamedTempFile>,
    /// The background copy of the input: how many bytes it copied, sent as soon as the
    /// copy is done (the thread goes on to start writeback).
    copied: Option<std::sync::mpsc::Receiver<std::io::Result<u64>>>,
    /// The background thread, joined before the file is renamed or removed.
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Staging {
    /// An empty temp file for `target`. Leftovers of killed runs go first.
    pub fn new(target: &Path) -> std::io::Result<Staging> {
        let dir = dir_of(target);
        remove_stale_temps(&dir);
        let prefix = format!("{TEMP_PREFIX}{}-", std::process::id());
        let tmp = tempfile::Builder::new()
            .prefix(&prefix)
            .tempfile_in(&*dir)?;
        Ok(Staging {
            tmp: Some(tmp),
            copied: None,
            thread: None,
        })
    }

    /// A temp file for `target` into which the first `len` bytes of `input` are being
    /// copied (inside the kernel) by a background thread, which starts writing each part
    /// to disk as soon as it is copied, except the first `hold_back` bytes: those are the
    /// ones a rewrite is likely to change (see `front_tables_end`), and a page the disk is
    /// being written from cannot be written to until that write ends.
    pub fn start(
        target: &Path,
        input: &std::fs::File,
        len: u64,
        hold_back: u64,
    ) -> std::io::Result<Staging> {
        let mut s = Staging::new(target)?;
        let from = input.try_clone()?;
        let to = s.temp()?.as_file().try_clone()?;
        let (tx, rx) = std::sync::mpsc::channel();
        s.copied = Some(rx);
        s.thread = Some(std::thread::spawn(move || {
            let copied = copy_and_write_back(&from, &to, len, hold_back);
            crate::timing::mark("copy");
            let _ = tx.send(copied);
        }));
        Ok(s)
    }

    fn temp(&self) -> std::io::Result<&tempfile::NamedTempFile> {
        self.tmp
            .as_ref()
            .ok_or_else(|| std::io::Error::other("the temp file is gone"))
    }

    /// How many bytes the background copy put in place (0 without one, or if it failed).
    fn copied(&mut self) -> u64 {
        match self.copied.take().map(|rx| rx.recv()) {
            Some(Ok(Ok(n))) => n,
            _ => 0,
        }
    }

    /// Wait for the background thread (its writeback hint) to end.
    fn join(&mut self) {
        if let Some(h) = self.thread.take() {
            let _ = h.join();
        }
    }

    /// Fill the temp file with `image` (only its changed pages, when the background copy
    /// put the whole input there), give it the mode, owner and attributes `keep` says,
    /// fsync, read it back, and rename it over `target` if the changed pages read back as
    /// written and `check` accepts the bytes. On any error the temp file is removed and
    /// `target` is untouched.
    pub fn commit<E: From<std::io::Error>>(
        mut self,
        target: &Path,
        image: &Image<'_>,
        input: Option<&std::fs::File>,
        keep: Keep,
        check: impl FnOnce(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let existing = match keep {
            Keep::Everything => Some(std::fs::metadata(target)?),
            Keep::Nothing { .. } => None,
        };
        let mode = match (keep, &existing) {
            (Keep::Everything, Some(m)) => m.permissions().mode(),
            (Keep::Nothing { mode, own_input }, _) if !own_input => mode & 0o1777,
            (Keep::Nothing { mode, .. }, _) => mode,
            (Keep::Everything, None) => 0o755,
        };
        if self.copied.is_some() && self.copied() == image.base().len() as u64 {
            image.write_changes(self.temp()?.as_file())?;
        } else {
            image.write_to(self.temp()?.as_file(), input)?;
        }
        crate::timing::mark("changed pages written");
        let tmp = self.temp()?;
        // Replacing a file keeps its owner and group (and mode): a patch must not hand a
        // root-owned binary to whoever ran it, or the reverse.
        if let Some(m) = &existing {
            use std::os::unix::fs::MetadataExt;
            let here = tmp.as_file().metadata()?;
            if here.uid() != m.uid() || here.gid() != m.gid() {
                std::os::unix::fs::fchown(tmp.as_file(), Some(m.uid()), Some(m.gid()))?;
            }
        }
        // chown clears setuid bits and file capabilities: mode and attributes come after it.
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode & 0o7777))?;
        if existing.is_some() {
            copy_xattrs(target, tmp.path())?;
        }
        // The data reaches the disk (fsync, in a thread) while the same bytes are read back
        // from the page cache and checked; the rename waits for both.
        let syncing = {
            let f = tmp.as_file().try_clone()?;
            std::thread::spawn(move || f.sync_all())
        };
        let checked = (|| -> Result<(), E> {
            // Read back through a mapping: the pages are in the page cache already.
            let back =
                crate::elf::open(tmp.path()).map_err(|e| std::io::Error::other(e.to_string()))?;
            if !image.written_as(back.bytes()) {
                return Err(
                    std::io::Error::other("the temp file does not read back as written").into(),
                );
            }
            check(back.bytes())
        })();
        crate::timing::mark("read back");
        let synced = syncing
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("fsync panicked")));
        crate::timing::mark("fsync");
        checked?;
        synced?;
        self.join();
        if let Some(tmp) = self.tmp.take() {
            persist(tmp, target)?;
        }
        // The rename is durable once the directory is synced.
        if let Ok(d) = std::fs::File::open(&*dir_of(target)) {
            let _ = d.sync_all();
        }
        crate::timing::mark("renamed");
        Ok(())
    }
}

/// Copy `len` bytes of `from` to `to` in parts, scheduling each part's writeback as soon as
/// it is copied (past `hold_back`), so that the disk works while the rest is copied and
/// while the patch is computed: the fsync before the rename then waits only for what is
/// left. Returns how many bytes were copied (fewer when the kernel cannot copy between
/// these files: the caller writes the rest).
fn copy_and_write_back(
    from: &std::fs::File,
    to: &std::fs::File,
    len: u64,
    hold_back: u64,
) -> std::io::Result<u64> {
    use std::os::fd::AsRawFd;
    const PART: u64 = 8 << 20;
    let mut done = 0;
    while done < len {
        let want = PART.min(len - done);
        let n = super::image::copy_range(from, to, done, want)?;
        let start = done.max(hold_back);
        done += n;
        if done > start {
            // SAFETY: the descriptor is open; the call only schedules writeback (a hint:
            // the fsync is what makes the data durable).
            unsafe {
                libc::sync_file_range(
                    to.as_raw_fd(),
                    start as i64,
                    (done - start) as i64,
                    libc::SYNC_FILE_RANGE_WRITE,
                );
            }
        }
        if n < want {
            break;
        }
    }
    Ok(done)
}

impl Drop for Staging {
    fn drop(&mut self) {
        // The copy writes through its own descriptor: let it finish before the file goes.
        self.join();
    }
}

/// Copy every extended attribute (file capabilities, POSIX ACLs, SELinux labels, user
/// attributes) of `from` to `to`. A file system without xattrs has none to copy.
fn copy_xattrs(from: &Path, to: &Path) -> std::io::Result<()> {
    let names = match xattr::list(from) {
        Ok(n) => n,
        Err(e) if e.raw_os_error() == Some(95) => return Ok(()), // EOPNOTSUPP
        Err(e) => return Err(e),
    };
    for name in names {
        if let Some(value) = xattr::get(from, &name)? {
            xattr::set(to, &name, &value)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The copy is whole and exact past several parts, with writeback held back for a
    /// front that ends inside a part, and with none held back.
    #[test]
    fn copy_and_write_back_copies_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        let len = (2 * (8 << 20) + 12_345) as usize;
        let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        let src = dir.path().join("in");
        std::fs::write(&src, &data).unwrap();
        for hold_back in [0, 5 << 20, len as u64 + 1] {
            let dst = dir.path().join("out");
            let to = std::fs::File::create(&dst).unwrap();
            let from = std::fs::File::open(&src).unwrap();
            let n = copy_and_write_back(&from, &to, len as u64, hold_back).unwrap();
            drop(to);
            let back = std::fs::read(&dst).unwrap();
            // Within one file system Linux copies (since 5.3, by splice where the file
            // system has no copy of its own).
            assert_eq!(n, len as u64);
            assert!(back == data);
        }
    }
}
