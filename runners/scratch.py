"""The scratch copy of a submission a run works in: the original is never touched.

Symbolic links are copied as the file they point to only when that file is inside the
submission; links out of it, and files over the size limit, are left out. Any committed
metrics.json is removed so only what this run writes can be read back.
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


def hand_over(folder: Path, user: tuple[int, int] | None) -> None:
    """Make ``folder`` (recursively) owned by the sandbox's user when it is not us."""
    if user is None:
        return
    for path in [folder, *folder.rglob("*")]:
        os.lchown(path, *user)
