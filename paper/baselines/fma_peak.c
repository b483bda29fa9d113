/* Measures the machine's f32 FMA peak: 12 independent AVX-512 FMA chains per thread, one
 * thread per core, for about two seconds. Prints GFLOP/s per thread and in total.
 *
 *   gcc -O2 -mavx512f -pthread -o /tmp/fma_peak paper/baselines/fma_peak.c && /tmp/fma_peak 2
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 12
#define ITERS 200000000L

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void *run(void *out) {
    __m512 acc[CHAINS];
    __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps((float)c);
    double start = seconds();
    /* The chains are unrolled by hand so that each accumulator stays in a register. */
    __m512 a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], a4 = acc[4], a5 = acc[5];
    __m512 a6 = acc[6], a7 = acc[7], a8 = acc[8], a9 = acc[9], a10 = acc[10], a11 = acc[11];
    for (long i = 0; i < ITERS; i++) {
        a0 = _mm512_fmadd_ps(a0, a, b); a1 = _mm512_fmadd_ps(a1, a, b);
        a2 = _mm512_fmadd_ps(a2, a, b); a3 = _mm512_fmadd_ps(a3, a, b);
        a4 = _mm512_fmadd_ps(a4, a, b); a5 = _mm512_fmadd_ps(a5, a, b);
        a6 = _mm512_fmadd_ps(a6, a, b); a7 = _mm512_fmadd_ps(a7, a, b);
        a8 = _mm512_fmadd_ps(a8, a, b); a9 = _mm512_fmadd_ps(a9, a, b);
        a10 = _mm512_fmadd_ps(a10, a, b); a11 = _mm512_fmadd_ps(a11, a, b);
    }
    acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3; acc[4] = a4; acc[5] = a5;
    acc[6] = a6; acc[7] = a7; acc[8] = a8; acc[9] = a9; acc[10] = a10; acc[11] = a11;
    double elapsed = seconds() - start;
    float sink = 0;
    for (int c = 0; c < CHAINS; c++) sink += _mm512_reduce_add_ps(acc[c]);
    /* 16 lanes, 2 flops per FMA */
    *(double *)out = (double)ITERS * CHAINS * 16 * 2 / elapsed / 1e9 + 0 * sink;
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    pthread_t t[64];
    double gflops[64];
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, run, &gflops[i]);
    double total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        printf("thread %d: %.1f GFLOP/s\n", i, gflops[i]);
        total += gflops[i];
    }
    printf("total: %.1f GFLOP/s f32 FMA peak\n", total);
    return 0;
}
