//! The search index on real files in a temporary folder.

use std::path::Path;

use super::*;

fn html_page(item: &str, title: &str, html: &str) -> Document {
    Document {
        item_id: item.into(),
        title: title.into(),
        path: format!("pages/{item}.html"),
        body: Body::Html(html.into()),
    }
}

fn text_page(item: &str, title: &str, text: &str) -> Document {
    Document {
        item_id: item.into(),
        title: title.into(),
        path: format!("pages/{item}.html"),
        body: Body::Text(text.into()),
    }
}

fn open() -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(&dir.path().join("search.sqlite3")).unwrap();
    (dir, index)
}

/// The item ids of the results, in order.
fn items(index: &SearchIndex, text: &str, course: Option<&str>) -> Vec<String> {
    index
        .search(text, course, 20)
        .unwrap()
        .into_iter()
        .map(|hit| hit.item_id)
        .collect()
}

/// The marked words of a snippet.
fn marked(hit: &SearchHit) -> Vec<&str> {
    hit.snippet
        .iter()
        .filter(|part| part.hit)
        .map(|part| part.text.as_str())
        .collect()
}

fn snippet_text(hit: &SearchHit) -> String {
    hit.snippet.iter().map(|part| part.text.as_str()).collect()
}

#[test]
fn english_stems_and_folds_accents() {
    let (_dir, index) = open();
    index
        .index_course(
            "en-course",
            "en",
            [
                text_page(
                    "flows",
                    "Flows",
                    "Seasonal migrations of farmworkers peak in spring.",
                ),
                text_page(
                    "cv",
                    "Applying",
                    "Send a short résumé and a cover letter to the agency.",
                ),
                text_page("other", "Other", "Nothing relevant is said here."),
            ],
        )
        .unwrap();
    assert_eq!(
        items(&index, "migration ", None),
        ["flows"],
        "singular finds plural"
    );
    assert_eq!(
        items(&index, "resume ", None),
        ["cv"],
        "unaccented finds accented"
    );
    assert_eq!(
        items(&index, "RÉSUMÉS ", None),
        ["cv"],
        "case, accents and plural all fold"
    );
    let hit = &index.search("resume ", None, 5).unwrap()[0];
    assert_eq!(
        marked(hit),
        ["résumé"],
        "the snippet marks the word as written in the page, accents and all"
    );
}

#[test]
fn french_stems_and_folds_accents() {
    let (_dir, index) = open();
    index
        .index_course(
            "fr-course",
            "fr-FR",
            [
                text_page(
                    "droits",
                    "Droits",
                    "Le travailleur migrant a droit à l'égalité de traitement.",
                ),
                text_page("autre", "Autre", "Les conventions fondamentales."),
            ],
        )
        .unwrap();
    assert_eq!(items(&index, "travailleurs ", None), ["droits"]);
    assert_eq!(
        items(&index, "egalite ", None),
        ["droits"],
        "typed without accents"
    );
    assert_eq!(
        items(&index, "l'égalité ", None),
        ["droits"],
        "elision kept as written"
    );
    assert_eq!(items(&index, "migrants ", None), ["droits"]);
}

#[test]
fn spanish_stems_and_folds_accents() {
    let (_dir, index) = open();
    index
        .index_course(
            "es-course",
            "es",
            [
                text_page(
                    "hogar",
                    "Hogar",
                    "La trabajadora doméstica tiene derecho a un contrato escrito.",
                ),
                text_page(
                    "flujos",
                    "Flujos",
                    "Las migraciones laborales en la región.",
                ),
            ],
        )
        .unwrap();
    assert_eq!(items(&index, "trabajadoras ", None), ["hogar"]);
    assert_eq!(
        items(&index, "domestica ", None),
        ["hogar"],
        "typed without accents"
    );
    assert_eq!(
        items(&index, "migración ", None),
        ["flujos"],
        "singular finds plural"
    );
    assert_eq!(items(&index, "migracion ", None), ["flujos"]);
    assert_eq!(items(&index, "region ", None), ["flujos"]);
}

#[test]
fn every_word_must_match() {
    let (_dir, index) = open();
    index
        .index_course(
            "c",
            "en",
            [
                text_page(
                    "both",
                    "One",
                    "Forced overtime is common. Labour inspectors rarely visit.",
                ),
                text_page("one", "Two", "Forced marriage is a separate issue."),
            ],
        )
        .unwrap();
    assert_eq!(
        items(&index, "forced labour ", None),
        ["both"],
        "only the page with both words, wherever they are in it"
    );
    let mut forced = items(&index, "forced ", None);
    forced.sort();
    assert_eq!(forced, ["both", "one"]);
    assert!(
        items(&index, "forced zebra ", None).is_empty(),
        "a missing word means no match"
    );
}

#[test]
fn quoted_phrases_match_words_in_order() {
    let (_dir, index) = open();
    index
        .index_course(
            "c",
            "en",
            [
                text_page(
                    "phrase",
                    "A",
                    "Strengthen labour inspection in agriculture.",
                ),
                text_page("apart", "B", "An inspection of labour conditions."),
            ],
        )
        .unwrap();
    assert_eq!(items(&index, "\"labour inspection\"", None), ["phrase"]);
    assert_eq!(
        items(&index, "\"labour inspections\"", None),
        ["phrase"],
        "phrase words are stemmed too"
    );
    let mut loose = items(&index, "labour inspection ", None);
    loose.sort();
    assert_eq!(loose, ["apart", "phrase"], "without quotes, order is free");
    assert_eq!(
        items(&index, "labour-inspection ", None),
        ["phrase"],
        "a hyphenated word is a phrase, as written"
    );
}

#[test]
fn the_last_word_is_a_prefix_while_typing() {
    let (_dir, index) = open();
    index
        .index_course(
            "fr",
            "fr",
            [
                text_page("a", "A", "Les travailleurs saisonniers."),
                text_page("b", "B", "La migration de main-d'œuvre."),
            ],
        )
        .unwrap();
    assert_eq!(items(&index, "travai", None), ["a"]);
    assert_eq!(items(&index, "saisonniers travai", None), ["a"]);
    assert_eq!(
        items(&index, "travailleurs", None),
        ["a"],
        "a finished word still finds its stem"
    );
    assert_eq!(
        items(&index, "main-d'oe", None),
        ["b"],
        "a phrase's last word"
    );
    assert_eq!(items(&index, "\"la migr", None), ["b"], "an open phrase");
    assert!(
        items(&index, "travai ", None).is_empty(),
        "after a space the word is finished: no prefix"
    );
    assert!(
        items(&index, "travai saisonniers", None).is_empty(),
        "only the last word is a prefix"
    );
    let hit = &index.search("travai", None, 5).unwrap()[0];
    assert_eq!(
        marked(hit),
        ["travailleurs"],
        "the snippet marks prefix hits"
    );
}

#[test]
fn hostile_input_is_never_an_error() {
    let (_dir, index) = open();
    index
        .index_course(
            "c",
            "en",
            [text_page(
                "p",
                "Forced labour",
                "Forced labour near the border: NEAR and OR and NOT are words too.",
            )],
        )
        .unwrap();
    let long_words = "forced ".repeat(20_000);
    let long_quotes = "\"".repeat(10_000);
    let long_word = "x".repeat(100_000);
    let inputs = [
        "",
        " ",
        "\"",
        "\"\"",
        "\"\"\"",
        "*",
        "**",
        "forced*",
        "*forced",
        "NEAR(",
        "NEAR(forced labour, 2)",
        "-",
        "-forced",
        "forced -labour",
        ":",
        "forced:labour",
        "title:forced",
        "{title body}: forced",
        "^",
        "^forced",
        "(",
        ")",
        "(forced",
        "forced)",
        "AND",
        "OR",
        "NOT",
        "forced AND",
        "OR forced",
        "NOT forced",
        "forced NOT labour",
        "\"forced",
        "forced\"",
        "\"forced labour",
        "for\"ced lab\"our",
        "'",
        "''",
        "\\",
        "%_;--",
        "'; DROP TABLE pages; --",
        "\u{0}",
        "\u{301}",
        "🙂",
        "forced 🙂",
        "«forced labour»",
        "ｆｏｒｃｅｄ",
        &long_words,
        &long_quotes,
        &long_word,
    ];
    for input in inputs {
        let result = index.search(input, None, 10);
        assert!(
            result.is_ok(),
            "{:?}… gave {result:?}",
            input.chars().take(40).collect::<String>()
        );
        let result = index.search(input, Some("c"), 10);
        assert!(result.is_ok(), "restricted to a course too: {result:?}");
    }
    for empty in [
        "", " ", "\"", "*", "-", ":", "^", "(", ")", "'; --", "\u{301}",
    ] {
        assert!(
            index.search(empty, None, 10).unwrap().is_empty(),
            "{empty:?} has nothing to search for"
        );
    }
    // Operators are plain words or separators, so these still find the page.
    for finds in [
        "-forced",
        "^forced",
        "forced*",
        "(forced",
        "forced)",
        "forced:labour",
        "\"forced",
        "NEAR( forced labour",
        "forced NOT labour",
        "«forced labour»",
        "ｆｏｒｃｅｄ",
        &long_words,
    ] {
        assert_eq!(
            items(&index, finds, None),
            ["p"],
            "{:?}",
            finds.chars().take(40).collect::<String>()
        );
    }
}

#[test]
fn indexing_again_replaces_the_course() {
    let (_dir, index) = open();
    index
        .index_course(
            "c",
            "en",
            [
                text_page("kept", "Kept", "Recruitment fees are banned."),
                text_page("gone", "Gone", "Zebras and recruitment."),
            ],
        )
        .unwrap();
    assert_eq!(items(&index, "zebra ", None), ["gone"]);
    let report = index
        .index_course(
            "c",
            "en",
            [text_page(
                "kept",
                "Kept",
                "Recruitment fees are banned; agencies may not charge workers.",
            )],
        )
        .unwrap();
    assert_eq!(report.pages, 1);
    assert!(
        items(&index, "zebra ", None).is_empty(),
        "a page the update removed no longer matches"
    );
    assert_eq!(
        items(&index, "recruitment ", None),
        ["kept"],
        "no duplicates of the re-indexed page"
    );
    assert_eq!(
        items(&index, "agencies ", None),
        ["kept"],
        "new text is found"
    );
    let courses = index.indexed_courses().unwrap();
    assert_eq!(courses.len(), 1);
    assert_eq!(courses[0].pages, 1);
}

#[test]
fn removing_a_course_removes_only_it() {
    let (_dir, index) = open();
    index
        .index_course("a", "en", [text_page("a1", "A", "Wage theft.")])
        .unwrap();
    index
        .index_course("b", "en", [text_page("b1", "B", "Wage protection.")])
        .unwrap();
    assert!(index.remove_course("a").unwrap());
    assert_eq!(items(&index, "wage ", None), ["b1"]);
    assert!(items(&index, "theft ", None).is_empty());
    assert!(
        !index.remove_course("a").unwrap(),
        "already gone: nothing to remove"
    );
    let courses: Vec<String> = index
        .indexed_courses()
        .unwrap()
        .into_iter()
        .map(|c| c.course_id)
        .collect();
    assert_eq!(courses, ["b"]);
}

#[test]
fn a_search_can_be_restricted_to_one_course() {
    let (_dir, index) = open();
    index
        .index_course("a", "en", [text_page("a1", "A", "Social security.")])
        .unwrap();
    index
        .index_course("b", "en", [text_page("b1", "B", "Social dialogue.")])
        .unwrap();
    let mut all = items(&index, "social ", None);
    all.sort();
    assert_eq!(all, ["a1", "b1"]);
    assert_eq!(items(&index, "social ", Some("b")), ["b1"]);
    assert_eq!(items(&index, "social ", Some("a")), ["a1"]);
    assert!(items(&index, "social ", Some("unknown")).is_empty());
    for tag_like in ["c1 ", "course 1 ", "course+1 ", "tags "] {
        assert!(
            items(&index, tag_like, None).is_empty(),
            "{tag_like:?} must not match the course tags"
        );
    }
    let hit = &index.search("social ", Some("b"), 5).unwrap()[0];
    assert_eq!(hit.course_id, "b");
}

#[test]
fn courses_in_different_languages_are_searched_in_their_own() {
    let (_dir, index) = open();
    index
        .index_course(
            "fr",
            "fr",
            [text_page("fr1", "Travail", "Il faut travailler ensemble.")],
        )
        .unwrap();
    index
        .index_course("en", "en", [text_page("en1", "Work", "Rights of workers.")])
        .unwrap();
    // French stems `travailleuses` to `travaill` (as `travailler`); English would not.
    assert_eq!(items(&index, "travailleuses ", None), ["fr1"]);
    assert_eq!(items(&index, "worker ", None), ["en1"]);
    let expression = index
        .match_expression("travailleuses ", None)
        .unwrap()
        .unwrap();
    assert_eq!(
        expression, "(\"travailleus\") OR (\"travaill\")",
        "the languages disagree, so each asks in its own"
    );
    let hit = &index.search("travailleuses ", None, 5).unwrap()[0];
    assert_eq!(
        marked(hit),
        ["travailler"],
        "marked by the key that matched"
    );
}

#[test]
fn snippets_mark_the_original_words() {
    let (_dir, index) = open();
    let filler =
        "Some words come first to push the match beyond the start of the window. ".repeat(3);
    index
        .index_course(
            "fr",
            "fr",
            [html_page(
                "p",
                "Page",
                &format!(
                    "<h1>Page</h1><p>{filler}</p><p>Les <em>Travailleurs</em> migrants et le \
                     travailleur domestique&nbsp;: une égalité de traitement.</p>"
                ),
            )],
        )
        .unwrap();
    let hits = index.search("travailleur égalite", None, 5).unwrap();
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    assert_eq!(
        marked(hit),
        ["Travailleurs", "travailleur", "égalité"],
        "every word matching a query word, as written (case, accents, inflection)"
    );
    let text = snippet_text(hit);
    assert!(text.starts_with("… "), "cut at the start: {text:?}");
    assert!(
        text.contains(
            "Les Travailleurs migrants et le travailleur domestique : une égalité de traitement."
        ),
        "the original text between the marks: {text:?}"
    );
    assert!(
        hit.snippet
            .windows(2)
            .all(|pair| pair[0].hit || pair[1].hit),
        "plain parts are merged: {:?}",
        hit.snippet
    );
}

#[test]
fn a_hit_says_where_in_the_page_it_is() {
    let (_dir, index) = open();
    let html = "<!doctype html><html><head><title>Remedies</title></head><body>\
        <p>Intro before any heading about courts.</p>\
        <h1>Remedies</h1><p>Overview.</p>\
        <h2 id=\"labour-courts\">Labour courts</h2><p>Judges decide claims.</p>\
        <h3>Inspection</h3><p>Inspectors visit farms.</p>\
        <h4>Detail</h4><p>Farms far away are rarely visited.</p>\
        </body></html>";
    index
        .index_course("c", "en", [html_page("r", "", html)])
        .unwrap();
    let hit = &index.search("judges ", None, 5).unwrap()[0];
    assert_eq!(
        (
            hit.heading.as_str(),
            hit.anchor.as_deref(),
            hit.heading_index
        ),
        ("Labour courts", Some("labour-courts"), Some(1))
    );
    assert_eq!(
        hit.title, "Remedies",
        "an empty document title falls back to the page's"
    );
    let hit = &index.search("farms ", None, 5).unwrap()[0];
    assert_eq!(
        (
            hit.heading.as_str(),
            hit.anchor.as_deref(),
            hit.heading_index
        ),
        ("Inspection", None, Some(2)),
        "h4 is part of its h3's section"
    );
    let hit = &index.search("intro ", None, 5).unwrap()[0];
    assert_eq!(
        (hit.heading.as_str(), hit.heading_index),
        ("", None),
        "text before the first heading is at the top of the page"
    );
}

#[test]
fn one_result_per_page_and_titles_rank_first() {
    let (_dir, index) = open();
    index
        .index_course(
            "c",
            "en",
            [
                html_page(
                    "body",
                    "Overview",
                    "<h2>One</h2><p>Inspection once.</p><h2>Two</h2><p>Inspection twice.</p>\
                     <h2>Three</h2><p>Inspection again.</p>",
                ),
                html_page("title", "Labour inspection", "<p>What inspectors do.</p>"),
            ],
        )
        .unwrap();
    let found = items(&index, "inspection ", None);
    assert_eq!(
        found,
        ["title", "body"],
        "one result per page, the title match first"
    );
    assert_eq!(items(&index, "inspection ", None).len(), 2);
    let one = index.search("inspection ", None, 1).unwrap();
    assert_eq!(one.len(), 1, "the limit holds");
}

#[test]
fn extract_text_handles_scripts_styles_comments_and_entities() {
    let html = "<!DOCTYPE html><html><head><title>Caf&eacute; &amp; co</title>\
        <style>h1 { color: red } /* </p> */</style>\
        <script>if (a < b && c > d) { document.write('<h2>fake</h2>'); }</script></head>\
        <body><!-- a <h2>comment</h2> --><h1 class=\"x\" data-note='a > b'>Le caf&#233;</h1>\
        <p>R&eacute;sum&#xE9;s&nbsp;and&#160;more: 3 &lt; 4 &AMP; 5 &gt; 2 &copy 2027 &unknown; \
        &#0; &#x1F642;</p><p>one<br>two<br/>three</p><ul><li>alpha</li><li>beta</li></ul>\
        <p><em>in</em>line and <strong>bold</strong>er</p>\
        <SCRIPT type=\"module\">hidden()</SCRIPT ><noscript><p>no script</p></noscript>\
        <template><p>template</p></template><svg><title>icon</title><text>svg</text></svg>\
        <img src=\"a.png\" alt=\"A diagram &amp; caption\"><p>x<!---->y</p>\
        <h2 id = \"sec&#45;2\">Second <code>part</code></h2><p>Text &lt;script&gt; shown</p>\
        <textarea>typed &amp; <b>raw</b></textarea></body></html>";
    let extracted = extract_text(html);
    assert_eq!(extracted.title, "Café & co");
    assert_eq!(extracted.sections.len(), 2, "{:#?}", extracted.sections);
    let first = &extracted.sections[0];
    assert_eq!(
        (first.heading.as_str(), first.level, first.heading_index),
        ("Le café", 1, Some(0))
    );
    assert_eq!(first.anchor, None);
    assert_eq!(
        first.text,
        "Résumés and more: 3 < 4 & 5 > 2 © 2027 &unknown; \u{fffd} 🙂\n\
         one\ntwo\nthree\nalpha\nbeta\ninline and bolder\nA diagram & caption\nxy"
    );
    let second = &extracted.sections[1];
    assert_eq!(
        (
            second.heading.as_str(),
            second.anchor.as_deref(),
            second.heading_index
        ),
        ("Second part", Some("sec-2"), Some(1))
    );
    assert_eq!(second.text, "Text <script> shown\ntyped & <b>raw</b>");
    for dropped in [
        "color",
        "fake",
        "write",
        "comment",
        "hidden",
        "no script",
        "template",
        "icon",
        "svg",
    ] {
        let everything = format!("{extracted:?}");
        assert!(
            !everything.contains(dropped),
            "{dropped:?} is not page text: {everything}"
        );
    }
}

#[test]
fn extract_text_survives_broken_html() {
    for html in [
        "<",
        "<p",
        "<p class=\"unclosed",
        "<!--",
        "<!-- never closed <p>text",
        "<script>never closed",
        "</",
        "</p",
        "&",
        "&#",
        "&#x;",
        "&#99999999999;",
        "a < b",
        "<<>>",
        "<h2>open heading",
        "<svg><svg></svg>",
        "<h1 id=>x</h1>",
        "<3 and <- arrows",
    ] {
        let extracted = extract_text(html);
        let _ = format!("{extracted:?}");
    }
    let extracted = extract_text("a < b and <3 hearts &#99999999999; &#x;");
    assert_eq!(
        extracted.sections[0].text,
        "a < b and <3 hearts \u{fffd} &#x;"
    );
    let extracted = extract_text("<h2>open heading");
    assert_eq!(extracted.sections[0].heading, "open heading");
}

/// Builds the demo course (`courses/demo`) into a package the way the authoring tool does, and
/// returns its course id, language and pages as the app would index them.
fn demo_course(dir: &Path) -> (String, String, Vec<Document>) {
    use carrel_package::manifest::ItemKind;
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../courses/demo");
    let package = dir.join("demo.carrel");
    let report =
        carrel_package::source::build(&source, &carrel_package::testing::sample_key(), &package)
            .unwrap();
    let file = std::fs::File::open(&package).unwrap();
    let mut archive =
        carrel_package::PackageArchive::open(file, &carrel_package::Limits::default()).unwrap();
    let mut html = std::collections::HashMap::new();
    archive
        .read_files(
            |entry| entry.path.ends_with(".html"),
            |entry, reader| {
                let mut text = String::new();
                reader.read_to_string(&mut text)?;
                html.insert(entry.path.clone(), text);
                Ok(())
            },
        )
        .unwrap();
    let manifest = report.manifest;
    let docs = manifest
        .items()
        .filter_map(|(_, _, item)| match &item.kind {
            ItemKind::Page { path } => Some(Document {
                item_id: item.id.clone(),
                title: item.title.clone(),
                path: path.clone(),
                body: Body::Html(html[path].clone()),
            }),
            _ => None,
        })
        .collect();
    (manifest.course.id, manifest.course.language, docs)
}

#[test]
fn extract_text_reads_the_demo_course_pages() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, docs) = demo_course(dir.path());
    assert!(docs.len() >= 20, "the demo course has its pages");
    for doc in &docs {
        let Body::Html(html) = &doc.body else {
            unreachable!()
        };
        let extracted = extract_text(html);
        assert!(!extracted.title.is_empty(), "{} has a title", doc.path);
        assert!(
            extracted.sections.len() >= 2,
            "{} is cut at its headings",
            doc.path
        );
        let h1 = &extracted.sections[0];
        assert_eq!(
            (h1.level, h1.heading_index, h1.heading.as_str()),
            (1, Some(0), extracted.title.as_str()),
            "{} starts with its title heading",
            doc.path
        );
        for (n, section) in extracted.sections.iter().enumerate() {
            assert_eq!(section.heading_index, Some(n as u32), "{}", doc.path);
            for markup in ["<p>", "</", "&amp;", "&quot;", "&lt;", "<td>", "<li>"] {
                assert!(
                    !section.text.contains(markup) && !section.heading.contains(markup),
                    "{}: {markup} left in {:?}",
                    doc.path,
                    section.heading
                );
            }
        }
    }
    let labour = docs
        .iter()
        .find(|d| d.path.contains("labour-migration-today"))
        .unwrap();
    let Body::Html(html) = &labour.body else {
        unreachable!()
    };
    let extracted = extract_text(html);
    let numbers = extracted
        .sections
        .iter()
        .find(|s| s.heading == "The numbers")
        .expect("the “The numbers” section");
    assert!(
        numbers
            .text
            .contains("about 167.7 million international migrants"),
        "emphasis does not split the text: {:?}",
        numbers.text
    );
    let case = extracted
        .sections
        .iter()
        .find(|s| s.heading.starts_with("Case snapshot"))
        .unwrap();
    assert!(
        case.text.contains("Country A (fictional)"),
        "{:?}",
        case.text
    );
}

#[test]
fn the_demo_course_is_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let (course_id, language, docs) = demo_course(dir.path());
    let index = SearchIndex::open(&dir.path().join("search.sqlite3")).unwrap();
    let count = docs.len();
    let report = index.index_course(&course_id, &language, docs).unwrap();
    assert_eq!(report.pages, count);
    let hits = index.search("fundamental conventions", None, 10).unwrap();
    assert!(!hits.is_empty());
    assert!(
        hits.iter().any(|hit| hit.item_id.contains("fundamental")),
        "{hits:#?}"
    );
    let hits = index.search("\"forced labour\"", None, 5).unwrap();
    assert!(
        !hits.is_empty(),
        "the demo course has a page on forced labour"
    );
    assert!(hits.iter().all(|hit| {
        let marks: Vec<String> = marked(hit).iter().map(|m| m.to_lowercase()).collect();
        marks.contains(&"forced".to_owned()) || hit.title.to_lowercase().contains("forced")
    }));
}

#[test]
fn a_newer_index_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("search.sqlite3");
    drop(SearchIndex::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let error = SearchIndex::open(&path).unwrap_err();
    assert!(
        matches!(error, SearchError::TooNew { found: 99, .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("newer version of Carrel"),
        "{error}"
    );
    assert!(!error.is_damaged(), "newer is not damaged: not to delete");
    let error = SearchIndex::open_or_rebuild(&path).unwrap_err();
    assert!(matches!(error, SearchError::TooNew { .. }));
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, 99, "left as it was");
}

#[test]
fn a_damaged_index_is_detected_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("search.sqlite3");
    std::fs::write(
        &path,
        b"this is not an SQLite database, just text ".repeat(200),
    )
    .unwrap();
    let error = SearchIndex::open(&path).unwrap_err();
    assert!(error.is_damaged(), "{error}");
    let (index, recovery) = SearchIndex::open_or_rebuild(&path).unwrap();
    assert!(matches!(recovery, Recovery::Rebuilt { .. }), "{recovery:?}");
    assert!(index.indexed_courses().unwrap().is_empty());
    index
        .index_course("c", "en", [text_page("p", "P", "Works again.")])
        .unwrap();
    assert_eq!(items(&index, "works ", None), ["p"]);
    assert!(index.check().unwrap());
    drop(index);
    let (_, recovery) = SearchIndex::open_or_rebuild(&path).unwrap();
    assert_eq!(recovery, Recovery::None, "a sound file is kept");
}

#[test]
fn a_search_and_an_index_in_the_same_file_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("search.sqlite3");
    {
        let index = SearchIndex::open(&path).unwrap();
        index
            .index_course("c", "es", [text_page("p", "P", "Derechos laborales.")])
            .unwrap();
    }
    let index = SearchIndex::open(&path).unwrap();
    assert_eq!(items(&index, "derecho ", None), ["p"]);
    let courses = index.indexed_courses().unwrap();
    assert_eq!(
        (courses[0].course_id.as_str(), courses[0].language.as_str()),
        ("c", "es")
    );
}

#[test]
fn query_expressions_quote_every_key() {
    let query = query::Query::parse("NEAR(travai\"lleurs x* -y:zo");
    let analyzer = Analyzer::new(Stemming::French);
    let expression = query.expression(&analyzer).unwrap();
    assert_eq!(
        expression, "\"near trav\" AND \"lleur x y zo\" *",
        "keys in quotes, joined by AND; an open phrase whose last word is a prefix"
    );
    let expression = query::Query::parse("Forced migrations")
        .expression(&Analyzer::new(Stemming::English))
        .unwrap();
    assert_eq!(
        expression, "\"forc\" AND (\"migrations\" * OR \"migrat\")",
        "the last word as typed, as a prefix, or its key"
    );
    assert!(query::Query::parse("  ").is_empty());
    assert!(query::Query::parse("\"*^:-").is_empty());
}

#[test]
fn a_page_with_very_many_sections_keeps_all_its_text() {
    let (_dir, index) = open();
    let mut html = String::from("<h1>Long</h1>");
    for n in 0..MAX_SECTIONS + 10 {
        html.push_str(&format!("<h2>Part {n}</h2><p>filler</p>"));
    }
    html.push_str("<p>zanzibar</p>");
    index
        .index_course("c", "en", [html_page("long", "Long", &html)])
        .unwrap();
    let hits = index.search("zanzibar ", None, 5).unwrap();
    assert_eq!(
        hits.len(),
        1,
        "text past the section limit is still indexed"
    );
    assert_eq!(
        hits[0].heading_index,
        Some(MAX_SECTIONS as u32 - 1),
        "in the last section kept"
    );
    assert_eq!(
        items(&index, "filler ", None),
        ["long"],
        "one result per page"
    );
}

#[test]
fn a_snippet_shows_the_window_with_every_query_word() {
    let analyzer = Analyzer::new(Stemming::English);
    let words: Vec<String> = (0..500)
        .map(|n| match n {
            5 | 400 => "Wages".to_owned(),
            200 | 403 => "inspected".to_owned(),
            n => format!("filler{n}"),
        })
        .collect();
    let text = words.join(" ");
    let query = query::Query::parse("wage inspection ");
    let parts = snippet::build(
        &text,
        &query.terms(&[analyzer]),
        &Analyzer::new(Stemming::English),
    );
    let shown: String = parts.iter().map(|p| p.text.as_str()).collect();
    let marked: Vec<&str> = parts
        .iter()
        .filter(|p| p.hit)
        .map(|p| p.text.as_str())
        .collect();
    assert_eq!(
        marked,
        ["Wages", "inspected"],
        "the one window where both words are: {shown}"
    );
    assert!(
        shown.starts_with("… filler394 ") && shown.ends_with(" filler425 …"),
        "{LEAD} words before the first hit, {WINDOW} in all, cut on both sides: {shown}",
        LEAD = 6,
        WINDOW = 32
    );
    let parts = snippet::build(
        "Wages.",
        &query.terms(&[Analyzer::new(Stemming::English)]),
        &Analyzer::new(Stemming::English),
    );
    assert_eq!(
        parts,
        [
            SnippetPart {
                text: "Wages".into(),
                hit: true
            },
            SnippetPart {
                text: ".".into(),
                hit: false
            }
        ],
        "a short text is shown whole, its punctuation too"
    );
    let parts = snippet::build(
        "Wages\r\n\t are  paid",
        &query.terms(&[Analyzer::new(Stemming::English)]),
        &Analyzer::new(Stemming::English),
    );
    assert_eq!(
        parts[1].text, " are paid",
        "whitespace runs and line breaks show as one space"
    );
}

#[test]
fn a_page_with_many_matching_sections_does_not_crowd_out_others() {
    let (_dir, index) = open();
    let mut crowded = String::from("<h1>Wages</h1>");
    for n in 0..100 {
        crowded.push_str(&format!("<h2>Part {n}</h2><p>Minimum wages, part {n}.</p>"));
    }
    index
        .index_course(
            "c",
            "en",
            [
                html_page("crowded", "Wages", &crowded),
                text_page(
                    "other",
                    "Other",
                    "A long text that mentions wages only once, late.",
                ),
            ],
        )
        .unwrap();
    assert_eq!(
        items(&index, "wages ", None),
        ["crowded", "other"],
        "the second page is found even though the first has more matching sections than asked for"
    );
    assert_eq!(index.search("wages ", None, 2).unwrap().len(), 2);
}
