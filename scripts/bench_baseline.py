"""The Python baseline of the benchmark: what a LocoHub user runs today (a benchmark, not a test).

    python scripts/bench_baseline.py FILE [--by subject-task|task] [--phase-correlations]

pyarrow reads the file (the key and feature columns, as float32 like locolens' tensor), pandas
groups its rows by subject × task in file order (``groupby(..., sort=False).indices``, the
vectorized form of LocoHub's ``get_cycles`` filter), and the numpy recipes of
../shared/docs/seed-performance-guide.md run on each (cycles, 150, features) array:

* per cycle, over the phases: mean, std (ddof 0), min, max, ROM, argmax(|x|) / 150;
* mean and std patterns across cycles;
* outlier cycles: RMSE against the mean pattern above mean + 2 SD of the RMSEs;
* feature correlations over all samples (np.corrcoef), and with ``--phase-correlations`` at each
  phase across cycles (150 × F × F);
* summary statistics over all samples: mean, std, min, max, median, quartiles.

Prints one JSON object: seconds per stage, peak RSS, and a digest to compare with locolens'
(the same sums: mean patterns, per-cycle means and feature correlations, NaN left out).
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/test")
from expected_kernels import default_features  # noqa: E402

PHASES = 150


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--by", choices=["subject-task", "task"], default="subject-task")
    ap.add_argument("--phase-correlations", action="store_true")
    a = ap.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)
    times = {}
    started = time.perf_counter()
    schema = pq.read_schema(a.file)
    features = default_features(schema.names)
    table = pq.read_table(a.file, columns=["subject", "task", *features])
    keys = pd.DataFrame({"subject": table.column("subject").to_numpy(), "task": table.column("task").to_numpy()})
    values = np.empty((table.num_rows, len(features)), dtype=np.float32)
    for f, name in enumerate(features):
        values[:, f] = table.column(name).cast(pa.float32()).to_numpy(zero_copy_only=False)
    del table
    times["read"] = time.perf_counter() - started

    started = time.perf_counter()
    by = ["subject", "task"] if a.by == "subject-task" else ["task"]
    groups = keys.groupby(by, sort=False).indices
    digest = {"groups": 0, "cycles": 0, "outliers": 0, "patternSum": 0.0, "perCycleMeanSum": 0.0, "correlationSum": 0.0}
    for rows in groups.values():
        rows = np.sort(rows)
        if len(rows) % PHASES:
            continue
        cycles = values[rows].reshape(-1, PHASES, len(features))
        n = cycles.shape[0]
        per_cycle = {
            "mean": cycles.mean(axis=1),
            "std": cycles.std(axis=1),
            "min": cycles.min(axis=1),
            "max": cycles.max(axis=1),
        }
        per_cycle["rom"] = per_cycle["max"] - per_cycle["min"]
        per_cycle["peak"] = np.abs(cycles).argmax(axis=1) / PHASES
        mean_pattern = cycles.mean(axis=0)
        std_pattern = cycles.std(axis=0)  # noqa: F841 - part of the recipe
        rmse = np.sqrt(((cycles - mean_pattern) ** 2).mean(axis=(1, 2)))
        outliers = np.where(rmse > rmse.mean() + 2 * rmse.std())[0]
        flat = cycles.reshape(-1, len(features))
        correlations = np.corrcoef(flat, rowvar=False)
        if a.phase_correlations and n >= 2:
            np.stack([np.corrcoef(cycles[:, p, :], rowvar=False) for p in range(PHASES)])
        np.mean(flat, axis=0), np.std(flat, axis=0), flat.min(axis=0), flat.max(axis=0)
        np.percentile(flat, [25, 50, 75], axis=0)
        digest["groups"] += 1
        digest["cycles"] += n
        digest["outliers"] += len(outliers)
        digest["patternSum"] += float(np.nansum(mean_pattern.astype(np.float64)))
        digest["perCycleMeanSum"] += float(np.nansum(per_cycle["mean"].astype(np.float64)))
        digest["correlationSum"] += float(np.nansum(correlations))
    times["kernels"] = time.perf_counter() - started
    times["total"] = times["read"] + times["kernels"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"tool": "pyarrow+numpy", "seconds": times, "peakRssBytes": peak, "digest": digest, "features": len(features)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
