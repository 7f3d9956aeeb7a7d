#!/usr/bin/env bash
# System packages the app and its tests need: Pango for WeasyPrint, a CJK font for Chinese reports,
# Chromium for the browser test, poppler-utils to look at PDF pages, Node.js for the test that holds the
# browser's show-if evaluator to the server's, wrk for `make bench-web`. Installs only what is missing.
set -euo pipefail
need=()
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk chromium poppler-utils nodejs wrk; do
  [ "$pkg" = nodejs ] && command -v node >/dev/null && continue
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "missing system packages: ${need[*]} (install them with your package manager)" >&2
  exit 1
fi
echo "installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
