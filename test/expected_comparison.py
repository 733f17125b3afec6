"""A task compared across datasets with numpy (golden values for jest's dataset-comparison tests).

argv: files (comma-separated; the first is the reference), task, features (comma-separated),
nan policy (propagate | ignore), ddof. Prints JSON:
  datasets: per file its subjects (file order), cycles, and per feature the mean and SD pattern
            over every cycle of the task (np.mean / np.std, or np.nanmean / np.nanstd);
  differences: per feature, per file after the first: mean of (mean pattern - reference mean
            pattern), RMSE, Pearson r (np.corrcoef) over the phases (those present in both
            under 'ignore'; NaN when one is missing under 'propagate');
  variables: every variable column of each file (not metadata, not phase).
Blocks whose rows are not a multiple of 150 are left out, as locolens (and LocoHub) leave them.
"""
import json
import sys
import warnings

import numpy as np
import pyarrow.parquet as pq

warnings.simplefilter("ignore")
files, task, names, policy, ddof = (sys.argv[1].split(","), sys.argv[2], sys.argv[3].split(","),
                                    sys.argv[4], int(sys.argv[5]))
ignore = policy == "ignore"
META = {"subject", "subject_metadata", "task", "task_id", "task_info", "step", "phase_ipsi",
        "phase_contra", "phase_ipsi_dot", "phase", "phase_percent", "step_number", "time_s"}


def clean(values):
    return [float(v) if np.isfinite(v) else None for v in np.ravel(values)]


datasets = []
patterns = []
for path in files:
    table = pq.read_table(path)
    subjects = np.array(table["subject"].to_pylist(), dtype=object)
    tasks = np.array(table["task"].to_pylist(), dtype=object)
    present = [n for n in names if n in table.column_names]
    values = {n: table[n].to_numpy(zero_copy_only=False).astype(np.float32).astype(np.float64)
              for n in present}
    order = list(dict.fromkeys(subjects[tasks == task].tolist()))
    cycles = {n: [] for n in present}
    kept = []
    for s in order:
        mask = (subjects == s) & (tasks == task)
        rows = int(mask.sum())
        if rows % 150:
            continue
        kept.append(s)
        for n in present:
            cycles[n].append(values[n][mask].reshape(-1, 150))
    feature_patterns = {}
    for n in present:
        c = np.concatenate(cycles[n])  # (cycles, 150)
        mean = np.nanmean(c, axis=0) if ignore else np.mean(c, axis=0)
        std = np.nanstd(c, axis=0, ddof=ddof) if ignore else np.std(c, axis=0, ddof=ddof)
        feature_patterns[n] = (mean, std)
    patterns.append(feature_patterns)
    datasets.append({
        "subjects": kept,
        "cycles": int(sum(block.shape[0] for block in cycles[present[0]])) if present else 0,
        "patterns": {n: {"mean": clean(m), "std": clean(s)} for n, (m, s) in feature_patterns.items()},
        "variables": [c for c in table.column_names if c not in META],
    })

differences = {}
for n in names:
    if not all(n in p for p in patterns):
        continue
    ref = patterns[0][n][0]
    rows = []
    for p in patterns[1:]:
        other = p[n][0]
        both = np.isfinite(ref) & np.isfinite(other)
        if (not ignore and not both.all()) or both.sum() == 0:
            rows.append({"mean_difference": None, "rmse": None, "r": None})
            continue
        x, y = ref[both], other[both]
        d = y - x
        r = np.corrcoef(x, y)[0, 1] if both.sum() > 1 and x.std() > 0 and y.std() > 0 else np.nan
        rows.append({"mean_difference": float(d.mean()), "rmse": float(np.sqrt((d * d).mean())),
                     "r": clean([r])[0]})
    differences[n] = rows

print(json.dumps({"datasets": datasets, "differences": differences}))
