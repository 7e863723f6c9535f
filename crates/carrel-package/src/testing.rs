//! Small, real course sources and keys for tests of this crate, the server and the app.
//!
//! [`write_sample_source`] writes a complete course source folder (pages linking to each other
//! and to an image, a video-like binary file, a practice quiz and an assignment) that
//! [`crate::source::build`] turns into a real signed package. Tests build packages from it
//! rather than from checked-in zip files, so they always exercise the current format.

use std::path::Path;

use crate::signature::SecretKey;

/// The course id of the sample course.
pub const SAMPLE_COURSE_ID: &str = "sample-course";

/// A fixed publisher key (seeded, so packages of a test run are reproducible).
pub fn sample_key() -> SecretKey {
    SecretKey::from_seed([42; 32])
}

/// Another publisher's key.
pub fn other_key() -> SecretKey {
    SecretKey::from_seed([43; 32])
}

/// Writes the sample course at `version` into `dir`. `media_bytes` sets the size of its binary
/// "video" (deterministic content), so tests can make packages as large as they need.
pub fn write_sample_source(dir: &Path, version: &str, media_bytes: usize) -> std::io::Result<()> {
    for sub in ["pages", "assets", "quizzes", "assignments"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    std::fs::write(
        dir.join("course.toml"),
        format!(
            r#"id = "{SAMPLE_COURSE_ID}"
version = "{version}"
title = "Sample course"
language = "en"
summary = "A course for tests."
description = "pages/home.md"
starts = "2027-02-15"
ends = "2027-03-28"
min_app_version = "0.1.0"

[publisher]
name = "Test Publisher"

[[blocks]]
id = "block-1"
title = "Standards"
week = 1

[[blocks.modules]]
id = "b1-m1"
title = "First module"

[[blocks.modules.items]]
id = "intro"
kind = "page"
title = "Introduction"
minutes = 10
source = "pages/intro.md"

[[blocks.modules.items]]
id = "intro-video"
kind = "video"
title = "Video"
file = "assets/video.webm"
captions = "assets/video.vtt"
duration_seconds = 30

[[blocks.modules.items]]
id = "quiz-1"
kind = "quiz"
title = "Quiz"
source = "quizzes/quiz-1.toml"

[[blocks.modules.items]]
id = "essay"
kind = "assignment"
title = "Essay"
source = "assignments/essay.toml"

[[blocks.modules.items]]
id = "live"
kind = "webinar"
title = "Live session"
description = "Questions and answers."

[[blocks.modules.items.sessions]]
id = "live-1"
starts = "2027-02-18T14:00:00+01:00"
time_zone = "Europe/Zurich"
duration_minutes = 60
join_url = "https://example.org/live"
"#
        ),
    )?;
    std::fs::write(
        dir.join("pages/home.md"),
        "# Sample course\n\nStart with the [introduction](intro.md).\n",
    )?;
    std::fs::write(
        dir.join("pages/intro.md"),
        format!(
            "# Introduction\n\nVersion {version}. ![figure](../assets/figure.svg)\n\n\
             Back to the [course home](home.md#top).\n"
        ),
    )?;
    std::fs::write(
        dir.join("pages/essay-brief.md"),
        "# Essay brief\n\nWrite 200 words.\n",
    )?;
    std::fs::write(
        dir.join("assets/figure.svg"),
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>"#,
    )?;
    let media: Vec<u8> = (0..media_bytes)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(dir.join("assets/video.webm"), media)?;
    std::fs::write(
        dir.join("assets/video.vtt"),
        "WEBVTT\n\n00:00.000 --> 00:05.000\nHello.\n",
    )?;
    std::fs::write(
        dir.join("quizzes/quiz-1.toml"),
        r#"id = "quiz-1"
title = "Quiz"
mode = "practice"
attempts = 0
passing_score = 0.5

[[questions]]
id = "q1"
type = "true_false"
prompt = "Convention No. 189 is about domestic workers."
answer = true
"#,
    )?;
    std::fs::write(
        dir.join("assignments/essay.toml"),
        r#"id = "essay"
title = "Essay"
kind = "individual"
instructions = "pages/essay-brief.md"
allowed_types = ["pdf", "txt"]
"#,
    )?;
    Ok(())
}
