"""A fake GitHub REST API on 127.0.0.1 for PyGithub, with state, validation and a request log.

    with FakeGitHub() as github:
        github.add_pull("octo/dlc", 7, head_sha, [PullFile("A2017/x.py", patch)])
        ... Github(auth=Auth.Token(github.token), base_url=github.base_url) ...
        github.requests_to("PATCH", "/check-runs/")   # what was sent

It serves under ``/api/v3`` like GitHub Enterprise, answers 401 to a missing or wrong token,
422 where GitHub would (see ``github_state``), and can be told to fail the next requests
with a 502 or a secondary rate limit (403 with ``Retry-After``).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.fakes import github_json as js
from tests.fakes.github_state import (
    REVIEW_EVENTS,
    STATES,
    Pull,
    PullFile,
    Repo,
    State,
    Unprocessable,
    validate_check_run,
    validate_review,
)

PREFIX = "/api/v3"
TOKEN_LOGIN = "reviewbot-user"
SECONDARY_LIMIT = ("You have exceeded a secondary rate limit. Please wait a few minutes "
                   "before you try again.")


@dataclass(frozen=True)
class Recorded:
    """One request as the fake received it (path without the /api/v3 prefix)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str


RATE_LIMIT = 5000  # an installation's hourly limit


@dataclass
class Failure:
    status: int
    retry_after: int | None = None


@dataclass
class AppIdentity:
    """A GitHub App the fake knows: its id, public key and slug."""

    app_id: int
    public_key_pem: bytes
    slug: str = "reviewbot"


@dataclass
class _Auth:
    tokens: dict[str, str] = field(default_factory=dict)  # token -> login
    app: AppIdentity | None = None


class FakeGitHub:
    """Start with ``with FakeGitHub() as github:``; the server stops on exit."""

    def __init__(self, token: str = "test-token", app: AppIdentity | None = None) -> None:
        self.token = token
        self.state = State()
        self.requests: list[Recorded] = []
        self._failures: list[Failure] = []
        self._auth = _Auth({token: TOKEN_LOGIN} if token else {}, app)
        self._lock = threading.Lock()
        self.app = self._build_app()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- lifecycle -----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}"

    def __enter__(self) -> FakeGitHub:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=10)

    # -- what tests set up -----------------------------------------------------------------
    def add_repo(self, full_name: str, *, installation_id: int = 1, private: bool = False,
                 clone_url: str = "") -> Repo:
        repo = Repo(full_name, installation_id, private, clone_url)
        self.state.repos[full_name] = repo
        return repo

    def add_pull(self, full_name: str, number: int, head_sha: str, files: Sequence[PullFile],
                 **details: Any) -> Pull:
        """A pull request (creating its repository if needed) at ``head_sha``."""
        if full_name not in self.state.repos:
            self.add_repo(full_name)
        pull = Pull(number, head_sha, list(files), shas=[head_sha], **details)
        self.state.repos[full_name].pulls[number] = pull
        return pull

    def push(self, full_name: str, number: int, head_sha: str,
             files: Sequence[PullFile] | None = None) -> None:
        pull = self.state.pull(full_name, number)
        pull.head_sha = head_sha
        pull.shas.append(head_sha)
        if files is not None:
            pull.files = list(files)

    def fail_next(self, count: int, status: int = 502, retry_after: int | None = None) -> None:
        """The next ``count`` requests fail (502, or 403 secondary rate limit with Retry-After)."""
        with self._lock:
            self._failures += [Failure(status, retry_after) for _ in range(count)]

    def requests_to(self, method: str, path_part: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and path_part in r.path]

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method in ("POST", "PATCH", "PUT", "DELETE")]

    # -- the HTTP side -----------------------------------------------------------------------
    def _build_app(self) -> FastAPI:
        app = FastAPI()
        app.middleware("http")(self._gate)
        _routes_repo(app, self)
        _routes_pulls(app, self)
        _routes_comments(app, self)
        _routes_checks(app, self)
        return app

    async def _gate(self, request: Request, call_next: Any) -> Response:
        """Record, inject failures, authenticate; then route."""
        raw = await request.body()
        path = request.url.path.removeprefix(PREFIX)
        authorization = request.headers.get("authorization", "")
        self.requests.append(Recorded(request.method, path, dict(request.query_params),
                                      json.loads(raw) if raw else None, authorization))
        failure = self._pop_failure()
        if failure is not None:
            return _failure_response(failure)
        login = self._login(path, authorization)
        if login is None:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        request.state.login = login
        try:
            response = await call_next(request)
        except (KeyError, IndexError):
            response = JSONResponse({"message": "Not Found"}, status_code=404)
        # GitHub's primary rate limit headers: one call less each time, as on api.github.com
        remaining = max(0, RATE_LIMIT - len(self.requests))
        response.headers["X-RateLimit-Limit"] = str(RATE_LIMIT)
        response.headers["X-RateLimit-Remaining"] = str(remaining)
        return response

    def _pop_failure(self) -> Failure | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _login(self, path: str, authorization: str) -> str | None:
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() == "bearer" and (path.startswith("/app") or
                                           path.endswith("/installation")):
            return self._verify_jwt(credential)
        if scheme.lower() in ("token", "bearer"):
            return self._auth.tokens.get(credential)
        return None

    def _verify_jwt(self, token: str) -> str | None:
        app = self._auth.app
        if app is None:
            return None
        try:
            claims = jwt.decode(token, app.public_key_pem, algorithms=["RS256"])
        except jwt.PyJWTError:
            return None
        return f"{app.slug}[bot]" if str(claims.get("iss")) == str(app.app_id) else None

    def issue_installation_token(self) -> str:
        assert self._auth.app is not None
        token = f"ghs_fake{self.state.next_id()}"
        self._auth.tokens[token] = f"{self._auth.app.slug}[bot]"
        return token

    def app_slug(self) -> str:
        assert self._auth.app is not None
        return self._auth.app.slug


def _failure_response(failure: Failure) -> Response:
    if failure.status == 403:
        headers = {"Retry-After": str(failure.retry_after or 1)}
        return JSONResponse({"message": SECONDARY_LIMIT}, status_code=403, headers=headers)
    return JSONResponse({"message": "Server Error"}, status_code=failure.status)


def _unprocessable(error: Unprocessable) -> JSONResponse:
    return JSONResponse({"message": error.message, "errors": error.errors}, status_code=422)


def _page(request: Request, items: list[Any]) -> JSONResponse:
    """A page of ``items`` with a GitHub ``Link`` header (``page``, ``per_page``)."""
    per_page = int(request.query_params.get("per_page", 30))
    page = int(request.query_params.get("page", 1))
    chunk = items[(page - 1) * per_page: page * per_page]
    headers = {}
    if page * per_page < len(items):
        url = request.url.include_query_params(page=page + 1, per_page=per_page)
        headers["Link"] = f'<{url}>; rel="next"'
    return JSONResponse(chunk, headers=headers)


def _routes_repo(app: FastAPI, fake: FakeGitHub) -> None:
    @app.get(PREFIX + "/repos/{owner}/{name}")
    def get_repo(owner: str, name: str) -> dict[str, Any]:
        return js.repo(fake.base_url, fake.state.repo(f"{owner}/{name}"))

    @app.get(PREFIX + "/user")
    def get_user(request: Request) -> dict[str, Any]:
        return js.user(fake.base_url, request.state.login)

    @app.get(PREFIX + "/app")
    def get_app() -> dict[str, Any]:
        assert fake._auth.app is not None
        return {"id": fake._auth.app.app_id, "slug": fake.app_slug(), "name": fake.app_slug(),
                "node_id": "A_1", "owner": js.user(fake.base_url, "octo"),
                "html_url": f"https://github.test/apps/{fake.app_slug()}"}

    @app.get(PREFIX + "/repos/{owner}/{name}/installation")
    def get_installation(owner: str, name: str) -> dict[str, Any]:
        repo = fake.state.repo(f"{owner}/{name}")
        return {"id": repo.installation_id, "app_id": fake._auth.app.app_id if fake._auth.app
                else 0, "account": js.user(fake.base_url, owner), "target_type": "Organization",
                "access_tokens_url": f"{fake.base_url}/app/installations/"
                                     f"{repo.installation_id}/access_tokens"}

    @app.post(PREFIX + "/app/installations/{installation_id}/access_tokens")
    def access_token(installation_id: int) -> JSONResponse:
        known = {repo.installation_id for repo in fake.state.repos.values()}
        if installation_id not in known:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        return JSONResponse({"token": fake.issue_installation_token(),
                             "expires_at": "2099-01-01T00:00:00Z",
                             "permissions": {"checks": "write"}}, status_code=201)

    @app.get(PREFIX + "/repos/{owner}/{name}/commits/{sha}")
    def get_commit(owner: str, name: str, sha: str) -> dict[str, Any]:
        return js.commit(fake.base_url, fake.state.repo(f"{owner}/{name}"), sha)


def _routes_pulls(app: FastAPI, fake: FakeGitHub) -> None:
    @app.get(PREFIX + "/repos/{owner}/{name}/pulls/{number}")
    def get_pull(owner: str, name: str, number: int) -> dict[str, Any]:
        repo = fake.state.repo(f"{owner}/{name}")
        return js.pull(fake.base_url, repo, fake.state.pull(repo.full_name, number))

    @app.get(PREFIX + "/repos/{owner}/{name}/pulls/{number}/files")
    def get_files(owner: str, name: str, number: int, request: Request) -> JSONResponse:
        repo = fake.state.repo(f"{owner}/{name}")
        pull = fake.state.pull(repo.full_name, number)
        return _page(request, [js.pull_file(fake.base_url, repo, pull, f) for f in pull.files])

    @app.get(PREFIX + "/repos/{owner}/{name}/pulls/{number}/reviews")
    def get_reviews(owner: str, name: str, number: int, request: Request) -> JSONResponse:
        return _page(request, fake.state.pull(f"{owner}/{name}", number).reviews)

    @app.get(PREFIX + "/repos/{owner}/{name}/pulls/{number}/comments")
    def get_review_comments(owner: str, name: str, number: int,
                            request: Request) -> JSONResponse:
        return _page(request, fake.state.pull(f"{owner}/{name}", number).review_comments)

    @app.post(PREFIX + "/repos/{owner}/{name}/pulls/{number}/reviews")
    async def create_review(owner: str, name: str, number: int,
                            request: Request) -> JSONResponse:
        repo = fake.state.repo(f"{owner}/{name}")
        pull = fake.state.pull(repo.full_name, number)
        body = await request.json()
        try:
            validate_review(pull, body)
        except Unprocessable as error:
            return _unprocessable(error)
        return JSONResponse(_store_review(fake, repo, pull, body, request.state.login),
                            status_code=200)


def _store_review(fake: FakeGitHub, repo: Repo, pull: Pull, body: dict[str, Any],
                  login: str) -> dict[str, Any]:
    review_id = fake.state.next_id()
    state = REVIEW_EVENTS.get(body.get("event") or "", "PENDING")
    review = js.review(fake.base_url, repo, pull, review_id, body, login, state)
    pull.reviews.append(review)
    for comment in body.get("comments") or []:
        pull.review_comments.append(js.review_comment(
            fake.base_url, repo, pull, fake.state.next_id(), review_id, comment,
            review["commit_id"], login))
    return review


def _routes_comments(app: FastAPI, fake: FakeGitHub) -> None:
    @app.get(PREFIX + "/repos/{owner}/{name}/issues/{number}/comments")
    def list_comments(owner: str, name: str, number: int, request: Request) -> JSONResponse:
        repo = fake.state.repo(f"{owner}/{name}")
        return _page(request, repo.issue_comments.get(number, []))

    @app.post(PREFIX + "/repos/{owner}/{name}/issues/{number}/comments")
    async def create_comment(owner: str, name: str, number: int,
                             request: Request) -> JSONResponse:
        repo = fake.state.repo(f"{owner}/{name}")
        fake.state.pull(repo.full_name, number)  # 404 for an unknown PR
        body = (await request.json()).get("body") or ""
        if error := _comment_body_problem(body):
            return _unprocessable(error)
        comment = js.issue_comment(fake.base_url, repo, number, fake.state.next_id(), body,
                                   request.state.login)
        repo.issue_comments.setdefault(number, []).append(comment)
        return JSONResponse(comment, status_code=201)

    @app.patch(PREFIX + "/repos/{owner}/{name}/issues/comments/{comment_id}")
    async def edit_comment(owner: str, name: str, comment_id: int,
                           request: Request) -> JSONResponse:
        comment = fake.state.comment(f"{owner}/{name}", comment_id)
        body = (await request.json()).get("body") or ""
        if error := _comment_body_problem(body):
            return _unprocessable(error)
        if comment["user"]["login"] != request.state.login:
            return JSONResponse({"message": "Must have admin rights"}, status_code=403)
        comment["body"] = body
        return JSONResponse(comment)


def _comment_body_problem(body: str) -> Unprocessable | None:
    if not body:
        return Unprocessable("Validation Failed", ["Body can't be blank"])
    if len(body) > 65536:
        return Unprocessable("Validation Failed",
                             ["Body is too long (maximum is 65536 characters)"])
    return None


def _routes_checks(app: FastAPI, fake: FakeGitHub) -> None:
    @app.post(PREFIX + "/repos/{owner}/{name}/check-runs")
    async def create_check_run(owner: str, name: str, request: Request) -> JSONResponse:
        repo = fake.state.repo(f"{owner}/{name}")
        body = await request.json()
        try:
            if not body.get("name") or not body.get("head_sha"):
                raise Unprocessable("Invalid request.", ["name and head_sha are required"])
            validate_check_run(body)
        except Unprocessable as error:
            return _unprocessable(error)
        run = js.check_run(fake.base_url, repo, fake.state.next_id(), body, request.state.login)
        _apply_output(run, body.get("output"))
        repo.check_runs.append(run)
        return JSONResponse(_public(run), status_code=201)

    @app.patch(PREFIX + "/repos/{owner}/{name}/check-runs/{run_id}")
    async def update_check_run(owner: str, name: str, run_id: int,
                               request: Request) -> JSONResponse:
        run = fake.state.check_run(f"{owner}/{name}", run_id)
        body = await request.json()
        try:
            validate_check_run(body)
        except Unprocessable as error:
            return _unprocessable(error)
        _apply_update(run, body)
        return JSONResponse(_public(run))

    @app.get(PREFIX + "/repos/{owner}/{name}/check-runs/{run_id}")
    def get_check_run(owner: str, name: str, run_id: int) -> dict[str, Any]:
        return _public(fake.state.check_run(f"{owner}/{name}", run_id))

    @app.get(PREFIX + "/repos/{owner}/{name}/commits/{sha}/check-runs")
    def list_check_runs(owner: str, name: str, sha: str, request: Request) -> dict[str, Any]:
        wanted = request.query_params.get("check_name")
        runs = [_public(run) for run in fake.state.repo(f"{owner}/{name}").check_runs
                if run["head_sha"] == sha and wanted in (None, run["name"])]
        return {"total_count": len(runs), "check_runs": runs[::-1]}  # newest first

    @app.post(PREFIX + "/repos/{owner}/{name}/statuses/{sha}")
    async def create_status(owner: str, name: str, sha: str, request: Request) -> JSONResponse:
        repo = fake.state.repo(f"{owner}/{name}")
        body = await request.json()
        if body.get("state") not in STATES:
            return _unprocessable(Unprocessable("Validation Failed", ["state is not allowed"]))
        status = js.status(fake.base_url, repo, fake.state.next_id(), sha, body,
                           request.state.login)
        repo.statuses.append(status)
        return JSONResponse(status, status_code=201)


def _apply_update(run: dict[str, Any], body: dict[str, Any]) -> None:
    for key in ("name", "details_url", "external_id", "status"):
        if key in body:
            run[key] = body[key]
    if body.get("conclusion"):
        run.update(conclusion=body["conclusion"], status="completed", completed_at=js.NOW)
    _apply_output(run, body.get("output"))


def _apply_output(run: dict[str, Any], output: dict[str, Any] | None) -> None:
    """Title, summary and text are replaced; annotations are appended (as on GitHub)."""
    if not output:
        return
    run["output"].update({k: output[k] for k in ("title", "summary", "text") if k in output})
    run["annotations"] += output.get("annotations") or []
    run["output"]["annotations_count"] = len(run["annotations"])


def _public(run: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in run.items() if key != "annotations"}
