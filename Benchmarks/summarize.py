"""Turns the hyperfine and peak-RSS measurements of Benchmarks/run.sh into a table and files."""
import datetime
import json
import os
import platform
import subprocess
import sys

throughput_path, memory_path, video, out_dir, eeg_path, eeg_mne_path = sys.argv[1:7]
runs = {r["command"]: r for r in json.load(open(throughput_path))["results"]}
memory = json.load(open(memory_path))
probe = json.loads(subprocess.run(
    ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
     "-show_entries", "stream=nb_read_packets,duration", "-of", "json", video],
    capture_output=True, text=True, check=True).stdout)["streams"][0]
frames, seconds = int(probe["nb_read_packets"]), float(probe["duration"])

rows = []
for name, run in runs.items():
    median = run["median"]
    rows.append({"name": name, "median_s": median, "x_realtime": seconds / median, "fps": frames / median,
                 "runs_s": [round(t, 4) for t in run["times"]]})
by = {r["name"]: r for r in rows}
ratios = {
    "emopipe_decode / ffmpeg_null (fps)": by["emopipe_decode"]["fps"] / by["ffmpeg_null"]["fps"],
    "emopipe_decode_threads1 / ffmpeg_null_threads1 (fps)": by["emopipe_decode_threads1"]["fps"] / by["ffmpeg_null_threads1"]["fps"],
    "decode peak RSS 10 min / 1 min": memory["decode_10min_kib"] / memory["decode_1min_kib"],
    "av-basics peak RSS 10 min / 1 min": memory["av_basics_10min_kib"] / memory["av_basics_1min_kib"],
}
eeg_run = json.load(open(eeg_path))["results"][0]
eeg_mne = json.load(open(eeg_mne_path))
eeg = {"emopipe_s": eeg_run["median"], "mne_end_to_end_s": eeg_mne["end_to_end_s"], "mne_processing_s": eeg_mne["processing_s"],
       "duration_s": eeg_mne["duration_s"], "windows": eeg_mne["windows"]}
ratios["EEG bands: MNE end to end / emopipe (speed-up)"] = eeg["mne_end_to_end_s"] / eeg["emopipe_s"]
ratios["EEG bands: MNE processing only / emopipe end to end"] = eeg["mne_processing_s"] / eeg["emopipe_s"]
date = datetime.date.today().isoformat()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
lines = [f"# EmoPipe benchmarks, {date}", "",
         f"Input: `{os.path.basename(video)}` from ../shared/bench/make_media.sh ({frames} frames, {seconds:.1f} s, "
         f"640x480 H.264 + AAC). Machine: {os.cpu_count()} x {cpu}. Median of {len(rows[0]['runs_s'])} runs (hyperfine, 1 warm-up), "
         "release build, all commands in one run.", "",
         "| command | median s | x real time | frames/s |", "|---|---:|---:|---:|"]
for r in rows:
    lines.append(f"| {r['name']} | {r['median_s']:.3f} | {r['x_realtime']:.1f} | {r['fps']:.0f} |")
lines += ["", f"EEG: `eeg.edf` ({eeg['duration_s']:.0f} s, 32 ch, 128 Hz), {eeg['windows']} windows, 5 bands; MNE 1.13 chunked Welch (the peer's code).", "",
          "| EEG band features | median s | x real time |", "|---|---:|---:|",
          f"| emopipe run Benchmarks/eeg-bands.yaml (read + compute) | {eeg['emopipe_s']:.3f} | {eeg['duration_s'] / eeg['emopipe_s']:.0f} |",
          f"| MNE read_raw_edf + pipeline | {eeg['mne_end_to_end_s']:.3f} | {eeg['duration_s'] / eeg['mne_end_to_end_s']:.0f} |",
          f"| MNE pipeline only (data in memory) | {eeg['mne_processing_s']:.3f} | {eeg['duration_s'] / eeg['mne_processing_s']:.0f} |"]
lines += ["", "| peak RSS | KiB |", "|---|---:|"]
lines += [f"| {k} | {v} |" for k, v in memory.items()]
lines += ["", "| ratio | value |", "|---|---:|"]
lines += [f"| {k} | {v:.2f} |" for k, v in ratios.items()]
text = "\n".join(lines) + "\n"
print(text)
os.makedirs(out_dir, exist_ok=True)
open(os.path.join(out_dir, f"{date}.md"), "w").write(text)
json.dump({"date": date, "frames": frames, "seconds": seconds, "throughput": rows, "memory_kib": memory,
           "eeg": eeg, "ratios": ratios}, open(os.path.join(out_dir, f"{date}.json"), "w"), indent=1)
