//! The plan: a pure decision, from (binary, baseline, ABI data), of what to change.
//! Nothing here writes; `--dry-run` prints exactly this.

use crate::abi::{self, Target};
use crate::baseline::Baseline;
use crate::check::{self, Fix, DT_RELR_MARKER};
use crate::elf::{ElfFile, Linkage};
use crate::versym::{Family, Requirements, VersionName};

use super::limits::Limits;
use super::{lookup, renames};

/// How one symbol is brought within the baseline.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum How {
    /// Same symbol, same library, older version.
    Repoint,
    /// Same symbol, the library that held it at the baseline (before the 2.34 merge).
    MoveLibrary,
    /// An older symbol with the same ABI, from the rename table.
    Rename,
    /// A weak reference with no older version: made unversioned, so an old glibc leaves
    /// it NULL (which code using a weak reference must handle) and a new one still binds it.
    Unversion,
    /// No older version exists: elfcompat links its own implementation (`polyfill/`)
    /// into the binary and binds the reference to it.
    Polyfill,
    /// The version is within the baseline, but a newer glibc header gave the function
    /// arguments the older release refuses (`wrappers`): elfcompat links a wrapper that
    /// supplies the newer answers and binds the reference to it.
    Wrap,
}

/// One polyfill the plan links in.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PolyfillUse {
    /// The glibc symbol it implements.
    pub symbol: String,
    /// Bytes of code and data it adds with what it reaches (its GOT slots included).
    pub size: u64,
    /// A COPY-relocated object of a non-PIE executable: its copy in the executable becomes
    /// the object itself (the COPY relocation is removed; it starts as 0).
    pub copy_relocated: bool,
    /// A wrapper of a function the baseline has (`How::Wrap`), not a polyfill.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub wrapper: bool,
    /// The version the binary requires (`GLIBC_2.25`): it picks the polyfill of that
    /// version's meaning where glibc changed it (`polyfill::polyfill_symbol`).
    #[serde(skip)]
    pub required: String,
}

impl PolyfillUse {
    /// Its symbol in the polyfill object.
    pub fn object_symbol(&self) -> String {
        match self.wrapper {
            true => crate::polyfill::object_symbol(&self.symbol, true),
            false => crate::polyfill::polyfill_symbol(&self.symbol, &self.required),
        }
    }
}

/// A glibc function a polyfill calls, imported at a version the baseline has.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PolyfillImport {
    /// The glibc symbol.
    pub symbol: String,
    /// Its library.
    pub library: String,
    /// The version bound to.
    pub version: String,
}

/// Choices that change what a plan may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanOptions {
    /// Link polyfills for symbols with no older version (`--polyfill=none` turns it off).
    pub polyfill: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions { polyfill: true }
    }
}

/// One symbol's change.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SymbolChange {
    /// Index in `.dynsym`.
    pub dynsym_index: usize,
    /// The symbol as the binary names it now.
    pub symbol: String,
    /// The library and version it requires now.
    pub from_library: String,
    /// The version it requires now.
    pub from_version: String,
    /// The symbol name afterwards (differs only for renames).
    pub to_symbol: String,
    /// The library afterwards.
    pub to_library: String,
    /// The version afterwards.
    pub to_version: String,
    /// Which kind of fix.
    pub how: How,
}

/// A requirement that cannot be brought within the baseline.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Blocker {
    /// The symbol, if one uses it.
    pub symbol: Option<String>,
    /// The library.
    pub library: String,
    /// The version.
    pub version: String,
    /// Why nothing can fix it.
    pub reason: String,
    /// The soname whose newer copy, shipped with the program (`elfcompat bundle`),
    /// satisfies the requirement: `libstdc++.so.6` or `libgcc_s.so.1` for a C++ runtime
    /// requirement the target's library lacks; None for every other blocker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
}

/// A requirement (library, version) the plan adds or removes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct VersionRef {
    /// The library's soname.
    pub library: String,
    /// The version name.
    pub version: String,
}

/// Everything a patch will do, decided before a byte is written.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Plan {
    /// The baseline, described.
    pub baseline: String,
    /// The ABI database target used.
    pub target: Option<&'static str>,
    /// Per-symbol changes, in `.dynsym` order.
    pub changes: Vec<SymbolChange>,
    /// Version requirements no symbol will use any more: removed.
    pub drop_versions: Vec<VersionRef>,
    /// Version requirements the changes need that the file does not have yet.
    pub add_versions: Vec<VersionRef>,
    /// Libraries to add to DT_NEEDED.
    pub add_needed: Vec<String>,
    /// Inject the startup shim (`__libc_start_main` lowered below 2.34 in an executable).
    pub startup_shim: bool,
    /// Expand DT_RELR into ordinary relative relocations (baseline below 2.36).
    pub expand_relr: bool,
    /// Polyfills linked in, and the glibc functions they import.
    pub polyfills: Vec<PolyfillUse>,
    /// What the polyfills import, at baseline versions.
    pub polyfill_imports: Vec<PolyfillImport>,
    /// Requirements nothing can fix.
    pub blockers: Vec<Blocker>,
    /// Semantic differences the user should know about.
    pub notes: Vec<String>,
    /// Edits of the entries the loader searches with (`bundle`; `patch` makes none).
    #[serde(skip_serializing_if = "LinkEdits::is_empty")]
    pub link: LinkEdits,
}

/// Edits of the dynamic section's search entries: what `bundle` changes so a program finds
/// the libraries shipped with it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LinkEdits {
    /// Replace every DT_RPATH and DT_RUNPATH with one DT_RUNPATH of this value (an empty
    /// value removes them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runpath: Option<String>,
    /// Set DT_SONAME.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soname: Option<String>,
    /// Rename DT_NEEDED entries (and the verneed file that names the same library): (old, new).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rename_needed: Vec<(String, String)>,
    /// Libraries whose version names become private to them: (the library's soname, as
    /// the edited file names it after `rename_needed`, and its tag). The library itself
    /// (when `soname` is that name) renames its version definitions, every other file its
    /// requirements of that library, each name by [`private_version`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub private_versions: Vec<(String, String)>,
}

impl LinkEdits {
    /// Whether nothing is edited.
    pub fn is_empty(&self) -> bool {
        self.runpath.is_none()
            && self.soname.is_none()
            && self.rename_needed.is_empty()
            && self.private_versions.is_empty()
    }
}

/// A version name made private to one copy of a library: `-TAG` inserted before the first
/// `_` (appended when there is none), so `GLIBCXX_3.4.30` becomes `GLIBCXX-1a2b3c4d_3.4.30`.
/// The numbers stay readable, and the family auditwheel judges a name by (the part before
/// the first `_`) is the copy's own, never the system library's `GLIBCXX`. A name that
/// already carries the tag is left as it is.
pub fn private_version(name: &str, tag: &str) -> String {
    let (family, rest) = match name.find('_') {
        Some(at) => name.split_at(at),
        None => (name, ""),
    };
    if family.ends_with(&format!("-{tag}")) {
        return name.to_string();
    }
    format!("{family}-{tag}{rest}")
}

impl Plan {
    /// A plan that changes nothing.
    pub fn empty(baseline: String, target: Option<&'static str>) -> Plan {
        Plan {
            baseline,
            target,
            changes: Vec::new(),
            drop_versions: Vec::new(),
            add_versions: Vec::new(),
            add_needed: Vec::new(),
            startup_shim: false,
            expand_relr: false,
            polyfills: Vec::new(),
            polyfill_imports: Vec::new(),
            blockers: Vec::new(),
            notes: Vec::new(),
            link: LinkEdits::default(),
        }
    }

    /// Whether the plan changes nothing (the file already satisfies the baseline).
    pub fn is_noop(&self) -> bool {
        self.changes.is_empty()
            && self.drop_versions.is_empty()
            && self.add_versions.is_empty()
            && self.add_needed.is_empty()
            && !self.startup_shim
            && !self.expand_relr
            && self.polyfills.is_empty()
            && self.link.is_empty()
    }
}

/// Why a file cannot be planned at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// Static binaries have no version requirements to rewrite.
    #[error("statically linked: nothing for the loader to check, nothing to patch")]
    Static,
    /// No dynamic section.
    #[error("no dynamic section")]
    NoDynamic,
}

/// Notes for symbols whose older version behaves differently in a way a user may notice.
fn semantic_note(symbol: &str, to_version: &str) -> Option<String> {
    Some(match symbol {
        "memcpy" => format!("memcpy@{to_version} is glibc's old memcpy, which behaves like memmove (overlap-safe): same results"),
        "pow" | "exp" | "log" | "exp2" | "log2" | "powf" | "expf" | "logf" | "exp2f" | "log2f" => format!(
            "{symbol}@{to_version} is the pre-2.29 wrapper that also supports the obsolete SVID matherr error handling; results and errno are the same for programs that do not define matherr"
        ),
        "glob" | "glob64" => format!("{symbol}@{to_version} predates 2.27's handling of dangling symlinks with GLOB_ONLYDIR/GLOB_ALTDIRFUNC"),
        "cfsetospeed" | "cfsetispeed" | "cfsetspeed" => format!("{symbol} is elfcompat's implementation of glibc 2.42's (baud numbers, not the older CBAUD codes); a rate without a CBAUD code fails with EINVAL, since an older tcsetattr cannot carry it (2.42 would set it through termios2)"),
        "thrd_sleep" | "epoll_pwait2" => format!("{symbol} is polyfilled by its system call; glibc's is also a thread cancellation point (pthread_cancel), the polyfill's is not"),
        "thrd_create" => "thrd_create is polyfilled over pthread_create with a 16-byte start record from malloc (freed when the thread starts): results are glibc's, and a failed allocation is thrd_nomem, as a failed pthread_create is".to_string(),
        "__cxa_thread_atexit_impl" => "__cxa_thread_atexit_impl (C++ thread_local destructors) is polyfilled over a pthread key and one __cxa_atexit handler: destructors run newest first at thread exit and, for the thread calling exit(), from exit(); at thread exit they run among the other pthread key destructors instead of before them, at exit() after atexit handlers registered after the first thread_local destructor; a dlclosed library with pending destructors stays loaded through a dlopen(RTLD_NOLOAD) reference (glibc: a count on its link map) and is unloaded right after its last one runs (glibc: at the next dlclose)".to_string(),
        "pthread_cond_clockwait" | "pthread_mutex_clocklock" | "pthread_rwlock_clockrdlock" | "pthread_rwlock_clockwrlock" | "sem_clockwait" | "pthread_clockjoin_np" => format!("{symbol} is polyfilled over the older timed function (CLOCK_REALTIME and CLOCK_MONOTONIC; EINVAL for other clocks, as glibc): a CLOCK_MONOTONIC deadline is converted to the other clock once on entry, so if the realtime clock is set during the wait, the wait ends early or late by that jump (glibc's does not)"),
        "mallinfo2" => "mallinfo2 is polyfilled from mallinfo: its counters are exact up to 4 GiB each and wrap beyond (mallinfo's fields are int)".to_string(),
        "__libc_start_main" => "__libc_start_main lowered below 2.34: a startup shim runs DT_INIT and DT_INIT_ARRAY exactly once, since the old function runs the executable's constructors only through its init argument".to_string(),
        // elfcompat's own code (a polyfill has no version to point at).
        _ if to_version.is_empty() => return super::polyfill_notes::note(symbol),
        _ => return None,
    })
}

/// Link elfcompat's own code for an import (a polyfill, or with `How::Wrap` a wrapper):
/// the change that binds the binary's symbol to it, and the code to link.
fn link_own(
    plan: &mut Plan,
    imp: &crate::versym::ImportedSymbol<'_>,
    library: &str,
    version: &VersionName,
    how: How,
) {
    plan.changes.push(SymbolChange {
        dynsym_index: imp.dynsym_index,
        symbol: imp.name.to_string(),
        from_library: library.to_string(),
        from_version: version.as_str().to_string(),
        to_symbol: imp.name.to_string(),
        to_library: String::new(),
        to_version: String::new(),
        how: how.clone(),
    });
    plan.polyfills.push(PolyfillUse {
        symbol: imp.name.to_string(),
        size: 0,
        copy_relocated: imp.copy_relocated,
        wrapper: how == How::Wrap,
        required: version.as_str().to_string(),
    });
}

/// Bind imported functions that a newer header extended to elfcompat's wrappers
/// (`wrappers`), when lowering below that release. A binary being lowered that needs that
/// release or a later one was built against headers at least that new and is wrapped
/// whenever it imports the function, since the use cannot always be seen (a computed
/// argument) and the wrapper changes no answer the older glibc gives; any other binary only
/// where its code shows the use (`seen`).
fn wrap_functions(
    plan: &mut Plan,
    req: &Requirements,
    machine: u16,
    baseline: &Baseline,
    polyfill_arch: Option<crate::polyfill::Arch>,
    seen: &[crate::silent::SeenUse],
    exceeds: &dyn Fn(&VersionName) -> bool,
) {
    // Seen uses nothing handles yet: refused, with the reason.
    for u in seen {
        if let crate::silent::Remedy::Refuse(reason) = u.remedy {
            let imp = req.imports.iter().find(|i| i.name == u.symbol);
            plan.blockers.push(Blocker {
                symbol: Some(u.symbol.clone()),
                library: imp
                    .and_then(|i| i.library.as_deref())
                    .unwrap_or_default()
                    .to_string(),
                version: imp
                    .and_then(|i| i.version.as_ref())
                    .map(|v| v.as_str().to_string())
                    .unwrap_or_default(),
                reason: match u.address {
                    0 => format!("{}: {reason}", u.what),
                    at => format!("{} (seen at {at:#x}): {reason}", u.what),
                },
                bundle: None,
            });
        }
    }
    let relr = req
        .version_requirements()
        .any(|(_, vr)| vr.name.as_str() == DT_RELR_MARKER && exceeds(&vr.name));
    let lowering = !plan.changes.is_empty() || relr;
    // Only headers at least as new as a release pass a function what it extended.
    let newest = req.newest_glibc();
    for imp in &req.imports {
        let (Some(lib), Some(ver)) = (&imp.library, &imp.version) else {
            continue;
        };
        let Some(w) = super::wrappers::wrapper_for(&imp.name, lib, machine, baseline.glibc) else {
            continue;
        };
        if exceeds(ver)
            || imp.copy_relocated
            || !matches!(
                imp.kind,
                crate::versym::SymbolKind::Function | crate::versym::SymbolKind::Other
            )
            || plan
                .changes
                .iter()
                .any(|c| c.dynsym_index == imp.dynsym_index)
        {
            continue;
        }
        let uses: Vec<&crate::silent::SeenUse> = seen
            .iter()
            .filter(|u| u.symbol == imp.name && u.remedy == crate::silent::Remedy::Wrap)
            .collect();
        let built_with = lowering && newest.is_some_and(|v| v >= w.since);
        if !built_with && uses.is_empty() {
            continue;
        }
        match polyfill_arch.filter(|a| crate::polyfill::wraps(*a, &imp.name)) {
            Some(_) => {
                link_own(plan, imp, lib, ver, How::Wrap);
                plan.notes.push(w.why.to_string());
            }
            None if !uses.is_empty() => plan.blockers.push(Blocker {
                symbol: Some(imp.name.to_string()),
                library: lib.to_string(),
                version: ver.as_str().to_string(),
                reason: format!(
                    "{} needs glibc {}'s meaning, and elfcompat has no wrapper for this \
                     architecture (or --polyfill=none)",
                    uses[0].what, w.since
                ),
                bundle: None,
            }),
            // Built against headers that pass the function what only the newer release
            // understands, on an architecture whose code the scanner cannot read: the use
            // cannot be ruled out, and nothing fixes it. (With --polyfill=none, which links
            // no code at all, the user's choice: a note.)
            None if built_with
                && polyfill_arch.is_some()
                && !crate::silent::reads_code_of(machine) =>
            {
                plan.blockers.push(Blocker {
                    symbol: Some(imp.name.to_string()),
                    library: lib.to_string(),
                    version: ver.as_str().to_string(),
                    reason: format!(
                        "built against glibc {}'s headers or newer, which give {} a meaning \
                         older releases lack; elfcompat has no wrapper for it on this \
                         architecture and cannot read its code to rule the use out",
                        w.since, imp.name
                    ),
                    bundle: None,
                })
            }
            None => plan.notes.push(format!(
                "{} is not wrapped (no wrapper for this architecture, or --polyfill=none): {}",
                imp.name, w.why
            )),
        }
    }
}

/// Decide what to change so that `file` needs nothing above `baseline` (polyfills allowed).
pub fn plan(file: &ElfFile<'_>, baseline: &Baseline) -> Result<Plan, PlanError> {
    plan_with(file, baseline, &PlanOptions::default())
}

/// [`plan`] with options.
pub fn plan_with(
    file: &ElfFile<'_>,
    baseline: &Baseline,
    opts: &PlanOptions,
) -> Result<Plan, PlanError> {
    plan_for(file, &Requirements::of_imports(file), baseline, opts)
}

/// [`plan_with`] on the file's requirement model, already built (`check` and `report`
/// have one): the answer every command gives about what can be fixed.
pub fn plan_for(
    file: &ElfFile<'_>,
    req: &Requirements,
    baseline: &Baseline,
    opts: &PlanOptions,
) -> Result<Plan, PlanError> {
    let seen = crate::silent::seen_uses(file, req, baseline.glibc);
    plan_seen(file, req, baseline, opts, &seen)
}

/// [`plan_for`] with the calls `silent::seen_uses` found in the file's code, already
/// scanned (`check` needs them too, and the scan reads all of the code).
pub fn plan_seen(
    file: &ElfFile<'_>,
    req: &Requirements,
    baseline: &Baseline,
    opts: &PlanOptions,
    seen: &[crate::silent::SeenUse],
) -> Result<Plan, PlanError> {
    let notes = crate::silent::file_notes(file, req, baseline.glibc, seen);
    plan_noted(file, req, baseline, opts, seen, notes)
}

/// [`plan_seen`] with the file's `silent::file_notes` too, already made (`check` shows
/// them without a plan as well, and they read all of the file's read-only bytes).
pub fn plan_noted(
    file: &ElfFile<'_>,
    req: &Requirements,
    baseline: &Baseline,
    opts: &PlanOptions,
    seen: &[crate::silent::SeenUse],
    file_notes: Vec<String>,
) -> Result<Plan, PlanError> {
    match file.linkage() {
        Linkage::Static | Linkage::StaticPie => return Err(PlanError::Static),
        _ => {}
    }
    if file.dynamic.is_none() {
        return Err(PlanError::NoDynamic);
    }
    let target = crate::report::target_of_file(file);
    let limits = Limits::of(file);
    let arch = match &limits.polyfills {
        Ok(a) if opts.polyfill => Some(*a),
        _ => None,
    };
    let mut plan = plan_requirements(
        req,
        target,
        file.class == crate::elf::Class::Elf64,
        file.linkage(),
        file.machine,
        baseline,
        arch,
        seen,
        &limits,
    );
    plan.notes.extend(file_notes);
    Ok(plan)
}

/// The pure core of [`plan`], on an already built requirement model and what the writer
/// can do to the file ([`Limits`]: a fix that needs a step the file lacks is a blocker).
#[allow(clippy::too_many_arguments)]
pub fn plan_requirements(
    req: &Requirements,
    target: Option<Target>,
    is_64bit: bool,
    linkage: Linkage,
    machine: u16,
    baseline: &Baseline,
    polyfill_arch: Option<crate::polyfill::Arch>,
    seen: &[crate::silent::SeenUse],
    limits: &Limits,
) -> Plan {
    let db = abi::db();
    let mut plan = Plan::empty(baseline.describe(), target.map(|t| t.name()));
    let exceeds = |v: &VersionName| check::exceeds(baseline, v);
    let below_first_glibc = target.is_some_and(|t| baseline.glibc < t.base_version());

    // Per-symbol decisions.
    for imp in &req.imports {
        let (Some(lib), Some(ver)) = (&imp.library, &imp.version) else {
            continue;
        };
        if !exceeds(ver) {
            continue;
        }
        let blocker = |reason: String| Blocker {
            symbol: Some(imp.name.to_string()),
            library: lib.to_string(),
            version: ver.as_str().to_string(),
            reason,
            bundle: None,
        };
        // The change of meaning a reference predates (totalorder@2.25 takes values): the
        // polyfill of the reference's own meaning is picked by `polyfill::provides_at`, and
        // where only the newer meaning has one, the blocker says why.
        let older_meaning = ver
            .glibc_triple()
            .and_then(|(a, b, c)| {
                check::changed::predates(&imp.name, abi::GlibcVersion::new(a, b, c))
            })
            .filter(|_| polyfill_arch.is_some_and(|a| crate::polyfill::provides(a, &imp.name)));
        // A C++ runtime requirement above the target's library (exceeds() only says so
        // when the baseline knows that library's limit).
        if let (Some(cxx_lib), Some(limit)) = (
            abi::cxx::CxxLib::of_family(ver.family()),
            baseline.limit(ver.family()),
        ) {
            match super::cxx::fix(target, cxx_lib, &imp.name, ver, &limit) {
                super::cxx::CxxFix::Repoint { version, note } => {
                    plan.changes.push(SymbolChange {
                        dynsym_index: imp.dynsym_index,
                        symbol: imp.name.to_string(),
                        from_library: lib.to_string(),
                        from_version: ver.as_str().to_string(),
                        to_symbol: imp.name.to_string(),
                        to_library: lib.to_string(),
                        to_version: version.as_str().to_string(),
                        how: How::Repoint,
                    });
                    plan.notes.push(note.to_string());
                }
                super::cxx::CxxFix::Bundle { reason } => plan.blockers.push(Blocker {
                    bundle: Some(cxx_lib.soname().to_string()),
                    ..blocker(reason)
                }),
            }
            continue;
        }
        if ver.family() != Family::Glibc {
            plan.blockers
                .push(blocker(lookup::family_reason(ver.family())));
            continue;
        }
        if imp.copy_relocated {
            // A COPY-relocated object's size is fixed in the executable: only a version
            // with the same size could be used, which the database cannot promise.
            let fix = lookup::glibc_fix(db, target, &imp.name, lib, ver, baseline.glibc);
            let polyfilled = polyfill_arch
                .is_some_and(|a| crate::polyfill::provides_at(a, &imp.name, ver.as_str()));
            if !matches!(fix, Fix::Repoint { .. }) && polyfilled && !below_first_glibc {
                link_own(&mut plan, imp, lib, ver, How::Polyfill);
                continue;
            }
            if !matches!(fix, Fix::Repoint { .. }) {
                plan.blockers.push(blocker(format!(
                    "copy-relocated object: {}",
                    fix.describe()
                )));
                continue;
            }
        }
        let fix = lookup::glibc_fix(db, target, &imp.name, lib, ver, baseline.glibc);
        let change =
            |to_symbol: &str, to_library: &str, to_version: String, how: How| SymbolChange {
                dynsym_index: imp.dynsym_index,
                symbol: imp.name.to_string(),
                from_library: lib.to_string(),
                from_version: ver.as_str().to_string(),
                to_symbol: to_symbol.to_string(),
                to_library: to_library.to_string(),
                to_version,
                how,
            };
        match fix {
            // A re-point the file's own contents forbid (`silent`): a blocker, below.
            Fix::Repoint { .. }
                if seen.iter().any(|u| {
                    u.symbol == imp.name && matches!(u.remedy, crate::silent::Remedy::Refuse(_))
                }) => {}
            Fix::Repoint { version } => {
                plan.changes
                    .push(change(&imp.name, lib, version, How::Repoint));
            }
            Fix::MoveLibrary { library, version } => {
                plan.changes
                    .push(change(&imp.name, &library, version, How::MoveLibrary));
            }
            // A baseline older than the architecture's first glibc: nothing runs there, so
            // nothing is renamed, polyfilled or unversioned for it.
            Fix::Blocker { reason } if below_first_glibc => plan.blockers.push(blocker(reason)),
            Fix::Blocker { .. }
                if imp.binding == crate::versym::SymbolBinding::Weak && !imp.copy_relocated =>
            {
                plan.changes
                    .push(change(&imp.name, "", String::new(), How::Unversion));
            }
            Fix::Blocker { reason } => {
                let renamed = renames::equivalent(&imp.name, is_64bit, machine).and_then(|r| {
                    let t = target?;
                    let sv = db.newest_at_or_below(t, &r.to, None, baseline.glibc)?;
                    // The older symbol's version must mean what the reference means
                    // (totalorderf64@2.31 takes pointers; totalorder@2.25 takes values).
                    let (a, b, c) = ver.glibc_triple()?;
                    let required = abi::GlibcVersion::new(a, b, c);
                    if check::changed::changed_between(&r.to, sv.version, required).is_some() {
                        return None;
                    }
                    // glibc's own library importing from libc what it defined itself at
                    // the baseline (libresolv's res_hnok -> __res_hnok): the loader does
                    // not look the file up under its own soname, so nothing would define it.
                    let own = req
                        .defined_versions
                        .iter()
                        .any(|d| d.base && d.name.as_str() == sv.lib.soname(t));
                    if own {
                        return None;
                    }
                    Some((r, sv.lib.soname(t).to_string(), sv.version.tag()))
                });
                // An approximate rename gives way to an exact polyfill.
                let exact_polyfill = polyfill_arch
                    .is_some_and(|a| crate::polyfill::provides_at(a, &imp.name, ver.as_str()));
                let renamed = renamed.filter(|(r, _, _)| !(r.approximate() && exact_polyfill));
                match renamed {
                    Some((rule, library, version)) => {
                        plan.notes
                            .push(format!("{} -> {}: {}", imp.name, rule.to, rule.why));
                        if let Some(n) = semantic_note(&rule.to, &version) {
                            plan.notes.push(n);
                        }
                        plan.changes
                            .push(change(&rule.to, &library, version, How::Rename));
                    }
                    None => match polyfill_arch {
                        Some(a) if crate::polyfill::provides_at(a, &imp.name, ver.as_str()) => {
                            link_own(&mut plan, imp, lib, ver, How::Polyfill);
                        }
                        _ => plan.blockers.push(blocker(match older_meaning {
                            Some(ch) => format!(
                                "{reason}; elfcompat's polyfill has glibc {}'s meaning, which this \
                                 older version lacks: {}",
                                ch.since, ch.why
                            ),
                            None => reason,
                        })),
                    },
                }
            }
            Fix::DropUnused
            | Fix::Bundle { .. }
            | Fix::ExpandRelr
            | Fix::Polyfill
            | Fix::Unversion
            | Fix::Rename { .. }
            | Fix::Wrap { .. } => {}
        }
    }

    // Without room to grow, only what the file already requires can be pointed at.
    if let Err(why) = &limits.grow {
        let existing: Vec<(&str, &str)> = req
            .version_requirements()
            .map(|(l, v)| (&*l.soname, v.name.as_str()))
            .collect();
        let (kept, grown): (Vec<SymbolChange>, Vec<SymbolChange>) =
            std::mem::take(&mut plan.changes)
                .into_iter()
                .partition(|c| {
                    c.how == How::Unversion
                        || (c.to_symbol == c.symbol
                            && c.how != How::Polyfill
                            && existing.contains(&(c.to_library.as_str(), c.to_version.as_str())))
                });
        plan.changes = kept;
        for c in grown {
            // A newer C++ runtime shipped with the program needs no rewrite.
            let bundle = abi::cxx::CxxLib::of_family(VersionName::parse(&c.from_version).family())
                .map(|l| l.soname().to_string());
            plan.polyfills.retain(|p| p.symbol != c.symbol);
            let fix = match c.how {
                How::Polyfill => "linking its polyfill".to_string(),
                How::Rename => format!("renaming it to {}@{}", c.to_symbol, c.to_version),
                _ => format!(
                    "taking {} from {}, a requirement the file does not have yet",
                    c.to_version, c.to_library
                ),
            };
            plan.blockers.push(Blocker {
                symbol: Some(c.symbol),
                library: c.from_library,
                version: c.from_version,
                reason: format!("the fix ({fix}) means {why}"),
                bundle,
            });
        }
    }

    wrap_functions(
        &mut plan,
        req,
        machine,
        baseline,
        polyfill_arch,
        seen,
        &exceeds,
    );

    // Polyfills: each one's size, and the glibc functions they call at baseline versions.
    // A polyfill whose own imports the baseline lacks is a blocker after all.
    if let (Some(arch), Some(t)) = (polyfill_arch, target) {
        let mut unusable: Vec<(String, String)> = Vec::new();
        for pf in plan.polyfills.iter_mut().filter(|p| !p.copy_relocated) {
            match crate::polyfill::need(arch, &[pf.object_symbol()]) {
                Ok(need) => {
                    pf.size = need.size;
                    for import in need.imports {
                        match db.newest_at_or_below(t, &import, None, baseline.glibc) {
                            Some(sv) => {
                                let pi = PolyfillImport {
                                    symbol: import.clone(),
                                    library: sv.lib.soname(t).to_string(),
                                    version: sv.version.tag(),
                                };
                                if !plan.polyfill_imports.contains(&pi) {
                                    plan.polyfill_imports.push(pi);
                                }
                            }
                            None => unusable.push((
                                pf.symbol.clone(),
                                format!(
                                    "its polyfill needs {import}, which glibc {} lacks",
                                    baseline.glibc
                                ),
                            )),
                        }
                    }
                }
                Err(e) => unusable.push((pf.symbol.clone(), e.to_string())),
            }
        }
        // The linker must be able to link them all (a relocation it lacks is a refusal
        // the plan should show, not one the writer discovers).
        let roots: Vec<String> = plan
            .polyfills
            .iter()
            .filter(|p| !p.copy_relocated)
            .map(PolyfillUse::object_symbol)
            .collect();
        if !roots.is_empty() {
            if let Err(e) =
                crate::polyfill::layout(arch, &roots).and_then(|l| l.link(0x4000_0000, 0x5000_0000))
            {
                for p in plan.polyfills.iter().filter(|p| !p.copy_relocated) {
                    unusable.push((
                        p.symbol.clone(),
                        format!("its polyfill cannot be linked: {e}"),
                    ));
                }
            }
        }
        for (sym, reason) in unusable {
            plan.polyfills.retain(|p| p.symbol != sym);
            if let Some(pos) = plan
                .changes
                .iter()
                .position(|c| c.symbol == sym && matches!(c.how, How::Polyfill | How::Wrap))
            {
                let c = plan.changes.remove(pos);
                plan.blockers.push(Blocker {
                    symbol: Some(sym),
                    library: c.from_library,
                    version: c.from_version,
                    reason,
                    bundle: None,
                });
            }
        }
        plan.polyfill_imports
            .sort_by(|a, b| a.symbol.cmp(&b.symbol));
    }

    // Requirements above the baseline with no symbol: DT_RELR marker or plain unused.
    for (lib, vr) in req.version_requirements() {
        if vr.name.as_str() == DT_RELR_MARKER && exceeds(&vr.name) {
            if let Err(why) = limits
                .expand_relr
                .clone()
                .and(limits.grow.clone().map_err(|g| {
                    format!("DT_RELR (glibc 2.36) must be expanded below 2.36, which means {g}")
                }))
            {
                plan.blockers.push(Blocker {
                    symbol: None,
                    library: lib.soname.to_string(),
                    version: vr.name.as_str().to_string(),
                    reason: why,
                    bundle: None,
                });
                continue;
            }
            plan.expand_relr = true;
            plan.drop_versions.push(VersionRef {
                library: lib.soname.to_string(),
                version: vr.name.as_str().to_string(),
            });
            plan.notes.push("DT_RELR (glibc 2.36) expanded into ordinary relative relocations, which every loader applies".into());
        }
    }

    // Startup: __libc_start_main lowered below 2.34 in an executable needs the shim.
    if let Some(pos) = plan
        .changes
        .iter()
        .position(|c| c.symbol == "__libc_start_main")
    {
        if matches!(linkage, Linkage::Executable | Linkage::Pie) {
            let shim = limits
                .startup_shim
                .clone()
                .and(limits.grow.clone().map_err(|g| {
                    format!("lowering below 2.34 needs the startup shim, which means {g}")
                }));
            match shim {
                Ok(()) => plan.startup_shim = true,
                Err(why) => {
                    let c = plan.changes.remove(pos);
                    plan.blockers.push(Blocker {
                        symbol: Some(c.symbol),
                        library: c.from_library,
                        version: c.from_version,
                        reason: why,
                        bundle: None,
                    });
                }
            }
        }
    }

    // Notes.
    let mut notes: Vec<String> = plan
        .changes
        .iter()
        .filter_map(|c| semantic_note(&c.symbol, &c.to_version))
        .collect();
    notes.append(&mut plan.notes);
    notes.sort();
    notes.dedup();
    plan.notes = notes;

    // Version bookkeeping: what is used afterwards, what is added, what is dropped.
    let mut used_after: Vec<VersionRef> = Vec::new();
    for imp in &req.imports {
        let (Some(lib), Some(ver)) = (&imp.library, &imp.version) else {
            continue;
        };
        let r = match plan
            .changes
            .iter()
            .find(|c| c.dynsym_index == imp.dynsym_index)
        {
            Some(c) if matches!(c.how, How::Unversion | How::Polyfill | How::Wrap) => continue,
            Some(c) => VersionRef {
                library: c.to_library.clone(),
                version: c.to_version.clone(),
            },
            None => VersionRef {
                library: lib.to_string(),
                version: ver.as_str().to_string(),
            },
        };
        if !used_after.contains(&r) {
            used_after.push(r);
        }
    }
    for pi in &plan.polyfill_imports {
        let r = VersionRef {
            library: pi.library.clone(),
            version: pi.version.clone(),
        };
        if !used_after.contains(&r) {
            used_after.push(r);
        }
    }
    let existing: Vec<VersionRef> = req
        .version_requirements()
        .map(|(l, v)| VersionRef {
            library: l.soname.to_string(),
            version: v.name.as_str().to_string(),
        })
        .collect();
    for r in &used_after {
        if !existing.contains(r) && !plan.add_versions.contains(r) {
            plan.add_versions.push(r.clone());
        }
    }
    let changed_from: Vec<VersionRef> = plan
        .changes
        .iter()
        .map(|c| VersionRef {
            library: c.from_library.clone(),
            version: c.from_version.clone(),
        })
        .collect();
    let blocked: Vec<VersionRef> = plan
        .blockers
        .iter()
        .map(|b| VersionRef {
            library: b.library.clone(),
            version: b.version.clone(),
        })
        .collect();
    for (lib, vr) in req.version_requirements() {
        let r = VersionRef {
            library: lib.soname.to_string(),
            version: vr.name.as_str().to_string(),
        };
        if used_after.contains(&r) || blocked.contains(&r) || plan.drop_versions.contains(&r) {
            continue;
        }
        // Drop what is above the baseline, and what the plan's own changes left unused.
        if exceeds(&vr.name) && vr.name.as_str() != DT_RELR_MARKER || changed_from.contains(&r) {
            plan.drop_versions.push(r);
        }
    }
    let needed: Vec<&str> = req
        .libraries
        .iter()
        .filter(|l| l.in_dt_needed)
        .map(|l| &*l.soname)
        .collect();
    for r in &plan.add_versions {
        if !needed.contains(&r.library.as_str()) && !plan.add_needed.contains(&r.library) {
            plan.add_needed.push(r.library.clone());
        }
    }
    // A libstdc++ built for glibc before 2.34 runs threads only when libpthread is loaded
    // (its __gthread_active_p looks for libpthread's symbols; std::thread otherwise calls
    // a null pthread_create). A program linked against 2.34 or later no longer names
    // libpthread.so.0, since libc has it all: lowered below 2.34, it must name it again
    // (on a newer glibc libpthread.so.0 is an empty compatibility library).
    let v2_34 = abi::GlibcVersion::new(2, 34, 0);
    if baseline.glibc < v2_34
        && req.newest_glibc().is_some_and(|v| v >= v2_34)
        && needed.contains(&"libstdc++.so.6")
        && !needed.contains(&"libpthread.so.0")
        && !plan.add_needed.iter().any(|l| l == "libpthread.so.0")
        && (!plan.changes.is_empty() || !plan.drop_versions.is_empty())
        && limits.grow.is_ok()
    {
        plan.add_needed.push("libpthread.so.0".to_string());
        plan.notes.push(
            "libpthread.so.0 added to DT_NEEDED: libstdc++ before glibc 2.34 starts threads only \
             when libpthread is loaded"
                .to_string(),
        );
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn private_version_names() {
        assert_eq!(
            private_version("GLIBCXX_3.4.30", "1a2b3c4d"),
            "GLIBCXX-1a2b3c4d_3.4.30"
        );
        assert_eq!(
            private_version("CXXABI_TM_1", "1a2b3c4d"),
            "CXXABI-1a2b3c4d_TM_1"
        );
        assert_eq!(
            private_version("GCC_4.2.0", "00ff00ff"),
            "GCC-00ff00ff_4.2.0"
        );
        assert_eq!(private_version("VERS1", "1a2b3c4d"), "VERS1-1a2b3c4d");
        // Already private to this copy: unchanged; another copy's tag is not this one's.
        assert_eq!(
            private_version("GLIBCXX-1a2b3c4d_3.4.30", "1a2b3c4d"),
            "GLIBCXX-1a2b3c4d_3.4.30"
        );
        assert_eq!(
            private_version("GLIBCXX-1a2b3c4d_3.4.30", "99999999"),
            "GLIBCXX-1a2b3c4d-99999999_3.4.30"
        );
        // auditwheel's family (before the first `_`) is no longer the system's.
        let p = private_version("GLIBCXX_3.4.30", "1a2b3c4d");
        assert_ne!(p.split_once('_').unwrap().0, "GLIBCXX");
    }

    use crate::versym::{
        elf_hash, ImportedSymbol, LibraryRequirement, SymbolBinding, SymbolKind, VersionRequirement,
    };

    /// The plan of an x86_64 PIE importing `symbol@version` from libm, at 2.17.
    fn plan_one(symbol: &str, version: &str) -> Plan {
        let target = abi::db()
            .target_by_name("x86_64-linux-gnu")
            .expect("target");
        let name = VersionName::parse(version);
        let req = Requirements {
            libraries: vec![LibraryRequirement {
                soname: "libm.so.6".into(),
                in_dt_needed: true,
                versions: vec![VersionRequirement {
                    name: name.clone(),
                    index: 2,
                    weak: false,
                    hash: elf_hash(version.as_bytes()),
                    hash_ok: true,
                    used_by: 1,
                }],
            }],
            imports: vec![ImportedSymbol {
                name: symbol.to_string().into(),
                library: Some("libm.so.6".into()),
                version: Some(name),
                versym: 2,
                binding: SymbolBinding::Global,
                kind: SymbolKind::Function,
                copy_relocated: false,
                dynsym_index: 1,
            }],
            ..Requirements::default()
        };
        let arch = Some(crate::polyfill::Arch::X86_64);
        plan_requirements(
            &req,
            Some(target),
            true,
            Linkage::Pie,
            object::elf::EM_X86_64.0,
            &Baseline::glibc(abi::GlibcVersion::new(2, 17, 0)),
            arch,
            &[],
            &Limits::none(arch),
        )
    }

    #[test]
    fn a_polyfill_implements_the_meaning_of_the_required_version() {
        // fromfp@GLIBC_2.25 returns intmax_t; fromfp@GLIBC_2.43 (C23) a double.
        let old = plan_one("fromfp", "GLIBC_2.25");
        assert!(old.blockers.is_empty(), "{:?}", old.blockers);
        assert_eq!(old.polyfills[0].object_symbol(), "__elfcompat_pf_fromfp");
        let new = plan_one("ufromfpxl", "GLIBC_2.43");
        assert!(new.blockers.is_empty(), "{:?}", new.blockers);
        assert_eq!(
            new.polyfills[0].object_symbol(),
            "__elfcompat_pf_ufromfpxl__glibc_2_43"
        );
        // totalorder's polyfill takes pointers (2.31); 2.25's took values: none for it.
        let ptr = plan_one("totalorder", "GLIBC_2.31");
        assert_eq!(
            ptr.polyfills[0].object_symbol(),
            "__elfcompat_pf_totalorder"
        );
        let values = plan_one("totalorder", "GLIBC_2.25");
        assert!(values.polyfills.is_empty() && values.blockers.len() == 1);
    }
}
