//! The input is never lost: `elfcompat patch` writes through a temp file in the target's
//! directory, fsync, read-back check and rename (src/patch/write.rs).
//!
//! All cases run the real binary on a program compiled now with the host's gcc
//! (`testdata/gen/atomic_prog.c`: pthread_create + printf, so it needs GLIBC_2.34 and
//! patching it to 2.31 is a rewrite that grows the file). A reference patched file is
//! made once with `-o`; the cases check:
//!
//! a. kills at many points, with `--in-place` and with `-o` onto an existing file:
//!    `prlimit --fsize=N` (SIGXFSZ when the temp file reaches N bytes) for N from 0 to past
//!    the output size, and SIGKILL after random delays. After each, the target is
//!    byte-identical to what it was or to the reference, never anything else; a leftover
//!    `.elfcompat-tmp-*` may exist, but after one more successful run in that directory
//!    none does. `a_stale_temp_removed_by_a_run_that_changes_nothing` checks the same
//!    promise when that next run finds nothing to do.
//! b. a full filesystem (a tiny tmpfs, or a loop-mounted ext2 image where mounting tmpfs
//!    is not permitted): exit 2, input intact, no temp file. Also a read-only mount.
//! c. a read-only directory, as `nobody`: exit 2, nothing changed.
//! d. owner, group and mode (setuid/setgid included) survive `--in-place` by root; so do
//!    file capabilities (`setcap`; skipped without libcap2-bin).
//! e. `--in-place` on a symlink patches its target, says so, and leaves the link alone.
//! f. refusals and errors (blockers, malformed input) leave no output and no temp file.
//!    The blocked case uses `--polyfill=none`: with polyfills (the default) the program's
//!    stat and mallinfo2 are linked in instead of refused. The plan printed for a refusal
//!    names its blockers.
//!
//! g. `-o` onto a special file (a FIFO; as root also a character device made like
//!    `/dev/null`) writes the patched bytes into it, as `cp` would, and leaves the node a
//!    node: a rename would have replaced `/dev/null` itself with a regular file.
//!
//! `ELFCOMPAT_ATOMIC_FORCE_LOOP=1` makes b use the ext2 image even where tmpfs mounts.
//! Cases b, c and d need root (b mounts, c switches to `nobody`, d chowns); without root,
//! gcc or prlimit they are skipped, unless `CI` is set, when they fail.
//! Work directories: `target/tmp/atomic_write/`, kept on failure (or with
//! `ELFCOMPAT_KEEP_TEST_FILES`). The kill loops use a fixed seed; set
//! `ELFCOMPAT_ATOMIC_SEED` to vary it and `ELFCOMPAT_ATOMIC_KILLS` for the number of
//! SIGKILL runs per mode (default 60).

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod support_gen;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use support_gen::*;

const TEST: &str = "atomic_write";
const BASELINE: &str = "2.31";
const TIMEOUT: Duration = Duration::from_secs(60);
/// SIGXFSZ on x86_64 Linux.
const SIGXFSZ: i32 = 25;
const SIGKILL: i32 = 9;

/// The program as built, its patched reference, and its expected output.
struct Fixture {
    orig: Vec<u8>,
    reference: Vec<u8>,
}

fn fixture() -> Option<&'static Fixture> {
    static F: OnceLock<Option<Fixture>> = OnceLock::new();
    F.get_or_init(build_fixture).as_ref()
}

fn build_fixture() -> Option<Fixture> {
    if !gcc_works() {
        return unavailable(TEST, "gcc not found");
    }
    // Not a WorkDir: it must outlive every test thread, and a static is never dropped.
    let dir = Path::new(MANIFEST_DIR)
        .join("target/tmp")
        .join(TEST)
        .join(format!("fixture-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    set_mode(&dir, 0o755);
    let src = Path::new(MANIFEST_DIR).join("testdata/gen/atomic_prog.c");
    let prog = dir.join("prog");
    gcc(&["-O2", src.to_str().unwrap()], &prog).unwrap_or_else(|e| panic!("gcc failed:\n{e}"));
    let orig = std::fs::read(&prog).unwrap();
    let ref_path = dir.join("reference");
    let o = run(
        elfcompat(["patch", "--glibc", BASELINE])
            .arg(&prog)
            .arg("-o")
            .arg(&ref_path),
        TIMEOUT,
    );
    assert!(o.ok(), "making the reference failed\n{}", o.describe());
    let reference = std::fs::read(&ref_path).unwrap();
    assert_ne!(
        orig, reference,
        "the reference patch changed nothing: the test would prove nothing"
    );
    // Both run, the same.
    let a = run_prog(&prog);
    let b = run_prog(&ref_path);
    assert!(
        a.ok() && a.stdout == b.stdout && b.ok(),
        "the reference does not run like the original\n{}\n{}",
        a.describe(),
        b.describe()
    );
    say(&format!(
        "{TEST}: program {} bytes, patched to {BASELINE}: {} bytes",
        orig.len(),
        reference.len()
    ));
    if std::env::var_os("ELFCOMPAT_KEEP_TEST_FILES").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Some(Fixture { orig, reference })
}

fn run_prog(p: &Path) -> Out {
    let mut c = Command::new(p);
    c.env("LD_BIND_NOW", "1");
    run(c, TIMEOUT)
}

fn need_root(what: &str) -> bool {
    if is_root() {
        true
    } else {
        unavailable::<()>(TEST, &format!("{what} needs root")).is_some()
    }
}

/// What a target's bytes are.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum State {
    Original,
    Patched,
}

fn state_of(bytes: &[u8], original: &[u8], f: &Fixture) -> Option<State> {
    if bytes == original {
        Some(State::Original)
    } else if bytes == f.reference.as_slice() {
        Some(State::Patched)
    } else {
        None
    }
}

/// How the patch is invoked in the kill loops.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// `--in-place DIR/prog`
    InPlace,
    /// `DIR/in -o DIR/out`, DIR/out existing with other contents.
    OntoExisting,
}

/// What the target holds before each run, for `mode`.
fn target_original(mode: Mode, f: &Fixture) -> Vec<u8> {
    match mode {
        Mode::InPlace => f.orig.clone(),
        Mode::OntoExisting => b"the previous contents of OUT: not an ELF file\n".repeat(50),
    }
}

struct KillSetup {
    dir: PathBuf,
    target: PathBuf,
    args: Vec<std::ffi::OsString>,
    original: Vec<u8>,
}

fn kill_setup(wd: &WorkDir, mode: Mode, f: &Fixture) -> KillSetup {
    let dir = wd.subdir(&format!("{mode:?}"));
    let original = target_original(mode, f);
    let (target, args) = match mode {
        Mode::InPlace => {
            let t = dir.join("prog");
            let args = vec![
                "patch".into(),
                "--glibc".into(),
                BASELINE.into(),
                "--in-place".into(),
                t.clone().into_os_string(),
            ];
            (t, args)
        }
        Mode::OntoExisting => {
            let input = dir.join("in");
            std::fs::write(&input, &f.orig).unwrap();
            set_mode(&input, 0o755);
            let t = dir.join("out");
            let args = vec![
                "patch".into(),
                "--glibc".into(),
                BASELINE.into(),
                input.into_os_string(),
                "-o".into(),
                t.clone().into_os_string(),
            ];
            (t, args)
        }
    };
    KillSetup {
        dir,
        target,
        args,
        original,
    }
}

impl KillSetup {
    fn reset(&self) {
        std::fs::write(&self.target, &self.original).unwrap();
        set_mode(&self.target, 0o755);
    }

    fn command(&self) -> Command {
        elfcompat(&self.args)
    }

    /// After a kill: the target is whole; then one successful run leaves no temp file and
    /// the complete patched output.
    fn check_after(&self, f: &Fixture, what: &str, first: &Out) -> State {
        let now = std::fs::read(&self.target).unwrap();
        let state = state_of(&now, &self.original, f).unwrap_or_else(|| {
            panic!(
                "{what}: the target {} is neither the original ({} bytes) nor the complete patched output ({} bytes): {} bytes\n{}",
                self.target.display(),
                self.original.len(),
                f.reference.len(),
                now.len(),
                first.describe()
            )
        });
        let again = run(self.command(), TIMEOUT);
        assert!(
            again.ok(),
            "{what}: the run after the kill failed\n{}",
            again.describe()
        );
        let left = temps_in(&self.dir);
        assert!(
            left.is_empty(),
            "{what}: temp files remain after one more successful run in {}: {left:?}\nfirst run:\n{}\nsecond run:\n{}",
            self.dir.display(),
            first.describe(),
            again.describe()
        );
        assert!(
            std::fs::read(&self.target).unwrap() == f.reference,
            "{what}: after the successful run the target is not the patched output"
        );
        state
    }
}

/// The file sizes at which the writer is stopped: small ones, page boundaries, every
/// 512 bytes, and around the end of the output.
fn fsize_points(out_len: u64) -> Vec<u64> {
    let mut v: Vec<u64> = vec![
        0, 1, 2, 63, 64, 100, 511, 512, 1000, 4095, 4096, 4097, 8191, 8192, 8193, 12288,
    ];
    v.extend((0..out_len).step_by(512));
    v.extend([
        out_len / 2,
        out_len.saturating_sub(4096),
        out_len.saturating_sub(2),
        out_len - 1,
        out_len,
        out_len + 1,
        out_len + 4096,
    ]);
    v.sort_unstable();
    v.dedup();
    v
}

fn fsize_loop(mode: Mode) {
    let Some(f) = fixture() else { return };
    if !have("prlimit") {
        unavailable::<()>(TEST, "prlimit (util-linux) not found");
        return;
    }
    let wd = WorkDir::new(TEST, &format!("fsize-{mode:?}"));
    let ks = kill_setup(&wd, mode, f);
    let out_len = f.reference.len() as u64;
    let points = fsize_points(out_len);
    let (mut killed, mut completed, mut leftovers) = (0, 0, 0);
    for &n in &points {
        ks.reset();
        let mut c = Command::new("prlimit");
        c.arg(format!("--fsize={n}")).arg(ELFCOMPAT).args(&ks.args);
        let o = run(c, TIMEOUT);
        let what = format!("{mode:?}, RLIMIT_FSIZE={n}");
        if n < out_len {
            assert_eq!(
                o.signal(),
                Some(SIGXFSZ),
                "{what}: expected death by SIGXFSZ\n{}",
                o.describe()
            );
            killed += 1;
        } else {
            assert!(
                o.ok(),
                "{what}: expected success (the output fits)\n{}",
                o.describe()
            );
            completed += 1;
        }
        if !temps_in(&ks.dir).is_empty() {
            leftovers += 1;
        }
        let state = ks.check_after(f, &what, &o);
        let expect = if n < out_len {
            State::Original
        } else {
            State::Patched
        };
        assert_eq!(
            state,
            expect,
            "{what}: target state after the run\n{}",
            o.describe()
        );
    }
    say(&format!(
        "{TEST}: fsize {mode:?}: {} limits from 0 to {}: {killed} killed by SIGXFSZ (target intact), {completed} completed; {leftovers} left a temp file, each removed by the next run",
        points.len(),
        points.last().unwrap()
    ));
}

#[test]
fn a_fsize_kill_in_place() {
    fsize_loop(Mode::InPlace);
}

#[test]
fn a_fsize_kill_onto_existing_output() {
    fsize_loop(Mode::OntoExisting);
}

fn sigkill_loop(mode: Mode) {
    let Some(f) = fixture() else { return };
    let wd = WorkDir::new(TEST, &format!("sigkill-{mode:?}"));
    let ks = kill_setup(&wd, mode, f);
    // How long a whole run takes here.
    let mut times = Vec::new();
    for _ in 0..5 {
        ks.reset();
        let o = run(ks.command(), TIMEOUT);
        assert!(o.ok(), "{}", o.describe());
        times.push(o.elapsed);
    }
    times.sort();
    let typical = times[times.len() / 2];
    let max_delay_us = (typical.as_micros() as u64 * 3 / 2).max(1000);
    let mut rng = Prng::new(env_num("ELFCOMPAT_ATOMIC_SEED", 0x5eed_a70c));
    let kills = env_num("ELFCOMPAT_ATOMIC_KILLS", 60);
    let (mut orig, mut patched, mut finished, mut leftovers) = (0, 0, 0, 0);
    for i in 0..kills {
        ks.reset();
        let delay = Duration::from_micros(rng.below(max_delay_us + 1));
        let start = Instant::now();
        let mut child = ks
            .command()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting elfcompat");
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().unwrap();
        let elapsed = start.elapsed();
        let o = Out {
            status: Some(status),
            stdout: Vec::new(),
            stderr: String::new(),
            elapsed,
            timed_out: false,
            line: format!(
                "{} (SIGKILL after {delay:?})",
                ks.args
                    .iter()
                    .map(|a| a.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        };
        let what = format!("{mode:?}, kill #{i} after {delay:?}");
        match (o.code(), o.signal()) {
            (Some(0), _) => finished += 1,
            (_, Some(SIGKILL)) => {}
            _ => panic!("{what}: unexpected end\n{}", o.describe()),
        }
        if !temps_in(&ks.dir).is_empty() {
            leftovers += 1;
        }
        match ks.check_after(f, &what, &o) {
            State::Original => orig += 1,
            State::Patched => patched += 1,
        }
    }
    say(&format!(
        "{TEST}: SIGKILL {mode:?}: {kills} runs, delays 0..{max_delay_us} us (a run takes {typical:?}): target original {orig}, patched {patched} ({finished} finished before the kill); {leftovers} left a temp file, each removed by the next run"
    ));
}

#[test]
fn a_sigkill_in_place() {
    sigkill_loop(Mode::InPlace);
}

#[test]
fn a_sigkill_onto_existing_output() {
    sigkill_loop(Mode::OntoExisting);
}

/// A killed run's temp file is removed by the next successful run in that directory, also
/// when that run has nothing to write (`--in-place` on a file already within the baseline,
/// which exits 0 with "method unchanged").
#[test]
fn a_stale_temp_removed_by_a_run_that_changes_nothing() {
    let Some(f) = fixture() else { return };
    if !have("prlimit") {
        unavailable::<()>(TEST, "prlimit (util-linux) not found");
        return;
    }
    let wd = WorkDir::new(TEST, "stale-noop");
    let prog = wd.join("prog");
    let done = wd.join("already-patched");
    std::fs::write(&prog, &f.orig).unwrap();
    std::fs::write(&done, &f.reference).unwrap();
    set_mode(&prog, 0o755);
    set_mode(&done, 0o755);
    let mut c = Command::new("prlimit");
    c.arg("--fsize=100")
        .arg(ELFCOMPAT)
        .args(["patch", "--glibc", BASELINE, "--in-place"])
        .arg(&prog);
    let killed = run(c, TIMEOUT);
    assert_eq!(killed.signal(), Some(SIGXFSZ), "{}", killed.describe());
    let left = temps_in(&wd.path);
    assert_eq!(
        left.len(),
        1,
        "the killed run should leave its temp file: {left:?}"
    );
    assert_eq!(std::fs::read(&prog).unwrap(), f.orig);
    let noop = run(
        elfcompat(["patch", "--glibc", BASELINE, "--in-place"]).arg(&done),
        TIMEOUT,
    );
    assert!(noop.ok(), "{}", noop.describe());
    assert_eq!(std::fs::read(&done).unwrap(), f.reference);
    let left = temps_in(&wd.path);
    assert!(
        left.is_empty(),
        "a successful run in {} (nothing to change) left the killed run's temp file {left:?}\nreproduce:\n  prlimit --fsize=100 elfcompat patch --glibc {BASELINE} --in-place DIR/prog   # SIGXFSZ, leaves DIR/.elfcompat-tmp-<pid>-*\n  elfcompat patch --glibc {BASELINE} --in-place DIR/already-patched          # exit 0, 'method unchanged'\n  ls -a DIR                                                                 # the temp file is still there\n{}",
        wd.path.display(),
        noop.describe()
    );
}

// ---------------------------------------------------------------------------------------
// b. Full and read-only filesystems.

/// Mount a filesystem at `mnt` with room for `bytes` (tmpfs, else a loop-mounted ext2
/// image). Returns a description, or None when neither could be mounted.
fn mount_small(wd: &mut WorkDir, mnt: &Path, bytes: u64) -> Option<&'static str> {
    let kib = bytes.div_ceil(4096) * 4;
    let force_loop = std::env::var_os("ELFCOMPAT_ATOMIC_FORCE_LOOP").is_some();
    let o = if force_loop {
        run(Command::new("false"), TIMEOUT)
    } else {
        run(
            {
                let mut c = Command::new("mount");
                c.args(["-t", "tmpfs", "-o"])
                    .arg(format!("size={kib}k,mode=0755"))
                    .arg("tmpfs")
                    .arg(mnt);
                c
            },
            TIMEOUT,
        )
    };
    if o.ok() {
        wd.mounts.push(mnt.to_path_buf());
        return Some("tmpfs");
    }
    say(&format!(
        "{TEST}: mounting tmpfs failed, trying a loop-mounted ext2 image\n{}",
        o.describe()
    ));
    if !have("mkfs.ext2") {
        let _ = Command::new("apt-get")
            .args(["install", "-y", "-q", "e2fsprogs"])
            .status();
    }
    let img = wd.join(format!(
        "{}.img",
        mnt.file_name().unwrap().to_string_lossy()
    ));
    let f = std::fs::File::create(&img).ok()?;
    f.set_len(1 << 20).ok()?;
    drop(f);
    let mk = run(
        {
            let mut c = Command::new("mkfs.ext2");
            c.args(["-F", "-q", "-m", "0", "-b", "1024"]).arg(&img);
            c
        },
        TIMEOUT,
    );
    if !mk.ok() {
        say(&mk.describe());
        return None;
    }
    let m = run(
        {
            let mut c = Command::new("mount");
            c.args(["-o", "loop"]).arg(&img).arg(mnt);
            c
        },
        TIMEOUT,
    );
    if !m.ok() {
        say(&m.describe());
        return None;
    }
    wd.mounts.push(mnt.to_path_buf());
    Some("ext2 (loop)")
}

/// Fill the filesystem of `dir` until no more than `room` bytes are free.
fn fill_to(dir: &Path, room: u64) {
    use std::io::Write;
    let mut filler = std::fs::File::create(dir.join("filler")).unwrap();
    let chunk = vec![0u8; 1024];
    // Write until ENOSPC, then give back `room` bytes.
    let mut written = 0u64;
    while filler.write_all(&chunk).is_ok() {
        written += 1024;
    }
    let _ = filler.sync_all();
    filler.set_len(written.saturating_sub(room)).unwrap();
    filler.sync_all().unwrap();
}

fn statvfs_free(dir: &Path) -> u64 {
    let o = Command::new("stat")
        .args(["-f", "-c", "%a %S"])
        .arg(dir)
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&o.stdout);
    let mut it = s.split_whitespace().map(|x| x.parse::<u64>().unwrap_or(0));
    it.next().unwrap_or(0) * it.next().unwrap_or(0)
}

#[test]
fn b_full_filesystem() {
    let Some(f) = fixture() else { return };
    if !need_root("mounting a small filesystem") {
        return;
    }
    let mut wd = WorkDir::new(TEST, "fullfs");
    let mnt = wd.subdir("mnt");
    let in_pages = (f.orig.len() as u64).div_ceil(4096) * 4096;
    let out_pages = (f.reference.len() as u64).div_ceil(4096) * 4096;
    // The input fits, with one page to spare: less than the output needs.
    let Some(kind) = mount_small(&mut wd, &mnt, in_pages + 4096) else {
        unavailable::<()>(TEST, "cannot mount a tmpfs or a loop ext2 image");
        return;
    };
    let prog = mnt.join("prog");
    std::fs::write(&prog, &f.orig).unwrap();
    set_mode(&prog, 0o755);
    if kind != "tmpfs" {
        fill_to(&mnt, 4096);
    }
    let free = statvfs_free(&mnt);
    assert!(
        free < out_pages,
        "{kind}: {free} bytes free, the output ({} bytes) would fit",
        f.reference.len()
    );
    let before = listing(&mnt);
    let o = run(
        elfcompat(["patch", "--glibc", BASELINE, "--in-place"]).arg(&prog),
        TIMEOUT,
    );
    assert_eq!(
        o.code(),
        Some(2),
        "{kind} full: --in-place must exit 2\n{}",
        o.describe()
    );
    assert!(
        o.stderr.contains("No space left on device") || o.stderr.contains("quota"),
        "{kind} full: the error should say why\n{}",
        o.describe()
    );
    assert!(
        std::fs::read(&prog).unwrap() == f.orig,
        "{kind} full: the input changed"
    );
    assert_eq!(listing(&mnt), before, "{kind} full: files left behind");
    // -o to a new file on the full filesystem: no output, no temp.
    let out = mnt.join("out");
    let o2 = run(
        elfcompat(["patch", "--glibc", BASELINE])
            .arg(&prog)
            .arg("-o")
            .arg(&out),
        TIMEOUT,
    );
    assert_eq!(
        o2.code(),
        Some(2),
        "{kind} full: -o must exit 2\n{}",
        o2.describe()
    );
    assert!(!out.exists(), "{kind} full: -o left an output");
    assert_eq!(
        listing(&mnt),
        before,
        "{kind} full: files left behind by -o"
    );
    say(&format!(
        "{TEST}: full {kind} ({free} bytes free, output {} bytes): exit 2, input intact, no temp file; stderr: {}",
        f.reference.len(),
        o.stderr.trim()
    ));
}

#[test]
fn b_read_only_mount() {
    let Some(f) = fixture() else { return };
    if !need_root("mounting a filesystem") {
        return;
    }
    let mut wd = WorkDir::new(TEST, "romount");
    let mnt = wd.subdir("mnt");
    let Some(kind) = mount_small(&mut wd, &mnt, 256 << 10) else {
        unavailable::<()>(TEST, "cannot mount a tmpfs or a loop ext2 image");
        return;
    };
    let prog = mnt.join("prog");
    std::fs::write(&prog, &f.orig).unwrap();
    set_mode(&prog, 0o755);
    let r = run(
        {
            let mut c = Command::new("mount");
            c.args(["-o", "remount,ro"]).arg(&mnt);
            c
        },
        TIMEOUT,
    );
    assert!(r.ok(), "{}", r.describe());
    let before = listing(&mnt);
    let o = run(
        elfcompat(["patch", "--glibc", BASELINE, "--in-place"]).arg(&prog),
        TIMEOUT,
    );
    assert_eq!(
        o.code(),
        Some(2),
        "read-only {kind}: must exit 2\n{}",
        o.describe()
    );
    assert!(
        std::fs::read(&prog).unwrap() == f.orig,
        "read-only {kind}: the input changed"
    );
    assert_eq!(listing(&mnt), before);
    say(&format!(
        "{TEST}: read-only {kind} mount: exit 2; stderr: {}",
        o.stderr.trim()
    ));
}

// ---------------------------------------------------------------------------------------
// c. A read-only directory, as an unprivileged user.

fn as_nobody(args: &[&std::ffi::OsStr]) -> Command {
    let mut c = Command::new("setpriv");
    c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        .arg(ELFCOMPAT)
        .args(args);
    c
}

fn chown(p: &Path, spec: &str) {
    let s = Command::new("chown").arg(spec).arg(p).status().unwrap();
    assert!(s.success(), "chown {spec} {}", p.display());
}

#[test]
fn c_read_only_directory() {
    let Some(f) = fixture() else { return };
    if !need_root("switching to nobody") {
        return;
    }
    if !have("setpriv") {
        unavailable::<()>(TEST, "setpriv (util-linux) not found");
        return;
    }
    let wd = WorkDir::new(TEST, "rodir");
    // Control: nobody can patch in its own writable directory (so the failure below is
    // the directory's mode, not the harness).
    let rw = wd.subdir("rw");
    let p = rw.join("prog");
    std::fs::write(&p, &f.orig).unwrap();
    set_mode(&p, 0o755);
    chown(&p, "nobody:nogroup");
    chown(&rw, "nobody:nogroup");
    let g = BASELINE.as_ref();
    let o = run(
        as_nobody(&[
            "patch".as_ref(),
            "--glibc".as_ref(),
            g,
            "--in-place".as_ref(),
            p.as_os_str(),
        ]),
        TIMEOUT,
    );
    assert!(
        o.ok(),
        "control: nobody patching in its own directory\n{}",
        o.describe()
    );
    assert!(std::fs::read(&p).unwrap() == f.reference);
    assert_eq!(std::fs::metadata(&p).unwrap().uid(), 65534);

    // The directory and the file belong to nobody, the file is writable, the directory is
    // 0555.
    let ro = wd.subdir("ro");
    let p = ro.join("prog");
    std::fs::write(&p, &f.orig).unwrap();
    set_mode(&p, 0o755);
    chown(&p, "nobody:nogroup");
    chown(&ro, "nobody:nogroup");
    set_mode(&ro, 0o555);
    let before = listing(&ro);
    let meta = std::fs::metadata(&p).unwrap();
    let o = run(
        as_nobody(&[
            "patch".as_ref(),
            "--glibc".as_ref(),
            g,
            "--in-place".as_ref(),
            p.as_os_str(),
        ]),
        TIMEOUT,
    );
    assert_eq!(
        o.code(),
        Some(2),
        "--in-place in a 0555 directory as nobody\n{}",
        o.describe()
    );
    assert!(std::fs::read(&p).unwrap() == f.orig, "the input changed");
    let m2 = std::fs::metadata(&p).unwrap();
    assert_eq!(
        (m2.mode(), m2.uid(), m2.gid(), m2.ino()),
        (meta.mode(), meta.uid(), meta.gid(), meta.ino())
    );
    assert_eq!(listing(&ro), before, "files left behind");
    let out = ro.join("out");
    let o2 = run(
        as_nobody(&[
            "patch".as_ref(),
            "--glibc".as_ref(),
            g,
            p.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ]),
        TIMEOUT,
    );
    assert_eq!(
        o2.code(),
        Some(2),
        "-o into a 0555 directory as nobody\n{}",
        o2.describe()
    );
    assert_eq!(listing(&ro), before, "files left behind by -o");
    say(&format!(
        "{TEST}: read-only directory as nobody: exit 2, nothing changed; stderr: {}",
        o.stderr.trim()
    ));
}

// ---------------------------------------------------------------------------------------
// d. Owner, group and mode.

/// Patched `--in-place` by root, a file keeps its owner, group and mode, setuid and setgid
/// bits included: the temp file is chowned first and chmodded after, so the kernel's
/// "chown clears S_ISUID/S_ISGID" does not apply. (A non-root owner chmodding its own
/// temp file keeps S_ISUID too; S_ISGID only when it is in the group.)
#[test]
fn d_owner_and_mode_preserved() {
    let Some(f) = fixture() else { return };
    if !need_root("chown") {
        return;
    }
    let wd = WorkDir::new(TEST, "owner");
    let cases: [(&str, &str, u32); 5] = [
        ("nobody-0750", "nobody:nogroup", 0o750),
        ("root-4755", "root:root", 0o4755),
        ("nobody-4755", "nobody:nogroup", 0o4755),
        ("nobody-root-6750", "nobody:root", 0o6750),
        ("root-nogroup-2711", "root:nogroup", 0o2711),
    ];
    let mut lines = Vec::new();
    for (name, owner, mode) in cases {
        let p = wd.join(name);
        std::fs::write(&p, &f.orig).unwrap();
        chown(&p, owner);
        set_mode(&p, mode);
        let before = std::fs::metadata(&p).unwrap();
        assert_eq!(before.mode() & 0o7777, mode, "{name}: setup");
        let o = run(
            elfcompat(["patch", "--glibc", BASELINE, "--in-place"]).arg(&p),
            TIMEOUT,
        );
        assert!(o.ok(), "{name}\n{}", o.describe());
        let after = std::fs::metadata(&p).unwrap();
        assert!(
            std::fs::read(&p).unwrap() == f.reference,
            "{name}: not patched"
        );
        assert_ne!(
            after.ino(),
            before.ino(),
            "{name}: expected a new inode (rename)"
        );
        assert_eq!(
            (after.uid(), after.gid(), after.mode() & 0o7777),
            (before.uid(), before.gid(), mode),
            "{name}: owner, group or mode changed: {}:{} {:o} -> {}:{} {:o}",
            before.uid(),
            before.gid(),
            mode,
            after.uid(),
            after.gid(),
            after.mode() & 0o7777
        );
        lines.push(format!("{name} {:o} kept", mode));
    }
    // -o onto an existing file writes a new file: the writer owns it and it gets the
    // input's mode (setuid/setgid only if the writer owns the input) — it must not hand
    // a setuid binary to the replaced file's owner.
    let input = wd.join("in-0755");
    std::fs::write(&input, &f.orig).unwrap();
    set_mode(&input, 0o755);
    let out = wd.join("existing-out");
    std::fs::write(&out, b"old").unwrap();
    chown(&out, "nobody:nogroup");
    set_mode(&out, 0o600);
    let o = run(
        elfcompat(["patch", "--glibc", BASELINE])
            .arg(&input)
            .arg("-o")
            .arg(&out),
        TIMEOUT,
    );
    assert!(o.ok(), "{}", o.describe());
    let m = std::fs::metadata(&out).unwrap();
    assert_eq!(
        (m.uid(), m.gid()),
        (0, 0),
        "-o onto an existing file: a new file, owned by the writer (root)"
    );
    assert_eq!(m.mode() & 0o7777, 0o755, "-o: the input's mode");
    lines.push(format!(
        "-o onto nobody:nogroup 0600 from a 0755 input: root:root {:o}",
        m.mode() & 0o7777
    ));
    say(&format!("{TEST}: owner/mode: {}", lines.join("; ")));
}

/// File capabilities (`security.capability`, set with `setcap`) are part of what makes a
/// binary work the way the owner and mode are: `ping` without cap_net_raw fails. Patched
/// `--in-place` by root, a file must keep them, as it keeps its setuid bit.
#[test]
fn d_file_capabilities_preserved() {
    let Some(f) = fixture() else { return };
    if !need_root("setcap") {
        return;
    }
    if !have("setcap") || !have("getcap") {
        // Not one of the cases CI must run: skipped even there.
        say(&format!(
            "{TEST}: SKIPPED d_file_capabilities_preserved: setcap/getcap (libcap2-bin) not found"
        ));
        return;
    }
    let wd = WorkDir::new(TEST, "caps");
    let p = wd.join("prog");
    std::fs::write(&p, &f.orig).unwrap();
    set_mode(&p, 0o755);
    let s = Command::new("setcap")
        .arg("cap_net_raw+ep")
        .arg(&p)
        .status()
        .unwrap();
    assert!(s.success(), "setcap failed");
    let getcap = |p: &Path| {
        let o = Command::new("getcap").arg(p).output().unwrap();
        String::from_utf8_lossy(&o.stdout)
            .replace(&p.display().to_string(), "")
            .trim()
            .to_string()
    };
    let before = getcap(&p);
    assert!(before.contains("cap_net_raw"), "setup: {before:?}");
    let o = run(
        elfcompat(["patch", "--glibc", BASELINE, "--in-place"]).arg(&p),
        TIMEOUT,
    );
    assert!(o.ok(), "{}", o.describe());
    assert!(std::fs::read(&p).unwrap() == f.reference, "not patched");
    let after = getcap(&p);
    assert_eq!(
        after, before,
        "--in-place dropped the file's capabilities\nreproduce (as root):\n  gcc -O2 testdata/gen/atomic_prog.c -o prog && setcap cap_net_raw+ep prog && getcap prog\n  elfcompat patch --glibc {BASELINE} --in-place prog && getcap prog   # prints nothing: security.capability is gone"
    );
    say(&format!("{TEST}: file capabilities kept: {after}"));
}

// ---------------------------------------------------------------------------------------
// e. Symlinks.

#[test]
fn e_in_place_on_symlink() {
    let Some(f) = fixture() else { return };
    let wd = WorkDir::new(TEST, "symlink");
    let real_dir = wd.subdir("real");
    let link_dir = wd.subdir("links");
    let target = real_dir.join("prog");
    std::fs::write(&target, &f.orig).unwrap();
    set_mode(&target, 0o755);
    // A relative link in another directory, and a link to that link.
    let link = link_dir.join("prog-link");
    std::os::unix::fs::symlink("../real/prog", &link).unwrap();
    let link2 = link_dir.join("prog-link2");
    std::os::unix::fs::symlink("prog-link", &link2).unwrap();
    for (l, expect_text) in [(&link2, "../real/prog"), (&link, "../real/prog")] {
        std::fs::write(&target, &f.orig).unwrap();
        let before_link = std::fs::read_link(l).unwrap();
        let o = run(
            elfcompat(["patch", "--glibc", BASELINE, "--in-place"]).arg(l),
            TIMEOUT,
        );
        assert!(o.ok(), "{}", o.describe());
        assert!(
            o.stderr.contains("symlink")
                && o.stderr
                    .contains(&target.canonicalize().unwrap().display().to_string()),
            "stderr must say that the symlink's target was patched\n{}",
            o.describe()
        );
        let m = std::fs::symlink_metadata(l).unwrap();
        assert!(
            m.file_type().is_symlink(),
            "{} is no longer a symlink",
            l.display()
        );
        assert_eq!(
            std::fs::read_link(l).unwrap(),
            before_link,
            "the link now points elsewhere"
        );
        assert_eq!(std::fs::read_link(&link).unwrap(), Path::new(expect_text));
        assert!(
            std::fs::read(&target).unwrap() == f.reference,
            "the target was not patched"
        );
        assert!(std::fs::symlink_metadata(&target)
            .unwrap()
            .file_type()
            .is_file());
        assert!(temps_in(&real_dir).is_empty() && temps_in(&link_dir).is_empty());
        assert_eq!(listing(&link_dir), ["prog-link", "prog-link2"]);
        assert_eq!(listing(&real_dir), ["prog"]);
    }
    say(&format!(
        "{TEST}: symlink: the target was patched, the links kept"
    ));
}

// ---------------------------------------------------------------------------------------
// f. Refusals and errors write nothing.

#[test]
fn f_errors_leave_nothing() {
    let Some(f) = fixture() else { return };
    let wd = WorkDir::new(TEST, "errors");
    let blocked = wd.join("blocked");
    let src = Path::new(MANIFEST_DIR).join("testdata/gen/blocked_prog.c");
    gcc(&["-O2", src.to_str().unwrap()], &blocked).unwrap_or_else(|e| panic!("gcc failed:\n{e}"));
    let blocked_bytes = std::fs::read(&blocked).unwrap();
    let truncated = wd.join("truncated");
    std::fs::write(&truncated, &f.orig[..f.orig.len() / 3]).unwrap();
    let garbage = wd.join("garbage");
    std::fs::write(&garbage, b"#!/bin/sh\necho not an ELF file\n").unwrap();
    // An ELF header whose program header table lies outside the file.
    let bad_phoff = wd.join("bad-phoff");
    let mut b = f.orig.clone();
    b[32..40].copy_from_slice(&(u64::MAX - 7).to_le_bytes());
    std::fs::write(&bad_phoff, &b).unwrap();
    for p in [&truncated, &garbage, &bad_phoff] {
        set_mode(p, 0o755);
    }
    let out = wd.join("OUT");
    let existing = wd.join("EXISTING");
    let cases: Vec<(&str, Vec<&str>, &PathBuf, i32)> = vec![
        (
            "blocked --glibc 2.17 --polyfill=none",
            vec!["--glibc", "2.17", "--polyfill=none"],
            &blocked,
            1,
        ),
        ("truncated ELF", vec!["--glibc", BASELINE], &truncated, 2),
        ("not ELF", vec!["--glibc", BASELINE], &garbage, 2),
        (
            "program headers outside the file",
            vec!["--glibc", BASELINE],
            &bad_phoff,
            2,
        ),
    ];
    let mut lines = Vec::new();
    for (name, opts, input, code) in cases {
        let input_before = std::fs::read(input).unwrap();
        std::fs::write(&existing, b"existing output").unwrap();
        let before = listing(&wd.path);
        // -o to a new file, -o onto an existing file, --in-place.
        let o = run(
            elfcompat(["patch"])
                .args(&opts)
                .arg(input)
                .arg("-o")
                .arg(&out),
            TIMEOUT,
        );
        assert_eq!(o.code(), Some(code), "{name}: -o OUT\n{}", o.describe());
        assert!(
            !out.exists(),
            "{name}: -o left {}\n{}",
            out.display(),
            o.describe()
        );
        let o2 = run(
            elfcompat(["patch"])
                .args(&opts)
                .arg(input)
                .arg("-o")
                .arg(&existing),
            TIMEOUT,
        );
        assert_eq!(
            o2.code(),
            Some(code),
            "{name}: -o EXISTING\n{}",
            o2.describe()
        );
        assert_eq!(
            std::fs::read(&existing).unwrap(),
            b"existing output",
            "{name}: the existing output changed"
        );
        let o3 = run(
            elfcompat(["patch"])
                .args(&opts)
                .arg("--in-place")
                .arg(input),
            TIMEOUT,
        );
        assert_eq!(
            o3.code(),
            Some(code),
            "{name}: --in-place\n{}",
            o3.describe()
        );
        assert!(
            std::fs::read(input).unwrap() == input_before,
            "{name}: the input changed"
        );
        assert_eq!(listing(&wd.path), before, "{name}: files left behind");
        assert!(
            o.stderr.contains("nothing written"),
            "{name}: stderr should say nothing was written\n{}",
            o.describe()
        );
        lines.push(format!("{name}: exit {code}"));
    }
    assert_eq!(std::fs::read(&blocked).unwrap(), blocked_bytes);
    say(&format!(
        "{TEST}: errors write nothing: {}",
        lines.join("; ")
    ));
}

/// A refused patch (exit 1) prints the plan that was refused: its BLOCKER lines, not a plan
/// made with other options. With `--polyfill=none`, stat and mallinfo2 are the blockers.
#[test]
fn f_blocked_plan_names_the_blockers() {
    if !gcc_works() {
        unavailable::<()>(TEST, "gcc not found");
        return;
    }
    let wd = WorkDir::new(TEST, "blocked-plan");
    let blocked = wd.join("blocked");
    let src = Path::new(MANIFEST_DIR).join("testdata/gen/blocked_prog.c");
    gcc(&["-O2", src.to_str().unwrap()], &blocked).unwrap_or_else(|e| panic!("gcc failed:\n{e}"));
    let out = wd.join("OUT");
    let o = run(
        elfcompat(["patch", "--glibc", "2.17", "--polyfill=none"])
            .arg(&blocked)
            .arg("-o")
            .arg(&out),
        TIMEOUT,
    );
    assert_eq!(o.code(), Some(1), "{}", o.describe());
    let stdout = o.stdout_str();
    assert!(
        stdout.contains("BLOCKER   stat@GLIBC_2.33") && stdout.contains("BLOCKER   mallinfo2@GLIBC_2.33") && !stdout.contains("polyfill "),
        "exit 1 with --polyfill=none: stdout must show the refused plan (BLOCKER stat, BLOCKER mallinfo2, no polyfill lines)\nreproduce:\n  gcc -O2 testdata/gen/blocked_prog.c -o blocked\n  elfcompat patch --glibc 2.17 --polyfill=none blocked -o out   # stdout: a polyfill plan with no BLOCKER line; stderr: '2 blocker(s)'\n{}",
        o.describe()
    );
}

// ---------------------------------------------------------------------------------------
// g. Special files as the output.

/// `-o FIFO` sends the patched file through the FIFO and leaves it a FIFO; as root, `-o`
/// onto a node made like `/dev/null` (character device 1,3) leaves that node a device.
#[test]
fn g_special_files_are_written_into() {
    use std::os::unix::fs::FileTypeExt;
    let Some(f) = fixture() else { return };
    let wd = WorkDir::new(TEST, "special");
    let prog = wd.join("prog");
    std::fs::write(&prog, &f.orig).unwrap();
    set_mode(&prog, 0o755);

    let fifo = wd.join("fifo");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", fifo.display());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).expect("read the FIFO"))
    };
    let o = run(
        elfcompat(["patch", "--glibc", BASELINE])
            .arg(&prog)
            .arg("-o")
            .arg(&fifo),
        TIMEOUT,
    );
    // Checked before waiting for the reader, which would wait forever on a FIFO that a
    // rename took away from under it.
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(
        kind.is_fifo(),
        "-o FIFO replaced the FIFO: {kind:?}\n{}",
        o.describe()
    );
    assert!(o.ok(), "{}", o.describe());
    let got = reader.join().expect("reader thread");
    assert!(
        got == f.reference,
        "the FIFO carried {} bytes, not the {}-byte patched file",
        got.len(),
        f.reference.len()
    );
    assert!(
        temps_in(&wd.path).is_empty(),
        "temp files left in {}",
        wd.path.display()
    );

    if !need_root("a character device node (mknod)") {
        return;
    }
    let null = wd.join("null");
    let made = Command::new("mknod")
        .args(["-m", "666"])
        .arg(&null)
        .args(["c", "1", "3"])
        .status()
        .expect("mknod runs");
    assert!(made.success(), "mknod {}", null.display());
    let o = run(
        elfcompat(["patch", "--glibc", BASELINE])
            .arg(&prog)
            .arg("-o")
            .arg(&null),
        TIMEOUT,
    );
    assert!(o.ok(), "{}", o.describe());
    let kind = std::fs::symlink_metadata(&null).unwrap().file_type();
    assert!(
        kind.is_char_device(),
        "-o onto a /dev/null-like node replaced the device with {kind:?}"
    );
    assert!(
        temps_in(&wd.path).is_empty(),
        "temp files left in {}",
        wd.path.display()
    );
}
