//! Hostile inputs: the reader must answer every byte string with `Ok` or `Err` — never a
//! panic, a hang or an allocation out of proportion to the file.
//!
//! Inputs are derived from real fixtures of each layout: x86_64 `hello` (ELF64 LE),
//! s390x and ppc64 `hello` (ELF64 BE), i686 and armhf `hello` (ELF32 LE), plus the
//! verdef library, a DT_HASH-only file (mips64el, no GNU hash) and x86_64
//! `hashstyle-sysv`. None of the fixtures is ELF32 big-endian; flipping EI_DATA of the
//! 32-bit little-endian files (one of the identification cases) sends garbage through
//! that code path instead.
//!
//! Every case goes through `elfcompat::report::analyze_bytes` (with and without a
//! baseline, so the check code sees the hostile data too) inside `catch_unwind`, timed,
//! with the allocations of the calling thread counted by a global allocator wrapper.
//! Failures are collected and reported together, so one run shows every broken case.
//!
//! The layout reader below is deliberately independent of the library's: it only
//! finds where the structures are, so the mutations can aim at them.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use elfcompat::abi::GlibcVersion;
use elfcompat::baseline::Baseline;
use elfcompat::report::analyze_bytes;

// ------------------------------------------------------------------ allocation accounting

/// The system allocator, counting the bytes live on each thread and their peak.
struct Counting;

thread_local! {
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn track(delta: i64) {
    // try_with: allocations during thread teardown must not panic.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| {
            if now > peak.get() {
                peak.set(now)
            }
        });
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator; the bookkeeping
// touches only const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            track(layout.size() as i64);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            track(layout.size() as i64);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        track(-(layout.size() as i64));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            track(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

// ------------------------------------------------------------------ the harness

/// Wall time one analysis may take. Real fixtures take well under a millisecond in a
/// release build; the limit is loose so that a loaded machine or a debug build never
/// fails it, while a loop bounded only by a hostile 32-bit count still does.
const TIME_LIMIT: Duration = Duration::from_secs(2);

/// Heap one analysis may hold at its peak: a fixed allowance plus a multiple of the
/// input. A real 17 KB fixture peaks near 100 KB.
fn memory_budget(input_len: usize) -> i64 {
    8 * 1024 * 1024 + 64 * input_len as i64
}

/// What one analysis did.
struct Measured {
    /// Ok(result of the analysis) or Err(panic message).
    outcome: Result<Result<(), String>, String>,
    elapsed: Duration,
    peak_bytes: i64,
}

fn measure(data: &[u8], baseline: Option<&Baseline>) -> Measured {
    let start_live = LIVE.with(|l| l.get());
    PEAK.with(|p| p.set(start_live));
    let start = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        analyze_bytes(data, baseline)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }))
    .map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "(non-string panic payload)".into())
    });
    let elapsed = start.elapsed();
    let peak_bytes = PEAK.with(|p| p.get()) - start_live;
    Measured {
        outcome,
        elapsed,
        peak_bytes,
    }
}

/// Runs cases and collects every failure.
struct Harness {
    baseline: Baseline,
    cases: usize,
    errors: usize,
    failures: Vec<String>,
}

impl Harness {
    fn new() -> Harness {
        // The ABI database and presets are built on first use; build them now so their
        // allocations are not charged to the first case.
        let _ = analyze_bytes(&common::fixture_bytes("x86_64/hello"), None);
        Harness {
            baseline: Baseline::glibc(GlibcVersion::new(2, 17, 0)),
            cases: 0,
            errors: 0,
            failures: Vec::new(),
        }
    }

    /// Analyse `data` without and with a baseline. Returns the analysis result (Ok(()) or
    /// the error message) when it did not panic.
    fn case(&mut self, name: &str, data: &[u8]) -> Option<Result<(), String>> {
        let mut first = None;
        for baseline in [None, Some(&self.baseline)] {
            self.cases += 1;
            let m = measure(data, baseline);
            let with = if baseline.is_some() {
                " (with baseline)"
            } else {
                ""
            };
            if m.elapsed > TIME_LIMIT {
                self.failures
                    .push(format!("{name}{with}: took {:?}", m.elapsed));
            }
            if m.peak_bytes > memory_budget(data.len()) {
                self.failures.push(format!(
                    "{name}{with}: peak heap {} bytes for a {} byte input",
                    m.peak_bytes,
                    data.len()
                ));
            }
            match m.outcome {
                Err(panic) => self.failures.push(format!("{name}{with}: PANIC: {panic}")),
                Ok(result) => {
                    if result.is_err() {
                        self.errors += 1;
                    }
                    first.get_or_insert(result);
                }
            }
        }
        first
    }

    #[track_caller]
    fn finish(self, what: &str) {
        eprintln!(
            "{what}: {} analyses, {} errors, {} failures",
            self.cases,
            self.errors,
            self.failures.len()
        );
        assert!(
            self.failures.is_empty(),
            "{what}: {} failures in {} analyses:\n{}",
            self.failures.len(),
            self.cases,
            self.failures.join("\n")
        );
    }
}

// ------------------------------------------------------------------ a minimal ELF layout reader

const PT_LOAD: u64 = 1;
const PT_DYNAMIC: u64 = 2;
const PT_INTERP: u64 = 3;
const PT_GNU_STACK: u64 = 0x6474_e551;

const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_HASH: u64 = 4;
const DT_STRTAB: u64 = 5;
const DT_SYMTAB: u64 = 6;
const DT_STRSZ: u64 = 10;
const DT_SYMENT: u64 = 11;
const DT_DEBUG: u64 = 21;
const DT_GNU_HASH: u64 = 0x6fff_fef5;
const DT_VERSYM: u64 = 0x6fff_fff0;
const DT_VERDEF: u64 = 0x6fff_fffc;
const DT_VERDEFNUM: u64 = 0x6fff_fffd;
const DT_VERNEED: u64 = 0x6fff_fffe;
const DT_VERNEEDNUM: u64 = 0x6fff_ffff;

/// Byte order and class of a file, with readers and writers for its fields.
#[derive(Clone, Copy, Debug)]
struct Enc {
    is64: bool,
    big: bool,
}

impl Enc {
    fn get(&self, d: &[u8], off: usize, n: usize) -> u64 {
        let b = &d[off..off + n];
        let mut v = 0u64;
        if self.big {
            for &x in b {
                v = v << 8 | u64::from(x);
            }
        } else {
            for &x in b.iter().rev() {
                v = v << 8 | u64::from(x);
            }
        }
        v
    }
    fn put(&self, d: &mut [u8], off: usize, n: usize, v: u64) {
        for i in 0..n {
            let shift = if self.big { 8 * (n - 1 - i) } else { 8 * i };
            d[off + i] = (v >> shift) as u8;
        }
    }
    fn word(&self) -> usize {
        if self.is64 {
            8
        } else {
            4
        }
    }
    fn word_max(&self) -> u64 {
        if self.is64 {
            u64::MAX
        } else {
            u64::from(u32::MAX)
        }
    }
}

#[derive(Clone, Debug)]
struct Seg {
    /// File offset of the program header itself.
    at: usize,
    p_type: u64,
    offset: u64,
    vaddr: u64,
    filesz: u64,
}

#[derive(Clone, Debug)]
struct DynEntry {
    /// File offset of the entry.
    at: usize,
    tag: u64,
    val: u64,
}

/// Where the structures of one file are.
#[derive(Clone, Debug)]
struct Elf {
    enc: Enc,
    len: usize,
    ehsize: usize,
    phoff: usize,
    phentsize: usize,
    shoff: usize,
    shentsize: usize,
    shnum: usize,
    segs: Vec<Seg>,
    dynamic: Vec<DynEntry>,
    dyn_entsize: usize,
}

// Field offsets that differ between the classes: (ELF32, ELF64).
fn pick(enc: Enc, e32: usize, e64: usize) -> usize {
    if enc.is64 {
        e64
    } else {
        e32
    }
}

impl Elf {
    fn read(d: &[u8]) -> Elf {
        let enc = Enc {
            is64: d[4] == 2,
            big: d[5] == 2,
        };
        let w = enc.word();
        let phoff = enc.get(d, pick(enc, 28, 32), w) as usize;
        let shoff = enc.get(d, pick(enc, 32, 40), w) as usize;
        let ehsize = enc.get(d, pick(enc, 40, 52), 2) as usize;
        let phentsize = enc.get(d, pick(enc, 42, 54), 2) as usize;
        let phnum = enc.get(d, pick(enc, 44, 56), 2) as usize;
        let shentsize = enc.get(d, pick(enc, 46, 58), 2) as usize;
        let shnum = enc.get(d, pick(enc, 48, 60), 2) as usize;
        let mut segs = Vec::new();
        for i in 0..phnum {
            let at = phoff + i * phentsize;
            segs.push(Seg {
                at,
                p_type: enc.get(d, at, 4),
                offset: enc.get(d, at + pick(enc, 4, 8), w),
                vaddr: enc.get(d, at + pick(enc, 8, 16), w),
                filesz: enc.get(d, at + pick(enc, 16, 32), w),
            });
        }
        let mut elf = Elf {
            enc,
            len: d.len(),
            ehsize,
            phoff,
            phentsize,
            shoff,
            shentsize,
            shnum,
            segs,
            dynamic: Vec::new(),
            dyn_entsize: 2 * w,
        };
        if let Some(dy) = elf.seg(PT_DYNAMIC) {
            let mut at = dy.offset as usize;
            while at + 2 * w <= (dy.offset + dy.filesz) as usize {
                let tag = enc.get(d, at, w);
                elf.dynamic.push(DynEntry {
                    at,
                    tag,
                    val: enc.get(d, at + w, w),
                });
                at += 2 * w;
                if tag == DT_NULL {
                    break;
                }
            }
        }
        elf
    }

    fn seg(&self, p_type: u64) -> Option<Seg> {
        self.segs.iter().find(|s| s.p_type == p_type).cloned()
    }

    fn dyn_entry(&self, tag: u64) -> Option<DynEntry> {
        self.dynamic.iter().find(|e| e.tag == tag).cloned()
    }

    fn dyn_val(&self, tag: u64) -> Option<u64> {
        self.dyn_entry(tag).map(|e| e.val)
    }

    /// File offset of a virtual address, through the PT_LOAD that maps it.
    fn off(&self, vaddr: u64) -> Option<usize> {
        self.segs
            .iter()
            .filter(|s| s.p_type == PT_LOAD && vaddr >= s.vaddr && vaddr - s.vaddr < s.filesz)
            .map(|s| (s.offset + (vaddr - s.vaddr)) as usize)
            .next()
    }

    fn table(&self, tag: u64) -> Option<usize> {
        self.dyn_val(tag).and_then(|v| self.off(v))
    }

    /// Set the value of the first dynamic entry with `tag`.
    fn set_dyn(&self, d: &mut [u8], tag: u64, val: u64) -> bool {
        match self.dyn_entry(tag) {
            Some(e) => {
                self.enc
                    .put(d, e.at + self.enc.word(), self.enc.word(), val);
                true
            }
            None => false,
        }
    }

    fn set_dyn_tag(&self, d: &mut [u8], tag: u64, new_tag: u64) -> bool {
        match self.dyn_entry(tag) {
            Some(e) => {
                self.enc.put(d, e.at, self.enc.word(), new_tag);
                true
            }
            None => false,
        }
    }

    /// Byte offsets of the fields of a program header: p_offset, p_vaddr, p_filesz.
    fn ph_field(&self, seg: &Seg, field: &str) -> (usize, usize) {
        let w = self.enc.word();
        let rel = match field {
            "p_type" => return (seg.at, 4),
            "p_offset" => pick(self.enc, 4, 8),
            "p_vaddr" => pick(self.enc, 8, 16),
            "p_filesz" => pick(self.enc, 16, 32),
            "p_memsz" => pick(self.enc, 20, 40),
            _ => unreachable!(),
        };
        (seg.at + rel, w)
    }

    fn set_ph(&self, d: &mut [u8], seg: &Seg, field: &str, v: u64) {
        let (at, n) = self.ph_field(seg, field);
        self.enc.put(d, at, n, v);
    }

    /// The ELF header fields: (name, offset, size).
    fn header_fields(&self) -> Vec<(&'static str, usize, usize)> {
        let e = self.enc;
        let w = e.word();
        vec![
            ("e_type", 16, 2),
            ("e_machine", 18, 2),
            ("e_version", 20, 4),
            ("e_entry", 24, w),
            ("e_phoff", pick(e, 28, 32), w),
            ("e_shoff", pick(e, 32, 40), w),
            ("e_flags", pick(e, 36, 48), 4),
            ("e_ehsize", pick(e, 40, 52), 2),
            ("e_phentsize", pick(e, 42, 54), 2),
            ("e_phnum", pick(e, 44, 56), 2),
            ("e_shentsize", pick(e, 46, 58), 2),
            ("e_shnum", pick(e, 48, 60), 2),
            ("e_shstrndx", pick(e, 50, 62), 2),
        ]
    }

    /// Every offset where a structure begins or ends, for truncation.
    fn boundaries(&self) -> Vec<usize> {
        let mut b = vec![0, 1, 3, 4, 5, 6, 15, 16, 17, 18, 20, 24];
        b.extend([self.ehsize.saturating_sub(1), self.ehsize, self.ehsize + 1]);
        for (_, off, n) in self.header_fields() {
            b.extend([off, off + n]);
        }
        for s in &self.segs {
            b.extend([s.at, s.at + 4, s.at + self.phentsize]);
            b.extend([s.offset as usize, (s.offset + s.filesz) as usize]);
            b.push(((s.offset + s.filesz) as usize).saturating_sub(1));
        }
        b.push(self.phoff + self.phentsize * self.segs.len());
        for e in &self.dynamic {
            b.extend([e.at, e.at + self.enc.word(), e.at + self.dyn_entsize]);
        }
        let strsz = self.dyn_val(DT_STRSZ).unwrap_or(0) as usize;
        if let Some(s) = self.table(DT_STRTAB) {
            b.extend([s, s + 1, s + strsz / 2, s + strsz - 1, s + strsz]);
        }
        let syment = pick(self.enc, 16, 24);
        if let Some(s) = self.table(DT_SYMTAB) {
            for i in 0..4 {
                b.extend([s + i * syment, s + i * syment + 4]);
            }
        }
        for tag in [DT_VERSYM, DT_GNU_HASH, DT_HASH] {
            if let Some(s) = self.table(tag) {
                b.extend([s, s + 2, s + 4, s + 8, s + 12, s + 16]);
            }
        }
        for tag in [DT_VERNEED, DT_VERDEF] {
            if let Some(s) = self.table(tag) {
                // verneed/vernaux entries are 16 bytes, verdef 20 and verdaux 8: every
                // 4 bytes covers every field boundary of the first entries.
                for i in 0..24 {
                    b.push(s + 4 * i);
                }
            }
        }
        for i in 0..self.shnum {
            b.push(self.shoff + i * self.shentsize);
        }
        b.push(self.shoff + self.shnum * self.shentsize);
        b.push(self.len - 1);
        b.retain(|&x| x < self.len);
        b.sort_unstable();
        b.dedup();
        b
    }
}

// ------------------------------------------------------------------ inputs

/// (fixture, what it stands for)
const FIXTURES: [(&str, &str); 8] = [
    ("x86_64/hello", "ELF64 LE"),
    ("s390x/hello", "ELF64 BE, 64-bit hash entries"),
    ("ppc64/hello", "ELF64 BE, ELFv1"),
    ("i686/hello", "ELF32 LE"),
    ("armhf/hello", "ELF32 LE"),
    ("x86_64/libverdef.so", "ELF64 LE, verdefs"),
    ("mips64el/hello", "ELF64 LE, DT_HASH only"),
    ("x86_64/hashstyle-sysv", "ELF64 LE, DT_HASH only"),
];

/// A deterministic generator (splitmix64): the same cases on every run and machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Values that break arithmetic and bounds: zero, one, the sign bits, the maxima, and
/// sizes around the file's length.
fn interesting(enc: Enc, len: usize) -> Vec<u64> {
    let mut v = vec![
        0,
        1,
        2,
        0x7f,
        0x80,
        0xff,
        0x7fff,
        0x8000,
        0xffff,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
    ];
    v.extend([
        len as u64 - 1,
        len as u64,
        len as u64 + 1,
        enc.word_max(),
        enc.word_max() - 7,
    ]);
    if enc.is64 {
        v.extend([
            1 << 32,
            1 << 40,
            0x7fff_ffff_ffff_ffff,
            0x8000_0000_0000_0000,
        ]);
    }
    v
}

/// Targeted corruptions of one file: every header field, program header, dynamic tag
/// and versioning structure set to values that break bounds.
fn corruptions(orig: &[u8]) -> Vec<(String, Vec<u8>)> {
    let elf = Elf::read(orig);
    let enc = elf.enc;
    let w = enc.word();
    let len = orig.len();
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |name: String, f: &dyn Fn(&mut Vec<u8>)| {
        let mut d = orig.to_vec();
        f(&mut d);
        out.push((name, d));
    };
    let vals = interesting(enc, len);

    // Identification.
    for (field, at) in [
        ("EI_CLASS", 4),
        ("EI_DATA", 5),
        ("EI_VERSION", 6),
        ("EI_OSABI", 7),
    ] {
        for v in [0u8, 1, 2, 3, 0xff] {
            add(format!("{field}={v}"), &|d| d[at] = v);
        }
    }
    // ELF header fields.
    for (field, at, n) in elf.header_fields() {
        for &v in &vals {
            let v = if n < 8 {
                v & ((1u64 << (8 * n)) - 1)
            } else {
                v
            };
            add(format!("{field}={v:#x}"), &|d| enc.put(d, at, n, v));
        }
    }
    // Program headers.
    for (i, seg) in elf.segs.iter().enumerate() {
        for field in ["p_offset", "p_vaddr", "p_filesz", "p_memsz"] {
            for &v in &vals {
                add(
                    format!("phdr[{i}] (type {:#x}).{field}={v:#x}", seg.p_type),
                    &|d| elf.set_ph(d, seg, field, v),
                );
            }
        }
        // Every segment turned into each of the types the reader looks at.
        for t in [PT_LOAD, PT_DYNAMIC, PT_INTERP] {
            add(format!("phdr[{i}].p_type={t}"), &|d| {
                elf.set_ph(d, seg, "p_type", t)
            });
        }
        // Offset + size ending one byte past the file.
        add(format!("phdr[{i}] ends one past EOF"), &|d| {
            let size = (len as u64).saturating_sub(seg.offset) + 1;
            elf.set_ph(d, seg, "p_filesz", size);
        });
    }
    // PT_DYNAMIC pointing at the ELF header, at the code, at the last bytes.
    if let Some(dy) = elf.seg(PT_DYNAMIC) {
        for (what, off) in [
            ("ELF header", 0u64),
            ("code", 0x1000),
            ("last 8 bytes", len as u64 - 8),
        ] {
            add(format!("PT_DYNAMIC at {what}"), &|d| {
                elf.set_ph(d, &dy, "p_offset", off)
            });
        }
        // No DT_NULL: the array runs to the end of the segment.
        add("dynamic without DT_NULL".into(), &|d| {
            for e in elf.dynamic.iter().filter(|e| e.tag == DT_NULL) {
                enc.put(d, e.at, w, DT_DEBUG);
            }
        });
    }
    // Dynamic tags.
    let end_of_load = |vaddr: u64| {
        elf.segs
            .iter()
            .find(|s| s.p_type == PT_LOAD && vaddr >= s.vaddr && vaddr - s.vaddr < s.filesz)
            .map(|s| s.vaddr + s.filesz)
    };
    for e in &elf.dynamic {
        if e.tag == DT_NULL {
            continue;
        }
        let mut tag_vals = vals.clone();
        tag_vals.push(0xdead_0000);
        if let Some(end) = end_of_load(e.val) {
            tag_vals.extend([1, 2, 4, 8, 16].map(|k| end.saturating_sub(k)));
        }
        for v in tag_vals {
            add(format!("DT {:#x} = {v:#x}", e.tag), &|d| {
                enc.put(d, e.at + w, w, v)
            });
        }
    }
    // Tag swaps: a table read as another kind of table.
    for (from, to) in [
        (DT_GNU_HASH, DT_HASH),
        (DT_HASH, DT_GNU_HASH),
        (DT_VERNEED, DT_VERDEF),
        (DT_VERDEF, DT_VERNEED),
        (DT_VERSYM, DT_VERNEED),
        (DT_STRTAB, DT_SYMTAB),
        (DT_NEEDED, DT_VERNEEDNUM),
    ] {
        add(format!("tag {from:#x} -> {to:#x}"), &|d| {
            elf.set_dyn_tag(d, from, to);
        });
    }
    // Strings: every DT_NEEDED cut off by DT_STRSZ just after its first bytes (no
    // terminator within the table).
    for (k, e) in elf
        .dynamic
        .iter()
        .filter(|e| e.tag == DT_NEEDED)
        .enumerate()
    {
        for extra in [0, 1, 3] {
            add(
                format!("DT_STRSZ cuts DT_NEEDED[{k}] after {extra} bytes"),
                &|d| {
                    elf.set_dyn(d, DT_STRSZ, e.val + extra);
                },
            );
        }
    }
    // Version requirements.
    if let Some(vn) = elf.table(DT_VERNEED) {
        let strsz = elf.dyn_val(DT_STRSZ).unwrap_or(0);
        // Verneed: vn_version u16 @0, vn_cnt u16 @2, vn_file u32 @4, vn_aux u32 @8, vn_next u32 @12.
        // Vernaux: vna_hash u32 @0, vna_flags u16 @4, vna_other u16 @6, vna_name u32 @8, vna_next u32 @12.
        let aux = vn + enc.get(orig, vn + 8, 4) as usize;
        let fields: [(&str, usize, usize); 10] = [
            ("vn_version", vn, 2),
            ("vn_cnt", vn + 2, 2),
            ("vn_file", vn + 4, 4),
            ("vn_aux", vn + 8, 4),
            ("vn_next", vn + 12, 4),
            ("vna_hash", aux, 4),
            ("vna_flags", aux + 4, 2),
            ("vna_other", aux + 6, 2),
            ("vna_name", aux + 8, 4),
            ("vna_next", aux + 12, 4),
        ];
        for (field, at, n) in fields {
            let mut fv: Vec<u64> = vals.iter().map(|v| v & ((1u64 << (8 * n)) - 1)).collect();
            fv.extend([strsz, strsz + 1, strsz - 1, 0xffff_fff0, 16, 8, 4]);
            for v in fv {
                add(format!("{field}={v:#x}"), &|d| {
                    enc.put(d, at, n, v & ((1u64 << (8 * n)) - 1))
                });
            }
        }
        // Chains that point back: vn_next / vna_next of 2^32 - 16 wrap to the entry before
        // in 32-bit arithmetic; vn_aux 0 makes the verneed its own vernaux.
        add(
            "verneed: vn_aux=0, vn_next=0, DT_VERNEEDNUM=1000".into(),
            &|d| {
                enc.put(d, vn + 8, 4, 0);
                enc.put(d, vn + 12, 4, 0);
                elf.set_dyn(d, DT_VERNEEDNUM, 1000);
            },
        );
        add(
            "verneed: every vn_next = 16 and vn_cnt = 0xffff".into(),
            &|d| {
                for i in 0..8 {
                    if vn + 16 * i + 16 <= d.len() {
                        enc.put(d, vn + 16 * i + 2, 2, 0xffff);
                        enc.put(d, vn + 16 * i + 12, 4, 16);
                    }
                }
                elf.set_dyn(d, DT_VERNEEDNUM, 0xffff_ffff);
            },
        );
    }
    // Version definitions (libverdef.so).
    if let Some(vd) = elf.table(DT_VERDEF) {
        // Verdef: vd_version u16 @0, vd_flags @2, vd_ndx @4, vd_cnt @6, vd_hash u32 @8,
        // vd_aux u32 @12, vd_next u32 @16. Verdaux: vda_name u32 @0, vda_next u32 @4.
        let aux = vd + enc.get(orig, vd + 12, 4) as usize;
        let fields: [(&str, usize, usize); 6] = [
            ("vd_ndx", vd + 4, 2),
            ("vd_cnt", vd + 6, 2),
            ("vd_aux", vd + 12, 4),
            ("vd_next", vd + 16, 4),
            ("vda_name", aux, 4),
            ("vda_next", aux + 4, 4),
        ];
        for (field, at, n) in fields {
            for &v in &vals {
                let v = v & ((1u64 << (8 * n)) - 1);
                add(format!("{field}={v:#x}"), &|d| enc.put(d, at, n, v));
            }
        }
        add("DT_VERDEFNUM=0xffffffff".into(), &|d| {
            elf.set_dyn(d, DT_VERDEFNUM, 0xffff_ffff);
        });
    }
    // Hash tables.
    if let Some(h) = elf.table(DT_GNU_HASH) {
        for (field, at) in [
            ("nbuckets", h),
            ("symoffset", h + 4),
            ("bloom_size", h + 8),
            ("bloom_shift", h + 12),
        ] {
            for v in [0u64, 1, 0x7fff_ffff, 0xffff_ffff, len as u64] {
                add(format!("GNU hash {field}={v:#x}"), &|d| {
                    enc.put(d, at, 4, v)
                });
            }
        }
        add("GNU hash: chains never terminate".into(), &|d| {
            let nb = enc.get(d, h, 4) as usize;
            let bloom = enc.get(d, h + 8, 4) as usize;
            let mut at = h + 16 + bloom * w + 4 * nb;
            while at + 4 <= d.len() {
                let v = enc.get(d, at, 4) & !1;
                enc.put(d, at, 4, v);
                at += 4;
            }
        });
        add("GNU hash: every bucket 0xffffffff".into(), &|d| {
            let nb = enc.get(d, h, 4) as usize;
            let bloom = enc.get(d, h + 8, 4) as usize;
            for i in 0..nb {
                enc.put(d, h + 16 + bloom * w + 4 * i, 4, 0xffff_ffff);
            }
        });
    }
    if let Some(h) = elf.table(DT_HASH) {
        // 64-bit entries on s390x, 32-bit elsewhere.
        let n = if enc.is64 && enc.get(orig, 18, 2) == 22 {
            8
        } else {
            4
        };
        for (field, at) in [("nbucket", h), ("nchain", h + n)] {
            for v in [0u64, 1, 0x7fff_ffff, 0xffff_ffff, len as u64, u64::MAX] {
                add(format!("DT_HASH {field}={v:#x}"), &|d| enc.put(d, at, n, v));
            }
        }
    }
    // Symbols: names past the string table, absurd section indices; versym indices that
    // no verneed or verdef defines.
    if let Some(s) = elf.table(DT_SYMTAB) {
        let syment = pick(enc, 16, 24);
        let strsz = elf.dyn_val(DT_STRSZ).unwrap_or(0);
        for i in 1..4 {
            for v in [strsz, strsz + 1, 0xffff_ffff] {
                add(format!("sym[{i}].st_name={v:#x}"), &|d| {
                    enc.put(d, s + i * syment, 4, v)
                });
            }
            let shndx = pick(enc, 14, 6);
            add(format!("sym[{i}].st_shndx=0xffff"), &|d| {
                enc.put(d, s + i * syment + shndx, 2, 0xffff)
            });
        }
    }
    if let Some(vs) = elf.table(DT_VERSYM) {
        for v in [0u64, 1, 0x7fff, 0x8000, 0x8002, 0xffff] {
            add(format!("every versym = {v:#x}"), &|d| {
                for i in 0..64 {
                    if vs + 2 * i + 2 <= d.len() {
                        enc.put(d, vs + 2 * i, 2, v);
                    }
                }
            });
        }
    }
    // Section headers (only a cross-check for the reader, but object parses them).
    for i in 0..elf.shnum {
        let at = elf.shoff + i * elf.shentsize;
        for (field, rel, n) in [
            ("sh_type", 4, 4),
            ("sh_offset", pick(enc, 16, 24), w),
            ("sh_size", pick(enc, 20, 32), w),
            ("sh_entsize", pick(enc, 36, 56), w),
        ] {
            for v in [0u64, 0xffff_ffff, enc.word_max(), 11 /* SHT_DYNSYM */] {
                add(format!("shdr[{i}].{field}={v:#x}"), &|d| {
                    enc.put(d, at + rel, n, v)
                });
            }
        }
    }
    out
}

// ------------------------------------------------------------------ tests

#[test]
fn pristine_fixtures_are_ok_and_cheap() {
    let mut h = Harness::new();
    for (f, _) in FIXTURES {
        let data = common::fixture_bytes(f);
        let r = h.case(f, &data);
        assert_eq!(r, Some(Ok(())), "{f} must analyse cleanly");
    }
    h.finish("pristine fixtures");
}

#[test]
fn truncation_at_every_structure_boundary() {
    let mut h = Harness::new();
    for (f, _) in FIXTURES {
        let data = common::fixture_bytes(f);
        let elf = Elf::read(&data);
        for cut in elf.boundaries() {
            h.case(&format!("{f} cut at {cut:#x}"), &data[..cut]);
        }
    }
    h.finish("structure boundaries");
}

#[test]
fn truncation_every_64_bytes_and_at_random_points() {
    let mut h = Harness::new();
    let mut rng = Rng(0x5eed_0001);
    for (f, _) in FIXTURES {
        let data = common::fixture_bytes(f);
        for cut in (0..4096.min(data.len())).step_by(64) {
            h.case(&format!("{f} cut at {cut:#x}"), &data[..cut]);
        }
        for _ in 0..200 {
            let cut = rng.below(data.len());
            h.case(&format!("{f} cut at {cut:#x}"), &data[..cut]);
        }
    }
    h.finish("64-byte steps and random cuts");
}

#[test]
fn header_and_table_corruptions() {
    let mut h = Harness::new();
    for (f, _) in FIXTURES {
        let data = common::fixture_bytes(f);
        for (name, bad) in corruptions(&data) {
            h.case(&format!("{f}: {name}"), &bad);
        }
    }
    h.finish("targeted corruptions");
}

#[test]
fn random_byte_mutations() {
    let mut h = Harness::new();
    let mut rng = Rng(0x5eed_0002);
    for (f, _) in FIXTURES {
        let orig = common::fixture_bytes(f);
        let elf = Elf::read(&orig);
        let enc = elf.enc;
        // Where mutations matter: the headers, the dynamic array and the tables it
        // points at. Code bytes only change nothing.
        let mut hot: Vec<(usize, usize)> = vec![
            (0, 64.max(elf.ehsize)),
            (elf.phoff, elf.phentsize * elf.segs.len()),
        ];
        if let Some(dy) = elf.seg(PT_DYNAMIC) {
            hot.push((dy.offset as usize, dy.filesz as usize));
        }
        for tag in [
            DT_STRTAB,
            DT_SYMTAB,
            DT_VERSYM,
            DT_VERNEED,
            DT_VERDEF,
            DT_GNU_HASH,
            DT_HASH,
        ] {
            if let Some(at) = elf.table(tag) {
                hot.push((at, 256.min(orig.len() - at)));
            }
        }
        let vals = interesting(enc, orig.len());
        let rounds = if f == "x86_64/hello" { 3000 } else { 400 };
        for round in 0..rounds {
            let mut d = orig.clone();
            let edits = 1 + rng.below(4);
            let mut what = Vec::new();
            for _ in 0..edits {
                let pos = if rng.below(4) == 0 {
                    rng.below(d.len())
                } else {
                    let (start, n) = hot[rng.below(hot.len())];
                    start + rng.below(n.max(1))
                };
                match rng.below(4) {
                    0 => {
                        let bit = rng.below(8);
                        d[pos] ^= 1 << bit;
                        what.push(format!("flip bit {bit} at {pos:#x}"));
                    }
                    1 => {
                        let b = rng.next() as u8;
                        d[pos] = b;
                        what.push(format!("byte {b:#x} at {pos:#x}"));
                    }
                    _ => {
                        let n = [2, 4, enc.word()][rng.below(3)];
                        let pos = pos & !(n - 1);
                        if pos + n <= d.len() {
                            let v = vals[rng.below(vals.len())];
                            enc.put(&mut d, pos, n, v);
                            what.push(format!("u{} {v:#x} at {pos:#x}", 8 * n));
                        }
                    }
                }
            }
            h.case(&format!("{f} mutation {round}: {}", what.join(", ")), &d);
        }
    }
    h.finish("random mutations");
}

/// The errors a reader must give rather than guessing: strings that leave the string
/// table, an identification that names no class or byte order.
#[test]
fn string_and_identification_abuse_is_an_error() {
    let mut h = Harness::new();
    let orig = common::fixture_bytes("x86_64/hello");
    let elf = Elf::read(&orig);
    let enc = elf.enc;
    let strsz = elf.dyn_val(DT_STRSZ).unwrap();
    let vn = elf.table(DT_VERNEED).unwrap();
    let aux = vn + enc.get(&orig, vn + 8, 4) as usize;
    let needed = elf.dyn_entry(DT_NEEDED).unwrap();

    let mut expect = |name: &str, f: &dyn Fn(&mut Vec<u8>), needle: &str| {
        let mut d = orig.clone();
        f(&mut d);
        match h.case(name, &d) {
            Some(Err(e)) => assert!(
                e.contains(needle),
                "{name}: error {e:?} does not mention {needle:?}"
            ),
            Some(Ok(())) => panic!("{name}: accepted"),
            None => {} // a panic: reported by finish
        }
    };
    expect(
        "vna_name = DT_STRSZ",
        &|d| enc.put(d, aux + 8, 4, strsz),
        "vernaux vna_name",
    );
    expect(
        "vna_name = 0xffffffff",
        &|d| enc.put(d, aux + 8, 4, 0xffff_ffff),
        "past DT_STRSZ",
    );
    expect(
        "vn_file = DT_STRSZ + 1",
        &|d| enc.put(d, vn + 4, 4, strsz + 1),
        "verneed vn_file",
    );
    expect(
        "DT_NEEDED past DT_STRSZ",
        &|d| enc.put(d, needed.at + 8, 8, strsz + 100),
        "DT_NEEDED",
    );
    expect(
        "DT_NEEDED > 2^32",
        &|d| enc.put(d, needed.at + 8, 8, 1 << 40),
        "too large",
    );
    expect(
        "DT_NEEDED without terminator",
        &|d| {
            elf.set_dyn(d, DT_STRSZ, needed.val + 3);
        },
        "no terminator",
    );
    expect(
        "DT_STRSZ past the segment",
        &|d| {
            elf.set_dyn(d, DT_STRSZ, 0xffff_ffff);
        },
        "DT_STRSZ",
    );
    expect(
        "DT_SYMENT = 0",
        &|d| {
            elf.set_dyn(d, DT_SYMENT, 0);
        },
        "DT_SYMENT",
    );
    expect(
        "DT_VERNEEDNUM = 2^32 - 1",
        &|d| {
            elf.set_dyn(d, DT_VERNEEDNUM, 0xffff_ffff);
        },
        "DT_VERNEEDNUM",
    );
    expect("vn_cnt = 0xffff", &|d| enc.put(d, vn + 2, 2, 0xffff), "vn");
    expect("EI_CLASS = 0", &|d| d[4] = 0, "EI_CLASS");
    expect("EI_CLASS = 3", &|d| d[4] = 3, "EI_CLASS");
    expect("EI_DATA = 0", &|d| d[5] = 0, "ELF");
    expect("EI_DATA = 3", &|d| d[5] = 3, "ELF");
    expect(
        "e_phoff past the end",
        &|d| enc.put(d, 32, 8, orig.len() as u64),
        "program header table",
    );
    h.finish("string and identification abuse");
}

/// Both classes read with the other's byte order, and ELF64 read as ELF32 and back: the
/// ELF32 big-endian path (no fixture has it) fed with garbage.
#[test]
fn wrong_class_and_byte_order() {
    let mut h = Harness::new();
    for (f, _) in FIXTURES {
        let orig = common::fixture_bytes(f);
        for (class, data) in [(1u8, 1u8), (1, 2), (2, 1), (2, 2)] {
            let mut d = orig.clone();
            d[4] = class;
            d[5] = data;
            h.case(&format!("{f} as class {class} data {data}"), &d);
        }
    }
    h.finish("class and byte order swaps");
}

// ------------------------------------------------------------------ the CLI on bad files

#[test]
fn cli_names_the_file_and_the_structure_in_one_line() {
    let dir = common::tempdir();
    let orig = common::fixture_bytes("x86_64/hello");
    let elf = Elf::read(&orig);
    let enc = elf.enc;
    let strsz = elf.dyn_val(DT_STRSZ).unwrap();
    let vn = elf.table(DT_VERNEED).unwrap();
    let aux = vn + enc.get(&orig, vn + 8, 4) as usize;
    let s390 = common::fixture_bytes("s390x/hello");

    let mut cases: Vec<(&str, Vec<u8>, &str)> = Vec::new();
    cases.push((
        "cut-phdrs",
        orig[..100].to_vec(),
        "malformed program header table",
    ));
    cases.push(("cut-dynamic", orig[..0x2e00].to_vec(), "malformed"));
    let mut d = orig.clone();
    enc.put(&mut d, aux + 8, 4, strsz + 7);
    cases.push((
        "bad-vna-name",
        d,
        "malformed vernaux vna_name: string offset",
    ));
    let mut d = orig.clone();
    elf.set_dyn(&mut d, DT_STRSZ, 1 << 30);
    cases.push(("bad-strsz", d, "malformed DT_STRSZ"));
    let mut d = orig.clone();
    d[4] = 7;
    cases.push(("bad-class", d, "unsupported ELF identification: EI_CLASS"));
    let mut d = s390.clone();
    let s = Elf::read(&s390);
    s.set_dyn(&mut d, DT_VERNEEDNUM, 0xffff_ffff);
    cases.push(("s390x-verneednum", d, "malformed DT_VERNEEDNUM"));

    for (name, data, _) in &cases {
        std::fs::write(dir.path().join(name), data).unwrap();
    }
    for (name, _, needle) in &cases {
        let r = common::run_in(dir.path(), ["report", name]);
        r.assert_code(2);
        assert!(r.stdout.is_empty(), "{}", r.describe());
        assert_eq!(
            r.stderr.lines().count(),
            1,
            "{name}: one line\n{}",
            r.describe()
        );
        let line = r.stderr.trim_end();
        assert!(
            line.starts_with(&format!("elfcompat: {name}: ")),
            "{name}: names the file\n{}",
            r.describe()
        );
        assert!(
            line.contains(needle),
            "{name}: names {needle:?}\n{}",
            r.describe()
        );
        common::run_in(dir.path(), ["check", "--glibc", "2.17", name]).assert_code(2);
    }
    // All at once: one line per file, still exit 2, and the JSON keeps every file.
    let r = common::run_in(dir.path(), ["report", "."]);
    r.assert_code(2);
    assert_eq!(r.stderr.lines().count(), cases.len(), "{}", r.describe());
    let r = common::run_in(dir.path(), ["report", "--json", "."]);
    r.assert_code(2);
    let v = common::json_of(&r);
    assert_eq!(v["summary"]["errors"], cases.len());
}

// ------------------------------------------------------------------ regressions and known bugs

/// Append `region` to a fixture and map it with a new PT_LOAD at `REGION_VADDR` (the
/// PT_GNU_STACK header reused). Returns the file and the region's file offset.
fn with_region(fixture: &str, region_len: usize) -> (Vec<u8>, Elf, usize) {
    let mut d = common::fixture_bytes(fixture);
    let elf = Elf::read(&d);
    let stack = elf.seg(PT_GNU_STACK).expect("a PT_GNU_STACK to reuse");
    let base = (d.len() + 15) & !15;
    d.resize(base + region_len, 0);
    elf.set_ph(&mut d, &stack, "p_type", PT_LOAD);
    elf.set_ph(&mut d, &stack, "p_offset", base as u64);
    elf.set_ph(&mut d, &stack, "p_vaddr", REGION_VADDR);
    elf.set_ph(&mut d, &stack, "p_filesz", region_len as u64);
    elf.set_ph(&mut d, &stack, "p_memsz", region_len as u64);
    (d, elf, base)
}

const REGION_VADDR: u64 = 0x40_0000;

/// x86_64 `hello` with `n` verneed entries in a new PT_LOAD: every entry claims
/// `vn_cnt = n`, its vernaux chain starts at itself (`vn_aux = 0`) and runs on through
/// all the entries after it (`vn_next = vna_next = 16`), and DT_VERNEEDNUM is `n`. Each
/// 16 bytes are read as one verneed and then as a vernaux of every verneed before them:
/// n²/2 vernaux entries from 16·n bytes. (The loader walks the same chains, but holds
/// nothing per entry.)
fn shared_vernaux_chains(n: usize) -> Vec<u8> {
    assert!(n <= 0xffff);
    let (mut d, elf, base) = with_region("x86_64/hello", 16 * n);
    let enc = elf.enc;
    let vn = elf.table(DT_VERNEED).unwrap();
    let vn_file = enc.get(&d, vn + 4, 4);
    elf.set_dyn(&mut d, DT_VERNEED, REGION_VADDR);
    elf.set_dyn(&mut d, DT_VERNEEDNUM, n as u64);
    for i in 0..n {
        let at = base + 16 * i;
        enc.put(&mut d, at, 2, 1); // vn_version
        enc.put(&mut d, at + 2, 2, n as u64); // vn_cnt
        enc.put(&mut d, at + 4, 4, vn_file); // vn_file: "libm.so.6"
        enc.put(&mut d, at + 8, 4, 0); // vn_aux: itself (as a vernaux: vna_name 0, "")
        enc.put(&mut d, at + 12, 4, if i + 1 < n { 16 } else { 0 }); // vn_next = vna_next
    }
    d
}

/// x86_64 `libverdef.so` with `n` verdefs that all share one chain of `m` verdaux
/// entries (`vd_cnt = m`, `vd_aux` pointing at the shared chain): n·m names from
/// 20·n + 8·m bytes.
fn shared_verdaux_chains(n: usize, m: usize) -> Vec<u8> {
    assert!(m <= 0xffff);
    let (mut d, elf, base) = with_region("x86_64/libverdef.so", 20 * n + 8 * m);
    let enc = elf.enc;
    elf.set_dyn(&mut d, DT_VERDEF, REGION_VADDR);
    elf.set_dyn(&mut d, DT_VERDEFNUM, n as u64);
    let aux_base = base + 20 * n;
    for i in 0..n {
        let at = base + 20 * i;
        enc.put(&mut d, at, 2, 1); // vd_version
        enc.put(&mut d, at + 4, 2, (i + 2) as u64); // vd_ndx
        enc.put(&mut d, at + 6, 2, m as u64); // vd_cnt
        enc.put(&mut d, at + 12, 4, (aux_base - at) as u64); // vd_aux
        enc.put(&mut d, at + 16, 4, if i + 1 < n { 20 } else { 0 }); // vd_next
    }
    for j in 0..m {
        let at = aux_base + 8 * j;
        enc.put(&mut d, at, 4, 1); // vda_name: the string at offset 1
        enc.put(&mut d, at + 4, 4, if j + 1 < m { 8 } else { 0 }); // vda_next
    }
    d
}

/// Regression (was a bug in src/elf/parse.rs `parse_verneed`, same pattern in `parse_verdef`): version chains
/// that share entries make the reader allocate quadratically in the file size. Each
/// chain is bounded on its own (DT_VERNEEDNUM and vn_cnt by the region size), but
/// nothing bounds the total, and every vernaux read is kept (and then copied again by
/// `Requirements::of`). Measured in release: a 31 KB file (n = 1024) peaks at ~157 MB
/// of heap and 0.5 s; 47 KB (n = 2048) at ~626 MB and 2.3 s; growth is n², so a 1 MB
/// file asks for hundreds of GB. A fix: cap the total number of vernaux (verdaux)
/// entries read across all chains by what the region can hold (region size / 16, / 8)
/// and allocate from that, not from vn_cnt; or reject entries visited twice.
#[test]
fn shared_version_chains_do_not_allocate_quadratically() {
    let mut h = Harness::new();
    h.case(
        "1024 verneeds sharing one vernaux chain",
        &shared_vernaux_chains(1024),
    );
    h.case(
        "1024 verdefs sharing 1024 verdaux",
        &shared_verdaux_chains(1024, 1024),
    );
    h.finish("shared version chains");
}

/// The same bug through the CLI, bigger: 8192 shared verneed entries (a 145 KB file)
/// would need ~10 GB. Under a 1 GiB address-space limit and a 30 s deadline the run must
/// end with a verdict (0 or 2), not an allocation abort or a kill.
#[test]
fn cli_survives_shared_version_chains() {
    let dir = common::tempdir();
    let path = dir.path().join("shared-chains");
    std::fs::write(&path, shared_vernaux_chains(8192)).unwrap();
    let r = common::run_limited(
        ["report".as_ref(), "--json".as_ref(), path.as_os_str()],
        1024 * 1024,
        Duration::from_secs(30),
    );
    assert!(matches!(r.code, Some(0) | Some(2)), "{}", r.describe());
}

/// Regression (was a bug in src/elf/parse.rs `symbol_count`): on s390x (64-bit DT_HASH entries) `nbucket` and
/// `nchain` are read as u64 and summed unchecked: `2 + nbucket + nchain` overflows. A
/// debug build panics ("attempt to add with overflow"); a release build wraps, the
/// wrapped size passes the bounds check, and the file is accepted with `nchain` symbols
/// although its hash table claims 2^64 - 1 buckets. Expected: an error naming DT_HASH.
/// Repro: s390x `hello` with its DT_GNU_HASH tag turned into DT_HASH and
/// nbucket = 0xffff_ffff_ffff_ffff, nchain = 5 at that address;
#[test]
fn s390x_hash_with_absurd_nbucket_is_an_error() {
    let mut h = Harness::new();
    let mut d = common::fixture_bytes("s390x/hello");
    let elf = Elf::read(&d);
    let at = elf.table(DT_GNU_HASH).unwrap();
    assert!(elf.set_dyn_tag(&mut d, DT_GNU_HASH, DT_HASH));
    elf.enc.put(&mut d, at, 8, u64::MAX);
    elf.enc.put(&mut d, at + 8, 8, 5);
    let r = h.case("s390x DT_HASH nbucket = 2^64 - 1", &d);
    h.finish("s390x DT_HASH overflow");
    match r {
        Some(Err(e)) => assert!(e.contains("DT_HASH"), "{e}"),
        other => panic!("accepted a hash table of 2^64 - 1 buckets: {other:?}"),
    }
}

/// x86_64 `hello` whose dynamic string table (new PT_LOAD) is one `name_len`-byte name,
/// and whose `.dynsym` is `count` undefined symbols all named by it. DT_GNU_HASH,
/// DT_VERSYM and DT_VERNEED are turned into DT_DEBUG, so the symbol count comes from the
/// `.dynsym` section header, which is set to `count`.
fn one_long_name_many_symbols(count: usize, name_len: usize) -> Vec<u8> {
    let (mut d, elf, base) = with_region("x86_64/hello", name_len + 1 + 24 * count);
    let enc = elf.enc;
    d[base..base + name_len].fill(b'A');
    elf.set_dyn(&mut d, DT_STRTAB, REGION_VADDR);
    elf.set_dyn(&mut d, DT_STRSZ, name_len as u64 + 1);
    elf.set_dyn(&mut d, DT_SYMTAB, REGION_VADDR + name_len as u64 + 1);
    for tag in [DT_GNU_HASH, DT_VERSYM, DT_VERNEED] {
        elf.set_dyn_tag(&mut d, tag, DT_DEBUG);
    }
    let dynsym = (0..elf.shnum)
        .map(|i| elf.shoff + i * elf.shentsize)
        .find(|&sh| enc.get(&d, sh + 4, 4) == 11)
        .expect(".dynsym section header");
    enc.put(&mut d, dynsym + 32, 8, 24 * count as u64);
    for i in 1..count {
        // st_name 0 (the long name), STB_GLOBAL STT_FUNC, undefined.
        enc.put(&mut d, base + name_len + 1 + 24 * i + 4, 1, 0x12);
    }
    d
}

/// Regression (was a bug in src/versym/requirements.rs `Requirements::of`, src/elf/parse.rs symbol names):
/// every symbol name is copied into its own `String` (and again into the report), so
/// names that share bytes in the string table multiply: a 113 KB file with 2000 symbols
/// all naming one 50 KB string peaks at ~100 MB of heap (about 900x the input); growth
/// is count x length, i.e. quadratic in the file size (a 1 MB file: ~10 GB). Real names
/// are short (the longest C++ names run to a few KB). A fix: keep names borrowed from
/// the mapping (`Cow`) in the model and/or cap the length of a name the reader accepts.
#[test]
fn one_long_name_shared_by_many_symbols_is_not_multiplied() {
    let mut h = Harness::new();
    h.case(
        "2000 symbols naming one 50 KB string",
        &one_long_name_many_symbols(2000, 50_000),
    );
    h.finish("shared long names");
}

/// x86_64 `hello` with `n` verneed entries that each claim `vn_cnt = n` but whose
/// vernaux chains are one shared entry long (`vna_next = 0`): n entries read in all, but
/// a reader that reserves room for `vn_cnt` vernaux per verneed asks for n² of them.
fn verneeds_claiming_many_vernaux(n: usize) -> Vec<u8> {
    assert!(n <= 0xffff);
    let (mut d, elf, base) = with_region("x86_64/hello", 16 * n + 16);
    let enc = elf.enc;
    let vn = elf.table(DT_VERNEED).unwrap();
    let vn_file = enc.get(&d, vn + 4, 4);
    let first_aux = vn + enc.get(&d, vn + 8, 4) as usize;
    let vna_name = enc.get(&d, first_aux + 8, 4);
    elf.set_dyn(&mut d, DT_VERNEED, REGION_VADDR);
    elf.set_dyn(&mut d, DT_VERNEEDNUM, n as u64);
    let aux = base + 16 * n;
    for i in 0..n {
        let at = base + 16 * i;
        enc.put(&mut d, at, 2, 1); // vn_version
        enc.put(&mut d, at + 2, 2, n as u64); // vn_cnt
        enc.put(&mut d, at + 4, 4, vn_file);
        enc.put(&mut d, at + 8, 4, (aux - at) as u64); // vn_aux: the shared vernaux
        enc.put(&mut d, at + 12, 4, if i + 1 < n { 16 } else { 0 });
    }
    enc.put(&mut d, aux + 6, 2, 2); // vna_other
    enc.put(&mut d, aux + 8, 4, vna_name);
    d
}

/// The same for verdefs: `n` verdefs each claiming `vd_cnt = n`, all pointing at one
/// verdaux that ends its chain.
fn verdefs_claiming_many_verdaux(n: usize) -> Vec<u8> {
    assert!(n <= 0xffff);
    let (mut d, elf, base) = with_region("x86_64/libverdef.so", 20 * n + 8);
    let enc = elf.enc;
    elf.set_dyn(&mut d, DT_VERDEF, REGION_VADDR);
    elf.set_dyn(&mut d, DT_VERDEFNUM, n as u64);
    let aux = base + 20 * n;
    for i in 0..n {
        let at = base + 20 * i;
        enc.put(&mut d, at, 2, 1); // vd_version
        enc.put(&mut d, at + 4, 2, (i + 2) as u64); // vd_ndx
        enc.put(&mut d, at + 6, 2, n as u64); // vd_cnt
        enc.put(&mut d, at + 12, 4, (aux - at) as u64); // vd_aux
        enc.put(&mut d, at + 16, 4, if i + 1 < n { 20 } else { 0 }); // vd_next
    }
    enc.put(&mut d, aux, 4, 1); // vda_name: the string at offset 1; vda_next 0
    d
}

/// x86_64 `hello` with its dynamic string table moved into a new PT_LOAD and followed by
/// one `name_len`-byte name, plus `extra` bytes after it. Returns the file, the layout,
/// the region's file offset, the string table's new size, the long name's string
/// offset, and the file offset of the extra bytes (16-aligned).
fn with_long_name(name_len: usize, extra: usize) -> (Vec<u8>, Elf, usize, u64, u64, usize) {
    let orig = common::fixture_bytes("x86_64/hello");
    let elf0 = Elf::read(&orig);
    let strtab = elf0.table(DT_STRTAB).unwrap();
    let strsz = elf0.dyn_val(DT_STRSZ).unwrap() as usize;
    let table_len = strsz + name_len + 1;
    let extra_at = (table_len + 15) & !15;
    let (mut d, elf, base) = with_region("x86_64/hello", extra_at + extra);
    d.copy_within(strtab..strtab + strsz, base);
    d[base + strsz..base + strsz + name_len].fill(b'L');
    elf.set_dyn(&mut d, DT_STRTAB, REGION_VADDR);
    elf.set_dyn(&mut d, DT_STRSZ, table_len as u64);
    (
        d,
        elf,
        base,
        table_len as u64,
        strsz as u64,
        base + extra_at,
    )
}

/// `n` vernaux entries, one verneed, every vna_name the same `name_len`-byte string.
fn vernaux_sharing_a_long_name(n: usize, name_len: usize) -> Vec<u8> {
    let (mut d, elf, base, _, name, at) = with_long_name(name_len, 16 + 16 * n);
    let enc = elf.enc;
    let vn = elf.table(DT_VERNEED).unwrap();
    let vn_file = enc.get(&d, vn + 4, 4);
    elf.set_dyn(&mut d, DT_VERNEED, REGION_VADDR + (at - base) as u64);
    elf.set_dyn(&mut d, DT_VERNEEDNUM, 1);
    enc.put(&mut d, at, 2, 1);
    enc.put(&mut d, at + 2, 2, n as u64);
    enc.put(&mut d, at + 4, 4, vn_file);
    enc.put(&mut d, at + 8, 4, 16);
    for j in 0..n {
        let a = at + 16 + 16 * j;
        enc.put(&mut d, a + 6, 2, (2 + j) as u64); // vna_other
        enc.put(&mut d, a + 8, 4, name); // vna_name
        enc.put(&mut d, a + 12, 4, if j + 1 < n { 16 } else { 0 });
    }
    d
}

/// The dynamic array moved into the new region with `n` more DT_NEEDED entries, all
/// naming the same `name_len`-byte string.
fn needed_sharing_a_long_name(n: usize, name_len: usize) -> Vec<u8> {
    let orig_elf = Elf::read(&common::fixture_bytes("x86_64/hello"));
    let keep: Vec<DynEntry> = orig_elf
        .dynamic
        .iter()
        .filter(|e| e.tag != DT_NULL)
        .cloned()
        .collect();
    let entries = keep.len() + n + 1;
    let (mut d, elf, base, strsz, name, at) = with_long_name(name_len, 16 * entries);
    let enc = elf.enc;
    let strtab_entry = |e: &DynEntry| match e.tag {
        DT_STRTAB => REGION_VADDR,
        DT_STRSZ => strsz,
        _ => e.val,
    };
    let mut a = at;
    for e in &keep {
        enc.put(&mut d, a, 8, e.tag);
        enc.put(&mut d, a + 8, 8, strtab_entry(e));
        a += 16;
    }
    for _ in 0..n {
        enc.put(&mut d, a, 8, DT_NEEDED);
        enc.put(&mut d, a + 8, 8, name);
        a += 16;
    }
    // DT_NULL: the region is zero-filled.
    let dy = elf.seg(PT_DYNAMIC).unwrap();
    elf.set_ph(&mut d, &dy, "p_offset", at as u64);
    elf.set_ph(&mut d, &dy, "p_vaddr", REGION_VADDR + (at - base) as u64);
    elf.set_ph(&mut d, &dy, "p_filesz", 16 * entries as u64);
    elf.set_ph(&mut d, &dy, "p_memsz", 16 * entries as u64);
    d
}

/// BUG (src/elf/parse.rs `parse_verneed` and `parse_verdef`): each verneed reserves room
/// for `vn_cnt` vernaux (`Vec::with_capacity(cnt)`) and each verdef for `vd_cnt` names
/// before reading them. The entry budget added for shared chains counts the entries
/// actually read, not the reservations, so n entries that each claim n children reserve
/// n² slots: 2048 verneeds claiming `vn_cnt = 2048` over one shared one-entry chain
/// (a 48 KB file) reserve ~170 MB; 4096 of them (80 KB) ~670 MB; verdefs likewise
/// (4096 claiming `vd_cnt = 4096`, 96 KB: ~400 MB). A fix: reserve
/// `min(cnt, entries left in the budget)` or nothing, and let the Vec grow.
/// Repro: `cargo test --release --test malformed -- --ignored claimed_counts`.
#[test]
fn claimed_counts_are_not_reserved_quadratically() {
    let mut h = Harness::new();
    h.case(
        "2048 verneeds claiming vn_cnt 2048, one shared vernaux",
        &verneeds_claiming_many_vernaux(2048),
    );
    h.case(
        "2048 verdefs claiming vd_cnt 2048, one shared verdaux",
        &verdefs_claiming_many_verdaux(2048),
    );
    h.finish("claimed counts");
}

/// BUG (src/versym/requirements.rs `Requirements::of`, src/report/analysis.rs): the
/// name budget that bounds copied symbol names does not cover the other names the
/// model copies once per entry: every vernaux's name becomes its own `VersionName`
/// (and again in the vna_hash warning text), every DT_NEEDED its own `String` in
/// `Analysis.needed`. One long string named by many entries multiplies: 2048 vernaux
/// naming one 32 KB string (an 80 KB file) peak at ~200 MB; 2048 DT_NEEDED naming it
/// (80 KB) at ~66 MB. A fix: count these copies against the same budget (or cap the
/// length of a name, or the number of DT_NEEDED entries, at something no real file
/// reaches).
/// Repro: `cargo test --release --test malformed -- --ignored names_shared`.
#[test]
fn names_shared_by_version_entries_and_needed_are_not_multiplied() {
    let mut h = Harness::new();
    h.case(
        "2048 vernaux naming one 32 KB string",
        &vernaux_sharing_a_long_name(2048, 32_000),
    );
    h.case(
        "2048 DT_NEEDED naming one 32 KB string",
        &needed_sharing_a_long_name(2048, 32_000),
    );
    h.finish("names shared by version entries and DT_NEEDED");
}
