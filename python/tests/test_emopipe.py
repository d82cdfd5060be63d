"""The Python interface against the built binary on the repository's fixtures.

The binary comes from $EMOPIPE_BINARY (`make test` sets it to the debug build) or PATH."""

import os
import shutil
import sqlite3
import warnings

import pandas as pd
import pytest

import emopipe

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "Fixtures")


def fixture(name):
    return os.path.join(FIXTURES, name)


@pytest.fixture(scope="module")
def face():
    return emopipe.run(fixture("face.mp4"))


def test_run_returns_frames_and_the_recording_record_as_typed_dataframes(face):
    assert isinstance(face.frames, pd.DataFrame) and isinstance(face.recordings, pd.DataFrame)
    assert list(face.recordings["input"]) == ["face.mp4"]
    record = face.recordings.iloc[0]
    assert record["pipeline"] == "av-affect" and record["stream"] == "recording"
    assert record["emotion"] in {"neutral", "anger", "disgust", "fear", "happiness", "sadness", "surprise"}
    assert 0 <= record["ah"] <= 1 and record["coverage_face"] == 1.0
    assert abs(sum(record[f"emotion_probabilities_{name}"] for name in
                   ["neutral", "anger", "disgust", "fear", "happiness", "sadness", "surprise"]) - 1) < 1e-4
    frames = face.frames
    assert list(frames.columns[:4]) == ["input", "stream", "frame", "t"]
    assert (frames["input"] == "face.mp4").all() and (frames["stream"] == "ah").all()
    assert len(frames) == record["frames"]
    assert pd.api.types.is_float_dtype(frames["t"]) and pd.api.types.is_float_dtype(frames["valence"])
    assert pd.api.types.is_integer_dtype(frames["frame"]) and pd.api.types.is_bool_dtype(frames["face"])
    assert frames["t"].is_monotonic_increasing
    assert isinstance(frames["cues"].iloc[0], list)
    assert face.out is None and face.failed.empty


def test_a_folder_names_each_input_and_read_loads_the_same_batch(tmp_path):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    shutil.copy(fixture("speech.wav"), data / "a.wav")
    shutil.copy(fixture("speech.wav"), data / "sub" / "b.wav")
    out = tmp_path / "out"
    result = emopipe.run(str(data), pipeline="voice-affect", out=str(out), jobs=2)
    assert list(result.recordings["input"]) == ["a.wav", "sub/b.wav"]
    assert set(result.frames["input"]) == {"a.wav", "sub/b.wav"}
    assert result.out == str(out)
    again = emopipe.read(str(out))
    pd.testing.assert_frame_equal(again.recordings, result.recordings)
    pd.testing.assert_frame_equal(again.frames, result.frames)
    # A merged shard database alone (no JSON lines) still gives the recording records.
    for name in ["a.jsonl", "sub/b.jsonl"]:
        os.remove(out / name)
    from_database = emopipe.read(str(out))
    assert list(from_database.recordings["input"]) == ["a.wav", "sub/b.wav"]
    assert from_database.frames.empty
    assert from_database.recordings["ah"].tolist() == pytest.approx(result.recordings["ah"].tolist())


def test_settings_reach_the_stages_and_csv_outputs_are_read(tmp_path):
    coarse = emopipe.run(fixture("speech.wav"), pipeline="audio-basics", level__hop_ms=20)
    fine = emopipe.run(fixture("speech.wav"), pipeline="audio-basics", **{"level.hop_ms": 10})
    assert len(fine.frames) == pytest.approx(2 * len(coarse.frames), abs=2)
    assert coarse.recordings.empty and set(coarse.frames["stream"]) == {"level"}
    table = emopipe.run(fixture("stereo.flac"), pipeline="audio-level-csv", out=str(tmp_path / "csv"))
    assert list(table.frames.columns) == ["input", "t", "rms_dbfs", "peak_dbfs"]
    assert (table.frames["input"] == "stereo.flac").all() and table.frames["t"].iloc[1] == pytest.approx(0.01)


def test_errors_from_the_binary_arrive_as_an_exception_with_its_message(tmp_path):
    with pytest.raises(emopipe.EmoPipeError) as missing:
        emopipe.run(str(tmp_path / "nothing.mp4"))
    assert missing.value.returncode == 1 and "nothing.mp4: no such file or folder" in missing.value.message
    with pytest.raises(emopipe.EmoPipeError) as wrong:
        emopipe.run(fixture("speech.wav"), pipeline="audio-basics", level__hop_ms=-5)
    assert wrong.value.returncode == 2 and "hop_ms" in str(wrong.value)
    # With errors="warn" the good inputs come back and the failed ones are listed.
    broken = tmp_path / "broken.wav"
    broken.write_text("this is not a sound file")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        partial = emopipe.run([fixture("speech.wav"), str(broken)], pipeline="audio-basics", errors="warn")
    assert list(partial.failed["input"]) == ["broken.wav"]
    assert partial.failed["error"].iloc[0].startswith(f"{broken}: stage 'media' (source.media): cannot open")
    assert set(partial.frames["input"]) == {"speech.wav"}
    assert any("1 input(s) failed" in str(warning.message) for warning in caught)


def test_the_binary_is_found_or_named(monkeypatch, tmp_path):
    monkeypatch.setenv("EMOPIPE_BINARY", str(tmp_path / "no-such-emopipe"))
    with pytest.raises(FileNotFoundError, match="no-such-emopipe"):
        emopipe.run(fixture("speech.wav"))
    with pytest.raises(FileNotFoundError, match="no emopipe output"):
        emopipe.read(str(tmp_path))
