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

/// Write `image` to `target` atomically. The pages it shares with its input are copied
/// from `input` (the file the image's base maps, if the caller has it) inside the kernel.
/// `check` is given the bytes read back from the synced temp file; the rename happens only
/// if it returns Ok and the changed pages read back as written, so what lands at `target`
/// is exactly what was checked. On any error the temp file is removed and `target` is
/// untouched.
pub fn write_atomic<E: From<std::io::Error>>(
    target: &Path,
    image: &Image<'_>,
    input: Option<&std::fs::File>,
    keep: Keep,
    check: impl FnOnce(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    remove_stale_temps(dir);
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
    let prefix = format!("{TEMP_PREFIX}{}-", std::process::id());
    let tmp = tempfile::Builder::new().prefix(&prefix).tempfile_in(dir)?;
    image.write_to(tmp.as_file(), input)?;
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
    tmp.as_file().sync_all()?;
    // Read back through a mapping: the pages are in the page cache already.
    let back = crate::elf::open(tmp.path()).map_err(|e| std::io::Error::other(e.to_string()))?;
    if !image.written_as(back.bytes()) {
        return Err(std::io::Error::other("the temp file does not read back as written").into());
    }
    check(back.bytes())?;
    drop(back);
    tmp.persist(target).map_err(|e| e.error)?;
    // The rename is durable once the directory is synced.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
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
