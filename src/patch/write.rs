//! Atomic output: a temp file in the target's directory, fsync, the original mode, rename.
//! A crash at any moment leaves the old file or the complete new one, never a mix.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Temp files are named with this prefix, so a leftover from a killed run is recognisable.
pub const TEMP_PREFIX: &str = ".elfcompat-tmp-";

/// Write `bytes` to `target` atomically, with `mode` (or the target's current mode).
/// `check` is given the bytes read back from the synced temp file; the rename happens only
/// if it returns Ok, so what lands at `target` is exactly what was checked.
pub fn write_atomic<E: From<std::io::Error>>(
    target: &Path,
    bytes: &[u8],
    mode: Option<u32>,
    check: impl FnOnce(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mode = match mode {
        Some(m) => m,
        None => std::fs::metadata(target)
            .map(|m| m.permissions().mode())
            .unwrap_or(0o755),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode & 0o7777))?;
    tmp.as_file().sync_all()?;
    let back = std::fs::read(tmp.path())?;
    check(&back)?;
    tmp.persist(target).map_err(|e| e.error)?;
    // The rename is durable once the directory is synced.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
