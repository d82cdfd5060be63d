"""Python interface to the EmoPipe command-line program.

``run`` runs the ``emopipe`` binary on files or folders and returns its frame rows and recording
records as pandas DataFrames; ``read`` loads the output folder of a finished run. The binary does
all the work: this package only starts it and reads what it writes.
"""

from ._binary import EmoPipeError, find_binary
from ._read import Result, read
from ._run import run

__all__ = ["EmoPipeError", "Result", "find_binary", "read", "run"]
__version__ = "0.1.0"
