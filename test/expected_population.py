"""The seed guide's population statistics of one task with numpy (golden values for jest).

argv: file, task, features (comma-separated), nan policy, ddof. Prints JSON.
"""
import json
import sys

import numpy as np
import pyarrow.parquet as pq

path, task, names, policy, ddof = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4], int(sys.argv[5])
ignore = policy == "ignore"
mean = np.nanmean if ignore else np.mean
std = (lambda a, **k: np.nanstd(a, ddof=ddof, **k)) if ignore else (lambda a, **k: np.std(a, ddof=ddof, **k))
amax = np.nanmax if ignore else np.max
amin = np.nanmin if ignore else np.min
percentile = np.nanpercentile if ignore else np.percentile

table = pq.read_table(path)
subjects = np.array(table["subject"].to_pylist())
tasks = np.array(table["task"].to_pylist())
values = np.stack([table[n].to_numpy(zero_copy_only=False).astype(np.float32) for n in names], axis=1).astype(np.float64)
order = []
for s, t in zip(subjects, tasks):
    if t == task and s not in order:
        order.append(s)
cycles_by_subject = {}
for s in order:
    rows = values[(subjects == s) & (tasks == task)]
    cycles_by_subject[s] = rows[: rows.shape[0] // 150 * 150].reshape(-1, 150, len(names))
subject_means = np.array([mean(cycles_by_subject[s], axis=0) for s in order])  # (S, 150, F)
pop_mean = mean(subject_means, axis=0)
pop_std = std(subject_means, axis=0)
all_cycles = np.concatenate([cycles_by_subject[s] for s in order])  # (C, 150, F)
per_mean = mean(all_cycles, axis=1)  # (C, F)
per_std = std(all_cycles, axis=1)
per_rom = amax(all_cycles, axis=1) - amin(all_cycles, axis=1)
clean = lambda a: [None if not np.isfinite(v) else float(v) for v in np.ravel(a)]
print(json.dumps({
    "subjects": order,
    "subject_means": {s: clean(subject_means[i].T) for i, s in enumerate(order)},  # [feature][phase]
    "mean": clean(pop_mean.T),
    "std": clean(pop_std.T),
    "mean_std": clean([mean(pop_std[:, f]) for f in range(len(names))]),
    "max_std": clean([amax(pop_std[:, f]) for f in range(len(names))]),
    "cv": clean([mean(pop_std[:, f]) / mean(pop_mean[:, f]) for f in range(len(names))]),
    "mean_variability": clean([mean(pop_std)])[0],
    "cycles": int(all_cycles.shape[0]),
    "mean_of_means": clean(mean(per_mean, axis=0)),
    "std_of_means": clean(std(per_mean, axis=0)),
    "mean_of_stds": clean(mean(per_std, axis=0)),
    "rom_mean": clean(mean(per_rom, axis=0)),
    "rom_std": clean(std(per_rom, axis=0)),
    "rom_percentiles": clean(np.array([percentile(per_rom[:, f], [5, 25, 50, 75, 95]) for f in range(len(names))])),
}))
