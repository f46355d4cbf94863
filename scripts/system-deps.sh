#!/usr/bin/env bash
# Debian packages the brief needs, installed by name when missing.
#   report: a CJK font for charts and PDF (Noto Sans CJK TC), HarfBuzz subsetting for WeasyPrint
#           (without it a PDF takes 14 s and 284 MB), and pango, which WeasyPrint draws text with.
#   test:   the above, plus poppler (pdftotext, pdffonts) and chromium, which the tests read the
#           PDF and open the HTML with.
# Installs as root or with password-less sudo; otherwise prints the one command to run and fails.
set -euo pipefail
mode=${1:-report}
packages=(fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0)
[[ $mode == test ]] && packages+=(poppler-utils chromium)

if ! command -v dpkg-query >/dev/null; then
  echo "system-deps: not a Debian-based system; install the equivalents of: ${packages[*]}" >&2
  exit 0
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -eq 0 ]]; then apt=(apt-get)
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then apt=(sudo apt-get)
else
  echo "system-deps: missing Debian packages: ${missing[*]}" >&2
  echo "system-deps: run: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${apt[@]}" update -qq >/dev/null
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# A matplotlib font cache written before the CJK font existed would hide it; the charts module
# also rebuilds the cache when the pinned font is missing from it.
rm -rf "${MPLCONFIGDIR:-${XDG_CACHE_HOME:-$HOME/.cache}/matplotlib}"
