"""Finding the emopipe binary and running it."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Optional, Sequence


class EmoPipeError(RuntimeError):
    """The emopipe binary failed: ``message`` is what it printed as errors, ``returncode`` its
    exit status (1: some input failed, 2: the pipeline or the command line is wrong, 130:
    interrupted), ``command`` the command line."""

    def __init__(self, message: str, returncode: int, command: Sequence[str]):
        super().__init__(message)
        self.message = message
        self.returncode = returncode
        self.command = list(command)


def find_binary(binary: Optional[str] = None) -> str:
    """The emopipe executable: ``binary`` when given, else ``$EMOPIPE_BINARY``, else ``emopipe``
    on ``PATH``."""
    candidate = binary or os.environ.get("EMOPIPE_BINARY")
    if candidate:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate)
        found = shutil.which(candidate)
        if found:
            return found
        raise FileNotFoundError(f"emopipe binary not found or not executable: {candidate}")
    found = shutil.which("emopipe")
    if found:
        return found
    raise FileNotFoundError(
        "the emopipe binary is not on PATH: install it (make install PREFIX=...) or give "
        "binary=... or set EMOPIPE_BINARY to its path"
    )


def call(binary: str, arguments: Sequence[str], cwd: Optional[str] = None) -> subprocess.CompletedProcess:
    """Runs the binary with ``arguments``; returns the finished process (stdout and stderr as text)."""
    command = [binary, *arguments]
    return subprocess.run(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, check=False)


def error_message(stderr: str) -> str:
    """The binary's error lines (``error: ...``, and the ``failed:`` lines of its summary), or all
    of stderr when it printed none."""
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    return "\n".join(lines) if lines else stderr.strip()
