"""Golden values for the jest suite, computed with pyarrow + numpy from the written files.

Usage: python test/expected_values.py FIXTURE_DIR > expected-values.json

For every readable fixture and every column: for numeric columns the count, NaN-or-null count,
float64 nansum and the first values; for string columns the distinct values in order of first
appearance. The TypeScript decoder must reproduce these exactly (sums to 1e-9 relative).
"""
import json
import math
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def column_values(column: pa.ChunkedArray) -> dict:
    if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
        values = column.to_numpy(zero_copy_only=False).astype(np.float64)
        finite = values[~np.isnan(values)]
        return {
            "kind": "numeric",
            "count": int(values.size),
            "missing": int(np.isnan(values).sum()),
            "nansum": float(finite.sum(dtype=np.float64)) if finite.size else 0.0,
            "first": [None if math.isnan(v) else float(v) for v in values[:5]],
        }
    values = column.to_pylist()
    seen = list(dict.fromkeys(values))
    return {"kind": "string", "count": len(values), "distinct": seen[:50], "nulls": values.count(None)}


def main(folder: str) -> None:
    out = {}
    for path in sorted(Path(folder).glob("*.parquet")):
        try:
            table = pq.read_table(path)
        except Exception:  # noqa: BLE001 - the bad fixtures
            continue
        out[path.name] = {name: column_values(table.column(name)) for name in table.column_names}
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
