"""A subject×task of a file with missing samples, with numpy (for the Galata test of the NaN default).

Prints JSON: the first subject×task (in file order) with NaN samples, its cycle count, how many
samples are missing, and its outlier cycles with NaN ignored (statistics over the samples present)
at thresholds 2 and 1; under LocoHub-exact propagation such a group has none.
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
    if (s, t) not in seen:
        seen.append((s, t))
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
