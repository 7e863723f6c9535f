//! The real `carrel-pack` binary: keys, build, verify, inspect, import — and `kill -9` during
//! imports, which must never leave a half-installed course or a corrupt store.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use carrel_package::store::Store;
use carrel_package::testing::{SAMPLE_COURSE_ID, write_sample_source};

fn carrel_pack(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_carrel-pack"))
        .args(args)
        .env_remove("CARREL_SIGNING_KEY")
        .env_remove("CARREL_SIGNING_KEY_FILE")
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let output = carrel_pack(args);
    assert!(
        output.status.success(),
        "carrel-pack {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn fails(args: &[&str]) -> String {
    let output = carrel_pack(args);
    assert!(!output.status.success(), "carrel-pack {args:?} should fail");
    String::from_utf8(output.stderr).unwrap()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn keygen_build_verify_inspect_import() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_sample_source(&d.join("src"), "1.0.0", 1000).unwrap();

    let keygen = ok(&["keygen", "--out", s(&d.join("keys")), "--name", "acme"]);
    assert!(keygen.contains("fingerprint: "), "{keygen}");
    let secret = d.join("keys/acme.secret.json");
    let public = d.join("keys/acme.public.json");
    let again = fails(&["keygen", "--out", s(&d.join("keys")), "--name", "acme"]);
    assert!(
        again.contains("acme.secret.json"),
        "an existing secret key is never overwritten: {again}"
    );

    let error = fails(&["build", s(&d.join("src")), "-o", s(&d.join("c.carrel"))]);
    assert!(
        error.contains("no signing key") && error.contains("keygen"),
        "{error}"
    );

    let package = d.join("course.carrel");
    let built = ok(&[
        "build",
        s(&d.join("src")),
        "--key",
        s(&secret),
        "-o",
        s(&package),
    ]);
    assert!(
        built.contains(SAMPLE_COURSE_ID) && built.contains("1.0.0"),
        "{built}"
    );

    let verified = ok(&["verify", s(&package), "--trust", s(&public)]);
    assert!(verified.contains("every hash verified"), "{verified}");

    ok(&["keygen", "--out", s(&d.join("keys")), "--name", "other"]);
    let error = fails(&[
        "verify",
        s(&package),
        "--trust",
        s(&d.join("keys/other.public.json")),
    ]);
    assert!(error.contains("not one of the trusted keys"), "{error}");

    let tree = ok(&["inspect", s(&package)]);
    for expected in [
        "Sample course",
        "Standards [block-1]",
        "video",
        "assets/video.webm",
        "1 sessions",
    ] {
        assert!(
            tree.contains(expected),
            "inspect lacks {expected:?}:\n{tree}"
        );
    }

    let error = fails(&["import", s(&package), "--store", s(&d.join("store"))]);
    assert!(error.contains("does not know yet"), "{error}");
    let imported = ok(&[
        "import",
        s(&package),
        "--store",
        s(&d.join("store")),
        "--trust",
        s(&public),
    ]);
    assert!(
        imported.contains("installed sample-course 1.0.0"),
        "{imported}"
    );

    // A source error names the file and the field.
    std::fs::write(
        d.join("src/pages/intro.md"),
        "# Intro\n\n![gone](../assets/missing.png)\n",
    )
    .unwrap();
    let error = fails(&[
        "build",
        s(&d.join("src")),
        "--key",
        s(&secret),
        "-o",
        s(&d.join("x.carrel")),
    ]);
    assert!(
        error.contains("pages/intro.md") && error.contains("missing.png"),
        "{error}"
    );
    assert!(
        !d.join("x.carrel").exists(),
        "a failed build leaves no package"
    );
}

/// A tiny deterministic generator, so a failing trial can be replayed from its seed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

/// `CARREL_KILL_TRIALS` sets the number of trials (default 12; the long run uses 1000).
#[test]
fn kill_9_during_import_never_leaves_a_half_installed_course() {
    let trials: u64 = std::env::var("CARREL_KILL_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&["keygen", "--out", s(d), "--name", "k"]);
    let public = d.join("k.public.json");
    // Two versions, so a kill can land during a first install or during an update.
    for (version, media) in [("1.0.0", 24_000_000), ("1.1.0", 24_000_001)] {
        write_sample_source(&d.join(version), version, media).unwrap();
        ok(&[
            "build",
            s(&d.join(version)),
            "--key",
            s(&d.join("k.secret.json")),
            "-o",
            s(&d.join(format!("{version}.carrel"))),
        ]);
    }

    // How long one import takes here, to spread kills over its whole length: the quickest of a
    // few (the first, with cold caches, is several times slower than the trials' imports).
    let full = (0..5)
        .map(|round| {
            let started = Instant::now();
            ok(&[
                "import",
                s(&d.join("1.0.0.carrel")),
                "--store",
                s(&d.join(format!("probe-{round}"))),
                "--trust",
                s(&public),
            ]);
            started.elapsed().as_micros() as u64 + 1
        })
        .min()
        .unwrap_or(1);

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut random = Lcg(seed);
    let store_dir = d.join("store");
    let (mut killed, mut completed) = (0, 0);
    for trial in 0..trials {
        // Every trial does real work: a first install, or an update from 1.0.0 to 1.1.0.
        let installed = Store::open(&store_dir)
            .unwrap()
            .course(SAMPLE_COURSE_ID)
            .unwrap()
            .map(|c| c.manifest.course.version);
        let version = match installed.as_deref() {
            Some("1.0.0") => "1.1.0",
            Some(_) => {
                Store::open(&store_dir)
                    .unwrap()
                    .remove_course(SAMPLE_COURSE_ID)
                    .unwrap();
                if random.next().is_multiple_of(2) {
                    "1.0.0"
                } else {
                    "1.1.0"
                }
            }
            None => {
                if random.next().is_multiple_of(2) {
                    "1.0.0"
                } else {
                    "1.1.0"
                }
            }
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_carrel-pack"))
            .args([
                "import",
                s(&d.join(format!("{version}.carrel"))),
                "--store",
                s(&store_dir),
                "--trust",
                s(&public),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(random.next() % (full * 12 / 10)));
        // SIGKILL: no destructor, no cleanup, like a power cut for the process.
        match child.try_wait().unwrap() {
            Some(_) => completed += 1,
            None => {
                child.kill().unwrap();
                killed += 1;
            }
        }
        child.wait().unwrap();

        let store = Store::open(&store_dir).unwrap();
        let courses = store.courses().unwrap();
        assert!(
            courses.len() <= 1,
            "seed {seed} trial {trial}: {} courses",
            courses.len()
        );
        if let Some(course) = courses.first() {
            // Whatever version is visible is complete and intact.
            for file in &course.manifest.files {
                let stored = store.file(SAMPLE_COURSE_ID, &file.path).unwrap().unwrap();
                let mut reader = std::fs::File::open(&stored.path).unwrap_or_else(|e| {
                    panic!("seed {seed} trial {trial}: {} missing: {e}", file.path)
                });
                let (size, hash) = carrel_package::pack::hash_reader(&mut reader).unwrap();
                assert_eq!(
                    (size, hash),
                    (file.size, file.sha256.clone()),
                    "seed {seed} trial {trial}: {}",
                    file.path
                );
            }
        }
        assert_eq!(
            std::fs::read_dir(store_dir.join("staging"))
                .unwrap()
                .count(),
            0,
            "opening the store cleans interrupted imports"
        );
    }
    eprintln!(
        "kill -9 trials: {trials} ({killed} killed mid-import, {completed} had finished), seed {seed}"
    );
    assert!(
        killed > 0,
        "no trial interrupted an import; the timing spread is wrong"
    );
}

#[test]
fn builds_are_reproducible_with_source_date_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_sample_source(&d.join("src"), "1.0.0", 5000).unwrap();
    ok(&["keygen", "--out", s(d), "--name", "k"]);
    let build = |name: &str| {
        let out = d.join(name);
        let status = Command::new(env!("CARGO_BIN_EXE_carrel-pack"))
            .args([
                "build",
                s(&d.join("src")),
                "--key",
                s(&d.join("k.secret.json")),
                "-o",
                s(&out),
            ])
            .env("SOURCE_DATE_EPOCH", "1767225600")
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        std::fs::read(out).unwrap()
    };
    let (a, b) = (build("a.carrel"), build("b.carrel"));
    assert!(a == b, "two builds of the same source, key and time differ");
    let tree = ok(&["inspect", s(&d.join("a.carrel"))]);
    assert!(tree.contains("built 2026-01-01T00:00:00Z"), "{tree}");
}

/// Writes a zip of `files` (name, content).
fn write_zip(path: &Path, files: &[(&str, &str)]) {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, content) in files {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(content.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn convert_turns_a_cmi5_zip_into_a_package_that_installs_and_refuses_a_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&["keygen", "--out", s(&d.join("keys")), "--name", "acme"]);
    let secret = d.join("keys/acme.secret.json");
    let public = d.join("keys/acme.public.json");
    let structure = |url: &str| {
        format!(
            r#"<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.org/courses/safety"><title><langstring lang="es">Seguridad</langstring></title></course>
  <au id="https://example.org/courses/safety/au/1" moveOn="Completed"><title><langstring>Módulo 1</langstring></title><url>{url}</url></au>
</courseStructure>"#
        )
    };
    let zip = d.join("safety.zip");
    write_zip(
        &zip,
        &[
            ("cmi5.xml", &structure("au/index.html?x=1")),
            ("au/index.html", "<!doctype html>"),
        ],
    );
    let package = d.join("safety.carrel");
    let converted = ok(&[
        "convert",
        s(&zip),
        "--key",
        s(&secret),
        "--publisher",
        "Acme",
        "-o",
        s(&package),
    ]);
    assert!(
        converted.contains("(cmi5)") && converted.contains("1 items, 2 files"),
        "{converted}"
    );
    let tree = ok(&["inspect", s(&package)]);
    assert!(
        tree.contains("cmi5")
            && tree.contains("au/index.html (AU https://example.org/courses/safety/au/1)"),
        "{tree}"
    );
    assert!(
        tree.contains("Seguridad") && tree.contains("Módulo 1"),
        "{tree}"
    );
    let installed = ok(&[
        "import",
        s(&package),
        "--store",
        s(&d.join("store")),
        "--trust",
        s(&public),
    ]);
    assert!(installed.contains("installed safety-"), "{installed}");

    let broken = d.join("broken.zip");
    write_zip(&broken, &[("cmi5.xml", &structure("missing.html"))]);
    let refused_package = d.join("broken.carrel");
    let error = fails(&[
        "convert",
        s(&broken),
        "--key",
        s(&secret),
        "--publisher",
        "Acme",
        "-o",
        s(&refused_package),
    ]);
    assert!(
        error.contains("broken.zip was not converted")
            && error.contains("“missing.html”, which is not in the zip"),
        "{error}"
    );
    assert!(
        !refused_package.exists(),
        "no package is written for a refused zip"
    );
}
