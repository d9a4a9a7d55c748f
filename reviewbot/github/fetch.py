"""Fetch a pull request's head at its exact SHA with git, and find the submission folders.

The fetched tree is untrusted data: the fetch is shallow, takes no tags, no submodules and
no LFS objects, runs no hooks and reads no user or system git config. A token travels only
in the environment of the git process (``GIT_CONFIG_COUNT``), so it is neither written to
.git/config nor visible in the process list, and it is cut out of any error message.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from reviewbot.core.errors import ReviewbotError
from reviewbot.core.submission import is_submission_name

GIT_TIMEOUT_SECONDS = 600
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_ALLOWED_SCHEMES = ("https://", "http://", "file://")


class FetchError(ReviewbotError):
    """git could not fetch or check out the pull request's head."""


@dataclass(frozen=True)
class FolderSplit:
    """The submission folders a PR touches, and the changed paths outside any of them."""

    folders: tuple[str, ...]
    stray: tuple[str, ...]


def submission_folders(changed_paths: Iterable[str], pattern: str = "") -> FolderSplit:
    """Top-level folders named like a submission (``KingmaBa2014/...``, or ``pattern`` such
    as ``Project_*`` for a course repository); the rest is stray."""
    folders: set[str] = set()
    stray: set[str] = set()
    for path in changed_paths:
        top, sep, _ = path.partition("/")
        if sep and is_submission_name(top, pattern):
            folders.add(top)
        else:
            stray.add(path)
    return FolderSplit(tuple(sorted(folders)), tuple(sorted(stray)))


def fetch_head(clone_url: str, sha: str, dest: Path, token: str = "") -> Path:
    """Check out commit ``sha`` of ``clone_url`` into the new folder ``dest``; return ``dest``."""
    _check_request(clone_url, sha, dest)
    git = _Git(dest, token, allow_file=clone_url.startswith("file://"))
    git.run("init", "--quiet", "--template=", str(dest), cwd=dest.parent)
    git.run("fetch", "--quiet", "--depth", "1", "--no-tags", "--no-recurse-submodules",
            "--no-write-fetch-head", clone_url, f"+{sha}:refs/reviewbot/head")
    git.run("checkout", "--quiet", "--detach", sha)
    head = git.run("rev-parse", "HEAD").strip()
    if head != sha:
        raise FetchError(f"fetched {head}, expected {sha}")
    return dest


def _check_request(clone_url: str, sha: str, dest: Path) -> None:
    if not _SHA.match(sha):
        raise FetchError(f"not a full commit SHA: {sha!r}")
    if not clone_url.startswith(_ALLOWED_SCHEMES):
        raise FetchError(f"refusing to fetch from {clone_url!r}: only https and file URLs")
    if dest.exists() and any(dest.iterdir()):
        raise FetchError(f"{dest} is not empty")
    dest.mkdir(parents=True, exist_ok=True)


class _Git:
    """Runs git with a locked-down configuration (and the token) in its environment only."""

    def __init__(self, dest: Path, token: str, allow_file: bool) -> None:
        self.dest = dest
        self.secrets = [token, _basic(token)] if token else []
        settings = {
            "core.hooksPath": "/dev/null", "submodule.recurse": "false",
            "fetch.recurseSubmodules": "false", "protocol.file.allow":
                "always" if allow_file else "never",
            "protocol.ext.allow": "never", "credential.helper": "",
            "filter.lfs.smudge": "", "filter.lfs.process": "", "filter.lfs.required": "false",
            "advice.detachedHead": "false", "gc.auto": "0",
        }
        if token:  # GitHub takes an installation token as basic auth for x-access-token
            settings["http.extraHeader"] = f"Authorization: Basic {_basic(token)}"
        self.env = _git_environment(settings)

    def run(self, *args: str, cwd: Path | None = None) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=cwd or self.dest, env=self.env,
                                  capture_output=True, text=True, timeout=GIT_TIMEOUT_SECONDS,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise FetchError(f"git {args[0]} took longer than {GIT_TIMEOUT_SECONDS} s") from None
        if done.returncode != 0:
            raise FetchError(f"git {args[0]} failed: {self.redact(done.stderr.strip())}")
        return done.stdout

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


def _basic(token: str) -> str:
    return base64.b64encode(f"x-access-token:{token}".encode()).decode()


def _git_environment(settings: dict[str, str]) -> dict[str, str]:
    """The caller's PATH and locale, no user/system config, and ``settings`` as git config."""
    keep = {key: os.environ[key] for key in ("PATH", "LANG", "LC_ALL", "TMPDIR")
            if key in os.environ}
    env = {**keep, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
           "GIT_TERMINAL_PROMPT": "0", "GIT_LFS_SKIP_SMUDGE": "1", "HOME": "/nonexistent",
           "GIT_CONFIG_COUNT": str(len(settings))}
    for index, (key, value) in enumerate(settings.items()):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    return env
