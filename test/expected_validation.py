"""
An independent implementation of LocoHub's validation rules (its ValidationConfigManager,
Validator and DatasetCleaner, as ../shared/docs/locomotion-data-standard.md §3 describes them), in
pandas + numpy + PyYAML, the oracle of locolens' validator in the jest suite.

    python test/expected_validation.py validate FILE RANGES [--exclude a,b] [--set TASK,PHASE,VARIABLE,MIN,MAX]...
        -> JSON: phase_valid, stats, tasks, violations (as `locolens validate --json`)
    python test/expected_validation.py clean FILE RANGES CLEAN [--exclude a,b]
        -> JSON: the clean file read back with pyarrow against the rows LocoHub's cleaner keeps
    python test/expected_validation.py suggest FILE TASK PHASE VARIABLE
        -> JSON: each method's range from numpy
    python test/expected_validation.py yaml RANGES
        -> JSON: the ranges as PyYAML + the config manager read them
"""
import json
import math
import sys

import numpy as np
import pandas as pd
import yaml

LEGACY_GRF = {
    f"{axis}_grf_{side}_{unit}": f"grf_{axis}_{side}_{unit}"
    for axis in ("vertical", "anterior", "lateral")
    for side in ("ipsi", "contra")
    for unit in ("N", "BW")
}
FEATURE_WORDS = ("angle", "velocity", "moment", "power", "grf", "cop")
NOT_FEATURES = {"subject", "task", "phase_ipsi", "phase", "phase_percent", "time", "time_s", "step_number",
                "is_reconstructed_r", "is_reconstructed_l", "task_info", "task_id", "activity_number", "cycle",
                "step", "leading_leg_step"}


def load_ranges(path):
    with open(path) as f:
        config = yaml.safe_load(f)
    tasks = {}
    for task, section in (config.get("tasks") or {}).items():
        metadata = section.get("metadata") or {}
        phases = {}
        for key, variables in (section.get("phases") or {}).items():
            phase = int(float(key)) if isinstance(key, str) else int(key)
            assert 0 <= phase <= 100
            phases[phase] = {LEGACY_GRF.get(v, v): {"min": r.get("min"), "max": r.get("max")}
                             for v, r in (variables or {}).items()}
        if metadata.get("contralateral_offset") is True:
            phases = offset_contralateral(phases)
        tasks[task] = dict(sorted(phases.items()))
    return tasks


def offset_contralateral(phases):
    keys = sorted(phases)
    out = {}
    for p in keys:
        target = (p + 50) % 100
        nearest = min(keys, key=lambda q: abs(q - target))  # first (lowest) on a tie
        entry = {v: r for v, r in phases[p].items() if "_contra" not in v}
        for v, r in phases[nearest].items():
            if "_ipsi" in v:
                entry[v.replace("_ipsi", "_contra", 1)] = dict(r)
        out[p] = entry
    return out


def features_of(df):
    """LocomotionData's feature detection, over a DataFrame's columns or a list of names."""
    return [c for c in getattr(df, "columns", df) if c not in NOT_FEATURES and any(w in c.lower() for w in FEATURE_WORDS)]


def validate(df, ranges, ignore=()):
    phase_valid = True
    message = "Phase structure valid (150 points per cycle)"
    for task in sorted(df["task"].unique()):
        n = int((df["task"] == task).sum())
        if n % 150 and phase_valid:
            phase_valid, message = False, f"Task '{task}' has {n} points, not divisible by 150"
    features = set(features_of(df))
    out_tasks, violations = {}, {}
    total = dict(strides=0, failing=0, checks=0, violations=0)
    for task in [t for t in sorted(df["task"].unique()) if t in ranges]:
        task_ranges = ranges[task]
        wanted = set()
        for pr in task_ranges.values():
            wanted.update(pr)
        wanted -= set(ignore)
        variables = sorted(v for v in wanted if v in features)
        rows = df[df["task"] == task]
        if not variables or len(rows) % 150:
            out_tasks[task] = dict(total_strides=0, failing_strides=0, variables=variables)
            continue
        data = rows[variables].to_numpy(dtype=np.float64).reshape(-1, 150, len(variables))
        strides = data.shape[0]
        per_var = {v: [] for v in variables}
        failing = set()
        for s in range(strides):
            for phase, pr in task_ranges.items():
                idx = int(round((phase / 100.0) * 149))
                for v, r in pr.items():
                    if v not in per_var:
                        continue
                    lo, hi = r["min"], r["max"]
                    if lo is None or hi is None:
                        continue
                    if lo > hi:
                        lo, hi = hi, lo
                    x = data[s, idx, variables.index(v)]
                    if not np.isfinite(x):
                        continue
                    if x < lo or x > hi:
                        per_var[v].append(s)
                        failing.add(s)
        checks = strides * sum(1 for pr in task_ranges.values() for v in variables if v in pr)
        nviol = sum(len(x) for x in per_var.values())
        out_tasks[task] = dict(total_strides=strides, failing_strides=len(failing), checks=checks, violations=nviol,
                               variables=variables, failing=sorted(failing))
        v = {k: sorted(x) for k, x in per_var.items() if x}
        if v:
            violations[task] = v
        total["strides"] += strides
        total["failing"] += len(failing)
        total["checks"] += checks
        total["violations"] += nviol
    rate = 1 - total["failing"] / total["strides"] if total["strides"] else 0.0
    return dict(
        phase_valid=phase_valid, phase_message=message,
        quality_gate_passed=phase_valid and (rate >= 0.9 if total["strides"] else True),
        stats=dict(total_strides=total["strides"], total_failing_strides=total["failing"], pass_rate=rate,
                   total_checks=total["checks"], total_violations=total["violations"],
                   variable_pass_rate=1 - total["violations"] / total["checks"] if total["checks"] else 0.0),
        tasks=out_tasks, violations=violations)


def clean(df, ranges, ignore=()):
    """The rows LocoHub's DatasetCleaner keeps, task by task (sorted), file order within a task."""
    result = validate(df, ranges, ignore)
    parts = []
    for task in sorted(df["task"].unique()):
        rows = df[df["task"] == task].reset_index(drop=True)
        n = len(rows) // 150
        failing = set(result["tasks"].get(task, {}).get("failing", []))
        keep = [i for s in range(n) if s not in failing for i in range(s * 150, s * 150 + 150)]
        parts.append(rows.iloc[keep])
    out = pd.concat(parts).reset_index(drop=True)
    return out.drop(columns=[c for c in ignore if c in out.columns])


def main():
    cmd, *args = sys.argv[1:]
    exclude = []
    overrides = []
    while "--set" in args:
        # --set TASK,PHASE,VARIABLE,MIN,MAX: one range changed after reading (as the tuner edits it).
        i = args.index("--set")
        task, phase, variable, lo, hi = args[i + 1].split(",")
        overrides.append((task, int(phase), variable, float(lo), float(hi)))
        args = args[:i] + args[i + 2:]
    if "--exclude" in args:
        i = args.index("--exclude")
        exclude = [c for c in args[i + 1].split(",") if c]
        args = args[:i] + args[i + 2:]
    def ranges_of(path):
        ranges = load_ranges(path)
        for task, phase, variable, lo, hi in overrides:
            ranges[task][phase][variable] = {"min": lo, "max": hi}
        return ranges

    if cmd == "validate":
        df = pd.read_parquet(args[0])
        print(json.dumps(validate(df, ranges_of(args[1]), exclude)))
    elif cmd == "clean":
        df = pd.read_parquet(args[0])
        expected = clean(df, ranges_of(args[1]), exclude)
        got = pd.read_parquet(args[2])
        # locolens keeps file order; LocoHub writes task by task: compare task by task.
        got_sorted = pd.concat([got[got["task"] == t] for t in sorted(got["task"].unique())]).reset_index(drop=True)
        equal = list(got.columns) == list(expected.columns) and got_sorted.equals(expected)
        print(json.dumps(dict(rows=len(got), expected_rows=len(expected), columns=list(got.columns),
                              expected_columns=list(expected.columns), equal=bool(equal))))
    elif cmd == "suggest":
        df = pd.read_parquet(args[0])
        task, phase, variable = args[1], int(args[2]), args[3]
        x = df[df["task"] == task][variable].to_numpy(np.float64).reshape(-1, 150)[:, int(round(phase / 100 * 149))]
        x = x[np.isfinite(x)]
        q1, q3 = np.percentile(x, [25, 75])
        lo, hi = x.min(), x.max()
        print(json.dumps(dict(
            percentile_95=[np.percentile(x, 2.5), np.percentile(x, 97.5)],
            percentile_90=[np.percentile(x, 5), np.percentile(x, 95)],
            mean_3std=[x.mean() - 3 * x.std(), x.mean() + 3 * x.std()],
            iqr_expansion=[q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)],
            conservative=[lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)],
        ), default=float))
    elif cmd == "yaml":
        ranges = load_ranges(args[0])

        def num(x):
            if isinstance(x, float) and not math.isfinite(x):
                return str(x)
            return x
        print(json.dumps({t: {str(p): {v: [num(r["min"]), num(r["max"])] for v, r in pr.items()} for p, pr in ph.items()}
                          for t, ph in ranges.items()}, default=str))
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
