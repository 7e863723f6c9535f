//! cmi5 packages: `cmi5.xml` (the course structure of the cmi5 specification, section 13) read and
//! checked.
//!
//! What Carrel takes from it: the course IRI, title and description (the first `langstring`, with
//! its language), blocks (nested blocks are flattened into their top-level block, which becomes a
//! module), and each AU's IRI, title, `url`, `moveOn`, `masteryScore`, `launchMethod`,
//! `launchParameters`, `entitlementKey` and `activityType`. AUs at the top level gather in one
//! module per run, named after the course.
//!
//! Refused, with the reason: no `<course>` or more than one, an id that is not an absolute IRI or
//! is used twice (course, blocks and AUs share one space), an AU without `url`, a relative `url`
//! whose file is not in the zip (the spec's 14.1.0.0-4), an AU on the web (it could not run
//! offline), a `moveOn` or `launchMethod` outside the spec's values, a `masteryScore` that is not a
//! decimal from 0 to 1, and a course with no AU.

use carrel_package::manifest::{Cmi5Item, ItemKind, LaunchMethod, MoveOn, is_iri};
use roxmltree::Node;

use crate::{
    Files, ImportedCourse, ImportedItem, ImportedModule, Standard, StandardError, collapsed_text,
    elements, first_duplicate, is_absolute_url, parse_xml, resolve_href,
};

/// The descriptor's name at the top of the zip.
pub(crate) const COURSE_STRUCTURE: &str = "cmi5.xml";

fn invalid(reason: String) -> StandardError {
    StandardError::Invalid {
        standard: "cmi5",
        reason,
    }
}

/// The first `langstring` of a `title` or `description`, with its language.
fn langstring(node: Node<'_, '_>, element: &'static str) -> Option<(String, Option<String>)> {
    let container = elements(node, element).next()?;
    let first = elements(container, "langstring").next()?;
    let text = collapsed_text(first);
    (!text.is_empty()).then(|| (text, first.attribute("lang").map(str::to_owned)))
}

fn id_of<'a>(node: Node<'a, '_>) -> Result<&'a str, StandardError> {
    let what = node.tag_name().name();
    let id = node
        .attribute("id")
        .map(str::trim)
        .ok_or_else(|| invalid(format!("a <{what}> has no id")))?;
    if !is_iri(id) {
        return Err(invalid(format!(
            "the {what} id “{id}” is not an absolute IRI"
        )));
    }
    Ok(id)
}

/// Reads and checks `cmi5.xml`.
pub(crate) fn parse(xml: &str, files: &Files<'_>) -> Result<ImportedCourse, StandardError> {
    let document = parse_xml(COURSE_STRUCTURE, xml)?;
    let root = document.root_element();
    if root.tag_name().name() != "courseStructure" {
        return Err(invalid(format!(
            "the root element of cmi5.xml is <{}>, not <courseStructure>",
            root.tag_name().name()
        )));
    }
    let courses: Vec<Node<'_, '_>> = elements(root, "course").collect();
    let [course] = courses.as_slice() else {
        return Err(invalid(format!(
            "cmi5.xml must have exactly one <course>; it has {}",
            courses.len()
        )));
    };
    let course_iri = id_of(*course)?;
    let (title, language) = langstring(*course, "title")
        .ok_or_else(|| invalid("the <course> has no title".to_owned()))?;
    let description = langstring(*course, "description")
        .map(|(text, _)| text)
        .unwrap_or_default();

    let ids: Vec<&str> = root
        .descendants()
        .filter(|n| n.is_element() && matches!(n.tag_name().name(), "course" | "block" | "au"))
        .map(id_of)
        .collect::<Result<_, _>>()?;
    if let Some(id) = first_duplicate(ids.iter().copied()) {
        return Err(invalid(format!("the id “{id}” is used twice")));
    }

    let mut modules: Vec<ImportedModule> = Vec::new();
    for node in root.children().filter(Node::is_element) {
        match node.tag_name().name() {
            "block" => {
                let mut items = Vec::new();
                for au in node
                    .descendants()
                    .filter(|n| n.is_element() && n.tag_name().name() == "au")
                {
                    items.push(au_item(au, course_iri, files)?);
                }
                if !items.is_empty() {
                    let id = id_of(node)?;
                    modules.push(ImportedModule {
                        identifier: id.to_owned(),
                        title: langstring(node, "title")
                            .map(|(t, _)| t)
                            .unwrap_or_else(|| id.to_owned()),
                        items,
                    });
                }
            }
            "au" => {
                let item = au_item(node, course_iri, files)?;
                match modules.last_mut() {
                    Some(last) if last.identifier.ends_with("#module") => last.items.push(item),
                    _ => modules.push(ImportedModule {
                        identifier: format!("{}#module", item.identifier),
                        title: title.clone(),
                        items: vec![item],
                    }),
                }
            }
            _ => {}
        }
    }
    if modules.is_empty() {
        return Err(invalid("the course has no AU".to_owned()));
    }
    Ok(ImportedCourse {
        standard: Standard::Cmi5,
        identifier: course_iri.to_owned(),
        title,
        description,
        language,
        modules,
        warnings: Vec::new(),
    })
}

fn au_item(
    au: Node<'_, '_>,
    course_iri: &str,
    files: &Files<'_>,
) -> Result<ImportedItem, StandardError> {
    let id = id_of(au)?;
    let title = langstring(au, "title").map_or_else(|| id.to_owned(), |(t, _)| t);
    let url = elements(au, "url")
        .next()
        .map(collapsed_text)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| invalid(format!("the AU “{id}” has no url")))?;
    if is_absolute_url(&url) {
        return Err(StandardError::Unsupported {
            standard: "cmi5",
            reason: format!("the AU “{id}” is on the web ({url})"),
        });
    }
    let (path, query) = resolve_href("", &url).ok_or_else(|| {
        invalid(format!(
            "the url “{url}” of the AU “{id}” points outside the package"
        ))
    })?;
    if !files.contains(&path) {
        return Err(invalid(format!(
            "the url “{url}” of the AU “{id}” names the file “{path}”, which is not in the zip"
        )));
    }
    let move_on = match au.attribute("moveOn").map(str::trim) {
        None => MoveOn::NotApplicable,
        Some("Passed") => MoveOn::Passed,
        Some("Completed") => MoveOn::Completed,
        Some("CompletedAndPassed") => MoveOn::CompletedAndPassed,
        Some("CompletedOrPassed") => MoveOn::CompletedOrPassed,
        Some("NotApplicable") => MoveOn::NotApplicable,
        Some(other) => {
            return Err(invalid(format!(
                "the AU “{id}” has moveOn “{other}”; it must be Passed, Completed, CompletedAndPassed, CompletedOrPassed or NotApplicable"
            )));
        }
    };
    let launch_method = match au.attribute("launchMethod").map(str::trim) {
        None | Some("AnyWindow") => LaunchMethod::AnyWindow,
        Some("OwnWindow") => LaunchMethod::OwnWindow,
        Some(other) => {
            return Err(invalid(format!(
                "the AU “{id}” has launchMethod “{other}”; it must be AnyWindow or OwnWindow"
            )));
        }
    };
    let mastery_score = match au.attribute("masteryScore").map(str::trim) {
        None => None,
        Some(text) => match text.parse::<f64>() {
            Ok(score) if (0.0..=1.0).contains(&score) => Some(score),
            _ => {
                return Err(invalid(format!(
                    "the AU “{id}” has masteryScore “{text}”; it must be a decimal from 0 to 1"
                )));
            }
        },
    };
    let text_of = |name: &'static str| {
        elements(au, name)
            .next()
            .and_then(|n| n.text().map(|t| t.trim().to_owned()))
            .filter(|t| !t.is_empty())
    };
    Ok(ImportedItem {
        identifier: id.to_owned(),
        title,
        kind: ItemKind::Cmi5(Cmi5Item {
            path,
            query,
            au_id: id.to_owned(),
            course_iri: course_iri.to_owned(),
            move_on,
            mastery_score,
            launch_method,
            launch_parameters: text_of("launchParameters"),
            entitlement_key: text_of("entitlementKey"),
            activity_type: au
                .attribute("activityType")
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
        }),
    })
}
