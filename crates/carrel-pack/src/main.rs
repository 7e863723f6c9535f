//! `carrel-pack`: the authoring tool for Carrel course packages.
//!
//! ```text
//! carrel-pack keygen --out keys/ [--name publisher]    new Ed25519 publisher key pair
//! carrel-pack build <SOURCE_DIR> --key <SECRET> -o course.carrel
//! carrel-pack verify <PACKAGE> [--trust <PUBLIC>...]   every check an importing Carrel makes
//! carrel-pack inspect <PACKAGE>                        the course tree, files and signer
//! carrel-pack import <PACKAGE> --store <DIR> [--trust <PUBLIC>...]   install into a content store
//! carrel-pack convert <SCORM_OR_CMI5_ZIP> --key <SECRET> --publisher <NAME> -o course.carrel
//! ```
//! The secret key can come from the environment instead of a file (`CARREL_SIGNING_KEY` holding
//! the key file's contents), so CI never writes it to disk. The formats are specified in
//! `docs/package-format.md`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use carrel_package::manifest::{ItemKind, ScormVersion};
use carrel_package::store::{Cancel, ImportOptions, Store, Trust};
use carrel_package::{Limits, PackageArchive, PublicKey, SecretKey, source};
use carrel_standards::{ConvertOptions, StandardPackage};
use clap::{Parser, Subcommand};

/// Build, sign, verify and inspect Carrel course packages.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a publisher key pair: <name>.secret.json (keep it private) and <name>.public.json.
    Keygen {
        /// Folder to write the two files to.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// File name stem.
        #[arg(long, default_value = "publisher")]
        name: String,
    },
    /// Build a signed package from a course source folder (course.toml, pages/, assets/…).
    Build {
        /// The source folder.
        source: PathBuf,
        /// The secret key file; or set CARREL_SIGNING_KEY to the file's contents.
        #[arg(long, env = "CARREL_SIGNING_KEY_FILE")]
        key: Option<PathBuf>,
        /// Where to write the package.
        #[arg(short, long)]
        out: PathBuf,
        /// Where to write the answer keys of graded quizzes (for the course server only);
        /// default: <out>.answer-keys.json when the course has graded quizzes.
        #[arg(long)]
        answer_keys: Option<PathBuf>,
    },
    /// Check a package as an importing Carrel does: structure, names, caps, signature, every hash.
    Verify {
        /// The package file.
        package: PathBuf,
        /// Public key files of publishers to accept; without any, any valid signer is reported.
        #[arg(long)]
        trust: Vec<PathBuf>,
    },
    /// Print a package's course tree, files and signer.
    Inspect {
        /// The package file.
        package: PathBuf,
    },
    /// Convert a SCORM 1.2, SCORM 2004 or cmi5 zip into a signed Carrel package (see
    /// docs/standards.md): every file kept, the outline mapped, the package checked against its
    /// standard first.
    Convert {
        /// The SCORM or cmi5 zip.
        package: PathBuf,
        /// The secret key file; or set CARREL_SIGNING_KEY to the file's contents.
        #[arg(long, env = "CARREL_SIGNING_KEY_FILE")]
        key: Option<PathBuf>,
        /// Where to write the Carrel package.
        #[arg(short, long)]
        out: PathBuf,
        /// Who publishes the course.
        #[arg(long)]
        publisher: String,
        /// The publisher's web address.
        #[arg(long)]
        publisher_url: Option<String>,
        /// The course id; default: derived from the package's own identifier.
        #[arg(long)]
        id: Option<String>,
        /// The course version: raise it each time a changed package is converted again.
        #[arg(long, default_value = "1.0.0")]
        version: String,
        /// The content's language (BCP 47); default: the package's, else en.
        #[arg(long)]
        language: Option<String>,
    },
    /// Install a package into a content store folder (what the app does on import).
    Import {
        /// The package file.
        package: PathBuf,
        /// The store folder.
        #[arg(long)]
        store: PathBuf,
        /// Public key files of publishers to trust.
        #[arg(long)]
        trust: Vec<PathBuf>,
    },
}

fn main() -> std::process::ExitCode {
    match run(Args::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("carrel-pack: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match args.command {
        Command::Keygen { out: dir, name } => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let key = SecretKey::generate()?;
            let [secret, public] = key.write_files(&dir, &name)?;
            writeln!(
                out,
                "secret key: {} (keep it private; back it up)",
                secret.display()
            )?;
            writeln!(out, "public key: {}", public.display())?;
            writeln!(out, "fingerprint: {}", key.public_key().fingerprint())?;
        }
        Command::Build {
            source: dir,
            key,
            out: package,
            answer_keys,
        } => {
            let key = load_secret(key.as_deref())?;
            let report = source::build(&dir, &key, &package)?;
            let manifest = &report.manifest;
            writeln!(
                out,
                "built {} — {} {} ({} files, {} bytes), signed by {}",
                package.display(),
                manifest.course.id,
                manifest.course.version,
                manifest.files.len(),
                manifest.total_size(),
                key.public_key().fingerprint()
            )?;
            if !report.answer_keys.is_empty() {
                let path =
                    answer_keys.unwrap_or_else(|| with_suffix(&package, ".answer-keys.json"));
                let json = serde_json::to_vec_pretty(&report.answer_keys)?;
                std::fs::write(&path, json)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                writeln!(
                    out,
                    "answer keys of graded quizzes: {} (give these to the course server only)",
                    path.display()
                )?;
            }
        }
        Command::Convert {
            package,
            key,
            out: output,
            publisher,
            publisher_url,
            id,
            version,
            language,
        } => {
            let key = load_secret(key.as_deref())?;
            let mut standard = StandardPackage::open(&package)
                .with_context(|| format!("{} was not converted", package.display()))?;
            for warning in &standard.course().warnings {
                writeln!(out, "warning: {warning}")?;
            }
            let options = ConvertOptions {
                course_id: id,
                version,
                language,
                publisher,
                publisher_url,
            };
            let manifest = standard
                .convert(&options, &key, &output)
                .with_context(|| format!("{} was not converted", package.display()))?;
            writeln!(
                out,
                "converted {} ({}) to {} — {} {}: {} items, {} files, signed by {}",
                package.display(),
                standard.course().standard.name(),
                output.display(),
                manifest.course.id,
                manifest.course.version,
                manifest.items().count(),
                manifest.files.len(),
                key.public_key().fingerprint()
            )?;
        }
        Command::Verify { package, trust } => {
            let trusted = load_public_keys(&trust)?;
            let file = std::fs::File::open(&package)
                .with_context(|| format!("cannot open {}", package.display()))?;
            let mut archive =
                PackageArchive::open(std::io::BufReader::new(file), &Limits::default())?;
            archive.read_files(
                |_| true,
                |_, reader| std::io::copy(reader, &mut std::io::sink()).map(|_| ()),
            )?;
            let signer = archive.publisher().clone();
            if !trusted.is_empty() && !trusted.contains(&signer) {
                bail!(
                    "{} is validly signed, but by key {}, which is not one of the trusted keys",
                    package.display(),
                    signer.fingerprint()
                );
            }
            let manifest = archive.manifest();
            writeln!(
                out,
                "ok: {} {} — {} files, every hash verified, signed by {}",
                manifest.course.id,
                manifest.course.version,
                manifest.files.len(),
                signer.fingerprint()
            )?;
        }
        Command::Inspect { package } => {
            let file = std::fs::File::open(&package)
                .with_context(|| format!("cannot open {}", package.display()))?;
            let archive = PackageArchive::open(std::io::BufReader::new(file), &Limits::default())?;
            print_tree(&mut out, &archive)?;
        }
        Command::Import {
            package,
            store,
            trust,
        } => {
            let store = Store::open(&store)?;
            let options = ImportOptions {
                trust: Trust {
                    vouched: load_public_keys(&trust)?,
                    confirmed: None,
                },
                app_version: env!("CARGO_PKG_VERSION"),
                progress: &|_| {},
                cancel: Cancel::default(),
                limits: Limits::default(),
            };
            let outcome = store.import_file(&package, &options)?;
            writeln!(
                out,
                "installed {} {} ({} new bytes, {} files reused{})",
                outcome.course_id,
                outcome.version,
                outcome.new_bytes,
                outcome.reused_files,
                if outcome.already_installed {
                    ", already installed"
                } else {
                    ""
                }
            )?;
        }
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn load_secret(path: Option<&Path>) -> anyhow::Result<SecretKey> {
    if let Some(path) = path {
        return Ok(SecretKey::read_file(path)?);
    }
    match std::env::var("CARREL_SIGNING_KEY") {
        Ok(text) => Ok(SecretKey::from_key_file_text(&text, "CARREL_SIGNING_KEY")?),
        Err(_) => bail!(
            "no signing key: pass --key <file> or set CARREL_SIGNING_KEY to the key file's contents (make one with `carrel-pack keygen`)"
        ),
    }
}

fn load_public_keys(paths: &[PathBuf]) -> anyhow::Result<Vec<PublicKey>> {
    paths
        .iter()
        .map(|path| PublicKey::read_file(path).map_err(anyhow::Error::from))
        .collect()
}

fn print_tree<R: std::io::Read + std::io::Seek>(
    out: &mut impl Write,
    archive: &PackageArchive<R>,
) -> anyhow::Result<()> {
    let manifest = archive.manifest();
    let course = &manifest.course;
    writeln!(
        out,
        "{} — {} (version {}, {})",
        course.id, course.title, course.version, course.language
    )?;
    writeln!(
        out,
        "publisher: {} — key {}",
        course.publisher.name,
        archive.publisher().fingerprint()
    )?;
    if let (Some(starts), Some(ends)) = (course.starts, course.ends) {
        writeln!(out, "runs: {starts} to {ends}")?;
    }
    writeln!(
        out,
        "needs Carrel {} or newer; built {}",
        course.min_app_version, manifest.built_at
    )?;
    for block in &manifest.blocks {
        writeln!(out, "├─ {} [{}]", block.title, block.id)?;
        for module in &block.modules {
            writeln!(out, "│  ├─ {} [{}]", module.title, module.id)?;
            for item in &module.items {
                let detail = match &item.kind {
                    ItemKind::Webinar { sessions, .. } => format!("{} sessions", sessions.len()),
                    ItemKind::Forum { topics, .. } => format!("{} topics", topics.len()),
                    ItemKind::External { url, .. } => url.clone(),
                    ItemKind::Scorm(sco) => format!(
                        "{} (SCORM {}{})",
                        sco.path,
                        match sco.scorm_version {
                            ScormVersion::Scorm12 => "1.2",
                            ScormVersion::Scorm2004 => "2004",
                        },
                        if sco.sco { ", SCO" } else { ", asset" }
                    ),
                    ItemKind::Cmi5(au) => format!("{} (AU {})", au.path, au.au_id),
                    other => other.paths().join(", "),
                };
                writeln!(
                    out,
                    "│  │  ├─ {:<10} {} [{}] {}",
                    item.kind.name(),
                    item.title,
                    item.id,
                    detail
                )?;
            }
        }
    }
    writeln!(
        out,
        "files: {} ({} bytes)",
        manifest.files.len(),
        manifest.total_size()
    )?;
    for file in &manifest.files {
        writeln!(
            out,
            "  {:>10}  {}  {}",
            file.size,
            &file.sha256[..12],
            file.path
        )?;
    }
    Ok(())
}
