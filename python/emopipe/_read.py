"""Reading what emopipe wrote into an output folder: JSON lines, CSV tables and the results
database (``emopipe.sqlite``, or the shards' ``emopipe-shard-I-of-N.sqlite``)."""

from __future__ import annotations

import glob
import json
import os
import sqlite3
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import pandas as pd

#: Columns that come first, in this order, when a table has them.
_LEADING = ["input", "stream", "frame", "t", "duration"]


@dataclass
class Result:
    """What a run produced.

    ``frames``: one row per input and time (every stream but the recording records), with the
    input's relative path in ``input`` and the stream's name in ``stream``; nested fields are
    flattened with ``_`` (``probs_happiness``), lists (``cues``) stay Python lists.
    ``recordings``: one row per input (and per interim summary), flattened likewise
    (``coverage_face``, ``emotion_probabilities_happiness``).
    ``failed``: the inputs that failed, with the binary's reason (``input``, ``error``).
    ``out``: the output folder (None when the run used a temporary one).
    """

    frames: pd.DataFrame
    recordings: pd.DataFrame
    failed: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["input", "error"]))
    out: Optional[str] = None

    def __repr__(self) -> str:
        return (f"emopipe.Result({len(self.frames)} frame rows, {len(self.recordings)} recording records, "
                f"{len(self.failed)} failed inputs" + (f", out={self.out!r}" if self.out else "") + ")")


def _database_rows(out: str) -> List[dict]:
    """The rows of every results database in ``out`` (a later shard's row for the same input wins)."""
    rows: Dict[str, dict] = {}
    paths = sorted(glob.glob(os.path.join(out, "emopipe.sqlite")) + glob.glob(os.path.join(out, "emopipe-shard-*.sqlite")))
    for path in paths:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            connection.row_factory = sqlite3.Row
            for row in connection.execute("SELECT * FROM results ORDER BY input"):
                rows[row["input"]] = dict(row)
        finally:
            connection.close()
    return list(rows.values())


def _ordered(table: pd.DataFrame) -> pd.DataFrame:
    leading = [name for name in _LEADING if name in table.columns]
    return table[leading + [name for name in table.columns if name not in leading]]


def _table(records: List[dict]) -> pd.DataFrame:
    if not records:
        return pd.DataFrame(columns=["input"])
    table = pd.json_normalize(records, sep="_")
    for name in table.columns:
        # JSON null among booleans (a modality with no frame yet) leaves an object column.
        if table[name].dtype == object:
            values = table[name].dropna()
            if len(values) and all(isinstance(value, bool) for value in values):
                table[name] = table[name].astype("boolean")
    return _ordered(table)


def _stem(path: str) -> str:
    return os.path.splitext(path)[0]


def read(out: str) -> Result:
    """Loads a finished run's output folder (``emopipe run ... -o OUT``): the JSON-lines and CSV
    files of its inputs, and, for inputs without such a file (a merged shard database), the
    recording records kept in its results database. Raises FileNotFoundError when ``out`` holds
    none of them."""
    if not os.path.isdir(out):
        raise FileNotFoundError(f"{out}: no such output folder")
    database = _database_rows(out)
    input_of_stem = {_stem(row["input"]): row["input"] for row in database}
    frames: List[dict] = []
    recordings: List[dict] = []
    tables: List[pd.DataFrame] = []
    seen = set()
    files = sorted(glob.glob(os.path.join(out, "**", "*.jsonl"), recursive=True)
                   + glob.glob(os.path.join(out, "**", "*.csv"), recursive=True))
    for path in files:
        relative = os.path.relpath(path, out)
        if relative.split(os.sep)[0] == "subjects":
            continue  # the calibration pass's kept profiles
        stem = _stem(relative)
        name = input_of_stem.get(stem, stem)
        seen.add(name)
        if path.endswith(".jsonl"):
            with open(path, encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if not line.strip():
                        continue
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError as error:
                        raise ValueError(f"{path}:{number}: not a JSON line ({error})") from None
                    record = {"input": name, **record}
                    (recordings if record.get("stream") == "recording" else frames).append(record)
        else:
            table = pd.read_csv(path).rename(columns={"timestamp": "t"})
            table.insert(0, "input", name)
            tables.append(table)
    for row in database:
        if row["input"] not in seen and row["status"] == "done" and row.get("recording"):
            recordings.append({"input": row["input"], "stream": "recording", **json.loads(row["recording"])})
    failed = pd.DataFrame([{"input": row["input"], "error": row["error"]} for row in database if row["status"] == "failed"],
                          columns=["input", "error"])
    if not files and not database:
        raise FileNotFoundError(f"{out}: no emopipe output (JSON lines, CSV or results database) in it")
    frame_table = _table(frames)
    if tables:
        frame_table = _ordered(pd.concat([frame_table] + tables, ignore_index=True)) if frames else _ordered(pd.concat(tables, ignore_index=True))
    return Result(frames=frame_table, recordings=_table(recordings), failed=failed, out=out)
