"""LocoHub's cycles and outlier cycles of a file, with numpy (for the Galata analysis test).

Prints JSON: the first subject×task (in file order) that has outlier cycles under LocoHub's
defaults (NaN propagates, SD ddof 0, threshold 2), with its cycle count and outlier indices.
"""
import json
import sys

import numpy as np
import pyarrow.parquet as pq

KEYWORDS = ("angle", "velocity", "moment", "power", "grf", "cop")
EXCLUDED = {"subject", "subject_metadata", "task", "task_id", "task_info", "step", "phase_ipsi"}

table = pq.read_table(sys.argv[1])
features = [n for n in table.column_names if n not in EXCLUDED and any(k in n for k in KEYWORDS)]
subjects = np.array(table["subject"].to_pylist())
tasks = np.array(table["task"].to_pylist())
# The analysis runs on float32 samples.
values = np.stack([table[n].to_numpy(zero_copy_only=False).astype(np.float32) for n in features], axis=1)
seen = []
for s, t in zip(subjects, tasks):
    if not seen or seen[-1] != (s, t):
        if (s, t) not in seen:
            seen.append((s, t))
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
