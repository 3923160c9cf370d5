/*
 * trn_cuda_kernels.cu - the CUDA backend's kernels, one per CPU layer (see
 * trn_cuda.h). Written for clarity first: a warp or a block per row, the
 * same formulas as trn_layers.c, fp32 with the CPU's double accumulations
 * where they matter (layer norm statistics, loss and norm sums). Sums over
 * rows that many threads share (embedding and attention key/value
 * gradients) use atomics, so their rounding may differ from the CPU's fixed
 * order by a few ulp: the agreement check allows for that.
 */
#include "trn_cuda.h"

#include <math.h>

#define WARP 32

/* Blocks to cover n items, per per block (grid x allows 2^31 - 1; the
 * kernels without a grid-stride loop rely on full coverage). */
static inline unsigned blocks_for(size_t n, unsigned per)
{
	size_t b = (n + per - 1) / per;
	return (unsigned)(b < 1 ? 1 : b > 0x7fffffffu ? 0x7fffffffu : b);
}

struct op_sum { template <typename T> __device__ T operator()(T a, T b) const { return a + b; } };
struct op_max { __device__ float operator()(float a, float b) const { return fmaxf(a, b); } };

/* Combine v across the 32 lanes of a warp; every lane gets the result. */
template <typename T, typename Op>
__device__ static inline T warp_reduce(T v, Op op)
{
	for (int o = WARP / 2; o > 0; o >>= 1)
		v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
	return v;
}

__device__ static inline float warp_sum(float v) { return warp_reduce(v, op_sum()); }

/* Combine v across a block (whole warps; sh holds a value per warp, and is
 * safe to reuse at once: the leading barrier waits for earlier readers);
 * every thread gets the result. */
template <typename T, typename Op>
__device__ static T block_reduce(T v, T *sh, Op op)
{
	v = warp_reduce(v, op);
	int lane = threadIdx.x % WARP, w = threadIdx.x / WARP;
	__syncthreads();
	if (lane == 0)
		sh[w] = v;
	__syncthreads();
	T t = sh[0];
	for (int i = 1; i < (int)(blockDim.x / WARP); i++)
		t = op(t, sh[i]);
	return t;
}

__device__ static double block_sum_d(double v, double *sh) { return block_reduce(v, sh, op_sum()); }
__device__ static float block_max(float v, float *sh) { return block_reduce(v, sh, op_max()); }

/* ---- encoder ----------------------------------------------------------- */

__global__ static void k_encoder_forward(float *out, const uint32_t *tok, const int32_t *pos, const float *wte,
                                         int N, int C, int grid_width, int grid_prefix)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= (size_t)N * C)
		return;
	int n = (int)(i / C), c = (int)(i % C);
	float v = wte[(size_t)tok[n] * C + c];
	if (grid_width > 0) {
		/* trn_sin2d: first half the row, second half the column; pairs (sin, cos) */
		int p = pos[n], row, col;
		if (p < grid_prefix) { row = 0; col = p; }
		else { row = 1 + (p - grid_prefix) / grid_width; col = (p - grid_prefix) % grid_width; }
		int half = C / 2, part = c / half, j = c % half, k = j / 2;
		if (part < 2 && k < half / 2) {
			double x = part == 0 ? row : col;
			double freq = pow(10000.0, -2.0 * k / half);
			v += (float)((j & 1) ? cos(x * freq) : sin(x * freq));
		}
	}
	out[i] = v;
}

void cu_encoder_forward(float *out, const uint32_t *tok, const int32_t *pos, const float *wte, int N, int C,
                        int grid_width, int grid_prefix, cudaStream_t st)
{
	size_t n = (size_t)N * C;
	k_encoder_forward<<<blocks_for(n, 256), 256, 0, st>>>(out, tok, pos, wte, N, C, grid_width, grid_prefix);
}

__global__ static void k_encoder_backward(float *dwte, const float *dout, const uint32_t *tok, int N, int C)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= (size_t)N * C)
		return;
	int n = (int)(i / C), c = (int)(i % C);
	atomicAdd(&dwte[(size_t)tok[n] * C + c], dout[i]);
}

void cu_encoder_backward(float *dwte, const float *dout, const uint32_t *tok, int N, int C, cudaStream_t st)
{
	size_t n = (size_t)N * C;
	k_encoder_backward<<<blocks_for(n, 256), 256, 0, st>>>(dwte, dout, tok, N, C);
}

/* ---- layer norm: a block of 256 threads per row ------------------------- */

__global__ static void k_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                                           const float *w, const float *b, int C)
{
	__shared__ double sh[32];
	int n = blockIdx.x;
	const float *x = inp + (size_t)n * C;
	double s = 0;
	for (int c = threadIdx.x; c < C; c += blockDim.x)
		s += x[c];
	double m = block_sum_d(s, sh) / C;
	double v = 0;
	for (int c = threadIdx.x; c < C; c += blockDim.x)
		v += (x[c] - m) * (x[c] - m);
	v = block_sum_d(v, sh) / C;
	float r = (float)(1.0 / sqrt(v + 1e-5));
	float *o = out + (size_t)n * C;
	for (int c = threadIdx.x; c < C; c += blockDim.x)
		o[c] = ((float)(x[c] - m) * r) * w[c] + b[c];
	if (threadIdx.x == 0) {
		mean[n] = (float)m;
		rstd[n] = r;
	}
}

void cu_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                          const float *b, int N, int C, cudaStream_t st)
{
	k_layernorm_forward<<<N, 256, 0, st>>>(out, mean, rstd, inp, w, b, C);
}

__global__ static void k_layernorm_backward_inp(float *dinp, const float *dout, const float *inp,
                                                const float *w, const float *mean, const float *rstd, int C)
{
	__shared__ double sh[32];
	int n = blockIdx.x;
	const float *x = inp + (size_t)n * C, *g = dout + (size_t)n * C;
	float m = mean[n], s = rstd[n];
	double a = 0, bs = 0;
	for (int c = threadIdx.x; c < C; c += blockDim.x) {
		float xh = (x[c] - m) * s, dn = g[c] * w[c];
		a += dn;
		bs += dn * xh;
	}
	a = block_sum_d(a, sh);
	bs = block_sum_d(bs, sh);
	float ma = (float)(a / C), mb = (float)(bs / C);
	float *d = dinp + (size_t)n * C;
	for (int c = threadIdx.x; c < C; c += blockDim.x) {
		float xh = (x[c] - m) * s, dn = g[c] * w[c];
		d[c] += s * (dn - ma - xh * mb);
	}
}

/* One thread per channel walks the rows: reads are coalesced across the warp. */
__global__ static void k_layernorm_backward_w(float *dw, float *db, const float *dout, const float *inp,
                                              const float *mean, const float *rstd, int N, int C)
{
	int c = blockIdx.x * blockDim.x + threadIdx.x;
	if (c >= C)
		return;
	double gw = 0, gb = 0;
	for (int n = 0; n < N; n++) {
		float g = dout[(size_t)n * C + c];
		gw += g * ((inp[(size_t)n * C + c] - mean[n]) * rstd[n]);
		gb += g;
	}
	dw[c] += (float)gw;
	db[c] += (float)gb;
}

void cu_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                           const float *w, const float *mean, const float *rstd, int N, int C, cudaStream_t st)
{
	k_layernorm_backward_inp<<<N, 256, 0, st>>>(dinp, dout, inp, w, mean, rstd, C);
	k_layernorm_backward_w<<<(C + 255) / 256, 256, 0, st>>>(dw, db, dout, inp, mean, rstd, N, C);
}

/* ---- rotary positions: one thread per (row, pair) ------------------------ */

__global__ static void k_rope(float *qkv, const int32_t *pos, int N, int C, int NH, float theta, int inverse)
{
	int hd = C / NH, half = hd / 2;
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= (size_t)N * half)
		return;
	int n = (int)(i / half), j = (int)(i % half);
	double ang = pos[n] * pow((double)theta, -2.0 * j / hd);
	float cs = (float)cos(ang), sn = (float)(inverse ? -sin(ang) : sin(ang));
	for (int part = 0; part < 2; part++)
		for (int h = 0; h < NH; h++) {
			float *v = qkv + (size_t)n * 3 * C + (size_t)part * C + (size_t)h * hd;
			float a = v[j], b = v[j + half];
			v[j] = a * cs - b * sn;
			v[j + half] = a * sn + b * cs;
		}
}

void cu_rope(float *qkv, const int32_t *pos, int N, int C, int NH, float theta, int inverse, cudaStream_t st)
{
	size_t n = (size_t)N * (C / NH / 2);
	k_rope<<<blocks_for(n, 256), 256, 0, st>>>(qkv, pos, N, C, NH, theta, inverse);
}

/* ---- attention: a warp per (row, head, query) ---------------------------
 * The online softmax of trn_attention_forward; each lane holds hd/32 of the
 * output accumulator. Keys outside [seg[t], t] are never read. This is the
 * reference kernel (O(T^2) reads of K and V per head, no tiling); a fused,
 * tiled kernel for long context is to replace it once measured on a GPU. */
#define MAXD (256 / WARP)

__global__ static void k_attention_forward(float *out, float *lse, const float *qkv, const int32_t *seg,
                                           int B, int T, int C, int NH)
{
	int hd = C / NH, lane = threadIdx.x % WARP;
	size_t wid = ((size_t)blockIdx.x * blockDim.x + threadIdx.x) / WARP;
	if (wid >= (size_t)B * NH * T)
		return;
	int t = (int)(wid % T), h = (int)(wid / T % NH), b = (int)(wid / T / NH);
	float scale = 1.0f / sqrtf((float)hd);
	size_t row = (size_t)b * T + t;
	const float *q = qkv + row * 3 * C + (size_t)h * hd;
	float qr[MAXD], acc[MAXD];
	int nd = (hd + WARP - 1) / WARP;
	for (int k = 0; k < nd; k++) {
		int i = lane + k * WARP;
		qr[k] = i < hd ? q[i] : 0.0f;
		acc[k] = 0.0f;
	}
	float m = -INFINITY, l = 0.0f;
	for (int s = seg[row]; s <= t; s++) {
		const float *key = qkv + ((size_t)b * T + s) * 3 * C + C + (size_t)h * hd, *val = key + C;
		float d = 0.0f;
		for (int k = 0; k < nd; k++) {
			int i = lane + k * WARP;
			if (i < hd)
				d += qr[k] * key[i];
		}
		float x = warp_sum(d) * scale;
		if (x > m) {
			float r = expf(m - x);
			l *= r;
			for (int k = 0; k < nd; k++)
				acc[k] *= r;
			m = x;
		}
		float p = expf(x - m);
		l += p;
		for (int k = 0; k < nd; k++) {
			int i = lane + k * WARP;
			if (i < hd)
				acc[k] += p * val[i];
		}
	}
	float *o = out + row * C + (size_t)h * hd;
	for (int k = 0; k < nd; k++) {
		int i = lane + k * WARP;
		if (i < hd)
			o[i] = acc[k] / l;
	}
	if (lane == 0)
		lse[((size_t)b * NH + h) * T + t] = m + logf(l);
}

void cu_attention_forward(float *out, float *lse, const float *qkv, const int32_t *seg, int B, int T, int C,
                          int NH, cudaStream_t st)
{
	size_t threads = (size_t)B * NH * T * WARP;
	k_attention_forward<<<blocks_for(threads, 256), 256, 0, st>>>(out, lse, qkv, seg, B, T, C, NH);
}

__global__ static void k_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *out,
                                            const float *lse, const int32_t *seg, int B, int T, int C, int NH)
{
	int hd = C / NH, lane = threadIdx.x % WARP;
	size_t wid = ((size_t)blockIdx.x * blockDim.x + threadIdx.x) / WARP;
	if (wid >= (size_t)B * NH * T)
		return;
	int t = (int)(wid % T), h = (int)(wid / T % NH), b = (int)(wid / T / NH);
	float scale = 1.0f / sqrtf((float)hd);
	size_t row = (size_t)b * T + t;
	const float *q = qkv + row * 3 * C + (size_t)h * hd;
	const float *go = dout + row * C + (size_t)h * hd, *o = out + row * C + (size_t)h * hd;
	float *dq = dqkv + row * 3 * C + (size_t)h * hd;
	float L = lse[((size_t)b * NH + h) * T + t];
	float qr[MAXD], gr[MAXD], dqr[MAXD];
	int nd = (hd + WARP - 1) / WARP;
	float D = 0.0f;
	for (int k = 0; k < nd; k++) {
		int i = lane + k * WARP;
		qr[k] = i < hd ? q[i] : 0.0f;
		gr[k] = i < hd ? go[i] : 0.0f;
		dqr[k] = 0.0f;
		if (i < hd)
			D += gr[k] * o[i];
	}
	D = warp_sum(D);
	for (int s = seg[row]; s <= t; s++) {
		size_t srow = (size_t)b * T + s;
		const float *key = qkv + srow * 3 * C + C + (size_t)h * hd, *val = key + C;
		float *dk = dqkv + srow * 3 * C + C + (size_t)h * hd, *dv = dk + C;
		float x = 0.0f, dp = 0.0f;
		for (int k = 0; k < nd; k++) {
			int i = lane + k * WARP;
			if (i < hd) {
				x += qr[k] * key[i];
				dp += gr[k] * val[i];
			}
		}
		x = warp_sum(x);
		dp = warp_sum(dp);
		float p = expf(x * scale - L), ds = p * (dp - D) * scale;
		for (int k = 0; k < nd; k++) {
			int i = lane + k * WARP;
			if (i < hd) {
				atomicAdd(&dv[i], p * gr[k]);
				dqr[k] += ds * key[i];
				atomicAdd(&dk[i], ds * qr[k]);
			}
		}
	}
	for (int k = 0; k < nd; k++) {
		int i = lane + k * WARP;
		if (i < hd)
			dq[i] = dqr[k];
	}
}

void cu_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *out,
                           const float *lse, const int32_t *seg, int B, int T, int C, int NH, cudaStream_t st)
{
	cudaMemsetAsync(dqkv, 0, (size_t)B * T * 3 * C * sizeof(float), st);
	size_t threads = (size_t)B * NH * T * WARP;
	k_attention_backward<<<blocks_for(threads, 256), 256, 0, st>>>(dqkv, dout, qkv, out, lse, seg, B, T, C, NH);
}

/* ---- elementwise ---------------------------------------------------------- */

#define GELU_K 0.7978845608028654f

__global__ static void k_gelu_forward(float *out, const float *inp, size_t n)
{
	for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
		float x = inp[i];
		out[i] = 0.5f * x * (1.0f + tanhf(GELU_K * (x + 0.044715f * x * x * x)));
	}
}

__global__ static void k_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n)
{
	for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
		float x = inp[i];
		float u = GELU_K * (x + 0.044715f * x * x * x), th = tanhf(u), sech2 = 1.0f - th * th;
		float g = 0.5f * (1.0f + th) + 0.5f * x * sech2 * GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
		dinp[i] = g * dout[i];
	}
}

__global__ static void k_add(float *y, const float *x, size_t n)
{
	for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
		y[i] += x[i];
}

void cu_gelu_forward(float *out, const float *inp, size_t n, cudaStream_t st)
{
	k_gelu_forward<<<blocks_for(n, 256), 256, 0, st>>>(out, inp, n);
}

void cu_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n, cudaStream_t st)
{
	k_gelu_backward<<<blocks_for(n, 256), 256, 0, st>>>(dinp, inp, dout, n);
}

void cu_add(float *y, const float *x, size_t n, cudaStream_t st)
{
	k_add<<<blocks_for(n, 256), 256, 0, st>>>(y, x, n);
}

/* ---- softmax + cross-entropy: a block per row ------------------------------ */

__global__ static void k_softmax_ce_forward(float *probs, float *loss, const uint32_t *tgt, const float *w, int V)
{
	__shared__ float shf[32];
	__shared__ double sh[32];
	int n = blockIdx.x;
	float *p = probs + (size_t)n * V;
	float mx = -INFINITY;
	for (int v = threadIdx.x; v < V; v += blockDim.x)
		mx = fmaxf(mx, p[v]);
	mx = block_max(mx, shf);
	double s = 0;
	for (int v = threadIdx.x; v < V; v += blockDim.x) {
		float e = expf(p[v] - mx);
		p[v] = e;
		s += e;
	}
	s = block_sum_d(s, sh);
	float inv = (float)(1.0 / s);
	for (int v = threadIdx.x; v < V; v += blockDim.x)
		p[v] *= inv;
	__syncthreads();
	if (threadIdx.x == 0) {
		float pt = p[tgt[n]];
		loss[n] = w[n] == 0.0f ? 0.0f : (float)(w[n] * -log(pt > 1e-30f ? pt : 1e-30f));
	}
}

void cu_softmax_ce_forward(float *probs, float *loss, const uint32_t *tgt, const float *w, int N, int V,
                           cudaStream_t st)
{
	k_softmax_ce_forward<<<N, 256, 0, st>>>(probs, loss, tgt, w, V);
}

__global__ static void k_softmax_ce_backward(float *probs, const uint32_t *tgt, const float *w, int V, float scale)
{
	/* trn_softmax_ce_backward's operations exactly: p f, then f off the
	 * target; a masked row is zero (not 0 * a non-finite p) */
	int n = blockIdx.x;
	float *p = probs + (size_t)n * V, f = w[n] * scale;
	for (int v = threadIdx.x; v < V; v += blockDim.x) {
		float d = f == 0.0f ? 0.0f : __fmul_rn(p[v], f);
		p[v] = v == (int)tgt[n] && f != 0.0f ? __fsub_rn(d, f) : d;
	}
}

void cu_softmax_ce_backward(float *probs, const uint32_t *tgt, const float *w, int N, int V, float scale,
                            cudaStream_t st)
{
	k_softmax_ce_backward<<<N, 256, 0, st>>>(probs, tgt, w, V, scale);
}

/* ---- optimizer ------------------------------------------------------------- */

__global__ static void k_sumsq(double *part, const float *x, size_t n)
{
	__shared__ double sh[32];
	double s = 0;
	for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
		s += (double)x[i] * x[i];
	s = block_sum_d(s, sh);
	if (threadIdx.x == 0)
		part[blockIdx.x] = s;
}

int cu_sumsq(double *part, const float *x, size_t n, int max_blocks, cudaStream_t st)
{
	int nb = (int)blocks_for(n, 256);
	if (nb > max_blocks)
		nb = max_blocks;
	if (nb < 1)
		nb = 1;
	k_sumsq<<<nb, 256, 0, st>>>(part, x, n);
	return nb;
}

__global__ static void k_adamw(float *p, const float *g, float *m, float *v, size_t n, float gs, float lr, float wd,
                               float b1, float b2, float eps, double bc1, double bc2)
{
	for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
		float gi = g[i] * gs;
		m[i] = b1 * m[i] + (1.0f - b1) * gi;
		v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
		float mh = (float)(m[i] / bc1), vh = (float)(v[i] / bc2);   /* in double, as the CPU */
		p[i] -= lr * wd * p[i];
		p[i] -= lr * mh / (sqrtf(vh) + eps);
	}
}

void cu_adamw(float *p, const float *g, float *m, float *v, size_t n, float gs, float lr, float wd, float b1,
              float b2, float eps, double bc1, double bc2, cudaStream_t st)
{
	k_adamw<<<blocks_for(n, 256), 256, 0, st>>>(p, g, m, v, n, gs, lr, wd, b1, b2, eps, bc1, bc2);
}

__global__ static void k_muon_momentum(float *u, float *buf, const float *g, size_t n, float gs, float mu)
{
	for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
		float gi = g[i] * gs;
		buf[i] = mu * buf[i] + (1.0f - mu) * gi;
		u[i] = (1.0f - mu) * gi + mu * buf[i];
	}
}

void cu_muon_momentum(float *u, float *buf, const float *g, size_t n, float gs, float mu, cudaStream_t st)
{
	k_muon_momentum<<<blocks_for(n, 256), 256, 0, st>>>(u, buf, g, n, gs, mu);
}

__global__ static void k_muon_apply(float *p, const float *u, size_t n, float lr, float wd, float scale)
{
	for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
		p[i] -= lr * wd * p[i];
		p[i] -= lr * scale * u[i];
	}
}

void cu_muon_apply(float *p, const float *u, size_t n, float lr, float wd, float scale, cudaStream_t st)
{
	k_muon_apply<<<blocks_for(n, 256), 256, 0, st>>>(p, u, n, lr, wd, scale);
}

/* x *= 1 / (sqrt(sum of parts) + 1e-7): Newton-Schulz's normalisation,
 * without a round trip to the host. */
__global__ static void k_scale_by(float *x, const double *parts, int nparts, size_t n)
{
	double s = 0;
	for (int i = 0; i < nparts; i++)
		s += parts[i];
	float inv = (float)(1.0 / (sqrt(s) + 1e-7));
	for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
		x[i] *= inv;
}

void cu_scale_by(float *x, const double *sumsq_parts, int nparts, size_t n, cudaStream_t st)
{
	k_scale_by<<<blocks_for(n, 256), 256, 0, st>>>(x, sumsq_parts, nparts, n);
}
