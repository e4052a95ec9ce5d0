#!/usr/bin/env python3
"""Builds the forest parity data sets under Tests/ForestTests/Fixtures/ (run once; outputs committed).

1. dutch_beta_features.csv — β per profile (../shared/reference/dutch_beta.csv, computed with R
   mpspline2 + nls from the dutchsoils 0.3.3 Dutch soil map, MIT licence) joined by id with
   depth-weighted 0–30 cm means of om_pct, ph, clay, cn, bd from dutch_horizons_raw.csv
   (horizon overlap with 0–30 cm as the weight; profiles with no horizon in 0–30 cm or a
   missing value are left out).
2. diabetes.csv — scikit-learn's bundled diabetes data (Efron et al. 2004; BSD-3 licence),
   unscaled (`scaled=False`), 442 rows × 10 features, target `y`.
3. friedman1.csv — Friedman #1 (y = 10 sin(π x1 x2) + 20 (x3 − .5)² + 10 x4 + 5 x5 + N(0,1)),
   1,000 rows × 10 uniform features, numpy seed 20261125.

Usage: python3 bench/forest/make_fixtures.py /work/shared/reference
"""
import csv, os, sys
import numpy as np

reference = sys.argv[1] if len(sys.argv) > 1 else "../shared/reference"
out = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "ForestTests", "Fixtures")

# 1. Dutch β with topsoil features.
beta = {}
with open(os.path.join(reference, "dutch_beta.csv")) as f:
    for row in csv.DictReader(f):
        beta[row["id"]] = float(row["beta"])
features = ["om_pct", "ph", "clay", "cn", "bd"]
acc = {}
with open(os.path.join(reference, "dutch_horizons_raw.csv")) as f:
    for row in csv.DictReader(f):
        top, bottom = float(row["top"]), float(row["bottom"])
        overlap = min(bottom, 30.0) - max(top, 0.0)
        if overlap <= 0:
            continue
        a = acc.setdefault(row["id"], {"w": 0.0, "bad": False, **{k: 0.0 for k in features}})
        for k in features:
            if row[k] in ("", "NA"):
                a["bad"] = True
            else:
                a[k] += overlap * float(row[k])
        a["w"] += overlap
with open(os.path.join(out, "dutch_beta_features.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id"] + features + ["beta"])
    kept = 0
    for pid in beta:
        a = acc.get(pid)
        if a is None or a["bad"] or a["w"] <= 0:
            continue
        w.writerow([pid] + ["%.10g" % (a[k] / a["w"]) for k in features] + ["%.15g" % beta[pid]])
        kept += 1
print("dutch:", kept, "profiles")

# 2. Diabetes (scikit-learn bundled data).
from sklearn.datasets import load_diabetes
d = load_diabetes(scaled=False)
with open(os.path.join(out, "diabetes.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(list(d.feature_names) + ["y"])
    for x, y in zip(d.data, d.target):
        w.writerow(["%.10g" % v for v in x] + ["%.10g" % y])

# 3. Friedman #1.
rng = np.random.default_rng(20261125)
x = rng.uniform(size=(1000, 10))
y = 10 * np.sin(np.pi * x[:, 0] * x[:, 1]) + 20 * (x[:, 2] - 0.5) ** 2 + 10 * x[:, 3] + 5 * x[:, 4] + rng.normal(size=1000)
with open(os.path.join(out, "friedman1.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["x%d" % (i + 1) for i in range(10)] + ["y"])
    for xi, yi in zip(x, y):
        w.writerow(["%.12g" % v for v in xi] + ["%.12g" % yi])
