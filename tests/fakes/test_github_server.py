"""The fake GitHub refuses what GitHub refuses, so that tests against it mean something."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from github import Auth, Github, GithubException

from tests.fakes.github_server import FakeGitHub
from tests.fakes.github_state import PullFile

SHA = "a" * 40
PATCH = "@@ -10,3 +10,4 @@\n ctx\n-old\n+new\n+newer\n ctx"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_pull("o/r", 1, SHA, [PullFile("A2017/m.py", PATCH)])
        yield server


def client(fake: FakeGitHub, token: str | None = None) -> Github:
    token = fake.token if token is None else token
    auth = Auth.Token(token) if token else None
    return Github(auth=auth, base_url=fake.base_url, seconds_between_requests=None,
                  seconds_between_writes=None, retry=None)


def review(fake: FakeGitHub, line: int) -> None:
    pull = client(fake).get_repo("o/r").get_pull(1)
    pull.create_review(body="b", event="COMMENT",
                       comments=[{"path": "A2017/m.py", "line": line, "side": "RIGHT",
                                  "body": "x"}])


def test_a_review_comment_outside_the_diff_is_422(fake: FakeGitHub) -> None:
    review(fake, 12)  # an added line: fine
    with pytest.raises(GithubException) as caught:
        review(fake, 14)  # past the hunk (10..13)
    assert caught.value.status == 422
    assert "must be part of the diff" in str(caught.value.data)
    assert len(fake.state.pull("o/r", 1).reviews) == 1  # all or nothing


def test_more_than_fifty_annotations_or_a_long_summary_is_422(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo("o/r")
    run = repo.create_check_run(name="c", head_sha=SHA, status="in_progress")
    note = {"path": "A2017/m.py", "start_line": 1, "end_line": 1,
            "annotation_level": "warning", "message": "m"}
    with pytest.raises(GithubException, match="50 annotations"):
        run.edit(output={"title": "t", "summary": "s", "annotations": [note] * 51})
    with pytest.raises(GithubException, match="too long"):
        run.edit(output={"title": "t", "summary": "s" * 65536})
    with pytest.raises(GithubException, match="stale"):
        run.edit(conclusion="stale")  # only GitHub may set it
    run.edit(output={"title": "t", "summary": "s", "annotations": [note] * 50})
    assert fake.state.check_run("o/r", run.id)["output"]["annotations_count"] == 50


@pytest.mark.parametrize("token", ["", "wrong"])
def test_no_or_a_wrong_token_is_401(fake: FakeGitHub, token: str) -> None:
    with pytest.raises(GithubException) as caught:
        client(fake, token).get_repo("o/r").get_pull(1).head  # noqa: B018
    assert caught.value.status == 401


def test_requests_are_recorded_and_failures_injected(fake: FakeGitHub) -> None:
    fake.fail_next(1, 502)
    with pytest.raises(GithubException) as caught:
        client(fake).get_repo("o/r").get_pull(1).head  # noqa: B018
    assert caught.value.status == 502
    client(fake).get_repo("o/r").get_commit(SHA).create_status("pending", context="rb")
    posted = fake.requests_to("POST", f"/statuses/{SHA}")
    assert posted[0].body == {"state": "pending", "context": "rb"}
