"""The detector: a small anchor-free CenterNet-style network (Zhou et al. 2019, "Objects as Points").

Why this shape: the model sees a frame at half resolution, where an outfall (pipe mouth and
headwall) is 8-24 px, so the output grid is at stride 4 (one cell is 4 px) and every object is
a peak in a class heatmap, with its box size and sub-cell offset read at the peak. Plumes are
10-50x larger and faint, so a top-down feature pyramid brings context from stride 64 back down
to stride 4. Trained from scratch: it has to learn on 2 shared CPU cores in well under an hour,
and about a million parameters is what that buys.

`EndToEnd` wraps the network for export: sigmoid, 3x3 max-pool peak suppression (CenterNet's
replacement for NMS), top-K over all classes and cells, and boxes in input pixels, giving the
companion's `end2end` layout `[1, K, 6]` = x1, y1, x2, y2, score, class id.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

STRIDE = 4
NUM_CLASSES = 2
# log(p / (1 - p)) for p = 0.1: the heatmap starts mostly "background" so the focal loss is stable.
HEAT_PRIOR_BIAS = -2.19


def conv_bn(c_in, c_out, stride=1, kernel=3):
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.a = conv_bn(c, c)
        self.b = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return F.relu(x + self.b(self.a(x)))


REG_PER_CLASS = 4  # log(w/4), log(h/4), dx, dy


class CenterNet(nn.Module):
    """Backbone (strides 2..64), top-down pyramid to stride 4, and two 1x1 heads:
    `heat` [N, nc, H/4, W/4] logits, `reg` [N, 4 * nc, H/4, W/4] = per class log(w/4),
    log(h/4), dx, dy. The box regression is per class because different classes share
    centres here: a plume's box is the square about its source, and an outfall's mouth is
    that source, so one shared regression would be taught a 25 px and a 150 px box at the
    same cell and learn neither (measured: AP50 0.28 and 0.04 with centres right)."""

    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.stem = conv_bn(3, 16, 2)  # /2
        self.c2 = conv_bn(16, 32, 2)  # /4
        self.c3 = nn.Sequential(conv_bn(32, 64, 2), Residual(64))  # /8
        self.c4 = nn.Sequential(conv_bn(64, 96, 2), Residual(96))  # /16
        self.c5 = nn.Sequential(conv_bn(96, 128, 2), Residual(128))  # /32
        self.c6 = nn.Sequential(conv_bn(128, 128, 2), Residual(128))  # /64: context for plumes
        self.lat6 = nn.Conv2d(128, 64, 1)
        self.lat5 = nn.Conv2d(128, 64, 1)
        self.lat4 = nn.Conv2d(96, 64, 1)
        self.lat3 = nn.Conv2d(64, 64, 1)
        self.down3 = nn.Conv2d(64, 32, 1)
        self.lat2 = nn.Conv2d(32, 32, 1)
        self.fuse = conv_bn(32, 32)
        self.heat = nn.Conv2d(32, num_classes, 1)
        self.reg = nn.Conv2d(32, REG_PER_CLASS * num_classes, 1)
        nn.init.constant_(self.heat.bias, HEAT_PRIOR_BIAS)

    def forward(self, x):
        x = self.stem(x)
        c2 = self.c2(x)
        c3 = self.c3(c2)
        c4 = self.c4(c3)
        c5 = self.c5(c4)
        c6 = self.c6(c5)
        p5 = self.lat5(c5) + F.interpolate(self.lat6(c6), scale_factor=2.0, mode="nearest")
        p4 = self.lat4(c4) + F.interpolate(p5, scale_factor=2.0, mode="nearest")
        p3 = self.lat3(c3) + F.interpolate(p4, scale_factor=2.0, mode="nearest")
        p2 = self.lat2(c2) + F.interpolate(self.down3(p3), scale_factor=2.0, mode="nearest")
        f = self.fuse(p2)
        return self.heat(f), self.reg(f)


class EndToEnd(nn.Module):
    """Export head: input float [1, 3, H, W] RGB scaled to 0..1 (H, W multiples of 64); output
    [1, K, 6] rows x1, y1, x2, y2 (input pixels), score, class id, best first. Rows past the
    last real peak carry low scores; the companion's confidence threshold drops them."""

    def __init__(self, net, top_k=100):
        super().__init__()
        self.net = net
        self.top_k = top_k

    def forward(self, x):
        heat, reg = self.net(x)
        heat = torch.sigmoid(heat)
        peaks = heat * (F.max_pool2d(heat, 3, 1, 1) == heat).to(heat.dtype)
        n, nc, gh, gw = peaks.shape
        cells = gh * gw
        scores, index = torch.topk(peaks.reshape(n, nc * cells), self.top_k, dim=1)
        cls = torch.div(index, cells, rounding_mode="floor")
        cell = index - cls * cells
        gy = torch.div(cell, gw, rounding_mode="floor")
        gx = cell - gy * gw
        # The peak's own class's four regression channels: flat index (cls * 4 + j) * cells + cell.
        j = torch.arange(REG_PER_CLASS, device=x.device).view(1, REG_PER_CLASS, 1)
        flat = (cls.unsqueeze(1) * REG_PER_CLASS + j) * cells + cell.unsqueeze(1)
        r = torch.gather(reg.reshape(n, REG_PER_CLASS * nc * cells), 1, flat.reshape(n, -1)).reshape(n, REG_PER_CLASS, self.top_k)
        w = torch.exp(r[:, 0]) * STRIDE
        h = torch.exp(r[:, 1]) * STRIDE
        cx = (gx.to(x.dtype) + r[:, 2]) * STRIDE
        cy = (gy.to(x.dtype) + r[:, 3]) * STRIDE
        return torch.stack(
            [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, scores, cls.to(x.dtype)], dim=2
        )


def count_parameters(net):
    return sum(p.numel() for p in net.parameters())
