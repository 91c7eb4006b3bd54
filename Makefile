# stance: `make serve` and `make test` set everything up on a fresh machine.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export HF_HUB_OFFLINE := 1
export BENTOML_DO_NOT_TRACK := True
export TOKENIZERS_PARALLELISM := false
# The model registry (BentoML store) lives in the project unless BENTOML_HOME is set.
export BENTOML_HOME ?= $(CURDIR)/models

.PHONY: install train serve test data-check bench bench-switch clean

install: $(STAMP)

# torch first and pinned exactly: the CPU build lies on this disk; a looser pin pulls CUDA.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

train: install
	$(BIN)/stance train

# Trains the default model first when the registry holds none. HOST=0.0.0.0 PORT=8080 to change.
serve: install
	$(BIN)/stance serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

data-check: install
	$(BIN)/stance data check data/train.csv
	$(BIN)/stance data check data/test.csv --against data/train.csv

test: install
	$(BIN)/pytest

# In-process and HTTP throughput of the promoted model (a few minutes).
bench: install
	$(BIN)/python benchmarks/bench_service.py

# Seconds from `stance promote` to the running service answering with that version, under load.
bench-switch: install
	$(BIN)/python benchmarks/bench_switch.py

clean:
	rm -rf $(VENV) reports .pytest_cache
