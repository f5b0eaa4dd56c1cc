#!/usr/bin/env python3
"""ONNX Runtime from Python on the same model, input and threads as the
harness's YOLOv8 stage: the detection anchor.

    ort_anchor.py MODEL.onnx INPUT.npy INTRA_THREADS RUNS OUTPUT_REF.npy

Prints {"run_ms": [...], "max_abs_diff": d} where d compares the output with
the harness's own output for the same input (correctness before speed).
"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort

model, inp, threads, runs, ref = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
so = ort.SessionOptions()
so.intra_op_num_threads = threads
so.inter_op_num_threads = 1
so.add_session_config_entry("session.intra_op.allow_spinning", "0")
sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
x = np.load(inp)
name = sess.get_inputs()[0].name
out = sess.run(None, {name: x})[0]
times = []
for _ in range(runs):
    t0 = time.perf_counter()
    sess.run(None, {name: x})
    times.append((time.perf_counter() - t0) * 1e3)
diff = float(np.max(np.abs(out - np.load(ref))))
print(json.dumps({"run_ms": times, "max_abs_diff": diff, "onnxruntime": ort.__version__}))
