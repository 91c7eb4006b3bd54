"""ONNX copies of a trained model, stored beside its weights: fp32, and int8 by dynamic quantisation.

The int8 recipe quantises every matrix multiplication except the feed-forward output
projections (`layer.N/output/dense`). Their inputs come straight out of GELU, with a range
too wide for per-tensor dynamic activation scales: quantising them too moved about 1.5% of
`data/test.csv`'s labels on the default model, against about 0.7% without them.
"""

from __future__ import annotations

from pathlib import Path

from stance.artifacts import onnx_path

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OPSET = 17


def export_onnx(model_dir: Path) -> tuple[Path, Path]:
    """Write onnx/model.onnx and onnx/model-int8.onnx into `model_dir`; return both paths.

    The exporters give advice on the way (the tracer warns about shape checks it freezes, which
    hold for an encoder; the quantiser suggests a pre-processing pass); the `stance` command
    keeps it out of its users' terminal (cli.main). What matters is checked afterwards: every
    export must agree with the PyTorch model (training.backends).
    """
    fp32, int8 = onnx_path(model_dir, int8=False), onnx_path(model_dir, int8=True)
    fp32.parent.mkdir(exist_ok=True)
    _export_fp32(Path(model_dir), fp32)
    _quantise_int8(fp32, int8)
    return fp32, int8


def _export_fp32(model_dir: Path, target: Path) -> None:
    """A single-file graph with dynamic batch and sequence axes (the TorchScript exporter)."""
    import torch
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    example = tuple(torch.ones(2, 8, dtype=torch.long) for _ in INPUT_NAMES)
    axes = {name: {0: "batch", 1: "sequence"} for name in INPUT_NAMES}
    with torch.inference_mode():
        torch.onnx.export(model, example, str(target), input_names=list(INPUT_NAMES), output_names=["logits"],
                          dynamic_axes={**axes, "logits": {0: "batch"}}, opset_version=OPSET, dynamo=False)


def _quantise_int8(fp32: Path, target: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fp32), load_external_data=False).graph
    feed_forward_outputs = [node.name for node in graph.node
                            if node.op_type == "MatMul" and "/output/dense/" in node.name
                            and "/attention/" not in node.name]
    quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True,
                     nodes_to_exclude=feed_forward_outputs)
