"""MNE's side of the EEG benchmark: the peer's own code (../shared/bench/peers/peer_mne.py,
chunked Welch, the fastest MNE path) on the shared one-hour EDF, timed end to end (EDF read
included, as `emopipe run` is) and processing only (as the peer reports it).
usage: eeg_mne.py SHARED_BENCH_DIR EDF RUNS -> one JSON line on stdout."""
import json
import statistics
import sys
import time

sys.path.insert(0, sys.argv[1] + "/peers")
import mne  # noqa: E402
import peer_mne  # noqa: E402

edf, runs = sys.argv[2], int(sys.argv[3])
end_to_end, processing = [], []
for _ in range(runs + 1):  # the first run warms up
    t0 = time.perf_counter()
    raw = mne.io.read_raw_edf(edf, preload=True, verbose=False)
    t1 = time.perf_counter()
    stages, bp, de = peer_mne.pipeline(raw, peer_mne.psd_chunked)
    t2 = time.perf_counter()
    end_to_end.append(t2 - t0)
    processing.append(t2 - t1)
print(json.dumps({"end_to_end_s": statistics.median(end_to_end[1:]), "processing_s": statistics.median(processing[1:]),
                  "windows": int(bp.shape[0]), "duration_s": raw.times[-1] + 1 / raw.info["sfreq"]}))
