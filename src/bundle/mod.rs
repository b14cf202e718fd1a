//! `bundle`: ship a whole program to an older system. The inputs (executables, shared
//! libraries, release trees) and every library they load are resolved as the build
//! machine's loader would ([`crate::closure`]); each library is kept on the target
//! (glibc, the [`policy`] list, a C++ runtime the target's covers) or shipped in `lib/`;
//! every shipped ELF file is lowered to the baseline as `patch` does and given a
//! DT_RUNPATH that reaches what it needs through `$ORIGIN`. The whole tree is written
//! under a temporary name, verified, and only then renamed into place ([`stage`]).
//!
//! Plan, then write: [`plan`] decides everything and reads no more than it must; the plan
//! prints as `--dry-run` and is what [`write`] carries out.

pub mod archive;
mod inputs;
pub mod manylinux;
pub mod policy;
mod runtime;
mod stage;
pub mod wheel;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::baseline::Baseline;
use crate::closure::{Closure, Resolver};
use crate::patch::{Blocker, Plan};

pub use inputs::InputFile;
pub use policy::Keep;
pub use stage::{write, Written};

/// What the user asked for.
#[derive(Clone, Debug)]
pub struct Request {
    /// Executables, shared libraries and directories.
    pub inputs: Vec<PathBuf>,
    /// The bundle's directory.
    pub out: PathBuf,
    /// The target.
    pub baseline: Baseline,
    /// The root the libraries are searched in ("/" for this machine).
    pub sysroot: PathBuf,
    /// Searched first, like LD_LIBRARY_PATH.
    pub library_path: Vec<PathBuf>,
    /// Libraries to ship even though the policy keeps them (shell patterns on the name).
    pub include: Vec<String>,
    /// Libraries to keep on the system even though they would be shipped.
    pub exclude: Vec<String>,
    /// Link polyfills (as `patch` does by default).
    pub polyfill: bool,
    /// Where bundled libraries go and what they are called.
    pub layout: Layout,
}

/// Where a bundle puts the libraries it ships, and under which names.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The directory, relative to the bundle's root, that bundled libraries are copied to.
    pub libs_dir: String,
    /// Give each bundled library a unique soname, `libfoo-<first 8 hex digits of its
    /// sha256>.so.1` (auditwheel's convention), and rename the DT_NEEDED entries that name
    /// it: a library inside a plugin (a Python extension) shares its process with other
    /// plugins' copies, and one soname is loaded once per process.
    pub unique_sonames: bool,
    /// Give every shipped file a RUNPATH to `libs_dir` even when it loads nothing from it
    /// (for what a program dlopens); otherwise only files that load bundled libraries get
    /// one.
    pub runpath_always: bool,
    /// Libraries the target keeps beyond [`policy`]'s (shell patterns on the soname): a
    /// wheel's manylinux whitelist.
    pub also_keep: &'static [&'static str],
}

impl Default for Layout {
    /// A program's tree: libraries in `lib/` under their own names.
    fn default() -> Layout {
        Layout {
            libs_dir: "lib".into(),
            unique_sonames: false,
            runpath_always: true,
            also_keep: &[],
        }
    }
}

impl Request {
    /// Why the target keeps `name`: the policy, or the layout's own list.
    fn keeps(&self, name: &str) -> Option<Keep> {
        policy::keep(name).or_else(|| {
            self.layout
                .also_keep
                .iter()
                .any(|p| policy::matches(p, name))
                .then_some(Keep::Manylinux)
        })
    }
}

/// Why a bundle cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Bad inputs or options.
    #[error("{0}")]
    Usage(String),
    /// A file could not be read.
    #[error(transparent)]
    File(#[from] crate::elf::FileError),
    /// Reading or writing the file system failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// What was being read or written.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The closure could not be resolved.
    #[error(transparent)]
    Closure(#[from] crate::closure::ClosureError),
    /// A library that would have to be shipped is not found.
    #[error("{}", missing_message(.0))]
    Missing(Vec<(String, PathBuf)>),
    /// Requirements nothing can bring within the baseline, per file.
    #[error("{}", blocked_message(.0, .1))]
    Blocked(Vec<(String, Vec<Blocker>)>, Vec<(String, String)>),
    /// A file could not be lowered.
    #[error("{dest}: {source}")]
    Patch {
        /// The file, as in the bundle.
        dest: String,
        /// What went wrong.
        source: crate::patch::PatchError,
    },
    /// The written tree failed verification; nothing was made visible.
    #[error("the bundle failed verification, nothing was written:\n  {}", .0.join("\n  "))]
    Verification(Vec<String>),
}

impl BundleError {
    fn io(path: &Path, source: std::io::Error) -> BundleError {
        BundleError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

fn missing_message(m: &[(String, PathBuf)]) -> String {
    let lines: Vec<String> = m
        .iter()
        .map(|(name, by)| format!("  {name} (needed by {})", by.display()))
        .collect();
    format!(
        "{} librar{} not found (give its directory with --library-path, or --exclude it to leave it to the target):\n{}",
        m.len(),
        if m.len() == 1 { "y" } else { "ies" },
        lines.join("\n")
    )
}

fn blocked_message(b: &[(String, Vec<Blocker>)], refused: &[(String, String)]) -> String {
    let mut out =
        String::from("files that cannot be brought within the target, nothing was written:");
    for (dest, why) in refused {
        out.push_str(&format!("\n  {dest}: {why}"));
    }
    for (dest, blockers) in b {
        for x in blockers {
            out.push_str(&format!(
                "\n  {dest}: {} {} from {}: {}",
                x.symbol.as_deref().unwrap_or("(version)"),
                x.version,
                x.library,
                x.reason
            ));
        }
    }
    out
}

/// Where a file of the bundle comes from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Given on the command line, or part of a tree that was.
    Input,
    /// A library the inputs load, copied in.
    Bundled,
}

/// One file the bundle writes.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BundleFile {
    /// Its path in the bundle, relative, with `/`.
    pub dest: String,
    /// Where it comes from.
    pub origin: Origin,
    /// The file read.
    pub source: PathBuf,
    /// A symbolic link: its target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symlink: Option<PathBuf>,
    /// Size of the source in bytes.
    pub size: u64,
    /// Why it is shipped (for a bundled library: which rule, and who needs it).
    pub why: String,
    /// The files of the bundle that load it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needed_by: Vec<String>,
    /// How it is lowered and linked (an ELF file the loader maps).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// Permission bits.
    pub mode: u32,
}

/// A library the inputs load that stays on the target system.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SystemLibrary {
    /// Its name (the DT_NEEDED entry).
    pub name: String,
    /// Where it was found on the build machine, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<PathBuf>,
    /// Why it stays.
    pub why: String,
    /// The files of the bundle that load it.
    pub needed_by: Vec<String>,
}

/// Everything `bundle` will do, decided before a byte is written.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BundlePlan {
    /// The target, described.
    pub baseline: String,
    /// The bundle's directory.
    pub out: PathBuf,
    /// Every file written, by destination.
    pub files: Vec<BundleFile>,
    /// The libraries left to the target.
    pub system: Vec<SystemLibrary>,
    /// What the C++ runtime decision was based on.
    pub notes: Vec<String>,
    /// Bytes of all files.
    pub total_size: u64,
    /// Bytes of the bundled libraries.
    pub bundled_size: u64,
    /// The baseline every file is lowered to (the target's, with the limits of a
    /// bundled C++ runtime lifted).
    #[serde(skip)]
    pub lowering: Baseline,
    /// The input files, for writing.
    #[serde(skip)]
    pub(crate) polyfill: bool,
}

/// What the closure's objects become.
#[derive(Clone, Debug)]
enum Decision {
    /// One of the inputs (a root, or a library inside an input tree).
    Input(usize),
    /// Copied to this path in the bundle (the layout's directory and the library's name).
    Bundle(String, String),
    /// Left to the target, with the reason.
    System(String),
}

/// Decide everything: resolve, classify, decide the C++ runtime, plan each file's lowering
/// and links. Nothing is written.
pub fn plan(req: &Request) -> Result<BundlePlan, BundleError> {
    if req.inputs.is_empty() {
        return Err(BundleError::Usage("no inputs".into()));
    }
    let files = inputs::collect(&req.inputs)?;
    let roots: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.dynamic_elf && f.symlink.is_none())
        .map(|f| f.source.clone())
        .collect();
    let resolver = Resolver::new(&req.sysroot, req.library_path.clone())?;
    let closure = resolver.closure(&roots)?;
    let by_canonical: BTreeMap<&Path, usize> = files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.symlink.is_none())
        .map(|(i, f)| (f.canonical.as_path(), i))
        .collect();

    let mut decisions = classify(req, &closure, &by_canonical)?;
    let runtime = runtime::decide(req, &closure, &mut decisions)?;
    let shipped = reachable(&closure, &decisions);
    missing(req, &closure, &shipped)?;
    let private = private_versions(req, &closure, &shipped, &decisions)?;
    let lowering = runtime.lowering.clone();
    let mut plan = BundlePlan {
        baseline: req.baseline.describe(),
        out: req.out.clone(),
        files: Vec::new(),
        system: system_libraries(req, &closure, &shipped, &decisions, &files),
        notes: runtime.notes,
        total_size: 0,
        bundled_size: 0,
        lowering,
        polyfill: req.polyfill,
    };
    let shipping = Shipping {
        closure: &closure,
        files: &files,
        shipped: &shipped,
        decisions: &decisions,
        private: &private,
    };
    plan.files = ship(req, &shipping, &plan.lowering)?;
    plan.total_size = plan.files.iter().map(|f| f.size).sum();
    plan.bundled_size = plan
        .files
        .iter()
        .filter(|f| f.origin == Origin::Bundled)
        .map(|f| f.size)
        .sum();
    Ok(plan)
}

/// A first decision per object of the closure (the C++ runtime is decided after).
fn classify(
    req: &Request,
    closure: &Closure,
    by_canonical: &BTreeMap<&Path, usize>,
) -> Result<Vec<Decision>, BundleError> {
    let mut out = Vec::with_capacity(closure.objects.len());
    for (i, obj) in closure.objects.iter().enumerate() {
        if let Some(&input) = by_canonical.get(obj.canonical.as_path()) {
            out.push(Decision::Input(input));
            continue;
        }
        let name = requested_name(closure, i);
        let soname = obj.soname.clone().unwrap_or_else(|| name.clone());
        let included = req
            .include
            .iter()
            .find(|p| policy::matches(p, &name) || policy::matches(p, &soname));
        let excluded = req
            .exclude
            .iter()
            .find(|p| policy::matches(p, &name) || policy::matches(p, &soname));
        let kept = req.keeps(&name).or_else(|| req.keeps(&soname));
        let dest = |name: &str| -> Result<String, BundleError> {
            let file = if req.layout.unique_sonames {
                unique_name(&soname, &obj.canonical)?
            } else {
                name.to_string()
            };
            Ok(format!("{}/{file}", req.layout.libs_dir))
        };
        let d = match (kept, included, excluded) {
            (Some(Keep::Glibc), _, _) => Decision::System(Keep::Glibc.reason().into()),
            (_, _, Some(p)) => Decision::System(format!("--exclude {p}")),
            (Some(k), None, None) => Decision::System(k.reason().into()),
            (Some(_), Some(p), None) => Decision::Bundle(dest(&name)?, format!("--include {p}")),
            (None, _, None) => {
                Decision::Bundle(dest(&name)?, "not part of the target system".into())
            }
        };
        out.push(d);
    }
    Ok(out)
}

/// auditwheel's unique name for a bundled library: `libfoo-<first 8 hex digits of the
/// file's sha256>.so.1` (the hash inserted before the first `.so`).
fn unique_name(soname: &str, file: &Path) -> Result<String, BundleError> {
    let short = short_hash(file)?;
    Ok(match soname.find(".so") {
        Some(at) => format!("{}-{short}{}", &soname[..at], &soname[at..]),
        None => format!("{soname}-{short}"),
    })
}

/// The first 8 hex digits of a file's sha256.
fn short_hash(file: &Path) -> Result<String, BundleError> {
    use sha2::Digest;
    let data = std::fs::read(file).map_err(|e| BundleError::io(file, e))?;
    let hash = sha2::Sha256::digest(&data);
    Ok(hash.iter().take(4).map(|b| format!("{b:02x}")).collect())
}

/// The bundled libraries whose version names become private to their copy, with the tag:
/// those under a unique soname that define a version in a family the manylinux policies
/// cap for the system's library of that name (`GLIBCXX`, `CXXABI`, `GCC`, `ZLIB`, ... on
/// the library's architecture) — a bundled libstdc++, libgcc_s, libz. auditwheel judges
/// every version a wheel's files require by its family alone, whichever library it is
/// required from (`policy/__init__.py`, `versioned_symbols_policy`), so it would count what
/// the extension needs of the wheel's own copy as a need of the system's libstdc++. Under
/// private names (the tag is the copy's hash, as in its soname) those requirements are the
/// copy's alone, for auditwheel and for the loader: two wheels' copies never share a
/// version name, so a versioned reference never binds to another wheel's copy.
fn private_versions(
    req: &Request,
    closure: &Closure,
    shipped: &BTreeSet<usize>,
    decisions: &[Decision],
) -> Result<BTreeMap<usize, String>, BundleError> {
    let mut out = BTreeMap::new();
    if !req.layout.unique_sonames {
        return Ok(out);
    }
    for &i in shipped {
        if !matches!(decisions[i], Decision::Bundle(..)) {
            continue;
        }
        let path = &closure.objects[i].canonical;
        let map = crate::elf::open(path)?;
        let Ok(file) = crate::elf::ElfFile::parse(map.bytes()) else {
            continue;
        };
        let Some(arch) = manylinux::arch_of(&file) else {
            continue;
        };
        let capped = file.dynamic.iter().flat_map(|d| &d.verdef).any(|d| {
            // VER_FLG_BASE: the definition that names the file itself.
            d.flags & 1 == 0
                && d.names.first().is_some_and(|n| {
                    let family = n.split_once('_').map_or(n.as_ref(), |(f, _)| f);
                    crate::abi::manylinux::caps_family(arch, family)
                })
        });
        if capped {
            out.insert(i, short_hash(path)?);
        }
    }
    Ok(out)
}

/// The DT_NEEDED name the object was first asked for by (its file name for a root).
fn requested_name(closure: &Closure, i: usize) -> String {
    for o in &closure.objects {
        for n in &o.needed {
            if n.object == Some(i) {
                return n.name.clone();
            }
        }
    }
    closure.objects[i]
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The objects that ship: the roots, and what shipped objects load, never walking past a
/// library the target keeps (what it loads is the target's business).
fn reachable(closure: &Closure, decisions: &[Decision]) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<usize> = closure
        .objects
        .iter()
        .enumerate()
        .filter(|(_, o)| o.root)
        .map(|(i, _)| i)
        .collect();
    while let Some(i) = todo.pop() {
        if matches!(decisions[i], Decision::System(_)) || !seen.insert(i) {
            continue;
        }
        todo.extend(closure.objects[i].needed.iter().filter_map(|n| n.object));
    }
    seen
}

/// A library a shipped file needs and the build machine does not have is an error,
/// unless the target is to provide it (the policy or `--exclude` keeps it).
fn missing(req: &Request, closure: &Closure, shipped: &BTreeSet<usize>) -> Result<(), BundleError> {
    let shipped_paths: BTreeSet<&Path> = shipped
        .iter()
        .map(|&i| closure.objects[i].path.as_path())
        .collect();
    let mut out = Vec::new();
    for m in &closure.missing {
        if !shipped_paths.contains(m.needed_by.as_path()) {
            continue;
        }
        let kept =
            req.keeps(&m.name).is_some() || req.exclude.iter().any(|p| policy::matches(p, &m.name));
        if !kept {
            out.push((m.name.clone(), m.needed_by.clone()));
        }
    }
    if out.is_empty() {
        Ok(())
    } else {
        Err(BundleError::Missing(out))
    }
}

/// The libraries the shipped files load from the target.
fn system_libraries(
    req: &Request,
    closure: &Closure,
    shipped: &BTreeSet<usize>,
    decisions: &[Decision],
    files: &[InputFile],
) -> Vec<SystemLibrary> {
    let mut by_name: BTreeMap<String, SystemLibrary> = BTreeMap::new();
    for &i in shipped {
        let by = dest_of(i, closure, decisions, files);
        for n in &closure.objects[i].needed {
            let (found, why) = match n.object {
                Some(j) => match &decisions[j] {
                    Decision::System(why) => (Some(closure.objects[j].path.clone()), why.clone()),
                    _ => continue,
                },
                None => (
                    None,
                    format!(
                        "not on the build machine; {}",
                        req.keeps(&n.name).map_or("--exclude", |k| k.reason())
                    ),
                ),
            };
            let e = by_name
                .entry(n.name.clone())
                .or_insert_with(|| SystemLibrary {
                    name: n.name.clone(),
                    found,
                    why,
                    needed_by: Vec::new(),
                });
            if !e.needed_by.contains(&by) {
                e.needed_by.push(by.clone());
            }
        }
    }
    let mut v: Vec<SystemLibrary> = by_name.into_values().collect();
    for s in &mut v {
        s.needed_by.sort();
    }
    v
}

/// An object's path in the bundle.
fn dest_of(i: usize, closure: &Closure, decisions: &[Decision], files: &[InputFile]) -> String {
    match &decisions[i] {
        Decision::Input(k) => files[*k].dest.clone(),
        Decision::Bundle(dest, _) => dest.clone(),
        Decision::System(_) => closure.objects[i].path.display().to_string(),
    }
}

/// What the plan has settled when the files are listed.
struct Shipping<'a> {
    closure: &'a Closure,
    files: &'a [InputFile],
    shipped: &'a BTreeSet<usize>,
    decisions: &'a [Decision],
    /// Per bundled object, the tag of its private version names.
    private: &'a BTreeMap<usize, String>,
}

/// Every file the bundle writes, with its lowering and link plan.
fn ship(
    req: &Request,
    s: &Shipping<'_>,
    lowering: &Baseline,
) -> Result<Vec<BundleFile>, BundleError> {
    let Shipping {
        closure,
        files,
        shipped,
        decisions,
        ..
    } = *s;
    // Which closure object each input file is, and who needs each shipped object.
    let mut object_of_input: BTreeMap<usize, usize> = BTreeMap::new();
    let mut needed_by: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for &i in shipped {
        if let Decision::Input(k) = decisions[i] {
            object_of_input.insert(k, i);
        }
        let by = dest_of(i, closure, decisions, files);
        for j in closure.objects[i].needed.iter().filter_map(|n| n.object) {
            needed_by.entry(j).or_default().insert(by.clone());
        }
    }
    let mut out = Vec::new();
    for (k, f) in files.iter().enumerate() {
        let object = object_of_input.get(&k).copied();
        let link = object.map(|i| link_for(req, &f.dest, i, s));
        let size = if f.symlink.is_some() {
            0
        } else {
            std::fs::metadata(&f.source)
                .map_err(|e| BundleError::io(&f.source, e))?
                .len()
        };
        out.push(BundleFile {
            dest: f.dest.clone(),
            origin: Origin::Input,
            source: f.source.clone(),
            symlink: f.symlink.clone(),
            size,
            why: if object.is_some_and(|i| !closure.objects[i].root) {
                "in an input tree; loaded by the inputs".into()
            } else {
                "input".into()
            },
            needed_by: object
                .and_then(|i| needed_by.get(&i))
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default(),
            // Every ELF input the loader maps is planned (lowered, linked); one the
            // resolver did not reach would be shipped as built, so it is an error.
            plan: match (f.dynamic_elf && f.symlink.is_none(), link) {
                (true, Some(link)) => Some(link_only(link)),
                (true, None) => {
                    return Err(BundleError::Usage(format!(
                        "{}: not resolved as a program or library",
                        f.source.display()
                    )))
                }
                (false, _) => None,
            },
            mode: f.mode,
        });
    }
    let inputs_dests: BTreeSet<String> = files.iter().map(|f| f.dest.clone()).collect();
    for &i in shipped {
        let Decision::Bundle(dest, why) = &decisions[i] else {
            continue;
        };
        let dest = dest.clone();
        if inputs_dests.contains(&dest) {
            return Err(BundleError::Usage(format!(
                "{dest}: both an input and a library {} loads ({})",
                needed_by
                    .get(&i)
                    .map(|s| s.iter().cloned().collect::<Vec<_>>().join(", "))
                    .unwrap_or_default(),
                closure.objects[i].path.display()
            )));
        }
        let obj = &closure.objects[i];
        let meta =
            std::fs::metadata(&obj.canonical).map_err(|e| BundleError::io(&obj.canonical, e))?;
        use std::os::unix::fs::PermissionsExt;
        out.push(BundleFile {
            dest: dest.clone(),
            origin: Origin::Bundled,
            source: obj.canonical.clone(),
            symlink: None,
            size: meta.len(),
            why: why.clone(),
            needed_by: needed_by
                .get(&i)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default(),
            plan: Some(link_only(link_for(req, &dest, i, s))),
            mode: meta.permissions().mode() & 0o755,
        });
        // Asked for under other names too (`libfoo.so` and `libfoo.so.1`): links to it.
        // (With unique sonames every DT_NEEDED that names it is rewritten instead.)
        let (dir, name) = dest.rsplit_once('/').unwrap_or(("", dest.as_str()));
        let aliases = if req.layout.unique_sonames {
            Vec::new()
        } else {
            other_names(closure, shipped, i, name)
        };
        for alias in aliases {
            out.push(BundleFile {
                dest: format!("{dir}/{alias}"),
                origin: Origin::Bundled,
                source: obj.canonical.clone(),
                symlink: Some(PathBuf::from(name)),
                size: 0,
                why: format!("another name of {dest}"),
                needed_by: Vec::new(),
                plan: None,
                mode: 0o777,
            });
        }
    }
    out.sort_by(|a, b| a.dest.cmp(&b.dest));
    for w in out.windows(2) {
        if w[0].dest == w[1].dest {
            return Err(BundleError::Usage(format!(
                "two different libraries would both be {} ({} and {})",
                w[0].dest,
                w[0].source.display(),
                w[1].source.display()
            )));
        }
    }
    lower_all(req, &mut out, lowering)?;
    Ok(out)
}

/// The names other than `name` that shipped files ask for object `i` by.
fn other_names(closure: &Closure, shipped: &BTreeSet<usize>, i: usize, name: &str) -> Vec<String> {
    let mut names: BTreeSet<String> = BTreeSet::new();
    for &j in shipped {
        for n in &closure.objects[j].needed {
            if n.object == Some(i) && n.name != name && !n.name.contains('/') {
                names.insert(n.name.clone());
            }
        }
    }
    names.into_iter().collect()
}

/// A placeholder plan that only carries the link edits, until [`lower_all`] plans the file.
fn link_only(link: crate::patch::LinkEdits) -> Plan {
    let mut p = Plan::empty(String::new(), None);
    p.link = link;
    p
}

/// A shipped file's link edits: its RUNPATH and, with unique sonames, its own soname (a
/// bundled library) and the renamed DT_NEEDED entries of the bundled libraries it loads,
/// and the private version names of those (and its own) that have them.
fn link_for(req: &Request, dest: &str, i: usize, s: &Shipping<'_>) -> crate::patch::LinkEdits {
    let Shipping {
        closure,
        files,
        decisions,
        private,
        ..
    } = *s;
    let mut link = crate::patch::LinkEdits {
        runpath: runpath_for(&req.layout, dest, i, closure, decisions, files),
        ..Default::default()
    };
    if !req.layout.unique_sonames {
        return link;
    }
    let file_name = |d: &str| d.rsplit('/').next().unwrap_or(d).to_string();
    if let Decision::Bundle(own, _) = &decisions[i] {
        link.soname = Some(file_name(own));
        if let Some(tag) = private.get(&i) {
            link.private_versions.push((file_name(own), tag.clone()));
        }
    }
    for n in &closure.objects[i].needed {
        let Some(j) = n.object else { continue };
        if let Decision::Bundle(to, _) = &decisions[j] {
            let new = file_name(to);
            if new != n.name && !link.rename_needed.iter().any(|(old, _)| *old == n.name) {
                link.rename_needed.push((n.name.clone(), new.clone()));
            }
            if let Some(tag) = private.get(&j) {
                let p = (new, tag.clone());
                if !link.private_versions.contains(&p) {
                    link.private_versions.push(p);
                }
            }
        }
    }
    link
}

/// The DT_RUNPATH a shipped file gets: `$ORIGIN` paths to the directory of each shipped
/// library it loads (in DT_NEEDED order), then to `lib/` (where a program's dlopened
/// libraries are found too).
fn runpath_for(
    layout: &Layout,
    dest: &str,
    i: usize,
    closure: &Closure,
    decisions: &[Decision],
    files: &[InputFile],
) -> Option<String> {
    let dir = parent_dir(dest);
    let mut dirs: Vec<String> = Vec::new();
    for j in closure.objects[i].needed.iter().filter_map(|n| n.object) {
        if matches!(decisions[j], Decision::System(_)) {
            continue;
        }
        let d = parent_dir(&dest_of(j, closure, decisions, files)).to_string();
        if !dirs.contains(&d) {
            dirs.push(d);
        }
    }
    if layout.runpath_always && !dirs.contains(&layout.libs_dir) {
        dirs.push(layout.libs_dir.clone());
    }
    if dirs.is_empty() {
        return None;
    }
    Some(
        dirs.iter()
            .map(|d| origin_path(dir, d))
            .collect::<Vec<_>>()
            .join(":"),
    )
}

fn parent_dir(dest: &str) -> &str {
    dest.rsplit_once('/').map_or("", |(d, _)| d)
}

/// `$ORIGIN`-relative path from directory `from` to directory `to` (both relative to the
/// bundle's root, `/`-separated).
fn origin_path(from: &str, to: &str) -> String {
    let a: Vec<&str> = from.split('/').filter(|s| !s.is_empty()).collect();
    let b: Vec<&str> = to.split('/').filter(|s| !s.is_empty()).collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts = vec!["$ORIGIN".to_string()];
    parts.extend(std::iter::repeat_n("..".to_string(), a.len() - common));
    parts.extend(b[common..].iter().map(|s| s.to_string()));
    parts.join("/")
}

/// Plan the lowering of every shipped ELF file, in parallel; blockers anywhere stop the
/// bundle with all of them named.
fn lower_all(
    req: &Request,
    files: &mut [BundleFile],
    lowering: &Baseline,
) -> Result<(), BundleError> {
    use rayon::prelude::*;
    let opts = crate::patch::Options {
        allow_blockers: true,
        polyfill: req.polyfill,
        verify_in_memory: false,
    };
    type Planned = Result<Result<Option<Plan>, String>, BundleError>;
    let results: Vec<Planned> = files
        .par_iter()
        .map(|f| {
            let Some(mut link) = f.plan.as_ref().map(|p| p.link.clone()) else {
                return Ok(Ok(None));
            };
            let data = std::fs::read(&f.source).map_err(|e| BundleError::io(&f.source, e))?;
            let prepared = match crate::patch::prepare(&data, lowering, &opts) {
                Ok(p) => p,
                Err(crate::patch::PatchError::Io(e)) => return Err(BundleError::io(&f.source, e)),
                // Not plannable: named with the rest, below.
                Err(e) => return Ok(Err(e.to_string())),
            };
            let mut plan = prepared.plan;
            // A RUNPATH the file already has is left as it is (a bundle of a bundle
            // changes nothing).
            if current_runpath(&data).as_deref() == link.runpath.as_deref() {
                link.runpath = None;
            }
            plan.link = link;
            Ok(Ok(Some(plan)))
        })
        .collect();
    let mut blocked = Vec::new();
    let mut refused = Vec::new();
    for (f, r) in files.iter_mut().zip(results) {
        f.plan = match r? {
            Ok(p) => p,
            Err(why) => {
                refused.push((f.dest.clone(), why));
                None
            }
        };
        if let Some(p) = &f.plan {
            if !p.blockers.is_empty() {
                blocked.push((f.dest.clone(), p.blockers.clone()));
            }
        }
    }
    if blocked.is_empty() && refused.is_empty() {
        Ok(())
    } else {
        Err(BundleError::Blocked(blocked, refused))
    }
}

/// The file's DT_RUNPATH when it has no DT_RPATH (what a new DT_RUNPATH would replace).
fn current_runpath(data: &[u8]) -> Option<String> {
    let file = crate::elf::ElfFile::parse(data).ok()?;
    let d = file.dynamic.as_ref()?;
    if d.rpath.is_some() {
        return None;
    }
    d.runpath.as_ref().map(|r| r.to_string())
}

/// `check --closure` and `report --closure`: the inputs (files, or trees walked) followed by
/// every library their closure loads that would ship with them — everything but glibc's
/// own and the libraries the policy leaves to the target — so a CI gate judges what will
/// ship, not only the top-level binaries. A library that is not found is an error.
pub fn closure_files(
    paths: &[PathBuf],
    sysroot: &Path,
    library_path: Vec<PathBuf>,
) -> Result<Vec<PathBuf>, BundleError> {
    let files = inputs::collect(paths)?;
    let roots: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.dynamic_elf && f.symlink.is_none())
        .map(|f| f.source.clone())
        .collect();
    let closure = Resolver::new(sysroot, library_path)?.closure(&roots)?;
    let kept = |o: &crate::closure::Object| {
        let name = o.path.file_name().map(|n| n.to_string_lossy().into_owned());
        [o.soname.clone(), name]
            .into_iter()
            .flatten()
            .any(|n| policy::keep(&n).is_some())
    };
    let mut missing: Vec<(String, PathBuf)> = closure
        .missing
        .iter()
        .filter(|m| policy::keep(&m.name).is_none())
        .map(|m| (m.name.clone(), m.needed_by.clone()))
        .collect();
    missing.dedup();
    if !missing.is_empty() {
        return Err(BundleError::Missing(missing));
    }
    let inputs: BTreeSet<&Path> = files.iter().map(|f| f.canonical.as_path()).collect();
    let mut libs: Vec<PathBuf> = closure
        .objects
        .iter()
        .filter(|o| !o.root && !kept(o) && !inputs.contains(o.canonical.as_path()))
        .map(|o| o.path.clone())
        .collect();
    libs.sort();
    libs.dedup();
    let mut out: Vec<PathBuf> = paths.to_vec();
    out.extend(libs);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_paths() {
        assert_eq!(origin_path("bin", "lib"), "$ORIGIN/../lib");
        assert_eq!(origin_path("lib", "lib"), "$ORIGIN");
        assert_eq!(origin_path("", "lib"), "$ORIGIN/lib");
        assert_eq!(
            origin_path("usr/lib/app/plugins", "lib"),
            "$ORIGIN/../../../../lib"
        );
        assert_eq!(origin_path("opt/app/bin", "opt/app/lib"), "$ORIGIN/../lib");
    }
}
