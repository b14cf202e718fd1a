//! Opening files: memory-mapped, read-only, never blocking on FIFOs or devices.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::FileError;

/// A file mapped into memory for reading. Empty files are held as an empty slice (a zero
/// length mapping is not allowed).
pub struct MappedFile {
    path: PathBuf,
    map: Option<memmap2::Mmap>,
    file: Option<File>,
}

impl MappedFile {
    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }
    /// The open file the bytes map (None for an empty file).
    pub fn file(&self) -> Option<&File> {
        self.file.as_ref()
    }
    /// The path it was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Open and map a regular file. Anything else (directory, FIFO, device, socket) is refused
/// before it is opened for reading, so a FIFO can never block us.
pub fn open(path: &Path) -> Result<MappedFile, FileError> {
    open_impl(path, false).map(|m| {
        m.unwrap_or_else(|| MappedFile {
            path: path.to_path_buf(),
            map: None,
            file: None,
        })
    })
}

/// Like [`open`], but a file that does not start with the ELF magic is checked with one
/// small read and never mapped (`None`): most files of a tree are not ELF, and mapping
/// each costs more than reading four bytes.
pub fn open_if_elf(path: &Path) -> Result<Option<MappedFile>, FileError> {
    open_impl(path, true)
}

/// [`open_if_elf`] for a path a walk has just found to be a regular file: its metadata is
/// not asked for again before it is opened (the open file's is checked once it is known
/// to be ELF). A path swapped for a FIFO since cannot block (O_NONBLOCK).
pub fn open_walked_if_elf(path: &Path) -> Result<Option<MappedFile>, FileError> {
    open_checked(path, true)
}

fn open_impl(path: &Path, only_elf: bool) -> Result<Option<MappedFile>, FileError> {
    let io = |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    };
    not_regular(path, std::fs::metadata(path).map_err(io)?.file_type())?;
    open_checked(path, only_elf)
}

/// The error for a path that is not a regular file.
fn not_regular(path: &Path, ft: std::fs::FileType) -> Result<(), FileError> {
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
    Ok(())
}

/// Open and map a path known to be a regular file.
fn open_checked(path: &Path, only_elf: bool) -> Result<Option<MappedFile>, FileError> {
    let io = |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    };
    // O_NONBLOCK guards against a race where the path is swapped for a FIFO after the check.
    use std::os::unix::fs::OpenOptionsExt;
    let file: File = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc_o_nonblock())
        .open(path)
        .map_err(io)?;
    // The magic first: most files of a tree are not ELF, and need nothing more.
    if only_elf {
        use std::os::unix::fs::FileExt;
        let mut magic = [0u8; 4];
        let n = file.read_at(&mut magic, 0).map_err(io)?;
        if n < 4 || magic != *b"\x7fELF" {
            return Ok(None);
        }
    }
    // The open file's length, not the path's (it may have been replaced since).
    let meta = file.metadata().map_err(io)?;
    not_regular(path, meta.file_type())?;
    let len = meta.len();
    let map = match usize::try_from(len) {
        Ok(0) => None,
        // SAFETY: the mapping is read-only and private to this process; a concurrent
        // writer truncating the file could fault us, the accepted risk of every mmap reader.
        // The length is given, so the mapping asks the kernel for it no second time.
        Ok(len) => Some(unsafe { memmap2::MmapOptions::new().len(len).map(&file) }.map_err(io)?),
        Err(_) => Some(unsafe { memmap2::Mmap::map(&file) }.map_err(io)?),
    };
    Ok(Some(MappedFile {
        path: path.to_path_buf(),
        file: map.as_ref().map(|_| file),
        map,
    }))
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
