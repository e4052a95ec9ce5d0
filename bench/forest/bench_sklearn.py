#!/usr/bin/env python3
"""Peer benchmark for scripts/bench-forest.sh: scikit-learn RandomForestRegressor (n_jobs=2) with
soilbeta's settings (500 trees, max_features 3, nodes of ≤ 5 samples not split = min_samples_split 6,
bootstrap, OOB score), then prediction of the training features tiled to ROWS rows. One JSON line.
Usage: bench_sklearn.py TABLE.csv ROWS"""
import json, pickle, sys, time
import numpy as np
from sklearn.ensemble import RandomForestRegressor

table, rows = sys.argv[1], int(sys.argv[2])
with open(table) as f:
    header = f.readline().strip().split(",")
data = np.loadtxt(table, delimiter=",", skiprows=1)
target = header.index("beta")
y = data[:, target]
x = np.delete(data, target, axis=1)
model = RandomForestRegressor(n_estimators=500, max_features=3, min_samples_split=6, bootstrap=True,
                              oob_score=True, n_jobs=2, random_state=1)
start, cpu = time.perf_counter(), time.process_time()
model.fit(x, y)
train_s, train_cpu = time.perf_counter() - start, time.process_time() - cpu
big = np.ascontiguousarray(np.resize(x, (rows, x.shape[1])))
start, cpu = time.perf_counter(), time.process_time()
p = model.predict(big)
predict_s, predict_cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"tool": "scikit-learn", "train_s": round(train_s, 3), "predict_s": round(predict_s, 3),
                  "train_cpu_s": round(train_cpu, 3), "predict_cpu_s": round(predict_cpu, 3),
                  "model_bytes": len(pickle.dumps(model)), "oob_r2": round(model.oob_score_, 5),
                  "mean_prediction": float(p.mean())}))
