"""Contact emails are never logged at info level or above (tests/ops/test_scaled.py also reads the servers' logs).

Every logging call in the project's code at info, warning, error or critical level is read:
none may pass a value whose name says it is an email or a contact.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("actions", "bot", "rules")
LEVELS = {"info", "warning", "warn", "error", "exception", "critical", "fatal", "log"}
SENSITIVE = ("email", "contact", "e_mail")


def names_in(node: ast.AST) -> set:
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.add(child.id)
        elif isinstance(child, ast.Attribute):
            found.add(child.attr)
        elif isinstance(child, ast.Constant) and isinstance(child.value, str) and isinstance(getattr(child, "parent", None), ast.Subscript):
            found.add(child.value)
    return found


def logging_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LEVELS:
            owner = node.func.value
            owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
            if "log" in owner_name.lower():
                yield node


def test_no_logging_call_at_info_or_above_passes_an_email_or_a_contact():
    offending = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for parent in ast.walk(tree):
                for child in ast.iter_child_nodes(parent):
                    child.parent = parent
            for call in logging_calls(tree):
                values = [*call.args[1:], *(k.value for k in call.keywords)]
                names = set().union(*(names_in(v) for v in values)) if values else set()
                if any(word in name.lower() for name in names for word in SENSITIVE):
                    offending.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert offending == []


def test_the_scan_finds_what_it_looks_for():
    sample = ast.parse("logger.info('registered %s for %s', domain, contact_email)\n"
                       "logger.debug('%s', contact_email)\n"
                       "logger.warning('%s', row['email'])\n")
    for parent in ast.walk(sample):
        for child in ast.iter_child_nodes(parent):
            child.parent = parent
    flagged = [c.lineno for c in logging_calls(sample)
               if any(w in n.lower() for v in c.args[1:] for n in names_in(v) for w in SENSITIVE)]
    assert flagged == [1, 3]
