"""The Polars peer of the benchmark (a benchmark, not a test): the same results as
scripts/bench_baseline.py, written as one idiomatic lazy Polars query plan per result.

    python scripts/bench_polars.py FILE [--by subject-task|task]

Cycles are the rows of a subject x task in file order cut in blocks of 150 (a row index within
the group, // 150); groups whose rows are not a multiple of 150 are left out. Per cycle: mean,
std (ddof 0), min, max, ROM, argmax |x|; mean/SD patterns per phase; RMSE of each cycle against
its group's mean pattern and the outliers above mean + 2 SD; Pearson correlations of the features
over all samples (pl.corr per pair); summary statistics with linear quantiles. Every plan is
collected together (collect_all), so Polars shares the scan and runs on every core.

Prints one JSON object: seconds, peak RSS and the digest that scripts/bench.mjs compares.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import polars as pl
import pyarrow.parquet as pq

sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/test")
from expected_kernels import default_features  # noqa: E402

PHASES = 150


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--by", choices=["subject-task", "task"], default="subject-task")
    a = ap.parse_args()
    started = time.perf_counter()
    features = default_features(pq.read_schema(a.file).names)
    keys = ["subject", "task"] if a.by == "subject-task" else ["task"]
    F = len(features)
    rows = (
        pl.scan_parquet(a.file)
        .select(["subject", "task", *[pl.col(f).cast(pl.Float32) for f in features]])
        .with_columns(pl.int_range(pl.len()).over(keys).alias("_row"), pl.len().over(keys).alias("_n"))
        .filter(pl.col("_n") % PHASES == 0)
        .with_columns((pl.col("_row") // PHASES).alias("cycle"), (pl.col("_row") % PHASES).alias("phase"))
    )
    per_cycle = rows.group_by([*keys, "cycle"]).agg(
        [pl.col(f).mean().alias(f"{f}__mean") for f in features]
        + [pl.col(f).std(ddof=0).alias(f"{f}__std") for f in features]
        + [pl.col(f).min().alias(f"{f}__min") for f in features]
        + [pl.col(f).max().alias(f"{f}__max") for f in features]
        + [pl.col(f).abs().arg_max().alias(f"{f}__peak") for f in features]
    ).with_columns([(pl.col(f"{f}__max") - pl.col(f"{f}__min")).alias(f"{f}__rom") for f in features])
    patterns = rows.group_by([*keys, "phase"]).agg(
        [pl.col(f).mean().alias(f"{f}__pm") for f in features] + [pl.col(f).std(ddof=0).alias(f"{f}__ps") for f in features]
    )
    rmse = (
        rows.join(patterns.select([*keys, "phase", *[f"{f}__pm" for f in features]]), on=[*keys, "phase"])
        .with_columns(pl.sum_horizontal([(pl.col(f).cast(pl.Float64) - pl.col(f"{f}__pm")) ** 2 for f in features]).alias("_sq"))
        .group_by([*keys, "cycle"])
        .agg((pl.col("_sq").sum() / (PHASES * F)).sqrt().alias("rmse"))
    )
    outliers = (
        rmse.with_columns((pl.col("rmse").mean() + 2 * pl.col("rmse").std(ddof=0)).over(keys).alias("cut"))
        .group_by(keys)
        .agg((pl.col("rmse") > pl.col("cut")).sum().alias("outliers"), pl.len().alias("cycles"))
    )
    pairs = [(i, j) for i in range(F) for j in range(i + 1, F)]
    correlations = rows.group_by(keys).agg([pl.corr(features[i], features[j]).alias(f"c{i}_{j}") for i, j in pairs])
    summary = rows.group_by(keys).agg(
        [pl.col(f).mean().alias(f"{f}__m") for f in features]
        + [pl.col(f).std(ddof=0).alias(f"{f}__s") for f in features]
        + [pl.col(f).min().alias(f"{f}__lo") for f in features]
        + [pl.col(f).max().alias(f"{f}__hi") for f in features]
        + [pl.col(f).quantile(q, interpolation="linear").alias(f"{f}__q{int(q * 100)}") for f in features for q in (0.25, 0.5, 0.75)]
    )
    pc, pt, out, corr, _summary = pl.collect_all([per_cycle, patterns, outliers, correlations, summary])
    seconds = time.perf_counter() - started
    r = corr.select([f"c{i}_{j}" for i, j in pairs]).to_numpy()
    digest = {
        "groups": out.height,
        "cycles": int(out["cycles"].sum()),
        "outliers": int(out["outliers"].sum()),
        "patternSum": float(pt.select([pl.col(f"{f}__pm").cast(pl.Float64).fill_nan(None).sum() for f in features]).to_numpy().sum()),
        "perCycleMeanSum": float(pc.select([pl.col(f"{f}__mean").cast(pl.Float64).fill_nan(None).sum() for f in features]).to_numpy().sum()),
        # np.corrcoef's matrix: F ones on the diagonal and each pair twice (NaN left out).
        "correlationSum": float(out.height * F + 2 * float(pl.Series(r.ravel()).fill_nan(None).sum() or 0.0)),
    }
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"tool": "polars", "seconds": {"total": seconds}, "peakRssBytes": peak, "digest": digest, "features": F}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
