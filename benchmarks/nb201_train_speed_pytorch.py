"""Reference CPU training speed of the NAS-Bench-201 cell network in PyTorch.

The same network as oxinas-train's `Nb201Network` (stem conv3x3+BN, three stages
of N cells with C, 2C, 4C channels, residual reduction blocks, BN-ReLU, global
average pooling, linear head), trained with Nesterov SGD on random 32x32x3
batches. Prints images/s (with --json, one JSON object with the seconds of each
timed run). Runs only where `torch` is importable.

    python3 benchmarks/nb201_train_speed_pytorch.py --channels 16 --cells 5 --threads 2
    python3 benchmarks/nb201_train_speed_pytorch.py --device cuda --runs 5 --json
"""

import argparse
import json
import sys
import time

try:
    import torch
    import torch.nn as nn
except ImportError:
    print("torch is not importable; skipping", file=sys.stderr)
    sys.exit(0)

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
EDGES = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]


class ReluConvBn(nn.Sequential):
    def __init__(self, c_in, c_out, k, stride, pad):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, k, stride, pad, bias=False),
            nn.BatchNorm2d(c_out),
        )


class Cell(nn.Module):
    def __init__(self, digits, c):
        super().__init__()
        self.ops = [OPS[int(d)] for d in digits]
        layers = []
        for op in self.ops:
            if op == "nor_conv_1x1":
                layers.append(ReluConvBn(c, c, 1, 1, 0))
            elif op == "nor_conv_3x3":
                layers.append(ReluConvBn(c, c, 3, 1, 1))
            elif op == "avg_pool_3x3":
                layers.append(nn.AvgPool2d(3, 1, 1, count_include_pad=False))
            else:
                layers.append(nn.Identity())
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        nodes = [x]
        for node in (1, 2, 3):
            total = None
            for e, (to, frm) in enumerate(EDGES):
                if to != node or self.ops[e] == "none":
                    continue
                y = self.layers[e](nodes[frm])
                total = y if total is None else total + y
            nodes.append(total if total is not None else torch.zeros_like(x))
        return nodes[-1]


class Reduction(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.a = ReluConvBn(c_in, c_out, 3, 2, 1)
        self.b = ReluConvBn(c_out, c_out, 3, 1, 1)
        self.short = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x):
        return self.b(self.a(x)) + self.short(x)


def network(digits, c, n, classes=10):
    layers = [nn.Conv2d(3, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)]
    ch = c
    for stage in range(3):
        if stage:
            layers.append(Reduction(ch, ch * 2))
            ch *= 2
        layers += [Cell(digits, ch) for _ in range(n)]
    layers += [nn.BatchNorm2d(ch), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(ch, classes)]
    return nn.Sequential(*layers)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", default="331213", help="op digits (default: the best CIFAR-10 cell)")
    p.add_argument("--channels", type=int, default=16)
    p.add_argument("--cells", type=int, default=5)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--runs", type=int, default=1, help="timed runs of --steps steps each")
    p.add_argument("--json", action="store_true", help="print the seconds of each run as JSON")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    device = torch.device(a.device)
    net = network(a.arch, a.channels, a.cells).to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    x = torch.randn(a.batch, 3, 32, 32, device=device)
    y = torch.randint(0, 10, (a.batch,), device=device)
    loss_fn = nn.CrossEntropyLoss()

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    def step():
        opt.zero_grad()
        loss_fn(net(x), y).backward()
        opt.step()

    step()  # warm-up
    sync()
    seconds = []
    for _ in range(a.runs):
        start = time.perf_counter()
        for _ in range(a.steps):
            step()
        sync()
        seconds.append(time.perf_counter() - start)
    if a.json:
        print(json.dumps({"torch": torch.__version__, "device": a.device, "seconds": seconds}))
        return
    elapsed = sorted(seconds)[len(seconds) // 2]
    print(f"pytorch {torch.__version__} C={a.channels} N={a.cells} batch={a.batch} threads={a.threads}: "
          f"{a.steps * a.batch / elapsed:.1f} images/s")


if __name__ == "__main__":
    main()
