#!/usr/bin/env bash
# Regenerates the demo course's binary assets from the sources kept in tools/:
#
#   tools/reading-pack.toml  --build_reading_pack.py-->  assets/reading-pack-key-instruments.pdf
#   tools/video-script.toml  --build_video.py-------->  assets/framework-at-a-glance.webm
#                                                        assets/framework-at-a-glance.vtt
#
# The outputs are committed; run this only after editing a source or a build script.
#
# Needs (Debian/Ubuntu package names):
#   - python3 >= 3.11 (tomllib) with ReportLab and Pillow. If the Python given by $PYTHON
#     (default: python3) lacks them, the script creates a virtual environment in
#     $MEDIA_VENV (default: ${TMPDIR:-/tmp}/carrel-demo-media-venv) and installs the
#     versions pinned below with pip (needs python3-venv and access to PyPI).
#   - espeak-ng                      narration
#   - ffmpeg with libvpx and libvorbis (Debian's ffmpeg has both)   WebM encoding
#   - fonts-dejavu-core              fonts for the slides and the PDF
#   e.g.  apt-get install -y python3-venv espeak-ng ffmpeg fonts-dejavu-core
#
# Usage: courses/demo/tools/make-media.sh            (from anywhere)
#
# The PDF is byte-for-byte reproducible. The video is encoded with ffmpeg's bitexact flags
# but its exact bytes can still vary with the espeak-ng and ffmpeg versions; the script prints
# the new duration and fails if it no longer matches duration_seconds in course.toml.

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
course="$(dirname "$here")"
assets="$course/assets"

REPORTLAB_VERSION="5.1.0"
PILLOW_VERSION="13.0.0"
MAX_PDF_BYTES=$((300 * 1024))
MAX_VIDEO_BYTES=$((2 * 1024 * 1024))

die() { echo "make-media: $*" >&2; exit 1; }

for tool in espeak-ng ffmpeg; do
    command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install -y $tool)"
done
encoders="$(ffmpeg -hide_banner -encoders 2>/dev/null)"
grep -q ' libvpx ' <<<"$encoders" || die "ffmpeg lacks the libvpx (VP8) encoder"
grep -q ' libvorbis ' <<<"$encoders" || die "ffmpeg lacks the libvorbis encoder"
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] \
    || die "DejaVu fonts not found (apt-get install -y fonts-dejavu-core)"

py="${PYTHON:-python3}"
"$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "$py is older than Python 3.11"
if ! "$py" -c 'import reportlab, PIL' 2>/dev/null; then
    venv="${MEDIA_VENV:-${TMPDIR:-/tmp}/carrel-demo-media-venv}"
    if [ ! -x "$venv/bin/python" ]; then
        echo "make-media: creating a Python environment in $venv" >&2
        "$py" -m venv "$venv"
    fi
    "$venv/bin/python" -m pip install --quiet \
        "reportlab==$REPORTLAB_VERSION" "pillow==$PILLOW_VERSION"
    py="$venv/bin/python"
fi

echo "make-media: building the reading pack PDF"
"$py" "$here/build_reading_pack.py" "$here/reading-pack.toml" "$assets/reading-pack-key-instruments.pdf"

echo "make-media: building the video and its captions"
duration="$("$py" "$here/build_video.py" "$here/video-script.toml" \
    "$assets/framework-at-a-glance.webm" "$assets/framework-at-a-glance.vtt")"

pdf_bytes=$(stat -c %s "$assets/reading-pack-key-instruments.pdf")
video_bytes=$(stat -c %s "$assets/framework-at-a-glance.webm")
[ "$pdf_bytes" -le "$MAX_PDF_BYTES" ] || die "the PDF is $pdf_bytes bytes; the limit is $MAX_PDF_BYTES"
[ "$video_bytes" -le "$MAX_VIDEO_BYTES" ] || die "the video is $video_bytes bytes; the limit is $MAX_VIDEO_BYTES"

seconds=$(printf '%.0f' "$duration")
echo "make-media: PDF $pdf_bytes bytes; video $video_bytes bytes, ${duration} s"
if ! grep -q "^duration_seconds = $seconds\$" "$course/course.toml"; then
    die "the video now lasts $seconds s: update duration_seconds of the video item in course.toml"
fi
echo "make-media: done"
