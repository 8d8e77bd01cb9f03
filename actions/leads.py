"""Lead conversations: check a lead (a domain), explain why it is unavailable, register it.

Thin adapters over rules.lead_availability and rules.lead_registration. Who is asking comes
from the latest message's token only (actions.context.identity_of): anonymous people are
asked to sign in and nothing is checked; a partner acts as itself and never learns which
partner owns a lead; staff act for the partner they name and see the owner. Every check,
explanation and registration attempt leaves a row in the audit log.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.context import database as context_database
from actions.context import first_entity, identity_of, language_of, latest_intent
from bot.identity import Identity
from rules.errors import BadInput

logger = logging.getLogger(__name__)

# A lead just found in one of these states is not offered for registration, nor asked a contact.
NOT_REGISTRABLE = ("unavailable", "registered_by_you")
STATUS_RESPONSES = {
    "available": "utter_lead_available",
    "unavailable": "utter_lead_unavailable",
    "registered_by_you": "utter_lead_registered_by_you",
}


def today() -> dt.date:
    """The day leads are checked on (a function, so tests can fix it)."""
    return dt.date.today()


database = context_database  # the project's database, current schema (actions.context)


def bullets(lines: list) -> str:
    return "\n".join(f"• {line}" for line in lines)


def acting_partner(identity: Identity, tracker: Tracker) -> Optional[str]:
    """Whose lead: a partner's own, always; for staff, the partner named in the conversation."""
    if identity.is_staff:
        return tracker.get_slot("lead_partner_id")
    return identity.subject


def named_partner(identity: Identity, tracker: Tracker) -> Optional[str]:
    """The partner this message names, for staff ("… for P-1002?"); a partner always acts as itself."""
    return first_entity(tracker, "partner_id") if identity.is_staff else None


def audit(conn, identity: Identity, action: str, target: str, partner_id: Optional[str], result: str) -> None:
    from rules.lead_registration import write_audit

    write_audit(conn, actor=identity.subject, role=identity.role, action=action, target=target,
                partner_id=partner_id, result=result)


def audit_refusal(identity: Identity, action: str, target: str, partner_id: Optional[str], exc: BadInput) -> None:
    """An attempt the rules refused as bad input is audited too (best effort: the answer matters more)."""
    try:
        with database().begin() as conn:
            audit(conn, identity, action, str(target or "")[:253], partner_id, f"bad_input:{exc.code}")
    except Exception:  # noqa: BLE001 - the person still gets the BadInput message
        logger.exception("could not write the audit row of a refused %s", action)


def say_verdict(dispatcher: CollectingDispatcher, check, lang: str, staff: bool) -> None:
    """The answer to a check in the status's response: the verdict, each reason's explanation, the next steps."""
    answer = check.as_dict(lang, staff=staff)
    dispatcher.utter_message(
        response=STATUS_RESPONSES[check.status],
        summary=answer["summary"],
        reasons=bullets([r["explanation"] for r in answer["reasons"]]),
        next_steps=bullets(answer["next_steps"]),
        domain=check.display_domain,
    )


def result_slots(check) -> list:
    """What the dialogue remembers about the lead: its domain, status, reasons and expiry."""
    return [
        SlotSet("lead_domain", check.domain),
        SlotSet("lead_status", check.status),
        SlotSet("lead_reasons", list(check.reason_codes)),
        SlotSet("lead_expires_on", check.expires_on.isoformat() if check.expires_on else None),
    ]


def contact_at(domain_name: Optional[str], email: Optional[str]) -> Optional[str]:
    """A lead named by someone's email ("is jane@acme.com free?") has its registration contact: that person."""
    if domain_name and email and email.rsplit("@", 1)[-1].lower() == domain_name:
        return email
    return None


# A contact's local part as people write them (joana.ribeiro, o'brien, ana+leads): letters or digits
# at both ends, no "..". Stricter than RFC 5322 on purpose: "{summary}" or "--" is not a contact.
_PLAIN_LOCAL = re.compile(r"^[^\W_](?:[\w.'+%-]*[^\W_])?$")
_ATEXT = re.compile(r"[\w!#$%&'*+/=?^`{|}~.-]")


def typed_whole(value: str, text: str) -> bool:
    """`value` is an address the person typed whole in `text` (not a piece cut out of a longer string),
    or it is not in `text` at all (it came from an earlier message or a button)."""
    lowered, wanted = (text or "").lower(), value.lower()
    start, seen = lowered.find(wanted), False
    while start >= 0:
        seen = True
        end = start + len(wanted)
        before = lowered[start - 1] if start > 0 else " "
        after = lowered[end] if end < len(lowered) else " "
        if not _ATEXT.match(before) and not (_ATEXT.match(after) and after != "."):
            return True
        start = lowered.find(wanted, start + 1)
    return not seen


def checked_contact(value: Any, tracker: Tracker) -> str:
    """The registration contact, checked (rules.lead_registration.valid_contact_email) and plausible; BadInput otherwise."""
    from rules.lead_registration import valid_contact_email

    raw = str(value or "")
    email = valid_contact_email(raw)
    local = email.rsplit("@", 1)[0]
    if not _PLAIN_LOCAL.match(local) or ".." in local or not typed_whole(raw.strip(), (tracker.latest_message or {}).get("text") or ""):
        raise BadInput("bad_email", value=raw[:200])
    return email


def cleared_result() -> list:
    return [SlotSet("lead_status", None), SlotSet("lead_reasons", None), SlotSet("lead_expires_on", None)]


# --- starting a check or a registration ---------------------------------------------------------


class ActionStartLeadCheck(Action):
    """A new check starts over: the lead's slots are reset and filled from this message only."""

    def name(self) -> str:
        return "action_start_lead_check"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        identity = identity_of(tracker)
        if identity is None:
            return [SlotSet("lead_signed_in", False)]
        partner = named_partner(identity, tracker)
        domain_named = first_entity(tracker, "domain")
        return [
            SlotSet("lead_signed_in", True),
            SlotSet("lead_domain", domain_named),
            SlotSet("lead_partner_id", partner),
            SlotSet("lead_contact_email", contact_at(domain_named, first_entity(tracker, "email"))),
            *cleared_result(),
        ]


class ActionStartLeadRegistration(Action):
    """Registering the lead just checked ("yes", "register it"), or the one this message names."""

    def name(self) -> str:
        return "action_start_lead_registration"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        identity = identity_of(tracker)
        if identity is None:
            return [SlotSet("lead_signed_in", False)]
        events = [SlotSet("lead_signed_in", True)]
        named = first_entity(tracker, "domain") if latest_intent(tracker) == "register_lead" else None
        partner = named_partner(identity, tracker)
        email = first_entity(tracker, "email")
        if named and named != tracker.get_slot("lead_domain"):
            # Another lead than the one discussed: start over with it.
            events += [SlotSet("lead_domain", named), SlotSet("lead_partner_id", partner),
                       SlotSet("lead_contact_email", email), *cleared_result()]
            return events
        if partner:
            events.append(SlotSet("lead_partner_id", partner))
        if email:
            events.append(SlotSet("lead_contact_email", email))
        return events


# --- the forms' answers -------------------------------------------------------------------------


class LeadAnswers:
    """Validation of what a lead form asks: the domain, the partner (staff only), the contact email."""

    def asks_partner(self, identity: Optional[Identity]) -> bool:
        return identity is not None and identity.is_staff

    async def validate_lead_domain(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        from rules.lead_availability import lead_domain

        try:
            return {"lead_domain": lead_domain(str(value or ""))}
        except BadInput as exc:
            dispatcher.utter_message(text=exc.message(language_of(tracker)))
            return {"lead_domain": None}

    async def validate_lead_partner_id(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        from rules.lead_availability import require_partner

        if not self.asks_partner(identity_of(tracker)):
            return {"lead_partner_id": None}  # a partner always acts as itself
        try:
            with database().connect() as conn:
                return {"lead_partner_id": require_partner(conn, str(value or "").strip())}
        except BadInput as exc:
            dispatcher.utter_message(text=exc.message(language_of(tracker)))
        except Exception:  # noqa: BLE001 - never let an exception end the conversation
            logger.exception("could not look up partner %r", value)
            dispatcher.utter_message(response="utter_lead_error")
        return {"lead_partner_id": None}

    async def validate_lead_contact_email(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        try:
            return {"lead_contact_email": checked_contact(value, tracker)}
        except BadInput as exc:
            dispatcher.utter_message(text=exc.message(language_of(tracker)))
            return {"lead_contact_email": None}


class ValidateLeadCheckForm(LeadAnswers, FormValidationAction):
    """Asks only for what is missing: the domain, and for staff the partner."""

    def name(self) -> str:
        return "validate_lead_check_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list:
        identity = identity_of(tracker)
        if identity is None:
            return []  # nothing to ask: action_check_lead asks them to sign in
        return ["lead_domain", "lead_partner_id"] if self.asks_partner(identity) else ["lead_domain"]


class ValidateLeadRegistrationForm(LeadAnswers, FormValidationAction):
    """Asks only for what is missing: the domain, for staff the partner, and the contact email."""

    def name(self) -> str:
        return "validate_lead_registration_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list:
        identity = identity_of(tracker)
        if identity is None:
            return []
        partner = ["lead_partner_id"] if self.asks_partner(identity) else []
        if tracker.get_slot("lead_status") in NOT_REGISTRABLE and tracker.get_slot("lead_domain"):
            # Just checked and not available: no contact to ask for, action_register_lead says why.
            return ["lead_domain", *partner]
        return ["lead_domain", *partner, "lead_contact_email"]


# --- checking, explaining, registering ----------------------------------------------------------


def audited_check(dispatcher: CollectingDispatcher, identity: Identity, target: Optional[str],
                  partner_id: Optional[str], action: str, lang: str):
    """The rules engine's check of the lead, audited as `action`; None (the person told why) when refused or failing."""
    from rules.lead_availability import check_lead

    try:
        with database().begin() as conn:
            check = check_lead(conn, target or "", partner_id or "", today())
            audit(conn, identity, action, check.domain, check.partner_id, check.status)
    except BadInput as exc:
        audit_refusal(identity, action, target, partner_id, exc)
        dispatcher.utter_message(text=exc.message(lang))
        return None
    except Exception:  # noqa: BLE001
        logger.exception("%s failed for %r", action, target)
        dispatcher.utter_message(response="utter_lead_error")
        return None
    return check


class ActionCheckLead(Action):
    """The verdict on the lead for the partner (signed in, or named by staff), with every reason."""

    def name(self) -> str:
        return "action_check_lead"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        lang = language_of(tracker)
        identity = identity_of(tracker)
        if identity is None:
            dispatcher.utter_message(response="utter_sign_in_required")
            return cleared_result()
        target = tracker.get_slot("lead_domain")
        check = audited_check(dispatcher, identity, target, acting_partner(identity, tracker), "lead_check", lang)
        if check is None:
            return cleared_result()
        say_verdict(dispatcher, check, lang, identity.is_staff)
        return result_slots(check)


class ActionExplainLead(Action):
    """"Why?" / "What can I do?": every reason the lead is unavailable and every option left.

    The lead is the one named in the question ("why is acme.com unavailable?"), else the one
    the conversation last checked.
    """

    def name(self) -> str:
        return "action_explain_lead"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        from rules.lead_availability import UNAVAILABLE

        lang = language_of(tracker)
        identity = identity_of(tracker)
        if identity is None:
            dispatcher.utter_message(response="utter_sign_in_required")
            return []
        named, partner_named = first_entity(tracker, "domain"), named_partner(identity, tracker)
        target = named or tracker.get_slot("lead_domain")
        partner_id = partner_named or acting_partner(identity, tracker)
        if named and not partner_id:  # staff naming a lead without a partner: whose lead?
            from rules.lead_availability import lead_domain

            try:
                dispatcher.utter_message(response="utter_lead_explain_which_partner", domain=lead_domain(named))
            except BadInput as exc:
                dispatcher.utter_message(text=exc.message(lang))
            return []
        if not named and not (target and tracker.get_slot("lead_status") and partner_id):
            dispatcher.utter_message(response="utter_lead_nothing_to_explain")
            return []
        remembered = [SlotSet("lead_partner_id", partner_id)] if partner_named else []
        # The lead as it stands now (it may have changed since the check), in today's language.
        check = audited_check(dispatcher, identity, target, partner_id, "lead_explain", lang)
        if check is None:
            return []
        if check.status == UNAVAILABLE:
            answer = check.as_dict(lang, staff=identity.is_staff)
            dispatcher.utter_message(
                response="utter_lead_explanation",
                domain=check.display_domain,
                summary=answer["summary"],
                reasons=bullets([r["explanation"] for r in answer["reasons"]]),
                next_steps=bullets(answer["next_steps"]),
            )
        else:
            say_verdict(dispatcher, check, lang, identity.is_staff)
        return remembered + result_slots(check)


class ActionRegisterLead(Action):
    """Registers the lead for the partner when it is available; says why not otherwise."""

    def name(self) -> str:
        return "action_register_lead"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        from rules.lead_registration import register_lead

        lang = language_of(tracker)
        identity = identity_of(tracker)
        if identity is None:
            dispatcher.utter_message(response="utter_sign_in_required")
            return []
        target = tracker.get_slot("lead_domain")
        partner_id = acting_partner(identity, tracker)
        contact = tracker.get_slot("lead_contact_email")
        if not contact and tracker.get_slot("lead_status") in NOT_REGISTRABLE:
            return self.refuse_without_contact(dispatcher, identity, target, partner_id, lang)
        try:
            contact = checked_contact(contact, tracker) if contact else contact
        except BadInput as exc:  # a contact that did not go through the form's validation
            audit_refusal(identity, "lead_register", target, partner_id, exc)
            dispatcher.utter_message(text=exc.message(lang))
            return []
        try:
            result = register_lead(database(), target or "", partner_id or "", contact or "", today(),
                                   actor=identity.subject, role=identity.role)
        except BadInput as exc:
            audit_refusal(identity, "lead_register", target, partner_id, exc)
            dispatcher.utter_message(text=exc.message(lang))
            return []
        except Exception:  # noqa: BLE001
            logger.exception("lead registration failed for %r", target)
            dispatcher.utter_message(response="utter_lead_error")
            return []
        staff = identity.is_staff
        answer = result.as_dict(lang, staff=staff)
        if result.registered:
            dispatcher.utter_message(response="utter_lead_registered", summary=answer["summary"],
                                     contact=contact, next_steps=bullets(answer["next_steps"]))
        else:
            dispatcher.utter_message(response="utter_lead_not_registered",
                                     explanation=answer["not_registered"]["explanation"])
            say_verdict(dispatcher, result.check, lang, staff)
        return result_slots(result.check)

    def refuse_without_contact(self, dispatcher: CollectingDispatcher, identity: Identity, target: Optional[str],
                               partner_id: Optional[str], lang: str) -> list:
        """A lead just found unavailable (or already the partner's) is checked again instead of asking for a contact."""
        from rules.lead_availability import REGISTERED_BY_YOU, check_lead
        from rules.lead_registration import may_register
        from rules.texts import text

        try:
            with database().begin() as conn:
                check = check_lead(conn, target or "", partner_id or "", today())
                code = None if may_register(check) else ("already_yours" if check.status == REGISTERED_BY_YOU else "unavailable")
                audit(conn, identity, "lead_register", check.domain, check.partner_id, f"not_registered:{code or 'no_contact'}")
        except BadInput as exc:
            audit_refusal(identity, "lead_register", target, partner_id, exc)
            dispatcher.utter_message(text=exc.message(lang))
            return []
        except Exception:  # noqa: BLE001
            logger.exception("lead registration check failed for %r", target)
            dispatcher.utter_message(response="utter_lead_error")
            return []
        if code:
            dispatcher.utter_message(response="utter_lead_not_registered",
                                     explanation=text("lead_summary", f"not_registered_{code}", lang))
        # Available again since the check: the answer says so, and the next "register" asks for the contact.
        say_verdict(dispatcher, check, lang, identity.is_staff)
        return result_slots(check)
