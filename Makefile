# locolens: two commands for a new machine.
#   make lab    build everything, write the demo dataset, start JupyterLab with locolens
#   make test   install what the tests need (Debian's chromium too) and run jest, pytest and Galata
# Needs: Python >= 3.9 with venv, Node >= 20.19 with npm; apt-get (root or sudo) for chromium.

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
CHROMIUM ?= /usr/bin/chromium
DATA := data
DEMO := $(DATA)/locolens_demo_phase.parquet
UI_DATA := ui-tests/.galata-data
PORT ?= 8888

.PHONY: lab test install build demo chromium ui-data bench-data bench clean

# As root (containers, cloud notebooks) Jupyter needs --allow-root.
lab: install demo
	$(BIN)/jupyter lab --ServerApp.root_dir=$(DATA) --port=$(PORT) $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

test: install chromium ui-tests/node_modules ui-data
	JUPYTERLAB_GALATA_ROOT_DIR=$(CURDIR)/$(UI_DATA) LOCOLENS_CHROMIUM=$(CHROMIUM) scripts/run-tests.sh

# --- pieces -------------------------------------------------------------------------------

$(BIN)/jupyter: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

ui-tests/node_modules: ui-tests/package.json ui-tests/package-lock.json
	cd ui-tests && npm ci --no-audit --no-fund
	touch $@

build: $(BIN)/jupyter node_modules/.package-lock.json
	npm run build

# The Python package in development mode, with the labextension linked into the venv.
# (pip writes the shared install.json through an existing develop link into locolens/labextension,
# where a later wheel build would find it twice: it is removed.)
install: build
	$(BIN)/python -m pip install -q --no-build-isolation --no-deps -e .
	$(BIN)/jupyter builder develop --overwrite .
	rm -f locolens/labextension/install.json

demo: $(BIN)/jupyter
	$(BIN)/python scripts/generate_dataset.py --preset demo --out $(DATA)/

bench-data: $(BIN)/jupyter
	$(BIN)/python scripts/generate_dataset.py --preset bench --out $(DATA)/
	$(BIN)/python scripts/generate_dataset.py --preset locohub --out $(DATA)/
	$(BIN)/python scripts/generate_dataset.py --preset large --out $(DATA)/

# Debian's chromium (Galata's browser; its SwiftShader is also the software Vulkan driver of the
# Node WebGPU tests without a GPU) and the Vulkan loader.
chromium:
	@{ test -x $(CHROMIUM) && ldconfig -p | grep -q libvulkan.so.1; } || { \
	  echo "installing Debian's chromium and libvulkan1"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium libvulkan1; }

# The server root of the Galata tests: the demo file and the pyarrow-written fixtures.
ui-data: demo
	mkdir -p $(UI_DATA)/fixtures
	ln -f $(DEMO) $(UI_DATA)/ 2>/dev/null || cp $(DEMO) $(UI_DATA)/
	$(BIN)/python scripts/generate_dataset.py --preset fixtures --out $(UI_DATA)/fixtures > /dev/null
	$(BIN)/python scripts/generate_dataset.py --out $(UI_DATA)/large/ten_thousand_cycles.parquet --subjects 1 \
	  --cycles 10000 --tasks run --dtype float32 --compression zstd --seed 7 \
	  --variables knee_flexion_angle_ipsi_rad,hip_flexion_angle_ipsi_rad,ankle_dorsiflexion_angle_ipsi_rad,grf_vertical_ipsi_BW > /dev/null

# Benchmarks (not tests): locolens against pyarrow + numpy, DuckDB, Polars and the seed recipe
# end to end (CLI and Chromium; 1.3 M rows, a 1 GB LocoHub-shaped file and 2 GB; JSON, PNG and a
# Markdown table in artifacts/bench), the CPU kernels against numpy, and the WebGPU kernels
# against a GPU copy probe (on a hardware GPU only).
bench: install chromium ui-tests/node_modules bench-data
	$(BIN)/python -m pip install -q -r requirements-bench.txt
	node scripts/bench.mjs
	npm run bench:kernels
	npm run bench:validation
	npm run bench:webgpu

clean:
	rm -rf lib dist tsconfig.tsbuildinfo locolens/labextension locolens/_version.py test-data $(UI_DATA) ui-tests/test-results
