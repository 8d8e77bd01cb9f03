"""Fixtures of the production-operation tests (tests/ops/ops_stack.py says what runs)."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from ops_stack import Stack  # noqa: E402


@pytest.fixture(scope="session")
def ops_model(tmp_path_factory) -> Path:
    source = os.environ.get("PARTNERBOT_OPS_MODEL")
    if not source:
        from bot.build import train

        source = str(train())
    copy = tmp_path_factory.mktemp("ops-model") / Path(source).name
    shutil.copyfile(source, copy)
    return copy


@pytest.fixture(scope="session")
def scaled_stack(ops_model, tmp_path_factory):
    stack = Stack(ops_model, tmp_path_factory.mktemp("ops-logs"))
    try:
        stack.start()
    except SystemExit as exc:  # start_servers' "a server did not start": an error for every test, not the end of pytest
        stack.close()
        raise RuntimeError(f"{exc} (server log: {stack.log_path})") from None
    except BaseException:
        stack.close()
        raise
    yield stack
    stack.close()
