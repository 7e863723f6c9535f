//! Small packages written by the tests: a multi-level SCORM 1.2 course, a SCORM 2004 course with
//! sequencing data, a cmi5 course with nested blocks, and one package for each rule a package can
//! break, each refused with a message naming what is wrong.

use std::io::Write;

use carrel_package::manifest::{ItemKind, MoveOn, ScormVersion};
use carrel_standards::{Standard, StandardError, StandardPackage};
use zip::write::SimpleFileOptions;

/// Writes a zip of `files` (name, content) and opens it as a standard package.
fn open(files: &[(&str, &str)]) -> Result<StandardPackage, StandardError> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("package.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).expect("create"));
    for (name, content) in files {
        if let Some(folder) = name.strip_suffix('/') {
            zip.add_directory(folder, SimpleFileOptions::default())
                .expect("folder");
        } else {
            zip.start_file(*name, SimpleFileOptions::default())
                .expect("entry");
            zip.write_all(content.as_bytes()).expect("write");
        }
    }
    zip.finish().expect("finish");
    StandardPackage::open(&path)
}

fn refused(files: &[(&str, &str)]) -> String {
    match open(files) {
        Ok(package) => panic!("accepted: {:?}", package.course()),
        Err(error) => error.to_string(),
    }
}

fn scorm12(organization: &str, resources: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<manifest identifier="gen.12" version="1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">{organization}</organizations>
  <resources>{resources}</resources>
</manifest>"#
    )
}

/// Module titles with their item titles, in order.
fn outline(course: &carrel_standards::ImportedCourse) -> Vec<(&str, Vec<&str>)> {
    course
        .modules
        .iter()
        .map(|m| {
            (
                m.title.as_str(),
                m.items.iter().map(|i| i.title.as_str()).collect(),
            )
        })
        .collect()
}

const PAGE: &str = "<!doctype html><title>x</title>";

#[test]
fn a_nested_scorm_12_course_keeps_its_order_scores_and_parameters() {
    let xml = scorm12(
        r#"<organization identifier="org"><title>Labour standards</title>
            <item identifier="intro" identifierref="r1" parameters="?lang=fr"><title>Introduction</title>
              <adlcp:masteryscore>80</adlcp:masteryscore>
              <adlcp:datafromlms>start=1</adlcp:datafromlms>
              <adlcp:prerequisites type="aicc_script">intro</adlcp:prerequisites></item>
            <item identifier="week1"><title>Week 1</title>
              <item identifier="w1-a" identifierref="r2"><title>Conventions</title></item>
              <item identifier="w1-sub"><title>More</title>
                <item identifier="w1-b" identifierref="r3"><title>Supervision</title></item></item>
            </item>
            <item identifier="outro" identifierref="r1"><title>Wrap-up</title></item>
          </organization>"#,
        r#"<resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="sco/start.html?x=1"/>
           <resource identifier="r2" type="webcontent" adlcp:scormtype="asset" xml:base="week1/" href="a%20page.html"/>
           <resource identifier="r3" type="webcontent" adlcp:scormtype="sco" href="week1/b.html"><file href="week1/missing.js"/></resource>"#,
    );
    let package = open(&[
        ("imsmanifest.xml", &xml),
        ("sco/", ""),
        ("sco/start.html", PAGE),
        ("week1/a page.html", PAGE),
        ("week1/b.html", PAGE),
    ])
    .expect("valid");
    let course = package.course();
    assert_eq!(course.standard, Standard::Scorm12);
    assert_eq!(course.title, "Labour standards");
    let outline = outline(course);
    assert_eq!(
        outline,
        [
            ("Labour standards", vec!["Introduction"]),
            ("Week 1", vec!["Conventions", "Supervision"]),
            ("Labour standards", vec!["Wrap-up"]),
        ]
    );
    let ItemKind::Scorm(intro) = &course.modules[0].items[0].kind else {
        panic!("scorm")
    };
    assert_eq!(intro.path, "sco/start.html");
    assert_eq!(intro.parameters, "x=1&lang=fr");
    assert_eq!(intro.mastery_score, Some(0.8));
    assert_eq!(intro.launch_data.as_deref(), Some("start=1"));
    assert_eq!(intro.prerequisites.as_deref(), Some("intro"));
    let ItemKind::Scorm(asset) = &course.modules[1].items[0].kind else {
        panic!("scorm")
    };
    assert_eq!(asset.path, "week1/a page.html");
    assert!(!asset.sco);
    assert!(
        course
            .warnings
            .iter()
            .any(|w| w.contains("week1/missing.js")),
        "{:?}",
        course.warnings
    );
}

#[test]
fn scorm_2004_sequencing_gives_the_mastery_score_and_threshold() {
    let xml = r#"<?xml version="1.0"?>
<manifest identifier="gen.2004" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="o"><organization identifier="o"><title>T</title>
    <item identifier="i" identifierref="r"><title>Quiz</title>
      <adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.75"/>
      <imsss:sequencing><imsss:objectives>
        <imsss:primaryObjective objectiveID="p" satisfiedByMeasure="true">
          <imsss:minNormalizedMeasure>0.6</imsss:minNormalizedMeasure></imsss:primaryObjective>
      </imsss:objectives></imsss:sequencing></item></organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormType="sco" href="q.html"/></resources>
</manifest>"#;
    let package = open(&[("imsmanifest.xml", xml), ("q.html", PAGE)]).expect("valid");
    let ItemKind::Scorm(sco) = &package.course().modules[0].items[0].kind else {
        panic!("scorm")
    };
    assert_eq!(sco.scorm_version, ScormVersion::Scorm2004);
    assert_eq!(sco.mastery_score, Some(0.6));
    assert_eq!(sco.completion_threshold, Some(0.75));
}

#[test]
fn nested_cmi5_blocks_become_one_module_each() {
    let xml = r#"<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.org/course"><title><langstring lang="fr">Cours</langstring></title></course>
  <au id="https://example.org/au/welcome"><title><langstring lang="fr">Bienvenue</langstring></title><url>w.html</url></au>
  <block id="https://example.org/block/1"><title><langstring lang="fr">Bloc 1</langstring></title>
    <au id="https://example.org/au/1" moveOn="Passed" masteryScore="0.5"><title><langstring>Un</langstring></title><url>1.html</url></au>
    <block id="https://example.org/block/1b"><title><langstring>Sous-bloc</langstring></title>
      <au id="https://example.org/au/2" moveOn="Completed"><title><langstring>Deux</langstring></title><url>2.html</url></au>
    </block>
  </block>
</courseStructure>"#;
    let package = open(&[
        ("cmi5.xml", xml),
        ("w.html", PAGE),
        ("1.html", PAGE),
        ("2.html", PAGE),
    ])
    .expect("valid");
    let course = package.course();
    assert_eq!(course.language.as_deref(), Some("fr"));
    let outline = outline(course);
    assert_eq!(
        outline,
        [("Cours", vec!["Bienvenue"]), ("Bloc 1", vec!["Un", "Deux"])]
    );
    let ItemKind::Cmi5(one) = &course.modules[1].items[0].kind else {
        panic!("cmi5")
    };
    assert_eq!(one.move_on, MoveOn::Passed);
    assert_eq!(one.mastery_score, Some(0.5));
}

#[test]
fn scorm_packages_that_break_the_standard_are_refused_with_the_reason() {
    let org = |items: &str| {
        format!(r#"<organization identifier="org"><title>T</title>{items}</organization>"#)
    };
    let sco = r#"<resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="a.html"/>"#;
    let cases: Vec<(String, &str)> = vec![
        (scorm12(&org(r#"<item identifier="i" identifierref="nope"><title>x</title></item>"#), sco), "“nope”, which imsmanifest.xml does not define"),
        (scorm12(&org(r#"<item identifier="i" identifierref="r"><title>x</title></item><item identifier="i" identifierref="r"><title>y</title></item>"#), sco), "identifier “i” is used twice"),
        (scorm12(&org(r#"<item identifier="i" identifierref="r"><title>x</title></item>"#), r#"<resource identifier="r" adlcp:scormtype="lesson" href="a.html"/>"#), "scormtype “lesson”"),
        (scorm12(&org(r#"<item identifier="i" identifierref="r"><title>x</title></item>"#), r#"<resource identifier="r" adlcp:scormtype="sco" href="gone.html"/>"#), "“gone.html”, which is not in the zip"),
        (scorm12(&org(r#"<item identifier="i" identifierref="r"><title>x</title></item>"#), r#"<resource identifier="r" adlcp:scormtype="sco" href="../../etc/passwd"/>"#), "points outside the package"),
        (scorm12(&org(r#"<item identifier="i" identifierref="r"><title>x</title></item>"#), r#"<resource identifier="r" adlcp:scormtype="sco" href="https://tracker.example/sco.html"/>"#), "cannot be played offline"),
        (scorm12(&org(r#"<item identifier="i" identifierref="r"><title>x</title></item>"#), r#"<resource identifier="r" adlcp:scormtype="sco"/>"#), "which has no href"),
        (scorm12(&org(r#"<item identifier="i" identifierref="r"><title>x</title><adlcp:masteryscore>180</adlcp:masteryscore></item>"#), sco), "masteryscore 180"),
        (scorm12(&org(r#"<item identifier="i"><title>only a folder</title></item>"#), sco), "no item with a launchable resource"),
        (scorm12(r#"<organization identifier="other"><title>T</title></organization>"#, sco), "default organization “org”"),
        ("<manifest identifier=\"x\"><unclosed></manifest>".to_owned(), "not well-formed XML"),
        ("<!DOCTYPE manifest [<!ENTITY a \"aaaa\">]><manifest>&a;</manifest>".to_owned(), "not well-formed XML"),
        (r#"<manifest identifier="x"><metadata><schemaversion>3.0</schemaversion></metadata></manifest>"#.to_owned(), "schemaversion “3.0”"),
    ];
    for (xml, expected) in cases {
        let message = refused(&[("imsmanifest.xml", &xml), ("a.html", PAGE)]);
        assert!(
            message.contains(expected),
            "expected “{expected}” in: {message}"
        );
    }
    // Nesting deep enough to exhaust the stack is refused, not followed.
    let deep = format!(
        "{}<item identifier=\"leaf\" identifierref=\"r\"><title>x</title></item>{}",
        (0..5_000)
            .map(|i| format!("<item identifier=\"n{i}\"><title>x</title>"))
            .collect::<String>(),
        "</item>".repeat(5_000)
    );
    let message = refused(&[
        ("imsmanifest.xml", &scorm12(&org(&deep), sco)),
        ("a.html", PAGE),
    ]);
    assert!(message.contains("nested more than 64 levels"), "{message}");
}

#[test]
fn cmi5_packages_that_break_the_standard_are_refused_with_the_reason() {
    let course = |aus: &str| {
        format!(
            r#"<courseStructure><course id="https://example.org/c"><title><langstring>C</langstring></title></course>{aus}</courseStructure>"#
        )
    };
    let au = |attributes: &str, url: &str| {
        format!(
            r#"<au id="https://example.org/au" {attributes}><title><langstring>A</langstring></title><url>{url}</url></au>"#
        )
    };
    let cases: Vec<(String, &str)> = vec![
        (
            course(&au(r#"moveOn="Sometimes""#, "a.html")),
            "moveOn “Sometimes”",
        ),
        (
            course(&au(r#"masteryScore="1.5""#, "a.html")),
            "masteryScore “1.5”",
        ),
        (
            course(&au(r#"launchMethod="Popup""#, "a.html")),
            "launchMethod “Popup”",
        ),
        (
            course(&au("", "https://example.org/au.html")),
            "cannot be played offline",
        ),
        (course(&au("", "")), "has no url"),
        (course(&au("", "../a.html")), "points outside the package"),
        (course(""), "the course has no AU"),
        (
            course(&format!("{}{}", au("", "a.html"), au("", "a.html"))),
            "is used twice",
        ),
        (
            course(r#"<au id="not an iri"><url>a.html</url></au>"#),
            "not an absolute IRI",
        ),
        ("<courseStructure/>".to_owned(), "exactly one <course>"),
        ("<course/>".to_owned(), "not <courseStructure>"),
    ];
    for (xml, expected) in cases {
        let message = refused(&[("cmi5.xml", &xml), ("a.html", PAGE)]);
        assert!(
            message.contains(expected),
            "expected “{expected}” in: {message}"
        );
    }
}

#[test]
fn unsafe_zips_are_refused_before_anything_is_read() {
    let slip = refused(&[("../evil.html", PAGE), ("cmi5.xml", "<x/>")]);
    assert!(
        slip.contains("../evil.html") || slip.contains(".."),
        "{slip}"
    );
    let twice = refused(&[("A.html", PAGE), ("a.html", PAGE), ("cmi5.xml", "<x/>")]);
    assert!(
        twice.contains("a.html") || twice.contains("A.html"),
        "{twice}"
    );
    let nested = refused(&[
        ("course/imsmanifest.xml", "<manifest/>"),
        ("course/a.html", PAGE),
    ]);
    assert!(
        nested.contains("course/imsmanifest.xml") && nested.contains("not the folder itself"),
        "{nested}"
    );
}
