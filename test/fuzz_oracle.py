"""
The fuzz suite's oracle (src/core/parquet/__tests__/fuzz.spec.ts): pyarrow reads each file of a
folder (page checksums verified) and reports its rows and the sum of each numeric column, or why
it cannot. Also writes the suite's valid base files.

    python test/fuzz_oracle.py bases OUT_DIR     -> writes the base files, prints their names
    python test/fuzz_oracle.py read DIR          -> JSON {file: {rows, sums} | {error}}
"""
import json
import math
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

VARIABLES = ["hip_flexion_angle_ipsi_rad", "knee_flexion_angle_ipsi_rad", "ankle_dorsiflexion_angle_ipsi_rad",
             "knee_flexion_moment_ipsi_Nm_kg"]


def base_table(dtype):
    rng = np.random.default_rng(11)
    subjects, tasks, cycles = ["AB01", "AB02", "AB03"], ["level_walking", "run"], 4
    rows = []
    for s in subjects:
        for t in tasks:
            rows.append((s, t, cycles * 150))
    n = sum(r[2] for r in rows)
    phase = np.tile(np.arange(150) / 150.0, n // 150)
    cols = {
        "subject": [s for s, _, k in rows for _ in range(k)],
        "task": [t for _, t, k in rows for _ in range(k)],
        "phase_ipsi": phase,
    }
    for i, v in enumerate(VARIABLES):
        x = np.sin(2 * np.pi * phase * (i + 1)) + 0.05 * rng.standard_normal(n)
        cols[v] = x.astype(dtype)
    # A few missing samples.
    cols[VARIABLES[1]][[5, 800, 2001]] = np.nan
    return pa.table(cols)


BASES = [
    # name, codec, dictionary strings, dtype, page checksums
    ("snappy_dict_f64_crc", "snappy", True, "float64", True),
    ("zstd_plain_f32_crc", "zstd", False, "float32", True),
    ("gzip_dict_f64", "gzip", True, "float64", False),
    ("none_dict_f32", "none", True, "float32", False),
    ("brotli_plain_f64_crc", "brotli", False, "float64", True),
    ("lz4_dict_f32_crc", "lz4", True, "float32", True),
]


def write_bases(out):
    os.makedirs(out, exist_ok=True)
    for name, codec, dictionary, dtype, crc in BASES:
        # Row groups of 700 rows cut cycles; small pages make many page boundaries.
        pq.write_table(base_table(dtype), os.path.join(out, f"{name}.parquet"), compression=codec,
                       use_dictionary=["subject", "task"] if dictionary else False, row_group_size=700,
                       data_page_size=2048, write_page_checksum=crc)
        print(name)


def read_one(path):
    try:
        table = pq.read_table(path, page_checksum_verification=True)
        sums = {}
        for field in table.schema:
            if pa.types.is_floating(field.type):
                x = table.column(field.name).to_numpy(zero_copy_only=False).astype(np.float64)
                s = float(np.nansum(x))
                sums[field.name] = s if math.isfinite(s) else None
        return {"rows": table.num_rows, "sums": sums, "columns": table.schema.names}
    except Exception as error:  # noqa: BLE001 - any failure is the answer
        return {"error": str(error).split("\n")[0][:200]}


def read_all(folder):
    """Each file read in a forked child: pyarrow itself may crash or exhaust memory on hostile bytes."""
    import resource

    out = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".parquet"):
            continue
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
            with os.fdopen(w, "w") as pipe:
                pipe.write(json.dumps(read_one(os.path.join(folder, name))))
            os._exit(0)
        os.close(w)
        with os.fdopen(r) as pipe:
            text = pipe.read()
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status) or not text:
            out[name] = {"error": f"pyarrow crashed (status {status})"}
        else:
            out[name] = json.loads(text)
    return out


if __name__ == "__main__":
    command, folder = sys.argv[1], sys.argv[2]
    if command == "bases":
        write_bases(folder)
    else:
        print(json.dumps(read_all(folder)))
