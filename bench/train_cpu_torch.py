#!/usr/bin/env python3
"""train_cpu_torch.py - the peer for bench/train_cpu.sh: the same model as
kiln-train's CPU path (pre-norm, rotary, GELU-tanh MLP, untied head) trained
with PyTorch on the CPU in float32, AdamW, random token batches. Prints
"tokens_per_s N" measured after a warm-up step.

usage: train_cpu_torch.py LAYERS WIDTH HEADS VOCAB CONTEXT BATCH STEPS THREADS
"""
import math
import sys
import time

import torch
import torch.nn.functional as F

L, C, NH, V, T, B, STEPS, THREADS = (int(a) for a in sys.argv[1:9])
torch.set_num_threads(THREADS)
torch.manual_seed(0)
hd = C // NH


def p(*shape, std=0.02):
    return (torch.randn(*shape) * std).requires_grad_(True)


P = {'wte': p(V, C), 'wout': p(V, C), 'lnfw': torch.ones(C, requires_grad=True),
     'lnfb': torch.zeros(C, requires_grad=True)}
for l in range(L):
    P.update({f'{l}.ln1w': torch.ones(C, requires_grad=True), f'{l}.ln1b': torch.zeros(C, requires_grad=True),
              f'{l}.wqkv': p(3 * C, C), f'{l}.wo': p(C, C),
              f'{l}.ln2w': torch.ones(C, requires_grad=True), f'{l}.ln2b': torch.zeros(C, requires_grad=True),
              f'{l}.wfc': p(4 * C, C), f'{l}.wproj': p(C, 4 * C)})
i = torch.arange(hd // 2, dtype=torch.float32)
ang = torch.arange(T, dtype=torch.float32)[:, None] * 10000.0 ** (-2.0 * i / hd)
cos, sin = torch.cos(ang), torch.sin(ang)


def rope(x):
    a, b = x[..., :hd // 2], x[..., hd // 2:]
    return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)


def forward(tok, tgt):
    x = P['wte'][tok]
    for l in range(L):
        h = F.layer_norm(x, (C,), P[f'{l}.ln1w'], P[f'{l}.ln1b'])
        q, k, v = (h @ P[f'{l}.wqkv'].T).split(C, dim=-1)
        q, k, v = (t.view(B, T, NH, hd).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(rope(q), rope(k), v, is_causal=True) \
            if hasattr(F, 'scaled_dot_product_attention') else \
            ((rope(q) @ rope(k).transpose(-1, -2) / math.sqrt(hd)).masked_fill(
                torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float('-inf')).softmax(-1) @ v)
        x = x + y.transpose(1, 2).reshape(B, T, C) @ P[f'{l}.wo'].T
        h = F.layer_norm(x, (C,), P[f'{l}.ln2w'], P[f'{l}.ln2b'])
        x = x + F.gelu(h @ P[f'{l}.wfc'].T, approximate='tanh') @ P[f'{l}.wproj'].T
    x = F.layer_norm(x, (C,), P['lnfw'], P['lnfb'])
    return F.cross_entropy((x @ P['wout'].T).view(-1, V), tgt.view(-1))


opt = torch.optim.AdamW(list(P.values()), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.0)
tok = torch.randint(0, V, (B, T))
tgt = torch.randint(0, V, (B, T))
for s in range(STEPS + 1):
    if s == 1:
        t0 = time.perf_counter()
    opt.zero_grad()
    loss = forward(tok, tgt)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(list(P.values()), 1.0)
    opt.step()
dt = time.perf_counter() - t0
print(f'tokens_per_s {STEPS * B * T / dt:.1f}')
