"""Packaging: `pip install .` gives a prebuilt extension that JupyterLab reports as enabled and OK.

Builds the real wheel (hatch-jupyter-builder runs `npm run build:prod`), installs it into a
throwaway prefix, and asks `jupyter labextension list` about that prefix.
"""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = json.loads((ROOT / "package.json").read_text())
LABEXT = "share/jupyter/labextensions/locolens"


def test_labextension_paths():
    import locolens

    assert locolens._jupyter_labextension_paths() == [{"src": "labextension", "dest": "locolens"}]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        cwd=ROOT,
    )
    (built,) = out.glob("locolens-*.whl")
    return built


def test_wheel_ships_the_prebuilt_extension(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    data = f"locolens-{PACKAGE['version']}.data/data/{LABEXT}"
    assert f"{data}/package.json" in names
    assert f"{data}/install.json" in names
    assert any(n.startswith(f"{data}/static/remoteEntry.") and n.endswith(".js") for n in names)
    # The decode worker and parquet-wasm's .wasm are emitted as assets of the extension.
    assert any(n.startswith(f"{data}/static/") and n.endswith(".wasm") for n in names)
    assert any("browser-decode-worker" in n for n in names)
    for schema in ("datasets", "dataset-browser", "dataset-documents"):
        assert f"{data}/schemas/locolens/{schema}.json" in names
    install = json.loads(zipfile.ZipFile(wheel).read(f"{data}/install.json"))
    assert install == {
        "packageManager": "python",
        "packageName": "locolens",
        "uninstallInstructions": "Use your Python package manager (pip, conda, etc.) to uninstall the package locolens",
    }
    # The headless engine of locolens.analyze(): the CLI bundle, its worker and parquet-wasm's module.
    for name in ("locolens.mjs", "decode-worker.mjs", "parquet_wasm_bg.wasm"):
        assert f"locolens/_cli/{name}" in names
    # What analyze() needs, and nothing more.
    metadata = zipfile.ZipFile(wheel).read(f"locolens-{PACKAGE['version']}.dist-info/METADATA").decode()
    requires = sorted(line for line in metadata.splitlines() if line.startswith("Requires-Dist") and "extra ==" not in line)
    assert requires == [
        "Requires-Dist: comm>=0.1",
        "Requires-Dist: jupyter-ui-poll>=1.0",
        "Requires-Dist: pandas",
        "Requires-Dist: pyarrow>=14",
    ]


def test_installed_wheel_is_enabled_and_ok(wheel, tmp_path):
    prefix = tmp_path / "prefix"
    subprocess.run(
        # --ignore-installed: without it pip would uninstall the venv's (editable) locolens first.
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed", "--prefix", str(prefix), str(wheel)],
        check=True,
    )
    share = prefix / "share" / "jupyter"
    assert (share / "labextensions" / "locolens" / "package.json").exists()
    jupyter = Path(sys.executable).with_name("jupyter")
    env = {**os.environ, "JUPYTER_PATH": str(share)}
    listing = subprocess.run(
        [str(jupyter), "labextension", "list"], env=env, capture_output=True, text=True, check=True
    )
    text = listing.stdout + listing.stderr
    section = text.split(str(share / "labextensions"))[1].split("\n\n")[0]
    assert f"locolens v{PACKAGE['version']}" in section
    assert "enabled" in section and "OK" in section


def test_locolens_is_installed_for_kernels(tmp_path):
    """A kernel started in any folder imports the installed package (not the source tree)."""
    found = subprocess.run(
        [sys.executable, "-c", "import locolens, json; print(json.dumps([locolens.__version__, hasattr(locolens, 'show')]))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(found.stdout) == [PACKAGE["version"], True]
