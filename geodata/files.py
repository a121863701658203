"""Writing a file so that no reader ever sees half of it: the one atomic write."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temporary file of this writer's own, then rename it to ``path``.

    Concurrent writers (parallel plans of the same area, two processes refreshing one cache)
    each get a unique temporary name beside ``path``, so none reads or renames another's
    half-written file; the last rename wins whole. The temporary file is removed on failure.

    Parameters
    ----------
    path
        The file to write; its directory must exist.
    write
        Writes the whole content to the path it is given.
    """
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    tmp = Path(name)
    try:
        write(tmp)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
