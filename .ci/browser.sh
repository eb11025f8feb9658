#!/usr/bin/env bash
# The real-browser journeys (tests/browser): Debian's Chromium, headless, driven by Playwright.
#
#   .ci/browser.sh [pytest args…]     e.g. .ci/browser.sh -k judge      (DATABASE_URL is honoured)
#
# Installs what the leg needs (idempotent): the `chromium` package and a Japanese font (so Japanese
# screenshots are readable), and Playwright + axe-core in the venv. Playwright never downloads a
# browser here: the tests launch /usr/bin/chromium. Screenshots and axe-core reports land in
# $KAKEHASHI_BROWSER_ARTIFACTS (default artifacts/browser/). Exits non-zero if a journey fails or
# cannot run (KAKEHASHI_REQUIRE_SERVICES=1).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -e /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf ] || need+=(fonts-ipafont-gothic)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null \
    || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; }
  echo "browser: installed ${need[*]} in $(( $(date +%s) - started ))s"
fi
dpkg-query -W -f='browser: ${Package} ${Version}\n' chromium

make -s .venv/.installed-dev

export KAKEHASHI_REQUIRE_SERVICES=1
export KAKEHASHI_BROWSER_ARTIFACTS=${KAKEHASHI_BROWSER_ARTIFACTS:-artifacts/browser}
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
tests_started=$(date +%s)
status=0
.venv/bin/pytest -q -p no:cacheprovider -m browser tests/browser "$@" || status=$?
echo "browser: journeys ran in $(( $(date +%s) - tests_started ))s (leg total $(( $(date +%s) - started ))s);" \
  "screenshots in $KAKEHASHI_BROWSER_ARTIFACTS"
exit "$status"
