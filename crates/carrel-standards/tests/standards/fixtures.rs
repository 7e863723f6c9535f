//! The real packages: Rustici's SCORM golf examples and the CATAPULT cmi5 test packages.
//!
//! They are third-party data and stay outside the repository: see
//! [`carrel_standards::testing::fixtures`] for where they are looked for.

use carrel_package::manifest::{ItemKind, LaunchMethod, MoveOn, ScormVersion};
use carrel_package::store::{Cancel, ImportOptions, Store, Trust};
use carrel_package::{Limits, PackageArchive, SecretKey};
use carrel_standards::testing::fixtures;
use carrel_standards::{ConvertOptions, Standard, StandardError, StandardPackage};

fn open(relative: &str) -> Result<StandardPackage, StandardError> {
    StandardPackage::open(&fixtures().join(relative))
}

fn options() -> ConvertOptions {
    ConvertOptions {
        course_id: None,
        version: "1.0.0".into(),
        language: None,
        publisher: "Test publisher".into(),
        publisher_url: None,
    }
}

/// Converts, then reads the result with the Carrel reader and installs it into a fresh store, as
/// the app does.
fn convert_and_install(package: &mut StandardPackage) -> carrel_package::Manifest {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = SecretKey::generate().expect("key");
    let out = dir.path().join("converted.carrel");
    let written = package.convert(&options(), &key, &out).expect("convert");
    let archive =
        PackageArchive::open(std::fs::File::open(&out).expect("open"), &Limits::default())
            .expect("the converted package reads back");
    assert_eq!(archive.manifest(), &written);
    assert_eq!(
        archive.manifest().files.len(),
        package.file_names().len(),
        "every file of the zip is in the package"
    );
    let store = Store::open(&dir.path().join("store")).expect("store");
    let options = ImportOptions {
        trust: Trust {
            vouched: vec![key.public_key()],
            confirmed: None,
        },
        app_version: env!("CARGO_PKG_VERSION"),
        progress: &|_| {},
        cancel: Cancel::default(),
        limits: Limits::default(),
    };
    store
        .import_file(&out, &options)
        .expect("the converted package installs");
    written
}

#[test]
fn scorm_12_golf_examples_import_with_their_structure() {
    for zip in ["scorm/singlescobasic.zip", "scorm/singlesco_scorm12.zip"] {
        let mut package = open(zip).unwrap_or_else(|e| panic!("{zip}: {e}"));
        let course = package.course().clone();
        assert_eq!(course.standard, Standard::Scorm12, "{zip}");
        let items: Vec<_> = course.modules.iter().flat_map(|m| &m.items).collect();
        assert!(!items.is_empty(), "{zip}");
        let ItemKind::Scorm(first) = &items[0].kind else {
            panic!("{zip}: not a SCORM item");
        };
        assert_eq!(first.scorm_version, ScormVersion::Scorm12);
        assert!(
            package.file_names().contains(&first.path.as_str()),
            "{zip}: launch file {} in the zip",
            first.path
        );
        let manifest = convert_and_install(&mut package);
        assert_eq!(manifest.course.title, course.title);
        assert_eq!(manifest.items().count(), items.len());
    }
    let basic = open("scorm/singlescobasic.zip").expect("open");
    let course = basic.course();
    assert_eq!(course.title, "Golf Explained - Run-time Basic Calls");
    assert_eq!(
        course.identifier,
        "com.scorm.golfsamples.runtime.basicruntime.12"
    );
    let [module] = course.modules.as_slice() else {
        panic!("one module: {:?}", course.modules);
    };
    let [item] = module.items.as_slice() else {
        panic!("one item");
    };
    assert_eq!(item.title, "Golf Explained");
    let ItemKind::Scorm(sco) = &item.kind else {
        panic!("scorm")
    };
    assert_eq!(sco.path, "shared/launchpage.html");
    assert!(sco.sco);
    assert_eq!(sco.identifier, "item_1");
}

#[test]
fn scorm_2004_golf_example_imports_with_its_structure() {
    let mut package = open("scorm/RuntimeBasicCalls_SCORM20043rdEdition.zip").expect("open");
    let course = package.course().clone();
    assert_eq!(course.standard, Standard::Scorm2004);
    assert_eq!(course.title, "Golf Explained - Run-time Basic Calls");
    let items: Vec<_> = course.modules.iter().flat_map(|m| &m.items).collect();
    let [item] = items.as_slice() else {
        panic!("one SCO: {items:?}");
    };
    let ItemKind::Scorm(sco) = &item.kind else {
        panic!("scorm")
    };
    assert_eq!(sco.scorm_version, ScormVersion::Scorm2004);
    assert_eq!(sco.path, "shared/launchpage.html");
    assert!(sco.sco);
    convert_and_install(&mut package);
}

/// The valid CATAPULT packages, with what each one's `cmi5.xml` says.
#[test]
fn valid_cmi5_packages_import_with_their_structure() {
    let expected: [(&str, MoveOn, Option<f64>, LaunchMethod); 17] = [
        (
            "001-essentials",
            MoveOn::CompletedAndPassed,
            Some(0.9),
            LaunchMethod::AnyWindow,
        ),
        (
            "002-allowed",
            MoveOn::CompletedOrPassed,
            None,
            LaunchMethod::AnyWindow,
        ),
        (
            "003-launchMethod-OwnWindow",
            MoveOn::CompletedOrPassed,
            None,
            LaunchMethod::OwnWindow,
        ),
        (
            "004-1-moveOn-Completed",
            MoveOn::Completed,
            None,
            LaunchMethod::AnyWindow,
        ),
        (
            "004-2-moveOn-CompletedOrPassed",
            MoveOn::CompletedOrPassed,
            None,
            LaunchMethod::AnyWindow,
        ),
        (
            "004-3-moveOn-Passed",
            MoveOn::Passed,
            None,
            LaunchMethod::AnyWindow,
        ),
        (
            "004-4-moveOn-CompletedOrPassed",
            MoveOn::CompletedOrPassed,
            None,
            LaunchMethod::AnyWindow,
        ),
        (
            "004-5-moveOn-NotApplicable",
            MoveOn::NotApplicable,
            None,
            LaunchMethod::AnyWindow,
        ),
        (
            "005-1-invalid-au",
            MoveOn::CompletedOrPassed,
            Some(0.9),
            LaunchMethod::AnyWindow,
        ),
        (
            "005-2-invalid-au",
            MoveOn::CompletedOrPassed,
            Some(0.9),
            LaunchMethod::AnyWindow,
        ),
        (
            "006-launchMode",
            MoveOn::CompletedOrPassed,
            None,
            LaunchMethod::AnyWindow,
        ),
        (
            "007-1-multi-session",
            MoveOn::CompletedOrPassed,
            None,
            LaunchMethod::AnyWindow,
        ),
        (
            "007-2-multi-session",
            MoveOn::CompletedOrPassed,
            None,
            LaunchMethod::AnyWindow,
        ),
        (
            "008-1-abandoned",
            MoveOn::CompletedOrPassed,
            None,
            LaunchMethod::AnyWindow,
        ),
        (
            "009-1-waived",
            MoveOn::CompletedOrPassed,
            None,
            LaunchMethod::AnyWindow,
        ),
        (
            "102-zip64",
            MoveOn::CompletedOrPassed,
            None,
            LaunchMethod::AnyWindow,
        ),
        (
            "single_au_basic_responsive",
            MoveOn::CompletedOrPassed,
            None,
            LaunchMethod::AnyWindow,
        ),
    ];
    for (name, move_on, mastery, method) in expected {
        let mut package =
            open(&format!("cmi5/{name}.zip")).unwrap_or_else(|e| panic!("{name}: {e}"));
        let course = package.course().clone();
        assert_eq!(course.standard, Standard::Cmi5, "{name}");
        assert!(
            course
                .identifier
                .starts_with("https://w3id.org/xapi/cmi5/catapult/lts/course/"),
            "{name}: {}",
            course.identifier
        );
        let language = course.language.as_deref().unwrap_or_default();
        assert!(
            language == "en" || language == "en-US",
            "{name}: {language}"
        );
        let items: Vec<_> = course.modules.iter().flat_map(|m| &m.items).collect();
        let [au] = items.as_slice() else {
            panic!("{name}: one AU, found {}", items.len());
        };
        let ItemKind::Cmi5(cmi5) = &au.kind else {
            panic!("{name}: cmi5")
        };
        assert_eq!(cmi5.move_on, move_on, "{name}");
        assert_eq!(cmi5.mastery_score, mastery, "{name}");
        assert_eq!(cmi5.launch_method, method, "{name}");
        assert_eq!(cmi5.path, "index.html", "{name}");
        assert_eq!(cmi5.course_iri, course.identifier, "{name}");
        assert_eq!(cmi5.au_id, au.identifier, "{name}");
        convert_and_install(&mut package);
    }
    let essentials = open("cmi5/001-essentials.zip").expect("open");
    let course = essentials.course();
    assert_eq!(course.title, "CATAPULT LMS Test Course: 001 Essentials");
    let [module] = course.modules.as_slice() else {
        panic!("one block")
    };
    assert_eq!(module.title, "CATAPULT LMS Test Block: 001 Essentials");
    assert_eq!(
        module.identifier,
        "https://w3id.org/xapi/cmi5/catapult/lts/block/001-essentials"
    );
    let ItemKind::Cmi5(au) = &module.items[0].kind else {
        panic!("cmi5")
    };
    assert_eq!(au.query, "paramA=1&paramB=2");
    assert_eq!(au.launch_parameters.as_deref(), Some("sample string"));
    assert_eq!(au.entitlement_key.as_deref(), Some("sample value"));
}

#[test]
fn invalid_cmi5_packages_are_refused_with_the_reason() {
    let refused = |name: &str| -> String {
        match open(&format!("cmi5/{name}.zip")) {
            Ok(package) => panic!("{name} was accepted: {:?}", package.course()),
            Err(error) => error.to_string(),
        }
    };
    let not_zip = refused("209-1-not-a-zip");
    assert!(
        not_zip.contains("not a complete course package"),
        "{not_zip}"
    );
    let no_xml = refused("210-1-no-cmi5-xml");
    assert!(
        no_xml.contains("neither a SCORM nor a cmi5 package") && no_xml.contains("cmi5.xml"),
        "{no_xml}"
    );
    let missing = refused("203-1-relative-url-no-reference");
    assert!(
        missing.contains("not-found.html") && missing.contains("not in the zip"),
        "{missing}"
    );
}
