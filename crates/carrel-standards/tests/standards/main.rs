//! Tests of `carrel-standards`: the third-party SCORM and cmi5 packages of `../shared/fixtures`
//! (read from there, never copied: see [`fixtures`]) and small packages written here, each
//! imported or refused, converted, and the result read back with the Carrel package reader.

mod fixtures;
mod generated;
