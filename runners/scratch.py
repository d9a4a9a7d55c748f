"""The scratch copy of a submission a run works in: the original is never touched.

Symbolic links are copied as the file they point to only when that file is inside the
submission; links out of it, and files over the size limit, are left out. Any committed
metrics.json is removed so only what this run writes can be read back. ``FolderQuota``
measures what the run keeps in its writable folder while it runs (the disk quota).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def copy_submission(source: Path, target: Path, max_file_bytes: int) -> list[str]:
    """Copy ``source`` into ``target``; the paths (relative) that were left out, and why."""
    root = source.resolve()
    left_out: list[str] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        relative = here.relative_to(root)
        (target / relative).mkdir(parents=True, exist_ok=True)
        linked = [name for name in dirs if (here / name).is_symlink()]
        left_out += [f"{relative / name} (link to a folder)" for name in linked]
        dirs[:] = [name for name in dirs if name not in linked]  # never walk through links
        for name in files:
            reason = _copy_file(here / name, target / relative / name, root, max_file_bytes)
            if reason:
                left_out.append(f"{relative / name} ({reason})")
    for stale in target.rglob("metrics.json"):
        stale.unlink()
    return left_out


def _copy_file(path: Path, destination: Path, root: Path, max_file_bytes: int) -> str:
    real = path.resolve()
    if path.is_symlink() and not real.is_relative_to(root):
        return "link pointing outside the submission"
    if not real.is_file():
        return "not a regular file"
    if real.stat().st_size > max_file_bytes:
        return f"larger than {max_file_bytes:,} bytes"
    shutil.copyfile(real, destination)
    return ""


class FolderQuota:
    """The disk a run's writable folder takes, measured without following any link.

    ``check`` is called every second or so while the run goes on; the walk stops as soon as
    the limit (or the entry cap) is passed, so a folder full of files costs little.
    """

    MAX_ENTRIES = 200_000

    def __init__(self, folder: Path, limit_bytes: int) -> None:
        self.folder = folder
        self.limit_bytes = limit_bytes

    def check(self) -> str:
        """Why the run must stop ("" while it is within its quota)."""
        if not self.limit_bytes:
            return ""
        used, entries = 0, 0
        stack = [str(self.folder)]
        while stack:
            try:
                with os.scandir(stack.pop()) as found:
                    for entry in found:
                        entries += 1
                        used += _usage(entry)
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
            except OSError:
                continue
            if used > self.limit_bytes or entries > self.MAX_ENTRIES:
                return self.breach(entries)
        return ""

    def breach(self, entries: int) -> str:
        if entries > self.MAX_ENTRIES:
            return (f"the run created more than {self.MAX_ENTRIES:,} files in its folder and "
                    "was stopped")
        return (f"the run wrote more than its disk limit of {self.limit_bytes >> 20:,} MiB "
                "into its folder and was stopped")


def _usage(entry: os.DirEntry) -> int:
    try:
        return entry.stat(follow_symlinks=False).st_blocks * 512
    except OSError:
        return 0
