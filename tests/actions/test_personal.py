"""Personal notes after FAQ answers (actions/personal.py, data/personal_notes.yml): who gets which figures."""
from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions import personal
from actions.context import identity_of
from actions.faq import ActionAnswerFaq
from bot.identity import issue_token
from bot.knowledge import faq_entries, faq_entry

AS_OF = dt.date(2024, 5, 10)
PROVIDER = {"partner_id": "P-1002", "name": "Nuvem Clara", "package": "provider", "domain": "nuvemclara.com.br"}
PARTNER = {"partner_id": "P-1001", "name": "Pulso Digital", "package": "partner", "tier": "gold", "domain": "pulso.com.br"}
MANAGED = {"partner_id": "P-1001", "domain": "cliente.com", "managed_since": "2023-01-01"}


def activity(first, last, partner="P-1001", domain="cliente.com"):
    return {"partner_id": partner, "domain": domain, "first_active_on": first, "last_active_on": last}


@pytest.fixture(autouse=True)
def fixed_day(monkeypatch):
    monkeypatch.setattr(personal, "today", lambda: AS_OF)


def note(turn_tracker, faq, lang="en", slots=None, **tracker_kwargs):
    tracker = turn_tracker(intent="faq", faq=faq, slots={"language": lang, **(slots or {})}, **tracker_kwargs)
    return personal.personal_note(faq, tracker, identity_of(tracker), lang)


# --- the dashboard: why a managed client is missing ---------------------------------------------


def test_dashboard_client_missing_for_a_partner_checks_the_domain_named(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PARTNER], "managed_accounts": [MANAGED],
                 "portal_activity": [activity("2024-05-09", "2024-05-10")]})
    text = note(turn_tracker, "dashboard_client_missing", token=notes_token("P-1001"),
                text="why isn't cliente.com on my dashboard?", entities=[("domain", "cliente.com")])
    # The person says it is missing: 24 hours have passed, so the rule says contact the CAM.
    assert text == (
        "**In your data:** cliente.com should appear on your dashboard: contact your Channel Account Manager.\n"
        "- 24 hours have passed since your first activity in the customer's portal cliente.com (2024-05-09) and a user "
        "from your portal was active in the last 90 days (last activity: 2024-05-10), so the customer should appear on your dashboard.\n"
        "**Next steps:**\n"
        "- Contact your Channel Account Manager."
    )


def test_dashboard_client_missing_in_portuguese_without_recent_activity(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PARTNER], "managed_accounts": [MANAGED],
                 "portal_activity": [activity("2023-01-01", "2024-01-05")]})
    text = note(turn_tracker, "dashboard_client_missing", lang="pt", token=notes_token("P-1001"),
                entities=[("domain", "cliente.com")])
    first_line, *rest = text.split("\n")
    assert first_line == "**Nos seus dados:** cliente.com não aparece no seu painel: sem atividade no portal do cliente nos últimos 90 dias."
    assert rest[0].startswith("- Nenhum usuário do seu portal esteve ativo no portal do cliente cliente.com nos últimos 90 dias (última atividade: 2024-01-05)")
    assert rest[1] == "**Próximos passos:**"
    assert rest[2].startswith("- Para o cliente aparecer no seu painel")


def test_dashboard_first_activity_today_is_still_waiting_for_the_refresh(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PARTNER], "managed_accounts": [MANAGED], "portal_activity": [activity("2024-05-10", "2024-05-10")]})
    text = note(turn_tracker, "dashboard_client_missing", token=notes_token("P-1001"), entities=[("domain", "cliente.com")])
    assert text.startswith("**In your data:** cliente.com does not appear on your dashboard yet: the first activity was today.")


def test_dashboard_takes_the_domain_of_an_email_when_no_domain_is_named(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PARTNER], "managed_accounts": [MANAGED], "portal_activity": [activity("2024-05-09", "2024-05-10")]})
    text = note(turn_tracker, "dashboard_client_missing", token=notes_token("P-1001"), entities=[("email", "ana@cliente.com")])
    assert text.startswith("**In your data:** cliente.com should appear on your dashboard")


def test_dashboard_client_not_managed(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PARTNER]})
    text = note(turn_tracker, "dashboard_client_missing", token=notes_token("P-1001"), entities=[("domain", "outro.com")])
    assert text.startswith("**In your data:** outro.com is not a customer you manage.")


@pytest.mark.parametrize("lang, expected", [
    ("pt", "Se disser o domínio do cliente na pergunta"),
    ("en", "If you name the customer's domain in your question"),
])
def test_dashboard_without_a_domain_asks_which_client(notes_given, notes_token, turn_tracker, lang, expected):
    notes_given({"partners": [PARTNER]})
    text = note(turn_tracker, "dashboard_client_missing", lang=lang, token=notes_token("P-1001"))
    assert text.startswith(expected)


def test_dashboard_with_an_unusable_domain_says_why(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PARTNER]})
    text = note(turn_tracker, "dashboard_client_missing", token=notes_token("P-1001"), entities=[("domain", "not a domain")])
    assert text.startswith("“not a domain” is not a valid domain")


# --- tiers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("faq", ["tiers_update_frequency", "tiers_calculation"])
def test_tier_questions_give_the_next_update_and_the_next_tier(notes_given, notes_token, turn_tracker, faq):
    notes_given({"partners": [PARTNER]})
    en = note(turn_tracker, faq, token=notes_token("P-1001"))
    assert en.split("\n")[0] == "**In your data:** Next tier update: 2024-05-15."
    assert "- Your current tier is Gold; the next one up is Platinum." in en
    pt = note(turn_tracker, faq, lang="pt", token=notes_token("P-1001"))
    assert pt.split("\n")[0] == "**Nos seus dados:** Próxima atualização das categorias: 2024-05-15."
    assert "- Sua categoria atual é Ouro; a próxima acima é Platinum." in pt
    assert "**Próximos passos:**" in pt


def test_tiers_for_a_provider_point_to_the_partner_package(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PROVIDER]})
    text = note(turn_tracker, "tiers_update_frequency", token=notes_token("P-1002"))
    assert "- Tiers are for Solutions Partners." in text
    assert "partnerteam@hubspot.com" in text


# --- apps ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("faq", ["app_utilization_metric", "app_list"])
def test_app_questions_give_the_partners_average(notes_given, notes_token, turn_tracker, faq):
    notes_given({
        "partners": [PARTNER],
        "subscriptions": [{"domain": "a.com", "product": "marketing_hub_starter", "started_on": "2024-01-10", "sold_by": "P-1001"}],
        "managed_accounts": [{"partner_id": "P-1001", "domain": "b.com"}],
        "app_usage": [{"domain": "a.com", "app": a} for a in ("blog", "forms")] + [{"domain": "b.com", "app": "email"}],
    })
    text = note(turn_tracker, faq, token=notes_token("P-1001"))
    assert text.split("\n")[0] == "**In your data:** Average app utilization: 1.50 (minimum 3) — below the qualification."
    assert "**Next steps:**" in text
    pt = note(turn_tracker, faq, lang="pt", token=notes_token("P-1001"))
    assert pt.split("\n")[0] == "**Nos seus dados:** Utilização média de aplicativos: 1.50 (mínimo 3) — abaixo da qualificação."


def test_app_utilisation_with_no_accounts(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PARTNER]})
    text = note(turn_tracker, "app_utilization_metric", token=notes_token("P-1001"))
    assert text.startswith("**In your data:** No accounts sold in the last 12 months or currently managed")


# --- provider status, onboarding, directory ------------------------------------------------------


@pytest.mark.parametrize("faq", ["provider_how_to_become", "provider_more_benefits"])
def test_provider_questions_list_the_missing_activation_steps(notes_given, notes_token, turn_tracker, faq):
    notes_given({"partners": [PROVIDER]})
    text = note(turn_tracker, faq, token=notes_token("P-1002"))
    assert text.split("\n")[0] == "**In your data:** Not an activated Solutions Provider yet: 2 of 3 steps missing."
    assert text.count("\n- ") >= 4  # two reasons and two next steps
    pt = note(turn_tracker, faq, lang="pt", token=notes_token("P-1002"))
    assert pt.split("\n")[0] == "**Nos seus dados:** Ainda não é um fornecedor de soluções ativado: faltam 2 de 3 etapas."


def test_provider_question_for_a_partner_package_member(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PARTNER]})
    text = note(turn_tracker, "provider_how_to_become", token=notes_token("P-1001"))
    assert text.split("\n")[0] == "**In your data:** Pulso Digital is in the Solutions Partner Package, not the Solutions Provider Package."


def test_an_active_provider(notes_given, notes_token, turn_tracker):
    notes_given({
        "partners": [{**PROVIDER, "joined_on": "2024-03-01"}],
        "subscriptions": [
            {"domain": "nuvemclara.com.br", "product": "sales_hub_starter", "started_on": "2024-03-05"},
            {"domain": "cliente.com", "product": "marketing_hub_starter", "started_on": "2024-04-20", "sold_by": "P-1002"},
        ],
        "registrations": [{"partner_id": "P-1002", "domain": "cliente.com", "registered_on": "2024-03-10"}],
    })
    text = note(turn_tracker, "provider_how_to_become", token=notes_token("P-1002"))
    assert text.split("\n")[0] == "**In your data:** Active Solutions Provider in 2024-Q2."


@pytest.mark.parametrize("package, summary", [
    ("provider", "Cannot waive mandatory onboarding; can lead the implementation as the main point of contact."),
    ("partner", "Can waive mandatory onboarding."),
])
def test_waive_onboarding_depends_on_the_package(notes_given, notes_token, turn_tracker, package, summary):
    notes_given({"partners": [{**PROVIDER, "package": package}]})
    text = note(turn_tracker, "waive_onboarding", token=notes_token("P-1002"))
    assert text.split("\n")[0] == f"**In your data:** {summary}"
    assert ("**Next steps:**" in text) == (package == "provider")


def test_directory_listing_with_and_without_a_valid_certification(notes_given, notes_token, turn_tracker):
    notes_given({
        "partners": [PARTNER, PROVIDER],
        "certifications": [{"partner_id": "P-1001", "certification": "inbound", "earned_on": "2024-01-01", "expires_on": "2026-01-01"}],
    })
    certified = note(turn_tracker, "directory_need_partner", token=notes_token("P-1001"))
    assert certified.split("\n")[0] == "**In your data:** Can be listed in the Solutions Directory."
    missing = note(turn_tracker, "directory_need_partner", lang="pt", token=notes_token("P-1002"))
    assert missing.split("\n")[0] == (
        "**Nos seus dados:** Ainda não pode ser listado no Diretório de soluções: falta uma Certificação de inbound válida."
    )


# --- who gets a note -----------------------------------------------------------------------------


def test_a_partner_naming_another_partner_still_gets_only_its_own_figures(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PARTNER, PROVIDER]})
    text = note(turn_tracker, "waive_onboarding", token=notes_token("P-1001"), entities=[("partner_id", "P-1002")])
    assert text.split("\n")[0] == "**In your data:** Can waive mandatory onboarding."  # P-1001 is a partner, P-1002 a provider
    assert "P-1002" not in text


def test_staff_naming_a_partner_get_that_partners_figures(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PARTNER, PROVIDER]})
    text = note(turn_tracker, "waive_onboarding", token=notes_token("staff.ana", "staff"), entities=[("partner_id", "P-1002")])
    assert text.split("\n")[0] == (
        "**In P-1002's data:** Cannot waive mandatory onboarding; can lead the implementation as the main point of contact."
    )
    pt = note(turn_tracker, "waive_onboarding", lang="pt", token=notes_token("staff.ana", "staff"), entities=[("partner_id", "P-1001")])
    assert pt.split("\n")[0] == "**Nos dados de P-1001:** Pode abrir mão do onboarding obrigatório."


def test_staff_the_partner_named_earlier_in_the_conversation_is_used_when_the_message_names_none(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PARTNER]})
    text = note(turn_tracker, "tiers_update_frequency", token=notes_token("staff.ana", "staff"),
                slots={"lead_partner_id": "P-1001"})
    assert text.startswith("**In P-1001's data:** Next tier update: 2024-05-15.")


def test_staff_without_a_partner_id_are_told_how_to_name_one(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PARTNER]})
    text = note(turn_tracker, "directory_need_partner", token=notes_token("staff.ana", "staff"))
    assert text == "To see this answer in a partner's data, include its ID in the question (for example, P-1001)."


def test_staff_naming_an_unknown_partner_are_told_so(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PARTNER]})
    assert note(turn_tracker, "waive_onboarding", token=notes_token("staff.ana", "staff"),
                entities=[("partner_id", "P-9999")]) == "Unknown partner “P-9999”."
    assert note(turn_tracker, "waive_onboarding", lang="pt", token=notes_token("staff.ana", "staff"),
                entities=[("partner_id", "P-9999")]) == "Não conheço o parceiro “P-9999”."


def test_a_partner_not_loaded_yet_gets_no_note(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PARTNER]})
    assert note(turn_tracker, "waive_onboarding", token=notes_token("P-5555")) is None


@pytest.mark.parametrize("lang, expected", [
    ("pt", "Entre pelo Portal do parceiro para eu aplicar esta resposta aos seus próprios números."),
    ("en", "Sign in through the Partner Portal and I'll apply this answer to your own figures."),
])
def test_anonymous_visitors_are_invited_to_sign_in(notes_given, turn_tracker, lang, expected):
    notes_given({"partners": [PARTNER]})
    for faq in personal.notes_config()["notes"]:
        assert note(turn_tracker, faq, lang=lang) == expected


def test_a_forged_token_is_no_token(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PARTNER]})
    notes_token("P-1001")  # the real secret is set…
    forged = issue_token("P-1001", "partner", key="not-the-secret-0123456789abcdef0123")  # …this one is not signed with it
    assert note(turn_tracker, "waive_onboarding", token=forged) == (
        "Sign in through the Partner Portal and I'll apply this answer to your own figures."
    )
    assert note(turn_tracker, "waive_onboarding", token="not.a.jwt").startswith("Sign in")


def test_an_expired_token_is_no_token(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PARTNER]})
    expired = notes_token("P-1001", ttl_seconds=-60)
    assert note(turn_tracker, "waive_onboarding", token=expired).startswith("Sign in")


def test_faq_questions_without_a_note_get_none_for_anyone(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PARTNER]})
    for token in (None, notes_token("P-1001"), notes_token("staff.ana", "staff")):
        assert note(turn_tracker, "program_what_is", token=token) is None
        assert note(turn_tracker, "commission_how_paid", token=token) is None


def test_any_failure_means_no_note(notes_given, notes_token, turn_tracker, monkeypatch):
    notes_given({"partners": [PARTNER]})

    def broken(*_args, **_kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(personal, "rule_named", lambda _name: broken)
    assert note(turn_tracker, "waive_onboarding", token=notes_token("P-1001")) is None


def test_an_unreachable_database_means_no_note(notes_token, turn_tracker, monkeypatch, tmp_path):
    from rules.db.session import get_engine

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", f"sqlite:///{blocker}/inside/x.db")  # a path under a file
    get_engine.cache_clear()
    try:
        assert note(turn_tracker, "waive_onboarding", token=notes_token("P-1001")) is None
    finally:
        get_engine.cache_clear()


def test_an_unknown_language_falls_back_to_english(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PARTNER]})
    tracker = turn_tracker(intent="faq", faq="waive_onboarding", token=notes_token("P-1001"))
    from rules.texts import text

    assert personal.personal_note("waive_onboarding", tracker, identity_of(tracker), "fr") == (
        "**In your data:** Can waive mandatory onboarding.\n- " + text("program_onboarding", "partner_may_waive", "en")
    )


# --- through the FAQ action ----------------------------------------------------------------------


def test_the_note_follows_the_faq_answer(notes_given, notes_token, turn_tracker):
    notes_given({"partners": [PARTNER]})
    tracker = turn_tracker("can I skip onboarding for my client?", intent="faq", faq="waive_onboarding",
                           slots={"language": "en"}, token=notes_token("P-1001"))
    dispatcher = CollectingDispatcher()
    assert asyncio.run(ActionAnswerFaq().run(dispatcher, tracker, {})) == []
    texts = [m["text"] for m in dispatcher.messages]
    assert texts[0] == faq_entry("waive_onboarding").answer_in("en")
    assert texts[1].startswith("**In your data:** Can waive mandatory onboarding.")
    assert len(texts) == 2


# --- the data file -------------------------------------------------------------------------------


def test_every_note_names_a_real_faq_a_real_rule_and_real_responses():
    import rules.program

    config = personal.notes_config()
    assert set(config["notes"]) <= set(faq_entries())
    responses = yaml.safe_load(personal.RESPONSES_FILE.read_text(encoding="utf-8"))["responses"]
    named = {config["defaults"]["anonymous"], config["defaults"]["staff_without_partner"]}
    for faq, spec in config["notes"].items():
        assert spec["rule"] in rules.program.__all__, faq
        assert set(spec.get("identities", config["defaults"]["identities"])) <= {"partner", "staff"}
        if spec.get("without_entity"):
            named.add(spec["without_entity"])
    for name in named | {"utter_personal_note", "utter_personal_note_for_partner", "utter_personal_next_steps"}:
        languages = sorted(c["value"] for v in responses[name] for c in v["condition"])
        assert languages == ["en", "pt"], name


def test_the_mapping_suggested_in_the_design_is_what_the_data_says():
    notes = personal.notes_config()["notes"]
    assert {faq: spec["rule"] for faq, spec in notes.items()} == {
        "dashboard_client_missing": "dashboard_visibility",
        "tiers_update_frequency": "tier_update",
        "tiers_calculation": "tier_update",
        "app_utilization_metric": "app_utilisation",
        "app_list": "app_utilisation",
        "provider_how_to_become": "provider_status",
        "provider_more_benefits": "provider_status",
        "waive_onboarding": "onboarding_waiver",
        "directory_need_partner": "directory_listing",
    }
    assert notes["dashboard_client_missing"]["arguments"] == {"still_missing": True}


def test_note_frames_have_the_same_placeholders_in_both_languages():
    responses = yaml.safe_load(personal.RESPONSES_FILE.read_text(encoding="utf-8"))["responses"]
    for name, variations in responses.items():
        found = {tuple(sorted(re.findall(r"\{(\w+)\}", v["text"]))) for v in variations}
        assert len(found) == 1, name
