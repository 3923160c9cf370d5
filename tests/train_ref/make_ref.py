#!/usr/bin/env python3
"""make_ref.py - reference tensors for kiln-train's CPU path, from PyTorch.

For two tiny models (A: rotary positions, untied head, AdamW; B: 2-D
sinusoidal positions, tied head, Muon) this writes the weights, a batch with
packed documents and masked prompt positions, and what PyTorch computes from
them in float64: probabilities, loss, every gradient, and the losses and
weights after three optimizer steps. tests/unit/train_test.c loads the file
and must agree within stated tolerances (llm.c's test_gpt2 method), so CI
needs no torch. Run with Debian's python3-torch:

    /usr/bin/python3 tests/train_ref/make_ref.py tests/train_ref/ref.bin

File: "KTRNREF1", then records: name (32 bytes, NUL padded), u32 type
(0 f32, 1 u32, 2 i32, 3 text), u64 count, count elements (little-endian).
"""
import math
import struct
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(1234)
D = torch.float64


def config_text(m, s):
    return f"""seed = 1
[model]
layers = {m['L']}
width = {m['C']}
heads = {m['NH']}
context = {m['T']}
vocab = {m['V']}
mlp = 4
position = {m['pos']}
tie_embeddings = {'yes' if m['tie'] else 'no'}
rope_theta = 10000
grid_width = {m.get('gw', 0)}
grid_prefix = {m.get('gp', 0)}
[stage ref]
context = {m['T']}
batch = {m['B']}
steps = 3
optimizer = {s['opt']}
lr = {s['lr']}
muon_lr = {s['muon_lr']}
weight_decay = {s['wd']}
beta1 = 0.9
beta2 = 0.95
eps = 1e-08
momentum = 0.95
ns_steps = 5
grad_clip = {s['clip']}
schedule = constant
warmup = 0
"""


def param_shapes(m):
    """Same order as trn_model.c layout()."""
    C, V, Fh = m['C'], m['V'], 4 * m['C']
    out = [('wte', (V, C))]
    if not m['tie']:
        out.append(('wout', (V, C)))
    for l in range(m['L']):
        out += [(f'h{l}.ln1.w', (C,)), (f'h{l}.ln1.b', (C,)), (f'h{l}.wqkv', (3 * C, C)),
                (f'h{l}.wo', (C, C)), (f'h{l}.ln2.w', (C,)), (f'h{l}.ln2.b', (C,)),
                (f'h{l}.wfc', (Fh, C)), (f'h{l}.wproj', (C, Fh))]
    out += [('lnf.w', (C,)), ('lnf.b', (C,))]
    return out


def sin2d(pos, C, gw, gp):
    half = C // 2
    e = torch.zeros(C, dtype=D)
    if pos < gp:
        row, col = 0, pos
    else:
        row, col = 1 + (pos - gp) // gw, (pos - gp) % gw
    for part, v in enumerate((row, col)):
        for i in range(half // 2):
            f = 10000.0 ** (-2.0 * i / half)
            e[part * half + 2 * i] = math.sin(v * f)
            e[part * half + 2 * i + 1] = math.cos(v * f)
    return e


def rope(x, pos, theta):
    # x (B, NH, T, hd); half-split pairs (i, i + hd/2)
    hd = x.shape[-1]
    half = hd // 2
    i = torch.arange(half, dtype=D)
    ang = pos.to(D)[:, None, :, None] * theta ** (-2.0 * i / hd)   # (B,1,T,half)
    c, s = torch.cos(ang), torch.sin(ang)
    a, b = x[..., :half], x[..., half:]
    return torch.cat([a * c - b * s, a * s + b * c], dim=-1)


def forward(m, P, batch):
    tok, tgt, w, pos, seg = batch
    B, T = tok.shape
    C, NH = m['C'], m['NH']
    hd = C // NH
    x = P['wte'][tok]
    if m['pos'] == 'sin2d':
        pe = torch.stack([torch.stack([sin2d(int(pos[b, t]), C, m['gw'], m['gp']) for t in range(T)])
                          for b in range(B)])
        x = x + pe
    t_idx = torch.arange(T)
    allowed = (t_idx[None, None, :] <= t_idx[None, :, None]) & (t_idx[None, None, :] >= seg[:, :, None])
    for l in range(m['L']):
        h = F.layer_norm(x, (C,), P[f'h{l}.ln1.w'], P[f'h{l}.ln1.b'], eps=1e-5)
        qkv = h @ P[f'h{l}.wqkv'].T
        q, k, v = qkv.split(C, dim=-1)
        q, k, v = (t.view(B, T, NH, hd).transpose(1, 2) for t in (q, k, v))
        if m['pos'] == 'rope':
            q, k = rope(q, pos, 10000.0), rope(k, pos, 10000.0)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        att = att.masked_fill(~allowed[:, None, :, :], float('-inf'))
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, C)
        x = x + y @ P[f'h{l}.wo'].T
        h = F.layer_norm(x, (C,), P[f'h{l}.ln2.w'], P[f'h{l}.ln2.b'], eps=1e-5)
        x = x + F.gelu(h @ P[f'h{l}.wfc'].T, approximate='tanh') @ P[f'h{l}.wproj'].T
    x = F.layer_norm(x, (C,), P['lnf.w'], P['lnf.b'], eps=1e-5)
    logits = x @ (P['wte'] if m['tie'] else P['wout']).T
    ce = F.cross_entropy(logits.view(-1, logits.shape[-1]), tgt.view(-1), reduction='none')
    loss = (ce * w.view(-1)).sum() / w.sum()
    return loss, logits.softmax(-1)


def newton_schulz(G, steps):
    a, b, c = 3.4445, -4.7750, 2.0315
    X = G / (G.norm() + 1e-7)
    tr = G.shape[0] > G.shape[1]
    if tr:
        X = X.T
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    return X.T if tr else X


def train_steps(m, s, P, batch, names, shapes):
    """Three steps of the stage's optimizer; returns the losses."""
    params = [P[n] for n in names]
    matrices = [P[n] for n, sh in zip(names, shapes) if len(sh) == 2 and n not in ('wte', 'wout')]
    muon = s['opt'] == 'muon'
    adam_params = [p for p in params if not (muon and any(p is q for q in matrices))]
    decay = [p for p in adam_params if p.dim() == 2]
    nodecay = [p for p in adam_params if p.dim() == 1]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': s['wd']},
                             {'params': nodecay, 'weight_decay': 0.0}],
                            lr=s['lr'], betas=(0.9, 0.95), eps=1e-8)
    bufs = {id(p): torch.zeros_like(p) for p in matrices}
    losses = []
    for _ in range(3):
        for p in params:
            p.grad = None
        loss, _ = forward(m, P, batch)
        loss.backward()
        losses.append(loss.item())
        torch.nn.utils.clip_grad_norm_(params, s['clip'])
        opt.step()
        if muon:
            mu = 0.95
            with torch.no_grad():
                for p in matrices:
                    buf = bufs[id(p)]
                    buf.mul_(mu).add_(p.grad, alpha=1 - mu)
                    u = (1 - mu) * p.grad + mu * buf
                    u = newton_schulz(u, 5)
                    scale = max(1.0, p.shape[0] / p.shape[1]) ** 0.5
                    p.mul_(1 - s['muon_lr'] * s['wd'])
                    p.add_(u, alpha=-s['muon_lr'] * scale)
    return losses


def make_batch(m):
    B, T, V = m['B'], m['T'], m['V']
    tok = torch.randint(0, V, (B, T))
    tgt = torch.randint(0, V, (B, T))
    w = torch.ones(B, T, dtype=D)
    w[0, :2] = 0                        # a prompt: no loss on its predictions
    w[1, -1] = 0                        # padding
    seg = torch.zeros(B, T, dtype=torch.long)
    pos = torch.arange(T).repeat(B, 1)
    cut = T // 2                        # row 1 packs two documents
    seg[1, cut:] = cut
    pos[1, cut:] -= cut
    return tok, tgt, w, pos, seg


def records_for(tag, m, s, out):
    names = [n for n, _ in param_shapes(m)]
    shapes = [sh for _, sh in param_shapes(m)]
    P = {}
    for n, sh in zip(names, shapes):
        if len(sh) == 1:
            t = (1.0 + 0.1 * torch.randn(sh, dtype=D)) if n.endswith('.w') else 0.1 * torch.randn(sh, dtype=D)
        else:
            t = 0.3 * torch.randn(sh, dtype=D)
        # the C side holds float32: round here so both start from the same weights
        P[n] = t.float().to(D).requires_grad_(True)
    batch = make_batch(m)
    tok, tgt, w, pos, seg = batch
    out.append((f'{tag}.config', 3, config_text(m, s).encode()))
    out.append((f'{tag}.tok', 1, tok.flatten().tolist()))
    out.append((f'{tag}.tgt', 1, tgt.flatten().tolist()))
    out.append((f'{tag}.w', 0, w.flatten().tolist()))
    out.append((f'{tag}.pos', 2, pos.flatten().tolist()))
    out.append((f'{tag}.seg', 2, seg.flatten().tolist()))
    out.append((f'{tag}.params', 0, torch.cat([P[n].detach().flatten() for n in names]).tolist()))
    loss, probs = forward(m, P, batch)
    loss.backward()
    out.append((f'{tag}.loss', 0, [loss.item()]))
    out.append((f'{tag}.probs', 0, probs.detach().flatten().tolist()))
    out.append((f'{tag}.grads', 0, torch.cat([P[n].grad.flatten() for n in names]).tolist()))
    losses = train_steps(m, s, P, batch, names, shapes)
    out.append((f'{tag}.step_losses', 0, losses))
    out.append((f'{tag}.step_params', 0, torch.cat([P[n].detach().flatten() for n in names]).tolist()))


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else 'ref.bin'
    recs = []
    ma = dict(L=2, C=16, NH=2, T=8, V=11, B=2, pos='rope', tie=False)
    sa = dict(opt='adamw', lr=0.01, muon_lr=0.02, wd=0.1, clip=1.0)
    records_for('a', ma, sa, recs)
    mb = dict(L=2, C=16, NH=4, T=8, V=11, B=2, pos='sin2d', tie=True, gw=3, gp=2)
    sb = dict(opt='muon', lr=0.01, muon_lr=0.05, wd=0.1, clip=0.5)
    records_for('b', mb, sb, recs)
    with open(path, 'wb') as f:
        f.write(b'KTRNREF1')
        for name, typ, data in recs:
            f.write(name.encode().ljust(32, b'\0'))
            f.write(struct.pack('<IQ', typ, len(data)))
            fmt = {0: 'f', 1: 'I', 2: 'i'}.get(typ)
            f.write(data if typ == 3 else struct.pack('<%d%s' % (len(data), fmt), *data))


if __name__ == '__main__':
    main()
