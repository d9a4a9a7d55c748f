"""Which paper does the README replicate? Find the link or id that names it.

A scholarly link (arXiv, DOI, a venue's site, a PDF) is taken for the paper when it is
plainly the paper: its text or line repeats the README's title, it names the folder's
authors and year (DLC folder names), it is the URL or id that the maintainers' bibliography
or the paper's claims file gives, or it sits in the introduction on a line that says it is
the paper. A link in a reference list that matches none of these is some other work the
README cites. Links of the maintainers' README template (the course page, the project
list) and links to code, data and media hosts are never the paper.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from reviewbot.checks.readme_doc import Link, Readme

_SCHOLARLY = re.compile(
    r"arxiv\.org/(abs|pdf)/|doi\.org/|openreview\.net|aclanthology\.org|aclweb\.org|"
    r"papers\.nips\.cc|proceedings\.(mlr\.press|neurips\.cc)|jmlr\.org|ieeexplore\.ieee\.org|"
    r"dl\.acm\.org|link\.springer\.com|sciencedirect\.com|semanticscholar\.org|nature\.com|"
    r"thecvf\.com|cv-foundation\.org|ojs\.aaai\.org|aaai\.org/.+\.pdf|ijcai\.org|"
    r"researchgate\.net/publication|\.pdf(\b|$)|^arxiv[:\s]|^doi:|^10\.\d", re.IGNORECASE)
_ID_IN_TEXT = re.compile(r"\barxiv[:\s]\s*(\d{4}\.\d{4,5}|[a-z.-]+/\d{7})(v\d+)?|"
                         r"\bdoi:\s*(10\.\d{4,9}/\S+)", re.IGNORECASE)
_BARE = re.compile(r"(?<![/\w.])(arxiv\.org/(abs|pdf)/[\w.]+|doi\.org/\S+|10\.\d{4,9}/[^\s)\]]+)")
_NOT_PAPER_HOSTS = re.compile(
    r"github\.com|githubusercontent\.com|gitlab\.com|drive\.google|colab\.research|wandb\.ai|"
    r"kaggle\.com|youtube\.com|youtu\.be|linkedin\.com|scholar\.google|twitter\.com|"
    r"paperswithcode\.com/dataset|pytorch\.org|tensorflow\.org", re.IGNORECASE)
_PAPER_LINE = re.compile(r"\b(the|this|original|our|reproduc\w*|replicat\w*|implement\w*)\s+"
                         r"(paper|article|publication|preprint)\b|\bpaper\s*(link|url|:)|"
                         r"\bpublished (in|at)\b", re.IGNORECASE)
_STOP = {"with", "from", "for", "and", "the", "via", "into", "over", "under", "using", "learning",
         "network", "networks", "neural", "deep", "towards", "model", "models", "based"}


@dataclass(frozen=True)
class PaperRef:
    """What the maintainers know about the paper: its URLs or ids and its title."""

    urls: tuple[str, ...] = ()
    title: str = ""


def find_paper_link(readme: Readme, folder: str, known: PaperRef,
                    excluded: frozenset[str]) -> Link | None:
    """The README's link to the paper it replicates, or None."""
    title_words = _words(_title(readme, known))
    candidates = [link for link in _candidates(readme) if _normal(link.url) not in excluded
                  and not _NOT_PAPER_HOSTS.search(link.url)]
    for link in candidates:
        if _is_known(link, known) or _names_title(readme, link, title_words) \
                or _names_authors(readme, link, folder):
            return link
    # otherwise the first scholarly link of the introduction, or one a line calls the paper
    intro_end = _intro_end(readme)
    return next((link for link in candidates if _SCHOLARLY.search(link.url) and (
        link.line < intro_end or _PAPER_LINE.search(_line(readme, link)))), None)


def _candidates(readme: Readme) -> Iterable[Link]:
    found = sorted([*readme.links, *(Link(index, match.group(0), "")
                                     for index, line in enumerate(readme.lines, start=1)
                                     for pattern in (_ID_IN_TEXT, _BARE)
                                     for match in pattern.finditer(line))],
                   key=lambda link: link.line)
    yield from found


def _is_known(link: Link, known: PaperRef) -> bool:
    url = _normal(link.url)
    return any(_normal(ref) in url or url in _normal(ref) for ref in known.urls if ref)


def _names_title(readme: Readme, link: Link, title_words: set[str]) -> bool:
    if len(title_words) < 2:
        return False
    paragraph = readme.lines[max(0, link.line - 2):link.line + 1]
    near = _words(link.text) | _words(" ".join(paragraph))
    return len(title_words & near) >= min(3, len(title_words))


def _names_authors(readme: Readme, link: Link, folder: str) -> bool:
    """DLC folders are named after the authors and year: KingmaBa2014 -> Kingma, Ba, 2014."""
    match = re.fullmatch(r"([A-Z][A-Za-z]*?)(EtAl)?(\d{4})[a-z]?", folder)
    if not match or not _SCHOLARLY.search(link.url):
        return False
    surnames = re.findall(r"[A-Z][a-z]+", match.group(1))
    line = _line(readme, link)
    return bool(surnames) and surnames[0] in line and match.group(3) in line


def _title(readme: Readme, known: PaperRef) -> str:
    if known.title:
        return known.title
    first = next((h for h in readme.headings if h.level == 1), None)
    return first.title if first else ""


def _intro_end(readme: Readme) -> int:
    """The line of the third top-level heading: title, introduction, then the body."""
    levels = [h for h in readme.headings if h.level <= 2]
    return levels[3].line if len(levels) > 3 else len(readme.lines) + 1


def _line(readme: Readme, link: Link) -> str:
    return readme.lines[link.line - 1] if 0 < link.line <= len(readme.lines) else ""


def _words(text: str) -> set[str]:
    words = re.findall(r"[a-z][a-z-]{3,}", text.lower())
    return {word for word in words if word not in _STOP}


def _normal(url: str) -> str:
    url = re.sub(r"^https?://(www\.)?", "", url.strip().lower()).rstrip("/.,;")
    return re.sub(r"(arxiv\.org/)pdf/([\d.]+)(v\d+)?(\.pdf)?", r"\1abs/\2", url)


def normal_url(url: str) -> str:
    return _normal(url)


# --- what the maintainers registered ------------------------------------------------------

_BIB_ENTRY = re.compile(r"@\w+\s*\{\s*([^,\s]+)\s*,(.*?)\n\}", re.DOTALL)
_BIB_FIELD = re.compile(r"(\w+)\s*=\s*[{\"](.*?)[}\"]\s*,?\s*$", re.MULTILINE)


def known_paper(folder: str, bibliography: str, papers_dir: str) -> PaperRef:
    """The paper's URLs and title from the bibliography entry and claims file, if any."""
    urls: list[str] = []
    title = ""
    claims = Path(papers_dir, f"{folder}.toml") if papers_dir else None
    if claims is not None and claims.is_file():
        paper = _read_toml(claims).get("paper", {})
        urls.append(str(paper.get("url", "")))
    if bibliography and Path(bibliography).is_file():
        fields = _bib_entry(Path(bibliography).read_text(encoding="utf-8", errors="replace"),
                            folder)
        urls += [fields.get("url", ""), fields.get("doi", ""), fields.get("eprint", "")]
        title = fields.get("title", "").strip("{} ")
    return PaperRef(tuple(u for u in urls if u), title)


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def _bib_entry(text: str, folder: str) -> dict[str, str]:
    """The entry keyed by the folder's name, or whose first author and year match it."""
    match = re.fullmatch(r"([A-Z][a-z]+)[A-Za-z]*?(\d{4})[a-z]?", folder)
    for entry in _BIB_ENTRY.finditer(text):
        fields = {k.lower(): v for k, v in _BIB_FIELD.findall(entry.group(2))}
        if entry.group(1).lower() == folder.lower():
            return fields
        if match and match.group(2) == fields.get("year", "") \
                and match.group(1).lower() in fields.get("author", "").lower()[:60]:
            return fields
    return {}
