//! What the user gave `bundle`: files and directories, and where each lands in the bundle.
//! A file input goes to `bin/` (an executable, or anything that is not a shared library)
//! or `lib/` (a shared library); a directory input is a release tree whose contents are
//! copied into the bundle with their layout.

use std::path::{Path, PathBuf};

use crate::elf::{ElfFile, Linkage};

use super::BundleError;

/// One file of the inputs.
#[derive(Clone, Debug)]
pub struct InputFile {
    /// Where it is read from (a symlink input is followed).
    pub source: PathBuf,
    /// Its canonical path (symlinks resolved), to recognise it in a closure.
    pub canonical: PathBuf,
    /// Its path in the bundle, relative, with `/`.
    pub dest: String,
    /// A symbolic link kept as one: its target, as written.
    pub symlink: Option<PathBuf>,
    /// Its permission bits (without setuid/setgid).
    pub mode: u32,
    /// An ELF file the loader maps (executable or shared library), not a static one or
    /// an object file.
    pub dynamic_elf: bool,
    /// An executable (a root resolved as its own process).
    pub executable: bool,
}

/// Every file of the inputs, sorted by destination.
pub fn collect(inputs: &[PathBuf]) -> Result<Vec<InputFile>, BundleError> {
    let mut out = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| BundleError::io(input, e))?;
        if meta.is_dir() {
            walk(input, input, &mut out)?;
        } else if meta.is_file() {
            let kind = classify(input)?;
            let name = input
                .file_name()
                .ok_or_else(|| BundleError::Usage(format!("{}: no file name", input.display())))?
                .to_string_lossy()
                .into_owned();
            let dir = if kind.library { "lib" } else { "bin" };
            out.push(file_entry(input, format!("{dir}/{name}"), kind, &meta)?);
        } else {
            return Err(BundleError::Usage(format!(
                "{}: not a file or directory",
                input.display()
            )));
        }
    }
    out.sort_by(|a, b| a.dest.cmp(&b.dest));
    for w in out.windows(2) {
        if w[0].dest == w[1].dest {
            return Err(BundleError::Usage(format!(
                "{} and {} would both be {} in the bundle",
                w[0].source.display(),
                w[1].source.display(),
                w[0].dest
            )));
        }
    }
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<InputFile>) -> Result<(), BundleError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| BundleError::io(dir, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| BundleError::io(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let rel = path
            .strip_prefix(root)
            .map_err(|_| {
                BundleError::Usage(format!("{}: outside {}", path.display(), root.display()))
            })?
            .to_string_lossy()
            .into_owned();
        let lmeta = std::fs::symlink_metadata(&path).map_err(|err| BundleError::io(&path, err))?;
        if lmeta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).map_err(|err| BundleError::io(&path, err))?;
            // A relative link that stays inside the tree is kept as a link; one that leaves
            // it (or an absolute one) is replaced by what it points at.
            if target.is_relative() && stays_inside(Path::new(&rel), &target) {
                out.push(link_entry(&path, rel, target));
                continue;
            }
        }
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            // A dangling link: kept as written (it may name something on the target).
            Err(err)
                if lmeta.file_type().is_symlink() && err.kind() == std::io::ErrorKind::NotFound =>
            {
                let target =
                    std::fs::read_link(&path).map_err(|err| BundleError::io(&path, err))?;
                out.push(link_entry(&path, rel, target));
                continue;
            }
            Err(err) => return Err(BundleError::io(&path, err)),
        };
        if meta.is_dir() {
            if lmeta.file_type().is_symlink() {
                // A link to a directory outside the tree (Debian's JDK links `docs` to
                // /usr/share/doc/...): kept as written; what it names is the target's.
                let target =
                    std::fs::read_link(&path).map_err(|err| BundleError::io(&path, err))?;
                out.push(link_entry(&path, rel, target));
                continue;
            }
            walk(root, &path, out)?;
        } else if meta.is_file() {
            let kind = classify(&path)?;
            out.push(file_entry(&path, rel, kind, &meta)?);
        }
        // Sockets, FIFOs and devices have no place in a release tree: skipped.
    }
    Ok(())
}

/// Whether a relative link at `rel` (a path inside the tree) to `target` stays inside.
fn stays_inside(rel: &Path, target: &Path) -> bool {
    let mut depth: i64 = rel.components().count() as i64 - 1;
    for c in target.components() {
        match c {
            std::path::Component::ParentDir => depth -= 1,
            std::path::Component::Normal(_) => depth += 1,
            std::path::Component::CurDir => {}
            _ => return false,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

/// A symbolic link copied as a link.
fn link_entry(path: &Path, dest: String, target: PathBuf) -> InputFile {
    InputFile {
        source: path.to_path_buf(),
        canonical: path.to_path_buf(),
        dest,
        symlink: Some(target),
        mode: 0o777,
        dynamic_elf: false,
        executable: false,
    }
}

#[derive(Copy, Clone)]
struct Kind {
    dynamic_elf: bool,
    executable: bool,
    library: bool,
}

fn classify(path: &Path) -> Result<Kind, BundleError> {
    let map = crate::elf::open_if_elf(path).map_err(BundleError::File)?;
    let Some(map) = map else {
        return Ok(Kind {
            dynamic_elf: false,
            executable: false,
            library: false,
        });
    };
    let file = ElfFile::parse(map.bytes()).map_err(|source| {
        BundleError::File(crate::elf::FileError::Elf {
            path: path.to_path_buf(),
            source,
        })
    })?;
    let kind = match file.linkage() {
        Linkage::Executable | Linkage::Pie => Kind {
            dynamic_elf: true,
            executable: true,
            library: false,
        },
        Linkage::SharedLibrary => Kind {
            dynamic_elf: true,
            executable: false,
            library: true,
        },
        _ => Kind {
            dynamic_elf: false,
            executable: false,
            library: false,
        },
    };
    Ok(kind)
}

fn file_entry(
    path: &Path,
    dest: String,
    kind: Kind,
    meta: &std::fs::Metadata,
) -> Result<InputFile, BundleError> {
    use std::os::unix::fs::PermissionsExt;
    Ok(InputFile {
        source: path.to_path_buf(),
        canonical: std::fs::canonicalize(path).map_err(|e| BundleError::io(path, e))?,
        dest,
        symlink: None,
        mode: meta.permissions().mode() & 0o777,
        dynamic_elf: kind.dynamic_elf,
        executable: kind.executable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_that_stay_inside() {
        assert!(stays_inside(Path::new("bin/a"), Path::new("b")));
        assert!(stays_inside(Path::new("bin/a"), Path::new("../lib/x")));
        assert!(!stays_inside(Path::new("bin/a"), Path::new("../../x")));
        assert!(!stays_inside(Path::new("a"), Path::new("../x")));
    }
}
