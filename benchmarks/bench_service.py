"""Speed of the promoted version on every backend, in-process and over HTTP, and of training.

Compares, in one run: the fp32 eager baseline and each backend in-process (batch 1, batch 32,
batch 32 sorted by length; agreement with fp32 and macro-F1 on the labelled sentences); over
HTTP, the service on the version's chosen backend against a plain fp32 service (single-sentence
requests at 1, 8 and 32 clients, 64-sentence bodies, resident memory, time to ready); training
sentences/s with fixed padding against dynamic padding. Run with `make bench`; prints the ratios
and writes benchmarks/results/bench.json and bench.png.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import statistics
import time
from pathlib import Path

import httpx

from service.launcher import ServerProcess

ROOT = Path(__file__).resolve().parents[1]


def load_labelled(path: Path, n: int) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))[:n]
    return [row["text"] for row in rows], [row["label"] for row in rows]


def in_process(sentences: list[str], gold: list[str], backend: str) -> dict:
    """One backend in-process, medians of 3: batch 1, batch 32 in input order, batch 32 sorted by length,
    and the work of the HTTP benchmark's 64-sentence bodies (each body sorted, in batches of 32)."""
    from stance.inference import StanceClassifier
    from training.metrics import metrics_of

    classifier = StanceClassifier.load(batch_size=32, backend=backend)
    classifier.predict(sentences[:32])

    def rate(batch: int, sort_all: bool, per_call: int | None = None) -> float:
        rates = []
        for _ in range(3):
            started = time.perf_counter()
            if sort_all:
                classifier.predict(sentences)
            else:
                for first in range(0, len(sentences), per_call or batch):
                    classifier.predict(sentences[first:first + (per_call or batch)])
            rates.append(len(sentences) / (time.perf_counter() - started))
        return round(statistics.median(rates), 1)

    predicted = [p.label for p in classifier.predict(sentences)]
    return {"backend": backend, "model_version": classifier.version, "batch_1": rate(1, False),
            "batch_32": rate(32, False), "batch_32_sorted": rate(32, True), "bodies_64": rate(32, False, 64),
            "predicted": predicted,
            "macro_f1": metrics_of(gold, predicted, classifier.labels).macro_f1}


async def http_load(url: str, bodies: list[dict], clients: int) -> dict:
    """`clients` concurrent callers share `bodies`; latency of each request, overall rate."""
    latencies: list[float] = []
    queue = list(reversed(bodies))
    failures = 0

    async def caller(client: httpx.AsyncClient):
        nonlocal failures
        while queue:
            body = queue.pop()
            started = time.perf_counter()
            response = await client.post(f"{url}/classify", json=body)
            latencies.append(time.perf_counter() - started)
            failures += response.status_code != 200

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(caller(client) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {"clients": clients, "sentences_per_request": len(bodies[0]["sentences"]), "requests": len(bodies),
            "failed": failures,
            "requests_per_s": round(len(bodies) / elapsed, 1),
            "sentences_per_s": round(sum(len(b["sentences"]) for b in bodies) / elapsed, 1),
            "p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
            "p99_ms": round(1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1)}


def serve_and_load(sentences: list[str], requests_per_client: int, server: ServerProcess) -> dict:
    """Start `server` and load it over HTTP: single sentences at 1, 8 and 32 clients, 64-sentence bodies."""
    with server:
        idle = server.resident_mib()
        result = {"backend": httpx.post(f"{server.url}/model", timeout=30).json()["backend"],
                  "ready_s": round(server.ready_s, 1), "resident_mib_idle": idle["total"],
                  "serving_process_mib_idle": max(idle["processes"].values())}
        asyncio.run(http_load(server.url, [{"sentences": [s]} for s in sentences[:32]], 8))
        result["single"] = [
            asyncio.run(http_load(server.url, [{"sentences": [sentences[i % len(sentences)]]}
                                               for i in range(clients * requests_per_client)], clients))
            for clients in (1, 8, 32)]
        bodies = [{"sentences": sentences[i:i + 64]} for i in range(0, len(sentences) - 63, 64)]
        result["batch64"] = asyncio.run(http_load(server.url, bodies * 2, 4))
        after = server.resident_mib()
        result.update(resident_mib_after=after["total"], serving_process_mib_after=max(after["processes"].values()),
                      processes_mib_after=after["processes"])
    return result


def run(sentences: list[str], gold: list[str], requests_per_client: int, training_sentences: int) -> dict:
    from bench_training import measure_both
    from stance.artifacts import read_backend_check
    from stance.config import BACKENDS
    from stance.inference import REFERENCE_BACKEND
    from stance.registry import Registry

    registry = Registry()
    check = read_backend_check(registry.path_of(registry.resolve(None))) or {"chosen": REFERENCE_BACKEND,
                                                                          "backends": {}}
    runnable = [b for b in BACKENDS if check["backends"].get(b, {}).get("supported", b == REFERENCE_BACKEND)]
    backends = [in_process(sentences, gold, backend) for backend in
                [REFERENCE_BACKEND, *(b for b in runnable if b != REFERENCE_BACKEND)]]
    reference = backends[0]["predicted"]
    for result in backends:
        result["agreement"] = round(sum(a == b for a, b in zip(result.pop("predicted"), reference)) / len(gold), 4)
    fast = serve_and_load(sentences, requests_per_client, ServerProcess())
    plain = serve_and_load(sentences, requests_per_client, ServerProcess(
        service="plain_fp32_service:PlainFp32", working_dir=ROOT / "benchmarks"))
    ours_fp32 = serve_and_load(sentences, requests_per_client, ServerProcess(env={"STANCE_BACKEND": REFERENCE_BACKEND}))
    chosen = next(r for r in backends if r["backend"] == fast["backend"])
    results = {"chosen": check["chosen"], "in_process": backends, "http_fast": fast, "http_plain_fp32": plain,
               "http_stance_fp32": ours_fp32, "training": measure_both(training_sentences)}
    results["ratios"] = {
        "in_process_b32_sorted_vs_fp32_eager_b32": round(chosen["batch_32_sorted"] / backends[0]["batch_32"], 2),
        "http_single32_fast_vs_plain": round(fast["single"][2]["requests_per_s"]
                                             / plain["single"][2]["requests_per_s"], 2),
        "http_single32_fast_vs_stance_fp32": round(fast["single"][2]["requests_per_s"]
                                                   / ours_fp32["single"][2]["requests_per_s"], 2),
        "http_batch64_vs_in_process_same_bodies": round(fast["batch64"]["sentences_per_s"] / chosen["bodies_64"], 2),
        "http_batch64_vs_in_process_b32_sorted": round(fast["batch64"]["sentences_per_s"]
                                                       / chosen["batch_32_sorted"], 2),
        "training_dynamic_vs_fixed": results["training"]["speedup"],
    }
    results["targets"] = targets(results, chosen, backends[0])
    return results


def targets(results: dict, chosen: dict, reference: dict) -> list[dict]:
    """Issue 6's targets: what was asked, what was measured, whether it was met."""
    ratios, fast = results["ratios"], results["http_fast"]

    def target(name: str, measured: float, wanted: float, at_most: bool = False) -> dict:
        return {"target": name, "measured": measured, "wanted": f"{'<=' if at_most else '>='} {wanted:g}",
                "met": measured <= wanted if at_most else measured >= wanted}

    return [
        target("in-process b32 vs fp32 eager b32 (x)", ratios["in_process_b32_sorted_vs_fp32_eager_b32"], 3.0),
        target("agreement with fp32", chosen["agreement"], 0.99),
        target("macro-F1 loss vs fp32", round(reference["macro_f1"] - chosen["macro_f1"], 4), 0.005, at_most=True),
        target("HTTP 32 clients vs plain fp32 (x)", ratios["http_single32_fast_vs_plain"], 2.0),
        target("HTTP 64-sentence bodies vs same in-process", ratios["http_batch64_vs_in_process_same_bodies"], 0.85),
        target("serving process MiB after load", fast["serving_process_mib_after"], 400, at_most=True),
        target("ready s", fast["ready_s"], 10, at_most=True),
        target("training sentences/s dynamic vs fixed (x)", ratios["training_dynamic_vs_fixed"], 2.0),
    ]


def print_table(results: dict) -> None:
    print(f"in-process, sentences/s (model {results['in_process'][0]['model_version']}, chosen "
          f"{results['chosen']})")
    print(f"{'backend':12} {'batch 1':>9} {'batch 32':>9} {'b32 sorted':>11} {'64-bodies':>10} {'agreement':>10} "
          f"{'macro-F1':>9}")
    for row in results["in_process"]:
        print(f"{row['backend']:12} {row['batch_1']:>9} {row['batch_32']:>9} {row['batch_32_sorted']:>11} "
              f"{row['bodies_64']:>10} {row['agreement']:>10.2%} {row['macro_f1']:>9.3f}")
    print(f"\n{'HTTP':52} {'sent/s':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'failed':>7}")
    for name in ("http_fast", "http_plain_fp32", "http_stance_fp32"):
        served = results[name]
        label = served["backend"] if name == "http_plain_fp32" else f"stance service, {served['backend']}"
        for row in [*served["single"], served["batch64"]]:
            load = f"{row['clients']} clients x {row['sentences_per_request']} sentences"
            print(f"{label + ', ' + load:52} {row['sentences_per_s']:>8} {row['requests_per_s']:>8} "
                  f"{row['p50_ms']:>8} {row['p99_ms']:>8} {row['failed']:>7}")
        print(f"{label}: ready in {served['ready_s']} s; serving process {served['serving_process_mib_idle']} MiB "
              f"idle, {served['serving_process_mib_after']} MiB after the load (all processes "
              f"{served['resident_mib_idle']} / {served['resident_mib_after']} MiB)")
    print("\ntraining, sentences/s")
    for name, row in results["training"]["setups"].items():
        print(f"{name:45} {row['sentences_per_s']:>8}")
    print("\nratios")
    for name, value in results["ratios"].items():
        print(f"{name:45} {value:>8}")
    print("\ntargets")
    for row in results["targets"]:
        print(f"{row['target']:45} {row['measured']:>8} {row['wanted']:>9}  {'met' if row['met'] else 'NOT MET'}")


def write_chart(results: dict, path: Path) -> None:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    names = [r["backend"] for r in results["in_process"]]
    for offset, key in enumerate(("batch_1", "batch_32", "batch_32_sorted", "bodies_64")):
        axes[0].bar([i + 0.2 * (offset - 1.5) for i in range(len(names))],
                    [r[key] for r in results["in_process"]], 0.2, label=key.replace("_", " "))
    axes[0].set_xticks(range(len(names)), names)
    axes[0].set_title("in-process, sentences/s")
    axes[0].set_ylim(top=1.3 * max(r["batch_32_sorted"] for r in results["in_process"]))
    axes[0].legend(fontsize=8, loc="upper left", ncol=2)
    for offset, name in enumerate(("http_plain_fp32", "http_stance_fp32", "http_fast")):
        served = results[name]
        axes[1].bar([i + 0.27 * (offset - 1) for i in range(3)], [r["requests_per_s"] for r in served["single"]],
                    0.27, label=("stance service, " if name != "http_plain_fp32" else "") + served["backend"])
    axes[1].set_xticks(range(3), ["1 client", "8 clients", "32 clients"])
    axes[1].set_title("HTTP, single-sentence requests/s")
    axes[1].set_ylim(top=1.4 * max(r["requests_per_s"] for name in ("http_plain_fp32", "http_stance_fp32", "http_fast")
                                   for r in results[name]["single"]))
    axes[1].legend(fontsize=8, loc="upper left")
    training = results["training"]["setups"]
    axes[2].bar(range(len(training)), [r["sentences_per_s"] for r in training.values()], color="#2b7bba")
    axes[2].set_xticks(range(len(training)), [name.replace(", ", "\n", 1) for name in training], fontsize=8)
    axes[2].set_title("training, sentences/s")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main() -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "test.csv")
    parser.add_argument("--sentences", type=int, default=100_000, help="labelled sentences used [default: all]")
    parser.add_argument("--requests-per-client", type=int, default=40)
    parser.add_argument("--training-sentences", type=int, default=240)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench.json")
    args = parser.parse_args()
    sentences, gold = load_labelled(args.data, args.sentences)
    results = run(sentences, gold, args.requests_per_client, args.training_sentences)
    print_table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    write_chart(results, args.out.with_suffix(".png"))
    print(f"wrote {args.out} and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
