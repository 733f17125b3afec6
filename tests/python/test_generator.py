"""Tests of scripts/generate_dataset.py: every check reads the written files back with pyarrow."""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "generate_dataset.py"

_spec = importlib.util.spec_from_file_location("generate_dataset", SCRIPT)
gen = importlib.util.module_from_spec(_spec)
sys.modules["generate_dataset"] = gen
_spec.loader.exec_module(gen)

POINTS = 150
PHASE = np.linspace(0, 100, POINTS, endpoint=False)
LEADING = ["subject", "subject_metadata", "task", "task_id", "task_info", "step", "phase_ipsi"]
NAME_RE = re.compile(
    r"^(?:(?:hip|knee|ankle|thigh|shank|foot)_(?:flexion|adduction|dorsiflexion|sagittal)_"
    r"(?:angle|velocity|moment)_(?:ipsi|contra)_(?:rad|rad_s|Nm_kg)"
    r"|(?:pelvis|trunk)_sagittal_angle_rad"
    r"|grf_(?:vertical|anterior|lateral)_(?:ipsi|contra)_BW)$"
)
STANDARD_FIXTURES = ["tiny_snappy.parquet", "tiny_zstd.parquet", "tiny_gzip.parquet",
                     "tiny_none.parquet", "multi_rowgroup.parquet", "dictionary_strings.parquet",
                     "with_nans.parquet", "one_cycle.parquet", "many_cycles.parquet"]
BROKEN = ["random_bytes.parquet", "empty.parquet", "truncated.parquet"]
ALL_FIXTURES = STANDARD_FIXTURES + ["bad_cycle_count.parquet", "legacy_names.parquet",
                                    "no_required_columns.parquet"] + BROKEN
ALL_FIXTURES += ["compare_a.parquet", "compare_b.parquet"]


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    d = tmp_path_factory.mktemp("fixtures")
    gen.write_fixtures(str(d), verbose=False)
    return d


@pytest.fixture(scope="module")
def all_tasks_file(tmp_path_factory):
    """A clean file with every task (no injected outliers / missing values)."""
    p = tmp_path_factory.mktemp("clean") / "clean.parquet"
    gen.generate(str(p), subjects=3, cycles=8, outliers=0, nan_runs=0, seed=11, verbose=False)
    return p


def runs(table, keys=("subject", "task")):
    """Contiguous runs of equal key values: list of (key tuple, start, stop)."""
    cols = [np.asarray(table[k].to_pylist(), dtype=object) for k in keys]
    n = table.num_rows
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for c in cols:
        change[1:] |= c[1:] != c[:-1]
    starts = list(np.flatnonzero(change)) + [n]
    return [(tuple(c[a] for c in cols), int(a), int(b)) for a, b in zip(starts[:-1], starts[1:])]


def cycles_of(table, subject, task, column):
    mask = pc.and_(pc.equal(table["subject"], subject), pc.equal(table["task"], task))
    x = table.filter(mask)[column].to_numpy(zero_copy_only=False).astype(float)
    assert x.size % POINTS == 0
    return x.reshape(-1, POINTS)


# ---------------------------------------------------------------------------- layout


def test_fixture_files_exist_and_are_small(fixtures):
    for name in ALL_FIXTURES:
        p = fixtures / name
        assert p.exists(), name
        assert p.stat().st_size < 2_000_000, name
    assert (fixtures / "manifest.json").exists()


@pytest.mark.parametrize("name", STANDARD_FIXTURES)
def test_blocks_contiguous_whole_cycles_and_steps(fixtures, name):
    t = pq.read_table(fixtures / name)
    manifest = json.loads((fixtures / "manifest.json").read_text())["files"][name]
    blocks = runs(t)
    keys = [k for k, _, _ in blocks]
    assert len(keys) == len(set(keys)), "a subject x task appears in two separate runs"
    steps = t["step"].to_numpy()
    for (subject, task), a, b in blocks:
        assert (b - a) % POINTS == 0
        n = (b - a) // POINTS
        assert manifest["cycles"][subject][task] == n
        np.testing.assert_array_equal(steps[a:b], np.repeat(np.arange(n), POINTS))
    assert sum(b - a for _, a, b in blocks) == t.num_rows == manifest["rows"]
    # File order: subjects ascending, tasks in the generator's task order within a subject.
    subjects = [k[0] for k in keys]
    assert subjects == sorted(subjects)
    order = manifest["generator"]["tasks"]
    for s in set(subjects):
        tasks = [k[1] for k in keys if k[0] == s]
        assert tasks == [x for x in order if x in tasks]
    # task_id is constant within a cycle
    tid = np.asarray(t["task_id"].to_pylist(), dtype=object).reshape(-1, POINTS)
    assert (tid == tid[:, :1]).all()


@pytest.mark.parametrize("name", STANDARD_FIXTURES)
def test_phase_values(fixtures, name):
    t = pq.read_table(fixtures / name)
    assert t.schema.field("phase_ipsi").type == pa.float64()
    phase = t["phase_ipsi"].to_numpy()
    np.testing.assert_array_equal(phase, np.tile(PHASE, t.num_rows // POINTS))
    np.testing.assert_allclose(phase[:POINTS], np.arange(POINTS) * 100 / 150, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", STANDARD_FIXTURES)
def test_column_names_order_and_types(fixtures, name):
    schema = pq.read_schema(fixtures / name)
    assert schema.names[:7] == LEADING
    variables = schema.names[7:]
    assert variables, name
    for v in variables:
        assert NAME_RE.match(v), v
    for c in LEADING[:5]:
        assert schema.field(c).type == pa.string()
    assert schema.field("step").type == pa.int32()
    want = pa.float64() if name == "multi_rowgroup.parquet" else pa.float32()
    for v in variables:
        assert schema.field(v).type == want, v


def test_full_variable_set(all_tasks_file):
    names = pq.read_schema(all_tasks_file).names[7:]
    assert len(names) >= 30
    for side in ("ipsi", "contra"):
        for j in ("hip_flexion", "knee_flexion", "ankle_dorsiflexion"):
            for m, unit in (("angle", "rad"), ("velocity", "rad_s"), ("moment", "Nm_kg")):
                assert f"{j}_{m}_{side}_{unit}" in names
        for seg in ("thigh", "shank", "foot"):
            assert f"{seg}_sagittal_angle_{side}_rad" in names
        for ax in ("vertical", "anterior", "lateral"):
            assert f"grf_{ax}_{side}_BW" in names
        assert f"hip_adduction_angle_{side}_rad" in names
    assert "pelvis_sagittal_angle_rad" in names and "trunk_sagittal_angle_rad" in names
    assert len(set(names)) == len(names)


def test_subject_and_task_strings(all_tasks_file):
    t = pq.read_table(all_tasks_file)
    for s in set(t["subject"].to_pylist()):
        assert re.match(r"^[A-Z0-9]+_[A-Z]+\d{2,}$", s)
    for m in set(t["subject_metadata"].to_pylist()):
        kv = dict(x.split(":", 1) for x in m.split(","))
        assert set(kv) == {"age", "sex", "height_m", "weight_kg"}
        assert 1.4 < float(kv["height_m"]) < 2.1 and 40 < float(kv["weight_kg"]) < 130
    ids = {}
    for task, tid, info in zip(t["task"].to_pylist(), t["task_id"].to_pylist(),
                               t["task_info"].to_pylist()):
        ids.setdefault(task, set()).add((tid, info))
    assert set(ids) == {"level_walking", "incline_walking", "decline_walking", "stair_ascent",
                        "run"}
    assert {x[0] for x in ids["level_walking"]} == {"level_0_8_m_s", "level_1_2_m_s"}
    assert {x[0] for x in ids["incline_walking"]} == {"incline_10deg"}
    assert {x[0] for x in ids["run"]} == {"run_2_5_m_s"}
    (_, incline_info), = ids["incline_walking"]
    assert "incline_deg:10" in incline_info.split(",")
    for pairs in ids.values():
        for _, info in pairs:
            assert all(":" in kv for kv in info.split(","))


# ---------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("name,codec", [("tiny_snappy.parquet", "SNAPPY"),
                                        ("tiny_zstd.parquet", "ZSTD"),
                                        ("tiny_gzip.parquet", "GZIP"),
                                        ("tiny_none.parquet", "UNCOMPRESSED")])
def test_compression_codec(fixtures, name, codec):
    md = pq.read_metadata(fixtures / name)
    assert md.num_row_groups == 1
    rg = md.row_group(0)
    assert {rg.column(j).compression for j in range(rg.num_columns)} == {codec}


def test_tiny_files_hold_the_same_data(fixtures):
    base = pq.read_table(fixtures / "tiny_snappy.parquet")
    assert base.num_rows == 3 * 2 * 4 * POINTS
    for c in ("zstd", "gzip", "none"):
        assert pq.read_table(fixtures / f"tiny_{c}.parquet").equals(base)


def test_multi_rowgroup_sizes_not_multiple_of_150(fixtures):
    md = pq.read_metadata(fixtures / "multi_rowgroup.parquet")
    sizes = [md.row_group(i).num_rows for i in range(md.num_row_groups)]
    assert len(sizes) > 5
    assert all(s == 1000 for s in sizes[:-1]) and 0 < sizes[-1] <= 1000
    assert all(s % POINTS for s in sizes[:-1])
    bounds = np.cumsum(sizes)[:-1]
    assert any(b % POINTS for b in bounds), "some cycle must straddle two row groups"


def test_default_row_groups_several_and_not_multiple_of_150(tmp_path):
    p = tmp_path / "d.parquet"
    gen.generate(str(p), subjects=2, cycles=6, tasks="level_walking,run", verbose=False)
    md = pq.read_metadata(p)
    sizes = [md.row_group(i).num_rows for i in range(md.num_row_groups)]
    assert md.num_row_groups >= 2
    assert sizes[0] % POINTS != 0


def _string_encodings(path, column):
    md = pq.read_metadata(path)
    idx = md.schema.names.index(column)
    return [set(md.row_group(i).column(idx).encodings) for i in range(md.num_row_groups)]


def test_string_encodings(fixtures):
    for enc in _string_encodings(fixtures / "dictionary_strings.parquet", "subject"):
        assert enc & {"RLE_DICTIONARY", "PLAIN_DICTIONARY"}
    for c in ("subject", "subject_metadata", "task", "task_id", "task_info"):
        for enc in _string_encodings(fixtures / "multi_rowgroup.parquet", c):
            assert not enc & {"RLE_DICTIONARY", "PLAIN_DICTIONARY"}, (c, enc)
    assert pq.read_table(fixtures / "dictionary_strings.parquet")["subject"].type == pa.string()


# ---------------------------------------------------------------------------- injections


def _injected(path):
    return json.loads(pq.read_metadata(path).metadata[b"locolens.injected"])


@pytest.mark.parametrize("name", ["multi_rowgroup.parquet", "with_nans.parquet"])
def test_missing_values_where_injected(fixtures, name):
    path = fixtures / name
    t = pq.read_table(path)
    runs_ = _injected(path)["missing"]
    assert runs_
    expected = {}
    for r in runs_:
        rows = np.arange(r["row_start"], r["row_start"] + r["rows"])
        block = [b for b in runs(t) if b[0] == (r["subject"], r["task"])]
        assert block and block[0][1] <= rows[0] and rows[-1] < block[0][2]
        for c in r["columns"]:
            col = t[c]
            valid = col.is_valid().to_numpy(zero_copy_only=False)
            if r["as"] == "null":
                assert not valid[rows].any()
            else:
                assert valid[rows].all()
                assert np.isnan(col.to_numpy(zero_copy_only=False)[rows]).all()
            expected.setdefault(c, set()).update(rows.tolist())
    for c in t.column_names[7:]:
        x = t[c].to_numpy(zero_copy_only=False).astype(float)  # nulls -> NaN
        assert set(np.flatnonzero(np.isnan(x)).tolist()) == expected.get(c, set()), c


def test_with_nans_has_nulls_and_nan_values(fixtures):
    t = pq.read_table(fixtures / "with_nans.parquet")
    null_cols = [c for c in t.column_names[7:] if t[c].null_count]
    nan_cols = [c for c in t.column_names[7:]
                if t[c].null_count == 0 and pc.sum(pc.is_nan(t[c])).as_py()]
    assert null_cols and nan_cols
    assert not set(null_cols) & set(nan_cols)


def test_nan_as_value_option(tmp_path):
    p1, p2 = tmp_path / "null.parquet", tmp_path / "nan.parquet"
    kw = dict(subjects=2, cycles=5, tasks="run", nan_runs=4, verbose=False)
    gen.generate(str(p1), **kw)
    gen.generate(str(p2), missing="nan", **kw)
    t1, t2 = pq.read_table(p1), pq.read_table(p2)
    assert sum(t1[c].null_count for c in t1.column_names[7:]) > 0
    assert sum(t2[c].null_count for c in t2.column_names[7:]) == 0
    n_nan = sum(pc.sum(pc.is_nan(t2[c])).as_py() or 0 for c in t2.column_names[7:])
    assert n_nan == sum(t1[c].null_count for c in t1.column_names[7:])


def _rmse(x):
    m = x.mean(axis=0)
    return np.sqrt(((x - m) ** 2).mean(axis=1))


@pytest.mark.parametrize("name", ["multi_rowgroup.parquet", "many_cycles.parquet"])
def test_outlier_cycles_present(fixtures, name):
    path = fixtures / name
    t = pq.read_table(path)
    outliers = _injected(path)["outliers"]
    assert outliers
    for o in outliers:
        x = cycles_of(t, o["subject"], o["task"], o["column"])
        r = _rmse(x)
        c = o["cycle_in_task"]
        assert r[c] > r.mean() + 2 * r.std(), o  # LocoHub find_outlier_cycles rule (ddof=0)
        same = [x for x in outliers if (x["subject"], x["task"], x["column"])
                == (o["subject"], o["task"], o["column"])]
        assert c in np.argsort(r)[-len(same):]  # among the largest RMSEs
        step = cycles_of(t, o["subject"], o["task"], "step")[:, 0]
        assert step[c] == o["step"]


def test_clean_file_has_no_injections(all_tasks_file):
    t = pq.read_table(all_tasks_file)
    assert _injected(all_tasks_file) == {"missing": [], "outliers": []}
    for c in t.column_names[7:]:
        assert t[c].null_count == 0
        assert not pc.any(pc.is_nan(t[c])).as_py()


# ---------------------------------------------------------------------------- signals


def test_velocity_is_derivative_of_angle(fixtures):
    t = pq.read_table(fixtures / "tiny_snappy.parquet")
    for side in ("ipsi", "contra"):
        for j in ("hip_flexion", "knee_flexion", "ankle_dorsiflexion"):
            a = t[f"{j}_angle_{side}_rad"].to_numpy().astype(float).reshape(-1, POINTS)
            v = t[f"{j}_velocity_{side}_rad_s"].to_numpy().astype(float).reshape(-1, POINTS)
            g = np.gradient(a, axis=1)[:, 2:-2]  # per sample
            vv = v[:, 2:-2]
            k = (g * vv).sum(1) / (g * g).sum(1)  # samples per second = 150 / stride time
            assert ((k > 150 / 1.8) & (k < 150 / 0.5)).all(), k
            resid = vv - k[:, None] * g
            assert (np.abs(resid).max(1) < 0.05 * np.abs(vv).max(1) + 0.05).all()


def test_physiological_shapes(all_tasks_file):
    t = pq.read_table(all_tasks_file)

    def mean(task, col):
        return np.concatenate([cycles_of(t, s, task, col)
                               for s in sorted(set(t["subject"].to_pylist()))]).mean(0)

    knee = mean("level_walking", "knee_flexion_angle_ipsi_rad")
    assert -0.05 < knee[0] < 0.3                       # ~0.1 rad at heel strike
    assert 0.15 < knee[10:35].max() < 0.5              # loading response peak
    assert 0.9 < knee.max() < 1.35                      # swing peak ~1.1 rad
    assert 60 <= PHASE[knee.argmax()] <= 80             # near 70 %
    hip = mean("level_walking", "hip_flexion_angle_ipsi_rad")
    assert 0.3 < hip[0] < 0.7 and -0.4 < hip.min() < 0.0
    ankle = mean("level_walking", "ankle_dorsiflexion_angle_ipsi_rad")
    assert -0.45 < ankle.min() < -0.1 and 50 < PHASE[ankle.argmin()] < 75
    grf = mean("level_walking", "grf_vertical_ipsi_BW")
    assert 1.0 < grf[:int(0.6 * POINTS)].max() < 1.3
    assert np.abs(grf[int(0.72 * POINTS):int(0.95 * POINTS)]).max() < 0.02  # swing
    assert grf[int(0.3 * POINTS)] < grf[:int(0.3 * POINTS)].max()           # double hump
    ankle_m = mean("level_walking", "ankle_dorsiflexion_moment_ipsi_Nm_kg")
    assert -1.8 < ankle_m.min() < -1.1
    run_knee = mean("run", "knee_flexion_angle_ipsi_rad")
    assert run_knee.max() > knee.max() + 0.3
    assert mean("run", "grf_vertical_ipsi_BW").max() > 2.0
    stair_hip = mean("stair_ascent", "hip_flexion_angle_ipsi_rad")
    assert stair_hip.max() > hip.max() + 0.3
    assert mean("stair_ascent", "knee_flexion_angle_ipsi_rad").max() > knee.max() + 0.2
    assert mean("incline_walking", "hip_flexion_angle_ipsi_rad")[0] > hip[0] + 0.1
    # contra = ipsi half a cycle (75 samples) later
    kc = mean("level_walking", "knee_flexion_angle_contra_rad")
    assert np.corrcoef(kc, np.roll(knee, -75))[0, 1] > 0.97
    assert np.corrcoef(kc, knee)[0, 1] < 0.5
    # limits used by LocoHub validate_cycles hold for clean data
    for c in t.column_names[7:]:
        x = t[c].to_numpy().astype(float)
        if "angle" in c:
            assert np.abs(x).max() < np.pi
            assert np.abs(np.diff(x.reshape(-1, POINTS), axis=1)).max() < 0.5236
        if "velocity" in c:
            assert np.abs(x).max() < 17.45


def test_variation_between_cycles_and_subjects(all_tasks_file):
    t = pq.read_table(all_tasks_file)
    subjects = sorted(set(t["subject"].to_pylist()))
    x = cycles_of(t, subjects[0], "incline_walking", "knee_flexion_angle_ipsi_rad")
    assert 0.005 < x.std(0).mean() < 0.1
    means = [cycles_of(t, s, "incline_walking", "hip_flexion_angle_ipsi_rad").mean()
             for s in subjects]
    assert np.ptp(means) > 0.01


# ---------------------------------------------------------------------------- bad fixtures


def test_broken_fixtures_fail_to_open(fixtures):
    for name in BROKEN:
        with pytest.raises(Exception):
            pq.ParquetFile(fixtures / name)
        with pytest.raises(Exception):
            pq.read_table(fixtures / name)
    full = (fixtures / "tiny_snappy.parquet").read_bytes()
    assert (fixtures / "truncated.parquet").read_bytes() == full[:int(len(full) * 0.6)]
    assert (fixtures / "empty.parquet").stat().st_size == 0
    rb = (fixtures / "random_bytes.parquet").read_bytes()
    assert len(rb) == 4096 and rb[-4:] != b"PAR1"


def test_no_required_columns(fixtures):
    t = pq.read_table(fixtures / "no_required_columns.parquet")
    assert t.column_names == ["a", "b", "c"] and t.num_rows > 0
    assert all(pa.types.is_integer(f.type) or pa.types.is_floating(f.type) for f in t.schema)


def test_bad_cycle_count(fixtures):
    t = pq.read_table(fixtures / "bad_cycle_count.parquet")
    bad = [(k, b - a) for k, a, b in runs(t) if (b - a) % POINTS]
    assert len(bad) == 1
    assert bad[0][1] % POINTS == 149 and bad[0][1] == 4 * POINTS + 149
    assert t.num_rows % POINTS == 149


def test_legacy_names(fixtures):
    t = pq.read_table(fixtures / "legacy_names.parquet")
    names = t.column_names
    for c in ("phase_percent", "hip_angle_s_r", "knee_flexion_angle_right_deg",
              "ankle_flexion_angle_ipsi_rad", "vertical_grf_ipsi_BW", "step_number"):
        assert c in names
    assert "phase_ipsi" not in names and "step" not in names
    assert t["knee_flexion_angle_right_deg"].to_numpy().max() > 40  # degrees
    phase = t["phase_percent"].to_numpy()
    assert phase[0] == 0 and phase[POINTS - 1] == 100


def test_one_cycle_and_many_cycles(fixtures):
    t = pq.read_table(fixtures / "one_cycle.parquet")
    sizes = sorted(b - a for _, a, b in runs(t))
    assert sizes[0] == POINTS and sizes[1] > POINTS
    t = pq.read_table(fixtures / "many_cycles.parquet")
    (_, a, b), = runs(t)
    assert (b - a) // POINTS >= 300
    assert len(t.column_names) - 7 <= 6


def test_comparison_fixtures_hold_the_stated_differences(fixtures):
    """compare_b: compare_a's level_walking and run cycles twice, knee + 0.1 rad, hip x 1.2,
    knee moment dropped, hip_flexion_angle_contra_rad renamed hip_flexion_angle_left_rad."""
    a = pq.read_table(fixtures / "compare_a.parquet")
    b = pq.read_table(fixtures / "compare_b.parquet")
    assert "knee_flexion_moment_ipsi_Nm_kg" in a.column_names
    assert "knee_flexion_moment_ipsi_Nm_kg" not in b.column_names
    assert "hip_flexion_angle_left_rad" in b.column_names
    assert "hip_flexion_angle_contra_rad" not in b.column_names
    assert sorted(set(b["task"].to_pylist())) == ["level_walking", "run"]
    assert "stair_ascent" in set(a["task"].to_pylist())
    a_subjects = list(dict.fromkeys(a["subject"].to_pylist()))
    b_subjects = list(dict.fromkeys(b["subject"].to_pylist()))
    assert len(b_subjects) == 2 * len(a_subjects)
    tasks = np.array(a["task"].to_pylist(), dtype=object)
    keep = np.isin(tasks, ["level_walking", "run"])
    b_subject = np.array(b["subject"].to_pylist(), dtype=object)
    a_subject = np.array(a["subject"].to_pylist(), dtype=object)
    for copy in range(2):
        for i, s in enumerate(a_subjects):
            rows_a = keep & (a_subject == s)
            rows_b = b_subject == b_subjects[copy * len(a_subjects) + i]
            col = lambda t, n, m: t[n].to_numpy(zero_copy_only=False)[m].astype(np.float64)
            assert np.allclose(col(b, "knee_flexion_angle_ipsi_rad", rows_b),
                               col(a, "knee_flexion_angle_ipsi_rad", rows_a) + 0.1, atol=1e-6)
            assert np.allclose(col(b, "hip_flexion_angle_ipsi_rad", rows_b),
                               col(a, "hip_flexion_angle_ipsi_rad", rows_a) * 1.2, rtol=1e-6)
            assert np.array_equal(col(b, "hip_flexion_angle_left_rad", rows_b),
                                  col(a, "hip_flexion_angle_contra_rad", rows_a))
            assert np.array_equal(col(b, "ankle_dorsiflexion_angle_ipsi_rad", rows_b),
                                  col(a, "ankle_dorsiflexion_angle_ipsi_rad", rows_a))


def test_manifest_matches_files(fixtures):
    m = json.loads((fixtures / "manifest.json").read_text())["files"]
    assert set(m) == set(ALL_FIXTURES)
    for name in BROKEN:
        assert m[name]["valid_parquet"] is False
    for name in set(ALL_FIXTURES) - set(BROKEN):
        e = m[name]
        pf = pq.ParquetFile(fixtures / name)
        t = pf.read()
        assert e["valid_parquet"] is True
        assert e["rows"] == t.num_rows == pf.metadata.num_rows
        assert e["row_groups"] == pf.metadata.num_row_groups
        assert e["columns"] == t.column_names
        assert e["size_bytes"] == (fixtures / name).stat().st_size
        if "subject" in t.column_names:
            assert e["subjects"] == sorted(set(t["subject"].to_pylist()))
            n_subject_tasks = len({(s, k) for s, k in zip(t["subject"].to_pylist(),
                                                          t["task"].to_pylist())})
            assert sum(len(v) for v in e["cycles"].values()) == n_subject_tasks
    assert m["tiny_zstd.parquet"]["compression"] == ["ZSTD"]
    assert m["multi_rowgroup.parquet"]["row_group_rows"][0] == 1000
    assert m["with_nans.parquet"]["null_counts"] and m["with_nans.parquet"]["nan_counts"]
    assert m["tiny_snappy.parquet"]["task_ids"]["level_walking"] == [
        "level_0_8_m_s", "level_1_2_m_s"]


# ---------------------------------------------------------------------------- options


def test_determinism(tmp_path):
    kw = dict(subjects=2, cycles="3,6", tasks="level_walking,stair_ascent", dtype="float32",
              seed=5, verbose=False)
    a, b, c = tmp_path / "a.parquet", tmp_path / "b.parquet", tmp_path / "c.parquet"
    gen.generate(str(a), **kw)
    gen.generate(str(b), **kw)
    gen.generate(str(c), **dict(kw, seed=6))
    ta, tb, tc = pq.read_table(a), pq.read_table(b), pq.read_table(c)
    assert ta.equals(tb)
    assert a.read_bytes() == b.read_bytes()
    assert not ta.equals(tc)


def test_cycle_range(tmp_path):
    p = tmp_path / "r.parquet"
    gen.generate(str(p), subjects=4, cycles="3,7", tasks="incline_walking,level_walking",
                 verbose=False)
    counts = [(b - a) // POINTS for _, a, b in runs(pq.read_table(p))]
    assert len(counts) == 8 and all(3 <= n <= 7 for n in counts)
    assert len(set(counts)) > 1


def test_streamed_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(gen, "CHUNK_CYCLES", 3)
    p = tmp_path / "s.parquet"
    gen.generate(str(p), subjects=2, cycles=10, tasks="run,decline_walking",
                 row_group_size=1234, verbose=False)
    t = pq.read_table(p)
    md = pq.read_metadata(p)
    assert [md.row_group(i).num_rows for i in range(md.num_row_groups)][:-1] == [1234] * (
        md.num_row_groups - 1)
    for _, a, b in runs(t):
        np.testing.assert_array_equal(t["step"].to_numpy()[a:b],
                                      np.repeat(np.arange((b - a) // POINTS), POINTS))
    np.testing.assert_array_equal(t["phase_ipsi"].to_numpy(), np.tile(PHASE, t.num_rows // 150))


def test_target_mb(tmp_path):
    s = gen.generate(str(tmp_path), target_mb=5, subjects=3, verbose=False)
    size = os.path.getsize(s["path"]) / 1e6
    assert 3.5 <= size <= 6.5, size
    assert s["path"].endswith("locolens_synthetic_phase.parquet")


def test_presets_resolve():
    demo = gen.resolve_options("demo")
    assert (demo["dtype"], demo["compression"], demo["subjects"], demo["target_mb"]) == (
        "float64", "snappy", 10, 100)
    assert len(demo["tasks"]) == 5
    bench = gen.resolve_options("bench")
    assert (bench["dtype"], bench["compression"], bench["target_mb"], bench["nan_runs"]) == ("float32", "zstd", 150, 0)
    large = gen.resolve_options("large")
    assert (large["dtype"], large["compression"], large["target_mb"], large["nan_runs"]) == ("float32", "zstd", 2048, 0)
    assert gen._resolve_path("data", "large").endswith("locolens_large_phase.parquet")
    assert gen.resolve_options("bench", target_mb=20)["target_mb"] == 20
    assert gen._resolve_path("data", "demo").endswith("locolens_demo_phase.parquet")


def test_skip_if_same_parameters(tmp_path):
    p = tmp_path / "x.parquet"
    kw = dict(subjects=1, cycles=3, tasks="run", verbose=False)
    assert gen.generate(str(p), **kw)["status"] == "written"
    meta = json.loads(pq.read_metadata(p).metadata[b"locolens.generator"])
    assert meta["seed"] == 0 and meta["tasks"] == ["run"]
    mtime = p.stat().st_mtime_ns
    assert gen.generate(str(p), **kw)["status"] == "exists"
    assert p.stat().st_mtime_ns == mtime
    assert gen.generate(str(p), force=True, **kw)["status"] == "written"
    assert gen.generate(str(p), **dict(kw, seed=3))["status"] == "written"
    assert json.loads(pq.read_metadata(p).metadata[b"locolens.generator"])["seed"] == 3


def test_cli(tmp_path):
    out = tmp_path / "cli.parquet"
    cmd = [sys.executable, str(SCRIPT), "--out", str(out), "--subjects", "1", "--cycles", "2",
           "--tasks", "run", "--dtype", "float32", "--compression", "gzip",
           "--string-encoding", "plain", "--nan-as-value", "--row-group-size", "101"]
    r = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert re.search(r"wrote .*cli\.parquet: 300 rows, 3 row groups, [\d.]+ MB, [\d.]+ s",
                     r.stdout), r.stdout
    md = pq.read_metadata(out)
    assert md.row_group(0).column(0).compression == "GZIP"
    r = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert r.stdout.startswith("exists")
