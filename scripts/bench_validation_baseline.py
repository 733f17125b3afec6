"""
The validation benchmark's baselines (scripts/bench-validation.mjs): LocoHub's validation rules
vectorised with pyarrow + numpy (the needed columns only, one reshape per task), and LocoHub's
cleaner as its script does it (the whole file in pandas, task by task, pyarrow's writer).

    python scripts/bench_validation_baseline.py validate FILE RANGES   -> JSON {seconds, stats}
    python scripts/bench_validation_baseline.py clean FILE RANGES OUT  -> JSON {seconds, rows}
"""
import json
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, "test")
from expected_validation import features_of, load_ranges  # noqa: E402  (the same YAML rules)


def failing_strides(columns, ranges, task_rows):
    """Per task: (strides, failing-stride mask, checks, violations), numpy over [stride, phase]."""
    out = {}
    for task, rows in task_rows.items():
        task_ranges = ranges[task]
        variables = sorted({v for pr in task_ranges.values() for v in pr} & set(columns))
        if not variables or len(rows) % 150:
            out[task] = (0, np.zeros(0, bool), 0, 0)
            continue
        strides = len(rows) // 150
        failing = np.zeros(strides, bool)
        checks = violations = 0
        for phase, pr in task_ranges.items():
            idx = int(round((phase / 100.0) * 149))
            for v, r in pr.items():
                if v not in variables:
                    continue
                checks += strides
                lo, hi = r["min"], r["max"]
                if lo is None or hi is None:
                    continue
                lo, hi = min(lo, hi), max(lo, hi)
                x = columns[v][rows].reshape(strides, 150)[:, idx]
                bad = np.isfinite(x) & ((x < lo) | (x > hi))
                failing |= bad
                violations += int(bad.sum())
        out[task] = (strides, failing, checks, violations)
    return out


def task_rows_of(tasks):
    values = np.asarray(tasks)
    return {t: np.flatnonzero(values == t) for t in sorted(set(values.tolist()))}


def validate(path, ranges_path):
    started = time.perf_counter()
    ranges = load_ranges(ranges_path)
    schema = pq.read_schema(path)
    wanted = sorted({v for t in ranges.values() for pr in t.values() for v in pr} & set(features_of(schema.names)))
    table = pq.read_table(path, columns=["task", *wanted])
    task_rows = {t: r for t, r in task_rows_of(table.column("task").to_numpy(zero_copy_only=False)).items() if t in ranges}
    columns = {v: table.column(v).to_numpy().astype(np.float64, copy=False) for v in wanted}
    per_task = failing_strides(columns, ranges, task_rows)
    total = sum(s for s, _, _, _ in per_task.values())
    failing = sum(int(f.sum()) for _, f, _, _ in per_task.values())
    checks = sum(c for _, _, c, _ in per_task.values())
    violations = sum(v for _, _, _, v in per_task.values())
    seconds = time.perf_counter() - started
    return dict(seconds=seconds, stats=dict(total_strides=total, total_failing_strides=failing, total_checks=checks,
                                            total_violations=violations))


def clean(path, ranges_path, out):
    """LocoHub's create_clean_dataset.py: the whole file in pandas, task by task, snappy writer."""
    import pandas as pd

    started = time.perf_counter()
    ranges = load_ranges(ranges_path)
    df = pd.read_parquet(path)
    features = set(features_of(list(df.columns)))
    writer = None
    rows_out = 0
    for task in sorted(df["task"].unique()):
        task_df = df[df["task"] == task].reset_index(drop=True)
        strides = len(task_df) // 150
        keep = np.ones(strides, bool)
        if task in ranges:
            cols = {v: task_df[v].to_numpy(np.float64) for v in features}
            per = failing_strides(cols, ranges, {task: np.arange(len(task_df))})
            if per[task][0]:
                keep = ~per[task][1]
        rows = (np.flatnonzero(keep)[:, None] * 150 + np.arange(150)).ravel()
        part = pa.Table.from_pandas(task_df.iloc[rows], preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(out, part.schema, compression="snappy")
        writer.write_table(part.select(writer.schema.names))
        rows_out += len(rows)
    writer.close()
    return dict(seconds=time.perf_counter() - started, rows=rows_out)


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    result = validate(*rest) if command == "validate" else clean(*rest)
    print(json.dumps(result))
