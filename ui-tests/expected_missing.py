"""A subject×task of a file with missing samples, with numpy (for the Galata test of the NaN default).

Prints JSON: the first subject×task (in file order) with NaN samples, its cycle count, how many
samples are missing, and its outlier cycles with NaN ignored (statistics over the samples present)
at thresholds 2 and 1; under LocoHub-exact propagation such a group has none.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cycle_data import load  # noqa: E402

features, subjects, tasks, values, seen = load(sys.argv[1])
for subject, task in seen:
    rows = values[(subjects == subject) & (tasks == task)].astype(np.float64)
    if rows.shape[0] % 150 or not np.isnan(rows).any():
        continue
    cycles = rows.reshape(-1, 150, len(features))
    mean = np.nanmean(cycles, axis=0)
    rmse = np.sqrt(np.nanmean((cycles - mean) ** 2, axis=(1, 2)))
    present = rmse[~np.isnan(rmse)]
    outliers = {k: np.flatnonzero(rmse > present.mean() + k * present.std()).tolist() for k in (2, 1)}
    print(json.dumps({
        "subject": subject,
        "task": task,
        "cycles": int(cycles.shape[0]),
        "missing": int(np.isnan(cycles).sum()),
        "total": int(cycles.size),
        "outliers": outliers[2],
        "outliers_k1": outliers[1],
    }))
    break
