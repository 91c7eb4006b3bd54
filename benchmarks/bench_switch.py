"""Seconds from a promotion to the running service answering with the new version, under load.

Starts the real service over the registry ($BENTOML_HOME or ./models), keeps `--clients`
callers sending single-sentence /classify requests, promotes another stored version, waits
for the first answer from it, then rolls back the same way. Every request must succeed.
Run with `make bench-switch`; needs at least two stored versions. Writes
benchmarks/results/switch.json.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from service.launcher import ServerProcess
from service.switching import switch_under_load

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    from stance.registry import Registry

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--version", help="version to switch to [default: the newest one not promoted]")
    args = parser.parse_args()
    registry = Registry()
    current = registry.resolve(None)
    others = [info.tag for info in registry.versions() if info.tag != current]
    if not others and not args.version:
        raise SystemExit("needs a second stored version: train one with `stance train` or `stance retrain`")
    target = registry.tag_of(args.version) if args.version else others[-1]
    with ServerProcess() as server:
        print(f"serving {current} (ready in {server.ready_s:.1f} s); promoting {target} under "
              f"{args.clients} clients")
        results = [switch_under_load(server.url, lambda: registry.promote(target, reason="bench-switch"),
                                     args.clients)]
        results.append(switch_under_load(server.url, registry.rollback, args.clients))
    for result in results:
        print(f"-> {result.to_version}: answered after {result.seconds} s; {result.requests} requests, "
              f"{len(result.failures)} failed, {result.answered_by_old_after_switch} answered by the old "
              "version after the switch")
    out = ROOT / "benchmarks" / "results" / "switch.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps([asdict(result) for result in results], indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
