//! Opening files: memory-mapped, read-only, never blocking on FIFOs or devices.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::FileError;

/// A file mapped into memory for reading. Empty files are held as an empty slice (a zero
/// length mapping is not allowed).
pub struct MappedFile {
    path: PathBuf,
    map: Option<memmap2::Mmap>,
}

impl MappedFile {
    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }
    /// The path it was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Open and map a regular file. Anything else (directory, FIFO, device, socket) is refused
/// before it is opened for reading, so a FIFO can never block us.
pub fn open(path: &Path) -> Result<MappedFile, FileError> {
    let io = |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    let ft = meta.file_type();
    if !ft.is_file() {
        use std::os::unix::fs::FileTypeExt;
        let kind = if ft.is_dir() {
            "directory"
        } else if ft.is_fifo() {
            "FIFO"
        } else if ft.is_block_device() || ft.is_char_device() {
            "device"
        } else if ft.is_socket() {
            "socket"
        } else {
            "special file"
        };
        return Err(FileError::NotRegular {
            path: path.to_path_buf(),
            kind,
        });
    }
    // O_NONBLOCK guards against a race where the path is swapped for a FIFO after the check.
    use std::os::unix::fs::OpenOptionsExt;
    let file: File = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc_o_nonblock())
        .open(path)
        .map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let map = if len == 0 {
        None
    } else {
        // SAFETY: the mapping is read-only and private to this process; a concurrent
        // writer truncating the file could fault us, the accepted risk of every mmap reader.
        Some(unsafe { memmap2::Mmap::map(&file) }.map_err(io)?)
    };
    Ok(MappedFile {
        path: path.to_path_buf(),
        map,
    })
}

const fn libc_o_nonblock() -> i32 {
    // O_NONBLOCK is 0o4000 on every Linux architecture except alpha, sparc, mips and parisc;
    // this tool runs on the build host, which is one of the former in practice.
    #[cfg(any(target_arch = "mips", target_arch = "mips64", target_arch = "sparc64"))]
    {
        0x80
    }
    #[cfg(not(any(target_arch = "mips", target_arch = "mips64", target_arch = "sparc64")))]
    {
        0o4000
    }
}
