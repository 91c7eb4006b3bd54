"""The default model shipped with the repository, so that `make serve` answers without training.

`ship` writes a registry version in a compact form into a folder: its int8 ONNX export, tokenizer,
label mapping, manifest (labels and configuration), its metadata (training data hashes, metrics)
and a SHA-256 of every file. `import_shipped` checks every checksum, refusing a missing, extra or
altered file, and stores the folder as a new registry version, which is then served like any
other. The shipped form has no torch weights and no fp32 export, so it runs on `onnx-int8` only;
its backend record says so, and asking it for another backend is a clear error.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from stance.artifacts import BACKEND_FILE, MANIFEST, onnx_path, read_backend_check
from stance.data import file_sha256
from stance.registry import Registry

SHIPPED_DIR = Path("shipped/default")
CHECKSUMS = "SHA256SUMS"
METADATA = "metadata.json"
SHIPPED_BACKEND = "onnx-int8"
# The files of a version that travel with the repository (beside the backend record and metadata).
SHIPPED_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", MANIFEST)


class ShippedModelError(RuntimeError):
    """A shipped model folder that is incomplete or altered; the message names the file."""


def shipped_backend_record(check: dict | None) -> dict:
    """The backend record of a shipped version: int8 only, with the measurements it had when shipped."""
    measured = (check or {}).get("backends", {}).get(SHIPPED_BACKEND, {"supported": True})
    note = "not shipped: the repository carries the int8 export only; `make train` builds every backend"
    backends = {SHIPPED_BACKEND: {**measured, "eligible": True}}
    backends.update({name: {"supported": False, "note": note} for name in (check or {}).get("backends", {})
                     if name != SHIPPED_BACKEND})
    return {"chosen": SHIPPED_BACKEND, "forced": True, "shipped": True,
            "reference": (check or {}).get("reference", "torch-fp32"), "data_rows": (check or {}).get("data_rows"),
            "backends": backends}


def ship(registry: Registry, tag: str, folder: Path = SHIPPED_DIR) -> dict:
    """Write version `tag` in its compact form into `folder` (replacing what was there); return the checksums."""
    source = registry.path_of(tag)
    if not onnx_path(source, int8=True).is_file():
        raise ShippedModelError(f"{tag} has no int8 export to ship; promote or serve it once to export it")
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{folder.name}-") as work:
        staged = Path(work) / folder.name
        (staged / "onnx").mkdir(parents=True)
        for name in SHIPPED_FILES:
            shutil.copy2(source / name, staged / name)
        shutil.copy2(onnx_path(source, int8=True), onnx_path(staged, int8=True))
        (staged / BACKEND_FILE).write_text(json.dumps(shipped_backend_record(read_backend_check(source)), indent=2))
        metadata = {key: value for key, value in registry.info(tag).metadata.items() if key != "backend"}
        (staged / METADATA).write_text(json.dumps({**metadata, "shipped_from": tag}, indent=2, sort_keys=True))
        sums = {path.relative_to(staged).as_posix(): file_sha256(path) for path in sorted(staged.rglob("*"))
                if path.is_file()}
        (staged / CHECKSUMS).write_text("".join(f"{digest}  {name}\n" for name, digest in sums.items()))
        if folder.exists():
            shutil.rmtree(folder)
        staged.rename(folder)
    return sums


def verify(folder: Path) -> dict[str, str]:
    """The folder's checksums, each file checked; a missing, extra or altered file is refused."""
    folder = Path(folder)
    listed = folder / CHECKSUMS
    if not listed.is_file():
        raise ShippedModelError(f"{folder}: {CHECKSUMS} is missing, so nothing in it can be trusted")
    sums = {}
    for line in listed.read_text().splitlines():
        digest, _, name = line.partition("  ")
        sums[name] = digest
    present = {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()} - {CHECKSUMS}
    for name in sorted(set(sums) | present):
        if name not in sums:
            raise ShippedModelError(f"{folder / name}: not listed in {CHECKSUMS}")
        if name not in present:
            raise ShippedModelError(f"{folder / name}: listed in {CHECKSUMS} but missing")
        if file_sha256(folder / name) != sums[name]:
            raise ShippedModelError(f"{folder / name}: its SHA-256 is not the one in {CHECKSUMS} (altered or "
                                    "damaged); restore it with git")
    return sums


def import_shipped(registry: Registry, folder: Path = SHIPPED_DIR) -> str:
    """Store the verified shipped model as a new version and promote it; return its tag."""
    verify(folder)
    metadata = json.loads((Path(folder) / METADATA).read_text())
    metadata.update(backend=read_backend_check(Path(folder)), imported_from=str(folder),
                    shipped_sha256=file_sha256(Path(folder) / CHECKSUMS))
    with registry.workdir("import") as work:
        model_dir = Path(work) / "model"
        shutil.copytree(folder, model_dir, ignore=shutil.ignore_patterns(CHECKSUMS, METADATA))
        tag = registry.add(model_dir, metadata)
    registry.promote(tag, reason=f"the shipped default model ({metadata.get('shipped_from', 'unknown')})")
    return tag
