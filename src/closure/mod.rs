//! TEMPORARY stand-in (not committed): replaced by the resolver branch.
#![allow(missing_docs)]
use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};

pub struct Resolver {
    sysroot: PathBuf,
    library_path: Vec<PathBuf>,
}
#[derive(Debug, Clone, serde::Serialize)]
pub struct Closure {
    pub objects: Vec<Object>,
    pub missing: Vec<Missing>,
}
#[derive(Debug, Clone, serde::Serialize)]
pub struct Object {
    pub path: PathBuf,
    pub canonical: PathBuf,
    pub soname: Option<String>,
    pub root: bool,
    pub needed: Vec<Needed>,
    pub needed_by: Vec<usize>,
    pub machine: u16,
    pub is_64: bool,
}
#[derive(Debug, Clone, serde::Serialize)]
pub struct Needed {
    pub name: String,
    pub object: Option<usize>,
    pub via: Via,
}
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub enum Via {
    Path,
    Rpath,
    LibraryPath,
    Runpath,
    Cache,
    DefaultDir,
    AlreadyLoaded,
}
#[derive(Debug, Clone, serde::Serialize)]
pub struct Missing {
    pub name: String,
    pub needed_by: PathBuf,
}
#[derive(Debug, thiserror::Error)]
pub enum ClosureError {
    #[error(transparent)]
    File(#[from] crate::elf::FileError),
}

struct Info {
    soname: Option<String>,
    needed: Vec<String>,
    rpath: Option<String>,
    runpath: Option<String>,
    machine: u16,
    is_64: bool,
}
fn info(p: &Path) -> Result<Info, ClosureError> {
    let m = crate::elf::open(p)?;
    let f = crate::elf::ElfFile::parse(m.bytes()).map_err(|source| crate::elf::FileError::Elf {
        path: p.to_path_buf(),
        source,
    })?;
    let d = f.dynamic.clone().unwrap_or_default();
    Ok(Info {
        soname: d.soname.map(|s| s.to_string()),
        needed: d.needed.iter().map(|s| s.to_string()).collect(),
        rpath: d.rpath.map(|s| s.to_string()),
        runpath: d.runpath.map(|s| s.to_string()),
        machine: f.machine,
        is_64: f.class == crate::elf::Class::Elf64,
    })
}
impl Resolver {
    pub fn new(sysroot: &Path, library_path: Vec<PathBuf>) -> Result<Resolver, ClosureError> {
        Ok(Resolver {
            sysroot: sysroot.to_path_buf(),
            library_path,
        })
    }
    pub fn closure(&self, roots: &[PathBuf]) -> Result<Closure, ClosureError> {
        let mut c = Closure {
            objects: vec![],
            missing: vec![],
        };
        let mut by_canon: BTreeMap<PathBuf, usize> = BTreeMap::new();
        for r in roots {
            let canon = std::fs::canonicalize(r).unwrap_or(r.clone());
            let mut loaded: BTreeMap<String, usize> = BTreeMap::new();
            let root_i = match by_canon.get(&canon) {
                Some(&i) => i,
                None => {
                    let inf = info(r)?;
                    let i = c.objects.len();
                    c.objects.push(Object {
                        path: r.clone(),
                        canonical: canon.clone(),
                        soname: inf.soname.clone(),
                        root: true,
                        needed: vec![],
                        needed_by: vec![],
                        machine: inf.machine,
                        is_64: inf.is_64,
                    });
                    by_canon.insert(canon, i);
                    i
                }
            };
            c.objects[root_i].root = true;
            let mut q = VecDeque::from([(root_i, vec![])]);
            let mut done = std::collections::BTreeSet::new();
            while let Some((i, chain)) = q.pop_front() {
                if !done.insert(i) {
                    continue;
                }
                let p = c.objects[i].path.clone();
                let inf = info(&p)?;
                let origin = std::fs::canonicalize(&p)
                    .ok()
                    .and_then(|x| x.parent().map(|d| d.to_path_buf()))
                    .unwrap_or_default();
                let exp = |s: &str| {
                    s.split(':')
                        .filter(|x| !x.is_empty())
                        .map(|x| {
                            PathBuf::from(
                                x.replace("$ORIGIN", &origin.display().to_string())
                                    .replace("${ORIGIN}", &origin.display().to_string()),
                            )
                        })
                        .collect::<Vec<_>>()
                };
                let mut chain2: Vec<PathBuf> = chain.clone();
                if let Some(r) = &inf.rpath {
                    chain2.extend(exp(r));
                }
                let mut dirs: Vec<PathBuf> = vec![];
                if inf.runpath.is_none() {
                    dirs.extend(chain2.clone());
                }
                dirs.extend(self.library_path.clone());
                if let Some(r) = &inf.runpath {
                    dirs.extend(exp(r));
                }
                for d in [
                    "/lib/x86_64-linux-gnu",
                    "/usr/lib/x86_64-linux-gnu",
                    "/lib",
                    "/usr/lib",
                ] {
                    dirs.push(self.sysroot.join(d.trim_start_matches('/')));
                }
                let mut needed = vec![];
                for n in &inf.needed {
                    if let Some(&j) = loaded.get(n) {
                        needed.push(Needed {
                            name: n.clone(),
                            object: Some(j),
                            via: Via::AlreadyLoaded,
                        });
                        continue;
                    }
                    let found = dirs
                        .iter()
                        .map(|d| d.join(n))
                        .find(|p| info(p).map(|x| x.machine == inf.machine).unwrap_or(false));
                    match found {
                        None => {
                            c.missing.push(Missing {
                                name: n.clone(),
                                needed_by: p.clone(),
                            });
                            needed.push(Needed {
                                name: n.clone(),
                                object: None,
                                via: Via::Path,
                            });
                        }
                        Some(f) => {
                            let canon = std::fs::canonicalize(&f).unwrap_or(f.clone());
                            let j = match by_canon.get(&canon) {
                                Some(&j) => j,
                                None => {
                                    let x = info(&f)?;
                                    let j = c.objects.len();
                                    c.objects.push(Object {
                                        path: f.clone(),
                                        canonical: canon.clone(),
                                        soname: x.soname,
                                        root: false,
                                        needed: vec![],
                                        needed_by: vec![],
                                        machine: x.machine,
                                        is_64: x.is_64,
                                    });
                                    by_canon.insert(canon, j);
                                    j
                                }
                            };
                            loaded.insert(n.clone(), j);
                            if !c.objects[j].needed_by.contains(&i) {
                                c.objects[j].needed_by.push(i);
                            }
                            needed.push(Needed {
                                name: n.clone(),
                                object: Some(j),
                                via: Via::DefaultDir,
                            });
                            q.push_back((j, chain2.clone()));
                        }
                    }
                }
                if c.objects[i].needed.is_empty() {
                    c.objects[i].needed = needed;
                }
            }
        }
        Ok(c)
    }
}
