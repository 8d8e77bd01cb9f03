"""The `partnerbot` command line: one sub-command group per module (db, lead, commission, eligibility, …).

Every command answers bad input with exit code 2 and one clear line on stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

from rules.errors import BadInput

# Sub-command modules; each has register(subparsers). Imported lazily so `partnerbot lead check` stays fast.
COMMAND_MODULES = ("db", "lead", "commission", "eligibility", "serve", "chat", "triage", "audit")


class UsageError(Exception):
    """A command-line problem to report as one line, exit 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="partnerbot", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"bot.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bot.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def emit(payload, as_json: bool, human=None) -> None:
    """Print a result: JSON when asked, else the human rendering."""
    if as_json or human is None:
        print(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    else:
        print(human(payload))


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BadInput as exc:
        print(f"partnerbot: {exc.message(getattr(args, 'lang', None) or 'en')}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"partnerbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `partnerbot … | head`
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0


if __name__ == "__main__":
    sys.exit(main())
