"""``locolens.analyze(...)``: an analysis computed by the browser (or by Node), with its tables in Python.

In a kernel with JupyterLab (or Notebook 7) and locolens attached, the browser computes the analysis
with the same engine as the analysis view and sends the tables back over a comm (target
``locolens.analysis``, docs/notebook-protocol.md). Without a browser (nbclient, papermill, a
script), the same TypeScript engine runs headless through the CLI that the wheel ships
(``node locolens/_cli/locolens.mjs analyze FILE --tables DIR``).

Receiving while a cell runs
---------------------------
A kernel does not process comm messages while a cell is running, so ``a.wait()`` (and reading a
table before the results are in) must let them in:

* on ipykernel 7.4 and later, whose comms can route their replies to a subshell, the comm's
  messages are handled on a subshell of its own (a thread), so they arrive while the cell blocks;
* on kernels that have ``do_one_iteration`` (ipykernel 6, early 7), ``jupyter_ui_poll`` processes
  the pending messages;
* elsewhere the results arrive only between cells: read them in a later cell.

Displays
--------
``analyze()`` displays the analysis itself. When the call is also the last bare expression of its
cell, IPython renders the returned object a second time in the same execution: that rendering is
``text/plain`` only, so the live view appears once. ``display(a)`` in a later cell shows the same
live view again (same ID).
"""
from __future__ import annotations

import json
import math
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
import weakref
from pathlib import Path
from typing import Any, Callable, Iterable

from .widgets import MAX_NAME, MIME_TYPE, SPEC_VERSION, VIEWS, _check_features, _check_options, _check_path

__all__ = ["Analysis", "LocolensError", "ResultsPending", "analyze"]

COMM_TARGET = "locolens.analysis"
PROTOCOL_VERSION = 1
TABLES = ("features", "patterns", "correlations", "summary")
ENGINES = ("auto", "browser", "node")
# The dataset view shows a whole file, not an analysis of a task.
ANALYSIS_VIEWS = tuple(v for v in VIEWS if v != "dataset")
NODE_MAJOR = 20
# The browser's default: statistics over the samples present (LocoHub-exact propagation on request).
DEFAULT_NAN = "ignore"
_PACKAGE = Path(__file__).resolve().parent
CANCELLED = (
    "the analysis was cancelled in the browser (its view was closed, or its run stopped): "
    "set a parameter again or call locolens.analyze() again to recompute"
)


class LocolensError(RuntimeError):
    """The analysis failed: the browser's (or the CLI's) one-line message. ``code`` names the kind."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code

    def _render_traceback_(self):  # IPython shows this one line instead of a traceback
        return [f"{type(self).__name__}: {self}"]


class ResultsPending(RuntimeError):
    """The results of the latest request have not arrived yet."""

    def _render_traceback_(self):
        return [f"{type(self).__name__}: {self}"]


# ---------------------------------------------------------------------------------------------
# The kernel around us


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with every kernel
        return None
    return get_ipython()


def _kernel():
    """The ipykernel kernel running this code, or None (a script, a terminal IPython)."""
    shell = _shell()
    return getattr(shell, "kernel", None) if shell is not None else None


def _execution_count():
    shell = _shell()
    return getattr(shell, "execution_count", None) if shell is not None else None


def _in_cell(kernel) -> bool:
    """Whether the kernel is running an execute request now (not a comm handler between cells)."""
    try:
        parent = kernel.get_parent()
    except TypeError:  # pragma: no cover - older signatures
        parent = kernel.get_parent("shell")
    except Exception:  # pragma: no cover
        return False
    return (parent or {}).get("header", {}).get("msg_type") == "execute_request"


_SUBSHELLS: dict[int, str] = {}
_SUBSHELLS_LOCK = threading.Lock()


def _comm_subshell(kernel) -> str | None:
    """A subshell of this kernel to receive our comms' messages on while a cell runs (ipykernel 7.4+).

    ipykernel 7.4 routes a comm's messages to the subshell its ``_reply_subshell_for`` names; a
    subshell is a thread with its own event loop, so the messages are handled while the main shell
    is busy. The subshell is created once per kernel, on the shell channel thread (as a
    ``create_subshell_request`` would be).
    """
    thread = getattr(kernel, "shell_channel_thread", None)
    if thread is None or not hasattr(thread, "io_loop"):
        return None
    with _SUBSHELLS_LOCK:
        known = _SUBSHELLS.get(id(kernel))
        if known is not None:
            return known
        box: queue.Queue = queue.Queue()

        def create():
            try:
                box.put(thread.manager._create_subshell())
            except BaseException as error:  # noqa: BLE001 - reported below, never raised here
                box.put(error)

        try:
            thread.io_loop.add_callback(create)
            made = box.get(timeout=5)
        except Exception:  # noqa: BLE001 - no subshell: the slower ways remain
            return None
        if not isinstance(made, str):
            return None
        _SUBSHELLS[id(kernel)] = made
        return made


# ---------------------------------------------------------------------------------------------
# Node


_NODE_VERSIONS: dict[str, str] = {}


def _node() -> str:
    """The path of Node ≥ 20, or LocolensError with what to do."""
    node = shutil.which("node")
    if node is None:
        raise LocolensError(
            f"locolens: no browser is computing this analysis, and Node.js {NODE_MAJOR} or later is not on PATH: "
            f"open the notebook in JupyterLab with locolens installed, or install Node.js {NODE_MAJOR}+"
        )
    version = _NODE_VERSIONS.get(node)
    if version is None:
        try:
            version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            version = ""
        _NODE_VERSIONS[node] = version
    match = re.match(r"v?(\d+)\.", version)
    if not match or int(match.group(1)) < NODE_MAJOR:
        raise LocolensError(
            f"locolens: the Node.js on PATH ({node}, {version or 'version unknown'}) is older than {NODE_MAJOR}: "
            f"install Node.js {NODE_MAJOR}+, or open the notebook in JupyterLab with locolens installed"
        )
    return node


def _cli() -> Path:
    """The bundled CLI: in the installed package, else the source tree's build (editable install)."""
    for candidate in (_PACKAGE / "_cli" / "locolens.mjs", _PACKAGE.parent / "dist" / "node" / "locolens.mjs"):
        if candidate.is_file():
            return candidate
    raise LocolensError(
        "locolens: the headless engine (locolens/_cli/locolens.mjs) is missing from this install: "
        "reinstall locolens, or open the notebook in JupyterLab with locolens"
    )


def _read_stream(source) -> Any:
    import pyarrow as pa

    return pa.ipc.open_stream(source).read_all().to_pandas()


# ---------------------------------------------------------------------------------------------
# Results


class _Results:
    """The tables of one request (``seq``) and their derived forms."""

    def __init__(self, seq: int, tables: dict[str, Any], meta: dict[str, Any]):
        self.seq = seq
        self.tables = tables
        self.meta = meta
        self._patterns = None

    @property
    def features(self):
        return self.tables["features"]

    @property
    def patterns(self):
        if self._patterns is None:
            import pandas as pd

            long = self.tables["patterns"]
            order = list(dict.fromkeys(long["feature"].tolist()))
            wide = long.pivot(index="phase_ipsi", columns="feature", values=["mean", "std"])
            wide.columns = wide.columns.swaplevel(0, 1)
            columns = pd.MultiIndex.from_product([order, ["mean", "std"]], names=["feature", "statistic"])
            wide = wide.reindex(columns=columns)
            wide.index.name = "phase_ipsi"
            self._patterns = wide
        return self._patterns

    @property
    def outliers(self):
        features = self.features
        return features.loc[features["outlier"].astype(bool), ["subject", "task", "cycle", "rmse"]]

    @property
    def correlations(self):
        table = self.tables["correlations"].set_index("feature")
        table.index.name = None
        return table

    @property
    def summary(self):
        return self.tables["summary"].set_index("feature")


# ---------------------------------------------------------------------------------------------
# The analysis


class Analysis:
    """A live analysis: what ``locolens.analyze()`` returns (see there). Not made directly."""

    def __init__(
        self,
        *,
        path: str,
        task: str,
        subject: str | None,
        features: list[str] | None,
        options: dict[str, Any],
        view: str,
        engine: str,
        attach_timeout: float,
    ):
        self.id = uuid.uuid4().hex
        self.path = path
        # Resolved now (symlinks too, checked inside the root by _check_path): a later os.chdir or a
        # changed link must not change which file a headless run reads.
        self._absolute_path = os.path.realpath(path)
        self._task = task
        self._subject = subject
        self._features = features
        self._options = dict(options)
        self._feature: str | None = None
        self._view = view
        self._engine_request = engine
        self._attach_timeout = float(attach_timeout)
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._seq = 0
        self._results: _Results | None = None
        self._failure: tuple[int, LocolensError] | None = None
        self._progress: dict[str, Any] | None = None
        self._attached = False
        self._remote_closed = False
        self._closed = False
        self._engine: str | None = None
        self._node_stale = True
        self._selected = None
        self._callbacks: list[Callable[[Any], Any]] = []
        self._comm = None
        self._receiver = "none"
        self._opened_at = time.monotonic()
        self._auto_displayed_at = None
        kernel = _kernel()
        self._headless = engine == "node" or kernel is None
        if self._headless:
            self._engine = "node"
        else:
            self._open_comm(kernel)

    # -- the comm ------------------------------------------------------------------------------

    def _open_comm(self, kernel) -> None:
        from comm import create_comm

        # Made unopened, so that its handlers and routing are in place before the browser can
        # answer the comm_open (an early `attached` routed to the busy main shell would wait for
        # the end of the cell).
        self._comm = create_comm(target_name=COMM_TARGET, primary=False)
        ref = weakref.ref(self)

        def on_msg(msg):
            analysis = ref()
            if analysis is not None:
                analysis._on_msg(msg)

        def on_close(msg):
            analysis = ref()
            if analysis is not None:
                analysis._on_remote_close()

        self._comm.on_msg(on_msg)
        self._comm.on_close(on_close)
        subshell = _comm_subshell(kernel) if hasattr(self._comm, "_reply_subshell_for") else None
        if subshell is not None:
            # Our messages go to our subshell, which handles them while the main shell runs a cell.
            self._comm._reply_subshell_for = lambda data, default, _id=subshell: _id
            # Without the pre/post_execute events that BaseComm.handle_msg fires: those hooks
            # (matplotlib's figure flush, for one) belong to the cell running on the main shell.
            self._comm.handle_msg = on_msg
            self._receiver = "subshell"
        elif hasattr(kernel, "do_one_iteration"):
            self._receiver = "poll"
        self._comm.primary = True
        self._comm.open(data={"version": PROTOCOL_VERSION, "id": self.id, "spec": self._spec()})
        self._opened_at = time.monotonic()

    def _on_remote_close(self) -> None:
        with self._changed:
            self._remote_closed = True
            self._changed.notify_all()

    def _on_msg(self, msg: dict[str, Any]) -> None:
        try:
            data = msg["content"]["data"]
            kind = data.get("type")
            seq = data.get("seq")
            if kind == "attached":
                with self._changed:
                    if data.get("id") in (None, self.id) and not self._headless:
                        self._attached = True
                        self._engine = "browser"
                    self._changed.notify_all()
                return
            if kind == "selection":
                self._on_selection(seq, data.get("cycles"))
                return
            with self._changed:
                if self._headless or seq != self._seq:
                    return  # a reply to an older request, or after the Node fallback
                if kind == "progress":
                    self._progress = {"stage": data.get("stage"), "fraction": data.get("fraction")}
                elif kind == "results":
                    try:
                        names = list(data.get("tables") or TABLES)
                        buffers = list(msg.get("buffers") or [])
                        if len(buffers) != len(names) or set(names) != set(TABLES):
                            raise ValueError(f"results with {len(buffers)} buffers for the tables {names}")
                        meta = data.get("meta") or {}
                        if not isinstance(meta, dict):
                            raise ValueError("results whose meta is not a record")
                        tables = {name: _read_stream(buffer) for name, buffer in zip(names, buffers)}
                    except Exception as error:  # noqa: BLE001 - unreadable results end the wait with a clear line
                        self._failure = (seq, LocolensError(f"locolens: the browser's results could not be read ({error})", "bad-results"))
                    else:
                        self._failure = None
                        self._set_results(_Results(seq, tables, dict(meta)))
                elif kind == "error":
                    message = str(data.get("message") or "the analysis failed in the browser").splitlines()[0]
                    self._failure = (seq, LocolensError(message, data.get("code")))
                elif kind == "cancelled":
                    self._failure = (seq, LocolensError(CANCELLED, "cancelled"))
                self._changed.notify_all()
        except Exception:  # noqa: BLE001 - never into the kernel's comm handler
            print("locolens: a message from the browser could not be read:", file=sys.stderr)
            traceback.print_exc()

    def _set_results(self, results: _Results) -> None:
        with self._changed:
            if self._results is None or self._results.seq != results.seq:
                self._selected = None
            self._results = results
            self._progress = None
            self._changed.notify_all()

    def _on_selection(self, seq, cycles) -> None:
        with self._lock:
            results = self._results
            if results is None or seq != self._seq or results.seq != seq:
                return
            features = results.features
            rows = [c for c in (cycles or []) if isinstance(c, int) and not isinstance(c, bool) and 0 <= c < len(features)]
            selected = features.iloc[rows]
            self._selected = selected
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(selected)
            except Exception:  # noqa: BLE001 - a callback's error is printed, not raised into the comm
                traceback.print_exc()

    def _send_set(self, changes: dict[str, Any], seq: int) -> None:
        if self._comm is not None and not self._headless:
            self._comm.send({"type": "set", "seq": seq, "changes": changes})

    # -- waiting -------------------------------------------------------------------------------

    def _poller(self):
        """A function that lets pending kernel messages in (jupyter_ui_poll), or None."""
        if self._receiver != "poll":
            return None
        kernel = _kernel()
        if kernel is None or not _in_cell(kernel):
            return None
        try:
            from jupyter_ui_poll import ui_events
        except ImportError:  # pragma: no cover - a dependency
            return None
        return ui_events()

    def _pump(self, rounds: int = 10) -> None:
        events = self._poller()
        if events is None:
            return
        try:
            with events as poll:
                poll(rounds)
        except ValueError:  # already inside ui_events (nesting is not supported)
            pass

    def _state(self) -> str:
        """'ready', 'headless' (run the CLI now), 'pending'; raises the latest request's failure."""
        with self._lock:
            if self._headless:
                return "ready" if self._results is not None and not self._node_stale else "headless"
            if self._failure is not None and self._failure[0] == self._seq:
                failure = self._failure[1]
                raise LocolensError(str(failure), failure.code)
            if self._results is not None and self._results.seq == self._seq:
                return "ready"
            if self._closed:
                raise LocolensError(
                    "this analysis was closed (a.close()) before its results arrived: call locolens.analyze() again"
                )
            if not self._attached and self._engine_request == "auto":
                if self._remote_closed or time.monotonic() - self._opened_at > self._attach_timeout:
                    return "fallback"
            if self._remote_closed:
                raise LocolensError(
                    "the browser closed this analysis before its results arrived (its output was cleared or the "
                    "notebook closed): call locolens.analyze() again"
                )
            if not self._attached and self._engine_request == "browser":
                if time.monotonic() - self._opened_at > self._attach_timeout:
                    return "unattached"
            return "pending"

    def _fall_back_to_node(self) -> None:
        """No browser attached: close the comm (a late browser cancels) and compute with Node."""
        with self._lock:
            self._headless = True
            self._engine = "node"
            self._node_stale = True
        self._close_comm()

    def _resolve(self, name: str) -> _Results:
        """The results for property `name`, or ResultsPending (LocolensError for a failure)."""
        self._pump()
        state = self._state()
        if state == "fallback":
            self._fall_back_to_node()
            state = "headless"
        if state == "headless":
            self._run_headless()
            state = "ready"
        if state == "unattached":
            raise self._unattached_error()
        if state == "pending":
            raise ResultsPending(
                f"a.{name} is not ready: the browser is still computing the analysis; "
                "call a.wait() in this cell, or read it in a later cell"
            )
        with self._lock:
            assert self._results is not None
            return self._results

    def _unattached_error(self) -> LocolensError:
        return LocolensError(
            f"no browser attached to this analysis within {self._attach_timeout:g} s (engine='browser'): "
            "open the notebook in JupyterLab with locolens installed, or use engine='auto' to fall back to Node"
        )

    def wait(self, timeout: float | None = None) -> Analysis:
        """Block until the results of the latest request are here; returns the analysis.

        Waits up to ``attach_timeout`` (from the call to ``analyze()``) for a browser to attach;
        without one (and ``engine='auto'``) runs the analysis with Node instead. Raises
        ``LocolensError`` when the analysis failed or was cancelled, ``TimeoutError`` after
        ``timeout`` seconds.
        """
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0):
            raise ValueError(f"timeout must be a number of seconds of at least 0, or None (got {timeout!r})")
        deadline = None if timeout is None else time.monotonic() + timeout
        events = self._poller()
        poll = None
        state = "pending"
        try:
            if events is not None:
                try:
                    poll = events.__enter__()
                except ValueError:  # nested in ui_events already
                    events = None
            while True:
                if poll is not None:
                    poll(10)
                state = self._state()
                if state != "pending":
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    break
                with self._changed:
                    left = 0.02 if poll is not None else 0.1
                    if deadline is not None:
                        left = max(0.0, min(left, deadline - time.monotonic()))
                    self._changed.wait(left)
        finally:
            if events is not None and poll is not None:
                events.__exit__(None, None, None)
        if state == "fallback":
            self._fall_back_to_node()
            state = "headless"
        if state == "headless":
            self._run_headless(timeout=None if deadline is None else max(1.0, deadline - time.monotonic()))
            return self
        if state == "unattached":
            raise self._unattached_error()
        if state == "pending":
            raise TimeoutError(
                f"locolens: no results after {timeout:g} s: the browser is still computing; call a.wait() again, "
                "or read the results in a later cell"
            )
        return self

    @property
    def ready(self) -> bool:
        """Whether the results of the latest request are here (never starts a computation)."""
        self._pump()
        with self._lock:
            if self._headless:
                return self._results is not None and not self._node_stale
            return self._results is not None and self._results.seq == self._seq

    @property
    def engine(self) -> str | None:
        """``"browser"`` or ``"node"`` once known, else None."""
        return self._engine

    @property
    def seq(self) -> int:
        """The number of the latest request (0 for the first, one more for each change)."""
        return self._seq

    # -- headless ------------------------------------------------------------------------------

    def _cli_arguments(self, folder: str) -> list[str]:
        args = ["analyze", self._absolute_path, "--task", self._task]
        if self._subject is not None:
            args += ["--subject", self._subject]
        if self._features:
            args += ["--features", ",".join(self._features)]
        for key in ("ddof", "nan", "threshold"):
            if key in self._options:
                value = self._options[key]
                args += [f"--{key}", repr(value) if isinstance(value, float) else str(value)]
        args += ["--backend", self._options.get("backend") or "workers", "--tables", folder]
        return args

    def _run_headless(self, timeout: float | None = None) -> None:
        node = _node()
        cli = _cli()
        with self._lock:
            seq = self._seq
        with tempfile.TemporaryDirectory(prefix="locolens-") as folder:
            command = [node, str(cli), *self._cli_arguments(folder)]
            try:
                done = subprocess.run(
                    command,
                    capture_output=True,
                    text=True,
                    encoding="utf-8",
                    errors="replace",
                    timeout=timeout,
                    stdin=subprocess.DEVNULL,
                )
            except subprocess.TimeoutExpired:
                raise TimeoutError(f"locolens: the headless analysis took longer than {timeout:g} s") from None
            if done.returncode != 0:
                lines = [line.strip() for line in done.stderr.replace("\r", "\n").splitlines() if line.strip()]
                marked = [line for line in lines if line.startswith("locolens:")]
                message = (marked or lines or [f"locolens: the headless analysis exited with code {done.returncode}"])[0]
                code = re.search(r"\[([\w-]+)\]$", message)
                raise LocolensError(message, code.group(1) if code else None)
            tables = {}
            for name in TABLES:
                with open(os.path.join(folder, f"{name}.arrow"), "rb") as stream:
                    tables[name] = _read_stream(stream)
            with open(os.path.join(folder, "meta.json"), encoding="utf-8") as stream:
                meta = json.load(stream)
        with self._lock:
            if self._seq == seq:
                self._node_stale = False
            self._set_results(_Results(seq, tables, meta))

    # -- tables --------------------------------------------------------------------------------

    @property
    def features(self):
        """One row per cycle: subject, task, cycle, per feature F ``F__mean`` … ``F__peak_timing``, rmse, outlier, valid."""
        return self._resolve("features").features

    @property
    def patterns(self):
        """Mean and SD patterns: index ``phase_ipsi`` (%), columns (feature, ``"mean"`` | ``"std"``)."""
        return self._resolve("patterns").patterns

    @property
    def outliers(self):
        """The outlier cycles' rows of ``features``: subject, task, cycle, rmse."""
        return self._resolve("outliers").outliers

    @property
    def correlations(self):
        """Pearson correlations between the features over all samples (features × features)."""
        return self._resolve("correlations").correlations

    @property
    def summary(self):
        """Summary statistics over all samples: index feature; mean, std, min, max, median, q25, q75."""
        return self._resolve("summary").summary

    @property
    def meta(self) -> dict[str, Any]:
        """The task, subjects, cycle count, features, threshold, cut, options, backend, timings, file."""
        return dict(self._resolve("meta").meta)

    @property
    def selected(self):
        """The selected cycles' rows of ``features`` (empty before any selection)."""
        with self._lock:
            if self._selected is not None:
                return self._selected
            if self._results is not None:
                return self._results.features.iloc[0:0]
        import pandas as pd

        return pd.DataFrame()

    def on_select(self, callback: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Call ``callback(selected)`` with the selected cycles' rows when the selection changes."""
        if not callable(callback):
            raise TypeError(f"on_select takes a function (got {type(callback).__name__})")
        with self._lock:
            self._callbacks.append(callback)
        return callback

    # -- parameters ----------------------------------------------------------------------------

    def _change(self, name: str, value: Any, rerun: bool = True) -> None:
        with self._changed:
            if self._closed:
                raise LocolensError(f"this analysis is closed (a.close()): cannot set {name}")
            self._seq += 1
            # Taken under the lock: a callback on another thread may change a parameter too.
            seq = self._seq
            self._failure = None
            self._progress = None
            if rerun:
                self._node_stale = True
            elif self._results is not None and self._headless:
                # Nothing to recompute: the results stand for the new request as they are.
                self._results.seq = self._seq
            self._changed.notify_all()
        self._send_set({name: value}, seq)

    @property
    def task(self) -> str:
        return self._task

    @task.setter
    def task(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise TypeError(f"task must be a non-empty string (got {value!r})")
        self._task = value
        self._change("task", value)

    @property
    def subject(self) -> str | None:
        return self._subject

    @subject.setter
    def subject(self, value: str | None) -> None:
        if value is not None and (not isinstance(value, str) or not value):
            raise TypeError(f"subject must be a non-empty string or None (got {value!r})")
        self._subject = value
        self._change("subject", value)

    @property
    def feature(self) -> str | None:
        """The feature the view shows (None: the view's first)."""
        return self._feature

    @feature.setter
    def feature(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise TypeError(f"feature must be a variable name (got {value!r})")
        known = self._features
        with self._lock:
            if known is None and self._results is not None:
                known = list(self._results.meta.get("features") or [])
        if known and value not in known:
            raise ValueError(f"feature must be one of the analysed features {', '.join(known)} (got {value!r})")
        self._feature = value
        self._change("feature", value, rerun=False)

    @property
    def threshold(self) -> float:
        return float(self._options.get("threshold", 2.0))

    @threshold.setter
    def threshold(self, value: float) -> None:
        self._options["threshold"] = _check_options({"threshold": value})["threshold"]
        self._change("threshold", self._options["threshold"])

    @property
    def nan(self) -> str:
        return self._options.get("nan", DEFAULT_NAN)

    @nan.setter
    def nan(self, value: str) -> None:
        self._options["nan"] = _check_options({"nan": value})["nan"]
        self._change("nan", value)

    @property
    def ddof(self) -> int:
        return int(self._options.get("ddof", 0))

    @ddof.setter
    def ddof(self, value: int) -> None:
        self._options["ddof"] = _check_options({"ddof": value})["ddof"]
        self._change("ddof", self._options["ddof"])

    # -- closing -------------------------------------------------------------------------------

    def _close_comm(self) -> None:
        comm, self._comm = self._comm, None
        if comm is not None:
            try:
                comm.close()
            except Exception:  # noqa: BLE001 - the kernel may be shutting down
                pass

    def close(self) -> None:
        """Close the comm: the browser cancels a computation under way. Results already here stay."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._close_comm()

    def __del__(self):
        try:
            self._close_comm()
        except Exception:  # noqa: BLE001 - at interpreter exit anything may be gone
            pass

    # -- display -------------------------------------------------------------------------------

    def _spec(self) -> dict[str, Any]:
        return {
            "version": SPEC_VERSION,
            "path": self.path,
            "view": self._view,
            "selection": {"subject": self._subject, "task": self._task, "features": self._features},
            "options": dict(self._options),
        }

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        text = self._text()
        count = _execution_count()
        if self._auto_displayed_at is not None and count == self._auto_displayed_at:
            # The cell's own display of analyze()'s return value: the live view is shown already.
            return {"text/plain": text}
        spec = self._spec()
        if not self._headless or self._comm is not None:
            spec["live"] = {"id": self.id}
        return {MIME_TYPE: spec, "text/plain": text}

    def _text(self) -> str:
        parts = [f"task={self._task}", f"subject={self._subject}" if self._subject else None]
        where = ", ".join(p for p in parts if p)
        head = f"locolens analysis of {self.path} ({where})"
        with self._lock:
            results = self._results
            failure = self._failure
            current = results is not None and (
                (self._headless and not self._node_stale) or (not self._headless and results.seq == self._seq)
            )
            if failure is not None and failure[0] == self._seq:
                return f"{head}: failed: {failure[1]}"
            if current:
                features = results.features
                outliers = int(features["outlier"].sum()) if "outlier" in features else 0
                count = len(results.meta.get("features") or [])
                return (
                    f"{head}: {len(features)} cycles, {count} features, {outliers} outlier"
                    f"{'' if outliers == 1 else 's'} [{self._engine or 'browser'}]"
                )
            if self._headless:
                return f"{head}: computed with Node on first use"
            if self._progress and isinstance(self._progress.get("fraction"), (int, float)):
                return f"{head}: computing ({self._progress.get('stage')}, {100 * self._progress['fraction']:.0f} %)"
            return f"{head}: computing in the browser"

    def __repr__(self) -> str:
        return self._text()


def analyze(
    path: str | os.PathLike,
    task: str | None = None,
    subject: str | None = None,
    features: Iterable[str] | str | None = None,
    ddof: int | None = None,
    nan: str | None = None,
    threshold: float | None = None,
    view: str = "patterns",
    backend: str | None = None,
    phase: int | None = None,
    engine: str = "auto",
    attach_timeout: float = 5.0,
) -> Analysis:
    """Analyse one task of a LocoHub phase-indexed parquet file; the tables come back to Python.

    In a notebook in JupyterLab with locolens, the browser computes and shows the live view (this
    call displays it) and sends the tables back; elsewhere (nbclient, papermill, a script, or
    ``engine="node"`` / ``LOCOLENS_ENGINE=node``) Node ≥ 20 runs the same engine headless.

    Parameters
    ----------
    path:
        The parquet file, relative to the notebook's folder.
    task:
        The task to analyse (required).
    subject:
        One subject, or None for every subject of the task.
    features:
        Variable names (a list or one name); default: every standard variable.
    ddof, nan, threshold:
        SD degrees of freedom (0 or 1), NaN policy and outlier threshold k (cut = mean + k·SD of the
        per-cycle RMSE), as in ``show()``. ``nan="ignore"`` (the default) computes over the samples
        present, so a file with missing samples still has outliers, SD bands and correlations;
        ``nan="propagate"`` is LocoHub-exact: what LocoHub Python reports (a missing sample makes its
        cycle's statistics NaN, and then no cycle is an outlier).
    view, phase, backend:
        The view the browser shows first, the phase for the correlation view, the kernel backend.
    engine:
        ``"auto"`` (the browser; Node when none attaches within ``attach_timeout`` seconds),
        ``"browser"`` (never Node) or ``"node"`` (headless only).

    Returns
    -------
    Analysis
        Its tables (``features``, ``patterns``, ``outliers``, ``correlations``, ``summary``,
        ``meta``) arrive asynchronously in a notebook: ``a.wait()`` blocks until they are here.
        Setting ``task``, ``subject``, ``feature``, ``threshold``, ``nan`` or ``ddof`` recomputes.

    Raises
    ------
    ValueError, TypeError, FileNotFoundError
        With a message that says what to change.
    LocolensError
        With ``engine="node"`` (or outside a kernel) when Node ≥ 20 is not available.
    """
    relative = _check_path(path)
    if task is None:
        raise ValueError("analyze() needs a task: locolens.analyze(path, task='...') (and optionally a subject)")
    for name, value in (("task", task), ("subject", subject)):
        if value is not None and (not isinstance(value, str) or not value):
            raise TypeError(f"{name} must be a non-empty string{'' if name == 'task' else ' or None'} (got {value!r})")
        if value is not None and len(value) > MAX_NAME:
            raise ValueError(f"{name} is longer than {MAX_NAME} characters")
    if view not in ANALYSIS_VIEWS:
        raise ValueError(f"view must be one of {', '.join(ANALYSIS_VIEWS)} (got {view!r})")
    feature_list = _check_features(features)
    # One default for both engines (the CLI's own default is LocoHub-exact propagation).
    given = {"ddof": ddof, "nan": DEFAULT_NAN if nan is None else nan, "threshold": threshold, "phase": phase, "backend": backend}
    options = _check_options({key: value for key, value in given.items() if value is not None})
    if engine not in ENGINES:
        raise ValueError(f"engine must be 'auto', 'browser' or 'node' (got {engine!r})")
    if (
        isinstance(attach_timeout, bool)
        or not isinstance(attach_timeout, (int, float))
        or not math.isfinite(attach_timeout)
        or attach_timeout < 0
    ):
        raise ValueError(f"attach_timeout must be a number of seconds of at least 0 (got {attach_timeout!r})")
    if os.environ.get("LOCOLENS_ENGINE", "").strip().lower() == "node":
        engine = "node"
    if engine == "browser" and _kernel() is None:
        raise LocolensError(
            "engine='browser' needs a notebook kernel with JupyterLab and locolens attached: "
            "use engine='auto' or 'node' outside one"
        )
    analysis = Analysis(
        path=relative,
        task=task,
        subject=subject,
        features=feature_list,
        options=options,
        view=view,
        engine=engine,
        attach_timeout=attach_timeout,
    )
    if analysis._headless:
        _node()  # fail now, with what to do, rather than at the first table
    if _kernel() is not None:
        from IPython.display import display

        display(analysis)
        analysis._auto_displayed_at = _execution_count()
    return analysis
