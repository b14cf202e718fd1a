//! `bundle` of a release archive (`.tar.gz`, `.tar.xz`, `.tar.zst`, `.zip`): unpacked into
//! a temporary directory, its top-level directory bundled as a tree (a [`super::Request`]
//! of one directory input), and packed again as the same kind of archive — the original
//! members in their order with their modes, symbolic links and times, the rewritten files'
//! new contents, then the bundled libraries (and a directory entry for `lib/` when the
//! archive has directory entries). Written under a temporary name beside the output and
//! renamed into place; the input is only read.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::{BundleError, BundlePlan, Origin, Request};

/// The archive formats `bundle` reads and writes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// tar, gzip-compressed.
    TarGz,
    /// tar, xz-compressed.
    TarXz,
    /// tar, zstd-compressed.
    TarZst,
    /// zip.
    Zip,
}

impl Kind {
    /// The kind a file name says, if any.
    pub fn of(path: &Path) -> Option<Kind> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        Some(if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            Kind::TarGz
        } else if name.ends_with(".tar.xz") || name.ends_with(".txz") {
            Kind::TarXz
        } else if name.ends_with(".tar.zst") || name.ends_with(".tzst") {
            Kind::TarZst
        } else if name.ends_with(".zip") {
            Kind::Zip
        } else {
            return None;
        })
    }
}

/// One member of an archive.
#[derive(Clone, Debug)]
struct Entry {
    /// Its path in the archive, without a trailing `/`.
    path: String,
    what: What,
    mode: u32,
    /// Seconds since the epoch.
    mtime: u64,
}

#[derive(Clone, Debug)]
enum What {
    File(Vec<u8>),
    Dir,
    Symlink(String),
}

/// What `bundle` of an archive did (or would do).
#[derive(Clone, Debug, serde::Serialize)]
pub struct ArchiveOutcome {
    /// The plan of the archive's tree.
    pub plan: BundlePlan,
    /// The archive written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive: Option<PathBuf>,
}

/// Where the bundle of `input` goes for `-o OUT`: OUT itself when it names an archive,
/// else `OUT/<the input's file name>`.
pub fn output_for(input: &Path, out: &Path) -> PathBuf {
    if Kind::of(out).is_some() {
        out.to_path_buf()
    } else {
        out.join(input.file_name().unwrap_or_default())
    }
}

/// Bundle the archive `input` into `out` (see [`output_for`]).
pub fn bundle(
    req: &Request,
    input: &Path,
    out: &Path,
    dry_run: bool,
) -> Result<ArchiveOutcome, BundleError> {
    let kind = Kind::of(input).ok_or_else(|| {
        BundleError::Usage(format!("{}: not a known archive kind", input.display()))
    })?;
    let target = output_for(input, out);
    let out_kind = Kind::of(&target).unwrap_or(kind);
    let entries = read(input, kind)?;
    let top = top_dir(&entries);
    let tmp = tempfile::Builder::new()
        .prefix(".elfcompat-archive-")
        .tempdir()
        .map_err(|e| BundleError::io(&std::env::temp_dir(), e))?;
    let src = tmp.path().join("src");
    unpack(&entries, &src)?;
    let tree = match &top {
        Some(t) => src.join(t),
        None => src.clone(),
    };
    let mut areq = req.clone();
    areq.inputs = vec![tree];
    areq.out = tmp.path().join("out");
    let mut plan = super::plan(&areq)?;
    if dry_run {
        plan.out = target;
        return Ok(ArchiveOutcome {
            plan,
            archive: None,
        });
    }
    super::write(&plan)?;
    let packed = repack(&entries, top.as_deref(), &plan, &areq.out)?;
    if std::fs::canonicalize(&target).ok() == std::fs::canonicalize(input).ok() && target.exists() {
        return Err(BundleError::Usage(format!(
            "{}: the output would replace the input; choose another -o",
            target.display()
        )));
    }
    write(&packed, out_kind, &target)?;
    plan.out = target.clone();
    Ok(ArchiveOutcome {
        plan,
        archive: Some(target),
    })
}

/// The single directory every member is in, if there is one.
fn top_dir(entries: &[Entry]) -> Option<String> {
    let first = entries.first()?.path.split('/').next()?.to_string();
    let all = entries.iter().all(|e| {
        e.path == first && matches!(e.what, What::Dir) || e.path.starts_with(&format!("{first}/"))
    });
    all.then_some(first)
}

fn bad(path: &Path, e: impl std::fmt::Display) -> BundleError {
    BundleError::Usage(format!("{}: not a readable archive: {e}", path.display()))
}

/// A member path, normalized and checked to stay inside.
fn member_path(archive: &Path, raw: &str) -> Result<String, BundleError> {
    let p = raw.trim_start_matches("./").trim_end_matches('/');
    let safe =
        !p.is_empty() && !p.starts_with('/') && p.split('/').all(|c| c != ".." && !c.is_empty());
    if safe {
        Ok(p.to_string())
    } else {
        Err(BundleError::Usage(format!(
            "{}: member {raw} would be written outside the archive's directory",
            archive.display()
        )))
    }
}

fn read(path: &Path, kind: Kind) -> Result<Vec<Entry>, BundleError> {
    let file = std::fs::File::open(path).map_err(|e| BundleError::io(path, e))?;
    let file = std::io::BufReader::new(file);
    match kind {
        Kind::Zip => read_zip(path, file),
        Kind::TarGz => read_tar(path, flate2::read::MultiGzDecoder::new(file)),
        Kind::TarXz => read_tar(path, xz2::read::XzDecoder::new_multi_decoder(file)),
        Kind::TarZst => {
            let d = zstd::stream::read::Decoder::new(file).map_err(|e| bad(path, e))?;
            read_tar(path, d)
        }
    }
}

fn read_tar(path: &Path, r: impl Read) -> Result<Vec<Entry>, BundleError> {
    let mut ar = tar::Archive::new(r);
    let mut out = Vec::new();
    for e in ar.entries().map_err(|e| bad(path, e))? {
        let mut e = e.map_err(|e| bad(path, e))?;
        let raw = e
            .path()
            .map_err(|e| bad(path, e))?
            .to_string_lossy()
            .into_owned();
        if raw == "." || raw == "./" {
            continue;
        }
        let name = member_path(path, &raw)?;
        let h = e.header();
        let mode = h.mode().map_err(|e| bad(path, e))? & 0o7777;
        let mtime = h.mtime().map_err(|e| bad(path, e))?;
        let what = match h.entry_type() {
            tar::EntryType::Directory => What::Dir,
            tar::EntryType::Symlink => What::Symlink(
                e.link_name()
                    .map_err(|e| bad(path, e))?
                    .map(|l| l.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            ),
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let mut data = Vec::new();
                e.read_to_end(&mut data).map_err(|e| bad(path, e))?;
                What::File(data)
            }
            other => {
                return Err(BundleError::Usage(format!(
                    "{}: member {name} is a {other:?} entry; only files, directories and symbolic links are bundled",
                    path.display()
                )))
            }
        };
        out.push(Entry {
            path: name,
            what,
            mode,
            mtime,
        });
    }
    Ok(out)
}

fn read_zip(path: &Path, r: impl Read + std::io::Seek) -> Result<Vec<Entry>, BundleError> {
    let mut zip = zip::ZipArchive::new(r).map_err(|e| bad(path, e))?;
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut m = zip.by_index(i).map_err(|e| bad(path, e))?;
        let name = member_path(path, m.name())?;
        let mode = m
            .unix_mode()
            .map_or(if m.is_dir() { 0o755 } else { 0o644 }, |x| x & 0o7777);
        let mut data = Vec::new();
        let is_dir = m.is_dir();
        let is_link = m.is_symlink();
        if !is_dir {
            m.read_to_end(&mut data).map_err(|e| bad(path, e))?;
        }
        let what = if is_dir {
            What::Dir
        } else if is_link {
            What::Symlink(String::from_utf8_lossy(&data).into_owned())
        } else {
            What::File(data)
        };
        out.push(Entry {
            path: name,
            what,
            mode,
            mtime: 0,
        });
    }
    Ok(out)
}

fn unpack(entries: &[Entry], root: &Path) -> Result<(), BundleError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(root).map_err(|e| BundleError::io(root, e))?;
    for e in entries {
        let path = root.join(&e.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|err| BundleError::io(dir, err))?;
        }
        match &e.what {
            What::Dir => {
                std::fs::create_dir_all(&path).map_err(|err| BundleError::io(&path, err))?
            }
            What::Symlink(t) => {
                std::os::unix::fs::symlink(t, &path).map_err(|err| BundleError::io(&path, err))?
            }
            What::File(data) => {
                std::fs::write(&path, data).map_err(|err| BundleError::io(&path, err))?;
                std::fs::set_permissions(
                    &path,
                    std::fs::Permissions::from_mode((e.mode & 0o777) | 0o600),
                )
                .map_err(|err| BundleError::io(&path, err))?;
            }
        }
    }
    Ok(())
}

/// The new archive's members: the originals in order (rewritten files' new contents),
/// then what the bundle added, by path.
fn repack(
    old: &[Entry],
    top: Option<&str>,
    plan: &BundlePlan,
    root: &Path,
) -> Result<Vec<Entry>, BundleError> {
    let prefix = top.map(|t| format!("{t}/")).unwrap_or_default();
    let time = old.iter().map(|e| e.mtime).max().unwrap_or(0);
    let mut out = Vec::with_capacity(old.len());
    for e in old {
        let rel = e.path.strip_prefix(&prefix).unwrap_or(&e.path);
        let what = match &e.what {
            What::File(_) if top != Some(e.path.as_str()) => {
                let p = root.join(rel);
                let m = std::fs::symlink_metadata(&p).map_err(|err| BundleError::io(&p, err))?;
                if m.file_type().is_symlink() {
                    let t = std::fs::read_link(&p).map_err(|err| BundleError::io(&p, err))?;
                    What::Symlink(t.to_string_lossy().into_owned())
                } else {
                    What::File(std::fs::read(&p).map_err(|err| BundleError::io(&p, err))?)
                }
            }
            w => w.clone(),
        };
        out.push(Entry {
            path: e.path.clone(),
            what,
            mode: e.mode,
            mtime: e.mtime,
        });
    }
    let has_dirs = old.iter().any(|e| matches!(e.what, What::Dir));
    let mut added: Vec<&super::BundleFile> = plan
        .files
        .iter()
        .filter(|f| f.origin == Origin::Bundled)
        .collect();
    added.sort_by(|a, b| a.dest.cmp(&b.dest));
    for f in added {
        if has_dirs {
            let mut dir = String::new();
            for part in f
                .dest
                .split('/')
                .rev()
                .skip(1)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
            {
                dir = if dir.is_empty() {
                    part.to_string()
                } else {
                    format!("{dir}/{part}")
                };
                let full = format!("{prefix}{dir}");
                if !out.iter().any(|e| e.path == full) {
                    out.push(Entry {
                        path: full,
                        what: What::Dir,
                        mode: 0o755,
                        mtime: time,
                    });
                }
            }
        }
        let p = root.join(&f.dest);
        out.push(Entry {
            path: format!("{prefix}{}", f.dest),
            what: What::File(std::fs::read(&p).map_err(|err| BundleError::io(&p, err))?),
            mode: f.mode,
            mtime: time,
        });
    }
    Ok(out)
}

/// Write the archive under a temporary name beside `out`, then rename.
fn write(entries: &[Entry], kind: Kind, out: &Path) -> Result<(), BundleError> {
    let dir = crate::patch::write::dir_of(out).into_owned();
    std::fs::create_dir_all(&dir).map_err(|e| BundleError::io(&dir, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".elfcompat-archive-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| BundleError::io(&dir, e))?;
    let io = |e: std::io::Error| BundleError::io(out, e);
    let file = std::io::BufWriter::new(tmp.as_file());
    match kind {
        Kind::Zip => write_zip(entries, file, out)?,
        Kind::TarGz => {
            let gz = flate2::GzBuilder::new()
                .mtime(0)
                .write(file, flate2::Compression::default());
            write_tar(entries, gz)
                .map_err(io)?
                .finish()
                .map_err(io)?
                .flush()
                .map_err(io)?;
        }
        Kind::TarXz => {
            let xz = xz2::write::XzEncoder::new(file, 6);
            write_tar(entries, xz)
                .map_err(io)?
                .finish()
                .map_err(io)?
                .flush()
                .map_err(io)?;
        }
        Kind::TarZst => {
            let zst = zstd::stream::write::Encoder::new(file, 3).map_err(io)?;
            write_tar(entries, zst)
                .map_err(io)?
                .finish()
                .map_err(io)?
                .flush()
                .map_err(io)?;
        }
    }
    tmp.as_file().sync_all().map_err(io)?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644)).map_err(io)?;
    }
    crate::patch::write::persist(tmp, out).map_err(io)?;
    Ok(())
}

fn write_tar<W: Write>(entries: &[Entry], w: W) -> std::io::Result<W> {
    let mut b = tar::Builder::new(w);
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(e.mode);
        h.set_mtime(e.mtime);
        h.set_uid(0);
        h.set_gid(0);
        match &e.what {
            What::Dir => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                b.append_data(&mut h, format!("{}/", e.path), std::io::empty())?;
            }
            What::Symlink(t) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                b.append_link(&mut h, &e.path, t)?;
            }
            What::File(data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(data.len() as u64);
                b.append_data(&mut h, &e.path, data.as_slice())?;
            }
        }
    }
    b.into_inner()
}

fn write_zip<W: Write + std::io::Seek>(
    entries: &[Entry],
    w: W,
    out: &Path,
) -> Result<(), BundleError> {
    let zerr = |e: zip::result::ZipError| BundleError::io(out, std::io::Error::other(e));
    let io = |e: std::io::Error| BundleError::io(out, e);
    let time = super::wheel::member_time();
    let mut zip = zip::ZipWriter::new(w);
    for e in entries {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(time)
            .unix_permissions(e.mode & 0o7777);
        match &e.what {
            What::Dir => zip
                .add_directory(format!("{}/", e.path), opts)
                .map_err(zerr)?,
            What::Symlink(t) => zip
                .add_symlink(e.path.as_str(), t.as_str(), opts)
                .map_err(zerr)?,
            What::File(data) => {
                zip.start_file(e.path.as_str(), opts).map_err(zerr)?;
                zip.write_all(data).map_err(io)?;
            }
        }
    }
    let mut w = zip.finish().map_err(zerr)?;
    w.flush().map_err(io)?;
    Ok(())
}
