"""A notebook as sanitized HTML for the report page: outputs shown, nothing executable.

nbconvert's ``basic`` template gives the cells without any page scripts; nh3 (the Ammonia
sanitizer) then keeps only inert markup: no ``<script>``, no event handlers, no
``javascript:`` links, no frames, no forms. Images stay only as ``data:`` URIs (the page
loads nothing from elsewhere).
"""

from __future__ import annotations

import nbformat

SAFE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre",
    "s", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "u", "ul",
}
SAFE_ATTRIBUTES = {"*": {"class", "title"}, "a": {"href"}, "img": {"src", "alt", "width",
                                                                    "height"},
                   "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}


class NotebookRenderError(ValueError):
    """The notebook cannot be shown; the message says why."""


def notebook_html(text: str) -> str:
    """The notebook's cells and outputs as HTML that runs nothing."""
    from nbconvert import HTMLExporter  # heavy: loaded only when a page is made

    try:
        book = nbformat.reads(text, as_version=4)
        book.metadata.pop("widgets", None)  # widgets need scripts; a broken state crashes
        body, _ = HTMLExporter(template_name="basic").from_notebook_node(book)
    except Exception as exc:  # nbformat and nbconvert raise many kinds for a bad file
        raise NotebookRenderError(f"notebook not shown: {type(exc).__name__}") from None
    return sanitize(body)


def sanitize(markup: str) -> str:
    import nh3

    return nh3.clean(markup, tags=SAFE_TAGS, attributes=SAFE_ATTRIBUTES,
                     url_schemes={"http", "https", "data"}, link_rel="noopener noreferrer",
                     strip_comments=True, attribute_filter=_inert_urls)


def _inert_urls(tag: str, attribute: str, value: str) -> str | None:
    """Images only as embedded data (the page loads nothing), links only to the web."""
    if tag == "img" and attribute == "src":
        return value if value.startswith("data:image/") else None
    if tag == "a" and attribute == "href":
        return value if value.startswith(("https://", "http://", "#")) else None
    return value
