"""locolens.analyze(): argument checks, the headless (Node) engine against numpy, a real kernel
without a browser (nbclient), and a real kernel with a scripted browser on the comm.

The numbers are LocoHub's semantics as the reference kernels define them
(src/core/kernels/reference.ts), recomputed here with numpy from the float32 samples, to the
project's golden tolerance.
"""
import json
import os
import queue
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from nbclient import NotebookClient

import locolens
from locolens.analysis import COMM_TARGET, _cli
from locolens.widgets import MIME_TYPE

PHASES = 150
FEATURES = ["knee_flexion_angle_ipsi_rad", "hip_flexion_moment_ipsi_Nm_kg", "ankle_dorsiflexion_velocity_ipsi_rad_s"]
# Subject S1: 4 cycles, S2: 3 cycles; S2's last cycle is offset (the outlier at k = 1.5 and 2),
# S1's last a little less (an outlier too at k = 0.5); S1's cycle 1 has a knee-angle spike beyond π
# (invalid).
CYCLES = {"S1": 4, "S2": 3}
OFFSETS = {("S2", 2): 1.0, ("S1", 3): 0.8}
STATS = ("mean", "std", "min", "max", "rom", "peak_timing", "skewness", "kurtosis", "dominant_frequency", "dominant_harmonic")

node_missing = shutil.which("node") is None
needs_node = pytest.mark.skipif(node_missing, reason="Node.js is not on PATH")


def _write_dataset(path: Path) -> None:
    rng = np.random.default_rng(7)
    columns = {name: [] for name in FEATURES}
    subjects, tasks, phase = [], [], []
    t = np.arange(PHASES) / PHASES
    for subject, count in CYCLES.items():
        for c in range(count):
            for f, name in enumerate(FEATURES):
                x = np.sin(2 * np.pi * t + f) * (0.5 + 0.1 * c) + rng.normal(0, 0.05, PHASES)
                x = x + OFFSETS.get((subject, c), 0.0)
                if (subject, c, f) == ("S1", 1, 0):
                    x[70] = 3.5
                columns[name].extend(x.tolist())
            subjects += [subject] * PHASES
            tasks += ["walk"] * PHASES
            phase += (t * 100).tolist()
    # A second task, so that the task selection matters.
    for name in FEATURES:
        columns[name].extend(np.cos(2 * np.pi * t).tolist())
    subjects += ["S1"] * PHASES
    tasks += ["run"] * PHASES
    phase += (t * 100).tolist()
    table = pa.table({
        "subject": subjects,
        "task": tasks,
        "phase_ipsi": phase,
        **{name: pa.array(values, pa.float32()) for name, values in columns.items()},
    })
    pq.write_table(table, path)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    where = tmp_path_factory.mktemp("analyze")
    _write_dataset(where / "walk.parquet")
    return where


@pytest.fixture
def dataset(folder, monkeypatch):
    """The dataset in the working folder (the kernel's folder = the notebook's), no engine forced."""
    monkeypatch.chdir(folder)
    monkeypatch.delenv("LOCOLENS_ENGINE", raising=False)
    return "walk.parquet"


def expected(path, task="walk", subject=None, ddof=0, threshold=2.0):
    """LocoHub's per-cycle features, patterns, outliers, correlations and summary, with numpy."""
    table = pq.read_table(path)
    subjects = np.array(table["subject"].to_pylist())
    tasks = np.array(table["task"].to_pylist())
    # The analysis runs on float32 samples, in float64 arithmetic.
    values = np.stack([table[n].to_numpy().astype(np.float32) for n in FEATURES], axis=1).astype(np.float64)
    blocks, labels = [], []
    for s in dict.fromkeys(subjects[tasks == task]):
        if subject is not None and s != subject:
            continue
        rows = values[(subjects == s) & (tasks == task)].reshape(-1, PHASES, len(FEATURES))
        blocks.append(rows)
        labels += [(s, i) for i in range(rows.shape[0])]
    x = np.concatenate(blocks)  # cycles × phases × features
    per = {
        "mean": x.mean(axis=1),
        "std": x.std(axis=1, ddof=ddof),
        "min": x.min(axis=1),
        "max": x.max(axis=1),
        "rom": x.max(axis=1) - x.min(axis=1),
        # argmax |x| as a fraction of the cycle (reference.ts perCycleFeatures).
        "peak_timing": np.abs(x).argmax(axis=1) / PHASES,
        # scipy.stats.skew / kurtosis defaults (biased, Fisher), and the seed guide's dominant frequency.
        "skewness": ((x - x.mean(axis=1, keepdims=True)) ** 3).mean(axis=1) / x.var(axis=1) ** 1.5,
        "kurtosis": ((x - x.mean(axis=1, keepdims=True)) ** 4).mean(axis=1) / x.var(axis=1) ** 2 - 3,
        "dominant_frequency": np.fft.fftfreq(PHASES)[np.abs(np.fft.fft(x, axis=1))[:, 1:75].argmax(axis=1) + 1],
    }
    per["dominant_harmonic"] = per["dominant_frequency"] * PHASES
    pattern_mean = x.mean(axis=0)
    pattern_std = x.std(axis=0, ddof=ddof)
    rmse = np.sqrt(((x - pattern_mean) ** 2).mean(axis=(1, 2)))
    cut = rmse.mean() + threshold * rmse.std(ddof=ddof)
    samples = x.reshape(-1, len(FEATURES))
    valid = np.ones(x.shape[0], dtype=bool)
    for f, name in enumerate(FEATURES):
        v = x[:, :, f]
        ok = np.isfinite(v).all(axis=1)
        if "angle" in name:
            ok &= (np.abs(v) <= np.pi).all(axis=1) & (np.abs(np.diff(v, axis=1)) <= 0.5236).all(axis=1)
        elif "velocity" in name:
            ok &= (np.abs(v) <= 17.45).all(axis=1)
        elif "moment" in name:
            ok &= (np.abs(v) <= 300).all(axis=1)
        valid &= ok
    return {
        "labels": labels,
        "per": per,
        "pattern_mean": pattern_mean,
        "pattern_std": pattern_std,
        "rmse": rmse,
        "cut": cut,
        "outlier": rmse > cut,
        "valid": valid,
        "correlations": np.corrcoef(samples, rowvar=False),
        "summary": {
            "mean": samples.mean(axis=0),
            "std": samples.std(axis=0, ddof=ddof),
            "min": samples.min(axis=0),
            "max": samples.max(axis=0),
            "median": np.median(samples, axis=0),
            "q25": np.percentile(samples, 25, axis=0),
            "q75": np.percentile(samples, 75, axis=0),
        },
    }


# The project's golden tolerance (src/core/analysis/__tests__/golden-kernels.spec.ts): the wasm
# kernels of the workers backend sum in their own order: 1e-5 relative, with an absolute floor of
# 1e-5 × the largest |x| (3.5 here).
RTOL, ATOL = 1e-5, 3.5e-5


def close(actual, wanted):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), wanted, rtol=RTOL, atol=ATOL)


def check_features(frame, want):
    assert list(frame.columns) == (
        ["subject", "task", "cycle"] + [f"{f}__{s}" for f in FEATURES for s in STATS] + ["rmse", "outlier", "valid"]
    )
    assert str(frame["cycle"].dtype) == "int32"
    assert frame["outlier"].dtype == bool and frame["valid"].dtype == bool
    assert pd.api.types.is_string_dtype(frame["subject"]) and pd.api.types.is_string_dtype(frame["task"])
    assert list(zip(frame["subject"], frame["cycle"])) == want["labels"]
    for f, name in enumerate(FEATURES):
        for stat in STATS:
            close(frame[f"{name}__{stat}"], want["per"][stat][:, f])
    close(frame["rmse"], want["rmse"])
    assert frame["outlier"].tolist() == want["outlier"].tolist()
    assert frame["valid"].tolist() == want["valid"].tolist()


# ---------------------------------------------------------------------------------------------
# Arguments


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({}, ValueError, "analyze() needs a task"),
        ({"task": ""}, TypeError, "task must be a non-empty string"),
        ({"task": "walk", "subject": 3}, TypeError, "subject must be a non-empty string or None"),
        ({"path": "/tmp/walk.parquet", "task": "walk"}, ValueError, "relative to the notebook's folder"),
        ({"path": "walk.csv", "task": "walk"}, ValueError, "must name a .parquet file"),
        ({"path": "missing.parquet", "task": "walk"}, FileNotFoundError, "no such file: missing.parquet"),
        ({"path": 3, "task": "walk"}, TypeError, "path must be a string"),
        ({"task": "walk", "view": "dataset"}, ValueError, "view must be one of patterns, rom, correlation, summary, outliers"),
        ({"task": "walk", "ddof": 2}, ValueError, "ddof must be 0 (LocoHub Python) or 1 (MATLAB/R)"),
        ({"task": "walk", "nan": "skip"}, ValueError, "nan must be 'propagate' or 'ignore'"),
        ({"task": "walk", "threshold": -1}, ValueError, "threshold must be a number of at least 0"),
        ({"task": "walk", "phase": 150}, ValueError, "phase must be a sample index from 0 to 149"),
        ({"task": "walk", "backend": "cuda"}, ValueError, "backend must be 'auto', 'workers' or 'webgpu'"),
        ({"task": "walk", "features": []}, ValueError, "features is empty"),
        ({"task": "walk", "features": ["ok", 3]}, TypeError, "features must be non-empty strings"),
        ({"task": "walk", "engine": "gpu"}, ValueError, "engine must be 'auto', 'browser' or 'node'"),
        ({"task": "walk", "attach_timeout": -1}, ValueError, "attach_timeout must be a number of seconds of at least 0"),
        ({"task": "walk", "attach_timeout": True}, ValueError, "attach_timeout must be a number"),
        ({"task": "walk", "engine": "browser"}, locolens.LocolensError, "engine='browser' needs a notebook kernel"),
    ],
)
def test_arguments_are_checked_with_clear_messages(dataset, kwargs, error, message):
    kwargs = {"path": dataset, **kwargs}
    with pytest.raises(error) as raised:
        locolens.analyze(**kwargs)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


@needs_node
@pytest.mark.parametrize(
    "name, value, error, message",
    [
        ("threshold", -1, ValueError, "threshold must be a number of at least 0"),
        ("ddof", 2, ValueError, "ddof must be 0"),
        ("nan", "skip", ValueError, "nan must be 'propagate' or 'ignore'"),
        ("task", "", TypeError, "task must be a non-empty string"),
        ("subject", 5, TypeError, "subject must be a non-empty string or None"),
        ("feature", "elbow_angle", ValueError, "feature must be one of the analysed features knee_flexion_angle_ipsi_rad"),
    ],
)
def test_settings_are_checked_and_leave_the_request_alone(dataset, name, value, error, message):
    a = locolens.analyze(dataset, task="walk", features=FEATURES)
    with pytest.raises(error) as raised:
        setattr(a, name, value)
    assert message in str(raised.value)
    assert a.seq == 0


# ---------------------------------------------------------------------------------------------
# Headless: Node, outside a kernel


@needs_node
def test_headless_tables_match_numpy(dataset, folder):
    a = locolens.analyze(dataset, task="walk")
    assert a.engine == "node" and not a.ready
    assert isinstance(a.selected, pd.DataFrame) and a.selected.empty
    want = expected(folder / dataset)
    check_features(a.features, want)
    assert a.ready
    # Worth testing: one outlier (S2's offset cycle) and one invalid cycle (S1's spike).
    assert want["outlier"].tolist() == [False] * 6 + [True]
    assert want["valid"].tolist() == [True, False] + [True] * 5

    patterns = a.patterns
    assert patterns.index.name == "phase_ipsi"
    close(patterns.index, np.arange(PHASES) * 100 / PHASES)
    assert list(patterns.columns) == [(f, s) for f in FEATURES for s in ("mean", "std")]
    for f, name in enumerate(FEATURES):
        close(patterns[(name, "mean")], want["pattern_mean"][:, f])
        close(patterns[(name, "std")], want["pattern_std"][:, f])

    outliers = a.outliers
    assert list(outliers.columns) == ["subject", "task", "cycle", "rmse"]
    assert list(zip(outliers["subject"], outliers["cycle"])) == [("S2", 2)]
    close(outliers["rmse"], want["rmse"][want["outlier"]])

    correlations = a.correlations
    assert list(correlations.index) == FEATURES and list(correlations.columns) == FEATURES
    close(correlations.to_numpy(), want["correlations"])

    summary = a.summary
    assert summary.index.name == "feature" and list(summary.index) == FEATURES
    assert list(summary.columns) == ["mean", "std", "min", "max", "median", "q25", "q75"]
    for key, values in want["summary"].items():
        close(summary[key], values)

    meta = a.meta
    assert meta["task"] == "walk" and meta["subjects"] == ["S1", "S2"] and meta["cycles"] == 7
    assert meta["features"] == FEATURES and meta["threshold"] == 2 and meta["ddof"] == 0
    assert meta["nan"] == "ignore" and meta["backend"] == "workers"
    close(meta["cut"], want["cut"])
    assert a.selected.empty and list(a.selected.columns) == list(a.features.columns)
    assert "7 cycles, 3 features, 1 outlier [node]" in repr(a)


@needs_node
def test_headless_reruns_when_a_setting_changes(dataset, folder):
    a = locolens.analyze(dataset, task="walk", features=FEATURES, threshold=1.5)
    assert list(zip(a.outliers["subject"], a.outliers["cycle"])) == [("S2", 2)]
    # A lower threshold: numpy predicts one more outlier, and the rerun finds exactly those.
    lower = expected(folder / dataset, threshold=0.5)
    assert lower["outlier"].tolist() == [False, False, False, True, False, False, True]
    a.threshold = 0.5
    assert a.seq == 1 and not a.ready and a.threshold == 0.5
    check_features(a.features, lower)
    assert list(zip(a.outliers["subject"], a.outliers["cycle"])) == [("S1", 3), ("S2", 2)]
    assert a.meta["threshold"] == 0.5
    close(a.meta["cut"], lower["cut"])

    a.ddof = 1
    ddof1 = expected(folder / dataset, threshold=0.5, ddof=1)
    check_features(a.features, ddof1)
    close(a.summary["std"], ddof1["summary"]["std"])

    a.subject = "S1"
    s1 = expected(folder / dataset, subject="S1", threshold=0.5, ddof=1)
    assert len(s1["labels"]) == 4
    check_features(a.features, s1)
    assert a.meta["subjects"] == ["S1"]

    # The view's feature is not a recomputation: the results stand.
    ran = a.meta["timings"]
    a.feature = FEATURES[1]
    assert a.feature == FEATURES[1] and a.ready and a.meta["timings"] == ran

    a.task = "run"
    assert len(a.features) == 1 and a.features["task"].tolist() == ["run"]


@needs_node
def test_a_cli_failure_is_one_line(dataset):
    a = locolens.analyze(dataset, task="swim")
    with pytest.raises(locolens.LocolensError) as raised:
        a.features
    text = str(raised.value)
    assert text.startswith("locolens: ") and 'no task "swim" (tasks: ' in text and text.endswith("[bad-argument]")
    assert raised.value.code == "bad-argument"
    assert "\n" not in text


def test_without_node_one_clear_line(dataset, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    script = "import locolens\na = locolens.analyze('walk.parquet', task='walk')\na.features\n"
    env = {**os.environ, "PATH": str(empty), "LOCOLENS_ENGINE": "node"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last == (
        "locolens.analysis.LocolensError: locolens: no browser is computing this analysis, and Node.js 20 or later "
        "is not on PATH: open the notebook in JupyterLab with locolens installed, or install Node.js 20+"
    )


def test_the_headless_engine_is_found():
    """The bundle in the package (a built wheel or `npm run build`), else the source tree's dist/node."""
    cli = _cli()
    assert cli.name == "locolens.mjs" and cli.is_file()


# ---------------------------------------------------------------------------------------------
# A real kernel without a browser (nbclient)


@needs_node
def test_a_kernel_without_a_browser(dataset, folder):
    cells = [
        # 0: the results are not here yet: one line that names a.wait().
        "import locolens\na = locolens.analyze('walk.parquet', task='walk', attach_timeout=60)\na.features",
        # 1: analyze() as the cell's last expression: one live view, and a text line.
        "b = None\nlocolens.analyze('walk.parquet', task='walk', attach_timeout=60)",
        # 2: no browser attaches within attach_timeout: wait() runs Node.
        "c = locolens.analyze('walk.parquet', task='walk', attach_timeout=1)\n"
        "t0 = __import__('time').monotonic()\nc.wait(timeout=60)\n"
        "print(c.engine, c.ready, c.seq, round(__import__('time').monotonic() - t0, 1) >= 0.9)\n"
        "c.features.to_pickle('kernel-features.pkl')",
        # 3: after the fallback, a change reruns Node.
        "c.threshold = 0.5\nc.features.to_pickle('kernel-features-0.5.pkl')\nprint(c.seq, c.engine)",
        # 4: displaying it again: the same id; no live view once it is headless.
        "display(c)",
        # 5: engine='browser' never falls back.
        "d = locolens.analyze('walk.parquet', task='walk', engine='browser', attach_timeout=0.3)\nd.wait(timeout=30)",
        # 6: engine='node' in a kernel: the static view (the browser draws it as show() would).
        "e = locolens.analyze('walk.parquet', task='walk', engine='node')\nprint(e.engine, e.outliers['cycle'].tolist())",
    ]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(folder)}}
    ).execute()
    outputs = [cell.outputs for cell in notebook.cells]

    shown, error = outputs[0]
    assert shown.output_type == "display_data"
    spec = shown.data[MIME_TYPE]
    assert spec["path"] == "walk.parquet" and spec["selection"] == {"subject": None, "task": "walk", "features": None}
    assert set(spec["live"]) == {"id"} and len(spec["live"]["id"]) >= 16
    assert shown.data["text/plain"].startswith("locolens analysis of walk.parquet (task=walk)")
    assert error.output_type == "error" and error.ename == "ResultsPending"
    assert error.evalue == (
        "a.features is not ready: the browser is still computing the analysis; "
        "call a.wait() in this cell, or read it in a later cell"
    )
    # One line, not a traceback.
    assert error.traceback == [f"ResultsPending: {error.evalue}"]

    display, result = outputs[1]
    assert display.output_type == "display_data" and MIME_TYPE in display.data
    assert result.output_type == "execute_result" and set(result.data) == {"text/plain"}

    assert [o.get("text") for o in outputs[2] if o.output_type == "stream"] == ["node True 0 True\n"]
    shown = outputs[2][0]
    assert shown.data[MIME_TYPE]["live"]["id"]
    check_features(pd.read_pickle(folder / "kernel-features.pkl"), expected(folder / dataset))

    assert [o.get("text") for o in outputs[3] if o.output_type == "stream"] == ["1 node\n"]
    check_features(pd.read_pickle(folder / "kernel-features-0.5.pkl"), expected(folder / dataset, threshold=0.5))

    (again,) = outputs[4]
    assert "live" not in again.data[MIME_TYPE] and again.data[MIME_TYPE]["options"] == {"nan": "ignore", "threshold": 0.5}

    error = outputs[5][-1]
    assert error.ename == "LocolensError"
    assert error.evalue.startswith("no browser attached to this analysis within 0.3 s (engine='browser')")

    shown, printed = outputs[6]
    assert "live" not in shown.data[MIME_TYPE] and shown.data[MIME_TYPE]["view"] == "patterns"
    assert printed.text == "node [2]\n"


# ---------------------------------------------------------------------------------------------
# A real kernel with a scripted browser on the comm


class Browser:
    """The browser's end of the protocol, scripted: a kernel client that answers the comm."""

    def __init__(self, folder):
        from jupyter_client.manager import start_new_kernel

        self.km, self.kc = start_new_kernel(kernel_name="python3", cwd=str(folder))
        self.comm_id = None
        self.opened = None
        self.received = []

    def stop(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def send(self, data, buffers=None):
        content = {"comm_id": self.comm_id, "data": data}
        self.kc.session.send(self.kc.shell_channel.socket, "comm_msg", content, buffers=buffers or [])

    def run(self, code, on_message=None, timeout=60):
        """Execute a cell; `on_message(kind, data)` answers the kernel's comm messages. Its outputs."""
        msg_id = self.kc.execute(code)
        outputs = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                msg = self.kc.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "comm_open" and content["target_name"] == COMM_TARGET:
                self.comm_id = content["comm_id"]
                self.opened = content["data"]
                if on_message:
                    on_message("open", content["data"])
            elif kind == "comm_msg" and content["comm_id"] == self.comm_id:
                self.received.append(content["data"])
                if on_message:
                    on_message("msg", content["data"])
            elif kind == "comm_close":
                self.received.append("close")
            elif kind in ("stream", "error", "display_data", "execute_result"):
                outputs.append(msg)
                if kind == "stream" and on_message:
                    on_message("stream", content["text"])
            elif kind == "status" and content["execution_state"] == "idle" and msg["parent_header"].get("msg_id") == msg_id:
                return outputs
        raise AssertionError(f"the cell did not finish: {code}")


def texts(outputs):
    return "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream")


def errors(outputs):
    return [(m["content"]["ename"], m["content"]["evalue"]) for m in outputs if m["msg_type"] == "error"]


@needs_node
def test_a_kernel_with_a_browser_on_the_comm(dataset, folder, tmp_path):
    # The tables a browser would send: the engine's own, through the CLI.
    tables = tmp_path / "tables"
    subprocess.run(
        ["node", str(_cli()), "analyze", str(folder / dataset), "--task", "walk", "--backend", "workers", "--tables", str(tables)],
        check=True,
        capture_output=True,
    )
    buffers = [(tables / f"{name}.arrow").read_bytes() for name in ("features", "patterns", "correlations", "summary")]
    meta = json.loads((tables / "meta.json").read_text())
    browser = Browser(folder)
    try:
        def answer_first(kind, data):
            if kind == "open":
                browser.send({"type": "attached", "id": data["id"]})
                browser.send({"type": "progress", "seq": 0, "stage": "kernels", "fraction": 0.5})
                browser.send(
                    {"type": "results", "seq": 0, "meta": meta, "tables": ["features", "patterns", "correlations", "summary"]},
                    buffers,
                )
                browser.send({"type": "selection", "seq": 0, "cycles": [1, 6]})

        outputs = browser.run(
            "import locolens, time\n"
            "a = locolens.analyze('walk.parquet', task='walk', threshold=2, attach_timeout=30)\n"
            "picked = []\na.on_select(picked.append)\n"
            "a.wait(timeout=30)\n"
            "t0 = time.monotonic()\n"
            "while not picked and time.monotonic() - t0 < 20:\n    time.sleep(0.02)\n"
            "print(a.engine, a.ready, a.seq, a.features.shape, a.outliers['cycle'].tolist())\n"
            "print(a.selected['cycle'].tolist(), picked[0]['subject'].tolist())\n"
            "a.features.to_pickle('browser-features.pkl')",
            answer_first,
        )
        assert errors(outputs) == []
        opened = browser.opened
        assert opened["version"] == 1 and opened["spec"]["options"] == {"nan": "ignore", "threshold": 2.0}
        assert opened["spec"]["selection"] == {"subject": None, "task": "walk", "features": None}
        (shown,) = [m for m in outputs if m["msg_type"] == "display_data"]
        assert shown["content"]["data"][MIME_TYPE]["live"] == {"id": opened["id"]}
        assert texts(outputs) == "browser True 0 (7, 36) [2]\n[1, 2] ['S1', 'S2']\n"
        check_features(pd.read_pickle(folder / "browser-features.pkl"), expected(folder / dataset))

        # A change: `set` with the next seq; until the answer, the tables are pending.
        def answer_error(kind, data):
            # Once the kernel has seen the tables pending: a late answer to the old request
            # (ignored), then the error of the latest.
            if kind == "stream" and data == "pending\n":
                browser.send({"type": "results", "seq": 0, "meta": meta, "tables": ["features", "patterns", "correlations", "summary"]}, buffers)
                browser.send({"type": "error", "seq": 1, "message": "no variable \"x\" in walk.parquet", "code": "missing-columns"})

        outputs = browser.run(
            "a.threshold = 3\n"
            "try:\n    a.features\nexcept locolens.ResultsPending as e:\n    print('pending', flush=True)\n"
            "a.wait(timeout=30)",
            answer_error,
        )
        assert browser.received[-1] == {"type": "set", "seq": 1, "changes": {"threshold": 3.0}}
        assert texts(outputs) == "pending\n"
        assert errors(outputs) == [("LocolensError", 'no variable "x" in walk.parquet')]

        def answer_cancel(kind, data):
            if kind == "msg" and data.get("type") == "set":
                browser.send({"type": "cancelled", "seq": data["seq"]})

        outputs = browser.run("a.subject = 'S1'\na.wait(timeout=30)", answer_cancel)
        assert browser.received[-1] == {"type": "set", "seq": 2, "changes": {"subject": "S1"}}
        ((name, text),) = errors(outputs)
        assert name == "LocolensError" and text.startswith("the analysis was cancelled in the browser")

        # No answer: wait() gives up after its timeout.
        outputs = browser.run(
            "a.nan = 'ignore'\ntry:\n    a.wait(timeout=0.3)\nexcept TimeoutError as e:\n    print(e)\nprint(a.ready)"
        )
        assert browser.received[-1] == {"type": "set", "seq": 3, "changes": {"nan": "ignore"}}
        assert texts(outputs) == (
            "locolens: no results after 0.3 s: the browser is still computing; call a.wait() again, "
            "or read the results in a later cell\nFalse\n"
        )

        # A later answer for the latest request: results again; then close() closes the comm.
        def answer_results(kind, data):
            if kind == "msg" and data.get("type") == "set":
                browser.send({"type": "results", "seq": data["seq"], "meta": meta, "tables": ["features", "patterns", "correlations", "summary"]}, buffers)

        outputs = browser.run(
            "a.ddof = 1\nprint(a.wait(timeout=30).seq, a.summary.shape, a.correlations.shape)\n"
            "display(a)\na.close()",
            answer_results,
        )
        assert errors(outputs) == []
        assert texts(outputs) == "4 (3, 7) (3, 3)\n"
        (again,) = [m for m in outputs if m["msg_type"] == "display_data"]
        assert again["content"]["data"][MIME_TYPE]["live"] == {"id": opened["id"]}
        assert again["content"]["data"][MIME_TYPE]["options"] == {"threshold": 3.0, "nan": "ignore", "ddof": 1}
        assert browser.received[-1] == "close"
    finally:
        browser.stop()
