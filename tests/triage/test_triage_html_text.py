"""HTML mail as text (bot/triage/html_text.py)."""
from __future__ import annotations

from bot.triage.html_text import html_to_text


def test_visible_text_with_line_breaks_and_entities():
    html = ("<html><head><title>t</title><style>p{color:red}</style><script>alert(1)</script></head>"
            "<body><p>Ol&aacute;,</p><div>o lead <b>acme.com.br</b> est&aacute; dispon&iacute;vel?<br>Abs</div></body></html>")
    # Blocks are paragraphs (a blank line between them); <br> only breaks the line.
    assert html_to_text(html).splitlines() == ["Olá,", "", "o lead acme.com.br está disponível?", "Abs"]


def test_blockquote_becomes_quoted_lines():
    text = html_to_text("<p>Mine</p><blockquote><p>Theirs</p><blockquote>Older</blockquote></blockquote><p>After</p>")
    lines = [l for l in text.splitlines() if l]
    assert lines == ["Mine", "> Theirs", "> > Older", "After"]


def test_gmail_forward_container_is_not_a_quote():
    html = ('<div>FYI</div><div class="gmail_quote"><div>---------- Forwarded message ---------<br>'
            'From: Ana &lt;ana@acme.com&gt;</div><div>Can we buy?</div></div>')
    text = html_to_text(html)
    assert "> " not in text
    assert "From: Ana <ana@acme.com>" in text
    assert "Can we buy?" in text


def test_lists_tables_and_unclosed_tags():
    text = html_to_text("<ul><li>one<li>two</ul><table><tr><td>a</td><td>b</td></tr></table><p>unclosed <b>bold")
    lines = [l for l in text.splitlines() if l]
    assert lines == ["- one", "- two", "a b", "unclosed bold"]


def test_broken_html_never_raises():
    for html in ["<", "<<>>", "<p", "</div></div>", "<a href='x", "&#xZZ;", "<![CDATA[ x", "<!-- open comment"]:
        assert isinstance(html_to_text(html), str)
