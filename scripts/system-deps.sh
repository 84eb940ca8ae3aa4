#!/usr/bin/env bash
# Install the Debian packages the platform needs, when they are missing.
# Pango renders certificates (WeasyPrint); libharfbuzz-subset0 makes CJK font subsetting fast;
# fonts-noto-cjk prints Chinese and fonts-hanazono the rare characters of CJK extensions
# A and B that names may hold; poppler-utils reads PDFs and zbar-tools their QR codes in
# tests; chromium drives browser tests; postgresql runs the second test database; redis-server,
# nginx-light and openssl run the cluster test of the deploy kit (make test-cluster).
set -euo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-hanazono
          poppler-utils zbar-tools chromium postgresql redis-server nginx-light openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
