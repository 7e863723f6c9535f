#!/usr/bin/env python3
"""Build the course's short video and its WebVTT captions from tools/video-script.toml.

Usage: python3 build_video.py SCRIPT.toml OUTPUT.webm OUTPUT.vtt

Steps: render one 640x360 PNG per slide (Pillow, DejaVu fonts), speak each narration sentence
with espeak-ng, join the sentences and silences into one WAV, then encode with ffmpeg as WebM
(VP8 video + Vorbis audio), which WebKitGTK plays with the GStreamer base and good plugins.
Caption cues follow the measured length of each spoken sentence; a long sentence is split into
cues of at most two 42-character lines, timed in proportion to their length.

Needs: python3 with Pillow, espeak-ng, ffmpeg (with libvpx and libvorbis), DejaVu fonts.
Prints the video duration in seconds (for duration_seconds in course.toml).
"""

import math
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import tomllib
import wave

from PIL import Image, ImageDraw, ImageFont

W, H = 640, 360
FPS = 25
FONT_DIR = "/usr/share/fonts/truetype/dejavu"
NAVY = (31, 59, 87)
ACCENT = (180, 90, 31)
PAPER = (248, 250, 252)
INK = (27, 39, 51)
GREY = (110, 122, 134)
MAX_LINE = 42


def font(name, size):
    return ImageFont.truetype(os.path.join(FONT_DIR, name), size)


def render_slide(slide, index, total, cfg, path):
    img = Image.new("RGB", (W, H), PAPER)
    d = ImageDraw.Draw(img)
    # header band
    d.rectangle([0, 0, W, 44], fill=NAVY)
    d.text((24, 14), cfg["header"], font=font("DejaVuSans.ttf", 15), fill=(255, 255, 255))
    d.text(
        (W - 24, 14),
        "%d / %d" % (index + 1, total),
        font=font("DejaVuSans.ttf", 15),
        fill=(200, 214, 228),
        anchor="ra",
    )
    # title
    title_font = font("DejaVuSans-Bold.ttf", 30 if index else 34)
    d.text((32, 70), slide["title"], font=title_font, fill=NAVY)
    d.rectangle([32, 116, 112, 120], fill=ACCENT)
    # body lines
    y = 142
    for line in slide["lines"]:
        text = ("" if index == 0 else "•  ") + line
        size = 20
        body_font = font("DejaVuSans.ttf", size)
        while d.textlength(text, font=body_font) > W - 80 and size > 12:
            size -= 1
            body_font = font("DejaVuSans.ttf", size)
        d.text((40, y), text, font=body_font, fill=INK)
        y += 38
    # footer
    d.text((32, H - 30), cfg["footer"], font=font("DejaVuSans-Oblique.ttf", 13), fill=GREY)
    img.save(path)


def speak(text, wpm, voice, path):
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(wpm), "-w", path, text],
        check=True,
    )


def wav_params_and_frames(path):
    with wave.open(path, "rb") as w:
        return w.getparams(), w.readframes(w.getnframes())


def silence(params, seconds):
    n = int(round(seconds * params.framerate))
    return b"\x00" * (n * params.sampwidth * params.nchannels)


def ts(seconds):
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3600000)
    m, ms = divmod(ms, 60000)
    s, ms = divmod(ms, 1000)
    return "%02d:%02d:%02d.%03d" % (h, m, s, ms)


def wrap_cue(text):
    """Wrap a cue of at most 2 * MAX_LINE characters into one or two balanced lines."""
    if len(text) <= MAX_LINE:
        return text
    for width in range(math.ceil(len(text) / 2), MAX_LINE + 1):
        lines = textwrap.wrap(text, width)
        if len(lines) <= 2:
            return "\n".join(lines)
    return "\n".join(textwrap.wrap(text, MAX_LINE))


def split_caption(text):
    """Split narration text into cues of at most two lines of MAX_LINE characters.

    Text that fits in two lines is one cue. Longer text is split at sentence ends (a full stop
    followed by an ordinary space and a capital letter, so "No.\u00A097" never splits), short
    neighbouring sentences are merged again, and a sentence that is still too long is cut into
    word groups of similar length.
    """
    limit = 2 * MAX_LINE
    if len(text) <= limit:
        return [wrap_cue(text)]
    sentences = re.split(r"(?<=[.!?]) +(?=[A-Z])", text)
    merged = []
    for sentence in sentences:
        if merged and len(merged[-1]) + 1 + len(sentence) <= limit:
            merged[-1] += " " + sentence
        else:
            merged.append(sentence)
    cues = []
    for sentence in merged:
        words = sentence.split(" ")
        parts = math.ceil(len(sentence) / limit)
        while True:
            target = len(sentence) / parts
            groups = [[]]
            for word in words:
                if groups[-1] and len(" ".join(groups[-1] + [word])) > target and len(groups) < parts:
                    groups.append([word])
                else:
                    groups[-1].append(word)
            texts = [" ".join(g) for g in groups]
            if all(len(t) <= limit for t in texts):
                break
            parts += 1
        cues += texts
    return [wrap_cue(c) for c in cues]


def main(script, out_webm, out_vtt):
    with open(script, "rb") as f:
        cfg = tomllib.load(f)
    slides = cfg["slides"]
    wpm = cfg["words_per_minute"]
    voice = cfg["voice"]
    gap = cfg["pause_between_sentences"]
    tail = cfg["pause_after_slide"]

    with tempfile.TemporaryDirectory() as tmp:
        audio = b""
        params = None
        cues = []  # (start, end, text)
        slide_durations = []
        t = 0.0
        for i, slide in enumerate(slides):
            png = os.path.join(tmp, "slide%02d.png" % i)
            render_slide(slide, i, len(slides), cfg, png)
            start_slide = t
            for j, n in enumerate(slide["narration"]):
                wav = os.path.join(tmp, "s%02d_%02d.wav" % (i, j))
                speak(n.get("say", n["text"]), wpm, voice, wav)
                p, frames = wav_params_and_frames(wav)
                if params is None:
                    params = p
                elif (p.framerate, p.sampwidth, p.nchannels) != (
                    params.framerate,
                    params.sampwidth,
                    params.nchannels,
                ):
                    sys.exit("espeak-ng produced WAV files with different formats")
                length = len(frames) / (p.framerate * p.sampwidth * p.nchannels)
                # captions: split long sentences, timed by character share
                chunks = split_caption(re.sub(r"\s+", " ", n["text"]).strip())
                total_chars = sum(len(c) for c in chunks)
                c0 = t
                for c in chunks:
                    c1 = c0 + length * len(c) / total_chars
                    cues.append((c0, c1, c))
                    c0 = c1
                audio += frames + silence(params, gap)
                t += length + gap
            audio += silence(params, tail)
            t += tail
            # round slide length to whole video frames so audio and video stay aligned
            frames_n = round((t - start_slide) * FPS)
            slide_durations.append(frames_n / FPS)
            t = start_slide + frames_n / FPS
            pad = t - (len(audio) / (params.framerate * params.sampwidth * params.nchannels))
            if pad > 0:
                audio += silence(params, pad)

        narration = os.path.join(tmp, "narration.wav")
        with wave.open(narration, "wb") as w:
            w.setparams(params)
            w.writeframes(audio)

        cmd = ["ffmpeg", "-y", "-hide_banner", "-loglevel", "error"]
        for i, dur in enumerate(slide_durations):
            cmd += ["-loop", "1", "-framerate", str(FPS), "-t", "%.3f" % dur]
            cmd += ["-i", os.path.join(tmp, "slide%02d.png" % i)]
        cmd += ["-i", narration]
        concat = "".join("[%d:v]" % i for i in range(len(slides)))
        cmd += [
            "-filter_complex",
            concat + "concat=n=%d:v=1:a=0,format=yuv420p[v]" % len(slides),
            "-map", "[v]",
            "-map", "%d:a" % len(slides),
            "-c:v", "libvpx", "-b:v", "500k", "-crf", "6", "-qmin", "2", "-g", str(FPS * 5),
            "-c:a", "libvorbis", "-q:a", "3", "-ar", "44100", "-ac", "1",
            "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
            "-shortest",
            out_webm,
        ]
        subprocess.run(cmd, check=True)

    with open(out_vtt, "w", encoding="utf-8") as f:
        f.write("WEBVTT\n\n")
        for k, (a, b, text) in enumerate(cues, 1):
            f.write("%d\n%s --> %s\n%s\n\n" % (k, ts(a), ts(b), text))

    print("%.2f" % sum(slide_durations))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: build_video.py SCRIPT.toml OUTPUT.webm OUTPUT.vtt")
    main(*sys.argv[1:])
