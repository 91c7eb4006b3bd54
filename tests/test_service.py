"""The real HTTP service (`bentoml serve`) with the tiny model: endpoints, errors, batching, auth, build."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conftest import ROOT, Server
from stance.inference import StanceClassifier
from stance.labels import LABELS

SENTENCES = ["The ministry denied the report.", "Prices rose by four per cent in May.",
             "Our units carried out a planned repositioning.", "Shares fell.",
             "The club said there was no truth in the rumours about its manager."]


@pytest.fixture(scope="module")
def server(tiny_registry):
    with Server(tiny_registry.home) as running:
        yield running


@pytest.fixture(scope="module")
def in_process(tiny_registry):
    return StanceClassifier.from_dir(tiny_registry.path_of(tiny_registry.promoted()),
                                     version=tiny_registry.promoted())


def post(server, path, body=None, **kwargs):
    return httpx.post(f"{server.url}{path}", json=body, timeout=60, **kwargs)


def test_classify_matches_in_process_predictions(server, in_process):
    response = post(server, "/classify", {"sentences": SENTENCES})
    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == in_process.version
    expected = in_process.predict(SENTENCES)
    for result, text, prediction in zip(body["results"], SENTENCES, expected):
        assert result["text"] == text and result["label"] == prediction.label
        assert set(result["scores"]) == set(LABELS)
        assert result["scores"] == pytest.approx(prediction.scores, abs=1e-4)


def test_analyze_splits_with_exact_offsets_and_counts(server, in_process):
    text = "The ministry denied the report.  Prices rose by four per cent in May.\nShares fell."
    body = post(server, "/analyze", {"text": text}).json()
    assert body["model_version"] == in_process.version
    assert [s["text"] for s in body["sentences"]] == ["The ministry denied the report.",
                                                       "Prices rose by four per cent in May.", "Shares fell."]
    assert all(text[s["start"]:s["end"]] == s["text"] for s in body["sentences"])
    assert sum(body["counts"].values()) == 3 and set(body["counts"]) == set(LABELS)


def test_model_describes_the_served_version(server, tiny_registry):
    body = post(server, "/model").json()
    info = tiny_registry.info(tiny_registry.promoted())
    assert body["model_version"] == info.tag
    assert body["labels"] == list(LABELS)
    assert body["train_rows"] == info.metadata["train_rows"]
    assert body["train_sha256"] == info.metadata["train_sha256"]
    assert body["metrics"]["macro_f1"] == info.metadata["test_metrics"]["macro_f1"]
    assert body["real_test_metrics"] == info.metadata["real_test_metrics"] and body["real_test_metrics"]["n"] == 30
    assert body["created"]
    assert body["backend"] == info.backend["chosen"] and body["backend_check"] == info.backend


def test_an_onnx_backend_is_served_without_torch_in_any_server_process(tiny_registry):
    int8 = StanceClassifier.from_dir(tiny_registry.path_of(tiny_registry.promoted()), backend="onnx-int8")
    with Server(tiny_registry.home, {"STANCE_BACKEND": "onnx-int8"}) as running:
        assert post(running, "/model").json()["backend"] == "onnx-int8"
        body = post(running, "/classify", {"sentences": SENTENCES}).json()
        assert [r["label"] for r in body["results"]] == [p.label for p in int8.predict(SENTENCES)]
        libraries = {Path(m.path).name for p in running.processes() for m in p.memory_maps()}
    assert any(name.startswith("libonnxruntime") or "onnxruntime_pybind" in name for name in libraries)
    assert not [name for name in libraries if name.startswith(("libtorch", "libc10"))]


def test_bentoml_endpoints_stay_available(server):
    for path in ("/livez", "/readyz", "/metrics", "/docs.json"):
        assert httpx.get(f"{server.url}{path}", timeout=10).status_code == 200, path
    assert "/classify" in httpx.get(f"{server.url}/docs.json", timeout=10).json()["paths"]


@pytest.mark.parametrize("path, body, field, words", [
    ("/classify", {"sentences": []}, ["sentences"], "at least 1"),
    ("/classify", {"sentences": ["fine", "   "]}, ["sentences", 1], "blank"),
    ("/classify", {"sentences": [3]}, ["sentences", 0], "string"),
    ("/classify", {"sentences": "one string"}, ["sentences"], "array"),
    ("/classify", {"text": ["x"]}, ["sentences"], "required"),
    ("/classify", {"sentences": ["x"] * 257}, ["sentences"], "at most 256"),
    ("/classify", {"sentences": ["x" * 2001]}, ["sentences", 0], "at most 2000 characters"),
    ("/analyze", {"text": ""}, ["text"], "blank"),
    ("/analyze", {"text": "x" * 100_001}, ["text"], "at most 100000 characters"),
    ("/analyze", {}, ["text"], "required"),
])
def test_bad_input_is_a_400_naming_field_and_limit(server, path, body, field, words):
    response = post(server, path, body)
    assert response.status_code == 400
    (detail,) = response.json()["detail"]
    assert detail["loc"] == field and words in detail["msg"]


def test_malformed_json_and_oversized_body(server):
    response = httpx.post(f"{server.url}/classify", content=b'{"sentences": ["x"', timeout=10,
                          headers={"content-type": "application/json"})
    assert response.status_code == 400 and "Invalid JSON" in response.json()["detail"][0]["msg"]
    response = httpx.post(f"{server.url}/classify", content=b"x" * 2_000_001, timeout=10)
    assert response.status_code == 413
    assert response.json()["limit"] == 2_000_000 and response.json()["field"] == "body"


def test_fifty_concurrent_requests_equal_in_process_predictions(server, in_process):
    texts = [f"{SENTENCES[i % len(SENTENCES)]} Case {i}." for i in range(50)]
    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(lambda text: post(server, "/classify", {"sentences": [text]}), texts))
    assert [r.status_code for r in responses] == [200] * 50
    # Each request carries one sentence, so each is compared with that sentence predicted alone:
    # padding it into a batch of longer sentences moves reduced-precision backends by ~1e-4.
    expected = [in_process.predict([text])[0] for text in texts]
    for response, prediction in zip(responses, expected):
        (result,) = response.json()["results"]
        assert result["label"] == prediction.label
        assert result["scores"] == pytest.approx(prediction.scores, abs=1e-4)


def test_api_key_protects_the_api_but_not_health(tiny_registry):
    with Server(tiny_registry.home, {"STANCE_API_KEY": "s3cret"}) as secured:
        for path in ("/classify", "/analyze", "/model"):
            refused = post(secured, path, {"sentences": ["x"], "text": "x"})
            assert refused.status_code == 401 and "Authorization" in refused.json()["error"]
        wrong = post(secured, "/model", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        allowed = post(secured, "/classify", {"sentences": ["x"]}, headers={"Authorization": "Bearer s3cret"})
        assert allowed.status_code == 200
        assert httpx.get(f"{secured.url}/readyz", timeout=10).status_code == 200
        assert httpx.get(f"{secured.url}/metrics", timeout=10).status_code == 200


def test_bentoml_build_bundles_the_promoted_version_with_the_runtime_and_no_training_code(tiny_registry):
    env = {**os.environ, "BENTOML_HOME": str(tiny_registry.home)}
    bentoml = str(Path(sys.executable).parent / "bentoml")
    built = subprocess.run([bentoml, "build", "--output", "tag"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    tag = built.stdout.strip().splitlines()[-1].removeprefix("__tag__:")
    shown = subprocess.run([bentoml, "get", tag, "-o", "json"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=120)
    bento = json.loads(shown.stdout)
    models = [model["tag"] for service in bento["services"] for model in service["models"]]
    assert models == [tiny_registry.promoted()]
    name, version = tag.split(":")
    source = tiny_registry.home / "bentos" / name / version / "src"
    bundled = {path.relative_to(source).as_posix() for path in source.rglob("*.py")}
    assert {"service/service.py", "stance/inference.py", "stance/registry.py"} <= bundled
    assert not [path for path in bundled if path.startswith(("training/", "cli/"))], sorted(bundled)
