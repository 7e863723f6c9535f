//! SCORM 1.2 and SCORM 2004 packages: `imsmanifest.xml` (IMS Content Packaging with ADL's
//! extensions) read and checked.
//!
//! What Carrel takes from it: the edition (`metadata/schemaversion`, else the namespaces), the
//! default organization (or the first) with its item tree, each launchable item's resource (`href`
//! with the item's `parameters`, under the `xml:base` of `resources` and `resource`), whether the
//! resource is a SCO or an asset, the mastery score (1.2 `adlcp:masteryscore`, 2004 the primary
//! objective's `minNormalizedMeasure` when satisfied by measure), the completion threshold (2004),
//! launch data and prerequisites. Sequencing beyond that is not evaluated (see `docs/standards.md`).
//!
//! Refused, with the reason: no organization, a default organization that does not exist, an
//! identifier used twice, an item referring to a resource that does not exist or has no `href`, a
//! launch file that is not in the zip or points outside it, a `scormtype` other than `sco` or
//! `asset`, a mastery score out of range, sub-manifests, and an organization with nothing to launch.

use std::collections::HashMap;

use carrel_package::manifest::{ItemKind, ScormItem, ScormVersion};
use roxmltree::Node;

use crate::{
    Files, ImportedCourse, ImportedItem, ImportedModule, Standard, StandardError, collapsed_text,
    elements, first_duplicate, parse_xml, resolve_href,
};

/// The descriptor's name at the top of the zip.
pub(crate) const MANIFEST: &str = "imsmanifest.xml";

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

fn invalid(reason: String) -> StandardError {
    StandardError::Invalid {
        standard: "SCORM",
        reason,
    }
}

fn child<'a, 'x>(node: Node<'a, 'x>, name: &'static str) -> Option<Node<'a, 'x>> {
    elements(node, name).next()
}

/// An ADL attribute or child (`adlcp:scormtype`, `adlcp:masteryscore`…): ADL namespace, name in
/// any case (1.2 writes `scormtype`, 2004 `scormType`).
fn adl_attribute<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| {
            a.namespace().is_some_and(|ns| ns.contains("adlnet"))
                && a.name().eq_ignore_ascii_case(name)
        })
        .map(|a| a.value())
}

fn adl_child<'a, 'x>(node: Node<'a, 'x>, name: &str) -> Option<Node<'a, 'x>> {
    node.children().find(|c| {
        c.is_element()
            && c.tag_name()
                .namespace()
                .is_some_and(|ns| ns.contains("adlnet"))
            && c.tag_name().name().eq_ignore_ascii_case(name)
    })
}

fn xml_base<'a>(node: Node<'a, '_>) -> &'a str {
    node.attribute((XML_NS, "base")).unwrap_or("")
}

fn title_of(node: Node<'_, '_>, fallback: &str) -> String {
    child(node, "title")
        .map(collapsed_text)
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| fallback.to_owned())
}

fn version_of(root: Node<'_, '_>) -> Result<ScormVersion, StandardError> {
    let declared = child(root, "metadata")
        .and_then(|m| child(m, "schemaversion"))
        .map(collapsed_text);
    match declared.as_deref() {
        Some("1.2") => return Ok(ScormVersion::Scorm12),
        Some(v) if v.starts_with("2004") || v == "CAM 1.3" => return Ok(ScormVersion::Scorm2004),
        Some(other) => {
            return Err(invalid(format!(
                "its schemaversion “{other}” is not one of 1.2, CAM 1.3 or 2004 (2nd, 3rd or 4th Edition)"
            )));
        }
        None => {}
    }
    // No schemaversion: the ADL namespace in use tells.
    let namespaces: Vec<&str> = root.namespaces().map(|ns| ns.uri()).collect();
    if namespaces.iter().any(|ns| ns.contains("adlcp_rootv1p2")) {
        Ok(ScormVersion::Scorm12)
    } else if namespaces.iter().any(|ns| ns.contains("adlcp_v1p3")) {
        Ok(ScormVersion::Scorm2004)
    } else {
        Err(invalid(
            "it declares no schemaversion and uses neither the SCORM 1.2 nor the SCORM 2004 ADL namespace".to_owned(),
        ))
    }
}

struct Resource<'x> {
    href: Option<&'x str>,
    base: String,
    sco: bool,
}

/// Reads and checks `imsmanifest.xml`.
pub(crate) fn parse(xml: &str, files: &Files<'_>) -> Result<ImportedCourse, StandardError> {
    let document = parse_xml(MANIFEST, xml)?;
    let root = document.root_element();
    if root.tag_name().name() != "manifest" {
        return Err(invalid(format!(
            "the root element of imsmanifest.xml is <{}>, not <manifest>",
            root.tag_name().name()
        )));
    }
    let version = version_of(root)?;
    let standard = match version {
        ScormVersion::Scorm12 => Standard::Scorm12,
        ScormVersion::Scorm2004 => Standard::Scorm2004,
    };
    if elements(root, "manifest").next().is_some() {
        return Err(StandardError::Unsupported {
            standard: "SCORM",
            reason:
                "it contains sub-manifests (aggregated packages); export each package on its own"
                    .to_owned(),
        });
    }
    let identifier = root
        .attribute("identifier")
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| invalid("<manifest> has no identifier".to_owned()))?
        .to_owned();

    // Resources by identifier.
    let resources_node =
        child(root, "resources").ok_or_else(|| invalid("it has no <resources>".to_owned()))?;
    let resources_base = xml_base(resources_node);
    let mut resources: HashMap<&str, Resource<'_>> = HashMap::new();
    let mut warnings = Vec::new();
    for resource in elements(resources_node, "resource") {
        let id = resource
            .attribute("identifier")
            .ok_or_else(|| invalid("a <resource> has no identifier".to_owned()))?;
        let sco = match adl_attribute(resource, "scormtype").map(str::trim) {
            Some(t) if t.eq_ignore_ascii_case("sco") => true,
            Some(t) if t.eq_ignore_ascii_case("asset") => false,
            Some(other) => {
                return Err(invalid(format!(
                    "the resource “{id}” has scormtype “{other}”; it must be sco or asset"
                )));
            }
            None => false,
        };
        let base = format!("{resources_base}{}", xml_base(resource));
        for file in elements(resource, "file") {
            if let Some(href) = file.attribute("href")
                && resolve_href(&base, href).is_none_or(|(path, _)| !files.contains(&path))
            {
                // Tolerated: many packages list files sloppily, and only launch files matter.
                warnings.push(format!(
                    "the resource “{id}” lists the file “{href}”, which is not in the zip"
                ));
            }
        }
        if resources
            .insert(
                id,
                Resource {
                    href: resource.attribute("href"),
                    base,
                    sco,
                },
            )
            .is_some()
        {
            return Err(invalid(format!(
                "the resource identifier “{id}” is used twice"
            )));
        }
    }

    // The organization to deliver: the default one, else the first.
    let organizations = child(root, "organizations")
        .ok_or_else(|| invalid("it has no <organizations>".to_owned()))?;
    let all: Vec<Node<'_, '_>> = elements(organizations, "organization").collect();
    let organization = match organizations.attribute("default") {
        Some(default) => *all
            .iter()
            .find(|o| o.attribute("identifier") == Some(default))
            .ok_or_else(|| {
                invalid(format!(
                    "its default organization “{default}” is not one of its organizations"
                ))
            })?,
        None => *all.first().ok_or_else(|| StandardError::Unsupported {
            standard: "SCORM",
            reason: "it has no organization, so nothing to launch (a resource-only package)"
                .to_owned(),
        })?,
    };
    let mut item_ids: Vec<&str> = Vec::new();
    for item in organization
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "item")
    {
        item_ids.push(
            item.attribute("identifier")
                .ok_or_else(|| invalid("an <item> has no identifier".to_owned()))?,
        );
    }
    if let Some(id) = first_duplicate(item_ids.iter().copied()) {
        return Err(invalid(format!("the item identifier “{id}” is used twice")));
    }

    let org_title = title_of(organization, &identifier);
    let mut modules: Vec<ImportedModule> = Vec::new();
    for top in elements(organization, "item") {
        let top_id = top.attribute("identifier").unwrap_or_default();
        if elements(top, "item").next().is_some() {
            let mut items = Vec::new();
            collect_leaves(top, version, &resources, files, &mut items, &mut warnings)?;
            if !items.is_empty() {
                modules.push(ImportedModule {
                    identifier: top_id.to_owned(),
                    title: title_of(top, top_id),
                    items,
                });
            }
        } else {
            let mut items = Vec::new();
            collect_leaves(top, version, &resources, files, &mut items, &mut warnings)?;
            // Launchable items at the top gather in one module per run, named after the
            // organization.
            match modules.last_mut() {
                Some(last) if last.identifier.ends_with("#module") => last.items.extend(items),
                _ if items.is_empty() => {}
                _ => modules.push(ImportedModule {
                    identifier: format!("{top_id}#module"),
                    title: org_title.clone(),
                    items,
                }),
            }
        }
    }
    if modules.is_empty() {
        return Err(invalid(format!(
            "its organization “{}” has no item with a launchable resource",
            organization.attribute("identifier").unwrap_or_default()
        )));
    }
    Ok(ImportedCourse {
        standard,
        identifier,
        title: org_title,
        description: String::new(),
        language: None,
        modules,
        warnings,
    })
}

/// The deepest nesting of items accepted (real courses use a handful of levels); deeper is refused
/// rather than followed, so a crafted manifest cannot exhaust the stack.
const MAX_ITEM_DEPTH: usize = 64;

/// Adds the launchable items under `node` (itself included), depth first, in order.
fn collect_leaves(
    node: Node<'_, '_>,
    version: ScormVersion,
    resources: &HashMap<&str, Resource<'_>>,
    files: &Files<'_>,
    out: &mut Vec<ImportedItem>,
    warnings: &mut Vec<String>,
) -> Result<(), StandardError> {
    let id = node.attribute("identifier").unwrap_or_default();
    let depth = node
        .ancestors()
        .filter(|a| a.is_element() && a.tag_name().name() == "item")
        .count();
    if depth > MAX_ITEM_DEPTH {
        return Err(StandardError::Unsupported {
            standard: "SCORM",
            reason: format!(
                "its items are nested more than {MAX_ITEM_DEPTH} levels deep (at “{id}”)"
            ),
        });
    }
    if let Some(reference) = node.attribute("identifierref") {
        let resource = resources.get(reference).ok_or_else(|| {
            invalid(format!(
                "the item “{id}” refers to the resource “{reference}”, which imsmanifest.xml does not define"
            ))
        })?;
        let href = resource.href.ok_or_else(|| {
            invalid(format!(
                "the item “{id}” launches the resource “{reference}”, which has no href"
            ))
        })?;
        if crate::is_absolute_url(href.trim()) {
            return Err(StandardError::Unsupported {
                standard: "SCORM",
                reason: format!("the item “{id}” launches “{href}”, which is on the web"),
            });
        }
        let (path, mut query) = resolve_href(&resource.base, href).ok_or_else(|| {
            invalid(format!(
                "the item “{id}” launches “{href}”, which points outside the package"
            ))
        })?;
        if !files.contains(&path) {
            return Err(invalid(format!(
                "the item “{id}” launches “{path}”, which is not in the zip"
            )));
        }
        if let Some(parameters) = node.attribute("parameters") {
            let parameters = parameters.trim().trim_start_matches(['?', '&']);
            if !parameters.is_empty() && !parameters.starts_with('#') {
                if !query.is_empty() {
                    query.push('&');
                }
                query.push_str(parameters);
            }
        }
        let number =
            |what: &str, element: Option<Node<'_, '_>>| -> Result<Option<f64>, StandardError> {
                element
                    .map(|e| {
                        let text = collapsed_text(e);
                        text.parse::<f64>().map_err(|_| {
                            invalid(format!(
                                "the item “{id}” has a {what} “{text}” that is not a number"
                            ))
                        })
                    })
                    .transpose()
            };
        let (mastery_score, completion_threshold) = match version {
            ScormVersion::Scorm12 => {
                let score = number("masteryscore", adl_child(node, "masteryscore"))?;
                if let Some(score) = score
                    && !(0.0..=100.0).contains(&score)
                {
                    return Err(invalid(format!(
                        "the item “{id}” has a masteryscore {score}; it must be between 0 and 100"
                    )));
                }
                (score.map(|s| s / 100.0), None)
            }
            ScormVersion::Scorm2004 => {
                let measure = child(node, "sequencing")
                    .and_then(|s| child(s, "objectives"))
                    .and_then(|o| child(o, "primaryObjective"))
                    .filter(|p| p.attribute("satisfiedByMeasure") == Some("true"))
                    .and_then(|p| child(p, "minNormalizedMeasure"));
                let measure = number("minNormalizedMeasure", measure)?;
                if let Some(m) = measure
                    && !(-1.0..=1.0).contains(&m)
                {
                    return Err(invalid(format!(
                        "the item “{id}” has a minNormalizedMeasure {m}; it must be between -1 and 1"
                    )));
                }
                let threshold = match adl_child(node, "completionThreshold") {
                    // 4th edition: an attribute; 3rd: the element's text.
                    Some(e) => match e.attribute("minProgressMeasure") {
                        Some(v) => Some(v.trim().parse::<f64>().map_err(|_| {
                            invalid(format!(
                                "the item “{id}” has a minProgressMeasure “{v}” that is not a number"
                            ))
                        })?),
                        None if collapsed_text(e).is_empty() => None,
                        None => number("completionThreshold", Some(e))?,
                    },
                    None => None,
                };
                if let Some(t) = threshold
                    && !(0.0..=1.0).contains(&t)
                {
                    return Err(invalid(format!(
                        "the item “{id}” has a completion threshold {t}; it must be between 0 and 1"
                    )));
                }
                (measure.map(|m| m.max(0.0)), threshold)
            }
        };
        let text_of = |name: &str| {
            adl_child(node, name)
                .map(|e| e.text().unwrap_or_default().trim().to_owned())
                .filter(|t| !t.is_empty())
        };
        if !resource.sco && mastery_score.is_some() {
            warnings.push(format!(
                "the item “{id}” is an asset with a mastery score; assets report no score, so it is ignored"
            ));
        }
        out.push(ImportedItem {
            identifier: id.to_owned(),
            title: title_of(node, id),
            kind: ItemKind::Scorm(ScormItem {
                path,
                parameters: query,
                scorm_version: version,
                sco: resource.sco,
                identifier: id.to_owned(),
                mastery_score,
                completion_threshold,
                launch_data: text_of("datafromlms"),
                prerequisites: text_of("prerequisites"),
            }),
        });
    }
    for item in elements(node, "item") {
        collect_leaves(item, version, resources, files, out, warnings)?;
    }
    Ok(())
}
