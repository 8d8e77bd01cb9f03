"""`partnerbot triage PATH --out DIR`: the partner team's email triage (contract §5).

PATH is one .eml file, a folder of .eml files, an mbox file or a Maildir; it is only read.
Each message gets a line in DIR/triage.jsonl (language, topic, domains, lead checks as
staff, needs_human, reply draft) and a reply in DIR/drafts/. The trained NLU model is
loaded in this process (trained first when none matches the current training data).
"""
from __future__ import annotations

import sys
from pathlib import Path

from bot.cli import UsageError, emit
from bot.cli.common import add_as_of, add_json, add_lang, engine, parse_date


def register(subparsers) -> None:
    triage = subparsers.add_parser(
        "triage", help="triage partner emails: topic, language, domains, lead checks, reply drafts",
        description=__doc__.split("\n\n")[1].replace("\n", " "))
    triage.add_argument("path", metavar="PATH", help="an .eml file, a folder of .eml files, an mbox file or a Maildir")
    triage.add_argument("--out", required=True, metavar="DIR", help="where triage.jsonl and drafts/ are written")
    triage.add_argument("--limit", metavar="N", help="triage at most N messages")
    triage.add_argument("--since", metavar="YYYY-MM-DD", help="only messages dated on or after this day (by their Date header; undated ones are kept)")
    add_as_of(triage)
    triage.add_argument("--model", metavar="MODEL", help="a trained model (.tar.gz) to use instead of the current one")
    triage.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar on stderr")
    add_lang(triage)
    add_json(triage)
    triage.set_defaults(func=run_triage)


def _limit(value, lang: str):
    from bot.triage.texts import cli_text

    if value is None:
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if number < 1:
        raise UsageError(cli_text("bad_limit", lang, value=value))
    return number


def _inside(child: Path, parent: Path) -> bool:
    try:
        child.relative_to(parent)
        return True
    except ValueError:
        return False


def check_paths(path: Path, out: Path, lang: str) -> None:
    """PATH must be a mailbox we can read; DIR must not be inside it (the input is never modified)."""
    from bot.triage.mailboxes import MailboxError, kind_of
    from bot.triage.texts import cli_text

    try:
        kind_of(path)
    except MailboxError as exc:
        raise UsageError(cli_text(exc.code, lang, **exc.values)) from None
    source, target = path.resolve(), out.resolve()
    if (source.is_dir() and _inside(target, source)) or target == source:
        raise UsageError(cli_text("out_inside_input", lang, out=out, path=path))
    if out.exists() and not out.is_dir():
        raise UsageError(cli_text("out_not_dir", lang, out=out))


def model_for_triage(explicit, lang: str) -> Path:
    """The --model given, else the current model (trained now when none matches the training data)."""
    from bot.triage.texts import cli_text

    if explicit:
        model = Path(explicit)
        if not model.is_file():
            raise UsageError(cli_text("path_missing", lang, path=model))
        return model
    from bot.build import model_path, train

    if not model_path().exists():
        print(cli_text("training", lang), file=sys.stderr, flush=True)
    return train()


def run_triage(args) -> int:
    from bot.triage.run import Triage, run
    from bot.triage.texts import cli_text
    from bot.triage.understanding import Classifier

    lang = args.lang
    path, out = Path(args.path), Path(args.out)
    limit = _limit(args.limit, lang)
    since = parse_date(args.since) if args.since else None
    as_of = parse_date(args.as_of)
    check_paths(path, out, lang)
    eng = engine()
    try:
        model = model_for_triage(args.model, lang)
        if args.progress:
            print(cli_text("loading", lang, model=model), file=sys.stderr, flush=True)
        classifier = Classifier.load(model)
    except UsageError:
        raise
    except Exception as exc:
        raise UsageError(cli_text("model_failed", lang, why=f"{type(exc).__name__}: {exc}"[:300])) from None
    with eng.connect() as conn:
        summary = run(path, out, Triage(classifier, conn, as_of), limit=limit, since=since, lang=lang,
                      progress=args.progress)
    emit(summary.as_dict(), args.json, lambda _: summary.readable(lang))
    return 0
