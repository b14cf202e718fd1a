//! The C23 transcendental polyfills (`polyfill/src/math_c23.c`) side by side with glibc.
//!
//! glibc 2.40/2.41's functions (exp2m1 … atan2pi): `testdata/polyfill/math_c23.c` is
//! linked against trixie's libm (glibc 2.41) and run under trixie's loader for the
//! reference, then patched to 2.17 and run on the host's 2.36 and bullseye's 2.31, where
//! the polyfills answer. Both polyfilled runs must print the same; against glibc, every
//! special case (a NaN, an infinity or a zero on either side, a sign) must be bit for bit
//! glibc's, errno and the invalid, divide-by-zero, overflow and underflow flags must be
//! glibc's on every line, and a finite result may differ from glibc's by at most the
//! bound stated per function and type below (the maximum measured is printed).
//!
//! glibc 2.42's functions (pown, powr, rootn, rsqrt, compoundn) have no Debian release to
//! compare with: `testdata/polyfill/math_c23_new.c` is linked against stub libraries of
//! 2.42 made from the ABI database, patched to 2.17 and run on 2.36 and 2.31; it checks
//! its special cases against a table of glibc 2.42's rules (result, errno and flags
//! identical) and its finite results against a correctly rounded binary128 reference
//! (errno 0, at most the bound below in ulps).
//!
//! x86_64 natively; aarch64 cross-compiled, under qemu-user.

mod common;

use common::polyfill::{c_toolchain, output, patch_to_2_17, run_on};

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

#[test]
fn x86_64_c23_math_matches_glibc_2_41() {
    side_by_side_2_41("amd64");
}

#[test]
fn aarch64_c23_math_matches_glibc_2_41() {
    side_by_side_2_41("arm64");
}

#[test]
fn x86_64_c23_math_of_2_42_meets_its_references() {
    against_references_2_42("amd64");
}

#[test]
fn aarch64_c23_math_of_2_42_meets_its_references() {
    against_references_2_42("arm64");
}

/// The most ulps a finite polyfill result of a 2.42 function may be from the correctly
/// rounded value. Float goes through double and is correctly rounded on every argument
/// tried; x87 long double pown is x87 powl (glibc 2.42's pownl calls it too), powr is powl
/// itself (so its reference is powl); on aarch64 (binary128) pownl and powrl are powl, as
/// glibc 2.42's, and so is their reference.
fn bound_vs_exact(name: &str) -> u64 {
    match split_name(name) {
        (_, 'f') => 0,
        ("rsqrt" | "pown" | "powr", 'd') => 1,
        (_, 'd') => 2,
        ("pown", 'l') => 3,
        ("powr", 'l') => 0,
        _ => 2,
    }
}

/// The most ulps a finite polyfill result may be from glibc 2.41's, by function (its base
/// name and type suffix, `_FloatN` aliases counted with their type). glibc 2.41's float
/// exp2m1/exp10m1/log2p1/log10p1/log1p are CORE-MATH's correctly rounded ones and so are
/// the polyfills' here (computed in double); its sinpi … atan2pi are the generic
/// templates, in the result's own precision, which is most of what the other bounds
/// measure. On aarch64 the double polyfills compute in double with the running glibc's
/// sin, tan, atan …, whose last bit differs between 2.31 and 2.36: the two polyfilled
/// runs are each held to the bounds, not to each other.
fn bound_vs_glibc(name: &str) -> u64 {
    let (base, ty) = split_name(name);
    match (base, ty) {
        ("exp2m1" | "exp10m1" | "log2p1" | "log10p1" | "logp1", 'f') => 0,
        ("logp1", _) => 0,
        ("exp10m1" | "tanpi", 'd') => 3,
        _ => 2,
    }
}

const BASES: &[&str] = &[
    "sinpi",
    "cospi",
    "tanpi",
    "asinpi",
    "acospi",
    "atan2pi",
    "atanpi",
    "exp2m1",
    "exp10m1",
    "log2p1",
    "log10p1",
    "logp1",
    "pown",
    "powr",
    "rootn",
    "rsqrt",
    "compoundn",
];

/// A called name as (base, type): 'f' float, 'd' double, 'l' long double.
fn split_name(name: &str) -> (&str, char) {
    let base = BASES
        .iter()
        .filter(|b| name.starts_with(**b))
        .max_by_key(|b| b.len())
        .unwrap_or_else(|| panic!("unknown function {name}"));
    let ty = match &name[base.len()..] {
        "f" | "f32" => 'f',
        "" | "f64" | "f32x" => 'd',
        "l" | "f64x" | "f128" => 'l',
        s => panic!("unknown suffix {s} of {name}"),
    };
    (base, ty)
}

/// A result printed as hex bits: float (8 digits), double (16), x87 long double (20) or
/// binary128 (32).
#[derive(Clone, Copy, Debug)]
struct Bits {
    negative: bool,
    /// The magnitude as an integer that counts ulps (consecutive values differ by 1).
    magnitude: u128,
    nan: bool,
    inf: bool,
}

fn bits(hex: &str) -> Bits {
    let v = u128::from_str_radix(hex, 16).unwrap_or_else(|e| panic!("{hex}: {e}"));
    let (negative, magnitude, nan, inf) = match hex.len() {
        8 => {
            let m = v & 0x7fff_ffff;
            (v >> 31 == 1, m, m > 0x7f80_0000, m == 0x7f80_0000)
        }
        16 => {
            let m = v & 0x7fff_ffff_ffff_ffff;
            let inf = 0x7ff0_0000_0000_0000;
            (v >> 63 == 1, m, m > inf, m == inf)
        }
        20 => {
            let se = v >> 64;
            let m = v & 0xffff_ffff_ffff_ffff;
            let e = se & 0x7fff;
            let nan = e == 0x7fff && (m << 1) & 0xffff_ffff_ffff_ffff != 0;
            let inf = e == 0x7fff && !nan;
            // The explicit integer bit: normal values continue where subnormals end.
            let mag = if e == 0 { m } else { (e - 1) * (1 << 63) + m };
            (se >> 15 == 1, mag, nan, inf)
        }
        32 => {
            // binary128 (aarch64's long double)
            let m = v & !(1 << 127);
            let inf = 0x7fff << 112;
            (v >> 127 == 1, m, m > inf, m == inf)
        }
        n => panic!("{hex}: {n} hex digits"),
    };
    Bits {
        negative,
        magnitude,
        nan,
        inf,
    }
}

/// One line "name args -> result eERRNO fFLAGS", split at the arrow.
fn parse(line: &str) -> (&str, &str, &str, u32) {
    let (call, result) = line
        .split_once(" -> ")
        .unwrap_or_else(|| panic!("no result: {line}"));
    let r: Vec<&str> = result.split(' ').collect();
    assert_eq!(r.len(), 3, "{line}");
    let flags = u32::from_str_radix(r[2].trim_start_matches('f'), 16).expect("flags");
    (call, r[0], r[1], flags)
}

/// Compares glibc's lines with the polyfills': the largest ulp distance per function, or
/// the first lines that break a rule.
fn compare(reference: &str, polyfill: &str) -> Result<BTreeMap<String, u128>, String> {
    let (a, b): (Vec<&str>, Vec<&str>) = (reference.lines().collect(), polyfill.lines().collect());
    if a.len() != b.len() {
        return Err(format!("{} lines against {}", a.len(), b.len()));
    }
    let mut max: BTreeMap<String, u128> = BTreeMap::new();
    let mut bad = Vec::new();
    for (la, lb) in a.iter().zip(&b) {
        let (call, ra, ea, fa) = parse(la);
        let (call_b, rb, eb, fb) = parse(lb);
        assert_eq!(call, call_b, "the programs' lines are out of step");
        let name = call.split(' ').next().unwrap_or_default().to_string();
        let (x, y) = (bits(ra), bits(rb));
        let special = x.nan || y.nan || x.inf || y.inf || x.magnitude == 0 || y.magnitude == 0;
        let ulps = x.magnitude.abs_diff(y.magnitude);
        let why = if ea != eb {
            Some("errno")
        } else if fa != fb {
            Some("exception flags")
        } else if (special || x.negative != y.negative) && ra != rb {
            Some("special case")
        } else if !special && ulps > u128::from(bound_vs_glibc(&name)) {
            Some("ulp bound")
        } else {
            None
        };
        let m = max.entry(name).or_default();
        if !special {
            *m = (*m).max(ulps);
        }
        if let Some(why) = why {
            bad.push(format!("{why}:\n  glibc    {la}\n  polyfill {lb}"));
        }
    }
    if bad.is_empty() {
        Ok(max)
    } else {
        Err(format!(
            "{} lines differ, the first:\n{}",
            bad.len(),
            bad.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
        ))
    }
}

/// Checks the 2.42 program's lines: each special case as its expected line, each finite
/// result within `bound_vs_exact` of its reference; the largest ulp distance per function.
fn check_references(out: &str, x87: bool) -> Result<BTreeMap<String, u128>, String> {
    let mut max: BTreeMap<String, u128> = BTreeMap::new();
    let mut bad = Vec::new();
    let mut specials = 0;
    for line in out.lines() {
        let (call, rest) = line
            .split_once(" -> ")
            .ok_or_else(|| format!("no result: {line}"))?;
        let name = call.split(' ').next().unwrap_or_default().to_string();
        let why = if let Some((got, expected)) = rest.split_once(" = ") {
            specials += 1;
            let (g, e): (Vec<&str>, Vec<&str>) =
                (got.split(' ').collect(), expected.split(' ').collect());
            let same_value = if e[0] == "nan" {
                bits(g[0]).nan
            } else {
                g[0] == e[0]
            };
            (!same_value || g[1..] != e[1..]).then_some("special case")
        } else if let Some((got, reference)) = rest.split_once(" ~ ") {
            let g: Vec<&str> = got.split(' ').collect();
            let (x, r) = (bits(g[0]), bits(reference));
            let flags = u32::from_str_radix(g[2].trim_start_matches('f'), 16).expect("flags");
            // x87 powl raises overflow or underflow (x86's 8 and 16) for some results well
            // inside the range; glibc 2.42's pownl and compoundnl call it as the polyfills do.
            let powl = x87 && (line.starts_with("pownl") || line.starts_with("compoundnl"));
            let flags_ok = flags == 0 || (powl && flags & !(8 | 16) == 0);
            let ulps = x.magnitude.abs_diff(r.magnitude);
            let m = max.entry(name.clone()).or_default();
            *m = (*m).max(ulps);
            if g[1] != "e0" || !flags_ok {
                Some("errno or flags")
            } else if x.nan || x.inf || r.nan || r.inf || x.negative != r.negative {
                Some("not finite")
            } else {
                (ulps > u128::from(bound_vs_exact(&name))).then_some("ulp bound")
            }
        } else {
            return Err(format!("neither a special case nor a reference: {line}"));
        };
        if let Some(why) = why {
            bad.push(format!("{why}: {line}"));
        }
    }
    if specials < 100 {
        return Err(format!("only {specials} special cases"));
    }
    if bad.is_empty() {
        Ok(max)
    } else {
        Err(format!(
            "{} lines wrong, the first:\n{}",
            bad.len(),
            bad.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
        ))
    }
}

fn against_references_2_42(arch: &str) {
    let (cc, qemu, sysroot) = c_toolchain(arch);
    let tmp = tempfile::tempdir().expect("tempdir");
    let target = elfcompat::abi::db()
        .target_by_name(if arch == "amd64" { "x86_64" } else { "aarch64" })
        .expect("target");
    let release = elfcompat::abi::GlibcVersion::parse("2.42").expect("2.42");
    let stubs = tmp.path().join("stubs-2.42");
    std::fs::create_dir(&stubs).expect("mkdir");
    elfcompat::verify::stubs::write_stubs(target, release, &stubs).expect("stubs");
    let bin = tmp.path().join("c23-new");
    let mut c = Command::new(cc);
    c.args(["-O1", "-static-libgcc", "-o"])
        .arg(&bin)
        .arg(common::crate_root().join("testdata/polyfill/math_c23_new.c"))
        .arg("-Wl,--no-as-needed,--allow-shlib-undefined")
        .arg(stubs.join("libm.so.6"));
    output(c);
    let patched = tmp.path().join("c23-new-2.17");
    let plan = patch_to_2_17(&bin, &patched);
    let binary128 = if arch == "arm64" {
        &["pownl", "powrf128", "pownf64x"][..]
    } else {
        &[]
    };
    for f in ["pownf", "powr", "rootnf32x", "rsqrtf64", "compoundnf32"]
        .iter()
        .chain(binary128)
    {
        assert!(plan.contains(&format!("polyfill  {f} ")), "{f}: {plan}");
    }
    let under = |glibc: Option<(&str, &str)>| run_on(qemu, sysroot, glibc, &patched);
    let (old_loader, old_libpath) = common::old_runtime(arch);
    for (glibc, run) in [
        ("2.36", under(None)),
        ("2.31", under(Some((&old_loader, &old_libpath)))),
    ] {
        let max = check_references(&run, arch == "amd64")
            .unwrap_or_else(|e| panic!("{arch}: the polyfills on glibc {glibc}: {e}"));
        println!(
            "polyfill_c23: {arch} math_c23_new.c on glibc {glibc}: {} calls, special cases as glibc 2.42's rules; max ulps from the exact result: {}",
            run.lines().count(),
            summary(&max)
        );
    }
}

/// `source` compiled by `cc` into `bin` against trixie's libm.so.6 and libc.so.6
/// (glibc 2.41); trixie's runtime, to run the reference under.
fn build_against_trixie_libm(cc: &str, arch: &str, source: &str, bin: &Path) -> common::OldRuntime {
    let new = common::fetch_old_runtime("trixie", arch).unwrap_or_else(|e| panic!("{e}"));
    let lib = |name: &str| {
        new.libpath
            .split(':')
            .map(|d| Path::new(d).join(name))
            .find(|p| p.exists())
            .unwrap_or_else(|| panic!("trixie's {name}"))
    };
    let mut c = Command::new(cc);
    c.args(["-O1", "-o"])
        .arg(bin)
        .arg(common::crate_root().join("testdata/polyfill").join(source))
        .arg("-Wl,--no-as-needed,--allow-shlib-undefined")
        .arg(lib("libm.so.6"))
        .arg(lib("libc.so.6"));
    output(c);
    new
}

fn side_by_side_2_41(arch: &str) {
    let (cc, qemu, sysroot) = c_toolchain(arch);
    let tmp = tempfile::tempdir().expect("tempdir");
    let bin = tmp.path().join("c23");
    let new = build_against_trixie_libm(cc, arch, "math_c23.c", &bin);
    let patched = tmp.path().join("c23-2.17");
    let plan = patch_to_2_17(&bin, &patched);
    let binary128 = if arch == "arm64" {
        &["logp1l", "logp1f128"][..]
    } else {
        &[]
    };
    for f in ["sinpif", "atan2pi", "exp10m1f64", "tanpif32x", "logp1"]
        .iter()
        .chain(binary128)
    {
        assert!(plan.contains(&format!("polyfill  {f} ")), "{f}: {plan}");
    }
    let under = |glibc: Option<(&str, &str)>, prog: &Path| run_on(qemu, sysroot, glibc, prog);
    let loader = new.loader.display().to_string();
    let reference = under(Some((&loader, &new.libpath)), &bin);
    let (old_loader, old_libpath) = common::old_runtime(arch);
    for (glibc, run) in [
        ("2.36", under(None, &patched)),
        ("2.31", under(Some((&old_loader, &old_libpath)), &patched)),
    ] {
        let max = compare(&reference, &run)
            .unwrap_or_else(|e| panic!("{arch}: the polyfills on glibc {glibc}: {e}"));
        println!(
            "polyfill_c23: {arch} math_c23.c on glibc {glibc}: {} calls against glibc 2.41, special cases, errno and flags identical; max ulps: {}",
            reference.lines().count(),
            summary(&max)
        );
    }
}

/// The largest ulp distance per base function and type, as "sinpi/f 1, ...".
fn summary(max: &BTreeMap<String, u128>) -> String {
    let by_type: BTreeMap<(&str, char), u128> =
        max.iter().fold(BTreeMap::new(), |mut m, (name, ulps)| {
            let e = m.entry(split_name(name)).or_default();
            *e = (*e).max(*ulps);
            m
        });
    by_type
        .iter()
        .map(|((base, ty), u)| format!("{base}/{ty} {u}"))
        .collect::<Vec<_>>()
        .join(", ")
}
