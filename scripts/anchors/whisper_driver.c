/*
 * Minimal C driver for whisper.cpp: the native anchor the harness compares
 * its whisper-rs transcription with. It links the very static libraries
 * whisper-rs-sys built (same source, same flags), loads a ggml model once,
 * then times whisper_full on one state, greedy decoding, like the harness.
 *
 *   whisper_driver MODEL.bin CLIP.wav N_THREADS RUNS FLASH_ATTN
 *
 * FLASH_ATTN is 0 (whisper-rs's default) or 1 (whisper.cpp's default).
 *
 * Prints one JSON object: {"text": ..., "full_ms": [...], "timings": {...}}.
 * "timings" is whisper.cpp's own profile of one more (warmed) whisper_full
 * on the context's default state: that call's wall time (full_ms), the
 * encoder's total milliseconds in it and its number of encoder runs (one
 * per 30 s window the decoder's seek visits).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "whisper.h"

/* Logs are dropped, except that while `capture` is set the encoder line of
 * whisper_print_timings is kept (the API exposes only per-run averages;
 * this line has the total and the number of encoder runs). */
static int capture = 0;
static char encode_line[512];

static void quiet(enum ggml_log_level level, const char *text, void *user) {
    (void)level; (void)user;
    if (capture && strstr(text, "encode time")) {
        strncpy(encode_line, text, sizeof encode_line - 1);
    }
}

/* 16-bit PCM mono WAV at 16 kHz (the librivox clips). */
static float *read_wav(const char *path, int *n) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return NULL; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(size);
    if (fread(buf, 1, size, f) != (size_t)size) { fclose(f); free(buf); return NULL; }
    fclose(f);
    long pos = 12;
    while (pos + 8 <= size) {
        uint32_t len = buf[pos + 4] | buf[pos + 5] << 8 | buf[pos + 6] << 16 | (uint32_t)buf[pos + 7] << 24;
        if (memcmp(buf + pos, "data", 4) == 0) {
            *n = len / 2;
            float *out = malloc(sizeof(float) * *n);
            for (int i = 0; i < *n; i++) {
                int16_t s = (int16_t)(buf[pos + 8 + 2 * i] | buf[pos + 9 + 2 * i] << 8);
                out[i] = s / 32768.0f;
            }
            free(buf);
            return out;
        }
        pos += 8 + len + (len & 1);
    }
    free(buf);
    fprintf(stderr, "%s: no data chunk\n", path);
    return NULL;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s MODEL CLIP.wav N_THREADS RUNS FLASH_ATTN\n", argv[0]);
        return 2;
    }
    whisper_log_set(quiet, NULL);
    int n = 0;
    float *pcm = read_wav(argv[2], &n);
    if (!pcm) return 1;
    struct whisper_context_params cp = whisper_context_default_params();
    cp.use_gpu = false;
    cp.flash_attn = atoi(argv[5]) != 0;
    struct whisper_context *ctx = whisper_init_from_file_with_params(argv[1], cp);
    if (!ctx) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
    struct whisper_state *st = whisper_init_state(ctx);
    struct whisper_full_params p = whisper_full_default_params(WHISPER_SAMPLING_GREEDY);
    p.n_threads = atoi(argv[3]);
    p.greedy.best_of = 1; /* as the harness: SamplingStrategy::Greedy { best_of: 1 } */
    p.language = "en";
    p.print_progress = false;
    p.print_realtime = false;
    p.print_timestamps = false;
    p.print_special = false;
    int runs = atoi(argv[4]);
    printf("{\"full_ms\": [");
    for (int r = 0; r < runs; r++) {
        double t0 = now_ms();
        if (whisper_full_with_state(ctx, st, p, pcm, n) != 0) { fprintf(stderr, "whisper_full failed\n"); return 1; }
        printf("%s%.3f", r ? ", " : "", now_ms() - t0);
    }
    printf("], \"text\": \"");
    for (int i = 0; i < whisper_full_n_segments_from_state(st); i++) {
        for (const char *c = whisper_full_get_segment_text_from_state(st, i); *c; c++) {
            if (*c == '"' || *c == '\\') putchar('\\');
            putchar(*c);
        }
    }
    printf("\"");
    /* The profile, on the context's own state (whisper_print_timings reads
     * it): one untimed call to warm it, then one timed call. */
    if (whisper_full(ctx, p, pcm, n) != 0) { fprintf(stderr, "whisper_full failed\n"); return 1; }
    whisper_reset_timings(ctx);
    double t0 = now_ms();
    if (whisper_full(ctx, p, pcm, n) != 0) { fprintf(stderr, "whisper_full failed\n"); return 1; }
    double profiled = now_ms() - t0;
    capture = 1;
    whisper_print_timings(ctx);
    capture = 0;
    float encode_total = -1;
    int encode_runs = -1;
    const char *at = strstr(encode_line, "=");
    if (at && sscanf(at, "= %f ms / %d runs", &encode_total, &encode_runs) == 2) {
        printf(", \"timings\": {\"full_ms\": %.3f, \"encode_total_ms\": %.3f, \"encode_runs\": %d}", profiled, encode_total, encode_runs);
    }
    printf("}\n");
    whisper_free_state(st);
    whisper_free(ctx);
    free(pcm);
    return 0;
}
