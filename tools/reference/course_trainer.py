"""Reference run of the course starter's training loop (IFT6135 W25 A2 trainer.py) in PyTorch,
for comparing lmlab's default grokking run step by step (arithmetic.md: AdamW lr 1e-3, betas
(0.9, 0.999), eps 1e-8, wd 1.0 on all parameters, clip 1.0, shuffled epochs of min(B, N_train),
T = 10^4 + 1, the course GPT with torch.nn default init).

Not part of lmlab (which needs no Python): a check of lmlab against PyTorch. Needs torch and numpy.
usage: python3 course_trainer.py SEED OUT.jsonl [--init model.safetensors] [--split split.json] [--steps N]
  --init: lmlab's initial weights (checkpoints/latest of `lmlab train --steps 1`, which makes no update);
  --split: lmlab's split (ArithSplit.java); without them, torch's own init and split.
Writes one JSON line per evaluated step: step, train_loss, train_acc, val_loss, val_acc, l2.
"""
import json, math, sys, argparse
import torch, torch.nn as nn, torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("seed", type=int)
ap.add_argument("out")
ap.add_argument("--init", default=None, help="safetensors of lmlab's initial weights (HF names)")
ap.add_argument("--split", default=None, help="JSON {train: [[a,b],...], val: [...]} to use lmlab's split")
ap.add_argument("--steps", type=int, default=10001)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--double", action="store_true")
args = ap.parse_args()
torch.set_num_threads(args.threads)
dtype = torch.float64 if args.double else torch.float32

P = 31
V = P + 8
PLUS, EQ, BOS, EOS, PAD = P, P + 4, P + 5, P + 6, P + 7

def equations():
    return [(a, b) for a in range(P) for b in range(P)]

def encode(pairs):
    seq = torch.tensor([[BOS, a, PLUS, b, EQ, (a + b) % P, EOS] for a, b in pairs])
    return seq[:, :-1], seq[:, 1:]

torch.manual_seed(args.seed)
if args.split:
    sp = json.load(open(args.split))
    train_pairs, val_pairs = [tuple(x) for x in sp["train"]], [tuple(x) for x in sp["val"]]
else:
    eqs = equations()
    perm = torch.randperm(len(eqs)).tolist()
    n_train = int(0.5 * len(eqs))
    train_pairs = [eqs[i] for i in perm[:n_train]]
    val_pairs = [eqs[i] for i in perm[n_train:]]
Xtr, Ytr = encode(train_pairs)
Xva, Yva = encode(val_pairs)
EQPOS = 3


class Attn(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x):
        B, S, d = x.shape
        hd = d // self.h
        q = self.q_proj(x).view(B, S, self.h, hd).transpose(1, 2)
        k = self.k_proj(x).view(B, S, self.h, hd).transpose(1, 2)
        v = self.v_proj(x).view(B, S, self.h, hd).transpose(1, 2)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        mask = torch.ones(S, S, dtype=torch.bool).tril()
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, S, d)
        return self.o_proj(y)


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.input_layernorm = nn.LayerNorm(d)
        self.self_attn = Attn(d, h)
        self.post_attention_layernorm = nn.LayerNorm(d)
        self.mlp = nn.Module()
        self.mlp.up_proj = nn.Linear(d, 4 * d, bias=False)
        self.mlp.down_proj = nn.Linear(4 * d, d, bias=False)

    def forward(self, x):
        x = x + self.self_attn(self.input_layernorm(x))
        return x + self.mlp.down_proj(F.gelu(self.mlp.up_proj(self.post_attention_layernorm(x))))


class GPT(nn.Module):
    def __init__(self, d=128, h=4, L=2):
        super().__init__()
        self.embed_tokens = nn.Embedding(V, d)
        self.layers = nn.ModuleList(Block(d, h) for _ in range(L))
        self.norm = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, V)
        pe = torch.zeros(128, d)
        pos = torch.arange(128, dtype=torch.float64)[:, None]
        inv = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
        pe[:, 0::2] = torch.sin(pos * inv).float()
        pe[:, 1::2] = torch.cos(pos * inv).float()
        self.register_buffer("pe", pe, persistent=False)

    def forward(self, x):
        h = self.embed_tokens(x) + self.pe[: x.shape[1]]
        for b in self.layers:
            h = b(h)
        return self.lm_head(self.norm(h))


model = GPT().to(dtype)
if args.init:
    import struct, numpy as np
    with open(args.init, "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(n))
        blob = fh.read()
    loaded = 0
    with torch.no_grad():
        for name, prm in model.named_parameters():
            key = name if name.startswith("lm_head") else "model." + name
            meta = header[key]
            a, b = meta["data_offsets"]
            arr = np.frombuffer(blob[a:b], dtype=np.float32).reshape(meta["shape"])
            prm.copy_(torch.from_numpy(arr.copy()).to(dtype))
            loaded += 1
    print(f"loaded {loaded} tensors from {args.init}", file=sys.stderr)

opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1.0)


def rhs_loss_acc(logits, Y):
    lg = logits[:, EQPOS + 1:]  # result and EOS
    tg = Y[:, EQPOS + 1:]
    lp = F.log_softmax(lg, -1).gather(-1, tg[..., None])[..., 0]
    loss = (-lp).mean(1)
    acc = (lg.argmax(-1) == tg).all(1).to(dtype)
    return loss.mean(), acc.mean()


@torch.no_grad()
def evaluate(step, f):
    model.eval()
    tl, ta = rhs_loss_acc(model(Xtr), Ytr)
    vl, va = rhs_loss_acc(model(Xva), Yva)
    l2 = torch.cat([p.reshape(-1) for p in model.parameters()]).norm().item()
    f.write(json.dumps(dict(step=step, train_loss=tl.item(), train_acc=ta.item(), val_loss=vl.item(),
                            val_acc=va.item(), l2=l2)) + "\n")
    f.flush()


B = min(512, len(Xtr))
with open(args.out, "w") as f:
    evaluate(0, f)
    step = 1
    while step <= args.steps:
        perm = torch.randperm(len(Xtr))
        for i in range(0, len(Xtr), B):
            if step > args.steps:
                break
            idx = perm[i:i + B]
            model.train()
            opt.zero_grad(set_to_none=True)
            loss, _ = rhs_loss_acc(model(Xtr[idx]), Ytr[idx])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            opt.step()
            if step in (1, args.steps) or step % 100 == 0 or step <= 100:
                evaluate(step, f)
            step += 1
