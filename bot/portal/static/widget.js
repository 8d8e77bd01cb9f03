// The partner portal's chat widget: a small client of the page server's /api/chat (a proxy to the
// Rasa REST channel). The conversation (sender id and messages) lives in localStorage, so a
// reload shows it; the demo sign-in's token lives in sessionStorage and goes with every message
// as metadata. Text from the person or the assistant only ever reaches the page as Text nodes.

import { renderMarkdown } from "./markdown.js";

const CONVERSATION_KEY = "partnerbot.widget.conversation.v1";
const SESSION_KEY = "partnerbot.widget.session.v1";
const LANG_KEY = "partnerbot.widget.lang";
const MAX_HISTORY = 200;
const LANGUAGES = ["pt", "en"];

const $ = (id) => document.getElementById(id);
const ui = {
  log: $("messages"),
  typing: $("typing"),
  notice: $("notice"),
  quickReplies: $("quick-replies"),
  composer: $("composer"),
  input: $("message-input"),
  send: $("send-button"),
  newConversation: $("new-conversation"),
  identity: $("identity"),
  signinForm: $("signin-form"),
  partnerId: $("partner-id"),
  signinButton: $("signin-button"),
  signedIn: $("signed-in"),
  signedInText: $("signed-in-text"),
  signout: $("signout-button"),
  signinStatus: $("signin-status"),
  demoPartners: $("demo-partners"),
  langButtons: [...document.querySelectorAll(".lang-toggle__button")],
};

const state = {
  labels: {},
  lang: "en",
  conversation: null, // {sender, messages: [{role: "user"|"bot", text, buttons?}]}
  session: null, // {token, partnerId, name, expiresAt}
  busy: false,
  statusKey: null, // the sign-in status shown, re-rendered on a language change
};

// ------------------------------------------------------------------------------------- storage

function readJSON(storage, key) {
  try {
    return JSON.parse(storage.getItem(key) || "null");
  } catch {
    return null;
  }
}

function writeJSON(storage, key, value) {
  try {
    if (value === null) storage.removeItem(key);
    else storage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the conversation still works, it just won't survive a reload.
  }
}

function newSenderId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return "web-" + [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function validMessage(m) {
  return m && (m.role === "user" || m.role === "bot") && typeof m.text === "string";
}

function loadConversation() {
  const saved = readJSON(localStorage, CONVERSATION_KEY);
  if (saved && typeof saved.sender === "string" && /^[A-Za-z0-9_-]{8,128}$/.test(saved.sender) && Array.isArray(saved.messages)) {
    return { sender: saved.sender, messages: saved.messages.filter(validMessage).slice(-MAX_HISTORY) };
  }
  return { sender: newSenderId(), messages: [] };
}

function saveConversation() {
  state.conversation.messages = state.conversation.messages.slice(-MAX_HISTORY);
  writeJSON(localStorage, CONVERSATION_KEY, state.conversation);
}

function loadSession() {
  const saved = readJSON(sessionStorage, SESSION_KEY);
  if (saved && typeof saved.token === "string" && typeof saved.partnerId === "string" && saved.expiresAt > Date.now()) {
    return saved;
  }
  writeJSON(sessionStorage, SESSION_KEY, null);
  return null;
}

// -------------------------------------------------------------------------------------- labels

function label(key, values = {}) {
  const entry = state.labels[key];
  let text = entry ? entry[state.lang] ?? entry.en : null;
  if (text == null) return null;
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{${name}}`, value);
  return text;
}

function setLabel(element, key, values) {
  const text = label(key, values);
  if (text != null) element.textContent = text;
}

function applyLabels() {
  document.documentElement.lang = state.lang === "pt" ? "pt-BR" : "en";
  const title = label("page_title");
  if (title) document.title = title;
  for (const element of document.querySelectorAll("[data-label]")) setLabel(element, element.dataset.label);
  for (const element of document.querySelectorAll("[data-label-placeholder]")) {
    const text = label(element.dataset.labelPlaceholder);
    if (text != null) element.placeholder = text;
  }
  for (const button of ui.langButtons) button.setAttribute("aria-pressed", String(button.dataset.lang === state.lang));
  renderIdentity();
  const status = state.statusKey;
  if (status) showSigninStatus(status.key, status.values, status.isError, status.quiet);
}

function defaultLanguage() {
  const saved = localStorage.getItem(LANG_KEY);
  if (LANGUAGES.includes(saved)) return saved;
  const preferred = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
  return preferred.toLowerCase().startsWith("pt") ? "pt" : "en";
}

function setLanguage(lang) {
  state.lang = LANGUAGES.includes(lang) ? lang : "en";
  try {
    localStorage.setItem(LANG_KEY, state.lang);
  } catch {
    /* not kept across reloads, that's all */
  }
  applyLabels();
  renderConversation();
}

// ------------------------------------------------------------------------------------ rendering

function messageNode(message) {
  const item = document.createElement("li");
  item.className = `message message--${message.role}`;
  const speaker = document.createElement("span");
  speaker.className = "visually-hidden";
  speaker.textContent = `${label(message.role === "user" ? "you_said" : "bot_said") ?? ""} `;
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  if (message.role === "user") {
    bubble.textContent = message.text;
  } else {
    bubble.append(renderMarkdown(message.text, { newTabLabel: label("opens_new_tab") }));
  }
  item.append(speaker, bubble);
  return item;
}

function welcomeNode() {
  const item = document.createElement("li");
  item.className = "message message--bot message--welcome";
  const speaker = document.createElement("span");
  speaker.className = "visually-hidden";
  speaker.textContent = `${label("bot_said") ?? ""} `;
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  const p = document.createElement("p");
  p.textContent = label("welcome") ?? "";
  bubble.append(p);
  item.append(speaker, bubble);
  return item;
}

function scrollToEnd() {
  ui.log.scrollTop = ui.log.scrollHeight;
}

function renderQuickReplies() {
  for (const button of ui.quickReplies.querySelectorAll("button")) button.remove();
  const messages = state.conversation.messages;
  const lastMessage = messages[messages.length - 1];
  let replies = [];
  if (!messages.length) {
    replies = ["suggestion_1", "suggestion_2"]
      .map((key) => label(key))
      .filter(Boolean)
      .map((text) => ({ title: text, payload: text }));
  } else if (lastMessage.role === "bot" && Array.isArray(lastMessage.buttons)) {
    replies = lastMessage.buttons;
  }
  setLabel(ui.quickReplies.querySelector("span"), messages.length ? "quick_replies_label" : "suggestions_label");
  for (const reply of replies) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "quick-reply";
    button.textContent = String(reply.title);
    button.addEventListener("click", () => {
      send(String(reply.payload), String(reply.title));
      ui.input.focus();
    });
    ui.quickReplies.append(button);
  }
  ui.quickReplies.hidden = replies.length === 0;
}

function renderConversation() {
  const nodes = state.conversation.messages.map(messageNode);
  ui.log.replaceChildren(welcomeNode(), ...nodes);
  renderQuickReplies();
  scrollToEnd();
}

function appendMessage(message) {
  state.conversation.messages.push(message);
  saveConversation();
  ui.log.append(messageNode(message));
  renderQuickReplies();
  scrollToEnd();
}

function showNotice(key, fallback) {
  ui.notice.textContent = label(key) ?? fallback ?? "";
  ui.notice.hidden = !ui.notice.textContent;
}

function clearNotice() {
  ui.notice.textContent = "";
  ui.notice.hidden = true;
}

function setBusy(busy) {
  state.busy = busy;
  ui.send.disabled = busy;
  ui.log.setAttribute("aria-busy", String(busy));
  ui.typing.hidden = !busy;
  if (busy) scrollToEnd();
}

// ------------------------------------------------------------------------------------- identity

function renderIdentity() {
  const session = state.session;
  if (session) {
    const who = session.name ? `${session.partnerId} — ${session.name}` : session.partnerId;
    setLabel(ui.identity, "signed_in_as", { partner: who });
    ui.identity.dataset.identity = "partner";
    setLabel(ui.signedInText, "signed_in_as", { partner: who });
  } else {
    setLabel(ui.identity, "guest");
    ui.identity.dataset.identity = "guest";
  }
  ui.signinForm.hidden = Boolean(session);
  ui.signedIn.hidden = !session;
}

// `quiet`: announced to screen readers but not shown (the signed-in line already shows it).
function showSigninStatus(key, values = {}, isError = false, quiet = false) {
  state.statusKey = key ? { key, values, isError, quiet } : null;
  ui.signinStatus.textContent = key ? label(key, values) ?? values.message ?? "" : "";
  ui.signinStatus.classList.toggle("status--error", isError);
  ui.signinStatus.classList.toggle("visually-hidden", quiet);
}

function currentToken() {
  if (state.session && state.session.expiresAt <= Date.now()) {
    state.session = null;
    writeJSON(sessionStorage, SESSION_KEY, null);
    renderIdentity();
    showNotice("error_session_expired");
  }
  return state.session ? state.session.token : null;
}

async function postJSON(url, body) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    return { ok: false, error: "network" };
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (response.ok && payload) return { ok: true, payload };
  return { ok: false, error: (payload && payload.error) || "assistant_failed", message: payload && payload.message };
}

async function signIn(event) {
  event.preventDefault();
  const partnerId = ui.partnerId.value.trim();
  if (!partnerId) {
    showSigninStatus("error_bad_partner_id", {}, true);
    ui.partnerId.setAttribute("aria-invalid", "true");
    ui.partnerId.focus();
    return;
  }
  ui.signinButton.disabled = true;
  showSigninStatus("signing_in");
  const result = await postJSON("/api/demo-sign-in", { partner_id: partnerId, lang: state.lang });
  ui.signinButton.disabled = false;
  if (!result.ok) {
    showSigninStatus(`error_${result.error}`, { message: result.message }, true);
    ui.partnerId.setAttribute("aria-invalid", "true");
    ui.partnerId.focus();
    return;
  }
  const { token, partner_id: id, name, expires_in: ttl } = result.payload;
  state.session = { token, partnerId: id, name, expiresAt: Date.now() + Number(ttl) * 1000 };
  writeJSON(sessionStorage, SESSION_KEY, state.session);
  ui.partnerId.removeAttribute("aria-invalid");
  ui.partnerId.value = "";
  clearNotice();
  renderIdentity();
  showSigninStatus("signed_in_as", { partner: name ? `${id} — ${name}` : id }, false, true);
  ui.input.focus();
}

function signOut() {
  state.session = null;
  writeJSON(sessionStorage, SESSION_KEY, null);
  renderIdentity();
  showSigninStatus("signed_out");
  ui.partnerId.focus();
}

async function loadDemoPartners() {
  try {
    const response = await fetch("/api/demo-partners", { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const { partners } = await response.json();
    const options = (partners || []).map((partner) => {
      const option = document.createElement("option");
      option.value = String(partner.partner_id);
      option.label = String(partner.name);
      return option;
    });
    ui.demoPartners.replaceChildren(...options);
  } catch {
    // Suggestions only: typing an ID still works.
  }
}

// ----------------------------------------------------------------------------------------- chat

async function send(message, shownText) {
  const text = message.trim();
  if (!text || state.busy) return;
  clearNotice();
  appendMessage({ role: "user", text: (shownText ?? message).trim() });
  setBusy(true);
  const body = { sender: state.conversation.sender, message: text, lang: state.lang };
  const token = currentToken();
  if (token) body.token = token;
  const result = await postJSON("/api/chat", body);
  setBusy(false);
  if (!result.ok) {
    showNotice(`error_${result.error}`, result.message);
    return;
  }
  for (const reply of result.payload.messages || []) {
    const botMessage = { role: "bot", text: typeof reply.text === "string" ? reply.text : "" };
    if (Array.isArray(reply.buttons) && reply.buttons.length) {
      botMessage.buttons = reply.buttons.map((b) => ({ title: String(b.title), payload: String(b.payload) }));
    }
    if (botMessage.text || botMessage.buttons) appendMessage(botMessage);
  }
}

function submitComposer(event) {
  if (event) event.preventDefault();
  const text = ui.input.value;
  if (!text.trim() || state.busy) return;
  ui.input.value = "";
  send(text);
  ui.input.focus();
}

function onComposerKey(event) {
  if (event.key === "Enter" && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey && !event.isComposing) {
    event.preventDefault();
    submitComposer();
  }
}

function newConversation() {
  state.conversation = { sender: newSenderId(), messages: [] };
  saveConversation();
  clearNotice();
  renderConversation();
  ui.input.focus();
}

// ----------------------------------------------------------------------------------------- start

async function loadLabels() {
  try {
    const response = await fetch("/labels.json", { headers: { Accept: "application/json" } });
    if (response.ok) state.labels = await response.json();
  } catch {
    // The page keeps its built-in English words.
  }
}

async function start() {
  state.conversation = loadConversation();
  state.session = loadSession();
  state.lang = defaultLanguage();
  await loadLabels();
  applyLabels();
  renderConversation();
  clearNotice();
  ui.composer.addEventListener("submit", submitComposer);
  ui.input.addEventListener("keydown", onComposerKey);
  ui.newConversation.addEventListener("click", newConversation);
  ui.signinForm.addEventListener("submit", signIn);
  ui.signout.addEventListener("click", signOut);
  for (const button of ui.langButtons) button.addEventListener("click", () => setLanguage(button.dataset.lang));
  loadDemoPartners();
  document.body.dataset.ready = "true";
}

start();
