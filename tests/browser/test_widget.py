"""The widget in headless Chromium against the scripted Rasa stand-in (tests/browser/stub_rasa.py):
markdown rendering, text that looks like HTML, quick replies, the keyboard, labels in both
languages, the token as metadata, a reload, and a dead assistant."""
from __future__ import annotations

from conftest import JWT_SECRET, Widget
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

HOSTILE_USER_TEXT = "<img src=x onerror=alert(1)> <script>alert('user')</script>"


def no_alert(driver) -> bool:
    try:
        _ = driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


def test_page_is_labelled_for_assistive_technology(stub_widget, artifacts):
    w = stub_widget
    log = w.element("#messages")
    assert log.get_attribute("role") == "log"
    assert log.get_attribute("aria-live") == "polite"
    assert w.element("#messages-label").get_attribute("textContent") == "Conversation with the assistant"
    assert log.get_attribute("aria-labelledby") == "messages-label"
    box = w.element("#message-input")
    label = w.element("label[for='message-input']")
    assert label.get_attribute("textContent") == "Your message"
    assert box.get_attribute("aria-describedby") == "composer-hint"
    assert w.element("#composer-hint").text == "Enter sends · Shift+Enter starts a new line"
    assert w.element("#send-button").get_attribute("textContent").strip() == "Send"
    assert w.element("label[for='partner-id']").text == "Partner ID"
    assert w.element("#notice").get_attribute("role") == "alert"
    assert w.element("#signin-status").get_attribute("role") == "status"
    assert w.element(".lang-toggle").get_attribute("role") == "group"
    assert w.driver.execute_script("return document.documentElement.lang") == "en"
    assert "Demo" in w.element("#signin-title").text or "DEMO" in w.element("#signin-title").text
    assert w.element(".message--welcome .bubble").text.startswith("Hi! I'm the partner program assistant")
    w.screenshot("01-empty-en")
    assert w.severe_console_errors() == []


def test_markdown_answer_is_rendered_as_lists_links_and_emphasis(stub_widget):
    w = stub_widget
    w.ask("markdown please")
    bubble = w.elements("#messages .message--bot .bubble")[-1]
    assert [e.text for e in bubble.find_elements(By.CSS_SELECTOR, "strong")] == ["Lead registration", "work"]
    assert [e.text for e in bubble.find_elements(By.CSS_SELECTOR, "em")] == ["one year", "Register a lead"]
    assert [li.text for li in bubble.find_elements(By.CSS_SELECTOR, "ul > li")] == [
        "Register before you contact the company", "Use the contact's work email"]
    assert [li.text for li in bubble.find_elements(By.CSS_SELECTOR, "ol > li")] == ["Open the portal", "Choose Register a lead"]
    guide = bubble.find_element(By.CSS_SELECTOR, "a[href='https://www.hubspot.com/partners']")
    assert guide.get_attribute("textContent") == "partner guide (opens in a new tab)"
    assert guide.get_attribute("target") == "_blank"
    assert guide.get_attribute("rel") == "noopener noreferrer"
    assert guide.find_element(By.CSS_SELECTOR, ".visually-hidden").get_attribute("textContent").strip() == "(opens in a new tab)"
    mail = bubble.find_element(By.CSS_SELECTOR, "a[href^='mailto:']")
    assert mail.get_attribute("href") == "mailto:partnerteam@hubspot.com"
    assert "**" not in bubble.text and "](" not in bubble.text
    assert len(bubble.find_elements(By.CSS_SELECTOR, "p")) == 2
    assert bubble.find_elements(By.CSS_SELECTOR, "p br"), "a single newline is a line break"
    w.screenshot("02-markdown-answer")


def test_html_in_a_bot_message_is_shown_as_text(stub_widget):
    w = stub_widget
    w.ask("hostile please")
    bubble = w.elements("#messages .message--bot .bubble")[-1]
    text = bubble.text
    assert "<img src=x onerror=alert(1)>" in text
    assert "<script>alert(2)</script>" in text
    assert "[a trap](javascript:alert(3))" in text, "a javascript: link stays plain text"
    assert bubble.find_element(By.CSS_SELECTOR, "strong").text == "<b>not bold html</b>"
    assert w.elements("#messages img, #messages script, #messages b, #messages a[href^='javascript']") == []
    assert no_alert(w.driver)


def test_html_in_a_user_message_is_shown_as_text(stub_widget):
    w = stub_widget
    answers = w.ask(HOSTILE_USER_TEXT, answers=2)
    assert w.bubbles("user")[-1] == HOSTILE_USER_TEXT
    assert answers[0] == f"Echo: {HOSTILE_USER_TEXT}", "the bot echoing it shows text as well"
    assert w.elements("#messages img, #messages script") == []
    assert no_alert(w.driver)
    w.reload()  # from localStorage, the same text and still no markup
    assert w.bubbles("user")[-1] == HOSTILE_USER_TEXT
    assert w.elements("#messages img, #messages script") == []
    assert no_alert(w.driver)
    w.screenshot("03-html-shown-as-text")


def test_page_forbids_html_sinks_by_policy(stub_widget):
    """Trusted Types (in the Content-Security-Policy) make any innerHTML assignment throw."""
    outcome = stub_widget.driver.execute_script(
        "try { document.getElementById('notice').innerHTML = '<b>x</b>'; return 'assigned'; }"
        " catch (e) { return e.name; }")
    assert outcome == "TypeError"


def test_enter_sends_and_shift_enter_adds_a_line(stub_widget):
    w = stub_widget
    box = w.element("#message-input")
    box.click()
    box.send_keys("first line")
    box.send_keys(Keys.SHIFT, Keys.ENTER)
    box.send_keys("second line")
    assert box.get_attribute("value") == "first line\nsecond line"
    assert w.bubbles("user") == []
    box.send_keys(Keys.ENTER)
    w.wait(lambda d: w.bot_count() >= 2, message="no answer")
    assert w.bubbles("user") == ["first line\nsecond line"]
    assert box.get_attribute("value") == ""
    assert w.driver.switch_to.active_element == box, "focus stays in the message box"
    assert w.bubbles("bot") == ["Echo: first line\nsecond line", "Anything else?"]


def test_controls_are_reachable_with_the_keyboard_and_show_focus(stub_widget):
    w = stub_widget
    body = w.driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    skip = w.driver.switch_to.active_element
    assert skip.get_attribute("class") == "skip-link"
    assert skip.value_of_css_property("outline-style") == "solid"
    skip.send_keys(Keys.ENTER)
    assert w.driver.switch_to.active_element.get_attribute("id") == "message-input"
    w.driver.switch_to.active_element.send_keys("keyboard only")
    w.driver.switch_to.active_element.send_keys(Keys.TAB)
    send = w.driver.switch_to.active_element
    assert send.get_attribute("id") == "send-button"
    assert send.value_of_css_property("outline-style") == "solid"
    assert float(send.value_of_css_property("outline-width").rstrip("px")) >= 2
    w.screenshot("04-keyboard-focus")
    send.send_keys(Keys.ENTER)
    w.wait(lambda d: w.bot_count() >= 2, message="no answer")
    assert w.bubbles("user") == ["keyboard only"]
    assert w.driver.switch_to.active_element.get_attribute("id") == "message-input"


def test_quick_replies_send_their_payload(stub_widget):
    w = stub_widget
    w.ask("buttons please")
    buttons = w.elements("#quick-replies button")
    assert [b.text for b in buttons] == ["Yes, register it", "No, thanks"]
    assert w.element("#quick-replies").get_attribute("role") == "group"
    w.screenshot("05-quick-replies")
    buttons[0].click()
    w.wait(lambda d: w.bubbles("bot")[-1].startswith("Registered"), message="no answer to the quick reply")
    assert w.bubbles("user")[-1] == "Yes, register it"
    assert w.elements("#quick-replies button") == []
    assert w.driver.switch_to.active_element.get_attribute("id") == "message-input"
    assert w.requests[-1]["message"] == "/affirm"


def test_sign_in_sends_the_token_as_metadata(stub_widget):
    from bot.identity import verify_token

    w = stub_widget
    w.ask("hello as a guest", answers=2)
    assert w.requests[-1]["metadata"] == {}
    assert w.element("#identity").text == "Guest: FAQ only"

    w.sign_in("P-9999")
    w.wait(lambda d: "no demo partner" in w.element("#signin-status").text, message="unknown partner accepted")
    assert w.element("#partner-id").get_attribute("aria-invalid") == "true"

    w.sign_in("p-1001")
    w.wait(lambda d: w.element("#identity").text.startswith("Signed in as P-1001"), message="sign-in failed")
    assert w.element("#signin-status").get_attribute("textContent") == "Signed in as P-1001 — Agência Pulso Digital"
    assert w.element("#signed-in-text").text == "Signed in as P-1001 — Agência Pulso Digital"
    assert w.driver.switch_to.active_element.get_attribute("id") == "message-input"
    w.ask("hello as a partner", answers=2)
    identity = verify_token(w.requests[-1]["metadata"]["token"], key=JWT_SECRET)
    assert (identity.subject, identity.role) == ("P-1001", "partner")
    assert w.requests[-1]["sender"] == w.requests[0]["sender"], "one conversation, one sender id"
    w.screenshot("06-signed-in")

    w.element("#signout-button").click()
    assert w.element("#identity").text == "Guest: FAQ only"
    w.ask("hello again", answers=2)
    assert w.requests[-1]["metadata"] == {}


def test_history_and_sign_in_survive_a_reload(stub_widget):
    w = stub_widget
    w.sign_in("P-1003")
    w.wait(lambda d: w.element("#identity").text.startswith("Signed in as P-1003"), message="sign-in failed")
    w.ask("markdown please")
    w.ask("buttons please")
    users, bots = w.bubbles("user"), w.bubbles("bot")
    w.reload()
    assert w.bubbles("user") == users == ["markdown please", "buttons please"]
    assert w.bubbles("bot") == bots
    assert [b.text for b in w.elements("#quick-replies button")] == ["Yes, register it", "No, thanks"]
    assert w.element("#identity").text.startswith("Signed in as P-1003")
    assert len(w.elements("#messages .message--bot ul > li")) == 2, "markdown rendered again from history"
    w.ask("after reload", answers=2)
    assert len({r["sender"] for r in w.requests}) == 1, "the reloaded page continues the same conversation"
    assert "token" in w.requests[-1]["metadata"]

    w.element("#new-conversation").click()
    assert w.bubbles("user") == [] and w.bubbles("bot") == []
    w.ask("fresh start", answers=2)
    assert w.requests[-1]["sender"] != w.requests[0]["sender"]


def test_labels_switch_between_portuguese_and_english(stub_widget):
    w = stub_widget
    w.ask("markdown please")
    w.element(".lang-toggle__button[data-lang='pt']").click()
    assert w.driver.execute_script("return document.documentElement.lang") == "pt-BR"
    assert w.element(".lang-toggle__button[data-lang='pt']").get_attribute("aria-pressed") == "true"
    assert w.element(".lang-toggle__button[data-lang='en']").get_attribute("aria-pressed") == "false"
    assert w.element("#message-input").get_attribute("placeholder") == "Escreva sua pergunta…"
    assert w.element("label[for='message-input']").get_attribute("textContent") == "Sua mensagem"
    assert w.element("#send-button").text == "Enviar"
    assert w.element("#chat-title").text == "Assistente de parceiros"
    assert w.element("#identity").text == "Visitante: só perguntas frequentes"
    assert w.element("#composer-hint").text == "Enter envia · Shift+Enter quebra a linha"
    assert w.driver.title == "Portal do Parceiro — assistente (demonstração)"
    speaker = w.element("#messages .message--user .visually-hidden").get_attribute("textContent")
    assert speaker.strip() == "Você disse:"
    link_hint = w.element("#messages a[target='_blank'] .visually-hidden").get_attribute("textContent")
    assert link_hint.strip() == "(abre em nova aba)"
    w.screenshot("07-labels-pt")
    w.reload()
    assert w.element("#send-button").text == "Enviar", "the chosen language is kept"
    w.element(".lang-toggle__button[data-lang='en']").click()
    assert w.element("#send-button").text == "Send"


def test_default_language_follows_the_browser(driver_pt, stub_stack):
    w = Widget(driver_pt, stub_stack.url).open()
    assert w.driver.execute_script("return navigator.language").startswith("pt")
    assert w.element("#send-button").text == "Enviar"
    assert w.element(".message--welcome .bubble").text.startswith("Olá!")
    assert [b.text for b in w.elements("#quick-replies button")] == [
        "Quais são os benefícios de ser parceiro?", "Como funciona o registro de leads?"]
    w.screenshot("08-empty-pt")


def test_a_dead_assistant_gives_a_clear_message(driver, dead_rasa_stack):
    w = Widget(driver, dead_rasa_stack.url).open()
    w.type_and_send("anyone there?")
    w.wait(lambda d: w.element("#notice").text != "", message="no notice shown")
    assert w.element("#notice").text == "The assistant isn't answering right now. Please try again in a moment."
    assert w.element("#notice").get_attribute("role") == "alert"
    assert w.bubbles("user") == ["anyone there?"]
    assert w.element("#send-button").is_enabled()
    w.screenshot("09-assistant-unavailable")


def test_a_failing_assistant_gives_a_clear_message(stub_widget):
    w = stub_widget
    w.type_and_send("break please")
    w.wait(lambda d: w.element("#notice").text != "", message="no notice shown")
    assert w.element("#notice").text == "The assistant couldn't process the message. Try again or rephrase your question."
    w.ask("and now?", answers=2)
    assert w.element("#notice").text == "", "the notice goes away with the next message"
