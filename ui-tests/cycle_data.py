"""A LocoHub file's cycles as the engine sees them, with numpy (shared by the Galata tests' scripts)."""
import numpy as np
import pyarrow.parquet as pq

KEYWORDS = ("angle", "velocity", "moment", "power", "grf", "cop")
EXCLUDED = {"subject", "subject_metadata", "task", "task_id", "task_info", "step", "phase_ipsi"}


def load(path):
    """(features, subjects, tasks, values as float32 → float64 rows, subject × task pairs in file order)."""
    table = pq.read_table(path)
    features = [n for n in table.column_names if n not in EXCLUDED and any(k in n for k in KEYWORDS)]
    subjects = np.array(table["subject"].to_pylist())
    tasks = np.array(table["task"].to_pylist())
    # The analysis runs on float32 samples.
    values = np.stack([table[n].to_numpy(zero_copy_only=False).astype(np.float32) for n in features], axis=1)
    seen = []
    for s, t in zip(subjects, tasks):
        if (s, t) not in seen:
            seen.append((s, t))
    return features, subjects, tasks, values, seen
