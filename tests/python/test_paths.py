"""Data file paths from notebooks: relative to the notebook's folder, inside the server root as
written and once symlinks are resolved (real symlinks in a temporary folder), in show(), in
analyze() (whose headless run reads the resolved path) and in a real kernel."""
import json
import os
import shutil
from pathlib import Path

import nbformat
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from nbclient import NotebookClient

import locolens
from locolens.widgets import _server_root


def _write(path):
    rows = 300
    pq.write_table(
        pa.table({
            "subject": ["S1"] * rows,
            "task": ["run"] * rows,
            "phase_ipsi": [i % 150 * 100 / 150 for i in range(rows)],
            "knee_flexion_angle_ipsi_rad": [float(i % 150) / 100 for i in range(rows)],
        }),
        path,
    )


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """root/notebooks (the working folder), root/data/walk.parquet, and outside/secret.parquet
    beside the root; links inside the root: one to the secret file, one to the outside folder, one
    to the data file inside."""
    root = tmp_path / "root"
    (root / "notebooks").mkdir(parents=True)
    (root / "data").mkdir()
    (tmp_path / "outside").mkdir()
    _write(root / "data" / "walk.parquet")
    _write(tmp_path / "outside" / "secret.parquet")
    os.symlink(tmp_path / "outside" / "secret.parquet", root / "notebooks" / "escape.parquet")
    os.symlink(tmp_path / "outside", root / "notebooks" / "elsewhere")
    os.symlink(root / "data" / "walk.parquet", root / "notebooks" / "inside.parquet")
    monkeypatch.chdir(root / "notebooks")
    monkeypatch.delenv("JPY_PARENT_PID", raising=False)
    monkeypatch.setenv("LOCOLENS_ROOT", str(root))
    return tmp_path


@pytest.mark.parametrize(
    "path, message",
    [
        ("escape.parquet", "resolves outside the server root"),
        ("elsewhere/secret.parquet", "resolves outside the server root"),
        ("../../outside/secret.parquet", "leaves the server root"),
        ("../../../../../../etc/passwd.parquet", "leaves the server root"),
        ("/etc/passwd.parquet", "not absolute"),
        ("walk\n.parquet", "control character"),
    ],
)
def test_paths_outside_the_root_are_refused(tree, path, message):
    for call in (lambda: locolens.show(path, task="run"), lambda: locolens.analyze(path, task="run", engine="node")):
        with pytest.raises(ValueError) as raised:
            call()
        assert message in str(raised.value)


def test_paths_inside_the_root_are_kept_as_written(tree):
    assert locolens.show("../data/walk.parquet", task="run").spec["path"] == "../data/walk.parquet"
    # A link inside the root to a file inside it is fine.
    assert locolens.show("inside.parquet", task="run").spec["path"] == "inside.parquet"


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not on PATH")
def test_the_headless_run_reads_the_resolved_file(tree):
    a = locolens.analyze("inside.parquet", task="run", engine="node")
    arguments = a._cli_arguments("tables")
    assert arguments[1] == os.path.realpath(tree / "root" / "data" / "walk.parquet")
    a.close()


def test_the_working_folder_is_the_root_without_a_server(tree, monkeypatch):
    monkeypatch.delenv("LOCOLENS_ROOT")
    assert _server_root() == os.path.realpath(tree / "root" / "notebooks")
    with pytest.raises(ValueError, match="leaves the server root"):
        locolens.show("../data/walk.parquet", task="run")


def test_a_kernel_of_a_jupyter_server_uses_the_servers_root(tree, monkeypatch):
    """What jupyter_server writes (jpserver-<pid>.json in the runtime folder) and what a kernel it
    starts sees (JPY_PARENT_PID)."""
    monkeypatch.delenv("LOCOLENS_ROOT")
    runtime = tree / "runtime"
    runtime.mkdir()
    (runtime / "jpserver-4242.json").write_text(json.dumps({"root_dir": str(tree / "root"), "pid": 4242}))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("JPY_PARENT_PID", "4242")
    assert _server_root() == os.path.realpath(tree / "root")
    assert locolens.show("../data/walk.parquet", task="run").spec["path"] == "../data/walk.parquet"
    with pytest.raises(ValueError, match="resolves outside the server root"):
        locolens.show("escape.parquet", task="run")


def test_a_real_kernel_refuses_a_symlink_out_of_the_root(tree):
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell("import locolens\nlocolens.show('escape.parquet', task='run')"))
    client = NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tree / "root" / "notebooks")}}
    )
    with pytest.raises(Exception) as raised:
        client.execute()
    assert "resolves outside the server root" in str(raised.value)
    outputs = notebook.cells[0].outputs
    assert not any("application/vnd.locolens.v1+json" in output.get("data", {}) for output in outputs)


def test_names_and_counts_are_bounded_as_the_schema(tree):
    """What Python accepts, the schema accepts: the largest allowed spec validates, one more is refused here."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).parents[2] / "schema" / "locolens.v1.schema.json").read_text())
    largest = locolens.show(
        "../data/walk.parquet", task="t" * 1024, subject="s" * 1024, features=[f"f{i}" for i in range(2048)], threshold=1000
    ).spec
    jsonschema.validate(largest, schema)
    for kwargs, message in (
        ({"task": "t" * 1025}, "task is longer than 1024 characters"),
        ({"task": "t", "subject": "s" * 1025}, "subject is longer than 1024 characters"),
        ({"task": "t", "features": [f"f{i}" for i in range(2049)]}, "at most 2048 names"),
        ({"task": "t", "features": ["x" * 1025]}, "at most 1024 characters"),
        ({"task": "t", "threshold": 1e6}, "at most 1000"),
    ):
        with pytest.raises(ValueError, match=message):
            locolens.show("../data/walk.parquet", **kwargs)
        with pytest.raises(ValueError, match=message):
            locolens.analyze("../data/walk.parquet", engine="node", **kwargs)
