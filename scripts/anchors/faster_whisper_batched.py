#!/usr/bin/env python3
"""faster-whisper's BatchedInferencePipeline on CPU: the peer that batches
Whisper on CPU today, for claim 5 ("CPU benefits: 10-15%" from a batch API).

    faster_whisper_batched.py MODEL_DIR THREADS ROUNDS REPEAT BATCH_SIZES CLIP.wav...

The clips (16 kHz mono) are repeated REPEAT times and laid end to end; each
clip is given to the pipeline as its own segment (`clip_timestamps`), so a
batch of B holds B clips, as bulk mode would hand it B files. Every round
times, in an order rotated by the round, one pass per batch size in
BATCH_SIZES (comma-separated; batch size 1 is the same code without
batching) and one pass of the plain `WhisperModel.transcribe` per clip.
Decoding: greedy (beam 1), English, no VAD, the model loaded once.

Run it with OMP_NUM_THREADS=THREADS: cpu_threads limits CTranslate2 only.

Prints {"pass_ms": {"sequential": [...], "1": [...], ...}, "texts":
{"sequential": [...], "1": [...], ...}, "audio_s": ..., "segments": ...,
"versions": {...}}: each pass's wall milliseconds per round, and the last
pass's transcript per clip for each way.
"""
import json
import sys
import time
import wave

import ctranslate2
import faster_whisper
import numpy as np
from faster_whisper import BatchedInferencePipeline, WhisperModel

model_dir, threads, rounds, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
batch_sizes = [int(b) for b in sys.argv[5].split(",")]
clips = sys.argv[6:]


def read_wav(path):
    with wave.open(path, "rb") as w:
        if w.getframerate() != 16000 or w.getnchannels() != 1 or w.getsampwidth() != 2:
            sys.exit(f"{path}: expected 16 kHz mono 16-bit PCM")
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768.0


pieces = [read_wav(c) for c in clips] * repeat
audio = np.concatenate(pieces)
stamps, t = [], 0.0
for p in pieces:
    stamps.append({"start": t, "end": t + len(p) / 16000})
    t += len(p) / 16000

model = WhisperModel(model_dir, device="cpu", compute_type="float32", cpu_threads=threads, num_workers=1)
batched = BatchedInferencePipeline(model=model)
opts = dict(language="en", beam_size=1, best_of=1, without_timestamps=True)


def sequential():
    texts = []
    for p in pieces:
        segments, _ = model.transcribe(p, condition_on_previous_text=False, vad_filter=False, **opts)
        texts.append(" ".join(s.text.strip() for s in segments))
    return texts


def batch(b):
    segments, _ = batched.transcribe(audio, clip_timestamps=stamps, batch_size=b, **opts)
    return [s.text.strip() for s in segments]


ways = ["sequential"] + [str(b) for b in batch_sizes]
run = {"sequential": sequential, **{str(b): (lambda b=b: batch(b)) for b in batch_sizes}}
for w in ways:  # untimed warm-up of each way
    run[w]()
pass_ms, texts = {w: [] for w in ways}, {}
for r in range(rounds):
    for k in range(len(ways)):
        w = ways[(k + r) % len(ways)]
        t0 = time.perf_counter()
        texts[w] = run[w]()
        pass_ms[w].append((time.perf_counter() - t0) * 1e3)
print(json.dumps({
    "pass_ms": pass_ms,
    "texts": texts,
    "audio_s": len(audio) / 16000,
    "segments": len(pieces),
    "versions": {"faster-whisper": faster_whisper.__version__, "ctranslate2": ctranslate2.__version__},
}))
