//! Media types of content files, decided by extension when a package is built.
//!
//! The manifest records each file's media type and the content view serves the file with it, so a
//! course cannot make Carrel sniff an image into a script. Types that are already compressed are
//! stored in the zip as they are; everything else is deflated.

/// The media type for a file name, `application/octet-stream` when the extension is unknown.
pub fn media_type_for(path: &str) -> &'static str {
    let extension = path
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "txt" | "md" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "vtt" => "text/vtt; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "pdf" => "application/pdf",
        "webm" => "video/webm",
        "mp4" | "m4v" => "video/mp4",
        "ogv" => "video/ogg",
        "ogg" | "oga" => "audio/ogg",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "wav" => "audio/wav",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

/// Whether content of this media type is already compressed, so deflating it only costs time.
pub fn is_precompressed(media_type: &str) -> bool {
    let base = media_type.split(';').next().unwrap_or_default();
    (base.starts_with("image/") && base != "image/svg+xml")
        || base.starts_with("video/")
        || base.starts_with("audio/")
        || base.starts_with("font/")
        || matches!(
            base,
            "application/pdf" | "application/zip" | "application/octet-stream"
        )
        || base.contains("openxmlformats")
        || base.contains("opendocument")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_types_and_a_safe_default() {
        assert_eq!(media_type_for("pages/a.HTML"), "text/html; charset=utf-8");
        assert_eq!(media_type_for("v/intro.webm"), "video/webm");
        assert_eq!(media_type_for("noextension"), "application/octet-stream");
        assert_eq!(media_type_for("evil.exe"), "application/octet-stream");
        assert!(is_precompressed("video/webm") && !is_precompressed("text/html; charset=utf-8"));
        assert!(!is_precompressed("image/svg+xml"));
    }
}
