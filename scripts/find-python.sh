#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 needs 3.10), or fails with a clear message.
set -u
for candidate in "${PARTNERBOT_PYTHON:-}" python3.10 "$HOME"/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do
  [ -n "$candidate" ] || continue
  if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
    command -v "$candidate" 2>/dev/null || echo "$candidate"
    exit 0
  fi
done
echo "partnerbot needs Python 3.10 (Rasa 3.6); set PARTNERBOT_PYTHON to its path" >&2
exit 1
