"""Standard input (``-``): a pipe is spooled, a redirected regular file is read in place."""

from __future__ import annotations

import os
import stat

from .files import FileSetSource, OpenedFile
from .pipe import PipeSource
from .protocol import Source
from .registry import OpenOptions

STDIN = "-"
STDIN_LABEL = "stdin"


def is_stdin(spec: str) -> bool:
    return spec == STDIN


def open_stdin(spec: str, options: OpenOptions) -> Source:
    """The source reading ``options.stdin_fd`` (owned from here on), or a duplicate of fd 0."""
    fd = options.stdin_fd if options.stdin_fd is not None else os.dup(0)
    if stat.S_ISREG(os.fstat(fd).st_mode):
        return FileSetSource(STDIN_LABEL, [OpenedFile(STDIN_LABEL, fd, gzip=False)], None)
    return PipeSource(fd, STDIN_LABEL)
