//! Command-line definitions (clap derive) and dispatch.

mod abi_cmd;
mod bundle_cmd;
mod patch_cmd;
mod patch_tree;
mod scan_cmd;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit code: everything satisfied.
pub const EXIT_OK: u8 = 0;
/// Exit code: some file does not meet the baseline.
pub const EXIT_VIOLATION: u8 = 1;
/// Exit code: usage or I/O error, or a file that could not be read.
pub const EXIT_ERROR: u8 = 2;

const AFTER_HELP: &str = "\
Examples:
  elfcompat report /bin/ls                       what ls needs and where it runs
  elfcompat report --json dist/ > report.json    a whole release tree, as JSON
  elfcompat check --glibc 2.17 target/release/app
  elfcompat check --target manylinux2014 wheelhouse/
  elfcompat abi pthread_create --glibc 2.17      where and at which version it exists
  elfcompat abi --glibc 2.34                     what glibc 2.34 added
  elfcompat targets                              the distribution and policy presets

Exit codes: 0 ok, 1 a baseline is not met, 2 usage or I/O error.";

/// Build anywhere, ship everywhere: what ELF binaries need from glibc, libstdc++ and
/// libgcc, and whether they run on an older system.
#[derive(Parser, Debug)]
#[command(name = "elfcompat", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// When to color the output.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    color: Color,
    #[command(subcommand)]
    command: Command,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Report what binaries (files or whole trees) need, symbol by symbol, and where they run.
    #[command(
        after_help = "Examples:\n  elfcompat report /bin/ls\n  elfcompat report --symbols ./app\n  elfcompat report --json /usr/lib/x86_64-linux-gnu"
    )]
    Report(ReportArgs),
    /// Exit 1 if any binary needs more than the baseline; list each offending symbol and its fix.
    #[command(
        after_help = "Examples:\n  elfcompat check --glibc 2.17 target/release/app\n  elfcompat check --target rhel8 --json dist/\n  elfcompat check --glibc 2.17 --format github dist/        annotations in a GitHub Actions log\n  elfcompat check --glibc 2.17 --format junit dist/ > elfcompat.xml"
    )]
    Check(CheckArgs),
    /// Rewrite a binary's version requirements down to the baseline, verify, and write atomically.
    #[command(
        after_help = "Examples:\n  elfcompat patch --glibc 2.17 --dry-run target/release/app\n  elfcompat patch --glibc 2.17 target/release/app -o dist/app\n  elfcompat patch --target rhel8 --in-place dist/app\n  elfcompat patch --glibc 2.17 dist/ -o dist-el7/      a whole tree, mirrored\n\nEach file is all-or-nothing. Exit codes (the worst file's): 0 patched or already within the baseline, 1 blockers (that file not written), 2 errors (that file not written)."
    )]
    Patch(PatchArgs),
    /// Ship a whole program: its libraries resolved, bundled where the target lacks them,
    /// every file lowered, the tree verified, then written atomically.
    #[command(
        after_help = "Examples:\n  elfcompat bundle --target debian11 build/app -o dist/\n  elfcompat bundle --target rhel8 --dry-run build/app\n  elfcompat bundle --glibc 2.17 --library-path build/lib release-tree/ -o dist/\n\nThe program given as `-o dist build/app` is dist/bin/app; its libraries go to dist/lib.\nglibc is never bundled; libraries of the policy list (GPU and display drivers, X11 and\nWayland clients) stay on the target unless --include names them. Exit codes: 0 written\n(or planned), 1 requirements nothing can fix (nothing written), 2 errors (nothing written)."
    )]
    Bundle(BundleArgs),
    /// Check that binaries are structurally sound and loadable on the baseline.
    #[command(
        after_help = "Examples:\n  elfcompat verify --glibc 2.17 dist/app\n  elfcompat verify --glibc 2.17 --loader-check dist/app\n  elfcompat verify --target manylinux2014 --json dist/*.so"
    )]
    Verify(VerifyArgs),
    /// When and where a glibc symbol exists, or what a release added.
    #[command(
        after_help = "Examples:\n  elfcompat abi memcpy\n  elfcompat abi pthread_create --glibc 2.17\n  elfcompat abi stat --arch aarch64\n  elfcompat abi --glibc 2.34\n  elfcompat abi --coverage --glibc 2.17 --arch aarch64"
    )]
    Abi(AbiArgs),
    /// List the distribution releases and manylinux policies usable with --target.
    Targets {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the man page or shell completions, made from these definitions (for packagers).
    #[command(hide = true)]
    Generate {
        #[command(subcommand)]
        what: Generate,
    },
}

#[derive(Subcommand, Debug)]
enum Generate {
    /// The man page elfcompat(1) on stdout, or with DIR every page (elfcompat.1,
    /// elfcompat-report.1, ...) written into DIR.
    Man {
        /// A directory such as ~/.local/share/man/man1.
        dir: Option<PathBuf>,
    },
    /// docs/coverage.md: how every symbol glibc added after 2.17 is lowered, on x86_64
    /// and aarch64.
    Coverage,
    /// Completions for a shell.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

#[derive(Args, Debug)]
struct ReportArgs {
    /// Files or directories (walked recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Print JSON (schema elfcompat-report/1).
    #[arg(long)]
    json: bool,
    /// Include the full per-symbol table.
    #[arg(long)]
    symbols: bool,
    /// Do not print non-ELF files in the human report (they are always counted).
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    closure: ClosureArgs,
}

/// `--closure`: judge the libraries the inputs load too.
#[derive(Args, Debug)]
struct ClosureArgs {
    /// Also every library the binaries load (resolved as the loader would), but glibc's own
    /// and those the bundle policy leaves to the target: what ships with them.
    #[arg(long)]
    closure: bool,
    /// With --closure: directories searched first, like LD_LIBRARY_PATH (colon-separated).
    #[arg(long, value_name = "DIRS", requires = "closure")]
    library_path: Vec<String>,
}

impl ClosureArgs {
    /// The paths to scan: as given, or with the closure's libraries.
    fn paths(&self, paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
        if !self.closure {
            return Ok(paths.to_vec());
        }
        elfcompat::bundle::closure_files(
            paths,
            std::path::Path::new("/"),
            split_dirs(&self.library_path),
        )
        .map_err(|e| CliError::Usage(e.to_string()))
    }
}

fn split_dirs(v: &[String]) -> Vec<PathBuf> {
    v.iter()
        .flat_map(|s| s.split(':'))
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .collect()
}

#[derive(Args, Debug)]
struct BaselineArgs {
    /// The oldest glibc to support, e.g. 2.17.
    #[arg(long, conflicts_with = "target", required_unless_present = "target")]
    glibc: Option<String>,
    /// A distribution release or policy: rhel7, ubuntu-20.04, debian11, manylinux2014, manylinux_2_28 ...
    #[arg(long)]
    target: Option<String>,
    /// The newest GLIBCXX version allowed, e.g. 3.4.19 (default: the target's, if known).
    #[arg(long)]
    glibcxx: Option<String>,
}

#[derive(Args, Debug)]
struct CheckArgs {
    #[command(flatten)]
    baseline: BaselineArgs,
    /// Files or directories (walked recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format: text for people, json (schema elfcompat-report/1, with violations),
    /// github (workflow-command annotations), junit (XML).
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    /// The same as --format json.
    #[arg(long, conflicts_with = "format")]
    json: bool,
    #[command(flatten)]
    closure: ClosureArgs,
}

/// How `check` prints its findings.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// For people.
    Text,
    /// Schema elfcompat-report/1.
    Json,
    /// GitHub Actions workflow commands: an `::error` annotation per offending symbol.
    Github,
    /// A JUnit XML document: a test case per ELF file.
    Junit,
}

#[derive(Args, Debug)]
struct PatchArgs {
    #[command(flatten)]
    baseline: BaselineArgs,
    /// The binaries to patch: files or directories (walked recursively).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Write the result here: a file for one input file, else a directory that mirrors the
    /// inputs (files that need nothing and files that are not ELF are copied unchanged).
    #[arg(short, long, conflicts_with = "in_place")]
    output: Option<PathBuf>,
    /// Replace the inputs (atomically; a symlink's target is patched).
    #[arg(long)]
    in_place: bool,
    /// Print the plan; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print JSON (for several files: JSON Lines, one record per file and a summary).
    #[arg(long)]
    json: bool,
    /// Patch what can be patched and leave blocked requirements as they are.
    #[arg(long)]
    allow_blockers: bool,
    /// Link elfcompat's polyfills for symbols with no older version (`none`: those are blockers).
    #[arg(long, value_enum, default_value_t = Polyfill::Auto)]
    polyfill: Polyfill,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Polyfill {
    Auto,
    None,
}

#[derive(Args, Debug)]
struct BundleArgs {
    #[command(flatten)]
    baseline: BaselineArgs,
    /// Executables, shared libraries (and plugins a program dlopens) and release trees.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// The bundle's directory (replaced atomically if it holds an earlier bundle).
    #[arg(short, long, required_unless_present = "dry_run")]
    output: Option<PathBuf>,
    /// Directories searched first, like LD_LIBRARY_PATH (colon-separated; may repeat).
    #[arg(long, value_name = "DIRS")]
    library_path: Vec<String>,
    /// Resolve libraries in this root (a container or cross root) as if it were /.
    #[arg(long, value_name = "DIR", default_value = "/")]
    sysroot: PathBuf,
    /// Ship libraries the policy would leave to the target (shell pattern; may repeat).
    #[arg(long, value_name = "PATTERN")]
    include: Vec<String>,
    /// Leave libraries to the target instead of shipping them (shell pattern; may repeat).
    #[arg(long, value_name = "PATTERN")]
    exclude: Vec<String>,
    /// Print the plan; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Link elfcompat's polyfills for symbols with no older version (`none`: those are blockers).
    #[arg(long, value_enum, default_value_t = Polyfill::Auto)]
    polyfill: Polyfill,
}

#[derive(Args, Debug)]
struct VerifyArgs {
    #[command(flatten)]
    baseline: BaselineArgs,
    /// Binaries to verify.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Also run the real loader in trace mode against stub libraries of the baseline's
    /// glibc, made from the ABI data (nothing of the binary runs).
    #[arg(long)]
    loader_check: bool,
}

#[derive(Args, Debug)]
struct AbiArgs {
    /// The symbol; omit it with --glibc to list what that release added.
    symbol: Option<String>,
    /// Architecture (x86_64, i386, aarch64, armhf, ppc64le, s390x, riscv64, ...).
    #[arg(long, default_value = "x86_64")]
    arch: String,
    /// A glibc release to ask about.
    #[arg(long)]
    glibc: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// With --glibc: every symbol a later release added (or gave a newer version), and
    /// how elfcompat lowers it (re-point, move, rename, polyfill) or why it cannot.
    #[arg(long, requires = "glibc", conflicts_with = "symbol")]
    coverage: bool,
}

/// Errors that end a command with exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments the parser could not catch.
    #[error("{0}")]
    Usage(String),
    /// Writing the output failed.
    #[error("writing output: {0}")]
    Io(#[from] std::io::Error),
}

impl From<elfcompat::baseline::BaselineError> for CliError {
    fn from(e: elfcompat::baseline::BaselineError) -> Self {
        CliError::Usage(e.to_string())
    }
}

/// Run a parsed command line; the result is the exit code.
pub fn run(cli: Cli) -> Result<u8, CliError> {
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let style = elfcompat::report::text::Style { color };
    match cli.command {
        Command::Report(a) => {
            let paths = a.closure.paths(&a.paths)?;
            scan_cmd::report(&paths, a.json, a.symbols, a.quiet, &style)
        }
        Command::Check(a) => {
            let baseline = baseline_of(&a.baseline)?;
            let format = if a.json { CheckFormat::Json } else { a.format };
            let paths = a.closure.paths(&a.paths)?;
            scan_cmd::check(&paths, &baseline, format, &style)
        }
        Command::Patch(a) => {
            let baseline = baseline_of(&a.baseline)?;
            patch(&a, &baseline)
        }
        Command::Bundle(a) => {
            let baseline = baseline_of(&a.baseline)?;
            let job = bundle_cmd::BundleJob {
                out: a.output.unwrap_or_else(|| PathBuf::from("bundle")),
                inputs: a.inputs,
                sysroot: a.sysroot,
                library_path: split_dirs(&a.library_path),
                include: a.include,
                exclude: a.exclude,
                polyfill: a.polyfill == Polyfill::Auto,
                dry_run: a.dry_run,
                json: a.json,
            };
            bundle_cmd::bundle(job, &baseline)
        }
        Command::Verify(a) => {
            let baseline = baseline_of(&a.baseline)?;
            patch_cmd::verify_files(&a.paths, &baseline, a.json, a.loader_check)
        }
        Command::Abi(a) if a.coverage => {
            abi_cmd::coverage(&a.arch, a.glibc.as_deref().unwrap_or_default(), a.json)
        }
        Command::Abi(a) => abi_cmd::abi(a.symbol.as_deref(), &a.arch, a.glibc.as_deref(), a.json),
        Command::Targets { json } => abi_cmd::targets(json),
        Command::Generate { what } => generate(what),
    }
}

/// `generate`: the man page or completions on stdout.
fn generate(what: Generate) -> Result<u8, CliError> {
    use clap::CommandFactory;
    let mut out = std::io::stdout().lock();
    let mut cmd = Cli::command();
    match what {
        // No page for `help`: the pages are the help.
        Generate::Man { dir: None } => {
            clap_mangen::Man::new(cmd.disable_help_subcommand(true)).render(&mut out)?
        }
        Generate::Man { dir: Some(dir) } => {
            std::fs::create_dir_all(&dir)?;
            clap_mangen::generate_to(cmd, &dir)?;
        }
        Generate::Completions { shell } => {
            clap_complete::generate(shell, &mut cmd, "elfcompat", &mut out)
        }
        Generate::Coverage => {
            use std::io::Write;
            let v = elfcompat::abi::GlibcVersion::new(2, 17, 0);
            out.write_all(elfcompat::patch::coverage::document(v).as_bytes())?
        }
    }
    Ok(EXIT_OK)
}

/// `patch`: one file named on the command line is patched (and printed) as it always was;
/// several, or a directory, go through the tree walk.
fn patch(a: &PatchArgs, baseline: &elfcompat::baseline::Baseline) -> Result<u8, CliError> {
    let polyfill = a.polyfill == Polyfill::Auto;
    if let [input] = a.inputs.as_slice() {
        if !input.is_dir() {
            // -o naming an existing directory puts the file in it, under its own name.
            let into_dir = a
                .output
                .as_ref()
                .filter(|o| o.is_dir())
                .and_then(|o| Some(o.join(input.file_name()?)));
            let dest = match (&into_dir, &a.output) {
                _ if a.dry_run => patch_cmd::Dest::DryRun,
                (Some(o), _) | (None, Some(o)) => patch_cmd::Dest::To(o),
                _ if a.in_place => patch_cmd::Dest::InPlace,
                _ => patch_cmd::Dest::Missing,
            };
            let job = patch_cmd::FileJob {
                input,
                dest,
                allow_blockers: a.allow_blockers,
                polyfill,
            };
            return patch_cmd::patch(job, a.json, baseline);
        }
    }
    let dest = match (&a.output, a.in_place) {
        _ if a.dry_run => patch_tree::TreeDest::DryRun,
        (Some(o), _) => patch_tree::TreeDest::Dir(o),
        (None, true) => patch_tree::TreeDest::InPlace,
        (None, false) => {
            return Err(CliError::Usage(
                "patch needs -o DIR or --in-place (or --dry-run)".into(),
            ))
        }
    };
    patch_tree::patch_tree(
        patch_tree::TreeArgs {
            inputs: &a.inputs,
            dest,
            json: a.json,
            allow_blockers: a.allow_blockers,
            polyfill,
        },
        baseline,
    )
}

fn baseline_of(a: &BaselineArgs) -> Result<elfcompat::baseline::Baseline, CliError> {
    elfcompat::baseline::Baseline::from_args(
        a.glibc.as_deref(),
        a.target.as_deref(),
        a.glibcxx.as_deref(),
    )?
    .ok_or_else(|| CliError::Usage("give --glibc or --target".into()))
}
