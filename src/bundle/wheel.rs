//! `bundle` of a Python wheel: `auditwheel repair` plus lowering. The wheel is unpacked
//! into a temporary tree (so the members' `$ORIGIN` links resolve as they will once
//! installed), bundled as a tree with the wheel layout — libraries outside the manylinux
//! whitelist copied into `<dist name>.libs/` under unique sonames, every ELF member
//! lowered to the policy's glibc — and packed again as a new wheel: the platform tag of
//! the oldest manylinux policy the files truly meet (with its legacy alias), `Tag:`
//! lines in `WHEEL` to match, `RECORD` recomputed, members in a fixed order with fixed
//! timestamps, written under a temporary name and renamed into place. The input is only
//! read; a bundle of a bundled wheel is the same bytes.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::manylinux::{self, Needs};
use super::{BundleError, BundlePlan, Layout, Request};

/// A wheel file name's parts (PEP 427): `{dist}-{version}[-{build}]-{python}-{abi}-{platform}.whl`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WheelName {
    /// The distribution name (as escaped in the file name).
    pub dist: String,
    /// Its version.
    pub version: String,
    /// The build tag, if any.
    pub build: Option<String>,
    /// Python tag(s), `.`-joined.
    pub python: String,
    /// ABI tag(s).
    pub abi: String,
    /// Platform tag(s).
    pub platform: String,
}

impl WheelName {
    /// Parse a wheel's file name.
    pub fn parse(file_name: &str) -> Option<WheelName> {
        let stem = file_name.strip_suffix(".whl")?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (dist, version, build, rest) = match parts.as_slice() {
            [d, v, p, a, pl] => (*d, *v, None, [*p, *a, *pl]),
            [d, v, b, p, a, pl] => (*d, *v, Some(b.to_string()), [*p, *a, *pl]),
            _ => return None,
        };
        if [dist, version]
            .iter()
            .chain(rest.iter())
            .any(|s| s.is_empty())
        {
            return None;
        }
        Some(WheelName {
            dist: dist.into(),
            version: version.into(),
            build,
            python: rest[0].into(),
            abi: rest[1].into(),
            platform: rest[2].into(),
        })
    }

    /// The file name with other platform tags.
    pub fn with_platforms(&self, platforms: &[String]) -> String {
        let build = self
            .build
            .as_ref()
            .map(|b| format!("-{b}"))
            .unwrap_or_default();
        format!(
            "{}-{}{build}-{}-{}-{}.whl",
            self.dist,
            self.version,
            self.python,
            self.abi,
            platforms.join(".")
        )
    }
}

/// One member of a wheel.
struct Member {
    name: String,
    data: Vec<u8>,
    mode: u32,
}

/// What `bundle` of a wheel did (or, with a dry run, would do up to the tag).
#[derive(Clone, Debug, serde::Serialize)]
pub struct WheelOutcome {
    /// The bundle plan of the unpacked wheel (paths relative to the wheel's root).
    pub plan: BundlePlan,
    /// The new wheel, once written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wheel: Option<PathBuf>,
    /// The manylinux policy the written files meet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The platform tags written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub platform_tags: Vec<String>,
    /// What the written files need of the system, in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Whether `path` names a wheel.
pub fn is_wheel(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "whl")
}

/// Bundle `wheel` into the directory `out_dir`. `req` gives the target and the search
/// options; its inputs, output and layout are replaced.
pub fn bundle(
    req: &Request,
    wheel: &Path,
    out_dir: &Path,
    dry_run: bool,
) -> Result<WheelOutcome, BundleError> {
    let file_name = wheel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = WheelName::parse(&file_name).ok_or_else(|| {
        BundleError::Usage(format!(
            "{}: not a wheel's file name (name-version-python-abi-platform.whl)",
            wheel.display()
        ))
    })?;
    let members = read(wheel)?;
    let tmp = tempfile::Builder::new()
        .prefix(".elfcompat-wheel-")
        .tempdir()
        .map_err(|e| BundleError::io(&std::env::temp_dir(), e))?;
    let src = tmp.path().join(format!("{}-{}", name.dist, name.version));
    unpack(&members, &src)?;
    let mut wreq = req.clone();
    wreq.inputs = vec![src.clone()];
    wreq.out = tmp.path().join("out");
    wreq.layout = Layout {
        libs_dir: format!("{}.libs", name.dist),
        unique_sonames: true,
        runpath_always: false,
        also_keep: manylinux::WHITELIST,
    };
    let mut plan = super::plan(&wreq)?;
    let mut outcome = WheelOutcome {
        plan: plan.clone(),
        wheel: None,
        policy: None,
        platform_tags: Vec::new(),
        notes: Vec::new(),
    };
    if dry_run {
        outcome.plan.out = out_dir.to_path_buf();
        return Ok(outcome);
    }
    super::write(&plan)?;
    let (policy, arch, needs) = meets(&plan, &wreq.out)?;
    let platforms = manylinux::platform_tags(policy, arch);
    outcome.notes.push(needs_note(&needs));
    for s in &plan.system {
        if super::policy::keep(&s.name).is_some_and(|k| k != super::Keep::Glibc)
            && !manylinux::WHITELIST
                .iter()
                .any(|p| super::policy::matches(p, &s.name))
            && s.name != super::runtime::LIBSTDCXX
            && s.name != super::runtime::LIBGCC_S
        {
            outcome.notes.push(format!(
                "{} is left to the target ({}) but is not on the manylinux whitelist: auditwheel will not accept the tag",
                s.name, s.why
            ));
        }
    }
    let dist_info = format!("{}-{}.dist-info", name.dist, name.version);
    let new_members = repack(&members, &plan, &wreq.out, &dist_info, &platforms)?;
    std::fs::create_dir_all(out_dir).map_err(|e| BundleError::io(out_dir, e))?;
    let out = out_dir.join(name.with_platforms(&platforms));
    if same_file(&out, wheel) {
        return Err(BundleError::Usage(format!(
            "{}: the output would replace the input; choose another -o",
            out.display()
        )));
    }
    write_zip(&new_members, &out)?;
    plan.out = out.clone();
    outcome.plan = plan;
    outcome.wheel = Some(out);
    outcome.policy = Some(policy.name.clone());
    outcome.platform_tags = platforms;
    Ok(outcome)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Every file member of a wheel, in the archive's order.
fn read(wheel: &Path) -> Result<Vec<Member>, BundleError> {
    let file = std::fs::File::open(wheel).map_err(|e| BundleError::io(wheel, e))?;
    let bad = |e: zip::result::ZipError| {
        BundleError::Usage(format!("{}: not a readable wheel: {e}", wheel.display()))
    };
    let mut zip = zip::ZipArchive::new(file).map_err(bad)?;
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut m = zip.by_index(i).map_err(bad)?;
        if m.is_dir() {
            continue;
        }
        let name = m.name().to_string();
        if m.enclosed_name().is_none() || name.starts_with('/') {
            return Err(BundleError::Usage(format!(
                "{}: member {name} would be written outside the wheel",
                wheel.display()
            )));
        }
        let mode = m.unix_mode().map_or(0o644, |m| m & 0o777);
        let mut data = Vec::with_capacity(m.size().try_into().unwrap_or(0));
        m.read_to_end(&mut data)
            .map_err(|e| BundleError::io(&wheel.join(&name), e))?;
        out.push(Member { name, data, mode });
    }
    Ok(out)
}

fn unpack(members: &[Member], root: &Path) -> Result<(), BundleError> {
    use std::os::unix::fs::PermissionsExt;
    for m in members {
        let path = root.join(&m.name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| BundleError::io(dir, e))?;
        }
        std::fs::write(&path, &m.data).map_err(|e| BundleError::io(&path, e))?;
        // Readable by the bundle's own reading, whatever the archive said.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(m.mode | 0o600))
            .map_err(|e| BundleError::io(&path, e))?;
    }
    Ok(())
}

/// The oldest policy the written ELF files meet, their architecture, and their needs.
fn meets(
    plan: &BundlePlan,
    root: &Path,
) -> Result<(&'static crate::abi::manylinux::Policy, &'static str, Needs), BundleError> {
    let mut needs = Needs::default();
    let mut arch = None;
    for f in plan
        .files
        .iter()
        .filter(|f| f.plan.is_some() && f.symlink.is_none())
    {
        let path = root.join(&f.dest);
        let map = crate::elf::open(&path)?;
        let file = crate::elf::ElfFile::parse(map.bytes()).map_err(|source| {
            BundleError::File(crate::elf::FileError::Elf {
                path: path.clone(),
                source,
            })
        })?;
        needs.add(&file);
        let a = manylinux::arch_of(&file).ok_or_else(|| {
            BundleError::Usage(format!(
                "{}: no wheel platform tag for its architecture",
                f.dest
            ))
        })?;
        match arch {
            None => arch = Some(a),
            Some(b) if b != a => {
                return Err(BundleError::Usage(format!(
                    "the wheel holds ELF files of two architectures ({b} and {a} in {})",
                    f.dest
                )))
            }
            _ => {}
        }
    }
    let arch = arch.ok_or_else(|| {
        BundleError::Usage(
            "the wheel holds no ELF file: a pure-Python wheel needs no platform tag".into(),
        )
    })?;
    let policy = manylinux::oldest_met(&needs, arch).ok_or_else(|| {
        BundleError::Usage(format!(
            "the lowered files meet no manylinux policy: {}",
            needs_note(&needs)
        ))
    })?;
    Ok((policy, arch, needs))
}

fn needs_note(n: &Needs) -> String {
    let v = |t: Option<(u8, u8, u8)>, p: &str| {
        t.map(|(a, b, c)| {
            if c == 0 && p == "GCC_" {
                format!("{p}{a}.{b}.0")
            } else if c == 0 {
                format!("{p}{a}.{b}")
            } else {
                format!("{p}{a}.{b}.{c}")
            }
        })
    };
    let parts: Vec<String> = [
        n.glibc.map(|g| format!("GLIBC_{g}")),
        v(n.glibcxx, "GLIBCXX_"),
        v(n.cxxabi, "CXXABI_"),
        v(n.gcc_s, "GCC_"),
    ]
    .into_iter()
    .flatten()
    .collect();
    format!("the files need of the system at most: {}", parts.join(", "))
}

/// The new wheel's members: the written tree's files (the bundle's own record left out,
/// and signatures of the old RECORD dropped), `WHEEL` re-tagged, `RECORD` recomputed.
/// Order: files outside `.dist-info` by path, then `.dist-info`'s by path with `RECORD`
/// last — the same for a wheel and for its own bundle.
fn repack(
    old: &[Member],
    plan: &BundlePlan,
    root: &Path,
    dist_info: &str,
    platforms: &[String],
) -> Result<Vec<Member>, BundleError> {
    let record = format!("{dist_info}/RECORD");
    let wheel_meta = format!("{dist_info}/WHEEL");
    if !old.iter().any(|m| m.name == wheel_meta) {
        return Err(BundleError::Usage(format!("the wheel has no {wheel_meta}")));
    }
    let mut out = Vec::new();
    for f in &plan.files {
        if f.symlink.is_some()
            || f.dest == record
            || f.dest == format!("{record}.jws")
            || f.dest == format!("{record}.p7s")
        {
            continue;
        }
        let path = root.join(&f.dest);
        let mut data = std::fs::read(&path).map_err(|e| BundleError::io(&path, e))?;
        if f.dest == wheel_meta {
            data = retag(&data, platforms).into_bytes();
        }
        out.push(Member {
            name: f.dest.clone(),
            data,
            mode: f.mode,
        });
    }
    let in_dist_info = |n: &str| n.starts_with(&format!("{dist_info}/"));
    out.sort_by(|a, b| (in_dist_info(&a.name), &a.name).cmp(&(in_dist_info(&b.name), &b.name)));
    let mut lines = String::new();
    for m in &out {
        lines.push_str(&format!(
            "{},sha256={},{}\n",
            csv_field(&m.name),
            record_hash(&m.data),
            m.data.len()
        ));
    }
    lines.push_str(&format!("{},,\n", csv_field(&record)));
    let mode = old
        .iter()
        .find(|m| m.name == record)
        .map_or(0o644, |m| m.mode);
    out.push(Member {
        name: record,
        data: lines.into_bytes(),
        mode,
    });
    Ok(out)
}

/// `WHEEL` with its `Tag:` lines replaced: each (python, abi) pair of the old tags with
/// every new platform, in the old order, where the first `Tag:` line was.
fn retag(wheel: &[u8], platforms: &[String]) -> String {
    let text = String::from_utf8_lossy(wheel);
    let mut pairs: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(tag) = line.strip_prefix("Tag:") {
            let mut it = tag.trim().splitn(3, '-');
            if let (Some(py), Some(abi)) = (it.next(), it.next()) {
                let p = (py.to_string(), abi.to_string());
                if !pairs.contains(&p) {
                    pairs.push(p);
                }
            }
        }
    }
    let mut out = String::new();
    let mut placed = false;
    for line in text.lines() {
        if line.starts_with("Tag:") {
            if !placed {
                for (py, abi) in &pairs {
                    for plat in platforms {
                        out.push_str(&format!("Tag: {py}-{abi}-{plat}\n"));
                    }
                }
                placed = true;
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A RECORD path, quoted as CSV when it must be.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `sha256=` value of RECORD: urlsafe base64 of the digest, without padding.
pub fn record_hash(data: &[u8]) -> String {
    use sha2::Digest;
    base64_urlsafe_nopad(&sha2::Sha256::digest(data))
}

fn base64_urlsafe_nopad(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// The members' timestamp: `SOURCE_DATE_EPOCH` when set (not before 1980, zip's epoch),
/// else 1980-01-01 00:00.
pub fn member_time() -> zip::DateTime {
    let fallback = zip::DateTime::default();
    let Some(epoch) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
    else {
        return fallback;
    };
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (Ok(y), Ok(m), Ok(d)) = (u16::try_from(y), u8::try_from(m), u8::try_from(d)) else {
        return fallback;
    };
    if y < 1980 {
        return fallback;
    }
    zip::DateTime::from_date_and_time(
        y,
        m,
        d,
        (secs / 3600) as u8,
        (secs / 60 % 60) as u8,
        // zip keeps even seconds.
        (secs % 60 / 2 * 2) as u8,
    )
    .unwrap_or(fallback)
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's
/// algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Write a zip of `members`, in order, under a temporary name beside `out`, then rename.
fn write_zip(members: &[Member], out: &Path) -> Result<(), BundleError> {
    let dir = crate::patch::write::dir_of(out);
    let tmp = tempfile::Builder::new()
        .prefix(".elfcompat-wheel-")
        .suffix(".tmp")
        .tempfile_in(&*dir)
        .map_err(|e| BundleError::io(&dir, e))?;
    let io = |e: std::io::Error| BundleError::io(out, e);
    let zerr = |e: zip::result::ZipError| BundleError::io(out, std::io::Error::other(e));
    let time = member_time();
    {
        let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(tmp.as_file()));
        for m in members {
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .last_modified_time(time)
                .unix_permissions(m.mode);
            zip.start_file(m.name.as_str(), opts).map_err(zerr)?;
            zip.write_all(&m.data).map_err(io)?;
        }
        let mut w = zip.finish().map_err(zerr)?;
        w.flush().map_err(io)?;
    }
    tmp.as_file().sync_all().map_err(io)?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644)).map_err(io)?;
    }
    crate::patch::write::persist(tmp, out).map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let n = WheelName::parse("zcrc-1.0-cp37-abi3-linux_x86_64.whl").unwrap();
        assert_eq!(n.dist, "zcrc");
        assert_eq!(
            n.with_platforms(&[
                "manylinux_2_17_x86_64".into(),
                "manylinux2014_x86_64".into()
            ]),
            "zcrc-1.0-cp37-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
        );
        let n = WheelName::parse("a_b-2-1x-py3-none-any.whl").unwrap();
        assert_eq!(n.build.as_deref(), Some("1x"));
        assert!(WheelName::parse("a-1.0.whl").is_none());
    }

    #[test]
    fn record_hashes() {
        // sha256 of the empty string, as pip writes it.
        assert_eq!(
            record_hash(b""),
            "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
        );
        assert_eq!(base64_urlsafe_nopad(b"ab"), "YWI");
        assert_eq!(base64_urlsafe_nopad(b"abcd"), "YWJjZA");
    }

    #[test]
    fn tags_and_dates() {
        let w = b"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp37-abi3-linux_x86_64\n\n";
        assert_eq!(
            retag(w, &["manylinux_2_17_x86_64".into(), "manylinux2014_x86_64".into()]),
            "Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp37-abi3-manylinux_2_17_x86_64\nTag: cp37-abi3-manylinux2014_x86_64\n\n"
        );
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
    }
}
