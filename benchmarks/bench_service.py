"""Throughput of the promoted model: in-process, and over HTTP through the real BentoML server.

Run with `make bench`. Prints a table and writes benchmarks/results/service.json.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import statistics
import time
from pathlib import Path

import httpx

from service.launcher import ServerProcess

ROOT = Path(__file__).resolve().parents[1]


def load_sentences(path: Path, n: int) -> list[str]:
    with path.open(encoding="utf-8", newline="") as stream:
        return [row["text"] for row in csv.DictReader(stream)][:n]


def in_process(sentences: list[str], batch_size: int) -> dict:
    """Sentences per second of StanceClassifier.predict at a fixed batch size (median of 3)."""
    from training.inference import StanceClassifier

    classifier = StanceClassifier.load(batch_size=batch_size)
    classifier.predict(sentences[:batch_size])
    rates = []
    for _ in range(3):
        started = time.perf_counter()
        for first in range(0, len(sentences), batch_size):
            classifier.predict(sentences[first:first + batch_size])
        rates.append(len(sentences) / (time.perf_counter() - started))
    return {"batch_size": batch_size, "sentences_per_s": round(statistics.median(rates), 1),
            "model_version": classifier.version}


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
    return {"clients": clients, "requests": len(bodies), "failed": failures,
            "requests_per_s": round(len(bodies) / elapsed, 1),
            "sentences_per_s": round(sum(len(b["sentences"]) for b in bodies) / elapsed, 1),
            "p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
            "p99_ms": round(1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1)}


def run(sentences: list[str], requests_per_client: int) -> dict:
    results = {"in_process": [in_process(sentences, 1), in_process(sentences, 32)]}
    with ServerProcess() as server:
        results["server_ready_s"] = round(server.ready_s, 1)
        asyncio.run(http_load(server.url, [{"sentences": [s]} for s in sentences[:32]], 8))
        results["http_single"] = [
            asyncio.run(http_load(server.url, [{"sentences": [sentences[i % len(sentences)]]}
                                               for i in range(clients * requests_per_client)], clients))
            for clients in (1, 8, 32)]
        bodies = [{"sentences": sentences[i:i + 64]} for i in range(0, len(sentences) - 63, 64)]
        results["http_batch64"] = asyncio.run(http_load(server.url, bodies * 2, 4))
        results["server_resident_mib"] = server.resident_mib()
    best_in_process = results["in_process"][1]["sentences_per_s"]
    results["ratio_http_single32_to_in_process_b32"] = round(
        results["http_single"][2]["sentences_per_s"] / best_in_process, 3)
    results["ratio_http_batch64_to_in_process_b32"] = round(
        results["http_batch64"]["sentences_per_s"] / best_in_process, 3)
    return results


def print_table(results: dict) -> None:
    print(f"model {results['in_process'][0]['model_version']}")
    print(f"{'measurement':42} {'sent/s':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'failed':>7}")
    for row in results["in_process"]:
        print(f"{'in-process, batch ' + str(row['batch_size']):42} {row['sentences_per_s']:>9}")
    for row in results["http_single"]:
        print(f"{'HTTP 1 sentence/request, ' + str(row['clients']) + ' clients':42} {row['sentences_per_s']:>9} "
              f"{row['requests_per_s']:>8} {row['p50_ms']:>8} {row['p99_ms']:>8} {row['failed']:>7}")
    row = results["http_batch64"]
    print(f"{'HTTP 64 sentences/request, 4 clients':42} {row['sentences_per_s']:>9} {row['requests_per_s']:>8} "
          f"{row['p50_ms']:>8} {row['p99_ms']:>8} {row['failed']:>7}")
    print(f"HTTP/in-process (batch 32): single sentences at 32 clients "
          f"{results['ratio_http_single32_to_in_process_b32']:.2f}, 64-sentence bodies "
          f"{results['ratio_http_batch64_to_in_process_b32']:.2f}")
    print(f"server ready in {results['server_ready_s']} s; resident memory "
          f"{results['server_resident_mib']['total']} MiB (all processes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "test.csv")
    parser.add_argument("--sentences", type=int, default=512)
    parser.add_argument("--requests-per-client", type=int, default=40)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "service.json")
    args = parser.parse_args()
    results = run(load_sentences(args.data, args.sentences), args.requests_per_client)
    print_table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
