"""HTML mail as plain text: visible text only, block elements on their own lines, quotes kept as quotes.

`<blockquote>` (and Yahoo's quote container) become lines starting with "> " so the
quote stripping of cleaning.py removes them like plain-text quotes; scripts, styles and the
head are dropped; `<br>`, paragraphs, list items and table rows break lines.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = {"p", "div", "section", "article", "header", "footer", "table", "tr", "ul", "ol", "h1", "h2", "h3",
          "h4", "h5", "h6", "pre", "hr", "center", "address", "dl", "dt", "dd", "form", "fieldset"}
_SKIP = {"script", "style", "head", "title", "template", "noscript", "svg", "object"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source", "track", "wbr"}
# Quoted earlier messages. (Gmail's `gmail_quote` also wraps forwarded messages, which are kept:
# its replies put the quote in a <blockquote> inside it.)
_QUOTE_CLASSES = re.compile(r"\byahoo_quoted\b", re.IGNORECASE)


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list = []
        self._current: list = []
        self._skip = 0
        self._quote = 0
        self._pre = 0
        self._stack: list = []  # (tag, quote opened by it)

    # -- line handling --------------------------------------------------------------------------
    def _break(self) -> None:
        text = "".join(self._current)
        if not self._pre:
            text = " ".join(text.split())
        self._current = []
        prefix = "> " * self._quote
        if text.strip():
            self.lines.append(prefix + text)
        elif self.lines and self.lines[-1] != "":
            self.lines.append("")

    # -- parser callbacks -----------------------------------------------------------------------
    def handle_starttag(self, tag, attrs):
        tag = tag.lower()
        if tag in _SKIP:
            self._skip += 1
            if tag in _VOID:
                self._skip -= 1
            else:
                self._stack.append((tag, False))
            return
        if tag == "br":
            self._break()
            return
        if tag in _VOID:
            if tag == "hr":
                self._break()
            return
        attributes = dict(attrs)
        quote = tag == "blockquote" or bool(_QUOTE_CLASSES.search(attributes.get("class") or ""))
        if tag in _BLOCK or tag in ("li", "blockquote") or quote:
            self._break()
        if quote:
            self._quote += 1
        if tag == "pre":
            self._pre += 1
        if tag == "li":
            self._current.append("- ")
        self._stack.append((tag, quote))

    def handle_endtag(self, tag):
        tag = tag.lower()
        if tag in _VOID:
            return
        # Close up to the matching open tag (HTML mail is rarely well-formed).
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                break
        else:
            return
        for open_tag, quote in reversed(self._stack[index:]):
            if open_tag in _SKIP:
                self._skip = max(0, self._skip - 1)
                continue
            if open_tag in _BLOCK or open_tag in ("li", "blockquote") or quote:
                self._break()
            elif open_tag in ("td", "th"):
                self._current.append(" ")
            if quote:
                self._quote = max(0, self._quote - 1)
            if open_tag == "pre":
                self._pre = max(0, self._pre - 1)
        del self._stack[index:]

    def handle_data(self, data):
        if self._skip:
            return
        if self._pre:
            parts = data.split("\n")
            for i, part in enumerate(parts):
                if i:
                    self._break()
                self._current.append(part)
        else:
            self._current.append(data)

    def close(self):
        super().close()
        self._break()


def html_to_text(html: str) -> str:
    """The visible text of an HTML document or fragment, one block per line."""
    collector = _TextCollector()
    try:
        collector.feed(html)
        collector.close()
    except Exception:  # HTMLParser is lenient; anything it still chokes on keeps what was read
        collector._break()
    lines = collector.lines
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines).replace("\xa0", " ")
