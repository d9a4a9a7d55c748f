"""reviewbot.github.client over real HTTP: PyGithub against the fake GitHub server on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import nbformat
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from reviewbot.config import Config
from reviewbot.core.models import Review
from reviewbot.core.submission import Submission
from reviewbot.github.client import GitHubError, GitHubRepo, PullRequestInfo, connect
from reviewbot.github.content import SUMMARY_MARKER, review_marker, summary_body
from reviewbot.github.settings import GitHubSettings
from reviewbot.pipeline import review, select_checks
from reviewbot.report.markdown import where
from reviewbot.service.settings import Settings
from tests.fakes.github_server import AppIdentity, FakeGitHub
from tests.fakes.github_state import PullFile

REPO = "octo/dlc"
FOLDER = "SmithJonesEtAl2017"
SHA1, SHA2 = "1" * 40, "2" * 40
FAST = GitHubSettings(seconds_between_requests=0, seconds_between_writes=0, max_retries=3)
HOSTILE_PATH = "/home/@someone/<img src=x>/```/d.csv"
MODEL = ('"""The model."""\nimport os\n\n\ndef load():\n    """Load."""\n    return os.sep\n'
         f'\n\nDATA = "{HOSTILE_PATH}"\n')


def added(text: str) -> str:
    """The patch of a new file: every line added."""
    lines = text.splitlines()
    return f"@@ -0,0 +1,{len(lines)} @@\n" + "\n".join(f"+{line}" for line in lines)


def notebook() -> str:
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_markdown_cell("# Adam, reproduced"),
                  nbformat.v4.new_code_cell("import model\nrows = open('/home/alice/data.csv')")]
    return nbformat.writes(book)


SUBMISSION = {"README.md": "# SmithJones\n", "model.py": MODEL, "run.ipynb": notebook(),
              "requirements.txt": "numpy==1.26.4\n"}


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server


@pytest.fixture
def github(fake: FakeGitHub) -> GitHubRepo:
    return connect(Settings(token=fake.token, api_url=fake.base_url), REPO, github_settings=FAST)


@pytest.fixture
def static_review(make_submission: Callable[..., Submission]) -> Review:
    """The real pipeline over a small submission (readme, notebook and hygiene checks)."""
    return review(make_submission(SUBMISSION, FOLDER), Config(),
                  select_checks(only=["readme", "notebook", "hygiene"]))


def open_pull(fake: FakeGitHub, files: Mapping[str, str], sha: str = SHA1,
              patches: Mapping[str, str] | None = None) -> None:
    """A PR adding ``files`` under FOLDER (or with the given patches)."""
    patches = patches or {}
    fake.add_pull(REPO, 7, sha, [PullFile(f"{FOLDER}/{name}", patches.get(name, added(text)))
                                 for name, text in files.items()])


def inline_comments(fake: FakeGitHub) -> list[dict]:
    return [c for r in fake.requests_to("POST", "/pulls/7/reviews") for c in r.body["comments"]]


def test_pull_request_reads_head_files_and_diff_lines(fake: FakeGitHub,
                                                      github: GitHubRepo) -> None:
    patch = "@@ -3,4 +3,5 @@ def f():\n context\n-old\n+new\n+newer\n context\n\\ No newline"
    fake.add_pull(REPO, 7, SHA1, [PullFile(f"{FOLDER}/model.py", patch),
                                  PullFile("logo.png", None, "added"),
                                  *[PullFile(f"{FOLDER}/f{i}.py", "@@ -0,0 +1 @@\n+x")
                                    for i in range(40)]], draft=True, author="alice")
    pr = github.pull_request(7)
    assert (pr.number, pr.head_sha, pr.draft, pr.author, pr.base_ref) == (7, SHA1, True,
                                                                          "alice", "main")
    assert len(pr.files) == 42  # two pages of 30
    assert {line for path, line in pr.commentable if path == f"{FOLDER}/model.py"} == {3, 4, 5, 6}
    assert not any(path == "logo.png" for path, _ in pr.commentable)


def test_publish_posts_check_sticky_comment_and_review_on_diff_lines(
        fake: FakeGitHub, github: GitHubRepo, static_review: Review) -> None:
    model_patch = "@@ -1,3 +1,3 @@\n \"\"\"The model.\"\"\"\n-import sys\n+import os\n \n"
    open_pull(fake, SUBMISSION, patches={"model.py": model_patch})
    pr = github.pull_request(7)
    check_id = github.start_check(pr.head_sha)
    result = github.publish(pr, [(FOLDER, static_review)], FAST, check_id)

    comments = inline_comments(fake)
    assert comments and all((c["path"], c["line"]) in pr.commentable for c in comments)
    by_path = {c["path"]: c for c in comments}
    raw = SUBMISSION["run.ipynb"].splitlines()
    nb_comment = by_path[f"{FOLDER}/run.ipynb"]
    assert "/home/alice/data.csv" in raw[nb_comment["line"] - 1]  # the raw .ipynb line
    assert "HYG003" in nb_comment["body"] and "cell 2, line 2" in nb_comment["body"]
    assert f"{FOLDER}/model.py" not in by_path  # model.py line 10 is outside the diff
    review_body = fake.requests_to("POST", "/pulls/7/reviews")[0].body["body"]
    assert "model.py:10" not in review_body and review_marker(SHA1) in review_body
    assert "are in the reviewbot summary comment" in review_body
    assert len(fake.requests_to("POST", "/check-runs")) == 1
    run = fake.state.check_run(REPO, check_id)
    assert (run["status"], run["conclusion"]) == ("completed", "failure")  # README errors
    sticky = fake.state.repo(REPO).issue_comments[7]
    assert len(sticky) == 1 and sticky[0]["body"].startswith(SUMMARY_MARKER)
    assert "| readme | ❌ failed |" in sticky[0]["body"]
    assert "`model.py:10`" in sticky[0]["body"]  # not on the diff: said in the summary
    assert result.review_posted and result.inline_comments == len(comments)


def test_annotations_are_sent_fifty_at_a_time(fake: FakeGitHub, github: GitHubRepo,
                                              make_submission: Callable[..., Submission]) -> None:
    many = '"""m."""\nimport random\nrandom.seed(0)\n' + "\n".join(
        f'P{i} = "/home/user{i}/file.txt"' for i in range(120)) + "\n"
    files = {"requirements.txt": "numpy==1.26.4\n", "many.py": many}
    result = review(make_submission(files, FOLDER), Config(), select_checks(only=["hygiene"]))
    assert len(result.findings) == 120
    open_pull(fake, files)
    check_id = github.start_check(SHA1)
    github.finish_check(check_id, [(FOLDER, result)], FAST)
    patches = [r.body for r in fake.requests_to("PATCH", f"/check-runs/{check_id}")]
    assert [len(p["output"]["annotations"]) for p in patches] == [50, 50, 20]
    assert patches[-1]["conclusion"] == "neutral" and "conclusion" not in patches[0]
    first = patches[0]["output"]["annotations"][0]
    assert first["path"] == f"{FOLDER}/many.py" and first["start_line"] == 4
    assert fake.state.check_run(REPO, check_id)["output"]["annotations_count"] == 120


def test_second_push_edits_the_sticky_comment_and_reviews_the_new_sha(
        fake: FakeGitHub, github: GitHubRepo, static_review: Review) -> None:
    open_pull(fake, SUBMISSION)
    first = github.publish(github.pull_request(7), [(FOLDER, static_review)], FAST, None)
    fake.push(REPO, 7, SHA2)
    second = github.publish(github.pull_request(7), [(FOLDER, static_review)], FAST, None)
    assert second.summary_comment_id == first.summary_comment_id
    comments = fake.state.repo(REPO).issue_comments[7]
    assert len(comments) == 1 and SHA2[:12] in comments[0]["body"]
    assert len(fake.requests_to("PATCH", f"/issues/comments/{first.summary_comment_id}")) == 1
    reviews = fake.state.pull(REPO, 7).reviews
    assert [r["commit_id"] for r in reviews] == [SHA1, SHA2]


def test_publishing_twice_for_one_sha_posts_nothing_new(
        fake: FakeGitHub, github: GitHubRepo, static_review: Review) -> None:
    open_pull(fake, SUBMISSION)
    pr = github.pull_request(7)
    check_id = github.start_check(pr.head_sha)
    github.publish(pr, [(FOLDER, static_review)], FAST, check_id)
    writes = len(fake.writes())
    again = github.publish(pr, [(FOLDER, static_review)], FAST, github.start_check(pr.head_sha))
    assert len(fake.writes()) == writes  # a redelivery or a retried job: no new write at all
    assert not again.review_posted and again.check_id == check_id
    assert len(fake.state.pull(REPO, 7).reviews) == 1


def test_text_from_the_submission_is_escaped(fake: FakeGitHub, github: GitHubRepo,
                                             static_review: Review) -> None:
    open_pull(fake, SUBMISSION)  # model.py is all added: its line 10 is on the diff
    pr = github.pull_request(7)
    github.publish(pr, [(FOLDER, static_review)], FAST, None)
    model = next(c for c in inline_comments(fake) if c["path"] == f"{FOLDER}/model.py")
    off_diff = dataclasses.replace(pr, commentable=frozenset())  # then the summary says it
    sticky = summary_body(off_diff, [(FOLDER, static_review)], FAST)
    for body in (model["body"], sticky):
        assert "d.csv" in body  # the hostile path is quoted ...
        assert "@someone" not in body  # ... mentions no one,
        assert "<img" not in body.replace("\\<img", "")  # holds no HTML,
        assert "```" not in body.replace("\\`", "")  # and opens no code fence
    assert "@\u200dsomeone" in model["body"]


def test_inline_comments_are_capped_and_request_changes_on_errors(
        fake: FakeGitHub, github: GitHubRepo, static_review: Review) -> None:
    open_pull(fake, SUBMISSION)
    settings = FAST.model_copy(update={"max_inline_comments": 1,
                                       "review_event": "REQUEST_CHANGES"})
    github.publish(github.pull_request(7), [(FOLDER, static_review)], settings, None)
    posted = fake.requests_to("POST", "/pulls/7/reviews")[0].body
    assert len(posted["comments"]) == 1 and posted["event"] == "REQUEST_CHANGES"
    assert "are in the reviewbot summary comment" in posted["body"]


def test_notes_are_said_in_the_review_and_summary(fake: FakeGitHub, github: GitHubRepo,
                                                  static_review: Review) -> None:
    open_pull(fake, SUBMISSION)
    note = "This pull request also changes files outside any submission folder: setup.cfg"
    github.publish(github.pull_request(7), [(FOLDER, static_review)], FAST, None, notes=[note])
    assert "setup.cfg" in fake.requests_to("POST", "/pulls/7/reviews")[0].body["body"]
    assert "setup.cfg" in fake.state.repo(REPO).issue_comments[7][0]["body"]


def test_a_large_review_fits_github_limits(fake: FakeGitHub, github: GitHubRepo,
                                           make_submission: Callable[..., Submission]) -> None:
    many = '"""m."""\n' + "\n".join(f'P{i} = "/home/u{i}/f.txt"  # {"x" * 60}'
                                    for i in range(1500)) + "\n"
    result = review(make_submission({"many.py": many}, FOLDER), Config(),
                    select_checks(only=["hygiene"]))
    open_pull(fake, {"many.py": many})
    check_id = github.start_check(SHA1)
    github.publish(github.pull_request(7), [(FOLDER, result)], FAST, check_id)
    run = fake.state.check_run(REPO, check_id)
    assert run["status"] == "completed" and len(run["output"]["summary"]) <= 65535
    assert "Shortened to fit" in run["output"]["summary"]
    sticky = fake.state.repo(REPO).issue_comments[7][0]["body"]
    assert len(sticky) <= 10_000 and "1501 warnings" in sticky
    inline = len(inline_comments(fake))
    assert inline == FAST.max_inline_comments  # the rest of the diff lines: annotations
    assert run["output"]["annotations_count"] == len([f for f in result.findings
                                                      if f.path]) - inline


def test_each_finding_is_said_once_inline_annotated_or_in_the_summary(
        fake: FakeGitHub, github: GitHubRepo, static_review: Review) -> None:
    readme_patch = "@@ -1 +1 @@\n-# Old\n+# SmithJones"  # README.md's line 1 only
    open_pull(fake, SUBMISSION, patches={"README.md": readme_patch})
    settings = FAST.model_copy(update={"max_inline_comments": 1})
    pr = github.pull_request(7)
    check_id = github.start_check(pr.head_sha)
    github.publish(pr, [(FOLDER, static_review)], settings, check_id)
    said_inline = {(c["path"], c["line"]) for c in inline_comments(fake)}
    annotated = {(a["path"], a["start_line"]) for r in
                 fake.requests_to("PATCH", f"/check-runs/{check_id}")
                 for a in r.body["output"].get("annotations", [])}
    sticky = fake.state.repo(REPO).issue_comments[7][0]["body"]
    assert len(said_inline) == 1 and annotated and not said_inline & annotated
    on_diff = said_inline | annotated
    for finding in static_review.findings:
        key = (f"{FOLDER}/{finding.path}", finding.line)
        row = f"| {where(finding)} | {finding.severity.value} |"
        in_details = row in sticky  # a row of the findings by file
        if key in on_diff:
            assert not in_details, finding  # on the diff: not repeated in the summary
        elif finding.path is not None and finding.line is not None:
            assert in_details, finding


def test_start_check_reuses_the_run_of_the_sha_and_mark_stale_cancels(
        fake: FakeGitHub, github: GitHubRepo) -> None:
    open_pull(fake, SUBMISSION)
    check_id = github.start_check(SHA1)
    assert github.start_check(SHA1) == check_id
    github.update_check(check_id, "static review done; 2 notebook runs queued")
    assert "2 notebook runs" in fake.state.check_run(REPO, check_id)["output"]["summary"]
    github.mark_stale(check_id, SHA2)
    run = fake.state.check_run(REPO, check_id)
    assert run["conclusion"] == "cancelled" and SHA2 in run["output"]["summary"]
    assert github.start_check(SHA1, rerun=True) != check_id


def test_report_failure_comments_once_per_job(fake: FakeGitHub, github: GitHubRepo) -> None:
    open_pull(fake, SUBMISSION)
    check_id = github.start_check(SHA1)
    for _ in range(2):
        github.report_failure(7, SHA1, "octo/dlc#7@1111111:static", "KeyError: 'x'", check_id)
    comments = fake.state.repo(REPO).issue_comments[7]
    assert len(comments) == 1 and "octo/dlc#7@1111111:static" in comments[0]["body"]
    run = fake.state.check_run(REPO, check_id)
    assert run["conclusion"] == "failure"
    assert run["output"]["title"] == "reviewbot failed (bot bug)"


def test_a_502_is_retried(fake: FakeGitHub, github: GitHubRepo) -> None:
    open_pull(fake, SUBMISSION)
    fake.fail_next(1, 502)
    assert github.pull_request(7).head_sha == SHA1
    assert len(fake.requests_to("GET", "/pulls/7")) >= 2


def test_a_secondary_rate_limit_waits_for_retry_after(fake: FakeGitHub,
                                                      github: GitHubRepo) -> None:
    open_pull(fake, SUBMISSION)
    fake.fail_next(1, 403, retry_after=1)
    started = time.monotonic()
    github.start_check(SHA1)
    assert time.monotonic() - started >= 1.0
    assert len(fake.state.repo(REPO).check_runs) == 1


def test_a_lasting_outage_is_a_retryable_error(fake: FakeGitHub) -> None:
    open_pull(fake, SUBMISSION)
    settings = FAST.model_copy(update={"max_retries": 1})
    github = connect(Settings(token=fake.token, api_url=fake.base_url), REPO,
                     github_settings=settings)
    fake.fail_next(5, 502)
    with pytest.raises(GitHubError) as caught:
        github.pull_request(7)
    assert caught.value.retryable


def test_a_wrong_token_is_a_clear_error_not_retried(fake: FakeGitHub) -> None:
    open_pull(fake, SUBMISSION)
    github = connect(Settings(token="wrong", api_url=fake.base_url), REPO, github_settings=FAST)
    with pytest.raises(GitHubError, match=r"401.*Bad credentials") as caught:
        github.pull_request(7)
    assert not caught.value.retryable


def _rsa_key(tmp_path: Path) -> tuple[Path, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path = tmp_path / "app.pem"
    path.write_bytes(pem)
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return path, public


def test_github_app_auth_uses_an_installation_token(tmp_path: Path,
                                                    static_review: Review) -> None:
    key_file, public = _rsa_key(tmp_path)
    with FakeGitHub(token="", app=AppIdentity(4242, public)) as fake:
        fake.add_repo(REPO, installation_id=77, private=True)
        open_pull(fake, SUBMISSION)
        settings = Settings(app_id="4242", private_key_file=key_file, api_url=fake.base_url)
        github = connect(settings, REPO, github_settings=FAST)
        pr = github.pull_request(7)
        github.publish(pr, [(FOLDER, static_review)], FAST, github.start_check(pr.head_sha))
        assert github.clone_token().startswith("ghs_")
        token_calls = fake.requests_to("POST", "/app/installations/77/access_tokens")
        assert token_calls and token_calls[0].authorization.startswith("Bearer ")
        assert fake.state.repo(REPO).issue_comments[7][0]["user"]["login"] == "reviewbot[bot]"
        wrong = Settings(app_id="999", private_key_file=key_file, api_url=fake.base_url)
        with pytest.raises(GitHubError, match="401"):
            connect(wrong, REPO, github_settings=FAST)


def test_public_repository_needs_no_clone_token(fake: FakeGitHub, github: GitHubRepo) -> None:
    fake.add_repo(REPO)
    assert github.clone_token() == ""


def test_pull_request_info_is_frozen(fake: FakeGitHub, github: GitHubRepo) -> None:
    open_pull(fake, SUBMISSION)
    pr = github.pull_request(7)
    assert isinstance(pr, PullRequestInfo)
    with pytest.raises(AttributeError):
        pr.head_sha = SHA2  # type: ignore[misc]
    assert json.dumps(sorted(pr.changed_paths))
