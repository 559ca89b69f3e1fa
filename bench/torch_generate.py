"""PyTorch peer for `npm run bench -- generate`: prefill and KV-cached greedy decode of a
random-init decoder of the given shape in eager mode, fp32 or bf16 weights.

    python3 bench/torch_generate.py --dtype bf16 --prefill 128 --decode 32 --threads 2
prints one JSON line: {"prefillTokensPerSecond": ..., "decodeTokensPerSecond": ...}
"""
import argparse
import json
import math
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
    ap.add_argument('--dtype', choices=['f32', 'bf16'], default='f32')
    ap.add_argument('--prefill', type=int, default=128)
    ap.add_argument('--decode', type=int, default=32)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dt = torch.float32 if a.dtype == 'f32' else torch.bfloat16
    H, D = a.hidden, a.hidden // a.heads
    q_dim, kv_dim = a.heads * D, a.kv_heads * D

    def w(*shape):
        return (torch.randn(*shape) * 0.02).to(dt)

    layers = [dict(ln1=torch.ones(H, dtype=dt), q=w(q_dim, H), qb=w(q_dim), k=w(kv_dim, H), kb=w(kv_dim),
                   v=w(kv_dim, H), vb=w(kv_dim), o=w(H, q_dim), ln2=torch.ones(H, dtype=dt),
                   gate=w(a.intermediate, H), up=w(a.intermediate, H), down=w(H, a.intermediate))
              for _ in range(a.layers)]
    embed = w(a.vocab, H)
    norm = torch.ones(H, dtype=dt)
    inv = 1.0 / (1000000.0 ** (torch.arange(0, D, 2).float() / D))
    max_t = a.prefill + a.decode + 1
    freqs = torch.outer(torch.arange(max_t).float(), inv)
    emb = torch.cat((freqs, freqs), -1)
    cos, sin = emb.cos().to(dt), emb.sin().to(dt)

    def rms(x, g):
        x32 = x.float()
        return g * (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + 1e-6)).to(dt)

    def rot(x, pos):
        h = x.shape[-1] // 2
        c, s = cos[pos][:, None, :], sin[pos][:, None, :]
        return x * c + torch.cat((-x[..., h:], x[..., :h]), -1) * s

    def forward(ids, cache, start):
        T = ids.shape[0]
        pos = torch.arange(start, start + T)
        h = embed[ids]
        for l, p in enumerate(layers):
            x = rms(h, p['ln1'])
            q = torch.nn.functional.linear(x, p['q'], p['qb']).view(T, a.heads, D)
            k = torch.nn.functional.linear(x, p['k'], p['kb']).view(T, a.kv_heads, D)
            v = torch.nn.functional.linear(x, p['v'], p['vb']).view(T, a.kv_heads, D)
            q, k = rot(q, pos), rot(k, pos)
            cache[l][0][start:start + T], cache[l][1][start:start + T] = k, v
            K = cache[l][0][:start + T].repeat_interleave(a.heads // a.kv_heads, 1)
            V = cache[l][1][:start + T].repeat_interleave(a.heads // a.kv_heads, 1)
            s = torch.einsum('thd,shd->hts', q, K) / math.sqrt(D)
            mask = torch.arange(start + T)[None, :] > pos[:, None]
            s = s.masked_fill(mask[None], float('-inf'))
            o = torch.einsum('hts,shd->thd', torch.softmax(s.float(), -1).to(dt), V).reshape(T, q_dim)
            h = h + torch.nn.functional.linear(o, p['o'])
            x = rms(h, p['ln2'])
            h = h + torch.nn.functional.linear(
                torch.nn.functional.silu(torch.nn.functional.linear(x, p['gate'])) * torch.nn.functional.linear(x, p['up']), p['down'])
        return torch.nn.functional.linear(rms(h[-1:], norm), embed)

    with torch.no_grad():
        def run():
            cache = [(torch.zeros(max_t, a.kv_heads, D, dtype=dt), torch.zeros(max_t, a.kv_heads, D, dtype=dt)) for _ in layers]
            ids = torch.randint(0, a.vocab, (a.prefill,))
            t0 = time.perf_counter()
            logits = forward(ids, cache, 0)
            t1 = time.perf_counter()
            for i in range(a.decode):
                nxt = logits.argmax(-1)
                logits = forward(nxt, cache, a.prefill + i)
            t2 = time.perf_counter()
            return a.prefill / (t1 - t0), a.decode / (t2 - t1)
        run()  # warm-up
        best = [max(x) for x in zip(*[run() for _ in range(2)])]
    print(json.dumps({'prefillTokensPerSecond': best[0], 'decodeTokensPerSecond': best[1]}))


if __name__ == '__main__':
    main()
