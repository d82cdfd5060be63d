#!/usr/bin/env python3
"""Times the voice-feature peers on the same inputs as Benchmarks/voice.sh, one core:
openSMILE eGeMAPSv02 LLDs and librosa log-mel + MFCC on the 600 s speech file, librosa.pyin
on its first 60 s. Prints JSON: seconds (median of RUNS; pyin once) and audio seconds."""
import json, os, statistics, sys, time
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import librosa, numpy as np, opensmile, soundfile as sf

speech, excerpt, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def timed(function, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter(); function(); times.append(time.perf_counter() - start)
    return statistics.median(times)
smile = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.LowLevelDescriptors)
y, sr = sf.read(speech, dtype="float32")
short, _ = sf.read(excerpt, dtype="float32")
def mel():
    m = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=512, hop_length=160, n_mels=64)
    librosa.feature.mfcc(S=librosa.power_to_db(m), n_mfcc=13)
result = {
    "audio_s": len(y) / sr, "excerpt_s": len(short) / sr,
    "opensmile_egemaps_lld_s": timed(lambda: smile.process_file(speech), runs),
    "librosa_logmel_mfcc_s": timed(mel, runs),
    "librosa_pyin_excerpt_s": timed(lambda: librosa.pyin(short, fmin=55, fmax=600, sr=sr, frame_length=640, hop_length=160), 1),
}
print(json.dumps(result))
