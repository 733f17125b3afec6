"""What pyarrow says about a dataset, for the Galata tests (printed as JSON)."""
import json
import sys

import pyarrow.compute as pc
import pyarrow.parquet as pq

path = sys.argv[1]
table = pq.read_table(path, columns=["subject", "task", "task_id"])
meta = pq.ParquetFile(path).metadata
subjects = pc.unique(table["subject"]).to_pylist()
tasks = pc.unique(table["task"]).to_pylist()
keys = table.group_by(["subject", "task"]).aggregate([([], "count_all")])
cycles = sum(n // 150 for n in keys["count_all"].to_pylist())
metadata = {"subject", "subject_metadata", "task", "task_id", "task_info", "step", "phase_ipsi"}
variables = [name for name in pq.read_schema(path).names if name not in metadata]
print(json.dumps({
    "rows": meta.num_rows,
    "row_groups": meta.num_row_groups,
    "subjects": len(subjects),
    "tasks": len(tasks),
    "variables": len(variables),
    "cycles": cycles,
}))
