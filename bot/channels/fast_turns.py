"""What a chat turn costs inside the Rasa server, cut where Rasa spends it for nothing.

Installed by the REST channel (bot/channels/rest.py) when the Rasa server loads it. Each change
gives what Rasa 3.6 gives, found by profiling `python -m bench chat` turns:

- Rasa checks every answer of the action server against its JSON schema with
  `jsonschema.validate`, which first re-checks the *schema itself* against the JSON Schema
  meta-schema: about 20 ms of CPU for every custom action call (a lead check makes three or
  four). Here the schema is checked once and its validator reused: the same answers pass,
  the same answers fail with the same error.
- After every message Rasa asks the action server for `action_validate_slot_mappings`
  (actions/language.py), whose only work is the `language` and `language_preference` slots:
  an HTTP round trip carrying the whole conversation. Here the same function
  (`actions.language.language_slots`) runs on the Rasa server's own tracker. Rasa processes
  without this module (`rasa test core`, `rasa shell`) still call the action server.
- Reading a conversation from the tracker store or an action's answer, Rasa finds each
  event's class by walking all subclasses of Event; the class found for a name is remembered.
- An SQLite tracker store (var/tracker.db, the default) keeps its connections (Rasa's engine
  opens and closes one per read or write) and commits in WAL mode with synchronous=NORMAL,
  SQLite's recommended setting for WAL: in the default rollback-journal mode every commit
  syncs the database file and its journal to disk, a few milliseconds each on an idle disk
  and far more on a busy one. A stored turn survives any stop or crash of the processes
  (restarts lose nothing); only a crash of the machine itself (power cut) may lose the last
  turns, never the database's consistency. PostgreSQL (the scaled mode) is unchanged.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

_installed = False


def _compiled_response_validator():
    """The validator of Rasa's action-server response schema, its schema checked once."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _install_response_validation() -> None:
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    validator = _compiled_response_validator()

    def _validate_action_result(self, result: Dict[Text, Any]) -> bool:
        # What jsonschema.validate(result, schema) does, without checking the schema again each time.
        error = best_match(validator.iter_errors(result))
        if error is not None:
            error.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    RemoteAction._validate_action_result = _validate_action_result


def local_slot_mapping_events(tracker, slot_events: List[Any]) -> List[Any]:
    """The events `action_validate_slot_mappings` would return for this turn, computed here.

    `slot_events`: the SlotSet events Rasa extracted from the message (from_entity, from_text …).
    The action fills the language slots and returns every other extracted slot unchanged
    (it has no `validate_<slot>` method).
    """
    from rasa.shared.core.events import SlotSet

    from actions.language import language_slots

    latest = tracker.latest_message
    intent = (getattr(latest, "intent", None) or {}).get("name")
    entities = getattr(latest, "entities", None) or []
    language = language_slots(intent, entities, tracker.get_slot("language_preference"), tracker.get_slot("language"))
    return [SlotSet(name, value) for name, value in language.items()] + [
        e for e in slot_events if isinstance(e, SlotSet) and e.key not in language
    ]


def _install_local_slot_mappings() -> None:
    from rasa.core.actions.action import ActionExtractSlots
    from rasa.shared.core.constants import ACTION_VALIDATE_SLOT_MAPPINGS

    original = ActionExtractSlots._execute_validation_action

    async def _execute_validation_action(self, extraction_events, output_channel, nlg, tracker, domain):
        if ACTION_VALIDATE_SLOT_MAPPINGS not in domain.user_actions or not any(s.name == "language" for s in domain.slots):
            return await original(self, extraction_events, output_channel, nlg, tracker, domain)
        return local_slot_mapping_events(tracker, extraction_events)

    ActionExtractSlots._execute_validation_action = _execute_validation_action


def _wal_mode(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def tune_sqlite_store(store) -> None:
    """An SQLite tracker store (Rasa's SQLTrackerStore) keeps its connections and commits in WAL mode.

    Rasa's engine (SQLAlchemy 1.4) opens and closes a connection for every read and write of a
    turn; closing the last connection of a WAL database checkpoints and deletes the WAL. Kept
    connections (a QueuePool, what SQLAlchemy 2.0 uses for SQLite files) avoid both.
    """
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import QueuePool

    engine = store.engine
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return
    pooled = create_engine(engine.url, poolclass=QueuePool, connect_args={"check_same_thread": False})
    event.listen(pooled, "connect", _wal_mode)
    store.engine = pooled
    store.sessionmaker.configure(bind=pooled)
    engine.dispose()


def _install_sqlite_wal() -> None:
    from rasa.core.tracker_store import SQLTrackerStore

    original = SQLTrackerStore.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        tune_sqlite_store(self)

    SQLTrackerStore.__init__ = __init__


def _install_event_type_cache() -> None:
    """Rasa finds an event's class by walking every subclass of Event (with `inspect.isabstract`)
    for each event it reads: a conversation read from the tracker store, an action's answer.
    The class found for a type name is remembered (a name not found yet is looked up as before)."""
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    found: dict = {}

    def resolve_by_type(type_name, default=None):
        cls = found.get(type_name)
        if cls is None:
            cls = original(type_name, default)
            if cls is not None and cls is not default:
                found[type_name] = cls
        return cls

    Event.resolve_by_type = staticmethod(resolve_by_type)


def install() -> None:
    """Install all of the above (once per process)."""
    global _installed
    if _installed:
        return
    _install_response_validation()
    _install_local_slot_mappings()
    _install_event_type_cache()
    _install_sqlite_wal()
    _installed = True
