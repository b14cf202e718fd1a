//! Opening files: memory-mapped, read-only, never blocking on FIFOs or devices.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::FileError;

/// A file's bytes in memory for reading: a small file read whole, a larger one mapped.
/// Empty files are held as an empty slice (a zero length mapping is not allowed).
pub struct MappedFile {
    path: PathBuf,
    bytes: Bytes,
    file: Option<File>,
}

/// Where a file's bytes are held.
enum Bytes {
    Empty,
    /// A file smaller than [`READ_WHOLE_BELOW`], copied out of the page cache.
    Read(Vec<u8>),
    Mapped(memmap2::Mmap),
}

/// Files smaller than this are read whole rather than mapped. A mapping costs a fault per
/// page touched and, when dropped, a TLB flush on every core the process runs on; for the
/// small files that make most of a tree this costs more than copying them. Measured over
/// /usr/lib/x86_64-linux-gnu (912 ELF files, 2 cores): `report --json` 71.5 -> 51.5 ms,
/// system time 65 -> 43 ms, at 1 MiB; at 4 MiB the copies of larger files, of which a
/// report reads only the tables, cost the gain back.
pub const READ_WHOLE_BELOW: u64 = 1 << 20;

impl MappedFile {
    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Empty => &[],
            Bytes::Read(v) => v,
            Bytes::Mapped(m) => m,
        }
    }
    /// Whether the bytes are a mapping of the file (false for a small file read whole and
    /// for an empty one).
    pub fn is_mapped(&self) -> bool {
        matches!(self.bytes, Bytes::Mapped(_))
    }
    /// The open file the bytes were read from (None for an empty file).
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
            bytes: Bytes::Empty,
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
    let bytes = match usize::try_from(len) {
        Ok(0) => Bytes::Empty,
        Ok(len) if (len as u64) < READ_WHOLE_BELOW => {
            use std::io::Read;
            // Read into the vector's spare capacity, not zeroed first (a `vec![0; len]`
            // is a memset of every byte: 13% of a check's instructions). The file's
            // position is still 0: the magic was read with a positioned read.
            let mut v = Vec::with_capacity(len);
            (&file).take(len as u64).read_to_end(&mut v).map_err(io)?;
            // A file truncated since its length was asked is refused, where a mapping
            // would fault on the missing pages.
            if v.len() != len {
                return Err(io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            Bytes::Read(v)
        }
        // SAFETY: the mapping is read-only and private to this process; a concurrent
        // writer truncating the file could fault us, the accepted risk of every mmap reader.
        // The length is given, so the mapping asks the kernel for it no second time.
        Ok(len) => {
            Bytes::Mapped(unsafe { memmap2::MmapOptions::new().len(len).map(&file) }.map_err(io)?)
        }
        Err(_) => Bytes::Mapped(unsafe { memmap2::Mmap::map(&file) }.map_err(io)?),
    };
    Ok(Some(MappedFile {
        path: path.to_path_buf(),
        file: (!matches!(bytes, Bytes::Empty)).then_some(file),
        bytes,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn written(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// Either way of holding a file gives its bytes and keeps the open file; the threshold
    /// decides which.
    #[test]
    fn small_files_read_whole_larger_mapped_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let pattern = |n: usize| -> Vec<u8> {
            let mut v: Vec<u8> = (0..n).map(|i| (i * 31 % 251) as u8).collect();
            v[..4].copy_from_slice(b"\x7fELF");
            v
        };
        let at = READ_WHOLE_BELOW as usize;
        for (n, mapped) in [
            (4, false),
            (4096, false),
            (at - 1, false),
            (at, true),
            (at + 4097, true),
        ] {
            let want = pattern(n);
            let p = written(dir.path(), &format!("f{n}"), &want);
            for m in [open(&p).unwrap(), open_if_elf(&p).unwrap().unwrap()] {
                assert_eq!(m.bytes(), &want[..], "{n} bytes");
                assert_eq!(m.is_mapped(), mapped, "{n} bytes");
                assert!(m.file().is_some());
                assert_eq!(m.path(), p);
            }
        }
        let empty = written(dir.path(), "empty", b"");
        let m = open(&empty).unwrap();
        assert!(m.bytes().is_empty() && !m.is_mapped() && m.file().is_none());
        let not_elf = written(dir.path(), "text", b"#!/bin/sh\n");
        assert!(open_if_elf(&not_elf).unwrap().is_none());
        assert_eq!(open(&not_elf).unwrap().bytes(), b"#!/bin/sh\n");
    }
}
