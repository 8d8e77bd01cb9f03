"""`python -m bench [NAME [ARGS…]]`: run every benchmark section, or one with its own arguments.

`python -m bench` runs each section (bench/<name>_bench.py) with its defaults, one after
the other, and exits non-zero if any section failed; `python -m bench rules --help`
shows a section's options; `python -m bench --list` lists the sections.
"""
from __future__ import annotations

import importlib
import os
import sys
import time

from bench import sections


def run_section(name: str, argv: list) -> int:
    module = importlib.import_module(f"bench.{name}_bench")
    title = (module.__doc__ or name).strip().splitlines()[0]
    print(f"\n=== {name}: {title}", flush=True)
    started = time.perf_counter()
    try:
        code = int(module.main(argv) or 0)
    except KeyboardInterrupt:
        raise
    except SystemExit as exc:  # argparse (--help, a bad option) or a section's own sys.exit
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception as exc:  # one broken section must not hide the others' figures
        print(f"{name}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 1
    print(f"=== {name}: {'done' if code == 0 else f'exit {code}'} in {time.perf_counter() - started:.1f} s",
          flush=True)
    return code


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    known = sections()
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        print("\nsections: " + ", ".join(known))
        return 0
    if argv and argv[0] == "--list":
        for name in known:
            module = importlib.import_module(f"bench.{name}_bench")
            print(f"{name:<10} {(module.__doc__ or '').strip().splitlines()[0]}")
        return 0
    if argv:
        name, rest = argv[0], argv[1:]
        if name not in known:
            print(f"bench: no section {name!r} (sections: {', '.join(known)})", file=sys.stderr)
            return 2
        return run_section(name, rest)
    failed = [name for name in known if run_section(name, []) != 0]
    if failed:
        print(f"\nbench: failed sections: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    sys.exit(main())
