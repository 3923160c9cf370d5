/*
 * trn_layers.c - the transformer's layers, forward and backward, on the CPU.
 * Each kernel names its tensor shapes (llm.c's manner); loops that split
 * work over threads give every thread whole output rows, so the result is
 * the same for any OMP_NUM_THREADS (a resumed run must be bit-exact).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train_internal.h"

/* Below this much work a parallel region costs more than it saves (tiny
 * test models on a busy machine spend their time in thread barriers). */
#define PAR(work) ((size_t)(work) > (1u << 20))

/* ---- encoder ----------------------------------------------------------- */

/* PixelLLM's 2-D sinusoidal position: the first half of the vector encodes
 * the row, the second half the column. Prefix tokens (BOS, conditioning)
 * sit in row 0; grid cell k is row 1 + k / grid_width, column k % width. */
void trn_sin2d(float *out, int pos, int C, int grid_width, int grid_prefix)
{
	int row, col;
	if (pos < grid_prefix) {
		row = 0;
		col = pos;
	} else {
		row = 1 + (pos - grid_prefix) / grid_width;
		col = (pos - grid_prefix) % grid_width;
	}
	int half = C / 2;
	for (int part = 0; part < 2; part++) {
		double v = part == 0 ? row : col;
		float *o = out + part * half;
		for (int i = 0; i < half / 2; i++) {
			double freq = pow(10000.0, -2.0 * i / half);
			o[2 * i] = (float)sin(v * freq);
			o[2 * i + 1] = (float)cos(v * freq);
		}
	}
}

void trn_encoder_forward(float *out, const uint32_t *tok, const int32_t *pos, const float *wte,
                         int N, int C, int grid_width, int grid_prefix)
{
#pragma omp parallel for if (PAR((size_t)N * C * 8))
	for (int n = 0; n < N; n++) {
		float *o = out + (size_t)n * C;
		memcpy(o, wte + (size_t)tok[n] * C, (size_t)C * sizeof(float));
		if (grid_width > 0) {
			float pe[TRN_MAX_WIDTH];
			trn_sin2d(pe, pos[n], C, grid_width, grid_prefix);
			for (int c = 0; c < C; c++)
				o[c] += pe[c];
		}
	}
}

/* Serial: two positions with the same token add into the same row, and a
 * fixed order keeps the sum reproducible. */
void trn_encoder_backward(float *dwte, const float *dout, const uint32_t *tok, int N, int C)
{
	for (int n = 0; n < N; n++) {
		float *d = dwte + (size_t)tok[n] * C;
		const float *g = dout + (size_t)n * C;
		for (int c = 0; c < C; c++)
			d[c] += g[c];
	}
}

/* ---- layer norm (eps 1e-5, as torch) ------------------------------------ */

void trn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                           const float *w, const float *b, int N, int C)
{
#pragma omp parallel for if (PAR((size_t)N * C))
	for (int n = 0; n < N; n++) {
		const float *x = inp + (size_t)n * C;
		double m = 0, v = 0;
		for (int c = 0; c < C; c++)
			m += x[c];
		m /= C;
		for (int c = 0; c < C; c++)
			v += (x[c] - m) * (x[c] - m);
		v /= C;
		float s = (float)(1.0 / sqrt(v + 1e-5));
		float *o = out + (size_t)n * C;
		for (int c = 0; c < C; c++)
			o[c] = ((float)(x[c] - m) * s) * w[c] + b[c];
		mean[n] = (float)m;
		rstd[n] = s;
	}
}

void trn_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                            const float *w, const float *mean, const float *rstd, int N, int C)
{
	/* input gradient: rows are independent */
#pragma omp parallel for if (PAR((size_t)N * C))
	for (int n = 0; n < N; n++) {
		const float *x = inp + (size_t)n * C, *g = dout + (size_t)n * C;
		float m = mean[n], s = rstd[n];
		/* dnorm = g * w; dx = s * (dnorm - mean(dnorm) - xhat * mean(dnorm * xhat)) */
		double a = 0, bsum = 0;
		for (int c = 0; c < C; c++) {
			float xh = (x[c] - m) * s, dn = g[c] * w[c];
			a += dn;
			bsum += dn * xh;
		}
		float ma = (float)(a / C), mb = (float)(bsum / C);
		float *d = dinp + (size_t)n * C;
		for (int c = 0; c < C; c++) {
			float xh = (x[c] - m) * s, dn = g[c] * w[c];
			d[c] += s * (dn - ma - xh * mb);
		}
	}
	/* weight gradients: sum over rows, one thread per channel */
#pragma omp parallel for if (PAR((size_t)N * C))
	for (int c = 0; c < C; c++) {
		double gw = 0, gb = 0;
		for (int n = 0; n < N; n++) {
			float g = dout[(size_t)n * C + c];
			gw += g * ((inp[(size_t)n * C + c] - mean[n]) * rstd[n]);
			gb += g;
		}
		dw[c] += (float)gw;
		db[c] += (float)gb;
	}
}

/* ---- matmul ------------------------------------------------------------- */


void trn_matmul_forward(float *out, const float *inp, const float *W, int N, int C, int OC)
{
#pragma omp parallel for if (PAR((size_t)N * C * OC))
	for (int n = 0; n < N; n++) {
		const float *x = inp + (size_t)n * C;
		float *o = out + (size_t)n * OC;
		for (int k = 0; k < OC; k++)
			o[k] = trn_dot(x, W + (size_t)k * C, C);
	}
}

/* dinp[n, c] = sum_k dout[n, k] W[k, c] is computed as a dot product against
 * W transposed (a copy per call, OC*C floats: small next to the N*OC*C work),
 * so it runs on registers instead of streaming stores. dW[k, c] sums over the
 * rows n in order, one thread per output row k. */
void trn_matmul_backward(float *dinp, float *dW, const float *dout, const float *inp, const float *W,
                         int N, int C, int OC)
{
	if (dinp) {
		float *wt = malloc((size_t)OC * C * sizeof(float));
		if (wt) {
			for (int k = 0; k < OC; k++)
				for (int c = 0; c < C; c++)
					wt[(size_t)c * OC + k] = W[(size_t)k * C + c];
		}
#pragma omp parallel for if (PAR((size_t)N * C * OC))
		for (int n = 0; n < N; n++) {
			float *d = dinp + (size_t)n * C;
			const float *g = dout + (size_t)n * OC;
			if (wt) {
				for (int c = 0; c < C; c++)
					d[c] = trn_dot(g, wt + (size_t)c * OC, OC);
				continue;
			}
			/* no memory for the transpose: the same sums read with a stride */
			for (int c = 0; c < C; c++)
				d[c] = trn_dot_strided(g, W + c, (size_t)C, OC);
		}
		free(wt);
	}
#pragma omp parallel for if (PAR((size_t)N * C * OC))
	for (int k = 0; k < OC; k++) {
		float *dw = dW + (size_t)k * C;
		for (int n = 0; n < N; n++) {
			float gk = dout[(size_t)n * OC + k];
			if (gk == 0.0f)
				continue;
			const float *x = inp + (size_t)n * C;
			for (int c = 0; c < C; c++)
				dw[c] += gk * x[c];
		}
	}
}

/* ---- rotary positions --------------------------------------------------- */

void trn_rope(float *qkv, const int32_t *pos, int N, int C, int NH, float theta, int inverse)
{
	int hd = C / NH, half = hd / 2;
#pragma omp parallel for if (PAR((size_t)N * C * 8))
	for (int n = 0; n < N; n++) {
		for (int i = 0; i < half; i++) {
			double ang = pos[n] * pow(theta, -2.0 * i / hd);
			float cs = (float)cos(ang), sn = (float)(inverse ? -sin(ang) : sin(ang));
			for (int part = 0; part < 2; part++) {   /* q, then k */
				for (int h = 0; h < NH; h++) {
					float *v = qkv + (size_t)n * 3 * C + (size_t)part * C + (size_t)h * hd;
					float a = v[i], b = v[i + half];
					v[i] = a * cs - b * sn;
					v[i + half] = a * sn + b * cs;
				}
			}
		}
	}
}

/* ---- attention ---------------------------------------------------------- */

/* One pass with an online softmax (running max m, running sum l), so no
 * (T, T) matrix is ever stored; the backward recomputes the probabilities
 * from the saved log-sum-exp. */
void trn_attention_forward(float *out, float *lse, const float *qkv, const int32_t *seg,
                           int B, int T, int C, int NH)
{
	int hd = C / NH;
	float scale = 1.0f / sqrtf((float)hd);
#pragma omp parallel for collapse(3) if (PAR((size_t)B * T * T * C))
	for (int b = 0; b < B; b++)
		for (int h = 0; h < NH; h++)
			for (int t = 0; t < T; t++) {
				const float *q = qkv + ((size_t)b * T + t) * 3 * C + (size_t)h * hd;
				float acc[TRN_MAX_HEAD_DIM];
				float m = -INFINITY, l = 0;
				memset(acc, 0, (size_t)hd * sizeof(float));
				for (int s = seg[(size_t)b * T + t]; s <= t; s++) {
					const float *k = qkv + ((size_t)b * T + s) * 3 * C + C + (size_t)h * hd;
					const float *v = k + C;
					float x = trn_dot(q, k, hd) * scale;
					if (x > m) {
						float r = expf(m - x);   /* m = -inf on the first key: r = 0 */
						l *= r;
						for (int i = 0; i < hd; i++)
							acc[i] *= r;
						m = x;
					}
					float p = expf(x - m);
					l += p;
					for (int i = 0; i < hd; i++)
						acc[i] += p * v[i];
				}
				float *o = out + ((size_t)b * T + t) * C + (size_t)h * hd;
				for (int i = 0; i < hd; i++)
					o[i] = acc[i] / l;
				lse[((size_t)b * NH + h) * T + t] = m + logf(l);
			}
}

/* Threads own whole (b, h) pairs: dk and dv of a key collect contributions
 * from every later query of the same head, so this split has no races. */
void trn_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *out,
                            const float *lse, const int32_t *seg, int B, int T, int C, int NH)
{
	int hd = C / NH;
	float scale = 1.0f / sqrtf((float)hd);
#pragma omp parallel for collapse(2) if (PAR((size_t)B * T * T * C))
	for (int b = 0; b < B; b++)
		for (int h = 0; h < NH; h++) {
			for (int t = 0; t < T; t++) {
				float *dq = dqkv + ((size_t)b * T + t) * 3 * C + (size_t)h * hd;
				memset(dq, 0, (size_t)hd * sizeof(float));
				memset(dq + C, 0, (size_t)hd * sizeof(float));
				memset(dq + 2 * C, 0, (size_t)hd * sizeof(float));
			}
			for (int t = 0; t < T; t++) {
				size_t row = (size_t)b * T + t;
				const float *q = qkv + row * 3 * C + (size_t)h * hd;
				const float *go = dout + row * C + (size_t)h * hd;
				const float *o = out + row * C + (size_t)h * hd;
				float *dq = dqkv + row * 3 * C + (size_t)h * hd;
				float L = lse[((size_t)b * NH + h) * T + t];
				/* D = sum_s p_s dp_s = dout . out */
				float D = trn_dot(go, o, hd);
				for (int s = seg[row]; s <= t; s++) {
					size_t srow = (size_t)b * T + s;
					const float *k = qkv + srow * 3 * C + C + (size_t)h * hd;
					const float *v = k + C;
					float *dk = dqkv + srow * 3 * C + C + (size_t)h * hd;
					float *dv = dk + C;
					float x = trn_dot(q, k, hd), dp = trn_dot(go, v, hd);
					float p = expf(x * scale - L);
					float ds = p * (dp - D) * scale;
					for (int i = 0; i < hd; i++) {
						dv[i] += p * go[i];
						dq[i] += ds * k[i];
						dk[i] += ds * q[i];
					}
				}
			}
		}
}

/* ---- GELU --------------------------------------------------------------- */

#define GELU_K 0.7978845608028654f   /* sqrt(2 / pi) */

void trn_gelu_forward(float *out, const float *inp, size_t n)
{
#pragma omp parallel for if (PAR(n * 8))
	for (size_t i = 0; i < n; i++) {
		float x = inp[i];
		out[i] = 0.5f * x * (1.0f + tanhf(GELU_K * (x + 0.044715f * x * x * x)));
	}
}

void trn_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n)
{
#pragma omp parallel for if (PAR(n * 8))
	for (size_t i = 0; i < n; i++) {
		float x = inp[i];
		float u = GELU_K * (x + 0.044715f * x * x * x);
		float th = tanhf(u);
		float sech2 = 1.0f - th * th;
		float g = 0.5f * (1.0f + th) + 0.5f * x * sech2 * GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
		dinp[i] = g * dout[i];
	}
}

/* ---- softmax + cross-entropy --------------------------------------------- */

void trn_softmax_ce_forward(float *probs, const uint32_t *tgt, const float *w, int N, int V,
                            double *loss_sum, double *wsum)
{
#pragma omp parallel for if (PAR((size_t)N * V * 4))
	for (int n = 0; n < N; n++) {
		float *p = probs + (size_t)n * V;
		float mx = -INFINITY;
		for (int v = 0; v < V; v++)
			if (p[v] > mx)
				mx = p[v];
		double sum = 0;
		for (int v = 0; v < V; v++) {
			p[v] = expf(p[v] - mx);
			sum += p[v];
		}
		float inv = (float)(1.0 / sum);
		for (int v = 0; v < V; v++)
			p[v] *= inv;
	}
	/* the loss is summed in a fixed order (reproducible for any thread count) */
	double ls = 0, ws = 0;
	for (int n = 0; n < N; n++) {
		if (w[n] == 0.0f)
			continue;
		float p = probs[(size_t)n * V + tgt[n]];
		ls += w[n] * -log(p > 1e-30f ? p : 1e-30f);
		ws += w[n];
	}
	*loss_sum = ls;
	*wsum = ws;
}

void trn_softmax_ce_backward(float *probs, const uint32_t *tgt, const float *w, int N, int V, float scale)
{
#pragma omp parallel for if (PAR((size_t)N * V))
	for (int n = 0; n < N; n++) {
		float *p = probs + (size_t)n * V;
		float f = w[n] * scale;
		if (f == 0.0f) {
			memset(p, 0, (size_t)V * sizeof(float));
			continue;
		}
		for (int v = 0; v < V; v++)
			p[v] *= f;
		p[tgt[n]] -= f;
	}
}
