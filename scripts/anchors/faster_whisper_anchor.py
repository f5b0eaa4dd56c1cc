#!/usr/bin/env python3
"""faster-whisper (CTranslate2) on the same tiny.en weights and clips as the
harness's whisper-rs stage: the transcription peer.

    faster_whisper_anchor.py MODEL_DIR COMPUTE_TYPE THREADS RUNS CLIP.wav...

MODEL_DIR is the CTranslate2 folder (model.bin, config.json, tokenizer.json,
vocabulary.txt); COMPUTE_TYPE is float32 or int8. Decoding as the harness
decodes with whisper.cpp: greedy (beam 1), English, no conditioning on the
previous window (whisper.cpp's default `no_context`), no VAD. One untimed
pass loads and warms the model; then RUNS timed passes over all clips.

Run it with OMP_NUM_THREADS=1 (and the BLAS equivalents): cpu_threads
limits CTranslate2 only, and the features are a numpy product.

Prints {"run_ms": [...], "run_cpu_ms": [...], "texts": [...], "profile":
{...}, "versions": {...}}: the wall and process CPU time of each pass over
every clip (features, encoder and decoder; the model stays loaded), the last
pass's transcript per clip, and the profile: one more transcription of the
first clip with the encoder wrapped, giving that call's time, the encoder's
total time in it and its number of encoder runs.
"""
import json
import sys
import time
import wave

import ctranslate2
import faster_whisper
import numpy as np
from faster_whisper import WhisperModel

model_dir, compute_type, threads, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
clips = sys.argv[5:]


def read_wav(path):
    with wave.open(path, "rb") as w:
        if w.getframerate() != 16000 or w.getnchannels() != 1 or w.getsampwidth() != 2:
            sys.exit(f"{path}: expected 16 kHz mono 16-bit PCM")
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768.0


audio = [read_wav(c) for c in clips]
model = WhisperModel(model_dir, device="cpu", compute_type=compute_type, cpu_threads=threads, num_workers=1)


def transcribe_all():
    texts, clip_ms = [], []
    for a in audio:
        t0 = time.perf_counter()
        segments, _ = model.transcribe(a, language="en", beam_size=1, best_of=1, condition_on_previous_text=False, vad_filter=False)
        texts.append(" ".join(s.text.strip() for s in segments))
        clip_ms.append((time.perf_counter() - t0) * 1e3)
    return texts, clip_ms


texts, clip_ms = transcribe_all()
times, cpu = [], []
for _ in range(runs):
    t0, c0 = time.perf_counter(), time.process_time()
    texts, clip_ms = transcribe_all()
    times.append((time.perf_counter() - t0) * 1e3)
    cpu.append((time.process_time() - c0) * 1e3)

encoder = {"ms": 0.0, "runs": 0}
plain_encode = model.encode


def counted_encode(features):
    t0 = time.perf_counter()
    out = plain_encode(features)
    encoder["ms"] += (time.perf_counter() - t0) * 1e3
    encoder["runs"] += 1
    return out


model.encode = counted_encode
t0 = time.perf_counter()
segments, _ = model.transcribe(audio[0], language="en", beam_size=1, best_of=1, condition_on_previous_text=False, vad_filter=False)
list(segments)
profile = {"full_ms": (time.perf_counter() - t0) * 1e3, "encode_total_ms": encoder["ms"], "encode_runs": encoder["runs"]}
print(json.dumps({
    "profile": profile,
    "run_cpu_ms": cpu,
    "run_ms": times,
    "texts": texts,
    "versions": {"faster-whisper": faster_whisper.__version__, "ctranslate2": ctranslate2.__version__},
}))
