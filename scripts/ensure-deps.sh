#!/usr/bin/env bash
# Installs, only when missing, what soilbeta needs on Debian.
#   scripts/ensure-deps.sh build   – GDAL headers and tools, Leaflet for map.html (needed to build and to run)
#   scripts/ensure-deps.sh test    – plus chromium for the report's browser check, and a Python environment
#                                    (.build/python-tools) with netCDF4, the IOOS compliance-checker (CF checks) and selenium (map page)
#   scripts/ensure-deps.sh bench   – plus the peers of `make bench`: R ranger, randomForest, terra, scikit-learn
# slurm-wlm and munge (the local SLURM) are installed by scripts/slurm-local.sh start, not here.
set -euo pipefail
want=(libgdal-dev gdal-bin pkg-config libjs-leaflet)
case "${1:-build}" in
  test) want+=(chromium chromium-driver python3-venv) ;;
  bench) want+=(r-base-core r-cran-ranger r-cran-randomforest r-cran-terra time bc) ;;
esac
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "${1:-build}" = bench ]; then
  python3 -c "import sklearn, mpspline, pandas" 2>/dev/null || {
    echo "==> installing scikit-learn, mpspline, pandas (PyPI)"
    python3 -m pip install -q --root-user-action=ignore scikit-learn mpspline pandas
  }
fi
if [ "${1:-build}" = test ]; then
  tools="$(cd "$(dirname "$0")/.." && pwd)/.build/python-tools"
  "$tools/bin/python" -c "import netCDF4, compliance_checker, selenium" 2>/dev/null || {
    echo "==> installing netCDF4 and compliance-checker (PyPI) into $tools"
    rm -rf "$tools"
    python3 -m venv "$tools"
    "$tools/bin/python" -m pip install -q --disable-pip-version-check netCDF4 compliance-checker selenium
  }
fi
