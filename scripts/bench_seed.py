"""The seed guide's own per-cycle recipe as a peer of the benchmark (a benchmark, not a test):
``_extract_chunk_features`` of ../shared/docs/seed-performance-guide.md, verbatim in its loop
(pandas groupby, ``iloc`` per cycle, numpy per column), on the whole file.

    python scripts/bench_seed.py FILE [--budget-seconds 20]

It computes per-cycle mean, std, ROM and peak phase of the angle and moment columns only (the
recipe's choice), nothing else. It is slow, so it runs subject x task groups in file order until
``--budget-seconds`` have passed and extrapolates the loop to every cycle of the file by cycles
done (the read is measured whole). Its digest is partial: the groups and cycles of the file,
and a self-check of the cycles it did against numpy's vectorised form.

Prints one JSON object: seconds (read, loop, extrapolated total), peak RSS, and the digest.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

PHASES = 150


def extract_chunk_features(chunk: pd.DataFrame, budget_seconds: float, started: float) -> tuple[dict, int, int]:
    """The seed's ``_extract_chunk_features``, stopping between groups once the budget is spent."""
    features = {
        "chunk_size": len(chunk),
        "subjects": chunk["subject"].nunique(),
        "tasks": chunk["task"].nunique(),
        "subject_task_combinations": [],
    }
    groups_done = 0
    cycles_done = 0
    for (subject, task), group in chunk.groupby(["subject", "task"], sort=False):
        if time.perf_counter() - started > budget_seconds:
            break
        if len(group) % 150 == 0:
            n_cycles = len(group) // 150
            for cycle in range(n_cycles):
                start_idx = cycle * 150
                end_idx = (cycle + 1) * 150
                cycle_data = group.iloc[start_idx:end_idx]
                feature_cols = [col for col in cycle_data.columns if "angle" in col or "moment" in col]
                if feature_cols:
                    cycle_features = {"subject": subject, "task": task, "cycle": cycle, "features": {}}
                    for col in feature_cols:
                        data = cycle_data[col].values
                        cycle_features["features"][col] = {
                            "mean": np.mean(data),
                            "std": np.std(data),
                            "rom": np.max(data) - np.min(data),
                            "peak_phase": np.argmax(np.abs(data)),
                        }
                    features["subject_task_combinations"].append(cycle_features)
            groups_done += 1
            cycles_done += n_cycles
    return features, groups_done, cycles_done


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--budget-seconds", type=float, default=20.0)
    a = ap.parse_args()
    started = time.perf_counter()
    names = pq.read_schema(a.file).names
    wanted = ["subject", "task", *[c for c in names if "angle" in c or "moment" in c]]
    frame = pd.read_parquet(a.file, columns=wanted)
    read = time.perf_counter() - started
    sizes = frame.groupby(["subject", "task"], sort=False).size()
    valid = sizes[sizes % PHASES == 0]
    total_cycles = int((valid // PHASES).sum())
    loop_started = time.perf_counter()
    features, groups_done, cycles_done = extract_chunk_features(frame, a.budget_seconds, loop_started)
    loop = time.perf_counter() - loop_started
    # Self-check: the recipe's per-cycle means of its first group equal numpy's vectorised ones.
    done = features["subject_task_combinations"]
    ok = True
    if done:
        first = done[0]
        group = frame[(frame["subject"] == first["subject"]) & (frame["task"] == first["task"])]
        cols = list(first["features"].keys())
        cycles = group[cols].to_numpy().reshape(-1, PHASES, len(cols))
        vectorised = cycles.mean(axis=1)
        recipe = np.array([[c["features"][col]["mean"] for col in cols] for c in done if c["subject"] == first["subject"] and c["task"] == first["task"]])
        ok = bool(np.allclose(recipe, vectorised, rtol=1e-6, atol=1e-9))
    per_cycle = loop / max(1, cycles_done)
    total = read + per_cycle * total_cycles
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        json.dumps(
            {
                "tool": "seed recipe",
                "seconds": {"read": read, "loop": loop, "total": total},
                "extrapolated": cycles_done < total_cycles,
                "cyclesTimed": cycles_done,
                "peakRssBytes": peak,
                "digest": {"groups": int(len(valid)), "cycles": total_cycles, "partial": True, "selfCheck": ok, "groupsTimed": groups_done},
            }
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
