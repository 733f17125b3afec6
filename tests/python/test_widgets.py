"""locolens.show(): the MIME bundle it emits, its argument checks, and a real kernel running it."""
import json
import os

import nbformat
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from nbclient import NotebookClient

import locolens
from locolens.widgets import MIME_TYPE


@pytest.fixture
def dataset(tmp_path, monkeypatch):
    """A tiny phase-indexed file in the working folder (the kernel's folder = the notebook's)."""
    rows = 300
    table = pa.table({
        "subject": ["S1"] * rows,
        "task": ["run"] * rows,
        "phase_ipsi": [i % 150 * 100 / 150 for i in range(rows)],
        "knee_flexion_angle_ipsi_rad": [float(i % 150) / 100 for i in range(rows)],
    })
    pq.write_table(table, tmp_path / "walk.parquet")
    monkeypatch.chdir(tmp_path)
    return "walk.parquet"


def test_bundle_is_the_versioned_spec_and_a_text_line(dataset):
    view = locolens.show(dataset, task="run", subject="S1", features=["knee_flexion_angle_ipsi_rad"], view="rom", ddof=1, nan="ignore", threshold=2.5)
    bundle = view._repr_mimebundle_()
    assert bundle == {
        MIME_TYPE: {
            "version": 1,
            "path": "walk.parquet",
            "view": "rom",
            "selection": {"subject": "S1", "task": "run", "features": ["knee_flexion_angle_ipsi_rad"]},
            "options": {"ddof": 1, "nan": "ignore", "threshold": 2.5},
        },
        "text/plain": "locolens rom view of walk.parquet (task=run, subject=S1)",
    }
    assert MIME_TYPE == "application/vnd.locolens.v1+json"
    # The spec is JSON: it travels in the notebook as is.
    assert json.loads(json.dumps(bundle[MIME_TYPE])) == bundle[MIME_TYPE]


def test_defaults_and_a_single_feature_name(dataset):
    spec = locolens.show(dataset, task="run", features="knee_flexion_angle_ipsi_rad").spec
    assert spec["view"] == "patterns"
    assert spec["selection"] == {"subject": None, "task": "run", "features": ["knee_flexion_angle_ipsi_rad"]}
    assert spec["options"] == {}
    assert locolens.show(dataset, view="dataset").spec["selection"] == {"subject": None, "task": None, "features": None}


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"path": "/tmp/walk.parquet", "task": "run"}, ValueError, "relative to the notebook's folder"),
        ({"path": "walk.csv", "task": "run"}, ValueError, "must name a .parquet file"),
        ({"path": "missing.parquet", "task": "run"}, FileNotFoundError, "no such file: missing.parquet"),
        ({"path": 3, "task": "run"}, TypeError, "path must be a string"),
        ({"task": "run", "view": "heatmap"}, ValueError, "view must be one of patterns, rom, correlation, summary, outliers, dataset"),
        ({}, ValueError, "the patterns view needs a task"),
        ({"task": ""}, TypeError, "task must be a non-empty string"),
        ({"task": "run", "ddof": 2}, ValueError, "ddof must be 0 (LocoHub Python) or 1 (MATLAB/R)"),
        ({"task": "run", "ddof": True}, ValueError, "ddof must be 0"),
        ({"task": "run", "nan": "skip"}, ValueError, "nan must be 'propagate' or 'ignore'"),
        ({"task": "run", "threshold": -1}, ValueError, "threshold must be a number of at least 0"),
        ({"task": "run", "threshold": float("nan")}, ValueError, "threshold must be a number"),
        ({"task": "run", "phase": 150}, ValueError, "phase must be a sample index from 0 to 149"),
        ({"task": "run", "backend": "cuda"}, ValueError, "backend must be 'auto', 'workers' or 'webgpu'"),
        ({"task": "run", "colour": "red"}, TypeError, "unknown option(s) colour"),
        ({"task": "run", "features": []}, ValueError, "features is empty"),
        ({"task": "run", "features": ["ok", 3]}, TypeError, "features must be non-empty strings"),
    ],
)
def test_arguments_are_checked_with_clear_messages(dataset, kwargs, error, message):
    kwargs = {"path": dataset, **kwargs}
    with pytest.raises(error) as raised:
        locolens.show(**kwargs)
    assert message in str(raised.value)


def test_read_features_reads_parquet_and_csv(tmp_path):
    table = pa.table({"subject": ["S1", "S2"], "cycle": [0.0, 1.0], "knee__rom": [0.5, 0.7]})
    pq.write_table(table, tmp_path / "x.cycle-features.parquet")
    (tmp_path / "x.cycle-features.csv").write_text("subject,cycle,knee__rom\nS1,0,0.5\nS2,1,0.7\n")
    for name in ("x.cycle-features.parquet", "x.cycle-features.csv"):
        frame = locolens.read_features(tmp_path / name)
        assert list(frame.columns) == ["subject", "cycle", "knee__rom"]
        assert frame["knee__rom"].tolist() == [0.5, 0.7]


def test_a_kernel_running_show_emits_the_bundle(dataset, tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell(f"import locolens\nlocolens.show({dataset!r}, task='run', subject='S1')"))
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = notebook.cells[0].outputs
    assert len(outputs) == 1
    assert outputs[0].output_type == "execute_result"
    assert outputs[0].data[MIME_TYPE] == {
        "version": 1,
        "path": "walk.parquet",
        "view": "patterns",
        "selection": {"subject": "S1", "task": "run", "features": None},
        "options": {},
    }
    assert outputs[0].data["text/plain"] == "locolens patterns view of walk.parquet (task=run, subject=S1)"


def test_the_spec_schema_ships_with_the_package_sources():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    schema = json.load(open(os.path.join(root, "schema", "locolens.v1.schema.json")))
    assert schema["title"] == MIME_TYPE
    assert schema["properties"]["view"]["enum"] == list(locolens.widgets.VIEWS)
