"""The command line: ``reviewbot check PATH`` and ``reviewbot config show``.

This is where the parts are composed: config, discovery, pipeline and renderers. What a
user gets for bad input is one line on stderr and an exit code, never a traceback:

- 0: every submission passed; 1: a finding at or above ``fail_on``, or a check errored;
- 2: a usage or configuration error (``ReviewbotError``; typer's own usage errors too);
- 3: a bug in reviewbot (``--debug`` shows its traceback).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import re
import shutil
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from reviewbot import __version__
from reviewbot.config import LoadedConfig, effective_values, load_config
from reviewbot.core.errors import ReviewbotError, UsageError
from reviewbot.core.models import Review
from reviewbot.core.progress import progress
from reviewbot.core.submission import discover, many_submissions_note
from reviewbot.pipeline import review_path, select_checks
from reviewbot.replication.session import RunOptions, paper_rows, rejudge, run_reviews
from reviewbot.report import printable, total_verdict, verdict
from reviewbot.report.json_report import render_json
from reviewbot.report.markdown import render_markdown
from reviewbot.report.rule_docs import RuleDocs
from reviewbot.report.sarif import render_sarif
from reviewbot.report.text import render_text
from reviewbot.service.serve import (
    ALL_ROLES,
    QueueName,
    ServeRequest,
    parse_roles,
    run_serve,
    run_worker,
)

MIN_WIDTH = 120  # when not a terminal: wide enough that paths are never wrapped
EXIT_OK, EXIT_FAILED, EXIT_INTERNAL = 0, 1, 3


class ReportFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    SARIF = "sarif"
    HTML = "html"


class ConfigFormat(enum.StrEnum):
    TABLE = "table"
    TOML = "toml"


def _choice(kind: type[enum.StrEnum]) -> Callable[[str], Any]:
    """A --format parser whose error names the choices (typer's own leaks pydantic's words)."""
    def parse(value: str) -> Any:
        try:
            return kind(value)
        except ValueError:
            known = ", ".join(repr(member.value) for member in kind)
            raise typer.BadParameter(f"{value!r} is not one of {known}") from None
    return parse


def _choices(kind: type[enum.StrEnum]) -> str:
    return "|".join(member.value for member in kind)


def _completion(kind: type[enum.StrEnum]) -> Callable[[str], list[str]]:
    """Shell completion of a --format value: the choices that start with what was typed."""
    def complete(incomplete: str) -> list[str]:
        return [member.value for member in kind if member.value.startswith(incomplete)]
    return complete


# Help is printed as plain text: no Rich markup, so "[runner]" stays and flags carry no type.
EXIT_CODES = ("\b\nExit status:\n"
              "  0  every submission passed\n"
              "  1  a finding at or above [review] fail_on, or a check errored\n"
              "  2  a usage or configuration error (one line on stderr says which)\n"
              "  3  an internal error in reviewbot: please report it (--debug shows the "
              "traceback)")
app = typer.Typer(
    name="reviewbot",
    help="Review a DLC paper-replication submission: README, notebook, code and hygiene.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish)
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True,
                         rich_markup_mode=None)
app.add_typer(config_app, name="config")
index_app = typer.Typer(help="Build and inspect the similarity index.", no_args_is_help=True,
                        rich_markup_mode=None)
app.add_typer(index_app, name="index")


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"reviewbot {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_show_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show the traceback when reviewbot itself fails.")] = False,
) -> None:
    """Review a DLC paper-replication submission: README, notebook, code and hygiene."""


ConfigOption = Annotated[Path | None, typer.Option(
    "--config", "-c", metavar="FILE", dir_okay=False,
    help="config.toml to use (default: $REVIEWBOT_CONFIG, else the nearest config.toml or "
    "pyproject.toml with [tool.reviewbot] upward from the folder under review, then from "
    "the working folder, "
    "else the built-in defaults).")]
ReportFormatOption = Annotated[str, typer.Option(
    "--format", "-f", metavar=_choices(ReportFormat), parser=_choice(ReportFormat),
    autocompletion=_completion(ReportFormat), help="Report format.")]


@app.command(epilog=EXIT_CODES)
def check(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(
        metavar="PATH",
        help="A submission folder, or a DLC checkout holding AuthorEtAlYEAR folders.")],
    report_format: ReportFormatOption = ReportFormat.TEXT,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="FILE",
        help="Write the report to this file (the verdict still goes to stderr).",
        dir_okay=False)] = None,
    config: ConfigOption = None,
    only: Annotated[list[str] | None, typer.Option(
        "--only", metavar="CHECK", help="Run only this check (repeatable).")] = None,
    skip: Annotated[list[str] | None, typer.Option(
        "--skip", metavar="CHECK", help="Do not run this check (repeatable).")] = None,
    run: Annotated[bool, typer.Option(
        "--run", help="Also execute the notebooks (seeds from [runner]) and judge the paper's "
        "claims (papers/<folder>.toml).")] = False,
    runs: Annotated[int | None, typer.Option(
        "--runs", min=1, max=100, metavar="N",
        help="With --run: a fixed number of runs per notebook (default: the adaptive plan "
        "of [stats.sequential], runs added only while a claim is undecided).")
    ] = None,
    no_sandbox: Annotated[bool, typer.Option(
        "--no-sandbox", help="With --run: execute without bubblewrap (said in the review).")
    ] = False,
    plot_dir: Annotated[Path | None, typer.Option(
        "--plot-dir", metavar="DIR",
        help="With --run: folder of the claims PNG (default: next to --output, "
        "else ./reviewbot-plots).", file_okay=False)] = None,
    save_runs: Annotated[Path | None, typer.Option(
        "--save-runs", metavar="FILE",
        help="With --run: write the run results here, for `reviewbot verdict`.",
        dir_okay=False)] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="With --run: no progress on stderr.")] = False,
) -> None:
    """Review PATH and print the findings; exit 1 when the review fails."""
    options = RunOptions(runs, no_sandbox, plot_dir, save_runs, quiet) if run else None
    if not run and (runs or no_sandbox or plot_dir or save_runs):
        _say("reviewbot: error: --runs, --no-sandbox, --plot-dir and --save-runs need --run")
        raise typer.Exit(2)
    request = CheckRequest(path, report_format, output, config, tuple(only or ()),
                           tuple(skip or ()), options)
    _guarded(ctx, lambda: run_check(request))


@config_app.command("show")
def config_show(
    ctx: typer.Context,
    config: ConfigOption = None,
    config_format: Annotated[str, typer.Option(
        "--format", "-f", metavar=_choices(ConfigFormat), parser=_choice(ConfigFormat),
        autocompletion=_completion(ConfigFormat),
        help="A table, or a TOML document to start a config.toml from.")
    ] = ConfigFormat.TABLE,
    paper: Annotated[str | None, typer.Option(
        "--paper", metavar="PAPER", help="Instead: every resolved value of this paper's claims "
        "(papers/<PAPER>.toml) and where each came from.")] = None,
) -> None:
    """Print every setting with its value and where the value came from."""
    if paper is not None:
        _guarded(ctx, lambda: show_paper(config, paper))
    _guarded(ctx, lambda: show_config(config, config_format))


@app.command("verdict", epilog=EXIT_CODES)
def verdict_command(
    ctx: typer.Context,
    runs_file: Annotated[Path, typer.Argument(
        metavar="RUNS_FILE", dir_okay=False,
        help="Run results: a file from check --run --save-runs, or a JSON report of check --run.")],
    config: ConfigOption = None,
    paper: Annotated[str | None, typer.Option(
        "--paper", metavar="PAPER",
        help="Judge against papers/<PAPER>.toml (default: each submission's name).")
    ] = None,
    report_format: ReportFormatOption = ReportFormat.TEXT,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="FILE",
        help="Write the report to this file.", dir_okay=False)] = None,
    plot_dir: Annotated[Path | None, typer.Option(
        "--plot-dir", metavar="DIR",
        help="Also write the claims PNG into this folder.", file_okay=False)
    ] = None,
) -> None:
    """Re-judge stored run results under the current config, without re-running anything."""
    def action() -> int:
        loaded = load_config(config)
        reviews = rejudge(runs_file, loaded, paper, plot_dir, output)
        request = CheckRequest(runs_file, report_format, output, config, (), ())
        report = render(reviews, report_format, to_terminal=output is None, base=None,
                        loaded=loaded)
        publish(report, reviews, request)
        return EXIT_OK if all(review.passed for review in reviews) else EXIT_FAILED

    _guarded(ctx, action)


@index_app.command("add")
def index_add(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="A folder, a file or a git URL.")],
    label: Annotated[str, typer.Option("--label", help="Name shown in findings.")],
    author: Annotated[str, typer.Option("--author", help="Its author (same-author reuse).")
                      ] = "",
    template: Annotated[bool, typer.Option(
        "--template", help="Maintainers' starter code: its fingerprints are ignored.")] = False,
    config: ConfigOption = None,
) -> None:
    """Add (or update) the .py and .ipynb files of SOURCE in the similarity index."""
    from reviewbot.similarity import commands
    from reviewbot.similarity.corpus import Source

    _guarded(ctx, lambda: commands.index_add(
        _similarity_config(config), Source(source, label, author, template), _console()))


@index_app.command("build")
def index_build(ctx: typer.Context, config: ConfigOption = None) -> None:
    """Index every corpus entry of [checks.similarity] corpus in config.toml."""
    from reviewbot.similarity import commands

    _guarded(ctx, lambda: commands.index_build(_similarity_config(config), _console()))


@index_app.command("stats")
def index_stats(ctx: typer.Context, config: ConfigOption = None) -> None:
    """Print what the similarity index holds."""
    from reviewbot.similarity import commands

    _guarded(ctx, lambda: commands.index_stats(_similarity_config(config), _console()))


@app.command()
def similar(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A file or folder to compare with the index.")],
    top: Annotated[int, typer.Option("--top", min=1, help="Sources shown per file.")] = 5,
    report_format: Annotated[str, typer.Option(
        "--format", "-f", help="text, json or html.")] = "text",
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="FILE",
        help="Write the report to this file.", dir_okay=False)] = None,
    config: ConfigOption = None,
) -> None:
    """Show the indexed sources PATH resembles, best first, matched regions side by side."""
    from reviewbot.similarity import commands

    _guarded(ctx, lambda: commands.similar(_similarity_config(config), path, top,
                                           report_format, output, _console()))


def _similarity_config(path: Path | None) -> Any:  # the similarity check's Config
    return load_config(path).config.check("similarity")


def _console() -> Console:
    return Console(width=None if sys.stdout.isatty() else MIN_WIDTH)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address the webhook app listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port the webhook app listens on.")] = 8000,
    config: ConfigOption = None,
    roles: Annotated[str, typer.Option(help="What this machine does, comma-separated: "
                                            "webhook, cpu, gpu. A service host that must "
                                            "never take GPU work: webhook,cpu.")] = ALL_ROLES,
) -> None:
    """Run the webhook app and the queue consumers (cpu and gpu) on this machine."""
    _guarded(ctx, lambda: run_serve(ServeRequest(host, port, config, parse_roles(roles))))


@app.command()
def worker(
    ctx: typer.Context,
    queue: Annotated[QueueName, typer.Option("--queue", help="The queue to consume.")],
    config: ConfigOption = None,
) -> None:
    """Consume one queue: cpu (fetch, review, post) or gpu (notebook runs)."""
    _guarded(ctx, lambda: run_worker(queue.value, config))


@app.command()
def doctor(ctx: typer.Context) -> None:
    """Print what this machine can run: sandbox, GPUs, TensorFlow, kernel; exit 1 without a
    working sandbox."""
    from reviewbot.runners.doctor import run_doctor  # imports TensorFlow probes only when asked

    _guarded(ctx, run_doctor)


# ---- error handling ---------------------------------------------------------------------


def _guarded(ctx: typer.Context, action: Callable[[], int]) -> NoReturn:
    """Run ``action``; turn what it raises into one line on stderr and an exit code."""
    try:
        code = action()
    except BrokenPipeError:
        raise  # `reviewbot check . | head`: typer ends quietly
    except ReviewbotError as exc:
        _say(f"reviewbot: error: {_one_line(str(exc))}")
        code = exc.exit_code
    except Exception as exc:  # a bug: say so briefly, the traceback only on request
        if _debug_requested(ctx):
            traceback.print_exception(exc, file=sys.stderr)
        _say(f"reviewbot: internal error: {type(exc).__name__}: {_one_line(str(exc))} "
             "(please report; --debug shows the traceback)")
        code = EXIT_INTERNAL
    raise typer.Exit(code)


def _debug_requested(ctx: typer.Context) -> bool:
    return bool(ctx.find_root().params.get("debug"))


def _one_line(text: str) -> str:
    return printable(" ".join(text.split())) or "(no message)"


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# ---- check --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckRequest:
    """What ``reviewbot check`` was asked to do."""

    path: Path
    report_format: ReportFormat
    output: Path | None
    config: Path | None
    only: tuple[str, ...]
    skip: tuple[str, ...]
    run: RunOptions | None = None  # check --run: execute notebooks and judge claims


def run_check(request: CheckRequest) -> int:
    """Review every submission under the path; the exit code says whether all passed."""
    # the maintainers' config.toml is found upward from PATH (never inside a submission)
    loaded = load_config(request.config, starts=[request.path], skip=discover(request.path))
    selected = select_checks(request.only, request.skip)  # a bad config stops before any work
    pattern = loaded.config.review.submission_pattern
    folders = discover(request.path, pattern)
    reviews = review_with_progress(folders, loaded, selected)
    note = many_submissions_note(request.path, pattern)
    if note is not None:
        reviews = [dataclasses.replace(review, notes=(*review.notes, note)) for review in reviews]
    if request.run is not None:
        reviews = run_reviews(reviews, loaded, request.run, request.output)
    report = render(reviews, request.report_format, to_terminal=request.output is None,
                    base=repository_root(request.path), loaded=loaded)
    publish(report, reviews, request)
    return EXIT_OK if all(review.passed for review in reviews) else EXIT_FAILED


def review_with_progress(folders: Sequence[Path], loaded: LoadedConfig,
                         selected: Sequence[str]) -> list[Review]:
    """Each folder reviewed; a bar of folder x check on a terminal (nothing when piped)."""
    with progress("reviewing", len(folders) * len(selected)) as steps:
        return [review_path(folder, loaded.config, selected, config_source=loaded.source,
                            on_check=lambda check, name=folder.name: steps.step(
                                f"{name}: {check}"))
                for folder in folders]


def render(reviews: Sequence[Review], report_format: ReportFormat, *, to_terminal: bool,
           base: Path | None, loaded: LoadedConfig | None = None) -> str:
    if report_format is ReportFormat.HTML:  # the mentor's page, as the service serves it
        from reviewbot.service.pages import page_for, render_pages

        settings = loaded or load_config(None)
        return render_pages([page_for(review, Path(review.root), settings)
                             for review in reviews])
    if report_format is ReportFormat.JSON:
        return render_json(reviews)
    if report_format is ReportFormat.MARKDOWN:
        return render_markdown(reviews)
    if report_format is ReportFormat.SARIF:
        return render_sarif(reviews, base=base, docs=rule_docs(loaded))
    color = to_terminal and _stdout_is_terminal() and not os.environ.get("NO_COLOR")
    return render_text(reviews, color=color, width=_width(to_terminal))


def rule_docs(loaded: LoadedConfig | None) -> RuleDocs:
    """Where rule codes link: ``[github] docs_url``, else the README of the repository a
    GitHub Actions run is in (``$GITHUB_REPOSITORY``), else nowhere."""
    docs_url = loaded.config.github.docs_url if loaded is not None else ""
    repository = os.environ.get("GITHUB_REPOSITORY", "")
    if docs_url or repository:
        return RuleDocs.for_repository(repository, docs_url)
    return RuleDocs()


def publish(report: str, reviews: Sequence[Review], request: CheckRequest) -> None:
    """The report to --output or stdout; the verdict to stderr unless stdout shows it."""
    if request.output is not None:
        _write(request.output, report)
    else:
        sys.stdout.write(report)
        sys.stdout.flush()
    if request.output is not None or request.report_format is not ReportFormat.TEXT:
        for review in reviews:
            _say(f"{review.submission}: {verdict(review)}")
        if len(reviews) > 1:
            _say(total_verdict(reviews))


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write the report to {path}: {exc.strerror or exc}") from None


def repository_root(path: Path) -> Path | None:
    """The git checkout holding ``path`` (SARIF URIs are relative to it), if any."""
    start = path.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _width(to_terminal: bool) -> int:
    if to_terminal and _stdout_is_terminal():
        return shutil.get_terminal_size().columns
    return max(MIN_WIDTH, _columns_from_env())


def _columns_from_env() -> int:
    value = os.environ.get("COLUMNS", "")
    return int(value) if value.isdigit() else 0


# ---- config show --------------------------------------------------------------------------


def show_config(path: Path | None, config_format: ConfigFormat) -> int:
    loaded = load_config(path)
    values = effective_values(loaded)
    if config_format is ConfigFormat.TOML:
        sys.stdout.write(f"# reviewbot {__version__}: effective configuration ({loaded.source})\n")
        sys.stdout.write(config_toml(values))
        return EXIT_OK
    table = Table(title=f"effective configuration ({printable(loaded.source)})",
                  title_justify="left")
    table.add_column("key", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("origin", overflow="fold")  # a long path wraps rather than being cut
    for key, value, origin in values:
        table.add_row(key, Text(toml_value(value)), Text(printable(origin)))
    _stdout_console().print(table)
    return EXIT_OK


def show_paper(path: Path | None, name: str) -> int:
    """``config show --paper``: each claim's resolved values and the level each came from."""
    paper, rows = paper_rows(load_config(path), name)
    table = Table(title=f"claims of {printable(name)} ({printable(paper.source)})",
                  title_justify="left")
    for column in ("claim", "key", "value", "origin"):
        table.add_column(column, overflow="fold")
    for claim, key, value, origin in rows:
        table.add_row(Text(printable(claim)), key, Text(toml_value(value)), origin)
    _stdout_console().print(table)
    return EXIT_OK


def _stdout_console() -> Console:
    tty = _stdout_is_terminal()
    return Console(file=sys.stdout, width=None if tty else _width(False), highlight=False,
                   no_color=not tty or bool(os.environ.get("NO_COLOR")))


def config_toml(values: Iterable[tuple[str, Any, str]]) -> str:
    """A TOML document of (dotted key, value, origin), the origin as a trailing comment."""
    tables: dict[str, list[tuple[str, Any, str]]] = {}
    for key, value, origin in values:
        table, _, name = key.rpartition(".")
        tables.setdefault(table, []).append((name, value, origin))
    blocks = [_toml_block(table, entries) for table, entries in
              sorted(tables.items(), key=lambda item: item[0] != "")]  # top-level keys first
    return "\n".join(blocks)


def _toml_block(table: str, entries: list[tuple[str, Any, str]]) -> str:
    lines = [f"[{'.'.join(toml_key(part) for part in table.split('.'))}]"] if table else []
    for name, value, origin in entries:
        comment = f"# {_one_line(origin)}"
        if value is None:  # TOML has no null: leave the key out, say so
            lines.append(f"# {toml_key(name)} is not set  {comment}")
        elif table == "rules" and "[rules]" not in origin:  # decided elsewhere: a reminder
            lines.append(f"# {toml_key(name)} = {toml_value(value)}  {comment}")
        else:
            lines.append(f"{toml_key(name)} = {toml_value(value)}  {comment}")
    return "\n".join(lines) + "\n"


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_key(key: object) -> str:
    text = str(key)
    return text if _BARE_KEY.match(text) else toml_string(text)


def toml_value(value: object) -> str:
    """``value`` written as TOML (enums by their value)."""
    if isinstance(value, enum.Enum):
        return toml_value(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if value == value else "nan"
    if isinstance(value, Mapping):
        items = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return f"{{ {items} }}" if items else "{}"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return toml_string(str(value))


def toml_string(text: str) -> str:
    # A JSON string is a TOML basic string, once DEL (which TOML wants escaped) is escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def main() -> None:
    for stream in (sys.stdout, sys.stderr):  # a terminal without UTF-8 still gets the report
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    app(prog_name="reviewbot")


if __name__ == "__main__":
    main()
