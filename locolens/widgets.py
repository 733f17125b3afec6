"""Notebook widgets: ``locolens.show(...)`` emits a small spec that the JupyterLab extension renders.

The spec is data, not results: the extension reads the file through the Jupyter server, runs the
kernels in the browser, draws the view, and saves a compact copy of the results (and a static PNG
and HTML fallback) into the notebook so that readers without the data, or without the extension,
still see them.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import PurePosixPath
from typing import Any, Iterable

MIME_TYPE = "application/vnd.locolens.v1+json"
SPEC_VERSION = 1
VIEWS = ("patterns", "rom", "correlation", "summary", "outliers", "dataset")
NAN_POLICIES = ("propagate", "ignore")
# The schema's bounds (schema/locolens.v1.schema.json): characters of a name, names in features.
MAX_NAME = 1024
MAX_FEATURES = 2048


class LocolensView:
    """What ``show()`` returns: displayed by Jupyter through ``_repr_mimebundle_``."""

    def __init__(self, spec: dict[str, Any]):
        self.spec = spec

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        return {MIME_TYPE: self.spec, "text/plain": self._text()}

    def _text(self) -> str:
        selection = self.spec["selection"]
        parts = [f"task={selection['task']}" if selection.get("task") else None,
                 f"subject={selection['subject']}" if selection.get("subject") else None]
        where = ", ".join(p for p in parts if p)
        return f"locolens {self.spec['view']} view of {self.spec['path']}" + (f" ({where})" if where else "")

    def __repr__(self) -> str:
        return self._text()


def show(
    path: str | os.PathLike,
    subject: str | None = None,
    task: str | None = None,
    features: Iterable[str] | str | None = None,
    view: str = "patterns",
    **options: Any,
) -> LocolensView:
    """Show a locolens view of a LocoHub phase-indexed parquet file in the notebook.

    Parameters
    ----------
    path:
        The parquet file, relative to the notebook's folder (it must stay inside the server root).
    subject, task:
        The selection: one subject × task, all subjects of a task (``subject=None``), or, for the
        ``dataset`` view, nothing.
    features:
        Variable names (a list or one name); default: every standard variable.
    view:
        One of ``patterns``, ``rom``, ``correlation``, ``summary``, ``outliers``, ``dataset``.
    options:
        ``ddof`` (0 as LocoHub Python, or 1 as MATLAB/R), ``nan`` (``"propagate"`` or
        ``"ignore"``), ``threshold`` (outlier cut k in mean + k·SD, default 2), ``phase`` (phase
        index 0–149 for the correlation view), ``backend`` (``"auto"``, ``"workers"``, ``"webgpu"``).

    Raises
    ------
    ValueError, TypeError, FileNotFoundError
        With a message that says what to change.
    """
    relative = _check_path(path)
    if view not in VIEWS:
        raise ValueError(f"view must be one of {', '.join(VIEWS)} (got {view!r})")
    for name, value in (("subject", subject), ("task", task)):
        if value is not None and (not isinstance(value, str) or not value):
            raise TypeError(f"{name} must be a non-empty string or None (got {value!r})")
        if value is not None and len(value) > MAX_NAME:
            raise ValueError(f"{name} is longer than {MAX_NAME} characters")
    if view != "dataset" and task is None:
        raise ValueError(f"the {view} view needs a task (and optionally a subject)")
    feature_list = _check_features(features)
    checked = _check_options(options)
    spec = {
        "version": SPEC_VERSION,
        "path": relative,
        "view": view,
        "selection": {"subject": subject, "task": task, "features": feature_list},
        "options": checked,
    }
    return LocolensView(spec)


def read_features(path: str | os.PathLike):
    """Read a per-cycle feature (or pattern) table exported by the analysis view, as pandas."""
    import pandas as pd  # only needed here

    text = os.fspath(path)
    if text.endswith(".csv"):
        return pd.read_csv(text)
    return pd.read_parquet(text)


def _server_root() -> str:
    """The folder a data file may not leave, resolved (symlinks followed).

    ``LOCOLENS_ROOT`` when set; else, in a kernel started by a Jupyter server, that server's root
    (its ``jpserver-<pid>.json`` in the runtime folder, the pid from ``JPY_PARENT_PID``); else the
    working folder (the notebook's folder under nbclient or papermill).
    """
    explicit = os.environ.get("LOCOLENS_ROOT")
    if explicit:
        return os.path.realpath(explicit)
    pid = os.environ.get("JPY_PARENT_PID", "")
    if pid.isdigit():
        try:
            from jupyter_core.paths import jupyter_runtime_dir

            with open(os.path.join(jupyter_runtime_dir(), f"jpserver-{pid}.json"), encoding="utf-8") as stream:
                root = json.load(stream).get("root_dir")
            if isinstance(root, str) and os.path.isdir(root):
                return os.path.realpath(root)
        except (ImportError, OSError, ValueError, AttributeError):
            pass
    return os.path.realpath(os.getcwd())


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _check_path(path: str | os.PathLike) -> str:
    """Check a data file's path: relative, a .parquet file, inside the server root (see
    ``_server_root``) as written and once symlinks are resolved.

    Returns the path as given, with ``/`` between folders (what the browser resolves against the
    notebook's folder).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a string or a path (got {type(path).__name__})")
    text = os.fspath(path)
    if not text:
        raise ValueError("path is empty")
    if len(text) > 4096 or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValueError(f"path is longer than 4096 characters or has a control character: {text[:200]!r}")
    if os.path.isabs(text):
        raise ValueError(f"path must be relative to the notebook's folder, not absolute: {text}")
    posix = PurePosixPath(text.replace(os.sep, "/"))
    if not posix.suffix.lower() == ".parquet":
        raise ValueError(f"path must name a .parquet file: {text}")
    root = _server_root()
    written = os.path.abspath(text)
    # The working folder is a real path (os.getcwd), so the path as written compares with the real root.
    if not _inside(written, root):
        raise ValueError(
            f"path {text} leaves the server root {root} (set LOCOLENS_ROOT to a folder that holds it)"
        )
    real = os.path.realpath(text)
    if not _inside(real, root):
        raise ValueError(
            f"path {text} resolves outside the server root {root} (a symlink pointing out of it); locolens does not read it"
        )
    if not os.path.isfile(text):
        raise FileNotFoundError(f"no such file: {text} (paths are relative to the notebook's folder)")
    return str(posix)


def _check_features(features: Iterable[str] | str | None) -> list[str] | None:
    if features is None:
        return None
    if isinstance(features, str):
        features = [features]
    result = list(features)
    if not result:
        raise ValueError("features is empty: give variable names, or None for every standard variable")
    bad = [f for f in result if not isinstance(f, str) or not f]
    if bad:
        raise TypeError(f"features must be non-empty strings (got {bad[:5]!r})")
    if len(result) > MAX_FEATURES or any(len(f) > MAX_NAME for f in result):
        raise ValueError(f"features: at most {MAX_FEATURES} names of at most {MAX_NAME} characters each")
    return result


def _check_options(options: dict[str, Any]) -> dict[str, Any]:
    known = {"ddof", "nan", "threshold", "phase", "backend"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    checked: dict[str, Any] = {}
    if "ddof" in options:
        if options["ddof"] not in (0, 1) or isinstance(options["ddof"], bool):
            raise ValueError(f"ddof must be 0 (LocoHub Python) or 1 (MATLAB/R), got {options['ddof']!r}")
        checked["ddof"] = int(options["ddof"])
    if "nan" in options:
        if options["nan"] not in NAN_POLICIES:
            raise ValueError(f"nan must be 'propagate' or 'ignore', got {options['nan']!r}")
        checked["nan"] = options["nan"]
    if "threshold" in options:
        k = options["threshold"]
        if isinstance(k, bool) or not isinstance(k, (int, float)) or not math.isfinite(k) or not 0 <= k <= 1000:
            raise ValueError(f"threshold must be a number of at least 0 and at most 1000, got {k!r}")
        checked["threshold"] = float(k)
    if "phase" in options:
        p = options["phase"]
        if isinstance(p, bool) or not isinstance(p, int) or not 0 <= p < 150:
            raise ValueError(f"phase must be a sample index from 0 to 149, got {p!r}")
        checked["phase"] = p
    if "backend" in options:
        if options["backend"] not in ("auto", "workers", "webgpu"):
            raise ValueError(f"backend must be 'auto', 'workers' or 'webgpu', got {options['backend']!r}")
        checked["backend"] = options["backend"]
    return checked
