"""Would int8 make the model fit the speed targets? The served backbone (ONNX, fp32) against the
same graph quantized by ONNX Runtime (static QDQ, per-channel int8 weights, uint8 activations
calibrated on demo patches), on other demo patches, one thread each, interleaved in one run:

    ms per patch   what scoring an image costs (28 patches at 2048x1536)
    feature error  mean |int8 - fp32| / mean |fp32| over every embedding value, and their
                   correlation: the heads were trained on fp32 features

    .venv/bin/python bench/bench_quantized.py [--quick]

A negative result is kept here so the question is not asked again without new evidence.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_scoring import patches  # noqa: E402
from bench.common import Figure, report  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    count = 32 if args.quick else 96

    import numpy as np
    import onnxruntime
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from training.ml import backbone

    served = backbone.get_backbone()
    if served.session is None:
        raise SystemExit("ONNX Runtime is not serving the backbone here; nothing to compare")
    images = patches(count * 2)
    batches = [np.ascontiguousarray(backbone.to_tensor(images[i:i + 4]).numpy()) for i in range(0, len(images), 4)]
    calibration, held_out = batches[: len(batches) // 2], batches[len(batches) // 2:]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter(calibration)

        def get_next(self):
            batch = next(self.batches, None)
            return None if batch is None else {"x": batch}

    source = str(served.session._model_path)
    with tempfile.TemporaryDirectory() as tmp:
        prepared, quantized = f"{tmp}/prepared.onnx", f"{tmp}/int8.onnx"
        quant_pre_process(source, prepared, skip_symbolic_shape=True)
        quantize_static(prepared, quantized, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        sessions = {name: onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
                    for name, path in (("fp32", source), ("int8", quantized))}
        seconds = {name: [] for name in sessions}
        outputs = {name: [] for name in sessions}
        for batch in held_out:
            for name, session in sessions.items():
                started = time.perf_counter()
                outputs[name].append(session.run(None, {"x": batch})[0])
                seconds[name].append(time.perf_counter() - started)
    fp32, int8 = (np.concatenate(outputs[name]) for name in ("fp32", "int8"))
    per_patch = {name: sum(values[1:]) / (len(values[1:]) * 4) * 1000 for name, values in seconds.items()}  # first batch warms up
    relative_error = float(np.abs(int8 - fp32).mean() / np.abs(fp32).mean())
    correlation = float(np.corrcoef(fp32.ravel(), int8.ravel())[0, 1])
    figures = [
        Figure("int8 backbone, ms per patch (one thread)", per_patch["int8"], "ms", naive=per_patch["fp32"],
               ratio=per_patch["fp32"] / per_patch["int8"], note=f"naive = the served fp32 graph; {len(held_out) * 4} held-out demo patches"),
        Figure("int8 feature error, mean |int8 - fp32| / mean |fp32|", relative_error * 100, "%"),
        Figure("int8 feature correlation with fp32", correlation, ""),
    ]
    report("quantized", figures)


if __name__ == "__main__":
    main()
