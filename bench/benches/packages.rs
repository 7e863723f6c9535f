//! Course packages benchmark: importing a ~1 GB package, updating a course with 1 % of its files
//! changed, and reading a 500 MB video through the content scheme — each beside a baseline measured
//! the same way in the same run, reported with their ratio. Nothing here asserts on time.
//!
//! ```text
//! cargo bench -p carrel-bench --bench packages                  # full size (~1 GB package)
//! CARREL_BENCH_SCALE=0.05 cargo bench -p carrel-bench --bench packages   # 5 % of the sizes
//! CARREL_BENCH_ROUNDS=3 …          rounds of each comparison (default 5; medians are reported)
//! CARREL_BENCH_ONLY=import,video … run only some of: import, update, video
//! CARREL_BENCH_NO_BUILD=1 …        reuse target/release/carrel-pack instead of building it
//! CARREL_BENCH_WARM=1 …            do not drop the page cache before each import round
//! ```
//!
//! The packages are generated once per scale into `target/bench-data/` and reused: three
//! incompressible "videos" (stored) and ~5,000 HTML pages of 10–40 KB of varied text (deflated), a
//! second version of it with 1 % of the pages changed, and a course with one 500 MB video.
//!
//! 1. **Import**: `carrel-pack import` (the release binary, in its own process: signature and every
//!    hash verified, files made durable with `syncfs`) into a fresh store, beside `unzip -q` then
//!    `sha256sum -c --quiet` of a checksum list made from the manifest, and that followed by `sync`.
//!    The two sides alternate which runs first; run as root, the page cache is also dropped before
//!    every run (cold reads). Peak RSS comes from `getrusage(RUSAGE_CHILDREN)` in a probe process that runs only
//!    `carrel-pack` (this binary re-executed), and the extra memory is import − `carrel-pack
//!    --version`.
//! 2. **Update**: v1 and v2 published on a loopback `carrel-server`; a library holding v1 updated
//!    with `install_from_server` (signed manifest + only new hashes), beside a full install of v2
//!    into an empty library (package download + import).
//! 3. **Video**: `content::serve` answering what a media element asks — `bytes=N-` to the end (8 MiB
//!    slices) and 200 random 1 MiB ranges — beside plain `File` seek + `read_exact` of the same
//!    sizes (file opened once, buffer reused), the file in the page cache for both. Diagnostics:
//!    plain reads done the way `content::serve` reads (open + new buffer per range), and the
//!    loopback media server that plays video on Linux (HTTP/1.1 on one kept-alive connection).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use carrel_bench::{Table, env_or, median, repo_root};
use carrel_core::http::HttpClient;
use carrel_core::library::download::{Task, fetch_catalog, install_from_server};
use carrel_core::library::media_server::{MediaServer, OpenCourse};
use carrel_core::library::{Library, content};
use carrel_core::settings::ServerUrl;
use carrel_package::archive::hex;
use carrel_package::manifest::{
    Block, Course, FileEntry, Item, ItemKind, Manifest, Module, Publisher,
};
use carrel_package::media::media_type_for;
use carrel_package::pack::{hash_reader, write_package};
use carrel_package::store::{Cancel, ImportOptions, Trust};
use carrel_package::{Limits, PackageArchive, SecretKey};
use carrel_server::testing::LoopbackServer;
use carrel_server::{Storage, publish_package};
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use sha2::{Digest, Sha256};

const MB: f64 = 1_000_000.0;
const MIB: u64 = 1024 * 1024;
/// Bump when the generated content changes, so stale data is not reused.
const GENERATOR: u32 = 1;
const COURSE_ID: &str = "bench-course";
const VIDEO_COURSE_ID: &str = "bench-video";
const VIDEO_PATH: &str = "videos/lecture.webm";
/// Set in the environment of this binary re-executed as a peak-memory probe.
const PROBE_ENV: &str = "CARREL_BENCH_RUSAGE_PROBE";
const RANDOM_READS: usize = 200;

fn main() -> anyhow::Result<()> {
    if std::env::var_os(PROBE_ENV).is_some() {
        return probe_main();
    }
    // `cargo bench` passes `--bench`; this harness takes no arguments of its own.
    let config = Config::from_env();
    let root = repo_root();
    let target = root.join("target");
    let carrel_pack = target.join("release/carrel-pack");
    if config.runs("import") && config.build {
        build_carrel_pack(&root)?;
    }
    let data = BenchData::ensure(&target.join("bench-data"), config.scale)?;
    let work = tempfile::Builder::new()
        .prefix("packages-run-")
        .tempdir_in(target.join("bench-data"))?;

    let mut report = Report::default();
    if config.runs("import") {
        report.import = Some(bench_import(&config, &data, &carrel_pack, work.path())?);
    }
    if config.runs("update") {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        report.update = Some(runtime.block_on(bench_update(&config, &data, work.path()))?);
    }
    if config.runs("video") {
        report.video = Some(bench_video(&config, &data, work.path())?);
    }
    report.print(&config, &data);
    Ok(())
}

struct Config {
    scale: f64,
    rounds: usize,
    build: bool,
    warm: bool,
    only: Option<Vec<String>>,
}

impl Config {
    fn from_env() -> Self {
        Self {
            scale: env_or("CARREL_BENCH_SCALE", 1.0_f64).clamp(0.001, 10.0),
            rounds: env_or("CARREL_BENCH_ROUNDS", 5_usize).max(1),
            build: std::env::var_os("CARREL_BENCH_NO_BUILD").is_none(),
            warm: std::env::var_os("CARREL_BENCH_WARM").is_some(),
            only: std::env::var("CARREL_BENCH_ONLY")
                .ok()
                .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect()),
        }
    }

    fn runs(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.iter().any(|o| o == name))
    }
}

fn build_carrel_pack(root: &Path) -> anyhow::Result<()> {
    eprintln!("building carrel-pack (release)");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "carrel-pack"])
        .current_dir(root)
        .status()?;
    ensure!(status.success(), "building carrel-pack failed");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Generated packages

/// Sizes at a scale (1.0 = the full benchmark).
struct Layout {
    videos: usize,
    video_bytes: u64,
    pages: usize,
    big_video_bytes: u64,
}

impl Layout {
    fn at(scale: f64) -> Self {
        Self {
            videos: 3,
            video_bytes: ((310e6 * scale) as u64).max(MIB),
            pages: ((5000.0 * scale).round() as usize).max(200),
            big_video_bytes: ((500e6 * scale) as u64).max(16 * MIB),
        }
    }
}

/// The generated packages of one scale.
struct BenchData {
    v1: PathBuf,
    v2: PathBuf,
    video: PathBuf,
    public_key: PathBuf,
    key: SecretKey,
    /// The pages v2 changes.
    changed_pages: usize,
    pages: usize,
}

impl BenchData {
    fn ensure(root: &Path, scale: f64) -> anyhow::Result<Self> {
        let name = format!("packages-g{GENERATOR}-scale{scale}");
        let dir = root.join(&name);
        let layout = Layout::at(scale);
        let key = carrel_package::testing::sample_key();
        let data = Self {
            v1: dir.join("course-1.0.0.carrel"),
            v2: dir.join("course-1.0.1.carrel"),
            video: dir.join("video.carrel"),
            public_key: dir.join("publisher.public.json"),
            key,
            changed_pages: (0..layout.pages).filter(|&i| is_changed(i)).count(),
            pages: layout.pages,
        };
        if dir.join("complete").is_file() {
            eprintln!("reusing the packages in {}", dir.display());
            return Ok(data);
        }
        let partial = root.join(format!("{name}.partial"));
        if partial.exists() {
            std::fs::remove_dir_all(&partial)?;
        }
        std::fs::create_dir_all(&partial)?;
        eprintln!(
            "generating packages in {} (once per scale; {} pages, {} videos of {:.0} MB, one of \
             {:.0} MB)",
            dir.display(),
            layout.pages,
            layout.videos,
            layout.video_bytes as f64 / MB,
            layout.big_video_bytes as f64 / MB
        );
        let started = Instant::now();
        let file_name = |path: &Path| path.file_name().map(PathBuf::from).unwrap_or_default();
        course_package(&partial.join(file_name(&data.v1)), &data.key, &layout, 0)?;
        course_package(&partial.join(file_name(&data.v2)), &data.key, &layout, 1)?;
        video_package(&partial.join(file_name(&data.video)), &data.key, &layout)?;
        data.key.write_files(&partial, "publisher")?;
        std::fs::write(partial.join("complete"), format!("generator {GENERATOR}\n"))?;
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::rename(&partial, &dir)?;
        eprintln!("generated in {:.1} s", started.elapsed().as_secs_f64());
        Ok(data)
    }
}

/// Whether page `index` differs between v1 and v2 (1 % of the pages).
fn is_changed(index: usize) -> bool {
    index % 100 == 50
}

/// Where a content file's bytes come from; regenerated on demand, never kept in memory.
#[derive(Clone, Copy)]
enum Content {
    Page { index: usize, revision: u32 },
    Noise { seed: u64, len: u64 },
    Style,
}

impl Content {
    fn reader(self) -> Box<dyn Read> {
        match self {
            Self::Page { index, revision } => Box::new(io::Cursor::new(page_html(index, revision))),
            Self::Noise { seed, len } => Box::new(NoiseReader::new(seed, len)),
            Self::Style => Box::new(io::Cursor::new(STYLE.as_bytes())),
        }
    }
}

const STYLE: &str = "body { font: 1rem/1.5 system-ui, sans-serif; margin: 0 auto; \
                     max-width: 42rem; }\n\
                     h1, h2 { line-height: 1.2; }\n.revised { color: #7a4a00; }\n";

/// The main course: `layout.videos` videos and `layout.pages` pages; `revision` 1 is v2.
fn course_package(
    out: &Path,
    key: &SecretKey,
    layout: &Layout,
    revision: u32,
) -> anyhow::Result<()> {
    const PAGES_PER_MODULE: usize = 100;
    const MODULES_PER_BLOCK: usize = 5;
    let mut files: Vec<(String, Content)> = vec![("assets/style.css".into(), Content::Style)];
    let mut blocks: Vec<Block> = Vec::new();
    for index in 0..layout.pages {
        let (module_n, block_n) = (
            index / PAGES_PER_MODULE,
            index / (PAGES_PER_MODULE * MODULES_PER_BLOCK),
        );
        let path = format!(
            "pages/b{:02}/m{:02}/p{index:05}.html",
            block_n + 1,
            module_n % MODULES_PER_BLOCK + 1
        );
        let page_revision = if revision > 0 && is_changed(index) {
            revision
        } else {
            0
        };
        files.push((
            path.clone(),
            Content::Page {
                index,
                revision: page_revision,
            },
        ));
        if blocks.len() <= block_n {
            blocks.push(Block {
                id: format!("b{:02}", block_n + 1),
                title: format!("Block {}", block_n + 1),
                summary: String::new(),
                week: Some(block_n as u32 + 1),
                modules: Vec::new(),
            });
        }
        let block = blocks.last_mut().context("a block")?;
        if block.modules.len() <= module_n % MODULES_PER_BLOCK {
            block.modules.push(Module {
                id: format!("{}-m{:02}", block.id, module_n % MODULES_PER_BLOCK + 1),
                title: format!("Module {}", module_n + 1),
                summary: String::new(),
                items: Vec::new(),
            });
        }
        let module = block.modules.last_mut().context("a module")?;
        module.items.push(Item {
            id: format!("p{index:05}"),
            title: page_title(index),
            minutes: Some(5),
            kind: ItemKind::Page { path },
        });
    }
    for n in 0..layout.videos {
        let path = format!("videos/lecture-{}.webm", n + 1);
        files.push((
            path.clone(),
            Content::Noise {
                seed: 0x0517_e000 + n as u64,
                len: layout.video_bytes,
            },
        ));
        let block_n = n % blocks.len();
        blocks[block_n].modules[0].items.insert(
            0,
            Item {
                id: format!("video-{}", n + 1),
                title: format!("Lecture {}", n + 1),
                minutes: Some(30),
                kind: ItemKind::Video {
                    path,
                    captions: None,
                    duration_seconds: Some(1800),
                },
            },
        );
    }
    let version = format!("1.0.{revision}");
    let course = course(COURSE_ID, &version, "Benchmark course", &files[1].0);
    write(out, key, course, blocks, &files)
}

/// A course with one large video and a home page.
fn video_package(out: &Path, key: &SecretKey, layout: &Layout) -> anyhow::Result<()> {
    let files = vec![
        (
            "pages/home.html".to_owned(),
            Content::Page {
                index: 0,
                revision: 0,
            },
        ),
        (
            VIDEO_PATH.to_owned(),
            Content::Noise {
                seed: 0x0b16_0000,
                len: layout.big_video_bytes,
            },
        ),
    ];
    let blocks = vec![Block {
        id: "b01".into(),
        title: "Video".into(),
        summary: String::new(),
        week: None,
        modules: vec![Module {
            id: "b01-m01".into(),
            title: "Video".into(),
            summary: String::new(),
            items: vec![Item {
                id: "lecture".into(),
                title: "Lecture".into(),
                minutes: Some(60),
                kind: ItemKind::Video {
                    path: VIDEO_PATH.into(),
                    captions: None,
                    duration_seconds: Some(3600),
                },
            }],
        }],
    }];
    let course = course(
        VIDEO_COURSE_ID,
        "1.0.0",
        "Benchmark video",
        "pages/home.html",
    );
    write(out, key, course, blocks, &files)
}

fn course(id: &str, version: &str, title: &str, home: &str) -> Course {
    Course {
        id: id.into(),
        version: version.into(),
        title: title.into(),
        language: "en".into(),
        summary: "Generated for carrel-bench.".into(),
        description: Some(home.into()),
        starts: None,
        ends: None,
        min_app_version: "0.1.0".into(),
        estimated_hours: Some(40),
        publisher: Publisher {
            name: "Carrel benchmarks".into(),
            url: None,
        },
        certificate: None,
    }
}

/// Hashes every file (one pass), then writes the signed package (a second pass).
fn write(
    out: &Path,
    key: &SecretKey,
    course: Course,
    blocks: Vec<Block>,
    files: &[(String, Content)],
) -> anyhow::Result<()> {
    let mut entries = Vec::with_capacity(files.len());
    let mut sources = HashMap::with_capacity(files.len());
    for (path, content) in files {
        let (size, sha256) = hash_reader(&mut content.reader())?;
        entries.push(FileEntry {
            path: path.clone(),
            size,
            sha256,
            media_type: media_type_for(path).to_owned(),
        });
        sources.insert(path.clone(), *content);
    }
    let manifest = Manifest::new(course, blocks, entries);
    write_package(out, &manifest, key, |file| {
        sources
            .get(&file.path)
            .map(|content| content.reader())
            .ok_or_else(|| io::Error::other(format!("no source for {}", file.path)))
    })?;
    Ok(())
}

/// A small, fast, deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `len` incompressible bytes, the same for a seed however they are read.
struct NoiseReader {
    seed: u64,
    len: u64,
    pos: u64,
    block: Vec<u8>,
    block_index: u64,
}

const NOISE_BLOCK: u64 = 64 * 1024;

impl NoiseReader {
    fn new(seed: u64, len: u64) -> Self {
        Self {
            seed,
            len,
            pos: 0,
            block: vec![0; NOISE_BLOCK as usize],
            block_index: u64::MAX,
        }
    }
}

impl Read for NoiseReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let index = self.pos / NOISE_BLOCK;
        if index != self.block_index {
            let mut rng = Rng(self.seed ^ index.wrapping_mul(0xA076_1D64_78BD_642F));
            for chunk in self.block.chunks_exact_mut(8) {
                chunk.copy_from_slice(&rng.next().to_le_bytes());
            }
            self.block_index = index;
        }
        let offset = (self.pos % NOISE_BLOCK) as usize;
        let n = buf
            .len()
            .min(self.block.len() - offset)
            .min((self.len - self.pos) as usize);
        buf[..n].copy_from_slice(&self.block[offset..offset + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

/// The vocabulary of the generated pages (about a course on migrant domestic workers' rights).
const VOCABULARY: &str = "the of and to a in for is on that by with as workers worker domestic \
     migrant rights labour law employer employers contract wages minimum wage hours rest weekly \
     day leave social security protection convention recommendation article national legislation \
     state states member inspection inspectors complaint complaints mechanism recruitment agency \
     agencies fees passport documents identity housing accommodation food health safety \
     occupational risk risks violence harassment abuse forced child trafficking freedom \
     association union unions collective bargaining organisation organisations dialogue tripartite \
     government governments policy policies practice practices case study example evidence data \
     survey country countries region regional international standards standard ratification \
     implementation monitoring reporting committee experts observation guidance training \
     information awareness access justice remedy remedies court courts tribunal decision payment \
     deductions overtime night work working conditions written terms language understand before \
     after during departure arrival return origin destination corridor bilateral agreement \
     agreements family household care children women men young older equal treatment \
     discrimination non-discrimination privacy communication phone keep must should may can not \
     without within between across every each all most some many new first second third also \
     however therefore which where when who what how why this these those their its from into \
     under over about against";

static WORDS: std::sync::LazyLock<Vec<&str>> =
    std::sync::LazyLock::new(|| VOCABULARY.split_whitespace().collect());

fn page_title(index: usize) -> String {
    let mut rng = Rng(0x7171_e000 ^ index as u64);
    let words: Vec<&str> = (0..4 + rng.below(4))
        .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
        .collect();
    let mut title = format!("{}. {}", index + 1, words.join(" "));
    if let Some(first) = title.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    title
}

/// A page of 10–40 KB of varied course text; `revision` > 0 gives a different page.
fn page_html(index: usize, revision: u32) -> Vec<u8> {
    let mut rng = Rng(0x5eed_0000_0000 ^ ((index as u64) << 8) ^ u64::from(revision));
    let target = 10_000 + rng.below(30_001) as usize;
    let title = page_title(index);
    let mut html = String::with_capacity(target + 4096);
    let _ = write!(
        html,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<link rel=\"stylesheet\" href=\"../../../assets/style.css\">\n\
         </head>\n<body>\n<main>\n<h1>{title}</h1>\n"
    );
    if revision > 0 {
        let _ = writeln!(
            html,
            "<p class=\"revised\">Revised in edition {revision}: figures updated.</p>"
        );
    }
    let words = |rng: &mut Rng, html: &mut String, count: u64| {
        let mut sentence_left = 0;
        for _ in 0..count {
            let start = sentence_left == 0;
            if start {
                sentence_left = 8 + rng.below(14);
            }
            let word = match rng.below(40) {
                0 => rng.below(10_000).to_string(),
                1 => format!("{}%", rng.below(100)),
                _ => WORDS[rng.below(WORDS.len() as u64) as usize].to_owned(),
            };
            let mut word = if start {
                let mut w = word;
                if let Some(first) = w.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                w
            } else {
                word
            };
            match rng.below(60) {
                0 => word = format!("<em>{word}</em>"),
                1 => {
                    let other = rng.below(5000);
                    word = format!("<a href=\"p{other:05}.html\">{word}</a>");
                }
                _ => {}
            }
            html.push_str(&word);
            sentence_left -= 1;
            html.push_str(if sentence_left == 0 {
                ". "
            } else if rng.below(12) == 0 {
                ", "
            } else {
                " "
            });
        }
    };
    while html.len() < target {
        match rng.below(10) {
            0 => {
                html.push_str("<h2>");
                let n = 3 + rng.below(5);
                words(&mut rng, &mut html, n);
                html.push_str("</h2>\n");
            }
            1 => {
                html.push_str("<ul>\n");
                for _ in 0..3 + rng.below(4) {
                    html.push_str("<li>");
                    let n = 5 + rng.below(11);
                    words(&mut rng, &mut html, n);
                    html.push_str("</li>\n");
                }
                html.push_str("</ul>\n");
            }
            _ => {
                html.push_str("<p>");
                let n = 30 + rng.below(81);
                words(&mut rng, &mut html, n);
                html.push_str("</p>\n");
            }
        }
    }
    html.push_str("</main>\n</body>\n</html>\n");
    html.into_bytes()
}

// ---------------------------------------------------------------------------------------------
// 1. Import

struct ImportResult {
    measured: Vec<f64>,
    baseline: Vec<f64>,
    baseline_sync: Vec<f64>,
    peak_rss_kib: Vec<u64>,
    floor_rss_kib: u64,
    cold: bool,
    package_bytes: u64,
    content_bytes: u64,
    files: usize,
}

fn bench_import(
    config: &Config,
    data: &BenchData,
    carrel_pack: &Path,
    work: &Path,
) -> anyhow::Result<ImportResult> {
    ensure!(
        carrel_pack.is_file(),
        "{} is missing: build it with `cargo build --release -p carrel-pack`",
        carrel_pack.display()
    );
    for (tool, hint) in [
        ("unzip", "install it with `apt-get install unzip`"),
        ("sha256sum", "it is part of coreutils"),
    ] {
        ensure!(
            Command::new(tool)
                .arg("--help")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok(),
            "the import baseline needs `{tool}`, which is missing: {hint}"
        );
    }
    let archive = PackageArchive::open(BufReader::new(File::open(&data.v1)?), &Limits::default())?;
    let manifest = archive.manifest();
    let list = work.join("checksums.sha256");
    let mut text = String::new();
    for file in &manifest.files {
        let _ = writeln!(text, "{}  {}", file.sha256, file.path);
    }
    std::fs::write(&list, text)?;
    let package_bytes = std::fs::metadata(&data.v1)?.len();
    let (content_bytes, files) = (manifest.total_size(), manifest.files.len());
    drop(archive);

    let cold = !config.warm && drop_caches();
    eprintln!(
        "import: {:.0} MB package, {files} files, {} page cache",
        package_bytes as f64 / MB,
        if cold {
            "cold (dropped before each run)"
        } else {
            "warm"
        }
    );
    let floor = (0..3)
        .map(|_| probe(carrel_pack, &["--version".as_ref()]).map(|p| p.max_rss_kib))
        .collect::<anyhow::Result<Vec<u64>>>()?;
    let floor_rss_kib = floor.iter().copied().min().unwrap_or(0);

    let mut result = ImportResult {
        measured: Vec::new(),
        baseline: Vec::new(),
        baseline_sync: Vec::new(),
        peak_rss_kib: Vec::new(),
        floor_rss_kib,
        cold,
        package_bytes,
        content_bytes,
        files,
    };
    for round in 0..config.rounds {
        let measured_first = round % 2 == 0;
        for measured in [measured_first, !measured_first] {
            let out = work.join(format!("import-{round}-{measured}"));
            // Start each run with nothing left to write back from the last one (and, as root, with
            // nothing of the package in memory).
            if cold {
                drop_caches();
            } else {
                settle();
            }
            if measured {
                let args = [
                    "import".as_ref(),
                    data.v1.as_os_str(),
                    "--store".as_ref(),
                    out.as_os_str(),
                    "--trust".as_ref(),
                    data.public_key.as_os_str(),
                ];
                let run = probe(carrel_pack, &args)?;
                eprintln!(
                    "round {round}: carrel-pack import {:.2} s, peak RSS {:.1} MB",
                    run.seconds,
                    run.max_rss_kib as f64 * 1024.0 / MB
                );
                result.measured.push(run.seconds);
                result.peak_rss_kib.push(run.max_rss_kib);
            } else {
                let started = Instant::now();
                run(Command::new("unzip")
                    .arg("-q")
                    .arg(&data.v1)
                    .arg("-d")
                    .arg(&out))?;
                run(Command::new("sha256sum")
                    .args(["-c", "--quiet"])
                    .arg(&list)
                    .current_dir(out.join("content")))?;
                let checked = started.elapsed();
                run(&mut Command::new("sync"))?;
                let synced = started.elapsed();
                eprintln!(
                    "round {round}: unzip + sha256sum -c {:.2} s, + sync {:.2} s",
                    checked.as_secs_f64(),
                    synced.as_secs_f64()
                );
                result.baseline.push(checked.as_secs_f64());
                result.baseline_sync.push(synced.as_secs_f64());
            }
            std::fs::remove_dir_all(&out)?;
        }
    }
    Ok(result)
}

/// Flushes everything written so far to disk, so a run's own `syncfs` does not also pay for it.
fn settle() {
    let _ = Command::new("sync").status();
}

/// Flushes and drops the page cache (root only); false when that is not allowed here.
fn drop_caches() -> bool {
    settle();
    std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {command:?}"))?;
    ensure!(status.success(), "{command:?} failed: {status}");
    Ok(())
}

/// One process measured by the probe.
struct Probed {
    seconds: f64,
    max_rss_kib: u64,
}

/// Runs `program` through this binary re-executed as a probe, whose only child it is, so
/// `getrusage(RUSAGE_CHILDREN)` there is that process's own peak RSS.
fn probe(program: &Path, args: &[&std::ffi::OsStr]) -> anyhow::Result<Probed> {
    let output = Command::new(std::env::current_exe()?)
        .env(PROBE_ENV, "1")
        .arg(program)
        .args(args)
        .stderr(Stdio::inherit())
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [rss, seconds, code] = fields[..] else {
        bail!("the probe printed “{text}”");
    };
    ensure!(code == "0", "{} exited with {code}", program.display());
    Ok(Probed {
        seconds: seconds.parse()?,
        max_rss_kib: rss.parse()?,
    })
}

/// The probe: runs its arguments as a command and prints `<peak RSS KiB> <seconds> <exit code>`.
#[allow(clippy::print_stdout)]
fn probe_main() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let program = args.next().context("the probe needs a program")?;
    let started = Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .status()?;
    let elapsed = started.elapsed();
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)?;
    println!(
        "{} {} {}",
        usage.max_rss(),
        elapsed.as_secs_f64(),
        status.code().unwrap_or(-1)
    );
    io::stdout().flush()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 2. Update with 1 % of the files changed

struct UpdateResult {
    update: Vec<f64>,
    full: Vec<f64>,
    update_bytes: u64,
    full_bytes: u64,
    package_bytes: u64,
}

async fn bench_update(
    config: &Config,
    data: &BenchData,
    work: &Path,
) -> anyhow::Result<UpdateResult> {
    let server_dir = work.join("server");
    std::fs::create_dir_all(&server_dir)?;
    let server = LoopbackServer::start(&server_dir).await?;
    let url = ServerUrl::parse(&server.url())?;
    let http = HttpClient::new()?;
    let storage = Storage::open(server.db())?;
    eprintln!(
        "update: publishing v1, installing it into {} libraries",
        config.rounds
    );
    publish_package(&storage, server.data(), &data.v1).await?;
    let catalog = fetch_catalog(&http, &url).await?;
    let course = catalog
        .courses
        .iter()
        .find(|c| c.id == COURSE_ID)
        .context("v1 is not in the catalogue")?
        .clone();
    let mut olds = Vec::new();
    for round in 0..config.rounds {
        let dir = work.join(format!("update-{round}"));
        let library = Arc::new(Library::open(&dir.join("library"))?);
        install_from_server(
            library.clone(),
            &http,
            &url,
            &catalog,
            &course,
            &dir.join("downloads"),
            Task::unobserved(),
        )
        .await?;
        olds.push((dir, library));
    }
    publish_package(&storage, server.data(), &data.v2).await?;
    let catalog = fetch_catalog(&http, &url).await?;
    let course = catalog
        .courses
        .iter()
        .find(|c| c.id == COURSE_ID && c.version == "1.0.1")
        .context("v2 is not in the catalogue")?
        .clone();

    let mut result = UpdateResult {
        update: Vec::new(),
        full: Vec::new(),
        update_bytes: 0,
        full_bytes: 0,
        package_bytes: course.package_size,
    };
    for (round, (dir, library)) in olds.into_iter().enumerate() {
        let update_first = round % 2 == 0;
        for update in [update_first, !update_first] {
            let (target_dir, library) = if update {
                (dir.clone(), library.clone())
            } else {
                let fresh = work.join(format!("full-{round}"));
                let library = Arc::new(Library::open(&fresh.join("library"))?);
                (fresh, library)
            };
            // What the last run (and its clean-up) left to write back is not this run's work.
            settle();
            let started = Instant::now();
            let report = install_from_server(
                library,
                &http,
                &url,
                &catalog,
                &course,
                &target_dir.join("downloads"),
                Task::unobserved(),
            )
            .await?;
            let seconds = started.elapsed().as_secs_f64();
            ensure!(report.version == "1.0.1", "installed {}", report.version);
            eprintln!(
                "round {round}: {} {seconds:.2} s, {:.2} MB new",
                if update {
                    "update v1 → v2"
                } else {
                    "full install of v2"
                },
                report.new_bytes as f64 / MB
            );
            if update {
                result.update.push(seconds);
                result.update_bytes = report.new_bytes;
            } else {
                result.full.push(seconds);
                result.full_bytes = report.new_bytes;
                std::fs::remove_dir_all(&target_dir)?;
            }
        }
        std::fs::remove_dir_all(&dir)?;
    }
    drop(storage);
    server.stop().await?;
    std::fs::remove_dir_all(&server_dir)?;
    Ok(result)
}

// ---------------------------------------------------------------------------------------------
// 3. Reading a video through the content scheme

struct VideoResult {
    bytes: u64,
    /// MB/s per round for each [`Reader`], in its order.
    sequential: [Vec<f64>; 4],
    random: [Vec<f64>; 4],
    requests: usize,
    sequential_passes: u64,
    random_passes: u64,
}

/// The ways the video is read.
#[derive(Debug, Clone, Copy)]
enum Reader {
    /// `content::serve`, as the `carrel-content://` scheme answers.
    Scheme,
    /// The baseline: the file opened once, seek + `read_exact` into one reused buffer.
    File,
    /// A diagnostic: what `content::serve` does to read, without the HTTP and index work — open,
    /// seek, and `read_to_end` into a new buffer for every range.
    FreshBuffer,
    /// The loopback media server that plays video on Linux (WebKitGTK's GStreamer cannot read a
    /// custom scheme): HTTP/1.1 on one kept-alive connection, each answer from `content::serve`.
    MediaServer,
}

const READERS: [Reader; 4] = [
    Reader::Scheme,
    Reader::File,
    Reader::FreshBuffer,
    Reader::MediaServer,
];

/// Everything the readers read through.
struct Sources<'a> {
    library: &'a Library,
    plain: PlainReader,
    media: MediaClient,
}

fn bench_video(config: &Config, data: &BenchData, work: &Path) -> anyhow::Result<VideoResult> {
    let library = Arc::new(Library::open(&work.join("video-library"))?);
    library.store().import_file(
        &data.video,
        &ImportOptions {
            trust: Trust {
                vouched: vec![data.key.public_key()],
                confirmed: None,
            },
            app_version: carrel_core::CARREL_VERSION,
            progress: &|_| {},
            cancel: Cancel::default(),
            limits: Limits::default(),
        },
    )?;
    let stored = library
        .file(VIDEO_COURSE_ID, VIDEO_PATH)?
        .context("the video is not in the library")?;
    let size = stored.size;
    let mut rng = Rng(0x00ee_d5ee);
    let offsets: Vec<u64> = (0..RANDOM_READS)
        .map(|_| rng.below(size - MIB + 1))
        .collect();

    // Warm-up (untimed): the whole file through the scheme, checked against its SHA-256, which
    // also leaves it in the page cache for every reader.
    let mut hasher = Sha256::new();
    let requests = sequential_serve(&library, size, |body| hasher.update(body))?;
    ensure!(
        hex(&hasher.finalize()) == stored.sha256,
        "the content scheme served other bytes than the stored video"
    );
    // Each timed measurement reads at least ~2 GB (sequential) and 1,000 ranges (random), so it
    // lasts long enough to time on a busy machine.
    let sequential_passes = (2_000_000_000 / size).max(1);
    let random_passes = 5;
    eprintln!(
        "video: {:.0} MB in {requests} responses of at most {} MiB; {sequential_passes} \
         sequential and {random_passes} random passes per measurement",
        size as f64 / MB,
        content::MAX_SLICE / MIB
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let open = OpenCourse::default();
    open.set(Some(VIDEO_COURSE_ID.to_owned()));
    let media = runtime.block_on(MediaServer::start(library.clone(), open))?;
    let mut sources = Sources {
        library: &library,
        plain: PlainReader {
            path: stored.path.clone(),
            file: File::open(&stored.path)?,
            buffer: vec![0u8; content::MAX_SLICE as usize],
        },
        media: MediaClient::connect(&media.url_of(VIDEO_COURSE_ID, VIDEO_PATH))?,
    };
    for reader in READERS {
        sequential_pass(reader, &mut sources, size)?;
        random_pass(reader, &mut sources, &offsets)?;
    }

    let mut result = VideoResult {
        bytes: size,
        sequential: Default::default(),
        random: Default::default(),
        requests,
        sequential_passes,
        random_passes,
    };
    let rate = |bytes: u64, elapsed: Duration| bytes as f64 / MB / elapsed.as_secs_f64();
    for round in 0..config.rounds {
        let mut order = READERS.map(|r| r as usize);
        order.rotate_left(round % READERS.len());
        for slot in order {
            let reader = READERS[slot];
            let started = Instant::now();
            for _ in 0..sequential_passes {
                sequential_pass(reader, &mut sources, size)?;
            }
            result.sequential[slot].push(rate(size * sequential_passes, started.elapsed()));
            let started = Instant::now();
            for _ in 0..random_passes {
                random_pass(reader, &mut sources, &offsets)?;
            }
            let bytes = MIB * RANDOM_READS as u64 * random_passes;
            result.random[slot].push(rate(bytes, started.elapsed()));
        }
        eprintln!(
            "round {round}: sequential {:.0} / {:.0} / {:.0} / {:.0} MB/s, random {:.0} / {:.0} / \
             {:.0} / {:.0} MB/s (scheme / file / fresh buffer / media server)",
            result.sequential[0][round],
            result.sequential[1][round],
            result.sequential[2][round],
            result.sequential[3][round],
            result.random[0][round],
            result.random[1][round],
            result.random[2][round],
            result.random[3][round]
        );
    }
    drop(sources);
    runtime.shutdown_background();
    Ok(result)
}

/// The whole video front to back: through the scheme as a media element asks (`bytes=N-`, taking
/// what comes back), or plainly in slices of the size the scheme returns.
fn sequential_pass(reader: Reader, sources: &mut Sources<'_>, size: u64) -> anyhow::Result<()> {
    match reader {
        Reader::Scheme => {
            sequential_serve(sources.library, size, |body| {
                std::hint::black_box(body);
            })?;
        }
        Reader::MediaServer => {
            let mut pos = 0;
            while pos < size {
                let got = sources.media.get(&format!("bytes={pos}-"))?;
                ensure!(got > 0, "empty range answer at {pos}");
                pos += got;
            }
        }
        Reader::File | Reader::FreshBuffer => {
            let mut pos = 0;
            while pos < size {
                let length = (size - pos).min(content::MAX_SLICE);
                pos += sources.plain.read(reader, pos, length)?;
            }
        }
    }
    Ok(())
}

/// 1 MiB at each offset: `bytes=N-(N+1MiB-1)` through the scheme, or plainly.
fn random_pass(reader: Reader, sources: &mut Sources<'_>, offsets: &[u64]) -> anyhow::Result<()> {
    for &offset in offsets {
        let range = format!("bytes={offset}-{}", offset + MIB - 1);
        let got = match reader {
            Reader::Scheme => {
                let body = get(sources.library, &range)?;
                std::hint::black_box(&body);
                body.len() as u64
            }
            Reader::MediaServer => sources.media.get(&range)?,
            Reader::File | Reader::FreshBuffer => sources.plain.read(reader, offset, MIB)?,
        };
        ensure!(got == MIB, "read {got} bytes at {offset}, not 1 MiB");
    }
    Ok(())
}

/// A minimal HTTP/1.1 client on one kept-alive connection (with `TCP_NODELAY`, as browsers and
/// media frameworks set), reading each answer's body into one reused buffer.
struct MediaClient {
    stream: BufReader<TcpStream>,
    host: String,
    path: String,
    body: Vec<u8>,
}

impl MediaClient {
    fn connect(url: &str) -> anyhow::Result<Self> {
        let rest = url.strip_prefix("http://").context("not an http URL")?;
        let (host, path) = rest.split_once('/').context("no path in the URL")?;
        let stream = TcpStream::connect(host)?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::with_capacity(256 * 1024, stream),
            host: host.to_owned(),
            path: format!("/{path}"),
            body: Vec::new(),
        })
    }

    /// `GET` with this `Range`; the length of the 206's body.
    fn get(&mut self, range: &str) -> anyhow::Result<u64> {
        write!(
            self.stream.get_mut(),
            "GET {} HTTP/1.1\r\nHost: {}\r\nRange: {range}\r\n\r\n",
            self.path,
            self.host
        )?;
        let mut line = String::new();
        self.stream.read_line(&mut line)?;
        ensure!(
            line.split_whitespace().nth(1) == Some("206"),
            "{range} answered “{}”",
            line.trim_end()
        );
        let mut length = None;
        loop {
            line.clear();
            self.stream.read_line(&mut line)?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = Some(value.trim().parse::<usize>()?);
            }
        }
        let length = length.context("no Content-Length")?;
        self.body.resize(length, 0);
        self.stream.read_exact(&mut self.body[..length])?;
        std::hint::black_box(&self.body[..length]);
        Ok(length as u64)
    }
}

/// Plain reads of the stored file.
struct PlainReader {
    path: PathBuf,
    file: File,
    buffer: Vec<u8>,
}

impl PlainReader {
    fn read(&mut self, reader: Reader, start: u64, length: u64) -> anyhow::Result<u64> {
        let got = match reader {
            Reader::FreshBuffer => self.fresh(start, length)?,
            _ => self.reuse(start, length)?,
        };
        ensure!(got == length, "read {got} bytes at {start}, not {length}");
        Ok(got)
    }

    /// Seek + `read_exact` into the reused buffer.
    fn reuse(&mut self, start: u64, length: u64) -> io::Result<u64> {
        let n = length as usize;
        self.file.seek(SeekFrom::Start(start))?;
        self.file.read_exact(&mut self.buffer[..n])?;
        std::hint::black_box(&self.buffer[..n]);
        Ok(length)
    }

    /// Open + seek + `read_to_end` into a new buffer, as `content::serve` reads a slice.
    fn fresh(&mut self, start: u64, length: u64) -> io::Result<u64> {
        let mut file = File::open(&self.path)?;
        file.seek(SeekFrom::Start(start))?;
        let mut body = Vec::with_capacity(length as usize);
        file.take(length).read_to_end(&mut body)?;
        std::hint::black_box(&body);
        Ok(body.len() as u64)
    }
}

/// Reads the whole video as a media element does: `bytes=N-`, taking what comes back.
fn sequential_serve(
    library: &Library,
    size: u64,
    mut each: impl FnMut(&[u8]),
) -> anyhow::Result<usize> {
    let mut pos = 0;
    let mut requests = 0;
    while pos < size {
        let body = get(library, &format!("bytes={pos}-"))?;
        ensure!(!body.is_empty(), "empty range answer at {pos}");
        each(&body);
        pos += body.len() as u64;
        requests += 1;
    }
    Ok(requests)
}

/// One `GET` with a `Range` header through the content scheme; the body of its 206.
fn get(library: &Library, range: &str) -> anyhow::Result<Vec<u8>> {
    let mut headers = HeaderMap::new();
    headers.insert(header::RANGE, HeaderValue::from_str(range)?);
    let response = content::serve(library, VIDEO_COURSE_ID, VIDEO_PATH, &Method::GET, &headers);
    ensure!(
        response.status() == StatusCode::PARTIAL_CONTENT,
        "{range} answered {}",
        response.status()
    );
    Ok(response.into_body())
}

// ---------------------------------------------------------------------------------------------
// Report

/// Microseconds per 1 MiB range at `rate` MB/s.
fn micros(rate: f64) -> f64 {
    MIB as f64 / MB / rate * 1e6
}

#[derive(Default)]
struct Report {
    import: Option<ImportResult>,
    update: Option<UpdateResult>,
    video: Option<VideoResult>,
}

impl Report {
    // The report on stdout is this program's output.
    #[allow(clippy::print_stdout)]
    fn print(&self, config: &Config, data: &BenchData) {
        let verdict = |ok: bool| if ok { "met" } else { "MISSED" }.to_owned();
        let mut table = Table::new(&[
            "benchmark",
            "measured",
            "baseline",
            "ratio",
            "target",
            "verdict",
        ]);
        if let Some(r) = &self.import {
            let (m, b, bs) = (
                median(&r.measured),
                median(&r.baseline),
                median(&r.baseline_sync),
            );
            table.row([
                format!(
                    "import {:.0} MB package ({} files), s",
                    r.package_bytes as f64 / MB,
                    r.files
                ),
                format!("{m:.2} (carrel-pack import)"),
                format!("{b:.2} (unzip + sha256sum -c)"),
                format!("{:.2}× faster", b / m),
                "≥ 1.5× faster".into(),
                verdict(b / m >= 1.5),
            ]);
            table.row([
                "import, baseline made durable, s".into(),
                format!("{m:.2} (syncfs included)"),
                format!("{bs:.2} (… + sync)"),
                format!("{:.2}× faster", bs / m),
                "≥ 1.5× faster".into(),
                verdict(bs / m >= 1.5),
            ]);
            let rss: Vec<f64> = r
                .peak_rss_kib
                .iter()
                .map(|&kib| kib as f64 * 1024.0 / MB)
                .collect();
            let peak = rss.iter().copied().fold(0.0, f64::max);
            let floor = r.floor_rss_kib as f64 * 1024.0 / MB;
            table.row([
                "import peak RSS (highest round), MB".into(),
                format!("{peak:.1} (import; median {:.1})", median(&rss)),
                format!("{floor:.1} (carrel-pack --version)"),
                format!("+{:.1} MB extra", peak - floor),
                "≤ 64 MB extra".into(),
                verdict(peak - floor <= 64.0),
            ]);
        }
        if let Some(r) = &self.update {
            let (u, f) = (median(&r.update), median(&r.full));
            table.row([
                format!(
                    "update, {} of {} pages changed, s",
                    data.changed_pages, data.pages
                ),
                format!("{u:.2} (update v1 → v2)"),
                format!("{f:.2} (full install of v2)"),
                format!("{:.1}× faster", f / u),
                "— (none set)".into(),
                String::new(),
            ]);
            table.row([
                "update, bytes fetched, MB".into(),
                format!("{:.2} (new files)", r.update_bytes as f64 / MB),
                format!(
                    "{:.1} (package; {:.1} new files)",
                    r.package_bytes as f64 / MB,
                    r.full_bytes as f64 / MB
                ),
                format!(
                    "{:.2} %",
                    100.0 * r.update_bytes as f64 / r.package_bytes as f64
                ),
                "— (none set)".into(),
                String::new(),
            ]);
        }
        if let Some(r) = &self.video {
            let medians = |runs: &[Vec<f64>; 4]| runs.clone().map(|v| median(&v));
            let patterns = [
                (
                    format!(
                        "video {:.0} MB, sequential `bytes=N-` ({} × ≤ 8 MiB), MB/s",
                        r.bytes as f64 / MB,
                        r.requests
                    ),
                    medians(&r.sequential),
                ),
                (
                    format!("video, {RANDOM_READS} random 1 MiB ranges, MB/s"),
                    medians(&r.random),
                ),
            ];
            for (name, [scheme, file, _, _]) in &patterns {
                table.row([
                    name.clone(),
                    format!("{scheme:.0} (content::serve)"),
                    format!("{file:.0} (File seek + read_exact)"),
                    format!("{:.2}×", scheme / file),
                    "≥ 0.8×".into(),
                    verdict(scheme / file >= 0.8),
                ]);
            }
            for (name, [scheme, _, fresh, _]) in &patterns {
                table.row([
                    format!("{name}, diagnostic"),
                    format!("{scheme:.0} (content::serve)"),
                    format!("{fresh:.0} (open + seek + read_to_end, new buffer)"),
                    format!("{:.2}×", scheme / fresh),
                    "—".into(),
                    String::new(),
                ]);
            }
            for (name, [_, file, _, media]) in &patterns {
                table.row([
                    format!("{name}, Linux media server, diagnostic"),
                    format!("{media:.0} (loopback HTTP)"),
                    format!("{file:.0} (File seek + read_exact)"),
                    format!("{:.2}×", media / file),
                    "—".into(),
                    String::new(),
                ]);
            }
        }
        println!(
            "packages: Carrel beside unzip/sha256sum/plain reads, same machine, same run \
             (scale {}, median of {} rounds{})",
            config.scale,
            config.rounds,
            match &self.import {
                Some(r) if r.cold => ", import rounds from a cold page cache",
                Some(_) => ", import rounds with a warm page cache",
                None => "",
            }
        );
        print!("{}", table.render());
        if let Some(r) = &self.import {
            let m = median(&r.measured);
            println!(
                "import throughput: {:.0} MB/s of package, {:.0} MB/s of content ({:.0} MB)",
                r.package_bytes as f64 / MB / m,
                r.content_bytes as f64 / MB / m,
                r.content_bytes as f64 / MB
            );
        }
        if let Some(r) = &self.video {
            println!(
                "video: every measurement is {} sequential pass(es) and {} passes of the \
                 {RANDOM_READS} random ranges, the file in the page cache; per 1 MiB range: \
                 {:.0} µs through the scheme, {:.0} µs plain, {:.0} µs plain into a new buffer, \
                 {:.0} µs through the media server",
                r.sequential_passes,
                r.random_passes,
                micros(median(&r.random[0])),
                micros(median(&r.random[1])),
                micros(median(&r.random[2])),
                micros(median(&r.random[3]))
            );
        }
    }
}
