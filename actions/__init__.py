"""Custom actions: thin adapters from a conversation to the rules engine, one module per flow.

`rasa run actions --actions actions` imports this package; every module below registers its actions.
"""
from actions import conversation, faq, language  # noqa: F401

for _optional in ("leads", "commission"):
    try:  # flows land one by one; the action server must start without the ones not written yet
        __import__(f"actions.{_optional}")
    except ModuleNotFoundError as exc:
        if exc.name != f"actions.{_optional}":
            raise
