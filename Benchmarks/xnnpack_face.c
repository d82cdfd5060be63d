// The face-expression network's shape (48x48 gray; four stages of two 3x3 convolutions with ReLU,
// 2x2 max pooling between; widths from the command line) on XNNPACK (Debian libxnnpack-dev), NHWC
// float32, batch 1, no thread pool (the caller's thread): forward passes per second, to weigh
// XNNPACK against oneDNN for EmoPipeNN (Benchmarks/expression.sh builds and runs it when the
// package is installed). Random weights: the time does not depend on them.
//   cc -O2 Benchmarks/xnnpack_face.c -lXNNPACK -o /tmp/xnnpack_face && /tmp/xnnpack_face 3000 32 64 128 256
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <math.h>
#include <xnnpack.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *randoms(size_t count) {
  float *values = malloc(count * sizeof(float));
  for (size_t i = 0; i < count; i++) values[i] = (float)rand() / RAND_MAX * 0.1f - 0.05f;
  return values;
}

int main(int argc, char **argv) {
  int passes = argc > 1 ? atoi(argv[1]) : 3000;
  int widths[4] = {32, 64, 128, 256};
  for (int i = 0; i < 4 && argc > 2 + i; i++) widths[i] = atoi(argv[2 + i]);
  if (xnn_initialize(NULL) != xnn_status_success) { fprintf(stderr, "xnn_initialize failed\n"); return 1; }
  xnn_operator_t ops[16];
  float *buffers[17];
  int count = 0, size = 48, channels = 1;
  buffers[0] = randoms(48 * 48);
  for (int stage = 0; stage < 4; stage++) {
    for (int layer = 0; layer < 2; layer++) {
      int out = widths[stage];
      float *kernel = randoms((size_t)out * 9 * channels), *bias = randoms(out);
      if (xnn_create_convolution2d_nhwc_f32(1, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1, channels, out, channels, out, kernel, bias,
                                            0.0f, INFINITY, 0, &ops[count]) != xnn_status_success) { fprintf(stderr, "conv\n"); return 1; }
      buffers[count + 1] = randoms((size_t)size * size * out);
      if (xnn_setup_convolution2d_nhwc_f32(ops[count], 1, size, size, buffers[count], buffers[count + 1], NULL) != xnn_status_success) {
        fprintf(stderr, "conv setup\n"); return 1;
      }
      count++;
      channels = out;
    }
    if (stage < 3) {
      if (xnn_create_max_pooling2d_nhwc_f32(0, 0, 0, 0, 2, 2, 2, 2, 1, 1, channels, channels, channels, -INFINITY, INFINITY, 0,
                                            &ops[count]) != xnn_status_success) { fprintf(stderr, "pool\n"); return 1; }
      buffers[count + 1] = randoms((size_t)(size / 2) * (size / 2) * channels);
      if (xnn_setup_max_pooling2d_nhwc_f32(ops[count], 1, size, size, buffers[count], buffers[count + 1], NULL) != xnn_status_success) {
        fprintf(stderr, "pool setup\n"); return 1;
      }
      count++;
      size /= 2;
    }
  }
  for (int pass = 0; pass < 20; pass++) for (int i = 0; i < count; i++) xnn_run_operator(ops[i], NULL);
  double start = now();
  for (int pass = 0; pass < passes; pass++) for (int i = 0; i < count; i++) xnn_run_operator(ops[i], NULL);
  double seconds = now() - start;
  printf("%d passes in %.3f s: %.1f passes/s (%.3f ms each)\n", passes, seconds, passes / seconds, 1000 * seconds / passes);
  return 0;
}
