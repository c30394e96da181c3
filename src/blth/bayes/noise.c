/* Standard-normal noise for blth.bayes.noise: counter-based Philox4x32-10 + Box-Muller.
 *
 * Value i of a draw depends only on (seed, i): quad q = i / 4 is Philox4x32-10 (Salmon et al.
 * 2011, the generator of cuRAND and torch's CUDA RNG) of the counter (q, 0) under the 64-bit key
 * `seed`; its four 32-bit words make two Box-Muller pairs from 24-bit uniforms, as torch's own
 * normal_ does. Blocks of BLOCK values are spread over the OpenMP threads (the team torch already
 * runs, when built with -fopenmp), so the numbers do not depend on the thread count.
 *
 * Built by blth/noise.py with -O3 -ffast-math so that log and cos vectorise (glibc's libmvec);
 * it is linked without -ffast-math, which would switch the whole process to flush-to-zero.
 */
#include <math.h>
#include <stdint.h>

#define BLOCK 4096 /* values per work item, a multiple of 4 */
#define QUADS (BLOCK / 4)

static void block_normals(float *restrict out, int64_t first_quad, uint64_t seed) {
    float r1[QUADS], t1[QUADS], r2[QUADS], t2[QUADS];
#pragma omp simd
    for (int32_t j = 0; j < QUADS; j++) {
        uint64_t q = (uint64_t)(first_quad + j);
        uint32_t c0 = (uint32_t)q, c1 = (uint32_t)(q >> 32), c2 = 0, c3 = 0;
        uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
        for (int round = 0; round < 10; round++) {
            uint64_t p0 = (uint64_t)0xD2511F53u * c0;
            uint64_t p1 = (uint64_t)0xCD9E8D57u * c2;
            uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
            uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
            c1 = (uint32_t)p1;
            c3 = (uint32_t)p0;
            c0 = n0;
            c2 = n2;
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        r1[j] = (float)((c0 >> 8) + 1) * 0x1p-24f; /* (0, 1]: log is finite */
        t1[j] = (float)(c1 >> 8) * 0x1p-24f;       /* [0, 1) */
        r2[j] = (float)((c2 >> 8) + 1) * 0x1p-24f;
        t2[j] = (float)(c3 >> 8) * 0x1p-24f;
    }
#pragma omp simd
    for (int32_t j = 0; j < QUADS; j++) {
        r1[j] = sqrtf(-2.0f * logf(r1[j]));
        r2[j] = sqrtf(-2.0f * logf(r2[j]));
    }
    const float two_pi = 6.28318530717958648f, half_pi = 1.57079632679489662f;
#pragma omp simd
    for (int32_t j = 0; j < QUADS; j++) {
        /* sin as a shifted cos: GCC fuses sinf + cosf into sincosf, which does not vectorise */
        float a = two_pi * t1[j], b = two_pi * t2[j];
        out[4 * j] = r1[j] * cosf(a);
        out[4 * j + 1] = r1[j] * cosf(a - half_pi);
        out[4 * j + 2] = r2[j] * cosf(b);
        out[4 * j + 3] = r2[j] * cosf(b - half_pi);
    }
}

/* out[i] ~ N(0, 1) for i < n, out contiguous float32. */
void blth_fill_normal(float *out, int64_t n, uint64_t seed) {
    const int64_t full = n / BLOCK;
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < full; b++) {
        block_normals(out + b * BLOCK, b * QUADS, seed);
    }
    if (n > full * BLOCK) { /* the tail, through a whole block */
        float tail[BLOCK];
        block_normals(tail, full * QUADS, seed);
        for (int64_t i = full * BLOCK; i < n; i++) {
            out[i] = tail[i - full * BLOCK];
        }
    }
}
