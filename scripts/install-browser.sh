#!/usr/bin/env bash
# Installs what the browser tests (tests/browser/) need from Debian's packages when missing:
# chromium, chromium-driver (chromedriver), and fonts for readable screenshots (Latin text, emoji).
# Idempotent: when everything is installed it does nothing and needs no network. Needs root or sudo.
set -euo pipefail

PACKAGES=(chromium chromium-driver fonts-dejavu-core fonts-noto-color-emoji)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
for package in "${PACKAGES[@]}"; do
    installed "$package" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ] && command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then
        SUDO="sudo"
    else
        echo "install-browser: missing ${missing[*]} and this user cannot install packages;" >&2
        echo "install-browser: as root, run: apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi

echo "install-browser: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || $SUDO apt-get install -y --no-install-recommends "${missing[@]}"  # again, loudly, to show why

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    echo "install-browser: chromium or chromedriver is still missing after apt-get" >&2
    exit 1
fi
echo "install-browser: $(chromium --version 2>/dev/null | head -n 1)"
