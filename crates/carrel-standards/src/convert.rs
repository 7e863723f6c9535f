//! A checked SCORM or cmi5 package written as a signed Carrel package.
//!
//! Every file of the zip goes into the package unchanged, under the same path. The outline is one
//! block (the SCORM organization, the cmi5 course) of modules (see the crate docs) of items of
//! kind `scorm` or `cmi5`. Files are extracted to a private temporary folder first, each read at
//! most to its listed size and checked against its CRC-32, then hashed and packed; the package is
//! written to a temporary file renamed into place when complete, so a failed conversion leaves
//! nothing behind.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use carrel_package::SecretKey;
use carrel_package::manifest::{Block, Course, Manifest, Module, Publisher};
use carrel_package::pack::{describe_file, write_package};

use crate::{StandardError, StandardPackage, carrel_id, copy_entry};

/// What the package does not say and a Carrel course needs.
#[derive(Debug, Clone)]
pub struct ConvertOptions {
    /// The Carrel course id; default: derived from the package's identifier ([`carrel_id`]).
    pub course_id: Option<String>,
    /// The course version (`major.minor.patch`); raise it for each new conversion of a changed
    /// package, so installed copies update.
    pub version: String,
    /// The content's language; default: the package's (cmi5), else `en`.
    pub language: Option<String>,
    /// Who publishes the course.
    pub publisher: String,
    /// The publisher's web address.
    pub publisher_url: Option<String>,
}

impl StandardPackage {
    /// Writes the Carrel package of this course to `out`, signed with `key`, and returns its
    /// manifest.
    pub fn convert(
        &mut self,
        options: &ConvertOptions,
        key: &SecretKey,
        out: &Path,
    ) -> Result<Manifest, StandardError> {
        let course = &self.course;
        let staging = tempfile::tempdir().map_err(|source| StandardError::Io {
            path: std::env::temp_dir(),
            source,
        })?;
        let mut files = Vec::with_capacity(self.entries.len());
        let mut names: Vec<(&String, &(usize, u64))> = self.entries.iter().collect();
        names.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (index, (name, &(entry_index, size))) in names.into_iter().enumerate() {
            // Flat numbered files: the names were checked, but the staging folder need not
            // mirror them.
            let staged = staging.path().join(index.to_string());
            extract(&mut self.zip, entry_index, name, size, &staged)?;
            files.push((describe_file(name, &staged)?, staged));
        }

        let modules = course
            .modules
            .iter()
            .map(|module| Module {
                id: carrel_id(&module.identifier),
                title: module.title.clone(),
                summary: String::new(),
                items: module
                    .items
                    .iter()
                    .map(|item| carrel_package::manifest::Item {
                        id: carrel_id(&item.identifier),
                        title: item.title.clone(),
                        minutes: None,
                        kind: item.kind.clone(),
                    })
                    .collect(),
            })
            .collect();
        let mut manifest = Manifest::new(
            Course {
                id: options
                    .course_id
                    .clone()
                    .unwrap_or_else(|| carrel_id(&course.identifier)),
                version: options.version.clone(),
                title: course.title.clone(),
                language: options
                    .language
                    .clone()
                    .or_else(|| course.language.clone())
                    .unwrap_or_else(|| "en".to_owned()),
                summary: course.description.clone(),
                description: None,
                starts: None,
                ends: None,
                min_app_version: env!("CARGO_PKG_VERSION").to_owned(),
                estimated_hours: None,
                publisher: Publisher {
                    name: options.publisher.clone(),
                    url: options.publisher_url.clone(),
                },
                certificate: None,
            },
            vec![Block {
                id: carrel_id(&course.identifier),
                title: course.title.clone(),
                summary: String::new(),
                week: None,
                modules,
            }],
            files.iter().map(|(entry, _)| entry.clone()).collect(),
        );
        if let Some(time) = carrel_package::source::source_date_epoch() {
            manifest.built_at = time;
        }
        let staged: std::collections::HashMap<&str, &Path> = files
            .iter()
            .map(|(entry, path)| (entry.path.as_str(), path.as_path()))
            .collect();
        write_package(out, &manifest, key, |entry| {
            let path = staged
                .get(entry.path.as_str())
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, entry.path.clone()))?;
            Ok(Box::new(File::open(path)?) as Box<dyn Read>)
        })?;
        Ok(manifest)
    }
}

/// Extracts one entry to `to` ([`copy_entry`]).
fn extract(
    zip: &mut zip::ZipArchive<File>,
    index: usize,
    name: &str,
    size: u64,
    to: &Path,
) -> Result<(), StandardError> {
    let io_error = |source| StandardError::Io {
        path: to.to_owned(),
        source,
    };
    let mut out = File::create(to).map_err(io_error)?;
    copy_entry(zip, index, name, size, &mut out)?;
    out.flush().map_err(io_error)
}
