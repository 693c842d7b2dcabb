"""Writing a file safely: complete or not at all, never through a link, never over someone's file.

Every writer of the package (the cache, downloads, exports, slides, the gallery, charts,
new team entries) goes through :func:`write_file`, so that a full disk or a killed
process leaves no half-written file, a symbolic link planted at the target is never
followed, and a file the library did not make is never replaced unless the user says so.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["TEMPORARY_SUFFIX", "temporary_beside", "write_file"]

#: Every temporary file the package makes ends with this, so that it can be recognised.
TEMPORARY_SUFFIX = ".paygap-partial"


@contextlib.contextmanager
def temporary_beside(target: Path) -> Iterator[Path]:
    """Yield a new, empty, private file next to ``target``; remove it unless it was moved.

    The file is created with ``O_EXCL`` (never an existing file or link) in ``target``'s
    folder, so that :func:`os.replace` into place is atomic on the same file system.

    Examples
    --------
    >>> import os, tempfile
    >>> from pathlib import Path
    >>> from paygap_utils._files import temporary_beside
    >>> folder = Path(tempfile.mkdtemp())
    >>> with temporary_beside(folder / "a.csv") as partial:
    ...     _ = partial.write_text("x")
    ...     os.replace(partial, folder / "a.csv")
    >>> sorted(p.name for p in folder.iterdir())
    ['a.csv']
    """
    handle, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=TEMPORARY_SUFFIX, dir=target.parent
    )
    os.close(handle)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def write_file(
    target: str | Path,
    content: bytes | str | Callable[[BinaryIO], object],
    *,
    replace: bool | Callable[[Path], bool] = False,
    what: str = "the file",
) -> Path:
    """Write ``content`` to ``target`` atomically, never through a link or over a stranger's file.

    Parameters
    ----------
    target : str or Path
        The file to write; its folder is created if needed.
    content : bytes, str or callable
        What to write: bytes, text (UTF-8), or a function given the open binary file.
    replace : bool or callable
        Whether an existing ``target`` may be replaced: ``True`` (the user said so, e.g.
        ``--force``), ``False``, or a function that says whether the existing file is
        one the library wrote (e.g. by a mark inside it).
    what : str
        What the file is, for the message when it is refused.

    Returns
    -------
    Path
        ``target``. The file has the permissions any new file of the user gets (the umask).

    Raises
    ------
    FileExistsError
        When ``target`` is a symbolic link, or a file that ``replace`` does not allow
        replacing; nothing is written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from paygap_utils._files import write_file
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_file(folder / "notes.txt", "mine").read_text()
    'mine'
    >>> write_file(folder / "notes.txt", "again")
    Traceback (most recent call last):
    ...
    FileExistsError: ...notes.txt already exists and was not written by this library, ...
    """
    target = Path(target)
    if target.is_symlink():
        raise FileExistsError(
            f"{target} is a symbolic link, so {what} was not written there (writing through it "
            "could change another file). Remove the link or choose another name."
        )
    allowed = replace if isinstance(replace, bool) else replace(target) if target.exists() else True
    if target.exists() and not allowed:
        raise FileExistsError(
            f"{target} already exists and was not written by this library, so {what} was not "
            "written over it. Choose another name or folder, or move that file away (the "
            "command-line tools take --force to replace it)."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with temporary_beside(target) as partial:
        with open(partial, "wb") as file:
            if callable(content):
                content(file)
            else:
                file.write(content.encode("utf-8") if isinstance(content, str) else content)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(partial, 0o666 & ~umask)
        os.replace(partial, target)
    return target
