"""``emopipe.run``: the binary on files or folders, its results as DataFrames."""

from __future__ import annotations

import os
import tempfile
import warnings
from typing import Iterable, Optional, Union

from ._binary import EmoPipeError, call, error_message, find_binary
from ._read import Result, read

PathLike = Union[str, "os.PathLike[str]"]


def _setting(name: str, value) -> str:
    """``--set`` text for one setting: ``vad__hangover_ms=200`` or ``{"vad.hangover_ms": 200}``
    give ``vad.hangover_ms=200``; booleans are ``true``/``false``, lists are comma-separated."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (list, tuple)):
        text = ",".join(str(item) for item in value)
    else:
        text = str(value)
    return f"{name.replace('__', '.')}={text}"


def run(inputs: Union[PathLike, Iterable[PathLike]], pipeline: Optional[str] = None, out: Optional[PathLike] = None, *,
        binary: Optional[str] = None, jobs: Optional[int] = None, force: bool = False, errors: str = "raise",
        **settings) -> Result:
    """Runs emopipe on ``inputs`` (a file, a folder, or a list of them) and returns a ``Result``
    with the frame rows and the recording records as DataFrames.

    ``pipeline``: a pipeline file (``.yaml``) or a stored pipeline's name (``av-affect``,
    ``voice-affect``, ``text-affect``, ...); None gives each input the default for its type.
    ``out``: the output folder to keep (a rerun resumes: inputs already done with the same
    configuration are skipped, unless ``force``); None runs into a temporary folder that is
    removed afterwards. ``jobs``: inputs at a time. ``settings``: stage parameters
    (``emopipe run --set``): ``level__hop_ms=20``, or ``**{"level.hop_ms": 20}``.
    ``errors``: ``"raise"`` raises ``EmoPipeError`` when the binary exits non-zero (its message
    and status); ``"warn"`` returns what finished, with the failed inputs in ``result.failed``,
    and raises only when the command line or pipeline is wrong (status 2).
    """
    if errors not in ("raise", "warn"):
        raise ValueError("errors must be 'raise' or 'warn'")
    executable = find_binary(binary)
    paths = [os.fspath(inputs)] if isinstance(inputs, (str, os.PathLike)) else [os.fspath(item) for item in inputs]
    if not paths:
        raise ValueError("give at least one input")
    temporary = None
    if out is None:
        temporary = tempfile.TemporaryDirectory(prefix="emopipe-")
        folder = temporary.name
    else:
        folder = os.fspath(out)
    arguments = ["run"] + ([pipeline] if pipeline else []) + paths + ["-o", folder]
    if jobs is not None:
        arguments += ["--jobs", str(int(jobs))]
    if force:
        arguments.append("--force")
    for name, value in settings.items():
        arguments += ["--set", _setting(name, value)]
    try:
        finished = call(executable, arguments)
        if finished.returncode != 0 and (errors == "raise" or finished.returncode != 1):
            raise EmoPipeError(error_message(finished.stderr), finished.returncode, [executable, *arguments])
        try:
            result = read(folder)
        except FileNotFoundError:
            raise EmoPipeError(error_message(finished.stderr) or "emopipe wrote nothing", finished.returncode,
                               [executable, *arguments]) from None
        if finished.returncode != 0:
            warnings.warn(f"emopipe: {len(result.failed)} input(s) failed:\n{error_message(finished.stderr)}", stacklevel=2)
        if temporary is not None:
            result.out = None
        return result
    finally:
        if temporary is not None:
            temporary.cleanup()
