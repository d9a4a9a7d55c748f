"""The modularity check: is the code factored into reusable modules and functions?

It reports functions that are too complex (radon's cyclomatic complexity) or too long,
modules that are too long or hard to maintain (radon's maintainability index), modules
written as scripts, and files or functions that are near-copies of each other.

Each source is parsed once (``CodeUnit.tree`` is cached) and its lines are classified once
(``comments.source_lines`` is cached); near-copies are found through shared two-line
shingles, so only fragments that share code are ever compared.
"""

from __future__ import annotations

import ast
import difflib
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from pydantic import Field
from radon.metrics import h_visit_ast, mi_compute
from radon.visitors import Class, ComplexityVisitor, Function

from reviewbot.checks.base import CheckConfig, CodeUnit, own_code_units
from reviewbot.checks.comments import SourceLines, source_lines
from reviewbot.core.models import Finding, Outcome, Rule, Severity
from reviewbot.core.submission import Submission

ID = "modularity"

COMPLEX_FUNCTION = Rule(
    ID, "MOD001", Severity.WARNING, "function with high cyclomatic complexity",
    "Split the function into smaller functions, one per step; replace long if/elif chains "
    "with a dict or a loop.")
LONG_FUNCTION = Rule(
    ID, "MOD002", Severity.WARNING, "function too long",
    "Split the function into smaller functions whose names say what each step does.")
LONG_MODULE = Rule(
    ID, "MOD003", Severity.WARNING, "module too long",
    "Split the module by topic (data, model, training, evaluation).")
HARD_TO_MAINTAIN = Rule(
    ID, "MOD004", Severity.INFO, "module with a low maintainability index",
    "Make the module smaller and simpler: split it, flatten deep branching, and comment it.")
SCRIPT_STYLE = Rule(
    ID, "MOD005", Severity.WARNING, "module written as a script",
    "Move module-level code into functions (e.g. main()) and call them under "
    "`if __name__ == \"__main__\":`.")
DUPLICATE_FILES = Rule(
    ID, "MOD006", Severity.WARNING, "near-identical files",
    "Keep one module and pass what differs between the copies as parameters.")
DUPLICATE_FUNCTIONS = Rule(
    ID, "MOD007", Severity.WARNING, "near-identical functions",
    "Keep one function and pass what differs between the copies as parameters.")
RULES: tuple[Rule, ...] = (COMPLEX_FUNCTION, LONG_FUNCTION, LONG_MODULE, HARD_TO_MAINTAIN,
                           SCRIPT_STYLE, DUPLICATE_FILES, DUPLICATE_FUNCTIONS)

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_MAX_SHARERS = 50  # a shingle in more fragments than this is boilerplate or a big family
_MAX_TRIES = 5  # candidate originals compared per fragment


class Config(CheckConfig):
    """Settings of the modularity check."""

    max_complexity: int = Field(10, ge=1, description="cyclomatic complexity allowed per function")
    min_maintainability: float = Field(
        20.0, ge=0, le=100,
        description="maintainability index (0-100) under which a module is reported; "
                    "20 is the lower end of radon's rank A")
    max_function_lines: int = Field(60, ge=1, description="lines of code allowed per function")
    max_module_lines: int = Field(1000, ge=1, description="lines of code allowed per module")
    max_module_level_share: float = Field(
        0.5, ge=0, le=1, description="share of a module's statements allowed at module level")
    min_statements_for_share: int = Field(
        20, ge=1, description="modules with fewer statements are not judged as scripts")
    max_main_guard_statements: int = Field(
        10, ge=0, description="statements under `if __name__ == \"__main__\":` that still "
                              "count as a short entry point rather than a script")
    duplicate_threshold: float = Field(
        0.8, gt=0, le=1, description="similarity of normalized code lines that makes a copy")
    min_duplicate_lines: int = Field(
        20, ge=2, description="lines of code a file needs to be compared with the others")
    min_duplicate_function_lines: int = Field(
        8, ge=2, description="lines of code a function needs to be compared with the others")


# ---------------------------------------------------------------- per-function metrics


@dataclass(frozen=True)
class FunctionInfo:
    """A function or method with its size and complexity."""

    unit: CodeUnit
    name: str  # qualified: Class.method, outer.inner
    kind: str  # "function" or "method"
    line: int
    end_line: int
    nested: bool  # defined inside another function
    complexity: int | None  # None where radon does not report it


def _complexities(visitor: ComplexityVisitor) -> dict[int, int]:
    """Radon's complexity of every function, method and closure, by its def line."""
    result: dict[int, int] = {}
    stack: list[Function | Class] = [*visitor.functions, *visitor.classes]
    while stack:
        block = stack.pop()
        if isinstance(block, Class):
            stack += [*block.methods, *block.inner_classes]
        else:
            result[block.lineno] = block.complexity
            stack += block.closures
    return result


def _definitions(node: ast.AST, prefix: str = "", in_function: bool = False,
                 in_class: bool = False) -> Iterator[tuple[ast.AST, str, bool, bool]]:
    """(def node, qualified name, nested in a function, method) for every function."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, _FUNCTIONS):
            yield child, prefix + child.name, in_function, in_class
            yield from _definitions(child, f"{prefix}{child.name}.", True, False)
        elif isinstance(child, ast.ClassDef):
            yield from _definitions(child, f"{prefix}{child.name}.", in_function, True)
        elif isinstance(child, ast.stmt | ast.excepthandler | ast.match_case):
            yield from _definitions(child, prefix, in_function, in_class)


def complexity_visitor(tree: ast.Module) -> ComplexityVisitor | None:
    """Radon's visitor over ``tree``; None for code nested too deeply for its recursion."""
    try:
        return ComplexityVisitor.from_ast(tree)
    except RecursionError:
        return None


def functions(unit: CodeUnit, tree: ast.Module,
              visitor: ComplexityVisitor | None) -> list[FunctionInfo]:
    """Every function, method and closure of ``unit`` in source order."""
    complexity = _complexities(visitor) if visitor else {}
    return [FunctionInfo(unit, name, "method" if method else "function", node.lineno,
                         node.end_lineno or node.lineno, nested, complexity.get(node.lineno))
            for node, name, nested, method in _definitions(tree)]


def _function_findings(info: FunctionInfo, lines: SourceLines, config: Config) -> list[Finding]:
    findings = []
    if info.complexity is not None and info.complexity > config.max_complexity:
        message = (f"{info.kind} {info.name} has cyclomatic complexity {info.complexity} "
                   f"(limit {config.max_complexity})")
        findings.append(info.unit.finding(COMPLEX_FUNCTION, message, info.line))
    length = len(lines.code_between(info.line, info.end_line))
    if length > config.max_function_lines:
        message = (f"{info.kind} {info.name} has {length} lines of code "
                   f"(limit {config.max_function_lines})")
        findings.append(info.unit.finding(LONG_FUNCTION, message, info.line))
    return findings


# ---------------------------------------------------------------- per-module metrics


def maintainability(tree: ast.Module, visitor: ComplexityVisitor,
                    lines: SourceLines) -> float | None:
    """Radon's maintainability index (0-100) as ``radon mi`` computes it: statements stand
    for its logical lines, and comments include multi-line docstrings. None for code nested
    too deeply for radon."""
    code = lines.code_lines
    documented = lines.comment_lines + lines.long_docstring_lines
    percent = documented / code * 100 if code else 0.0
    statements = len(tree.body) + sum(map(_nested_statements, tree.body))
    try:
        volume = h_visit_ast(tree).total.volume
    except RecursionError:
        return None
    return float(mi_compute(volume, visitor.total_complexity, statements, percent))


def _rank(index: float) -> str:
    return "A" if index >= 20 else "B" if index >= 10 else "C"


def _module_findings(unit: CodeUnit, index: float | None, lines: SourceLines,
                     config: Config) -> list[Finding]:
    findings = []
    if lines.code_lines > config.max_module_lines:
        message = (f"{unit.path} has {lines.code_lines} lines of code "
                   f"(limit {config.max_module_lines})")
        findings.append(unit.finding(LONG_MODULE, message, None))
    if index is not None and index < config.min_maintainability:
        message = (f"{unit.path} has maintainability index {index:.1f} (radon rank "
                   f"{_rank(index)}; limit {config.min_maintainability:g})")
        findings.append(unit.finding(HARD_TO_MAINTAIN, message, None))
    return findings


# ---------------------------------------------------------------- script-style modules


@dataclass
class StatementCount:
    """Statements that run at module level (their lines) and statements inside functions."""

    script_lines: list[int] = field(default_factory=list)
    in_functions: int = 0
    guarded: int = 0  # of the script lines, those under ``if __name__ == "__main__":``

    @property
    def total(self) -> int:
        return len(self.script_lines) + self.in_functions

    @property
    def share(self) -> float:
        return len(self.script_lines) / self.total if self.total else 0.0


def count_statements(body: list[ast.stmt], max_guard: int, top: bool = True) -> StatementCount:
    """Count where ``body``'s statements run; declarations (imports, docstrings, literal
    constants at the top) count nowhere, and a short ``__main__`` guard is an entry point."""
    count = StatementCount()
    for node in body:
        if isinstance(node, _DEFINITIONS):
            count.in_functions += _nested_statements(node)
        elif _is_main_guard(node):
            guard = count_statements(node.body, max_guard, top=False)
            _add_guard(count, guard, node, max_guard)
        elif not _is_declaration(node, top):
            inner = count_statements(_child_statements(node), max_guard, top=False)
            count.script_lines += [node.lineno, *inner.script_lines]
            count.in_functions += inner.in_functions
    return count


def _nested_statements(node: ast.stmt) -> int:
    """Statements inside ``node``, walking statement lists only (expressions hold none)."""
    children = _child_statements(node)
    return len(children) + sum(_nested_statements(child) for child in children)


def _add_guard(count: StatementCount, guard: StatementCount, node: ast.If,
               max_guard: int) -> None:
    count.in_functions += guard.in_functions
    if len(guard.script_lines) > max_guard:
        count.script_lines += [node.lineno, *guard.script_lines]
        count.guarded += len(guard.script_lines) + 1


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    sides = [node.test.left, *node.test.comparators]
    names = {side.id for side in sides if isinstance(side, ast.Name)}
    values = {side.value for side in sides if isinstance(side, ast.Constant)}
    return names == {"__name__"} and values == {"__main__"}


def _is_declaration(node: ast.stmt, top: bool) -> bool:
    if isinstance(node, ast.Import | ast.ImportFrom | ast.Pass):
        return True
    if isinstance(node, ast.Expr):
        return isinstance(node.value, ast.Constant)  # docstrings and stray strings
    if top and isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return (node.value is not None and all(map(_is_constant_name, targets)) and
                _is_literal(node.value))
    return False


def _is_constant_name(target: ast.expr) -> bool:
    """``LEARNING_RATE``, ``__all__`` or a tuple of them: a constant by convention."""
    if isinstance(target, ast.Tuple | ast.List):
        return all(map(_is_constant_name, target.elts))
    if not isinstance(target, ast.Name):
        return False
    return target.id.isupper() or (target.id.startswith("__") and target.id.endswith("__"))


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _child_statements(node: ast.stmt) -> list[ast.stmt]:
    children: list[ast.stmt] = []
    for name in ("body", "orelse", "finalbody"):
        value = getattr(node, name, None)
        if isinstance(value, list):
            children += value
    for holder in (*getattr(node, "handlers", ()), *getattr(node, "cases", ())):
        children += holder.body
    return children


def _script_finding(unit: CodeUnit, count: StatementCount, config: Config) -> Finding | None:
    if count.total < config.min_statements_for_share:
        return None
    if count.share <= config.max_module_level_share:
        return None
    name = unit.path.rsplit("/", 1)[-1]
    outside = len(count.script_lines)
    if count.guarded == outside:
        where = 'under `if __name__ == "__main__":`, outside any function'
    elif count.guarded:
        where = (f'outside functions ({outside - count.guarded} at module level, '
                 f'{count.guarded} under `if __name__ == "__main__":`)')
    else:
        where = "at module level"
    message = (f"{count.share:.0%} of {name}'s statements run {where} "
               f"({outside} of {count.total}): move them into functions")
    return unit.finding(SCRIPT_STYLE, message, min(count.script_lines))


# ---------------------------------------------------------------- near-identical code


@dataclass(frozen=True)
class Fragment:
    """A file or a function as normalized code lines (no comments, blanks or docstrings)."""

    unit: CodeUnit
    label: str
    line: int | None
    lines: tuple[str, ...]


def earlier_matches(fragments: list[Fragment], threshold: float) -> dict[int, tuple[int, float]]:
    """For each fragment, an earlier one it is at least ``threshold`` similar to, and how much.

    Candidates are tried most shared shingles first, a few per fragment, so a large family
    of copies costs a few comparisons per member rather than one per pair.
    """
    found: dict[int, tuple[int, float]] = {}
    for later, candidates in _candidates(fragments, threshold).items():
        for earlier in candidates[:_MAX_TRIES]:
            ratio = similarity(fragments[earlier].lines, fragments[later].lines, threshold)
            if ratio >= threshold:
                found[later] = (earlier, ratio)
                break
    return found


def _candidates(fragments: list[Fragment], threshold: float) -> dict[int, list[int]]:
    """For each fragment, the earlier ones that may be copies, most shared shingles first."""
    ranked: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (earlier, later), shared in _shared_shingles(fragments).items():
        if _could_match(fragments[earlier], fragments[later], shared, threshold):
            ranked[later].append((-shared, earlier))
    return {later: [earlier for _, earlier in sorted(pairs)] for later, pairs in ranked.items()}


def _shared_shingles(fragments: list[Fragment]) -> Counter[tuple[int, int]]:
    """How many pairs of consecutive lines each (earlier, later) pair of fragments shares."""
    sharers: dict[int, list[int]] = defaultdict(list)
    for index, fragment in enumerate(fragments):
        for shingle in set(zip(fragment.lines, fragment.lines[1:], strict=False)):
            sharers[hash(shingle)].append(index)
    shared: Counter[tuple[int, int]] = Counter()
    for indexes in sharers.values():
        shared.update(_sharing_pairs(indexes))
    return shared


def _sharing_pairs(indexes: list[int]) -> Iterator[tuple[int, int]]:
    """All pairs among a few sharers; among many (boilerplate, or a big family of copies),
    each with the one before it, which still links every copy to an earlier one."""
    if len(indexes) <= _MAX_SHARERS:
        return itertools.combinations(indexes, 2)
    return itertools.pairwise(indexes)


def _could_match(first: Fragment, second: Fragment, shared: int, threshold: float) -> bool:
    small, large = sorted((len(first.lines), len(second.lines)))
    # A ratio 2m / (a + b) >= t needs small / large >= t / (2 - t) ...
    if small < threshold / (2 - threshold) * large:
        return False
    # ... and m >= t (a + b) / 2 matching lines in runs, which share about t (a + b) - small
    # consecutive pairs; half of that leaves room for lines repeated within a fragment.
    return shared >= (threshold * (small + large) - small - 1) / 2


def similarity(first: tuple[str, ...], second: tuple[str, ...], threshold: float = 0.0) -> float:
    """Share of matching lines (difflib's ratio); the cheap bounds skip hopeless pairs."""
    matcher = difflib.SequenceMatcher(None, first, second, autojunk=False)
    if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
        return 0.0
    return matcher.ratio()


def _file_fragments(units: list[tuple[CodeUnit, SourceLines]], config: Config) -> list[Fragment]:
    return [Fragment(unit, unit.path, None, lines.code_texts) for unit, lines in units
            if lines.code_lines >= config.min_duplicate_lines]


def _function_fragments(infos: list[FunctionInfo], lines_of: dict[str, SourceLines],
                        config: Config) -> list[Fragment]:
    fragments = []
    for info in infos:
        if info.nested:
            continue  # a closure is compared as part of its function
        code = lines_of[info.unit.path].code_between(info.line, info.end_line)
        if len(code) >= config.min_duplicate_function_lines:
            fragments.append(Fragment(info.unit, f"{info.kind} {info.name}", info.line, code))
    return fragments


def _place(fragment: Fragment) -> str:
    """``path:line``, or ``path cell N:L`` inside a notebook."""
    notebook = fragment.unit.notebook
    origin = notebook.locate(fragment.line) if notebook and fragment.line else None
    if origin is not None:
        return f"{fragment.unit.path} cell {origin.cell}:{origin.cell_line}"
    return f"{fragment.unit.path}:{fragment.line}"


def _duplicate_file_findings(fragments: list[Fragment],
                             config: Config) -> tuple[list[Finding], set[frozenset[str]]]:
    """One finding per copied file, and the pairs of paths found to be copies."""
    findings, copies = [], set()
    matches = earlier_matches(fragments, config.duplicate_threshold)
    for later, (earlier, ratio) in sorted(matches.items()):
        copy, original = fragments[later], fragments[earlier]
        message = (f"{copy.unit.path} is {ratio:.0%} identical to {original.unit.path} "
                   f"({len(copy.lines)} and {len(original.lines)} lines of code): factor the "
                   "shared code into one module with parameters")
        findings.append(copy.unit.finding(DUPLICATE_FILES, message, None))
        copies.add(frozenset((copy.unit.path, original.unit.path)))
    return findings, copies


def _duplicate_function_findings(fragments: list[Fragment], file_copies: set[frozenset[str]],
                                 config: Config) -> list[Finding]:
    """One finding per copied function, except inside files already reported as copies."""
    findings = []
    matches = earlier_matches(fragments, config.duplicate_threshold)
    for later, (earlier, ratio) in sorted(matches.items()):
        copy, original = fragments[later], fragments[earlier]
        if _same_cluster(copy.unit.path, original.unit.path, file_copies):
            continue
        message = (f"{copy.label} ({_place(copy)}, {len(copy.lines)} lines of code) is "
                   f"{ratio:.0%} identical to {original.label} ({_place(original)}): keep one "
                   "function and pass what differs as parameters")
        findings.append(copy.unit.finding(DUPLICATE_FUNCTIONS, message, copy.line))
    return findings


def _same_cluster(first: str, second: str, copies: set[frozenset[str]]) -> bool:
    """Whether two different files are linked by a chain of reported copies."""
    if first == second:
        return False
    reached, frontier = {first}, [first]
    while frontier:
        path = frontier.pop()
        for pair in copies:
            if path in pair:
                other = next(iter(pair - {path}), path)
                if other not in reached:
                    reached.add(other)
                    frontier.append(other)
    return second in reached


# ---------------------------------------------------------------- the check


@dataclass
class _Survey:
    """What one pass over the units gathered for the findings and the stats."""

    findings: list[Finding] = field(default_factory=list)
    functions: list[FunctionInfo] = field(default_factory=list)
    lines_of: dict[str, SourceLines] = field(default_factory=dict)
    units: list[tuple[CodeUnit, SourceLines]] = field(default_factory=list)
    shares: dict[str, float] = field(default_factory=dict)
    maintainability: dict[str, float] = field(default_factory=dict)
    unmeasured: list[str] = field(default_factory=list)  # too deeply nested for radon


def run(submission: Submission, config: Config) -> Outcome:
    """Complexity, length, maintainability, script style and copies over every code unit."""
    survey = _Survey()
    for unit in own_code_units(submission):
        lines = source_lines(unit.text)
        if unit.tree is not None and lines is not None:
            _survey_unit(survey, unit, unit.tree, lines, config)
    file_findings, copies = _duplicate_file_findings(_file_fragments(survey.units, config), config)
    function_fragments = _function_fragments(survey.functions, survey.lines_of, config)
    function_findings = _duplicate_function_findings(function_fragments, copies, config)
    findings = survey.findings + file_findings + function_findings
    stats = _stats(survey, len(file_findings), len(function_findings))
    return Outcome(tuple(findings), stats)


def _survey_unit(survey: _Survey, unit: CodeUnit, tree: ast.Module, lines: SourceLines,
                 config: Config) -> None:
    visitor = complexity_visitor(tree)
    infos = functions(unit, tree, visitor)
    survey.functions += infos
    survey.lines_of[unit.path] = lines
    survey.units.append((unit, lines))
    survey.findings += [finding for info in infos
                        for finding in _function_findings(info, lines, config)]
    if visitor is None:
        survey.unmeasured.append(unit.path)
    if unit.notebook is None:  # a notebook is a script by nature: only its functions count
        _survey_module(survey, unit, tree, lines, visitor, config)


def _survey_module(survey: _Survey, unit: CodeUnit, tree: ast.Module, lines: SourceLines,
                   visitor: ComplexityVisitor | None, config: Config) -> None:
    index = maintainability(tree, visitor, lines) if visitor else None
    if index is not None:
        survey.maintainability[unit.path] = round(index, 1)
    survey.findings += _module_findings(unit, index, lines, config)
    count = count_statements(tree.body, config.max_main_guard_statements)
    survey.shares[unit.path] = round(count.share, 3)
    script = _script_finding(unit, count, config)
    survey.findings += [script] if script else []


def _stats(survey: _Survey, duplicate_files: int, duplicate_functions: int) -> dict[str, object]:
    measured = [info for info in survey.functions if info.complexity is not None]
    worst = max(measured, key=lambda info: info.complexity or 0, default=None)
    mean = (round(sum(info.complexity or 0 for info in measured) / len(measured), 2)
            if measured else None)
    return {
        "summary": (f"{len(survey.functions)} functions, mean complexity {mean:.1f}"
                    if mean is not None else "no functions"),
        "functions": len(survey.functions),
        "mean_complexity": mean,
        "worst_function": None if worst is None else {
            "name": worst.name, "path": worst.unit.path, "line": worst.line,
            "complexity": worst.complexity},
        "module_level_share": survey.shares,
        "maintainability": survey.maintainability,
        "duplicate_files": duplicate_files,
        "duplicate_functions": duplicate_functions,
        "complexity_not_measured": survey.unmeasured,
    }
