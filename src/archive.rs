//! Reading the members of wheels and release archives (`.whl`, `.zip`, `.tar.gz`,
//! `.tgz`, `.tar.xz`, `.txz`, `.tar.zst`, `.tzst`) without unpacking them: members are
//! streamed one at a time, and only an ELF member is read whole into memory, so a run
//! holds at most the largest ELF member. Which file is an archive is decided by its name,
//! the way a user names their release artefacts.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// The container formats read.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// A zip archive (a wheel is one).
    Zip,
    /// tar, gzip-compressed.
    TarGz,
    /// tar, xz-compressed.
    TarXz,
    /// tar, zstd-compressed.
    TarZst,
}

/// The archive format a file name says, if any.
pub fn format_of(path: &Path) -> Option<Format> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let ends = |s: &[&str]| s.iter().any(|e| name.ends_with(e));
    if ends(&[".whl", ".zip"]) {
        Some(Format::Zip)
    } else if ends(&[".tar.gz", ".tgz"]) {
        Some(Format::TarGz)
    } else if ends(&[".tar.xz", ".txz"]) {
        Some(Format::TarXz)
    } else if ends(&[".tar.zst", ".tzst"]) {
        Some(Format::TarZst)
    } else {
        None
    }
}

/// Whether a file name is a wheel's (`.whl`).
pub fn is_wheel(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("whl"))
}

/// One member, as the visitor sees it.
#[derive(Debug)]
pub enum Member<'a> {
    /// A regular file. `elf` holds its whole content when it starts with the ELF magic;
    /// None for any other file (only its first bytes were read).
    File {
        /// The member's name inside the archive (no leading `./`).
        name: &'a str,
        /// The bytes of an ELF member.
        elf: Option<&'a [u8]>,
    },
    /// A symbolic or hard link: its target is a member in its own right.
    Link,
    /// A device, FIFO or other special member.
    Special,
}

/// Why an archive could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct ArchiveError {
    /// The archive.
    pub path: PathBuf,
    /// What went wrong, where.
    pub message: String,
}

/// Visit every member of an archive in its stored order. Directories are not visited.
/// An error stops the walk: members visited before it stay visited.
pub fn for_each_member(
    path: &Path,
    format: Format,
    mut visit: impl FnMut(Member<'_>),
) -> Result<(), ArchiveError> {
    let fail = |message: String| ArchiveError {
        path: path.to_path_buf(),
        message,
    };
    let file = File::open(path).map_err(|e| fail(e.to_string()))?;
    match format {
        Format::Zip => zip_members(BufReader::new(file), &mut visit).map_err(fail),
        Format::TarGz => tar_members(
            flate2::read::MultiGzDecoder::new(BufReader::new(file)),
            &mut visit,
        )
        .map_err(fail),
        Format::TarXz => tar_members(
            xz2::read::XzDecoder::new_multi_decoder(BufReader::new(file)),
            &mut visit,
        )
        .map_err(fail),
        Format::TarZst => {
            let decoder =
                zstd::stream::read::Decoder::new(file).map_err(|e| fail(format!("zstd: {e}")))?;
            tar_members(decoder, &mut visit).map_err(fail)
        }
    }
}

/// A member's name without the `./` tar tools put in front.
fn clean(name: &str) -> &str {
    let mut n = name;
    while let Some(rest) = n.strip_prefix("./") {
        n = rest;
    }
    n
}

/// Read a member: its first four bytes, and the rest only when they are the ELF magic.
/// `size` (the header's claim) only sizes the first allocation, and never beyond 64 MiB,
/// so a corrupt header cannot make the reader reserve more than the member really has.
fn read_member(r: &mut impl Read, size: u64, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    buf.clear();
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < magic.len() {
        match r.read(&mut magic[got..])? {
            0 => return Ok(false),
            n => got += n,
        }
    }
    if magic != *b"\x7fELF" {
        return Ok(false);
    }
    let reserve = usize::try_from(size.min(64 << 20)).unwrap_or(0);
    buf.reserve(reserve);
    buf.extend_from_slice(&magic);
    r.read_to_end(buf)?;
    Ok(true)
}

fn zip_members<R: Read + std::io::Seek>(
    reader: R,
    visit: &mut impl FnMut(Member<'_>),
) -> Result<(), String> {
    let mut zip =
        zip::ZipArchive::new(reader).map_err(|e| format!("not a readable zip archive: {e}"))?;
    let mut buf = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| format!("zip member #{i}: {e}"))?;
        if entry.is_dir() {
            continue;
        }
        if entry.is_symlink() {
            visit(Member::Link);
            continue;
        }
        let name = entry.name().to_string();
        let size = entry.size();
        let elf = read_member(&mut entry, size, &mut buf)
            .map_err(|e| format!("{}: {e}", clean(&name)))?;
        visit(Member::File {
            name: clean(&name),
            elf: elf.then_some(buf.as_slice()),
        });
    }
    Ok(())
}

fn tar_members(reader: impl Read, visit: &mut impl FnMut(Member<'_>)) -> Result<(), String> {
    use tar::EntryType;
    let mut archive = tar::Archive::new(reader);
    let entries = archive
        .entries()
        .map_err(|e| format!("not a readable tar archive: {e}"))?;
    let mut buf = Vec::new();
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("tar: {e}"))?;
        let kind = entry.header().entry_type();
        match kind {
            EntryType::Directory | EntryType::XGlobalHeader | EntryType::XHeader => continue,
            EntryType::Symlink | EntryType::Link => {
                visit(Member::Link);
                continue;
            }
            EntryType::Regular | EntryType::Continuous => {}
            _ => {
                visit(Member::Special);
                continue;
            }
        }
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let size = entry.size();
        let elf = read_member(&mut entry, size, &mut buf)
            .map_err(|e| format!("{}: {e}", clean(&name)))?;
        visit(Member::File {
            name: clean(&name),
            elf: elf.then_some(buf.as_slice()),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_name() {
        let f = |n: &str| format_of(Path::new(n));
        assert_eq!(f("pkg-1.0-cp39-abi3-linux_x86_64.whl"), Some(Format::Zip));
        assert_eq!(f("a/b/REL.ZIP"), Some(Format::Zip));
        assert_eq!(f("tool-1.0.tar.gz"), Some(Format::TarGz));
        assert_eq!(f("tool.tgz"), Some(Format::TarGz));
        assert_eq!(f("tool.tar.xz"), Some(Format::TarXz));
        assert_eq!(f("tool.tar.zst"), Some(Format::TarZst));
        assert_eq!(f("tool.tar"), None);
        assert_eq!(f("libz.so.1"), None);
        assert!(is_wheel(Path::new("x-1-py3-none-any.whl")));
        assert!(!is_wheel(Path::new("x.zip")));
    }
}
