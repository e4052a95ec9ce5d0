#!/usr/bin/env python3
"""Writes the benchmark training table: n = 6,000 rows, 9 covariates shaped like the paper's
drivers (SOC, C/N, MAT, MAP, BD, clay, TN, pH, MBC), response β = 0.975 + smooth effects + noise.
Usage: make_bench_data.py OUT.csv [ROWS]"""
import sys
import numpy as np

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 6000
rng = np.random.default_rng(42)
soc = rng.lognormal(2.5, 0.6, n)
cn = rng.normal(12, 3, n).clip(5, 30)
mat = rng.uniform(-5, 28, n)
map_ = rng.lognormal(6.6, 0.5, n)
bd = rng.normal(1.3, 0.15, n).clip(0.6, 1.8)
clay = rng.uniform(2, 60, n)
tn = soc / cn
ph = rng.normal(6.2, 1.1, n).clip(3.5, 9)
mbc = rng.lognormal(5.5, 0.5, n)
beta = (0.975 + 0.004 * np.tanh((mat - 12) / 8) - 0.003 * np.log(soc / 12) + 0.00004 * (clay - 30)
        + 0.002 * np.sin(ph) + 0.000002 * (map_ - 800) + rng.normal(0, 0.003, n))
cols = {"soc": soc, "cn": cn, "mat": mat, "map": map_, "bd": bd, "clay": clay, "tn": tn, "ph": ph, "mbc": mbc, "beta": beta}
with open(out, "w") as f:
    f.write(",".join(cols) + "\n")
    for i in range(n):
        f.write(",".join("%.8g" % cols[k][i] for k in cols) + "\n")
