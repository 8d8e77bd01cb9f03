// A safe subset of Markdown rendered as DOM nodes: paragraphs, line breaks, **bold**, *italic*,
// lists ("- ", "* ", "• ", "1. "), [links](url) and bare http(s) URLs and email addresses.
// Nothing is ever parsed as HTML: every piece of text becomes a Text node, so "<script>" or
// "<img onerror=…>" in a message is shown as those characters. Links keep http, https and
// mailto only; anything else (javascript:, data:, relative) stays plain text.

const SAFE_SCHEMES = new Set(["http:", "https:", "mailto:"]);
const MAX_DEPTH = 3;

const BULLET = /^\s{0,3}[-*•]\s+(.*)$/;
const NUMBERED = /^\s{0,3}(\d{1,4})[.)]\s+(.*)$/;
const CONTINUATION = /^\s{2,}\S/;

// One alternative per inline form, tried left to right; the first match wins.
const INLINE = new RegExp([
  String.raw`\*\*(?=\S)([^\n]*?\S)\*\*`,                                   // 1: **bold**
  String.raw`\[([^\[\]\n]+)\]\(\s*([^()\s]+)\s*\)`,                        // 2, 3: [text](url)
  String.raw`(?<![\w*])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![\w*])`,          // 4: *italic*
  String.raw`(?<![\w/@.])((?:https?:\/\/)[^\s<>()"']*[^\s<>()"'.,;:!?])`, // 5: bare URL
  String.raw`(?<![\w.+@/-])([\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)`, // 6: email address
].join("|"), "gu");

/** The URL when it is http(s) or mailto and absolute, else null. */
export function safeHref(raw) {
  let url;
  try {
    url = new URL(String(raw).trim());
  } catch {
    return null;
  }
  return SAFE_SCHEMES.has(url.protocol) ? url.href : null;
}

function link(href, text, options) {
  const anchor = document.createElement("a");
  anchor.href = href;
  anchor.textContent = text;
  if (!href.startsWith("mailto:")) {
    anchor.target = "_blank";
    anchor.rel = "noopener noreferrer";
    if (options.newTabLabel) {
      const hint = document.createElement("span");
      hint.className = "visually-hidden";
      hint.textContent = ` ${options.newTabLabel}`;
      anchor.append(hint);
    }
  }
  return anchor;
}

/** Append `text` to `parent` with inline formatting, as Text and element nodes only. */
export function appendInline(parent, text, options = {}, depth = 0) {
  if (depth >= MAX_DEPTH) {
    parent.append(document.createTextNode(text));
    return;
  }
  let last = 0;
  INLINE.lastIndex = 0;
  const matches = [...text.matchAll(INLINE)];
  for (const match of matches) {
    if (match.index > last) parent.append(document.createTextNode(text.slice(last, match.index)));
    const [whole, bold, linkText, linkUrl, italic, url, email] = match;
    if (bold !== undefined) {
      const strong = document.createElement("strong");
      appendInline(strong, bold, options, depth + 1);
      parent.append(strong);
    } else if (linkText !== undefined) {
      const href = safeHref(linkUrl);
      parent.append(href ? link(href, linkText, options) : document.createTextNode(whole));
    } else if (italic !== undefined) {
      const em = document.createElement("em");
      appendInline(em, italic, options, depth + 1);
      parent.append(em);
    } else if (url !== undefined) {
      const href = safeHref(url);
      parent.append(href ? link(href, url, options) : document.createTextNode(url));
    } else if (email !== undefined) {
      const href = safeHref(`mailto:${email}`);
      parent.append(href ? link(href, email, options) : document.createTextNode(email));
    }
    last = match.index + whole.length;
  }
  if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
}

function appendLines(parent, lines, options) {
  lines.forEach((line, index) => {
    if (index > 0) parent.append(document.createElement("br"));
    appendInline(parent, line, options);
  });
}

/**
 * The message as a DocumentFragment: blocks separated by blank lines; consecutive list lines
 * form one list; other consecutive lines form one paragraph with line breaks.
 */
export function renderMarkdown(source, options = {}) {
  const fragment = document.createDocumentFragment();
  const lines = String(source ?? "").replace(/\r\n?/g, "\n").split("\n");
  let paragraph = null; // lines of the open paragraph
  let list = null; // {element, items: [[lines]]}

  const closeParagraph = () => {
    if (paragraph) {
      const p = document.createElement("p");
      appendLines(p, paragraph, options);
      fragment.append(p);
      paragraph = null;
    }
  };
  const closeList = () => {
    if (list) {
      for (const itemLines of list.items) {
        const li = document.createElement("li");
        appendLines(li, itemLines, options);
        list.element.append(li);
      }
      fragment.append(list.element);
      list = null;
    }
  };

  for (const line of lines) {
    if (!line.trim()) {
      closeParagraph();
      closeList();
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (bullet || numbered) {
      const tag = bullet ? "ul" : "ol";
      closeParagraph();
      if (list && list.element.tagName.toLowerCase() !== tag) closeList();
      if (!list) {
        list = { element: document.createElement(tag), items: [] };
        if (numbered && numbered[1] !== "1") list.element.start = Number(numbered[1]);
      }
      list.items.push([(bullet ? bullet[1] : numbered[2]).trim()]);
    } else if (list && CONTINUATION.test(line)) {
      list.items[list.items.length - 1].push(line.trim());
    } else {
      closeList();
      (paragraph ??= []).push(line.trim());
    }
  }
  closeParagraph();
  closeList();
  return fragment;
}
