#!/usr/bin/env bash
# Debian packages the brief needs: a CJK font for charts and PDF, HarfBuzz subsetting for WeasyPrint
# (without it a PDF takes 14 s and 284 MB), pango for WeasyPrint, poppler and chromium for the checks.
# Installs what is missing when run as root (or with sudo); otherwise says exactly what to install.
set -euo pipefail
packages=(fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 poppler-utils chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then exit 0; fi
echo "system-deps: installing ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then apt=(apt-get); elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then apt=(sudo apt-get)
else
  echo "system-deps: missing Debian packages: ${missing[*]}" >&2
  echo "system-deps: run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${apt[@]}" update -qq >/dev/null
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# A matplotlib font cache written before the CJK font existed hides it: drop the cache.
rm -rf "${HOME:-/root}/.cache/matplotlib"
