#!/usr/bin/env python3
"""Fuzz driver: mutates every input surface of emopipe and runs the binary on each case.

Surfaces: media files, EEG (EDF and CSV), pipeline YAML, transcripts (SRT, VTT, JSON, TXT, as
inputs and as sidecars), model files (estimators, the text A/H model, network graphs and
weights, the speech encoder), label tables (emotion and A/H training), subject profiles,
--set values, and live standard input (media, raw PCM, raw EEG, random bytes). Each case runs with a 60 s limit and is classed as:
  crash    the process died of a signal or exited >= 128 (a runtime trap is SIGILL/SIGTRAP),
  timeout  it ran past the limit (a hang or runaway),
  error    a clean refusal: exit 1 or 2 with an "error" line,
  ok       exit 0.
Crashes and timeouts are kept under --keep (the files, the command, the output) to become
regression cases (Tests/EmoPipeTests/Regressions/). Seeded and bounded by count and time; the
standard library only. `make test` runs a short quick run (fixed seed); a long one by hand:

  scripts/fuzz.py --binary .build/release/emopipe --cases 2000 --seed 7 --jobs 2

Exit status 1 when any case crashed or timed out.
"""

import argparse
import concurrent.futures
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
FIXTURES = os.path.join(ROOT, "Fixtures")
MODELS = os.path.join(ROOT, "Models")
PIPELINES = os.path.join(ROOT, "Pipelines")
LIMIT_S = 60

HOSTILE_NUMBERS = ["0", "-0", "-1", "1e308", "-1e308", "1e-320", "nan", "NaN", "inf", "-inf", "Infinity", "1e20",
                   "9999999999", "4294967296", "18446744073709551616", "2147483648", "-2147483649", "0.0000001",
                   "1e-9", "3e38", "65536", "100000", "200000", "1.5", "", "x", "1,5", "0x10", "1e400"]
HOSTILE_STRINGS = ["", " ", "\u0000", "\ufeff", "<" * 500, "{" * 500, "é" * 50, "😀", "../../etc/passwd", "/dev/zero",
                   "a" * 5000, "\t\r\n", "null", "[]", "{}", "\\", "'", '"']


# --- mutations -----------------------------------------------------------------------------

def mutate_bytes(rng, data):
    data = bytearray(data)
    choice = rng.randrange(6)
    if not data or choice == 0:
        return bytes(data[: rng.randrange(len(data) + 1)])  # truncate
    if choice == 1:
        for _ in range(rng.randint(1, 16)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if choice == 2:
        at = rng.randrange(len(data))
        return bytes(data[:at] + rng.randbytes(rng.randint(1, 256)) + data[at:])
    if choice == 3:
        a = rng.randrange(len(data))
        b = min(len(data), a + rng.randint(1, 4096))
        return bytes(data[:b] + data[a:b] * rng.randint(1, 8) + data[b:])
    if choice == 4:
        # Flip bytes in the first 1 KiB: headers.
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(min(len(data), 1024))] = rng.randrange(256)
        return bytes(data)
    return bytes(data[: len(data) // 2]) + bytes(rng.randrange(256) for _ in range(64))


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def mutate_text(rng, text):
    lines = text.split("\n")
    choice = rng.randrange(9)
    if choice <= 2:
        matches = list(NUMBER.finditer(text))
        if matches:
            for _ in range(rng.randint(1, 3)):
                match = rng.choice(matches)
                text = text[: match.start()] + rng.choice(HOSTILE_NUMBERS) + text[match.end():]
                matches = list(NUMBER.finditer(text))
                if not matches:
                    break
            return text
    if choice == 3 and lines:
        del lines[rng.randrange(len(lines))]
        return "\n".join(lines)
    if choice == 4 and lines:
        at = rng.randrange(len(lines))
        lines[at:at] = [lines[at]] * rng.randint(1, 50)
        return "\n".join(lines)
    if choice == 5 and len(lines) > 1:
        a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[a], lines[b] = lines[b], lines[a]
        return "\n".join(lines)
    if choice == 6:
        at = rng.randrange(len(text) + 1)
        return text[:at] + rng.choice(HOSTILE_STRINGS) + text[at:]
    if choice == 7:
        return text[: rng.randrange(len(text) + 1)]
    return rng.choice(["", " ", "\n", "[]", "{}", "null", text * rng.randint(2, 20)])


def encode_text(rng, text):
    """The text as bytes: UTF-8 mostly, sometimes with a BOM, UTF-16 with or without one, Latin-1."""
    choice = rng.randrange(10)
    if choice == 0:
        return b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass")
    if choice == 1:
        return text.encode("utf-16")
    if choice == 2:
        return text.encode("utf-16-le", "surrogatepass")
    if choice == 3:
        return text.encode("latin-1", "replace")
    return text.encode("utf-8", "surrogatepass")


# --- seeds ---------------------------------------------------------------------------------

def transcript_seeds():
    srt = open(os.path.join(FIXTURES, "speech.srt"), encoding="utf-8").read()
    vtt = "WEBVTT\n\n" + srt.replace(",", ".").split("\n\n", 1)[-1]
    segments = [{"start": 0.0, "end": 1.6, "text": "Well, I am not sure.",
                 "words": [{"start": 0.0, "end": 0.4, "word": "Well,"}, {"start": 0.5, "end": 0.7, "word": "I"},
                           {"start": 0.8, "end": 1.0, "word": "am"}, {"start": 1.0, "end": 1.3, "word": "not"},
                           {"start": 1.3, "end": 1.6, "word": "sure."}]},
                {"start": 1.7, "end": 5.0, "text": "Maybe we could try it, but I really do not know."}]
    return {
        "srt": srt, "vtt": vtt, "json": json.dumps({"segments": segments}, indent=1),
        "txt": "Um, I mean, I guess I could try. But I'm not sure, you know?\n",
        "hours": "1\n00:00:00,000 --> 00:00:01,000\nyes\n\n2\n2777:00:00,000 --> 2777:00:01,000\nno\n",
    }


FIXTURE_FOR = {
    "audio-basics": "speech.wav", "audio-level-csv": "stereo.flac", "av-affect": "face.mp4", "av-basics": "clip.mp4",
    "eeg-affect": "eeg.edf", "eeg-clean-features": "eeg.edf", "eeg-features": "eeg.edf", "face-affect": "still.png",
    "face-features": "still.png", "pcm-level": "speech.pcm", "text-affect": "speech.srt", "voice-affect": "speech.wav",
    "transcribe": "speech.wav", "voice-features": "speech.wav",
}
QUICK_PIPELINES = ["text-affect", "eeg-affect", "eeg-features", "audio-basics", "audio-level-csv"]


class Context:
    def __init__(self, binary, work, quick):
        self.binary = binary
        self.work = work
        self.quick = quick
        self.transcripts = transcript_seeds()
        self.pipelines = sorted(name[:-5] for name in os.listdir(PIPELINES) if name.endswith(".yaml"))
        self.stage_ids = {}
        for name in self.pipelines:
            out = subprocess.run([binary, "validate", name], capture_output=True, text=True, cwd=ROOT).stdout
            self.stage_ids[name] = re.findall(r"^  (\w+) \(([\w.]+)\)", out, re.M)
        stages = json.loads(subprocess.run([binary, "stages", "--json"], capture_output=True, text=True, cwd=ROOT).stdout)
        self.parameters = {stage["name"]: stage["parameters"] for stage in stages}
        # A valid subject profile to mutate.
        self.profile = os.path.join(work, "base.profile")
        subprocess.run([binary, "calibrate", "eeg-affect", os.path.join(FIXTURES, "eeg.edf"), "-o", self.profile],
                       capture_output=True, cwd=ROOT)
        if not os.path.exists(self.profile):
            self.profile = None
        # A small EEG table.
        rows = ["time,Fp1,Fp2,F3,F4"] + [f"{i / 128:.6f},{(i % 7) - 3.5},{(i % 5) - 2},{(i % 3) - 1},{(i % 11) - 5}" for i in range(128 * 6)]
        self.eeg_csv = "\n".join(rows) + "\n"


def fixture(name):
    return os.path.join(FIXTURES, name)


# --- generators: each writes its files into `folder` and returns (argv, environment) ---------

def gen_transcript(rng, ctx, folder):
    kind = rng.choice(["srt", "vtt", "json", "txt", "hours"])
    text = ctx.transcripts[kind]
    for _ in range(rng.randint(1, 3)):
        text = mutate_text(rng, text)
    extension = "srt" if kind == "hours" else kind
    data = encode_text(rng, text)
    if rng.random() < 0.1:
        data = mutate_bytes(rng, data)
    if not ctx.quick and rng.random() < 0.15:
        # As a sidecar of a recording.
        shutil.copy(fixture("speech.wav"), os.path.join(folder, "clip.wav"))
        open(os.path.join(folder, "clip." + extension), "wb").write(data)
        return ["run", "av-affect", os.path.join(folder, "clip.wav")], {}
    path = os.path.join(folder, "t." + extension)
    open(path, "wb").write(data)
    if rng.random() < 0.2:
        return ["run", "text-affect", path, "-o", os.path.join(folder, "out")], {}
    return ["run", path], {}


def gen_yaml(rng, ctx, folder):
    name = rng.choice(QUICK_PIPELINES if ctx.quick else ctx.pipelines)
    text = open(os.path.join(PIPELINES, name + ".yaml"), encoding="utf-8").read()
    for _ in range(rng.randint(1, 3)):
        text = mutate_text(rng, text)
    path = os.path.join(folder, "p.yaml")
    open(path, "wb").write(encode_text(rng, text) if rng.random() < 0.2 else text.encode("utf-8", "surrogatepass"))
    source = FIXTURE_FOR[name]
    if source == "speech.pcm":
        return ["validate", path], {}
    return (["validate", path] if rng.random() < 0.3 else ["run", path, fixture(source)]), {}


MODEL_RUNS = {
    "text.json": ("text-affect", "speech.srt"), "ah-text.json": ("text-affect", "speech.srt"),
    "eeg.json": ("eeg-affect", "eeg.edf"), "voice.json": ("voice-affect", "speech.wav"),
    "face.json": ("face-affect", "still.png"), "face-expression/graph.json": ("face-affect", "still.png"),
    "face-expression/weights.safetensors": ("face-affect", "still.png"),
    "voice-encoder/encoder.json": ("voice-affect", "speech.wav"), "voice-encoder/weights.safetensors": ("voice-affect", "speech.wav"),
    "lexicons/vader.tsv": ("text-affect", "speech.srt"),
    "whisper-tiny.en/whisper.json": ("transcribe", "speech.wav"), "whisper-tiny.en/vocabulary.txt": ("transcribe", "speech.wav"),
}
QUICK_MODELS = ["text.json", "ah-text.json", "eeg.json", "lexicons/vader.tsv", "face-expression/graph.json",
                "face-expression/weights.safetensors", "voice-encoder/encoder.json"]


def gen_model(rng, ctx, folder):
    name = rng.choice(QUICK_MODELS if ctx.quick else sorted(MODEL_RUNS))
    store = os.path.join(folder, "models")
    source = os.path.join(MODELS, name)
    target = os.path.join(store, name)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if "/" in name and not name.startswith("lexicons/"):
        # The rest of the network's folder as it is (Whisper's 75 MB of weights linked, not copied).
        shutil.copytree(os.path.dirname(source), os.path.dirname(target), dirs_exist_ok=True,
                        ignore=lambda _, names: [n for n in names if n == "model.safetensors"])
        weights = os.path.join(os.path.dirname(source), "model.safetensors")
        if os.path.exists(weights):
            os.symlink(weights, os.path.join(os.path.dirname(target), "model.safetensors"))
    data = open(source, "rb").read()
    if name.endswith(".safetensors") or rng.random() < 0.15:
        data = mutate_bytes(rng, data)
    else:
        text = data.decode("utf-8")
        for _ in range(rng.randint(1, 4)):
            text = mutate_text(rng, text)
        data = text.encode("utf-8", "surrogatepass")
    open(target, "wb").write(data)
    pipeline, source_file = MODEL_RUNS[name]
    if name.startswith("face-expression/") and ctx.quick:
        return ["network", os.path.dirname(target)], {}
    if name.startswith("voice-encoder/") and ctx.quick:
        return ["run", "voice-affect", fixture("speech.srt")], {"EMOPIPE_MODELS": store}
    return ["run", pipeline, fixture(source_file)], {"EMOPIPE_MODELS": store}


ANSWERS = ["Um, I mean, I guess I could try, but I am not sure.", "Yes, absolutely, every morning.",
           "Well, maybe. I don't know, it depends.", "No. I just stop when I am full.",
           "I suppose so, kind of, sometimes yes and sometimes no.", "Definitely, I love it."]


def gen_labels(rng, ctx, folder):
    if rng.random() < 0.6:
        rows = ["participant,ah,transcript"]
        for index in range(rng.randint(0, 24)):
            rows.append(f"p{index % 6},{index % 2},\"{ANSWERS[index % len(ANSWERS)]}\"")
        text = "\n".join(rows) + "\n"
        for _ in range(rng.randint(0, 3)):
            text = mutate_text(rng, text)
        path = os.path.join(folder, "ah.csv")
        open(path, "wb").write(encode_text(rng, text))
        extra = []
        if rng.random() < 0.4:
            extra = [rng.choice(["--l2-grid", "--feature-scales", "--folds", "--min-document-frequency", "--iterations"]),
                     rng.choice(HOSTILE_NUMBERS) or "0"]
        return ["train", "--task", "ah", "--labels", path, "--label-column", "ah", "--text-column", "transcript",
                "--folds", "3", "--iterations", "50", "-o", os.path.join(folder, rng.choice(["m.json", "missing/m.json"]))] + extra, {}
    shutil.copy(fixture("speech.srt"), os.path.join(folder, "a.srt"))
    shutil.copy(fixture("speech.srt"), os.path.join(folder, "b.srt"))
    text = "file,emotion,speaker\na.srt,happiness,s1\nb.srt,sadness,s2\n"
    for _ in range(rng.randint(1, 3)):
        text = mutate_text(rng, text)
    path = os.path.join(folder, "labels.csv")
    open(path, "wb").write(encode_text(rng, text))
    extra = [] if rng.random() < 0.6 else [rng.choice(["--l2", "--ridge", "--jobs"]), rng.choice(HOSTILE_NUMBERS) or "0"]
    if rng.random() < 0.2:
        extra += ["--group-from", rng.choice(["(spk", "([a-z])", "x", "("])]
    return ["train", "--labels", path, "--label-column", "emotion", "--group-column", "speaker", "--pipeline", "text-affect",
            "--stream", "words", "--modality", "text", "-o", os.path.join(folder, "m.json")] + extra, {}


def gen_profile(rng, ctx, folder):
    if ctx.profile is None:
        return gen_transcript(rng, ctx, folder)
    text = open(ctx.profile, encoding="utf-8").read()
    for _ in range(rng.randint(1, 3)):
        text = mutate_text(rng, text)
    path = os.path.join(folder, "p.profile")
    open(path, "wb").write(text.encode("utf-8", "surrogatepass"))
    pipeline = rng.choice(["eeg-affect", "eeg-features"] if ctx.quick else ["eeg-affect", "voice-affect", "text-affect"])
    return ["run", pipeline, fixture(FIXTURE_FOR[pipeline]), "--profile", path], {}


def gen_set(rng, ctx, folder):
    name = rng.choice(QUICK_PIPELINES if ctx.quick else ctx.pipelines)
    if not ctx.stage_ids.get(name) or FIXTURE_FOR[name] == "speech.pcm":
        name = "text-affect"
    stage_id, stage = rng.choice(ctx.stage_ids[name])
    parameters = ctx.parameters.get(stage) or [{"name": "x"}]
    parameter = rng.choice(parameters)["name"]
    value = rng.choice(HOSTILE_NUMBERS + HOSTILE_STRINGS + ["alpha:8-14,beta:14-inf", "alpha:8-1e300", "a:1-2,a:1-2",
                                                            "true", "false", "never", "{sidecar}", "/dev/stdin"])
    sets = ["--set", f"{stage_id}.{parameter}={value}"]
    if rng.random() < 0.2:
        sets += ["--set", f"{rng.choice(ctx.stage_ids[name])[0]}.{parameter}={rng.choice(HOSTILE_NUMBERS)}"]
    return ["run", name, fixture(FIXTURE_FOR[name])] + sets, {}


def gen_media(rng, ctx, folder):
    name = rng.choice(["speech.wav", "stereo.flac"] if ctx.quick else ["speech.wav", "stereo.flac", "clip.mp4", "still.png", "face.mp4"])
    data = mutate_bytes(rng, open(fixture(name), "rb").read())
    path = os.path.join(folder, "m." + name.split(".")[-1])
    open(path, "wb").write(data)
    pipeline = {"speech.wav": "audio-basics", "stereo.flac": "audio-level-csv"}.get(name) if ctx.quick else None
    return (["run", pipeline, path] if pipeline else ["run", path]), {}


def gen_eeg(rng, ctx, folder):
    if rng.random() < 0.5:
        data = bytearray(open(fixture("eeg.edf"), "rb").read())
        header = bytes(data[:2048]).decode("latin-1")
        if rng.random() < 0.7:
            header = mutate_text(rng, header)[:2048].ljust(2048)
            data[:2048] = header.encode("latin-1", "replace")[:2048]
            data = bytes(data)
        else:
            data = mutate_bytes(rng, bytes(data))
        path = os.path.join(folder, "e.edf")
        open(path, "wb").write(data)
    else:
        text = ctx.eeg_csv
        for _ in range(rng.randint(1, 3)):
            text = mutate_text(rng, text)
        path = os.path.join(folder, "e.csv")
        open(path, "wb").write(text.encode("utf-8", "surrogatepass"))
    return ["run", rng.choice(["eeg-affect", "eeg-features"]), path], {}


def gen_stdin(rng, ctx, folder):
    """Live standard input: mutated media, raw PCM or float32 EEG, or random bytes, piped."""
    kind = rng.choice(["audio", "pcm", "eeg", "random"] if ctx.quick else ["audio", "pcm", "eeg", "random", "video"])
    if kind == "audio":
        data, argv = mutate_bytes(rng, open(fixture("speech.wav"), "rb").read()), ["run", "audio-basics", "-"]
    elif kind == "video":
        data, argv = mutate_bytes(rng, open(fixture("clip.mp4"), "rb").read()), ["run", "av-basics", "-", "--realtime"]
    elif kind == "pcm":
        data, argv = rng.randbytes(rng.randint(0, 64000)), ["run", "pcm-level", "-"]
    elif kind == "eeg":
        rate = rng.choice(["128", "0.001", "100000", "1e-9", "nan"])
        data = rng.randbytes(4 * 4 * rng.randint(0, 2000) + rng.randint(0, 3))
        argv = ["run", "eeg-affect", "-", "--set", f"eeg.labels=Fp1,Fp2,F3,F4", "--set", f"eeg.rate={rate}"]
    else:
        data, argv = rng.randbytes(rng.randint(0, 200000)), ["run", "-"]
    path = os.path.join(folder, "stdin.bin")
    open(path, "wb").write(data)
    return argv, {"__stdin__": path}


SURFACES = {
    "transcripts": gen_transcript, "yaml": gen_yaml, "models": gen_model, "labels": gen_labels,
    "profiles": gen_profile, "settings": gen_set, "media": gen_media, "eeg": gen_eeg, "stdin": gen_stdin,
}


# --- running -------------------------------------------------------------------------------

def run_case(binary, case, work, keep):
    number, surface, seed = case
    rng = random.Random(seed)
    folder = os.path.join(work, f"case{number}")
    os.makedirs(folder)
    ctx = CONTEXT
    argv, env = SURFACES[surface](rng, ctx, folder)
    # A command line cannot carry NUL bytes (the kernel ends the argument there).
    argv = [argument.replace("\x00", "") for argument in argv]
    env = dict(env)
    feed = env.pop("__stdin__", None)
    environment = dict(os.environ, SWIFT_BACKTRACE="enable=no", **env)
    started = time.monotonic()
    try:
        stdin = open(feed, "rb") if feed else subprocess.DEVNULL
        try:
            finished = subprocess.run([binary] + argv, cwd=folder, env=environment, stdin=stdin,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=LIMIT_S)
        finally:
            if feed:
                stdin.close()
        status = finished.returncode
        stderr = finished.stderr.decode("utf-8", "replace")
        if status < 0 or status >= 128:
            verdict = "crash"
        elif status == 0:
            verdict = "ok"
        elif "rror" in stderr:
            verdict = "error"
        else:
            verdict = "unexplained"
    except subprocess.TimeoutExpired as expired:
        status, verdict = None, "timeout"
        stderr = (expired.stderr or b"").decode("utf-8", "replace")
    seconds = time.monotonic() - started
    if verdict in ("crash", "timeout", "unexplained") and keep:
        kept = os.path.join(keep, f"{surface}-seed{seed}")
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(folder, kept)
        with open(os.path.join(kept, "case.json"), "w") as handle:
            json.dump({"surface": surface, "seed": seed, "argv": argv, "env": env, "status": status,
                       "verdict": verdict, "stderr": stderr[-4000:]}, handle, indent=1)
    shutil.rmtree(folder, ignore_errors=True)
    return surface, verdict, status, seconds, argv, stderr.strip().splitlines()[-1:] if stderr.strip() else []


CONTEXT = None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "emopipe"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--time", type=float, default=600, help="stop starting cases after this many seconds")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--surfaces", default=",".join(SURFACES))
    parser.add_argument("--quick", action="store_true", help="only the fast commands (make test's short run)")
    parser.add_argument("--keep", default=os.path.join(ROOT, "fuzz-findings"), help="where crashes and timeouts are kept")
    parser.add_argument("--report", help="write every case's verdict as JSON lines here")
    args = parser.parse_args()
    surfaces = [name for name in args.surfaces.split(",") if name]
    for name in surfaces:
        if name not in SURFACES:
            parser.error(f"unknown surface {name}; surfaces: {', '.join(SURFACES)}")
    binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="emopipe-fuzz-")
    global CONTEXT
    CONTEXT = Context(binary, work, args.quick)
    rng = random.Random(args.seed)
    cases = [(number, surfaces[number % len(surfaces)], rng.randrange(1 << 30)) for number in range(args.cases)]
    deadline = time.monotonic() + args.time
    counts = {}
    findings = []
    report = open(args.report, "w") if args.report else None
    started = time.monotonic()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            pending = set()
            queue = iter(cases)
            while True:
                while len(pending) < args.jobs * 2 and time.monotonic() < deadline:
                    case = next(queue, None)
                    if case is None:
                        break
                    pending.add(pool.submit(run_case, binary, case, work, args.keep))
                if not pending:
                    break
                done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    surface, verdict, status, seconds, argv, last = future.result()
                    counts.setdefault(surface, {}).setdefault(verdict, 0)
                    counts[surface][verdict] += 1
                    if report:
                        report.write(json.dumps({"surface": surface, "verdict": verdict, "status": status,
                                                 "seconds": round(seconds, 2), "argv": argv, "last": last}) + "\n")
                    if verdict in ("crash", "timeout", "unexplained"):
                        findings.append((surface, verdict, status, argv, last))
                        print(f"fuzz: {verdict} ({status}) on {surface}: {' '.join(argv)}: {last}", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if report:
            report.close()
    total = sum(sum(by.values()) for by in counts.values())
    totals = {}
    for by in counts.values():
        for verdict, count in by.items():
            totals[verdict] = totals.get(verdict, 0) + count
    for surface in surfaces:
        by = counts.get(surface, {})
        print(f"  {surface:12s} " + ", ".join(f"{verdict} {by[verdict]}" for verdict in sorted(by)))
    print(f"fuzz: {total} cases (seed {args.seed}) in {time.monotonic() - started:.0f} s: {totals.get('crash', 0)} crashes, "
          f"{totals.get('timeout', 0)} runs past {LIMIT_S} s, {totals.get('error', 0)} clean errors, {totals.get('ok', 0)} accepted, "
          f"{totals.get('unexplained', 0)} failures without a message")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
