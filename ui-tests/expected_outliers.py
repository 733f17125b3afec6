"""LocoHub's cycles and outlier cycles of a file, with numpy (for the Galata analysis test).

Prints JSON: the first subject×task (in file order) that has outlier cycles under LocoHub's
defaults (NaN propagates, SD ddof 0, threshold 2), with its cycle count and outlier indices.
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
    if rows.shape[0] % 150:
        continue
    cycles = rows.reshape(-1, 150, len(features))
    mean = cycles.mean(axis=0)
    rmse = np.sqrt(((cycles - mean) ** 2).mean(axis=(1, 2)))
    cut = rmse.mean() + 2 * rmse.std()
    outliers = np.flatnonzero(rmse > cut)
    if outliers.size:
        print(json.dumps({"subject": subject, "task": task, "cycles": int(cycles.shape[0]), "outliers": outliers.tolist(), "features": len(features)}))
        break
