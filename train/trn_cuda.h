/*
 * trn_cuda.h - the CUDA backend's kernels (trn_cuda_kernels.cu), called by
 * its driver (trn_cuda.cu). Each mirrors the CPU layer of the same name in
 * trn_layers.c / trn_optim.c, with the same shapes and the same "backward
 * adds into weight gradients" rule; matmuls go to cuBLAS in the driver.
 * fp32 throughout: this is the path checked against the CPU reference.
 * Internal to train/; C++ (nvcc) only.
 */
#ifndef KILN_TRN_CUDA_H
#define KILN_TRN_CUDA_H

#include <cuda_runtime.h>
#include <stdint.h>

void cu_encoder_forward(float *out, const uint32_t *tok, const int32_t *pos, const float *wte, int N, int C,
                        int grid_width, int grid_prefix, cudaStream_t st);
void cu_encoder_backward(float *dwte, const float *dout, const uint32_t *tok, int N, int C, cudaStream_t st);
void cu_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                          const float *b, int N, int C, cudaStream_t st);
void cu_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                           const float *w, const float *mean, const float *rstd, int N, int C, cudaStream_t st);
void cu_rope(float *qkv, const int32_t *pos, int N, int C, int NH, float theta, int inverse, cudaStream_t st);
void cu_attention_forward(float *out, float *lse, const float *qkv, const int32_t *seg, int B, int T, int C,
                          int NH, cudaStream_t st);
/* dqkv is overwritten (zeroed here first). */
void cu_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *out,
                           const float *lse, const int32_t *seg, int B, int T, int C, int NH, cudaStream_t st);
void cu_gelu_forward(float *out, const float *inp, size_t n, cudaStream_t st);
void cu_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n, cudaStream_t st);
/* y += x */
void cu_add(float *y, const float *x, size_t n, cudaStream_t st);
/* probs (N, V) = softmax(logits) in place; loss[n] = w[n] * -log p[tgt[n]] */
void cu_softmax_ce_forward(float *probs, float *loss, const uint32_t *tgt, const float *w, int N, int V,
                           cudaStream_t st);
void cu_softmax_ce_backward(float *probs, const uint32_t *tgt, const float *w, int N, int V, float scale,
                            cudaStream_t st);
/* part[0..blocks) = partial sums of x^2 in double; returns the block count
 * used (<= max_blocks). */
int cu_sumsq(double *part, const float *x, size_t n, int max_blocks, cudaStream_t st);
void cu_adamw(float *p, const float *g, float *m, float *v, size_t n, float gs, float lr, float wd, float b1,
              float b2, float eps, double bc1, double bc2, cudaStream_t st);
/* buf = mu buf + (1 - mu) g gs; u = (1 - mu) g gs + mu buf */
void cu_muon_momentum(float *u, float *buf, const float *g, size_t n, float gs, float mu, cudaStream_t st);
/* p -= lr wd p + lr scale u */
void cu_muon_apply(float *p, const float *u, size_t n, float lr, float wd, float scale, cudaStream_t st);
/* x *= 1 / (sqrt(sum of the nparts partial sums) + 1e-7), on the device */
void cu_scale_by(float *x, const double *sumsq_parts, int nparts, size_t n, cudaStream_t st);

#endif
