#!/usr/bin/python3
"""Checks an ONNX file as the ONNX project does, and optionally runs it in onnxruntime (for fv-export's tests).

Usage: check_onnx.py MODEL.onnx [--input X.f32 --shape N,C,H,W --output Y.f32]
  - onnx.checker.check_model(model, full_check=True) (structure, operators' schemas, and shape inference);
  - prints "opset=<n> inputs=<name:dims> outputs=<name:dims> nodes=<count> first=<op,op,...>";
  - with --input: runs the model in onnxruntime (CPU) on the float32 input and writes the first output as
    float32 to --output. Exits 3 when onnxruntime is not installed (Debian 13 packages python3-onnxruntime).
"""
import argparse
import sys

import numpy as np
import onnx


def dims(value_info):
    return "x".join(d.dim_param or str(d.dim_value) for d in value_info.type.tensor_type.shape.dim)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--input")
    parser.add_argument("--shape")
    parser.add_argument("--output")
    args = parser.parse_args()
    model = onnx.load(args.model)
    onnx.checker.check_model(model, full_check=True)
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    print(f"opset={opset} inputs={','.join(i.name + ':' + dims(i) for i in model.graph.input)} "
          f"outputs={','.join(o.name + ':' + dims(o) for o in model.graph.output)} nodes={len(model.graph.node)} "
          f"first={','.join(n.op_type for n in model.graph.node[:3])}")
    if args.input:
        try:
            import onnxruntime
        except ImportError:
            print("onnxruntime is not installed", file=sys.stderr)
            sys.exit(3)
        shape = [int(s) for s in args.shape.split(",")]
        x = np.fromfile(args.input, dtype="<f4").reshape(shape)
        session = onnxruntime.InferenceSession(args.model, providers=["CPUExecutionProvider"])
        y = session.run(None, {session.get_inputs()[0].name: x})[0]
        y.astype("<f4").tofile(args.output)


if __name__ == "__main__":
    main()
