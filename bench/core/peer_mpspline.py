#!/usr/bin/env python3
"""Peer for `make bench` (core): harmonise SOC and BD of every profile in a horizon CSV to 0-20 ... 80-100 cm
with PyPI `mpspline` (a Python port of R mpspline2, lam=0.1, vlow=0, vhigh=1000), compute layer SOC density
(Eq. 1) and fit beta by bounded least squares (scipy, the equivalent of R nls port with 0.5 <= beta <= 0.99999).
Prints one line `peer_seconds=<s> profiles=<n> betas=<k>` and writes id,beta to the path given as argv[2]."""
import sys, time
import numpy as np
import pandas as pd
from scipy.optimize import least_squares
from mpspline.algorithm import spline_one

path, out = sys.argv[1], sys.argv[2]
limit = int(sys.argv[3]) if len(sys.argv) > 3 else None
frame = pd.read_csv(path, dtype={"id": str})
ids = list(dict.fromkeys(frame["id"]))
if limit:
    ids = ids[:limit]
groups = dict(tuple(frame.groupby("id", sort=False)))
depths = [(0, 20), (20, 40), (40, 60), (60, 80), (80, 100)]
d = np.array([20.0, 40, 60, 80, 100])
start = time.perf_counter()
rows = []
for pid in ids:
    g = groups[pid].rename(columns={"top": "UD", "bottom": "LD"})
    soc = spline_one(g, "soc", target_depths=depths)["est_dcm"]
    bd = spline_one(g, "bd", target_depths=depths)["est_dcm"]
    socd = np.asarray(soc) * np.asarray(bd) * 20 / 10
    if not np.all(np.isfinite(socd)) or socd.sum() <= 0:
        continue
    y = np.cumsum(socd) / socd.sum()
    fit = least_squares(lambda b: y - (1 - b[0] ** d), x0=[0.97], bounds=([0.5], [0.99999]), xtol=1e-12, ftol=1e-12)
    rows.append((pid, fit.x[0]))
elapsed = time.perf_counter() - start
pd.DataFrame(rows, columns=["id", "beta"]).to_csv(out, index=False)
print(f"peer_seconds={elapsed:.3f} profiles={len(ids)} betas={len(rows)}")
