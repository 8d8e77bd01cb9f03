"""`python -m eval` (`make eval`): the NLU evaluation on the held-out split, per language.

Trains the model first when none matches the current inputs (bot.build.train;
bot.build.TRAINING_TIME), loads it in this process and parses every example of
tests/nlu/{pt,en}/*.yml (never trained on). Prints, per language, accuracy, the
per-intent precision/recall/F1 table, macro-F1 against the bar (0.95), the ten most
confused (expected -> predicted) pairs, language-detection accuracy and parse time
p50/p95, and writes everything to var/eval/report.json. The exit code is 0 whatever the
figures (it reports; it does not gate) and 1 when the model cannot be trained or loaded.

`--cross-validate K` instead runs Rasa's K-fold cross-validation on data/nlu
(`rasa test nlu --cross-validation --folds K`). It is slow: it trains the NLU pipeline K
times (about 5-10 minutes each on two cores; K=5 takes the better part of an hour), so run
it after large changes to the training data, not on every edit. It prints the intent and
FAQ-answer (response selector) summaries; Rasa's reports and log go to
var/eval/cross_validation/.
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore", category=DeprecationWarning)  # the libraries' own, not the report's

from bench import output_to  # noqa: E402
from eval import nlu_eval  # noqa: E402


def _parser() -> argparse.ArgumentParser:
    from bot.build import VAR

    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="evaluate this model (.tar.gz) instead of training/finding the current one")
    parser.add_argument("--lang", choices=nlu_eval.LANGUAGES, action="append",
                        help="only this language (repeatable; default: pt and en)")
    parser.add_argument("--top", type=int, default=10, help="how many confused pairs to show (default 10)")
    parser.add_argument("--out", type=Path, default=VAR / "eval" / "report.json", help="the JSON report (default var/eval/report.json)")
    parser.add_argument("--cross-validate", type=int, metavar="K",
                        help="run Rasa's K-fold cross-validation on data/nlu instead (slow: trains the NLU "
                             "pipeline K times, 5-10 min each on two cores)")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.cross_validate is not None:
        return cross_validate(args)
    try:
        if args.model:
            model = args.model
        else:
            from bot.build import TRAINING_TIME, train

            log = args.out.parent / "train.log"
            print(f"eval: making sure a model matches the current training data "
                  f"(trains when it changed: {TRAINING_TIME}; log {log})...", flush=True)
            with output_to(log):
                model = train()
        with output_to(args.out.parent / "load.log"):
            agent = nlu_eval.load_agent(model)
    except Exception as exc:  # a model that cannot be trained or loaded is the only failure
        print(f"eval: could not train or load the model: {exc} (logs: {args.out.parent}/train.log, load.log)",
              file=sys.stderr)
        return 1
    report = nlu_eval.evaluate(agent, model, args.lang or nlu_eval.LANGUAGES, args.top)
    print(nlu_eval.format_report(report))
    print(f"\nfull report: {nlu_eval.write_report(report, args.out)}")
    return 0


def cross_validate(args) -> int:
    if args.cross_validate < 2:
        print("eval: --cross-validate needs K >= 2", file=sys.stderr)
        return 2
    out = args.out.parent / "cross_validation"
    print(f"eval: {args.cross_validate}-fold cross-validation on data/nlu (trains {args.cross_validate} models)...",
          flush=True)
    try:
        reports = nlu_eval.cross_validate(args.cross_validate, out)
    except Exception as exc:
        print(f"eval: cross-validation failed: {exc}", file=sys.stderr)
        return 1
    titles = {"intent_report": "intents (cross-validation, test folds)",
              "response_selection_report": "FAQ answers (faq/<id>, cross-validation, test folds)"}
    for name, report in reports.items():
        print("\n".join([""] + nlu_eval.format_rasa_report(titles[name], report)))
    print(f"\nRasa's reports: {out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
