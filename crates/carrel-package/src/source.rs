//! Building a package from a course source folder: the authoring side of the format.
//!
//! A source folder holds `course.toml` (the course, its outline and its items), Markdown pages,
//! assets, and quiz and assignment definitions in TOML (the layout is documented in
//! `docs/package-format.md`, "Course source"). [`build`] reads it all, renders every page to a
//! standalone HTML file at build time (so the learner's laptop never runs a Markdown renderer on
//! course content), rewrites links between pages from `.md` to `.html`, refuses links to files
//! that do not exist, strips the key from graded quizzes (returned separately for the course
//! server), hashes every file and writes the signed package.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Deserialize;

use crate::activity::{AssignmentDefinition, DefinitionError, QuizDefinition, QuizMode};
use crate::manifest::{
    Block, Certificate, Course, FileEntry, ForumTopic, Item, ItemKind, Manifest, ManifestError,
    Module, Publisher, WebinarSession,
};
use crate::pack::{PackError, describe_bytes, describe_file, write_package};
use crate::signature::SecretKey;

/// The name of the course description file in a source folder.
pub const COURSE_FILE: &str = "course.toml";
/// The stylesheet every rendered page links to.
pub const PAGE_STYLESHEET: &str = "theme/page.css";
const PAGE_CSS: &str = include_str!("page.css");

/// Why a source folder could not be built. Messages name the file and the field.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A file could not be read.
    #[error("could not read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A TOML file is malformed.
    #[error("{path} is not valid: {message}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// An item lacks a field its kind needs, or has a kind that does not exist.
    #[error("item “{item}”: {problem}")]
    Item {
        /// The item id.
        item: String,
        /// What is wrong.
        problem: String,
    },
    /// A page links to a file that is not in the source folder.
    #[error("the page {page} links to “{target}”, which does not exist in the course source")]
    BrokenLink {
        /// The page.
        page: String,
        /// The link.
        target: String,
    },
    /// A quiz or assignment definition is wrong.
    #[error(transparent)]
    Definition(#[from] DefinitionError),
    /// The resulting manifest is wrong (ids, paths, dates…).
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// Writing the package failed.
    #[error(transparent)]
    Pack(#[from] PackError),
}

/// What a build produced besides the package file.
#[derive(Debug)]
pub struct BuildReport {
    /// The manifest inside the package.
    pub manifest: Manifest,
    /// Full definitions (with keys) of the graded quizzes, for the course server only.
    pub answer_keys: Vec<QuizDefinition>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CourseSource {
    id: String,
    version: String,
    title: String,
    language: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    starts: Option<jiff::civil::Date>,
    #[serde(default)]
    ends: Option<jiff::civil::Date>,
    min_app_version: String,
    #[serde(default)]
    estimated_hours: Option<u32>,
    publisher: Publisher,
    #[serde(default)]
    certificate: Option<Certificate>,
    blocks: Vec<BlockSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockSource {
    id: String,
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    week: Option<u32>,
    modules: Vec<ModuleSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModuleSource {
    id: String,
    title: String,
    #[serde(default)]
    summary: String,
    items: Vec<ItemSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemSource {
    id: String,
    kind: String,
    title: String,
    #[serde(default)]
    minutes: Option<u32>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    captions: Option<String>,
    #[serde(default)]
    duration_seconds: Option<u32>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    sessions: Vec<SessionSource>,
    #[serde(default)]
    topics: Vec<ForumTopic>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionSource {
    id: String,
    starts: String,
    time_zone: String,
    duration_minutes: u32,
    #[serde(default)]
    join_url: Option<String>,
    #[serde(default)]
    presenter: Option<String>,
}

/// Where a package file's bytes come from.
enum Content {
    Disk(PathBuf),
    Bytes(Vec<u8>),
}

struct Builder<'a> {
    root: &'a Path,
    language: String,
    files: BTreeMap<String, Content>,
    answer_keys: Vec<QuizDefinition>,
}

/// Builds the course in `source_dir` into a package at `out`, signed with `key`.
pub fn build(source_dir: &Path, key: &SecretKey, out: &Path) -> Result<BuildReport, BuildError> {
    let course_path = source_dir.join(COURSE_FILE);
    let source: CourseSource = read_toml(&course_path)?;
    let mut builder = Builder {
        root: source_dir,
        language: source.language.clone(),
        files: BTreeMap::new(),
        answer_keys: Vec::new(),
    };
    builder.files.insert(
        PAGE_STYLESHEET.to_owned(),
        Content::Bytes(PAGE_CSS.as_bytes().to_vec()),
    );

    let description = source
        .description
        .as_deref()
        .map(|page| builder.add_page(page))
        .transpose()?;
    let mut blocks = Vec::with_capacity(source.blocks.len());
    for block in source.blocks {
        let mut modules = Vec::with_capacity(block.modules.len());
        for module in block.modules {
            let items = module
                .items
                .into_iter()
                .map(|item| builder.add_item(item))
                .collect::<Result<Vec<_>, _>>()?;
            modules.push(Module {
                id: module.id,
                title: module.title,
                summary: module.summary,
                items,
            });
        }
        blocks.push(Block {
            id: block.id,
            title: block.title,
            summary: block.summary,
            week: block.week,
            modules,
        });
    }

    let mut entries: Vec<FileEntry> = Vec::with_capacity(builder.files.len());
    for (path, content) in &builder.files {
        entries.push(match content {
            Content::Disk(disk) => describe_file(path, disk)?,
            Content::Bytes(bytes) => describe_bytes(path, bytes),
        });
    }
    let manifest = Manifest::new(
        Course {
            id: source.id,
            version: source.version,
            title: source.title,
            language: source.language,
            summary: source.summary,
            description,
            starts: source.starts,
            ends: source.ends,
            min_app_version: source.min_app_version,
            estimated_hours: source.estimated_hours,
            publisher: source.publisher,
            certificate: source.certificate,
        },
        blocks,
        entries,
    );
    let mut manifest = manifest;
    if let Some(time) = source_date_epoch() {
        manifest.built_at = time;
    }
    manifest.validate()?;
    let files = &builder.files;
    write_package(out, &manifest, key, |entry| -> io::Result<Box<dyn Read>> {
        match &files[&entry.path] {
            Content::Disk(disk) => Ok(Box::new(File::open(disk)?)),
            Content::Bytes(bytes) => Ok(Box::new(io::Cursor::new(bytes.clone()))),
        }
    })?;
    Ok(BuildReport {
        manifest,
        answer_keys: builder.answer_keys,
    })
}

/// The build time fixed by `SOURCE_DATE_EPOCH` (seconds), the reproducible-builds convention: the
/// same source, key and time give a byte-identical package.
pub fn source_date_epoch() -> Option<jiff::Timestamp> {
    let seconds: i64 = std::env::var("SOURCE_DATE_EPOCH")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    jiff::Timestamp::from_second(seconds).ok()
}

fn read_text(path: &Path) -> Result<String, BuildError> {
    std::fs::read_to_string(path).map_err(|source| BuildError::Read {
        path: path.to_owned(),
        source,
    })
}

fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, BuildError> {
    toml::from_str(&read_text(path)?).map_err(|error| BuildError::Toml {
        path: path.to_owned(),
        message: error.to_string(),
    })
}

impl Builder<'_> {
    fn item_error(item: &str, problem: impl Into<String>) -> BuildError {
        BuildError::Item {
            item: item.to_owned(),
            problem: problem.into(),
        }
    }

    /// Adds a file from the source folder under the same path.
    fn add_asset(&mut self, path: &str, used_by: &str) -> Result<String, BuildError> {
        let disk = self.root.join(path);
        if !disk.is_file() {
            return Err(Self::item_error(
                used_by,
                format!("the file “{path}” does not exist"),
            ));
        }
        self.files.insert(path.to_owned(), Content::Disk(disk));
        Ok(path.to_owned())
    }

    /// Renders a Markdown page and adds it (and the files it links to); returns its HTML path.
    fn add_page(&mut self, source: &str) -> Result<String, BuildError> {
        let Some(stem) = source.strip_suffix(".md") else {
            return Err(Self::item_error(
                source,
                "pages are Markdown files ending in .md",
            ));
        };
        let html_path = format!("{stem}.html");
        if self.files.contains_key(&html_path) {
            return Ok(html_path);
        }
        let markdown = read_text(&self.root.join(source))?;
        // Claim the path before following links, so pages that link to each other end.
        self.files
            .insert(html_path.clone(), Content::Bytes(Vec::new()));
        let (html, title, links) = render_markdown(&markdown);
        let page_dir = Path::new(source).parent().unwrap_or(Path::new(""));
        for link in links {
            let target =
                normalize(&page_dir.join(&link)).ok_or_else(|| BuildError::BrokenLink {
                    page: source.to_owned(),
                    target: link.clone(),
                })?;
            if !self.root.join(&target).is_file() {
                return Err(BuildError::BrokenLink {
                    page: source.to_owned(),
                    target: link,
                });
            }
            if target.ends_with(".md") {
                self.add_page(&target)?;
            } else {
                self.files
                    .insert(target.clone(), Content::Disk(self.root.join(&target)));
            }
        }
        let depth = source.matches('/').count();
        let stylesheet = format!("{}{PAGE_STYLESHEET}", "../".repeat(depth));
        let document = format!(
            "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title}</title>\n<link rel=\"stylesheet\" href=\"{stylesheet}\">\n</head>\n\
             <body>\n<main class=\"carrel-page\">\n{html}</main>\n</body>\n</html>\n",
            lang = escape(&self.language),
            title = escape(&title),
        );
        self.files
            .insert(html_path.clone(), Content::Bytes(document.into_bytes()));
        Ok(html_path)
    }

    fn add_item(&mut self, item: ItemSource) -> Result<Item, BuildError> {
        let id = item.id.clone();
        let need = |value: Option<String>, field: &str| {
            value.ok_or_else(|| {
                Self::item_error(&id, format!("a {} item needs `{field}`", item.kind))
            })
        };
        let kind = match item.kind.as_str() {
            "page" => ItemKind::Page {
                path: self.add_page(&need(item.source.clone(), "source")?)?,
            },
            "pdf" => ItemKind::Pdf {
                path: self.add_asset(&need(item.file.clone(), "file")?, &id)?,
            },
            "file" => ItemKind::File {
                path: self.add_asset(&need(item.file.clone(), "file")?, &id)?,
            },
            "video" => ItemKind::Video {
                path: self.add_asset(&need(item.file.clone(), "file")?, &id)?,
                captions: item
                    .captions
                    .as_deref()
                    .map(|c| self.add_asset(c, &id))
                    .transpose()?,
                duration_seconds: item.duration_seconds,
            },
            "quiz" => ItemKind::Quiz {
                path: self.add_quiz(&need(item.source.clone(), "source")?)?,
            },
            "assignment" => ItemKind::Assignment {
                path: self.add_assignment(&need(item.source.clone(), "source")?)?,
            },
            "webinar" => ItemKind::Webinar {
                description: item.description.clone().unwrap_or_default(),
                sessions: item
                    .sessions
                    .into_iter()
                    .map(session)
                    .collect::<Result<_, _>>()?,
            },
            "forum" => ItemKind::Forum {
                description: item.description.clone().unwrap_or_default(),
                topics: item.topics,
            },
            "external" => ItemKind::External {
                url: need(item.url.clone(), "url")?,
                description: item.description.clone().unwrap_or_default(),
            },
            other => {
                return Err(Self::item_error(
                    &id,
                    format!(
                        "the kind “{other}” does not exist; use page, pdf, video, file, quiz, \
                         assignment, webinar, forum or external"
                    ),
                ));
            }
        };
        Ok(Item {
            id: item.id,
            title: item.title,
            minutes: item.minutes,
            kind,
        })
    }

    fn add_quiz(&mut self, source: &str) -> Result<String, BuildError> {
        let quiz: QuizDefinition = read_toml(&self.root.join(source))?;
        quiz.validate(true)?;
        let shipped = match quiz.mode {
            QuizMode::Practice => quiz.clone(),
            QuizMode::Graded => {
                self.answer_keys.push(quiz.clone());
                quiz.without_key()
            }
        };
        let path = json_path(source);
        self.files
            .insert(path.clone(), Content::Bytes(to_json(&shipped)));
        Ok(path)
    }

    fn add_assignment(&mut self, source: &str) -> Result<String, BuildError> {
        let mut assignment: AssignmentDefinition = read_toml(&self.root.join(source))?;
        assignment.validate()?;
        assignment.instructions = self.add_page(&assignment.instructions.clone())?;
        let path = json_path(source);
        self.files
            .insert(path.clone(), Content::Bytes(to_json(&assignment)));
        Ok(path)
    }
}

fn json_path(source: &str) -> String {
    let stem = source.strip_suffix(".toml").unwrap_or(source);
    format!("{stem}.json")
}

fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec_pretty(value).unwrap_or_default()
}

/// Converts a source session, checking that its written offset is its zone's at that date.
fn session(source: SessionSource) -> Result<WebinarSession, BuildError> {
    let fail = |problem: String| BuildError::Item {
        item: source.id.clone(),
        problem,
    };
    let starts = crate::manifest::session_start(&source.starts, &source.time_zone).map_err(fail)?;
    Ok(WebinarSession {
        id: source.id,
        starts,
        time_zone: source.time_zone,
        duration_minutes: source.duration_minutes,
        join_url: source.join_url,
        presenter: source.presenter,
    })
}

/// Renders Markdown to an HTML fragment; returns it, the first level-1 heading's text, and the
/// relative links (pages and files) it makes, with links to `.md` pages rewritten to `.html`.
fn render_markdown(markdown: &str) -> (String, String, Vec<String>) {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION;
    let mut title = String::new();
    let mut in_title = false;
    let mut links = Vec::new();
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Start(Tag::Heading {
            level: HeadingLevel::H1,
            ..
        }) if title.is_empty() => {
            in_title = true;
            event
        }
        Event::End(TagEnd::Heading(HeadingLevel::H1)) => {
            in_title = false;
            event
        }
        Event::Text(ref text) if in_title => {
            title.push_str(text);
            event
        }
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title: link_title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: local_link(dest_url, &mut links),
            title: link_title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title: image_title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: local_link(dest_url, &mut links),
            title: image_title,
            id,
        }),
        other => other,
    });
    let mut html = String::with_capacity(markdown.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events);
    (html, title, links)
}

/// Records a relative link and rewrites `page.md#x` to `page.html#x`; leaves others alone.
fn local_link<'a>(url: CowStr<'a>, links: &mut Vec<String>) -> CowStr<'a> {
    let is_external = url.contains(':') || url.starts_with('#') || url.starts_with('/');
    if is_external || url.is_empty() {
        return url;
    }
    let (path, fragment) = match url.split_once('#') {
        Some((path, fragment)) => (path.to_owned(), Some(fragment.to_owned())),
        None => (url.to_string(), None),
    };
    links.push(path.clone());
    match path.strip_suffix(".md") {
        Some(stem) => {
            let fragment = fragment.map(|f| format!("#{f}")).unwrap_or_default();
            CowStr::from(format!("{stem}.html{fragment}"))
        }
        None => url,
    }
}

/// Resolves `.` and `..` in a relative path without touching the disk; `None` if it leaves the root.
fn normalize(path: &Path) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for component in path.components() {
        match component {
            std::path::Component::Normal(part) => parts.push(part.to_str()?),
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                parts.pop()?;
            }
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_pages_and_rewrites_links_between_them() {
        let (html, title, links) = render_markdown(
            "# Rights at work\n\nSee [the next page](next.md#top), ![a map](../assets/map.svg) \
             and [the ILO](https://www.ilo.org).\n",
        );
        assert_eq!(title, "Rights at work");
        assert!(html.contains("href=\"next.html#top\""), "{html}");
        assert!(html.contains("src=\"../assets/map.svg\""), "{html}");
        assert!(html.contains("href=\"https://www.ilo.org\""), "{html}");
        assert_eq!(links, ["next.md", "../assets/map.svg"]);
    }

    #[test]
    fn normalizes_relative_paths_inside_the_root_only() {
        assert_eq!(
            normalize(Path::new("pages/../assets/a.svg")).as_deref(),
            Some("assets/a.svg")
        );
        assert_eq!(normalize(Path::new("pages/../../etc/passwd")), None);
    }

    #[test]
    fn checks_webinar_offsets_against_the_zone() {
        let source = |starts: &str| SessionSource {
            id: "s1".into(),
            starts: starts.into(),
            time_zone: "Europe/Zurich".into(),
            duration_minutes: 60,
            join_url: None,
            presenter: None,
        };
        // Zurich is on winter time (+01:00) in February, summer time (+02:00) from 28 March 2027.
        assert!(session(source("2027-02-18T14:00:00+01:00")).is_ok());
        assert!(session(source("2027-04-01T14:00:00+02:00")).is_ok());
        let error = session(source("2027-02-18T14:00:00+02:00"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("wrong offset"), "{error}");
    }
}
