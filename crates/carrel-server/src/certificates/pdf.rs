//! The certificate as a PDF for people: one A4 landscape page, written object by object.
//!
//! A certificate needs no more of PDF than positioned lines of text, so the file is written here
//! rather than with a PDF library: the two standard fonts every reader has (Helvetica and
//! Helvetica-Bold, not embedded) in WinAnsiEncoding, one uncompressed content stream, a link over
//! the verification address, and a cross-reference table with each object's byte offset. Text is
//! centred and wrapped with the fonts' published widths. WinAnsi covers Latin-1 ("José Núñez",
//! "Françoise" print as they are); any other letter is written as its unaccented base letter when
//! it has one ("Łukasz Dvořák" → "Lukasz Dvorák"), else as `?`. The signed record, not the PDF,
//! is the certificate's authority; the PDF says where to check it.

use carrel_protocol::certificates::CertificateRecord;
use unicode_normalization::UnicodeNormalization;

/// A4 landscape, in points.
const PAGE_WIDTH: f64 = 842.0;
const PAGE_HEIGHT: f64 = 595.0;
/// The widest a line of text may be.
const TEXT_WIDTH: f64 = PAGE_WIDTH - 2.0 * 90.0;

/// Advance widths (1/1000 of the font size) of the WinAnsi codes 32–255 in Helvetica, from
/// Adobe's font metrics.
const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, //
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, //
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, //
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, //
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, //
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 350, //
    556, 350, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 350, 611, 350, //
    350, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 350, 500, 667, //
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, //
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, //
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, //
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, //
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, //
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500, //
];

/// The same for Helvetica-Bold.
const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, //
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, //
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, //
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, //
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, //
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 350, //
    556, 350, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 350, 611, 350, //
    350, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 350, 500, 667, //
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, //
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, //
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, //
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, //
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, //
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556, //
];

/// WinAnsi's ellipsis, which ends a line cut short.
const ELLIPSIS: u8 = 0x85;

/// One of the two fonts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Font {
    Regular,
    Bold,
}

impl Font {
    /// Its resource name in the page.
    fn resource(self) -> &'static str {
        match self {
            Font::Regular => "F1",
            Font::Bold => "F2",
        }
    }

    /// The width of the WinAnsi `text` at `size` points.
    fn width(self, text: &[u8], size: f64) -> f64 {
        let widths = match self {
            Font::Regular => &HELVETICA,
            Font::Bold => &HELVETICA_BOLD,
        };
        let units: u32 = text
            .iter()
            .map(|&byte| {
                byte.checked_sub(32)
                    .map_or(0, |index| u32::from(widths[usize::from(index)]))
            })
            .sum();
        f64::from(units) * size / 1000.0
    }
}

/// `text` in WinAnsiEncoding: Latin-1 and the Windows-1252 punctuation as they are, other letters
/// as their base letter, any space as a space, control characters dropped, the rest `?`.
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.nfc().filter_map(encode).collect()
}

/// The WinAnsi code of `c`, or of a stand-in for it; `None` to drop it.
fn encode(c: char) -> Option<u8> {
    if let Some(byte) = win_ansi_code(c) {
        return Some(byte);
    }
    if c.is_whitespace() {
        return Some(b' ');
    }
    if c.is_control() {
        return None;
    }
    let mut base = None;
    unicode_normalization::char::decompose_canonical(c, |part| {
        base = base.or(Some(part));
    });
    if let Some(byte) = base.filter(|&part| part != c).and_then(win_ansi_code) {
        return Some(byte);
    }
    Some(match c {
        'ł' => b'l',
        'Ł' => b'L',
        'đ' => b'd',
        'Đ' => b'D',
        'ħ' => b'h',
        'Ħ' => b'H',
        'ı' => b'i',
        'ŀ' => b'l',
        'Ŀ' => b'L',
        'ŧ' => b't',
        'Ŧ' => b'T',
        'ə' => b'e',
        'Ə' => b'E',
        '\u{2010}'..='\u{2012}' | '\u{2212}' => b'-',
        _ => b'?',
    })
}

/// The WinAnsi code of `c`, if WinAnsi has it.
fn win_ansi_code(c: char) -> Option<u8> {
    let code = u32::from(c);
    if (0x20..0x7f).contains(&code) || (0xa0..=0xff).contains(&code) {
        return u8::try_from(code).ok();
    }
    Some(match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8a,
        '‹' => 0x8b,
        'Œ' => 0x8c,
        'Ž' => 0x8e,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9a,
        '›' => 0x9b,
        'œ' => 0x9c,
        'ž' => 0x9e,
        'Ÿ' => 0x9f,
        _ => return None,
    })
}

/// `text` as a PDF literal string: `(`, `)` and `\` escaped, and every byte outside printable
/// ASCII as an octal escape, so the content stream is plain ASCII.
fn literal(text: &[u8]) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('(');
    for &byte in text {
        match byte {
            b'(' | b')' | b'\\' => {
                out.push('\\');
                out.push(char::from(byte));
            }
            0x20..=0x7e => out.push(char::from(byte)),
            _ => out.push_str(&format!("\\{byte:03o}")),
        }
    }
    out.push(')');
    out
}

/// `text` as a PDF text string for the document information: UTF-16BE with its byte order mark,
/// in hex.
fn text_string(text: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in text.encode_utf16() {
        out.push_str(&format!("{unit:04X}"));
    }
    out.push('>');
    out
}

/// `text` split into lines no wider than `width` at `size`: at spaces, and inside a word only
/// when the word alone is too wide.
fn wrap(text: &[u8], font: Font, size: f64, width: f64) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    for word in text
        .split(|&byte| byte == b' ')
        .filter(|word| !word.is_empty())
    {
        let mut candidate = line.clone();
        if !candidate.is_empty() {
            candidate.push(b' ');
        }
        candidate.extend_from_slice(word);
        if font.width(&candidate, size) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for &byte in word {
            line.push(byte);
            if font.width(&line, size) > width && line.len() > 1 {
                line.pop();
                lines.push(std::mem::replace(&mut line, vec![byte]));
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `line` shortened to fit `width` at `size` with an ellipsis after it.
fn truncated(mut line: Vec<u8>, font: Font, size: f64, width: f64) -> Vec<u8> {
    while !line.is_empty() && font.width(&[line.as_slice(), &[ELLIPSIS]].concat(), size) > width {
        line.pop();
    }
    while line.last() == Some(&b' ') {
        line.pop();
    }
    line.push(ELLIPSIS);
    line
}

/// The largest size from `max` down to `min` at which `text` fits in `max_lines` lines, and those
/// lines; at `min`, the lines that fit, the last cut short.
fn fit(text: &str, font: Font, max: f64, min: f64, max_lines: usize) -> (f64, Vec<Vec<u8>>) {
    let text = win_ansi(text);
    let mut size = max;
    loop {
        let mut lines = wrap(&text, font, size, TEXT_WIDTH);
        if lines.len() <= max_lines {
            return (size, lines);
        }
        if size - 1.0 < min {
            lines.truncate(max_lines);
            if let Some(last) = lines.pop() {
                lines.push(truncated(last, font, size, TEXT_WIDTH));
            }
            return (size, lines);
        }
        size -= 1.0;
    }
}

/// The page's drawing: its content stream, and where the verification address is drawn (its
/// link's rectangle).
struct Page {
    content: String,
    link: Option<[f64; 4]>,
}

impl Page {
    /// Draws `text` centred, from baseline `y` down, fitted as [`fit`] says; answers the
    /// baseline of the line that would come next and the rectangle of what was drawn.
    fn centred(
        &mut self,
        text: &str,
        font: Font,
        (max, min): (f64, f64),
        max_lines: usize,
        y: f64,
    ) -> (f64, [f64; 4]) {
        let (size, lines) = fit(text, font, max, min, max_lines);
        let leading = size * 1.25;
        let mut baseline = y;
        let mut rect = [PAGE_WIDTH / 2.0, y, PAGE_WIDTH / 2.0, y + size];
        for line in &lines {
            let width = font.width(line, size);
            let x = (PAGE_WIDTH - width) / 2.0;
            self.content.push_str(&format!(
                "BT /{} {size:.1} Tf {x:.2} {baseline:.2} Td {} Tj ET\n",
                font.resource(),
                literal(line)
            ));
            rect = [
                rect[0].min(x),
                baseline - size * 0.25,
                rect[2].max(x + width),
                rect[3],
            ];
            baseline -= leading;
        }
        (baseline, rect)
    }
}

/// "30 November 2026": the day `ms` falls on in UTC.
pub fn date(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|at| at.strftime("%-d %B %Y").to_string())
        .unwrap_or_default()
}

/// How the PDF lists the requirements met.
fn requirements(record: &CertificateRecord) -> String {
    let met: Vec<String> = record
        .requirements
        .iter()
        .map(|met| {
            let verb = if met.passed { "passed" } else { "submitted" };
            format!("{verb} “{}”", met.title)
        })
        .collect();
    format!(
        "Requirements met (course version {}): {}.",
        record.course_version,
        met.join("; ")
    )
}

/// `url` as a PDF URI string: ASCII, with other bytes percent-encoded.
fn uri(url: &str) -> String {
    let mut ascii = Vec::with_capacity(url.len());
    for &byte in url.as_bytes() {
        if (0x21..0x7f).contains(&byte) {
            ascii.push(byte);
        } else {
            ascii.extend_from_slice(format!("%{byte:02X}").as_bytes());
        }
    }
    literal(&ascii)
}

/// The certificate `record` as a one-page PDF.
pub fn render(record: &CertificateRecord) -> Vec<u8> {
    let mut page = Page {
        // A double frame in dark blue, then text in near-black.
        content: format!(
            "q 0.13 0.23 0.40 RG 2.5 w 24 24 {:.0} {:.0} re S 0.6 w 32 32 {:.0} {:.0} re S Q\n\
             0.1 0.1 0.1 rg\n",
            PAGE_WIDTH - 48.0,
            PAGE_HEIGHT - 48.0,
            PAGE_WIDTH - 64.0,
            PAGE_HEIGHT - 64.0,
        ),
        link: None,
    };
    let (y, _) = page.centred(&record.title, Font::Bold, (30.0, 20.0), 2, 480.0);
    page.content.push_str(&format!(
        "q 0.13 0.23 0.40 RG 0.8 w {:.2} {:.2} m {:.2} {:.2} l S Q\n",
        PAGE_WIDTH / 2.0 - 90.0,
        y + 20.0,
        PAGE_WIDTH / 2.0 + 90.0,
        y + 20.0
    ));
    let (y, _) = page.centred(
        "This certifies that",
        Font::Regular,
        (14.0, 14.0),
        1,
        y - 12.0,
    );
    let (y, _) = page.centred(&record.learner_name, Font::Bold, (28.0, 14.0), 2, y - 18.0);
    let (y, _) = page.centred(
        "has met every requirement of",
        Font::Regular,
        (14.0, 14.0),
        1,
        y - 8.0,
    );
    let (y, _) = page.centred(&record.course_title, Font::Bold, (20.0, 12.0), 2, y - 12.0);
    page.centred(
        &requirements(record),
        Font::Regular,
        (10.0, 7.0),
        3,
        y - 6.0,
    );

    let issued = format!("Issued on {}", date(record.issued_ms));
    let (y, _) = page.centred(&issued, Font::Regular, (12.0, 12.0), 1, 150.0);
    page.centred(
        &format!("by {}", record.issuer),
        Font::Regular,
        (12.0, 8.0),
        2,
        y,
    );
    page.centred(
        &format!("Certificate {}", record.certificate_id),
        Font::Regular,
        (9.0, 9.0),
        1,
        70.0,
    );
    let check = format!("Check it at {}", record.verify_url);
    let (_, rect) = page.centred(&check, Font::Regular, (9.0, 6.0), 2, 56.0);
    page.link = Some(rect);
    assemble(record, &page)
}

/// The file: header, objects, cross-reference table, trailer.
fn assemble(record: &CertificateRecord, page: &Page) -> Vec<u8> {
    let created = i64::try_from(record.issued_ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|at| at.strftime("D:%Y%m%d%H%M%SZ").to_string())
        .unwrap_or_default();
    let title = format!("{} — {}", record.title, record.learner_name);
    let annots = page
        .link
        .map_or_else(String::new, |_| " /Annots [8 0 R]".to_owned());
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH:.0} {PAGE_HEIGHT:.0}] \
             /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R{annots} >>"
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{}endstream",
            page.content.len(),
            page.content
        ),
        format!(
            "<< /Title {} /Author {} /Subject {} /Producer (carrel-server) /CreationDate ({created}) >>",
            text_string(&title),
            text_string(&record.issuer),
            text_string(&record.course_title),
        ),
    ];
    if let Some([x1, y1, x2, y2]) = page.link {
        objects.push(format!(
            "<< /Type /Annot /Subtype /Link /Rect [{x1:.2} {y1:.2} {x2:.2} {y2:.2}] \
             /Border [0 0 0] /A << /S /URI /URI {} >> >>",
            uri(&record.verify_url)
        ));
    }
    // The header's second line marks the file as binary for transfer tools.
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (index, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
    }
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        table.push_str(&format!("{offset:010} 00000 n \n"));
    }
    out.extend_from_slice(table.as_bytes());
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 7 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use carrel_protocol::certificates::MetRequirement;

    fn record(name: &str) -> CertificateRecord {
        CertificateRecord {
            certificate_id: "0123456789abcdef0123456789abcdef".into(),
            title: "Certificate of Achievement".into(),
            course_id: "rights".into(),
            course_title: "Migrant workers' rights: a rights-based approach to labour migration"
                .into(),
            course_version: "1.0.0".into(),
            learner_id: 7,
            learner_name: name.into(),
            issued_ms: 1_796_040_000_000,
            requirements: vec![MetRequirement {
                item_id: "b1-quiz".into(),
                title: "Block 1 quiz (practice)".into(),
                passed: true,
            }],
            issuer: "Carrel (Test) Academy \\ Lisbon".into(),
            verify_url: "http://127.0.0.1:7878/certificates/0123456789abcdef0123456789abcdef"
                .into(),
            pdf_sha256: String::new(),
        }
    }

    #[test]
    fn latin_names_keep_their_letters_and_others_fall_back_to_their_base_letter() {
        let cases: &[(&str, &[u8])] = &[
            ("José Núñez", b"Jos\xe9 N\xfa\xf1ez"),
            ("Françoise", b"Fran\xe7oise"),
            ("Łukasz Dvořák", b"Lukasz Dvor\xe1k"),
            // Decomposed input is composed first: e + combining acute is é.
            ("Rene\u{301}e", b"Ren\xe9e"),
            ("“Quoted” – €5", b"\x93Quoted\x94 \x96 \x805"),
            ("Tab\there\u{7}", b"Tab here"),
            ("李雷", b"??"),
        ];
        for (text, expected) in cases {
            assert_eq!(&win_ansi(text), expected, "{text}");
        }
    }

    #[test]
    fn strings_escape_what_would_end_or_bend_them() {
        assert_eq!(literal(b"a(b)c\\d"), r"(a\(b\)c\\d)");
        assert_eq!(
            literal(b"Jos\xe9"),
            r"(Jos\351)",
            "non-ASCII bytes as octal"
        );
        assert_eq!(text_string("é"), "<FEFF00E9>");
    }

    #[test]
    fn dates_are_the_utc_day_in_words() {
        assert_eq!(date(1_796_040_000_000), "30 November 2026");
        assert_eq!(date(0), "1 January 1970");
    }

    #[test]
    fn long_text_is_wrapped_then_shrunk_then_cut() {
        let (size, lines) = fit("Short", Font::Bold, 20.0, 12.0, 2);
        assert_eq!(
            (size, lines.len()),
            (20.0, 1),
            "short text keeps the largest size"
        );
        let long = "word ".repeat(60);
        let (size, lines) = fit(&long, Font::Regular, 10.0, 7.0, 3);
        assert!(size >= 7.0 && lines.len() <= 3, "{size} {}", lines.len());
        for line in &lines {
            assert!(
                Font::Regular.width(line, size) <= TEXT_WIDTH,
                "every line fits"
            );
        }
        let endless = "w".repeat(2000);
        let (size, lines) = fit(&endless, Font::Regular, 9.0, 6.0, 2);
        assert_eq!(lines.len(), 2, "a word wider than the page is broken");
        assert_eq!(lines[1].last(), Some(&ELLIPSIS), "what does not fit is cut");
        assert!(Font::Regular.width(&lines[1], size) <= TEXT_WIDTH);
    }

    #[test]
    fn the_file_is_a_pdf_whose_cross_references_point_at_its_objects() {
        let pdf = render(&record("José (Pepe) Núñez"));
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        // Past the binary second line of the header, the file is ASCII: offsets in `text` are
        // offsets in the file.
        let text = std::str::from_utf8(&pdf[15..]).expect("ASCII after the header");
        let at = |offset: usize| &pdf[offset..];
        let startxref: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|tail| tail.lines().next())
            .and_then(|offset| offset.parse().ok())
            .unwrap();
        assert!(
            at(startxref).starts_with(b"xref\n0 9\n"),
            "startxref points at the table"
        );
        let table = std::str::from_utf8(at(startxref)).unwrap();
        for (number, entry) in table.lines().skip(3).take(8).enumerate() {
            let offset: usize = entry[..10].parse().unwrap();
            assert_eq!(
                entry.len(),
                19,
                "entries are 20 bytes with their newline: {entry:?}"
            );
            let expected = format!("{} 0 obj\n", number + 1);
            assert!(
                at(offset).starts_with(expected.as_bytes()),
                "object {} is where the table says",
                number + 1
            );
        }
        let stream_start = text.find("stream\n").unwrap() + "stream\n".len();
        let stream_end = text.find("endstream").unwrap();
        let length: usize = text
            .split("/Length ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|length| length.parse().ok())
            .unwrap();
        assert_eq!(
            stream_end - stream_start,
            length,
            "the stream's /Length is exact"
        );
        assert!(
            text.contains(r"(Jos\351 \(Pepe\) N\372\361ez) Tj"),
            "the name is in WinAnsi, escaped"
        );
        assert!(text.contains(r"(by Carrel \(Test\) Academy \\ Lisbon) Tj"));
        assert!(text.contains("(Issued on 30 November 2026) Tj"));
    }
}
