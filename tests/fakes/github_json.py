"""GitHub REST resources as JSON, with every URL under the fake's own base URL.

PyGithub follows URLs it receives (``issue_url``, a comment's ``url``) and refuses any
outside its ``base_url``, so each resource carries the fields PyGithub reads, built from
``api`` (e.g. ``http://127.0.0.1:PORT/api/v3``).
"""

from __future__ import annotations

from typing import Any

from tests.fakes.github_state import Pull, PullFile, Repo

NOW = "2026-01-01T00:00:00Z"


def user(api: str, login: str) -> dict[str, Any]:
    kind = "Bot" if login.endswith("[bot]") else "User"
    return {"login": login, "id": abs(hash(login)) % 10**6, "node_id": f"U_{login}",
            "type": kind, "url": f"{api}/users/{login}", "html_url": f"https://github.test/{login}"}


def repo(api: str, state: Repo) -> dict[str, Any]:
    owner, name = state.full_name.split("/")
    return {"id": abs(hash(state.full_name)) % 10**6, "node_id": f"R_{name}", "name": name,
            "full_name": state.full_name, "private": state.private,
            "owner": user(api, owner), "url": f"{api}/repos/{state.full_name}",
            "html_url": f"https://github.test/{state.full_name}",
            "clone_url": state.clone_url or f"https://github.test/{state.full_name}.git",
            "default_branch": "main"}


def pull(api: str, state: Repo, pr: Pull) -> dict[str, Any]:
    base = f"{api}/repos/{state.full_name}"
    head_repo = {**repo(api, state), "clone_url": pr.clone_url or repo(api, state)["clone_url"]}
    return {"id": pr.number * 7, "node_id": f"PR_{pr.number}", "number": pr.number,
            "state": "open", "title": f"PR {pr.number}", "draft": pr.draft,
            "user": user(api, pr.author), "url": f"{base}/pulls/{pr.number}",
            "issue_url": f"{base}/issues/{pr.number}",
            "html_url": f"https://github.test/{state.full_name}/pull/{pr.number}",
            "head": {"sha": pr.head_sha, "ref": pr.head_ref, "label": f"x:{pr.head_ref}",
                     "repo": head_repo, "user": user(api, pr.author)},
            "base": {"sha": "b" * 40, "ref": pr.base_ref, "label": f"x:{pr.base_ref}",
                     "repo": repo(api, state), "user": user(api, state.full_name.split("/")[0])},
            "changed_files": len(pr.files)}


def pull_file(api: str, state: Repo, pr: Pull, changed: PullFile) -> dict[str, Any]:
    blob = f"https://github.test/{state.full_name}/blob/{pr.head_sha}/{changed.filename}"
    data = {"sha": "f" * 40, "filename": changed.filename, "status": changed.status,
            "additions": 1, "deletions": 0, "changes": 1, "blob_url": blob, "raw_url": blob,
            "contents_url": f"{api}/repos/{state.full_name}/contents/{changed.filename}"}
    if changed.patch is not None:  # binary and very large files come without a patch
        data["patch"] = changed.patch
    return data


def issue_comment(api: str, state: Repo, number: int, comment_id: int, body: str,
                  login: str) -> dict[str, Any]:
    base = f"{api}/repos/{state.full_name}"
    return {"id": comment_id, "node_id": f"IC_{comment_id}", "body": body,
            "user": user(api, login), "url": f"{base}/issues/comments/{comment_id}",
            "issue_url": f"{base}/issues/{number}", "created_at": NOW, "updated_at": NOW,
            "html_url": f"https://github.test/{state.full_name}/pull/{number}"
                        f"#issuecomment-{comment_id}"}


def review(api: str, state: Repo, pr: Pull, review_id: int, body: dict[str, Any],
           login: str, review_state: str) -> dict[str, Any]:
    base = f"{api}/repos/{state.full_name}/pulls/{pr.number}"
    return {"id": review_id, "node_id": f"PRR_{review_id}", "user": user(api, login),
            "body": body.get("body") or "", "state": review_state,
            "commit_id": body.get("commit_id") or pr.head_sha, "submitted_at": NOW,
            "pull_request_url": base,
            "html_url": f"https://github.test/{state.full_name}/pull/{pr.number}"
                        f"#pullrequestreview-{review_id}"}


def review_comment(api: str, state: Repo, pr: Pull, comment_id: int, review_id: int,
                   comment: dict[str, Any], commit_id: str, login: str) -> dict[str, Any]:
    base = f"{api}/repos/{state.full_name}/pulls"
    return {"id": comment_id, "node_id": f"PRRC_{comment_id}", "pull_request_review_id": review_id,
            "path": comment["path"], "line": comment["line"], "side": "RIGHT",
            "body": comment["body"], "commit_id": commit_id, "user": user(api, login),
            "url": f"{base}/comments/{comment_id}", "pull_request_url": f"{base}/{pr.number}",
            "created_at": NOW, "updated_at": NOW,
            "html_url": f"https://github.test/{state.full_name}/pull/{pr.number}"
                        f"#discussion_r{comment_id}"}


def check_run(api: str, state: Repo, run_id: int, body: dict[str, Any],
              login: str) -> dict[str, Any]:
    """A new check run; ``output.annotations_count`` grows as annotations are appended."""
    status = "completed" if body.get("conclusion") else body.get("status", "queued")
    output = {"title": None, "summary": None, "text": None, "annotations_count": 0,
              "annotations_url": f"{api}/repos/{state.full_name}/check-runs/{run_id}/annotations"}
    return {"id": run_id, "node_id": f"CR_{run_id}", "name": body["name"],
            "head_sha": body["head_sha"], "external_id": body.get("external_id", ""),
            "status": status, "conclusion": body.get("conclusion"), "started_at": NOW,
            "completed_at": NOW if status == "completed" else None, "output": output,
            "url": f"{api}/repos/{state.full_name}/check-runs/{run_id}",
            "html_url": f"https://github.test/{state.full_name}/runs/{run_id}",
            "details_url": body.get("details_url"), "app": {"slug": login.removesuffix("[bot]")},
            "annotations": [], "pull_requests": []}


def status(api: str, state: Repo, status_id: int, sha: str, body: dict[str, Any],
           login: str) -> dict[str, Any]:
    return {"id": status_id, "node_id": f"S_{status_id}", "state": body["state"],
            "context": body.get("context", "default"), "description": body.get("description"),
            "target_url": body.get("target_url"), "creator": user(api, login),
            "url": f"{api}/repos/{state.full_name}/statuses/{sha}",
            "created_at": NOW, "updated_at": NOW}


def commit(api: str, state: Repo, sha: str) -> dict[str, Any]:
    base = f"{api}/repos/{state.full_name}"
    return {"sha": sha, "node_id": f"C_{sha[:8]}", "url": f"{base}/commits/{sha}",
            "html_url": f"https://github.test/{state.full_name}/commit/{sha}",
            "commit": {"message": "commit", "url": f"{base}/git/commits/{sha}"}}
