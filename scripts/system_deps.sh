#!/usr/bin/env bash
# Debian packages Tandem needs: Chromium for the browser tests, Noto CJK fonts for Chinese PDFs,
# Pango and HarfBuzz-Subset for WeasyPrint (without it WeasyPrint warns, and the suite runs with -W error), pg client tools for the benchmarks. Installs only what is missing.
set -euo pipefail
need=()
for pkg in chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 postgresql-client; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${need[*]} (run: sudo apt-get update && sudo apt-get install -y ${need[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
