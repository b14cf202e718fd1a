//! A program's shared-library closure, found as glibc's loader (2.36, as Debian builds
//! it) would find it: the libraries each DT_NEEDED names, searched through DT_RPATH (of
//! the object and the objects that loaded it), the library path (LD_LIBRARY_PATH),
//! DT_RUNPATH (of the object alone), ld.so.cache and the default directories, each with
//! its hwcaps subdirectories; objects already loaded are matched by name and soname
//! first. Everything can be resolved inside a sysroot (a container or cross root).
//! docs/library-search.md says which glibc code each rule comes from.

mod cache;
mod search;

pub use cache::LdCache;
pub use search::{canonicalize_in, expand_dst, TargetDirs};

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::elf::{ByteOrder, Class, ElfFile};

/// Why a closure could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ClosureError {
    /// A root or a library could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A root or an accepted library is not a valid ELF file.
    #[error("{}: {source}", path.display())]
    Elf {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: crate::elf::FileError,
    },
    /// The search found a file that is not a loadable ELF object (a linker script, a
    /// truncated file): the loader stops there with an error instead of searching on.
    #[error("{}: {reason} (needed by {})", path.display(), needed_by.display())]
    NotLoadable {
        /// The file found.
        path: PathBuf,
        /// The object whose DT_NEEDED led to it.
        needed_by: PathBuf,
        /// What the loader would say.
        reason: String,
    },
    /// The ld.so.cache file is malformed.
    #[error("{}: malformed ld.so.cache: {reason}", path.display())]
    Cache {
        /// The cache file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// How a DT_NEEDED entry was satisfied.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// The name holds a `/`: it is a path.
    Path,
    /// DT_RPATH of the object or of one that loaded it.
    Rpath,
    /// The library path (`--library-path`, LD_LIBRARY_PATH).
    LibraryPath,
    /// DT_RUNPATH of the object.
    Runpath,
    /// ld.so.cache (or the cache ldconfig would build from ld.so.conf).
    Cache,
    /// One of the target's default directories.
    DefaultDir,
    /// An object of the process already had that name or soname (the loader itself
    /// always has).
    AlreadyLoaded,
    /// Nothing was found (the entry is also in [`Closure::missing`]).
    NotFound,
}

/// One DT_NEEDED entry of an object.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Needed {
    /// The name as DT_NEEDED says it.
    pub name: String,
    /// The object it resolved to (an index into [`Closure::objects`]); `None`: missing.
    pub object: Option<usize>,
    /// How it was found.
    pub via: Via,
}

/// One object of the closure.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Object {
    /// The path as the loader names it (search directory joined with the DT_NEEDED name),
    /// in host terms (inside the sysroot).
    pub path: PathBuf,
    /// The path with every symlink resolved (inside the sysroot).
    pub canonical: PathBuf,
    /// DT_SONAME.
    pub soname: Option<String>,
    /// Whether it is one of the roots asked for.
    pub root: bool,
    /// Whether it is the dynamic loader (ld.so), which every process holds.
    pub interp: bool,
    /// Its DT_NEEDED entries, in order, as the first process that loaded it resolved them.
    pub needed: Vec<Needed>,
    /// The objects whose DT_NEEDED reached this one (indices into [`Closure::objects`]).
    pub needed_by: Vec<usize>,
    /// e_machine.
    pub machine: u16,
    /// Whether it is ELFCLASS64.
    pub is_64: bool,
}

/// A DT_NEEDED entry that nothing satisfied.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Missing {
    /// The name DT_NEEDED gives.
    pub name: String,
    /// The object that needs it.
    pub needed_by: PathBuf,
}

/// The libraries the roots load.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Closure {
    /// Every object, roots included, in load order (roots in the order given).
    pub objects: Vec<Object>,
    /// Every DT_NEEDED that could not be satisfied.
    pub missing: Vec<Missing>,
}

/// What the resolver needs of one ELF file.
#[derive(Debug)]
struct Info {
    machine: u16,
    is_64: bool,
    big_endian: bool,
    e_flags: u32,
    executable: bool,
    interp: Option<String>,
    needed: Vec<String>,
    soname: Option<String>,
    /// DT_RPATH, already dropped when there is a DT_RUNPATH (the loader ignores it then).
    rpath: Option<String>,
    runpath: Option<String>,
    nodeflib: bool,
}

/// The loader's search configuration for one root directory.
pub struct Resolver {
    sysroot: PathBuf,
    library_path: Vec<PathBuf>,
    cache: Option<LdCache>,
    dirs_override: Option<TargetDirs>,
    conf_caches: Mutex<HashMap<(u16, bool), Arc<LdCache>>>,
    infos: Mutex<HashMap<PathBuf, Arc<Info>>>,
}

/// One loaded object of a simulated process.
struct Loaded {
    global: usize,
    /// Names it answers to: the name it was loaded by, its path, and its soname.
    names: Vec<String>,
    soname: Option<String>,
    /// The object whose DT_NEEDED loaded it (`l_loader`).
    loader: Option<usize>,
    /// `$ORIGIN` for its entries (host terms).
    origin: Option<PathBuf>,
    info: Arc<Info>,
}

/// The target a process runs on: the loader only accepts objects of its class/machine.
#[derive(Copy, Clone)]
struct Target {
    machine: u16,
    is_64: bool,
    big_endian: bool,
    e_flags: u32,
}

impl Resolver {
    /// Search configuration of `sysroot` ("/" for this machine): its ld.so.cache (or, when
    /// there is none, ld.so.conf with its include globs) and the default directories, all
    /// read as if sysroot were "/". `library_path` is searched like LD_LIBRARY_PATH; its
    /// directories are host paths (not taken inside the sysroot).
    pub fn new(sysroot: &Path, library_path: Vec<PathBuf>) -> Result<Resolver, ClosureError> {
        let cache_path = search::host_path(sysroot, "/etc/ld.so.cache");
        let cache = match std::fs::read(&cache_path) {
            Ok(bytes) => Some(LdCache::parse(&cache_path, &bytes)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(ClosureError::Io {
                    path: cache_path,
                    source,
                })
            }
        };
        Ok(Resolver {
            sysroot: sysroot.to_path_buf(),
            library_path,
            cache,
            dirs_override: None,
            conf_caches: Mutex::new(HashMap::new()),
            infos: Mutex::new(HashMap::new()),
        })
    }

    /// Use these directories and hwcaps subdirectories instead of the ones derived from
    /// the sysroot's layout and this machine's CPU.
    pub fn with_target_dirs(mut self, dirs: TargetDirs) -> Resolver {
        self.dirs_override = Some(dirs);
        self
    }

    /// Whether the sysroot has an ld.so.cache (otherwise its ld.so.conf is scanned).
    pub fn has_cache(&self) -> bool {
        self.cache.is_some()
    }

    /// The search configuration used for a target machine/class.
    pub fn target_dirs(&self, machine: u16, is_64: bool, e_flags: u32) -> TargetDirs {
        if let Some(d) = &self.dirs_override {
            return d.clone();
        }
        let host = host_machine() == Some((machine, is_64));
        TargetDirs::for_target(&self.sysroot, machine, is_64, e_flags, host)
    }

    /// The closure of every root. An executable root is resolved as its own process (load
    /// order as the loader: breadth-first over DT_NEEDED); a shared-library root as if
    /// dlopened by a process whose executable has no RPATH. Objects are deduplicated
    /// across roots by canonical path.
    pub fn closure(&self, roots: &[PathBuf]) -> Result<Closure, ClosureError> {
        let mut out = Closure::default();
        let mut by_canonical: HashMap<PathBuf, usize> = HashMap::new();
        for root in roots {
            self.process(root, &mut out, &mut by_canonical)?;
        }
        Ok(out)
    }

    /// Resolve one root as its own process, adding to `out`.
    fn process(
        &self,
        root: &Path,
        out: &mut Closure,
        by_canonical: &mut HashMap<PathBuf, usize>,
    ) -> Result<(), ClosureError> {
        let canonical = canonicalize_in(&self.sysroot, root);
        let info = self.info(&canonical)?;
        let target = Target {
            machine: info.machine,
            is_64: info.is_64,
            big_endian: info.big_endian,
            e_flags: info.e_flags,
        };
        let dirs = self.target_dirs(target.machine, target.is_64, target.e_flags);
        let subdirs = dirs.subdirs();
        let root_global = add_object(out, by_canonical, root, &canonical, &info, true);
        // $ORIGIN of the executable is the kernel's view (symlinks resolved); of a
        // dlopened library, the directory of the path it was opened by.
        let origin = if info.executable {
            canonical.parent().map(Path::to_path_buf)
        } else {
            absolute(root).parent().map(Path::to_path_buf)
        };
        let mut procs = vec![Loaded {
            global: root_global,
            names: vec![root.to_string_lossy().into_owned()],
            soname: info.soname.clone(),
            loader: None,
            origin,
            info: info.clone(),
        }];
        // The loader is in every process from the start, under its PT_INTERP name and its
        // soname, so libc's DT_NEEDED on it is always "already loaded".
        let interp = if info.executable {
            info.interp.clone()
        } else {
            dirs.interp.clone()
        };
        if let Some(interp) = interp {
            let host = search::host_path(&self.sysroot, &interp);
            let canon = canonicalize_in(&self.sysroot, &host);
            if let Ok(li) = self.info(&canon) {
                let g = add_object(out, by_canonical, &host, &canon, &li, false);
                if let Some(o) = out.objects.get_mut(g) {
                    o.interp = true;
                }
                procs.push(Loaded {
                    global: g,
                    names: vec![interp.clone()],
                    soname: li.soname.clone(),
                    loader: None,
                    origin: host.parent().map(Path::to_path_buf),
                    info: li,
                });
            }
        }
        let exe = info.executable.then_some(0usize);
        let mut queue = VecDeque::from([0usize]);
        while let Some(at) = queue.pop_front() {
            let needed = procs[at].info.needed.clone();
            let first_time = out.objects[procs[at].global].needed.is_empty();
            let mut edges = Vec::new();
            let holder = procs[at].global;
            let holder_path = out.objects[holder].path.clone();
            for name in needed {
                let found = self.find(
                    &name,
                    &holder_path,
                    at,
                    exe,
                    &procs,
                    target,
                    &dirs,
                    &subdirs,
                )?;
                match found {
                    Found::Loaded(i) => {
                        edges.push((name, Some(procs[i].global), Via::AlreadyLoaded))
                    }
                    Found::New { path, via } => {
                        let canon = canonicalize_in(&self.sysroot, &path);
                        let li = self.info(&canon)?;
                        // The same file under another name: the loader matches it by
                        // device and inode and adds the name to the loaded object.
                        if let Some(i) = procs
                            .iter()
                            .position(|l| out.objects[l.global].canonical == canon)
                        {
                            procs[i].names.push(name.clone());
                            edges.push((name, Some(procs[i].global), via));
                            continue;
                        }
                        let g = add_object(out, by_canonical, &path, &canon, &li, false);
                        let origin = absolute(&path).parent().map(Path::to_path_buf);
                        procs.push(Loaded {
                            global: g,
                            names: vec![name.clone(), path.to_string_lossy().into_owned()],
                            soname: li.soname.clone(),
                            loader: Some(at),
                            origin,
                            info: li,
                        });
                        queue.push_back(procs.len() - 1);
                        edges.push((name, Some(g), via));
                    }
                    Found::Missing => {
                        out.missing.push(Missing {
                            name: name.clone(),
                            needed_by: holder_path.clone(),
                        });
                        edges.push((name, None, Via::NotFound));
                    }
                }
            }
            let holder = procs[at].global;
            for (name, object, via) in edges {
                if let Some(o) = object {
                    let by = &mut out.objects[o].needed_by;
                    if !by.contains(&holder) {
                        by.push(holder);
                    }
                }
                if first_time {
                    out.objects[holder]
                        .needed
                        .push(Needed { name, object, via });
                }
            }
        }
        Ok(())
    }

    /// `_dl_map_object` for one DT_NEEDED name of `procs[at]`.
    #[allow(clippy::too_many_arguments)]
    fn find(
        &self,
        name: &str,
        needed_by: &Path,
        at: usize,
        exe: Option<usize>,
        procs: &[Loaded],
        target: Target,
        dirs: &TargetDirs,
        subdirs: &[String],
    ) -> Result<Found, ClosureError> {
        // An object already loaded under that name, path or soname, in load order.
        if let Some(i) = procs
            .iter()
            .position(|l| l.names.iter().any(|n| n == name) || l.soname.as_deref() == Some(name))
        {
            return Ok(Found::Loaded(i));
        }
        let search = Search {
            resolver: self,
            name,
            needed_by,
            target,
            subdirs,
        };
        if name.contains('/') {
            // A path: absolute ones inside the sysroot, relative ones from the current
            // directory (the loader's cwd; here the resolver's).
            let path = search::host_path(&self.sysroot, name);
            return search.file(path, Via::Path);
        }
        let holder = &procs[at];
        let runpath = match &holder.info.runpath {
            Some(rp) => self.path_list(rp, holder.origin.as_deref(), dirs),
            None => Vec::new(),
        };
        let phases = [
            (self.rpath_chain(at, exe, procs, dirs), Via::Rpath),
            (self.library_path.clone(), Via::LibraryPath),
            (runpath, Via::Runpath),
        ];
        for (list, via) in phases {
            if let Some(found) = search.in_dirs(&list, via)? {
                return Ok(found);
            }
        }
        // DF_1_NODEFLIB of the object rules out the cache's entries in the default
        // directories, and the default directories.
        let nodeflib = holder.info.nodeflib;
        let conf;
        let cache = match &self.cache {
            Some(c) => c,
            None => {
                conf = self.conf_cache(target, dirs);
                conf.as_ref()
            }
        };
        let hit = cache.lookup(
            name,
            target.machine,
            target.is_64,
            target.e_flags,
            &dirs.glibc_hwcaps,
        );
        if let Some(value) = hit {
            let in_default = dirs
                .default_dirs
                .iter()
                .any(|d| value.starts_with(&format!("{d}/")));
            if !(nodeflib && in_default) {
                // A cached file the loader does not accept sends it on to the default
                // directories, not to another cache entry.
                let found = search.file(search::host_path(&self.sysroot, value), Via::Cache)?;
                if !matches!(found, Found::Missing) {
                    return Ok(found);
                }
            }
        }
        if nodeflib {
            return Ok(Found::Missing);
        }
        let defaults: Vec<PathBuf> = dirs
            .default_dirs
            .iter()
            .map(|d| search::host_path(&self.sysroot, d))
            .collect();
        Ok(search
            .in_dirs(&defaults, Via::DefaultDir)?
            .unwrap_or(Found::Missing))
    }

    /// The DT_RPATH directories for a DT_NEEDED of `procs[at]`: its own, then those of
    /// each object that loaded it, then the executable's if the chain did not pass it —
    /// none when the object has a DT_RUNPATH.
    fn rpath_chain(
        &self,
        at: usize,
        exe: Option<usize>,
        procs: &[Loaded],
        dirs: &TargetDirs,
    ) -> Vec<PathBuf> {
        let mut out = Vec::new();
        if procs[at].info.runpath.is_some() {
            return out;
        }
        let mut did_exe = false;
        let mut l = Some(at);
        while let Some(i) = l {
            let o = &procs[i];
            if let Some(rp) = &o.info.rpath {
                out.extend(self.path_list(rp, o.origin.as_deref(), dirs));
                did_exe |= Some(i) == exe;
            }
            l = o.loader;
        }
        if let (false, Some(e)) = (did_exe, exe) {
            let o = &procs[e];
            if let (true, Some(rp)) = (e != at, &o.info.rpath) {
                out.extend(self.path_list(rp, o.origin.as_deref(), dirs));
            }
        }
        out
    }

    /// The directories of a DT_RPATH/DT_RUNPATH string, in host terms: `$ORIGIN` entries
    /// stay where the object is, other absolute entries are taken inside the sysroot.
    fn path_list(&self, list: &str, origin: Option<&Path>, dirs: &TargetDirs) -> Vec<PathBuf> {
        let origin_str = origin.map(|o| o.to_string_lossy().into_owned());
        list.split(':')
            .filter_map(|entry| {
                // An empty entry is the current directory.
                let entry = if entry.is_empty() { "." } else { entry };
                let from_origin = entry.starts_with("$ORIGIN") || entry.starts_with("${ORIGIN}");
                let expanded = expand_dst(entry, origin_str.as_deref(), dirs)?;
                let trimmed = match expanded.trim_end_matches('/') {
                    "" => "/",
                    t => t,
                };
                Some(if from_origin {
                    PathBuf::from(trimmed)
                } else {
                    search::host_path(&self.sysroot, trimmed)
                })
            })
            .collect()
    }

    /// The cache ldconfig would build, for a sysroot without ld.so.cache.
    fn conf_cache(&self, target: Target, dirs: &TargetDirs) -> Arc<LdCache> {
        let mut map = self.conf_caches.lock().unwrap_or_else(|e| e.into_inner());
        map.entry((target.machine, target.is_64))
            .or_insert_with(|| Arc::new(LdCache::from_conf(&self.sysroot, &dirs.default_dirs)))
            .clone()
    }

    /// Whether the loader's `open_verify` accepts `path` for this target: `false` when it
    /// does not exist or is of another class or machine (the search goes on); an error
    /// when it is not a loadable ELF file (the loader stops).
    fn try_file(
        &self,
        path: &Path,
        target: Target,
        needed_by: &Path,
    ) -> Result<bool, ClosureError> {
        // Symlinks are followed inside the sysroot, not on the host.
        let real = canonicalize_in(&self.sysroot, path);
        let meta = match std::fs::metadata(&real) {
            Ok(m) => m,
            Err(_) => return Ok(false),
        };
        if meta.is_dir() {
            return Ok(false);
        }
        let not_loadable = |reason: &str| ClosureError::NotLoadable {
            path: path.to_path_buf(),
            needed_by: needed_by.to_path_buf(),
            reason: reason.to_string(),
        };
        let mut head = [0u8; 20];
        {
            use std::os::unix::fs::FileExt;
            let Ok(f) = std::fs::File::open(&real) else {
                return Ok(false);
            };
            let n = f.read_at(&mut head, 0).unwrap_or(0);
            if n < head.len() {
                return Err(not_loadable("file too short"));
            }
        }
        if &head[..4] != b"\x7fELF" {
            return Err(not_loadable("invalid ELF header"));
        }
        let is_64 = head[4] == 2;
        let big = head[5] == 2;
        if is_64 != target.is_64 || big != target.big_endian {
            // Another class: the loader notes it and searches on.
            return Ok(false);
        }
        let machine = if big {
            u16::from_be_bytes([head[18], head[19]])
        } else {
            u16::from_le_bytes([head[18], head[19]])
        };
        if machine != target.machine {
            return Ok(false);
        }
        if machine == object::elf::EM_ARM.0 {
            // The ARM loader also refuses the other float ABI.
            if let Ok(i) = self.info(&real) {
                let hard = object::elf::EF_ARM_ABI_FLOAT_HARD;
                if (i.e_flags & hard) != (target.e_flags & hard) {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// The parsed facts of a file (by canonical path), read once.
    fn info(&self, canonical: &Path) -> Result<Arc<Info>, ClosureError> {
        if let Some(i) = self
            .infos
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(canonical)
        {
            return Ok(i.clone());
        }
        let map = crate::elf::open(canonical).map_err(|source| ClosureError::Elf {
            path: canonical.to_path_buf(),
            source,
        })?;
        let elf = ElfFile::parse(map.bytes()).map_err(|source| ClosureError::Elf {
            path: canonical.to_path_buf(),
            source: crate::elf::FileError::Elf {
                path: canonical.to_path_buf(),
                source,
            },
        })?;
        let dynamic = elf.dynamic.as_ref();
        let runpath = dynamic
            .and_then(|d| d.runpath.as_deref())
            .map(str::to_string);
        let flags_1 = dynamic.map(|d| d.flags_1).unwrap_or(0);
        let info = Arc::new(Info {
            machine: elf.machine,
            is_64: elf.class == Class::Elf64,
            big_endian: elf.byte_order == ByteOrder::Big,
            e_flags: elf.e_flags,
            executable: elf.interp.is_some()
                && matches!(
                    elf.linkage(),
                    crate::elf::Linkage::Executable | crate::elf::Linkage::Pie
                ),
            interp: elf.interp.as_deref().map(str::to_string),
            needed: dynamic
                .map(|d| d.needed.iter().map(|n| n.to_string()).collect())
                .unwrap_or_default(),
            soname: dynamic
                .and_then(|d| d.soname.as_deref())
                .map(str::to_string),
            // The loader drops DT_RPATH when DT_RUNPATH is present (get-dynamic-info.h).
            rpath: if runpath.is_some() {
                None
            } else {
                dynamic.and_then(|d| d.rpath.as_deref()).map(str::to_string)
            },
            runpath,
            nodeflib: flags_1 & object::elf::DF_1_NODEFLIB.0 != 0,
        });
        self.infos
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(canonical.to_path_buf(), info.clone());
        Ok(info)
    }
}

/// One DT_NEEDED name being looked for.
struct Search<'a> {
    resolver: &'a Resolver,
    name: &'a str,
    needed_by: &'a Path,
    target: Target,
    subdirs: &'a [String],
}

impl Search<'_> {
    /// `open_path`: each directory with its hwcaps subdirectories (those that exist),
    /// then the directory itself.
    fn in_dirs(&self, list: &[PathBuf], via: Via) -> Result<Option<Found>, ClosureError> {
        for dir in list {
            for sub in self.subdirs {
                let d = if sub.is_empty() {
                    dir.clone()
                } else {
                    dir.join(sub)
                };
                if !sub.is_empty() && !d.is_dir() {
                    continue;
                }
                let found = self.file(join_name(&d, self.name), via)?;
                if !matches!(found, Found::Missing) {
                    return Ok(Some(found));
                }
            }
        }
        Ok(None)
    }

    /// One candidate file.
    fn file(&self, path: PathBuf, via: Via) -> Result<Found, ClosureError> {
        Ok(
            match self.resolver.try_file(&path, self.target, self.needed_by)? {
                true => Found::New { path, via },
                false => Found::Missing,
            },
        )
    }
}

enum Found {
    Loaded(usize),
    New { path: PathBuf, via: Via },
    Missing,
}

/// `DIR/NAME` as the loader builds it (no normalisation of `..`).
fn join_name(dir: &Path, name: &str) -> PathBuf {
    let mut s = dir.as_os_str().to_os_string();
    if !s.to_string_lossy().ends_with('/') {
        s.push("/");
    }
    s.push(name);
    PathBuf::from(s)
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

fn add_object(
    out: &mut Closure,
    by_canonical: &mut HashMap<PathBuf, usize>,
    path: &Path,
    canonical: &Path,
    info: &Info,
    root: bool,
) -> usize {
    if let Some(&i) = by_canonical.get(canonical) {
        if root {
            out.objects[i].root = true;
        }
        return i;
    }
    out.objects.push(Object {
        path: path.to_path_buf(),
        canonical: canonical.to_path_buf(),
        soname: info.soname.clone(),
        root,
        interp: false,
        needed: Vec::new(),
        needed_by: Vec::new(),
        machine: info.machine,
        is_64: info.is_64,
    });
    by_canonical.insert(canonical.to_path_buf(), out.objects.len() - 1);
    out.objects.len() - 1
}

/// This machine's own (e_machine, 64-bit) pair.
fn host_machine() -> Option<(u16, bool)> {
    use object::elf::*;
    if cfg!(target_arch = "x86_64") {
        Some((EM_X86_64.0, true))
    } else if cfg!(target_arch = "aarch64") {
        Some((EM_AARCH64.0, true))
    } else if cfg!(target_arch = "x86") {
        Some((EM_386.0, false))
    } else if cfg!(target_arch = "powerpc64") {
        Some((EM_PPC64.0, true))
    } else if cfg!(target_arch = "s390x") {
        Some((EM_S390.0, true))
    } else if cfg!(target_arch = "riscv64") {
        Some((EM_RISCV.0, true))
    } else {
        None
    }
}
