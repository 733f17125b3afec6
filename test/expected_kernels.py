"""Golden values of the analysis kernels, computed independently with pyarrow + numpy.

Semantics are LocoHub's ``LocomotionData`` (../shared/docs/locomotion-data-standard.md §1.2,
§2.2-2.3), written from the formulas, not from the TypeScript:

* ``get_cycles``: the rows of a subject+task (or of every subject of a task), filtered in file
  order, reshaped row-major to (n_cycles, 150, n_features). A subject x task whose row count is
  not a multiple of 150 is left out and reported in ``skipped``.
* the feature columns are cast to float32 first (nulls become NaN), as the TypeScript tensor is
  float32, and the arithmetic is then float64 on those float32 values.
* NaN policy 'propagate' = plain numpy (np.mean, np.std, np.min, np.percentile, np.argmax,
  np.corrcoef); 'ignore' = np.nanmean, np.nanstd, np.nanmin, np.nanpercentile, np.nanargmax
  and pairwise-complete Pearson.

Usage::

    python test/expected_kernels.py FIXTURE_DIR < spec.json > golden.json
    python test/expected_kernels.py FIXTURE_DIR 'many_cycles.parquet;ddof=1;threshold=3' \\
        'multi_rowgroup.parquet;subjects=UM21_AB01,UM21_AB02;nan=ignore;task=level_walking'

The stdin spec is ``{"cases": [{"id", "file", "task", "subjects", "features", "ddof", "nan",
"threshold"}]}`` (all but ``file`` optional). The output is ``{"cases": {id: result}}``; a result
holds ``features``, ``skipped`` and ``groups``; arrays are flat, NaN is null, laid out as the
TypeScript result: per cycle ``[feature][cycle]``, patterns ``[feature][phase]``, feature
correlations ``[a][b]``, phase correlations ``[phase][a][b]`` (null with fewer than 2 cycles).
"""
from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

POINTS = 150
KEYWORDS = ("angle", "velocity", "moment", "power", "grf", "cop")
EXCLUDED = {"subject", "subject_metadata", "task", "task_id", "task_info", "step", "phase_ipsi",
            "phase", "phase_percent", "phase_contra", "time", "time_s", "step_number",
            "is_reconstructed_r", "is_reconstructed_l", "activity_number", "cycle",
            "leading_leg_step", "cycle_id"}

# InvalidReason bits of the TypeScript result.
ANGLE_RANGE, ANGLE_JUMP, VELOCITY, MOMENT, NON_FINITE = 1, 2, 4, 8, 16


def default_features(names: List[str]) -> List[str]:
    """LocoHub's feature detection: a non-excluded column whose name contains a keyword."""
    return [n for n in names if n not in EXCLUDED and any(k in n for k in KEYWORDS)]


def float32_column(table: pa.Table, name: str) -> np.ndarray:
    """A column as the TypeScript tensor holds it: float32 (nulls as NaN), widened to float64."""
    col = table.column(name).cast(pa.float64())
    values = np.array([np.nan if v is None else v for v in col.to_pylist()], dtype=np.float64) \
        if col.null_count else col.to_numpy()
    return values.astype(np.float32).astype(np.float64)


def flat(a: Any) -> List[Optional[float]]:
    return [None if not math.isfinite(v) else v for v in np.asarray(a, dtype=np.float64).ravel().tolist()]


def scalar(v: float) -> Optional[float]:
    v = float(v)
    return v if math.isfinite(v) else None


def nan_argmax(x: np.ndarray) -> float:
    """np.nanargmax along the last axis; NaN where a slice is all NaN."""
    out = np.full(x.shape[:-1], np.nan)
    ok = ~np.all(np.isnan(x), axis=-1)
    if ok.any():
        out[ok] = np.nanargmax(x[ok], axis=-1)
    return out


def pairwise_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson r over axis 0 using the samples where both are not NaN (two-pass, float64)."""
    mask = ~np.isnan(a) & ~np.isnan(b)
    n = mask.sum(axis=0)
    az = np.where(mask, a, 0.0)
    bz = np.where(mask, b, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma = az.sum(axis=0) / n
        mb = bz.sum(axis=0) / n
        da = np.where(mask, a - ma, 0.0)
        db = np.where(mask, b - mb, 0.0)
        r = (da * db).sum(axis=0) / np.sqrt((da * da).sum(axis=0) * (db * db).sum(axis=0))
    r = np.where(n < 2, np.nan, r)
    return np.clip(r, -1.0, 1.0)


def correlation_matrix(samples: np.ndarray, nan: str) -> np.ndarray:
    """F x F Pearson of (N, F) samples: np.corrcoef, or pairwise complete under 'ignore'."""
    F = samples.shape[1]
    if nan == "propagate":
        if samples.shape[0] < 2:
            return np.full((F, F), np.nan)
        return np.atleast_2d(np.corrcoef(samples, rowvar=False))
    out = np.empty((F, F))
    for i in range(F):
        for j in range(i, F):
            out[i, j] = out[j, i] = pairwise_pearson(samples[:, i], samples[:, j])
    return out


def phase_correlations(x: np.ndarray, nan: str) -> Optional[np.ndarray]:
    """get_phase_correlations: at each phase, Pearson across cycles; None with < 2 cycles."""
    C, P, F = x.shape
    if C < 2:
        return None
    if nan == "propagate":
        return np.stack([np.atleast_2d(np.corrcoef(x[:, p, :], rowvar=False)) for p in range(P)])
    out = np.empty((P, F, F))
    for i in range(F):
        for j in range(i, F):
            out[:, i, j] = out[:, j, i] = pairwise_pearson(x[:, :, i], x[:, :, j])
    return out


def validate(x: np.ndarray, features: List[str]) -> np.ndarray:
    """validate_cycles with the reason bits: first matching keyword wins; non-finite always."""
    C = x.shape[0]
    reasons = np.zeros(C, dtype=np.int64)
    for f, name in enumerate(features):
        v = x[:, :, f]
        bits = np.zeros(C, dtype=np.int64)
        if "angle" in name:
            bits |= np.where(np.any((v < -np.pi) | (v > np.pi), axis=1), ANGLE_RANGE, 0)
            bits |= np.where(np.any(np.abs(np.diff(v, axis=1)) > 0.5236, axis=1), ANGLE_JUMP, 0)
        elif "velocity" in name:
            bits |= np.where(np.any(np.abs(v) > 17.45, axis=1), VELOCITY, 0)
        elif "moment" in name:
            bits |= np.where(np.any(np.abs(v) > 300, axis=1), MOMENT, 0)
        bits |= np.where(np.any(~np.isfinite(v), axis=1), NON_FINITE, 0)
        reasons |= bits
    return reasons


def shape_statistics(xf: np.ndarray, ign: bool) -> Dict[str, Any]:
    """Per-cycle skewness and kurtosis as scipy.stats' defaults (biased, Fisher; NaN for a constant
    cycle, as scipy's m2 <= (resolution * mean)**2 rule), and the seed guide's dominant frequency:
    fftfreq(150)[argmax |fft|[1:75] + 1] (missing samples as the cycle's mean under 'ignore'; under
    'propagate' numpy's fft of NaN, whose argmax is bin 1)."""
    present = ~np.isnan(xf)
    n = present.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.where(present, xf, 0.0).sum(axis=2) / np.maximum(n, 1), np.nan)
        d = np.where(present, xf - mean[..., None], 0.0)
        m2 = (d ** 2).sum(axis=2) / n
        m3 = (d ** 3).sum(axis=2) / n
        m4 = (d ** 4).sum(axis=2) / n
        constant = m2 <= (np.finfo(np.float64).resolution * mean) ** 2
        skew = np.where(constant, np.nan, m3 / m2 ** 1.5)
        kurt = np.where(constant, np.nan, m4 / m2 ** 2 - 3)
    has_nan = (~present).any(axis=2)
    if not ign:
        skew = np.where(has_nan, np.nan, skew)
        kurt = np.where(has_nan, np.nan, kurt)
    source = np.where(present, xf, mean[..., None]) if ign else xf
    spectrum = np.abs(np.fft.fft(source, axis=2))
    freq = np.fft.fftfreq(POINTS)[np.argmax(spectrum[..., 1:75], axis=2) + 1]
    freq = np.where(n == 0, np.nan, freq)
    return {"skewness": flat(skew), "kurtosis": flat(kurt), "dominantFrequency": flat(freq)}


def analyse_group(x: np.ndarray, features: List[str], ddof: int, nan: str, threshold: float) -> Dict[str, Any]:
    """Every statistic of one cycles x 150 x features array (float64 of float32 values)."""
    C, P, F = x.shape
    ign = nan == "ignore"
    mean, std = (np.nanmean, np.nanstd) if ign else (np.mean, np.std)
    amin, amax = (np.nanmin, np.nanmax) if ign else (np.min, np.max)
    pct = np.nanpercentile if ign else np.percentile
    out: Dict[str, Any] = {}
    xf = np.transpose(x, (2, 0, 1))  # F, C, 150

    # Per cycle, over the 150 phases.
    per_min = amin(xf, axis=2)
    per_max = amax(xf, axis=2)
    out["perCycle"] = {
        "mean": flat(mean(xf, axis=2)),
        "std": flat(std(xf, axis=2, ddof=ddof)),
        "min": flat(per_min),
        "max": flat(per_max),
        "rom": flat(per_max - per_min),
        "peakTiming": flat((nan_argmax(np.abs(xf)) if ign else np.argmax(np.abs(xf), axis=2)) / POINTS),
        **shape_statistics(xf, ign),
    }

    # get_mean_patterns / get_std_patterns: over cycles.
    m = mean(x, axis=0)  # 150 x F
    out["patterns"] = {
        "mean": flat(m.T),
        "std": flat(std(x, axis=0, ddof=ddof).T),
        "count": flat((np.sum(~np.isnan(x), axis=0) if ign else np.full((P, F), C)).T),
    }

    # calculate_rom(by_cycle=False) and get_summary_statistics: all samples flattened.
    samples = x.reshape(C * P, F)
    out["romOverall"] = flat(amax(samples, axis=0) - amin(samples, axis=0))
    out["summary"] = {
        "mean": flat(mean(samples, axis=0)),
        "std": flat(std(samples, axis=0, ddof=ddof)),
        "min": flat(amin(samples, axis=0)),
        "max": flat(amax(samples, axis=0)),
        "median": flat(pct(samples, 50, axis=0)),
        "q25": flat(pct(samples, 25, axis=0)),
        "q75": flat(pct(samples, 75, axis=0)),
    }

    # find_outlier_cycles.
    rmse = np.sqrt(mean((x - m[None, :, :]) ** 2, axis=(1, 2)))
    cut = mean(rmse) + threshold * std(rmse, ddof=ddof)
    out["outliers"] = {
        "rmse": flat(rmse),
        "cut": scalar(cut),
        "cycles": [int(c) for c in np.flatnonzero(rmse > cut)],
    }

    # validate_cycles.
    reasons = validate(x, features)
    out["validation"] = {"valid": [bool(r == 0) for r in reasons], "reasons": [int(r) for r in reasons]}

    # Pearson over all samples, and per phase across cycles.
    phases = phase_correlations(x, nan)
    out["correlations"] = {
        "features": flat(correlation_matrix(samples, nan)),
        "phases": None if phases is None else flat(phases),
    }
    # Tolerance scales: max |x| per feature (NaN ignored).
    with np.errstate(invalid="ignore"):
        scale = np.nanmax(np.abs(samples), axis=0) if np.any(~np.isnan(samples)) else np.zeros(F)
    out["scale"] = [0.0 if not math.isfinite(s) else float(s) for s in np.atleast_1d(scale)]
    return out


def run_case(folder: Path, case: Dict[str, Any], tables: Dict[str, pa.Table]) -> Dict[str, Any]:
    name = case["file"]
    if name not in tables:
        tables[name] = pq.read_table(folder / name)
    table = tables[name]
    features = case.get("features") or default_features(table.column_names)
    ddof = int(case.get("ddof", 0))
    nan = case.get("nan", "propagate")
    threshold = float(case.get("threshold", 2.0))
    task_sel = case.get("task")
    subjects_sel = case.get("subjects") or None

    subject = np.array(table.column("subject").to_pylist(), dtype=object)
    task = np.array(table.column("task").to_pylist(), dtype=object)
    keep = np.ones(len(subject), dtype=bool)
    if task_sel:
        keep &= task == task_sel
    if subjects_sel:
        keep &= np.isin(subject, subjects_sel)

    # Each subject x task: the rows are used only when their count is a multiple of 150.
    pairs = list(dict.fromkeys(zip(subject[keep].tolist(), task[keep].tolist())))
    skipped = []
    usable = set()
    for s, t in pairs:
        rows = int(np.sum((subject == s) & (task == t)))
        if rows % POINTS:
            skipped.append({"subject": s, "task": t, "rows": rows})
        else:
            usable.add((s, t))
    columns = np.stack([float32_column(table, f) for f in features], axis=1)  # rows x F

    # One group per subject x task when subjects are given, else per task (subjects concatenated).
    keys = list(dict.fromkeys((s, t) if subjects_sel else t for s, t in pairs if (s, t) in usable))
    groups = []
    for key in keys:
        if subjects_sel:
            s, t = key
            rows = np.flatnonzero((subject == s) & (task == t))
        else:
            t = key
            ok = np.array([(a, t) in usable for a in subject.tolist()]) & (task == t)
            rows = np.flatnonzero(ok)
        x = columns[rows].reshape(-1, POINTS, len(features))  # row-major, as get_cycles
        cycle_subjects = subject[rows[::POINTS]].tolist()
        seen: Dict[str, int] = {}
        cycle_index = []
        for cs in cycle_subjects:
            cycle_index.append(seen.get(cs, 0))
            seen[cs] = seen.get(cs, 0) + 1
        group = {
            "task": t,
            "subjects": list(dict.fromkeys(cycle_subjects)),
            "cycles": int(x.shape[0]),
            "cycleSubjects": cycle_subjects,
            "cycleIndex": cycle_index,
        }
        group.update(analyse_group(x, features, ddof, nan, threshold))
        groups.append(group)
    return {"file": name, "features": features, "options": {"ddof": ddof, "nan": nan, "threshold": threshold},
            "skipped": skipped, "groups": groups}


def parse_case(text: str, index: int) -> Dict[str, Any]:
    parts = text.split(";")
    case: Dict[str, Any] = {"id": str(index), "file": parts[0]}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        if key in ("subjects", "features"):
            case[key] = [v for v in value.split(",") if v]
        elif key in ("ddof",):
            case[key] = int(value)
        elif key == "threshold":
            case[key] = float(value)
        else:
            case[key] = value
    return case


def main(argv: List[str]) -> None:
    if not argv:
        sys.exit(__doc__)
    folder = Path(argv[0])
    if len(argv) > 1:
        cases = [parse_case(text, i) for i, text in enumerate(argv[1:])]
    else:
        cases = json.load(sys.stdin)["cases"]
    tables: Dict[str, pa.Table] = {}
    out = {}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", category=RuntimeWarning)
        for i, case in enumerate(cases):
            out[str(case.get("id", i))] = run_case(folder, case, tables)
    json.dump({"cases": out}, sys.stdout, allow_nan=False)


if __name__ == "__main__":
    main(sys.argv[1:])
