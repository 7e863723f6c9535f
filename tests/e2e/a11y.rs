//! Accessibility and languages: axe-core's WCAG 2.1 A and AA rules on every screen of the app, with
//! a course installed (Home, Search with results, Library, the course with its plan and calendar,
//! a quiz before and during an attempt, an assignment, a forum and one of its topics with a reply
//! waiting to be sent, the Outbox, Settings, the sign-in dialog),
//! in English (light theme), French (dark theme) and Spanish: no violation; and in French and
//! Spanish no English phrase of the UI (from `ui/src/lib/i18n/en.ts`) in any screen's text or
//! accessible names. Course content stays in its own language (the demo course is English), so
//! only the UI's own phrases are looked for. Then, with the keyboard alone, from Home to an
//! answered quiz question, the focus visible at every stop.
//!
//! axe-core comes from the workspace's npm packages (`npm ci` installs it; see package.json) and
//! is injected into the app's main window through WebDriver, as its own documentation describes.

use carrel_e2e::{AppHome, Display, Session};
use carrel_package::SecretKey;

use super::courses::{DEMO_ID, demo_package_open_now, download_demo, open_demo, serve_package};
use super::launch;

/// axe-core's script, from the workspace's node_modules.
pub(crate) fn axe_source() -> String {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "{} cannot be read ({error}): run `npm ci` at the repository root",
            path.display()
        )
    })
}

/// Clicks `css` from the page's own script (WebDriver refuses a click on an element scrolled
/// out of view).
pub(crate) async fn press(s: &Session, css: &str) {
    s.wait_for(css).await.unwrap();
    s.eval(&format!(
        "document.querySelector({}).click(); return true;",
        serde_json::to_string(css).unwrap()
    ))
    .await
    .unwrap();
}

/// The WCAG 2.1 A/AA violations axe finds in the main window as it is now, one line each.
pub(crate) async fn violations(s: &Session, axe: &str) -> Vec<String> {
    s.eval(&format!("{axe}\n;return typeof window.axe;"))
        .await
        .unwrap();
    let found = s
        .eval_async(
            "const done = arguments[arguments.length - 1];
             window.axe.run(document, {
               runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
               resultTypes: ['violations'],
             }).then(
               (r) => done(r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ` +
                 v.nodes.slice(0, 4).map((n) => n.target.join(' ') + ' ' +
                   (n.failureSummary || '').replace(/\\s+/g, ' ')).join(' | '))),
               (e) => done(['axe failed: ' + e]));",
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap()
}

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";

/// Presses Tab until `#id` has the keyboard focus (at most `limit` times), and checks the focus
/// is visible there.
async fn tab_to(s: &Session, id: &str, limit: u32) {
    for _ in 0..limit {
        s.keys(TAB).await.unwrap();
        let at = s
            .eval("return document.activeElement?.id ?? ''")
            .await
            .unwrap();
        if at.as_str() == Some(id) {
            let visible = s
                .eval(
                    "const style = getComputedStyle(document.activeElement);
                     return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;",
                )
                .await
                .unwrap();
            assert_eq!(
                visible,
                serde_json::json!(true),
                "#{id} shows that it has the focus"
            );
            return;
        }
    }
    panic!("#{id} was not reached with {limit} presses of Tab");
}

/// From Home to an answered quiz question with the keyboard alone: the menu, the Library, the
/// course, the quiz, a choice.
async fn keyboard_only(s: &mut Session) {
    press(s, "#nav-dashboard").await;
    s.wait_for("#screen-dashboard h1").await.unwrap();
    s.eval("document.activeElement?.blur(); return true;")
        .await
        .unwrap();
    tab_to(s, "nav-library", 40).await;
    s.keys(ENTER).await.unwrap();
    s.wait_for("#screen-library h1").await.unwrap();
    tab_to(s, &format!("course-open-{DEMO_ID}"), 80).await;
    s.keys(ENTER).await.unwrap();
    s.wait_for("#outline").await.unwrap();
    tab_to(s, "item-open-b2-quiz", 300).await;
    s.keys(ENTER).await.unwrap();
    s.wait_for("#quiz-view").await.unwrap();
    tab_to(s, "quiz-start", 60).await;
    s.keys(ENTER).await.unwrap();
    s.wait_for("#quiz-player").await.unwrap();
    // A question with choices: Tab reaches the group, Space picks the focused choice. Questions
    // come in an order drawn for the attempt; past one without choices (a matching question's
    // lists), Enter on Next shows the next question.
    for _ in 0..300 {
        s.keys(TAB).await.unwrap();
        let focused = s
            .eval(
                "const e = document.activeElement;
                 return e?.type === 'radio' || e?.type === 'checkbox' ? 'choice' : (e?.id ?? '');",
            )
            .await
            .unwrap();
        if focused == serde_json::json!("quiz-next") {
            s.keys(ENTER).await.unwrap();
            continue;
        }
        if focused == serde_json::json!("choice") {
            s.keys(" ").await.unwrap();
            s.wait_until("document.activeElement.checked === true")
                .await
                .unwrap();
            s.screenshot("keyboard-only").await.unwrap();
            return;
        }
    }
    s.screenshot("keyboard-only-lost").await.unwrap();
    let focused = s
        .eval("const e = document.activeElement; return e ? e.outerHTML.slice(0, 200) : null;")
        .await
        .unwrap();
    panic!("no answer of the quiz was reached with Tab; the focus is on {focused}");
}

/// The UI's messages in `language` (`ui/src/lib/i18n/<language>.ts`), by key.
fn messages(language: &str) -> std::collections::BTreeMap<String, String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("ui/src/lib/i18n/{language}.ts"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out = std::collections::BTreeMap::new();
    let mut pending: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(key) = pending.take() {
            let value = trimmed.trim_end_matches(',');
            out.insert(key, serde_json::from_str::<String>(value).unwrap());
            continue;
        }
        let Some((key, rest)) = trimmed.split_once(':') else {
            continue;
        };
        if !line.starts_with("  ")
            || line.starts_with("   ")
            || !key.chars().all(|c| c.is_ascii_alphanumeric())
        {
            continue;
        }
        let rest = rest.trim();
        if rest.is_empty() {
            pending = Some(key.to_owned());
        } else if rest.starts_with('"') {
            let value = rest.trim_end_matches(',');
            out.insert(
                key.to_owned(),
                serde_json::from_str::<String>(value).unwrap(),
            );
        }
    }
    assert!(
        out.len() > 500,
        "{} messages read from {}",
        out.len(),
        path.display()
    );
    out
}

/// English phrases of the UI that `language` says differently: the literal runs of each English
/// message around its placeholders, of at least three words.
fn english_only(language: &str) -> Vec<(String, String)> {
    let english = messages("en");
    let other = messages(language);
    let mut phrases = Vec::new();
    for (key, text) in &english {
        if other.get(key) == Some(text) {
            continue;
        }
        for run in text.split(['{', '}']).step_by(2) {
            let run = run.trim_matches(|c: char| c.is_whitespace() || ",.:;()".contains(c));
            if run.split_whitespace().count() >= 3 {
                phrases.push((key.clone(), run.to_owned()));
            }
        }
    }
    phrases
}

/// What the window says: its visible text, and its accessible names and descriptions.
async fn page_words(s: &Session) -> String {
    let words = s
        .eval(
            "const names = [...document.querySelectorAll('[aria-label], [title], [placeholder]')]
               .map((e) => [e.getAttribute('aria-label'), e.getAttribute('title'),
                            e.getAttribute('placeholder')].filter(Boolean).join(' '));
             return document.body.innerText + '\\n' + names.join('\\n');",
        )
        .await
        .unwrap();
    words.as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_passes_axe_and_speaks_french_and_spanish() {
    let dir = tempfile::tempdir().unwrap();
    let key = SecretKey::generate().unwrap();
    let package = demo_package_open_now(dir.path(), &key);
    let server = serve_package(dir.path(), &package).await;
    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    let axe = axe_source();
    let mut app = launch(&display, &home, Some(&server.url()), "a11y").await;
    let s = &mut app.session;
    download_demo(s).await;

    let mut found: Vec<String> = Vec::new();
    let mut screens_checked = 0;
    for (language, theme) in [("en", "light"), ("fr", "dark"), ("es", "light")] {
        press(s, "#nav-settings").await;
        for (id, value) in [("settings-language", language), ("settings-theme", theme)] {
            s.wait_for(&format!("#{id}")).await.unwrap();
            s.eval(&format!(
                "const select = document.getElementById('{id}');
                 select.value = '{value}';
                 select.dispatchEvent(new Event('input', {{ bubbles: true }}));
                 select.dispatchEvent(new Event('change', {{ bubbles: true }}));
                 return true;"
            ))
            .await
            .unwrap();
        }
        s.wait_until(&format!(
            "document.documentElement.dataset.theme === '{theme}' && \
             document.documentElement.lang === '{language}'"
        ))
        .await
        .unwrap();
        let english = if language == "en" {
            Vec::new()
        } else {
            english_only(language)
        };
        let mut check = async |what: &str, s: &Session| {
            screens_checked += 1;
            for line in violations(s, &axe).await {
                found.push(format!("[{language}, {theme}] {what}: {line}"));
            }
            let words = page_words(s).await;
            for (key, phrase) in &english {
                if words.contains(phrase.as_str()) {
                    found.push(format!("[{language}] {what}: English “{phrase}” ({key})"));
                }
            }
        };
        check("settings", s).await;
        for screen in ["dashboard", "library", "outbox"] {
            press(s, &format!("#nav-{screen}")).await;
            s.wait_for(&format!("#screen-{screen} h1")).await.unwrap();
            check(screen, s).await;
        }
        press(s, "#nav-search").await;
        s.wait_for("#search-input").await.unwrap();
        s.eval(
            "const input = document.getElementById('search-input');
             input.value = 'migrant workers';
             input.dispatchEvent(new Event('input', { bubbles: true }));
             return true;",
        )
        .await
        .unwrap();
        s.wait_until("document.querySelectorAll('[id^=search-hit-]').length > 0")
            .await
            .unwrap();
        check("search", s).await;
        open_demo(s).await;
        s.wait_for("#course-calendar").await.unwrap();
        check("course", s).await;
        press(s, "#item-open-b1-quiz").await;
        s.wait_for("#quiz-view").await.unwrap();
        check("quiz", s).await;
        if s.exists("#quiz-start").await.unwrap() {
            press(s, "#quiz-start").await;
        }
        s.wait_for("#quiz-player").await.unwrap();
        check("quiz player", s).await;
        open_demo(s).await;
        press(s, "#item-open-b3-final-assignment").await;
        s.wait_for("#assignment-view").await.unwrap();
        check("assignment", s).await;
        open_demo(s).await;
        press(s, "#item-open-b1-forum").await;
        s.wait_for("#forum-view .topic").await.unwrap();
        check("forum", s).await;
        press(s, "#forum-topic-b1-forum-introductions").await;
        s.wait_for("#forum-reply-body").await.unwrap();
        if language == "en" {
            // A reply waiting in the outbox, so the topic shows a post card.
            s.fill("#forum-reply-body", "Hello from **Geneva**.")
                .await
                .unwrap();
            press(s, "#forum-reply-post").await;
        }
        s.wait_for(".post[data-state=\"waiting\"]").await.unwrap();
        check("forum topic", s).await;
        press(s, "#sign-in-open").await;
        s.wait_for("#sign-in-login").await.unwrap();
        check("sign-in dialog", s).await;
        s.screenshot(&format!("{language}-{theme}")).await.unwrap();
        press(s, "#sign-in-cancel").await;
        s.wait_until("document.querySelector('dialog[open]') === null")
            .await
            .unwrap();
    }
    keyboard_only(s).await;
    app.finish().await;
    server.stop().await.unwrap();
    assert_eq!(screens_checked, 36, "twelve screens in three languages");
    assert!(
        found.is_empty(),
        "{} problems:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn the_english_phrase_list_finds_what_french_translates() {
    let phrases = english_only("fr");
    assert!(
        phrases.iter().any(|(key, phrase)| key == "calendarHeading" || phrase == "Back to the course outline"),
        "{phrases:?}"
    );
    assert!(
        phrases.iter().all(|(_, phrase)| !phrase.contains('{')),
        "placeholders are not phrases"
    );
}
