//! The public page about a certificate, for people: whoever follows the address printed on the
//! PDF (an employer, an admissions office) reads whether the certificate is valid, for whom, for
//! what, when and by whom it was issued.
//!
//! Every value comes from the stored record and is HTML-escaped (a display name is whatever the
//! learner's account says). The page has no scripts and loads nothing: its handler sends it with
//! `Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'`. Its links are
//! relative, so they work behind a reverse proxy that adds a path prefix.

use carrel_protocol::certificates::CertificateRecord;

use super::pdf::date;

/// The `Content-Security-Policy` the page is sent with.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'";

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;\
margin:0;background:#f4f5f7;color:#1a1a1a;line-height:1.5}\
main{max-width:44rem;margin:3rem auto;background:#fff;padding:2rem 2.5rem;border-radius:8px;\
box-shadow:0 1px 4px rgba(0,0,0,.12)}\
.status{font-weight:700;font-size:1.15rem;padding:.6rem 1rem;border-radius:6px}\
.valid{background:#e3f4e8;color:#14532d}.revoked{background:#fde8e8;color:#7f1d1d}\
h1{font-size:1.6rem;margin:1.2rem 0 .8rem}dt{font-weight:600;margin-top:.7rem;color:#444}\
dd{margin:0}ul{margin:0;padding-left:1.2rem}code{font-size:.95rem;word-break:break-all}\
.note{color:#555;font-size:.9rem;margin-top:1.5rem}";

/// `text` safe inside HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A whole page titled `title` around `body` (already HTML).
fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n<title>{}</title>\n<style>{STYLE}</style>\n\
         </head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        escape(title)
    )
}

/// The page about the certificate `record`, revoked at `revoked_ms` if it was.
pub fn certificate(record: &CertificateRecord, revoked_ms: Option<u64>) -> String {
    let id = escape(&record.certificate_id);
    let status = match revoked_ms {
        None => {
            "<p class=\"status valid\">✓ Valid: this certificate was issued by this server and \
                 has not been revoked.</p>"
                .to_owned()
        }
        Some(ms) => format!(
            "<p class=\"status revoked\">✗ Revoked on {}: this certificate is no longer valid.</p>",
            escape(&date(ms))
        ),
    };
    let requirements: String = record
        .requirements
        .iter()
        .map(|met| {
            let verb = if met.passed { "Passed" } else { "Submitted" };
            format!("<li>{verb} “{}”</li>", escape(&met.title))
        })
        .collect();
    let body = format!(
        "{status}\n<h1>{title}</h1>\n<dl>\n\
         <dt>Awarded to</dt><dd>{name}</dd>\n\
         <dt>Course</dt><dd>{course} (version {version})</dd>\n\
         <dt>Requirements met</dt><dd><ul>{requirements}</ul></dd>\n\
         <dt>Issued on</dt><dd>{issued}</dd>\n\
         <dt>Issued by</dt><dd>{issuer}</dd>\n\
         <dt>Certificate id</dt><dd><code>{id}</code></dd>\n</dl>\n\
         <p><a href=\"../api/v1/certificates/{id}/pdf\">The certificate (PDF)</a> · \
         <a href=\"../api/v1/certificates/{id}\">its signed record (JSON)</a></p>\n\
         <p class=\"note\">This page is answered by the server that issued the certificate, from \
         its own records. The record is signed with the server's key \
         (<a href=\"../api/v1/certificates/key\">public key</a>), so a copy can be checked \
         offline too.</p>\n",
        title = escape(&record.title),
        name = escape(&record.learner_name),
        course = escape(&record.course_title),
        version = escape(&record.course_version),
        issued = escape(&date(record.issued_ms)),
        issuer = escape(&record.issuer),
    );
    let state = if revoked_ms.is_some() {
        "revoked"
    } else {
        "valid"
    };
    document(&format!("{}: {state}", record.title), &body)
}

/// The page for an id the server never issued.
pub fn not_found() -> String {
    document(
        "No such certificate",
        "<p class=\"status revoked\">✗ This server has issued no certificate with this id.</p>\n\
         <p>Check the address against the one printed on the certificate: it ends with the \
         certificate's id, 32 letters and digits.</p>\n",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_escaped() {
        assert_eq!(
            escape(r#"<script>alert('x')</script> & "y""#),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
