"""PyTorch peer for `npm run bench -- lora`: one LoRA SFT step (r, alpha on all seven projections,
frozen fp32 base, AdamW) of a random-init decoder of the given shape, eager mode, timed over a few
steps after a warm-up. Prints one JSON line {tokensPerSecond, peakRssBytes}.
With --serve it prints `ready` after the warm-up step and then, for every line read, times one
step and prints {seconds, peakRssBytes}: the bench takes turns with our own step that way.
"""
import argparse
import json
import math
import resource
import sys
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--hidden', type=int, default=896)
    ap.add_argument('--layers', type=int, default=24)
    ap.add_argument('--heads', type=int, default=14)
    ap.add_argument('--kv-heads', type=int, default=2)
    ap.add_argument('--intermediate', type=int, default=4864)
    ap.add_argument('--vocab', type=int, default=151936)
    ap.add_argument('--seq', type=int, default=256)
    ap.add_argument('--rank', type=int, default=32)
    ap.add_argument('--alpha', type=float, default=64)
    ap.add_argument('--steps', type=int, default=4)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--serve', action='store_true')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    H, D = a.hidden, a.hidden // a.heads
    qd, kvd, I = a.heads * D, a.kv_heads * D, a.intermediate
    scale = a.alpha / a.rank

    def frozen(*shape):
        return torch.randn(*shape) * 0.02

    lora = []

    def proj(out_f, in_f):
        w = frozen(out_f, in_f)
        A = (torch.rand(a.rank, in_f) * 2 - 1) / math.sqrt(in_f)
        B = torch.zeros(out_f, a.rank)
        A.requires_grad_(True)
        B.requires_grad_(True)
        lora.extend([A, B])
        return (w, A, B)

    layers = [dict(q=proj(qd, H), qb=torch.zeros(qd), k=proj(kvd, H), kb=torch.zeros(kvd), v=proj(kvd, H), vb=torch.zeros(kvd),
                   o=proj(H, qd), gate=proj(I, H), up=proj(I, H), down=proj(H, I), ln1=torch.ones(H), ln2=torch.ones(H))
              for _ in range(a.layers)]
    embed = frozen(a.vocab, H)
    norm = torch.ones(H)
    inv = 1.0 / (1000000.0 ** (torch.arange(0, D, 2).float() / D))
    freqs = torch.outer(torch.arange(a.seq).float(), inv)
    emb = torch.cat((freqs, freqs), -1)
    cos, sin = emb.cos()[:, None, :], emb.sin()[:, None, :]
    mask = torch.full((a.seq, a.seq), float('-inf')).triu(1)

    def lin(x, p, bias=None):
        w, A, B = p
        y = torch.nn.functional.linear(x, w, bias)
        return y + torch.nn.functional.linear(torch.nn.functional.linear(x, A), B) * scale

    def rms(x, g):
        return g * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6))

    def rot(x):
        h = x.shape[-1] // 2
        return x * cos + torch.cat((-x[..., h:], x[..., :h]), -1) * sin

    def loss_fn(ids):
        h = embed[ids]
        T = ids.shape[0]
        for p in layers:
            x = rms(h, p['ln1'])
            q = rot(lin(x, p['q'], p['qb']).view(T, a.heads, D)).transpose(0, 1)
            k = rot(lin(x, p['k'], p['kb']).view(T, a.kv_heads, D)).transpose(0, 1).repeat_interleave(a.heads // a.kv_heads, 0)
            v = lin(x, p['v'], p['vb']).view(T, a.kv_heads, D).transpose(0, 1).repeat_interleave(a.heads // a.kv_heads, 0)
            att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(D) + mask, -1) @ v
            h = h + lin(att.transpose(0, 1).reshape(T, qd), p['o'])
            x = rms(h, p['ln2'])
            h = h + lin(torch.nn.functional.silu(lin(x, p['gate'])) * lin(x, p['up']), p['down'])
        logits = torch.nn.functional.linear(rms(h, norm), embed)
        return torch.nn.functional.cross_entropy(logits[:-1], ids[1:])

    opt = torch.optim.AdamW(lora, lr=1e-4)
    ids = torch.randint(0, a.vocab, (a.seq,))

    def step():
        t0 = time.perf_counter()
        loss = loss_fn(ids)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return time.perf_counter() - t0

    def peak_rss():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    step()  # warm-up
    if a.serve:
        print('ready', flush=True)
        for _ in sys.stdin:
            seconds = step()
            print(json.dumps({'seconds': seconds, 'peakRssBytes': peak_rss()}), flush=True)
        return
    times = [step() for _ in range(a.steps)]
    print(json.dumps({'tokensPerSecond': a.seq / (sum(times) / len(times)), 'peakRssBytes': peak_rss()}))


if __name__ == '__main__':
    main()
