"""A plain PyTorch MobileViTv3, written from the block pseudocode in the reference notes
(../shared/reference/mobilevitv3.md, sections 1-2), to check EDEN's C++ models numerically.

usage: mobilevitv3_reference.py DIR MODEL [MODEL...]
For each MODEL reads DIR/MODEL.safetensors (EDEN's weights plus "__input" and "__logits"), loads
the weights strictly (so the names are checked too), runs the input in eval mode and compares
logits. Prints one line per model; exit status 1 when any relative error is >= 1e-4.
"""
import collections
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "io"))
import safetensors_io  # noqa: E402


def make_divisible(v, divisor=8, min_value=None):
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class ConvLayer(nn.Module):
    def __init__(self, cin, cout, k, stride=1, groups=1, bias=False, norm=True, act=True):
        super().__init__()
        layers = [("conv", nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=bias))]
        if norm:
            layers.append(("norm", nn.BatchNorm2d(cout)))
        if act:
            layers.append(("act", nn.SiLU()))
        self.block = nn.Sequential(collections.OrderedDict(layers))

    def forward(self, x):
        return self.block(x)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, e):
        super().__init__()
        h = make_divisible(int(round(cin * e)), 8)
        self.block = nn.Sequential(collections.OrderedDict([
            ("exp_1x1", ConvLayer(cin, h, 1)),
            ("conv_3x3", ConvLayer(h, h, 3, stride, groups=h)),
            ("red_1x1", ConvLayer(h, cout, 1, act=False))]))
        self.res = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.block(x) if self.res else self.block(x)


class MHA(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.qkv_proj, self.out_proj, self.heads = nn.Linear(d, 3 * d), nn.Linear(d, d), heads

    def forward(self, x):  # [B', N, d]
        b, n, d = x.shape
        qkv = self.qkv_proj(x).reshape(b, n, 3, self.heads, d // self.heads)
        q, k, v = (qkv[:, :, i].transpose(1, 2) for i in range(3))  # [B', h, N, hd]
        attn = torch.softmax((q * (d // self.heads) ** -0.5) @ k.transpose(-1, -2), dim=-1)
        return self.out_proj((attn @ v).transpose(1, 2).reshape(b, n, d))


class Transformer(nn.Module):
    def __init__(self, d, ffn, heads):
        super().__init__()
        self.pre_norm_mha = nn.Sequential(nn.LayerNorm(d), MHA(d, heads), nn.Dropout(0.0))
        self.pre_norm_ffn = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, ffn), nn.SiLU(),
                                          nn.Dropout(0.0), nn.Linear(ffn, d), nn.Dropout(0.0))

    def forward(self, t):
        t = t + self.pre_norm_mha(t)
        return t + self.pre_norm_ffn(t)


class BlockV1(nn.Module):  # section 1.3
    def __init__(self, c, d, ffn, layers, heads=4):
        super().__init__()
        self.local_rep = nn.Sequential(collections.OrderedDict([
            ("conv_3x3", ConvLayer(c, c, 3, groups=c)),
            ("conv_1x1", ConvLayer(c, d, 1, norm=False, act=False))]))
        self.global_rep = nn.Sequential(*[Transformer(d, ffn, heads) for _ in range(layers)],
                                        nn.LayerNorm(d))
        self.conv_proj = ConvLayer(d, c, 1)
        self.fusion = ConvLayer(d + c, c, 1)

    def forward(self, x):
        res = x
        local = self.local_rep(x)
        b, d, h, w = local.shape
        nh, nw = (h + 1) // 2, (w + 1) // 2
        resized = (2 * nh, 2 * nw) != (h, w)
        li = F.interpolate(local, size=(2 * nh, 2 * nw), mode="bilinear",
                           align_corners=False) if resized else local
        n = nh * nw
        t = li.reshape(b * d * nh, 2, nw, 2).transpose(1, 2)
        t = t.reshape(b, d, n, 4).transpose(1, 3).reshape(b * 4, n, d)
        t = self.global_rep(t)
        g = t.reshape(b, 4, n, d).transpose(1, 3)
        g = g.reshape(b * d * nh, nw, 2, 2).transpose(1, 2).reshape(b, d, 2 * nh, 2 * nw)
        if resized:
            g = F.interpolate(g, size=(h, w), mode="bilinear", align_corners=False)
        g = self.conv_proj(g)
        return self.fusion(torch.cat([local, g], dim=1)) + res


class LinearSelfAttention(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.d = d
        self.qkv_proj = ConvLayer(d, 1 + 2 * d, 1, bias=True, norm=False, act=False)
        self.out_proj = ConvLayer(d, d, 1, bias=True, norm=False, act=False)

    def forward(self, z):  # [B, d, P, N]
        q, k, v = torch.split(self.qkv_proj(z), [1, self.d, self.d], dim=1)
        ctx = (k * torch.softmax(q, dim=-1)).sum(dim=-1, keepdim=True)
        return self.out_proj(F.relu(v) * ctx.expand_as(v))


class LinearAttnFFN(nn.Module):
    def __init__(self, d, ffn):
        super().__init__()
        self.pre_norm_attn = nn.Sequential(nn.GroupNorm(1, d), LinearSelfAttention(d),
                                           nn.Dropout(0.0))
        self.pre_norm_ffn = nn.Sequential(
            nn.GroupNorm(1, d), ConvLayer(d, ffn, 1, bias=True, norm=False), nn.Dropout(0.0),
            ConvLayer(ffn, d, 1, bias=True, norm=False, act=False), nn.Dropout(0.0))

    def forward(self, z):
        z = z + self.pre_norm_attn(z)
        return z + self.pre_norm_ffn(z)


class BlockV2(nn.Module):  # section 2.3
    def __init__(self, c, d, ffn, layers):
        super().__init__()
        self.local_rep = nn.Sequential(ConvLayer(c, c, 3, groups=c),
                                       ConvLayer(c, d, 1, norm=False, act=False))
        self.global_rep = nn.Sequential(*[LinearAttnFFN(d, ffn) for _ in range(layers)],
                                        nn.GroupNorm(1, d))
        self.conv_proj = ConvLayer(2 * d, c, 1, act=False)

    def forward(self, x):
        h, w = x.shape[-2:]
        if h % 2 or w % 2:
            x = F.interpolate(x, size=(h + h % 2, w + w % 2), mode="bilinear", align_corners=True)
        b, _, h, w = x.shape
        local = self.local_rep(x)
        d = local.shape[1]
        p = F.unfold(local, kernel_size=(2, 2), stride=(2, 2))
        p = self.global_rep(p.reshape(b, d, 4, -1))
        g = F.fold(p.reshape(b, d * 4, -1), output_size=(h, w), kernel_size=(2, 2), stride=(2, 2))
        return self.conv_proj(torch.cat([g, local], dim=1)) + x


V1 = {  # section 1.1: exp, layer1, layer2, [(C, d, ffn, L)] x 3
    "mobilevitv3_xxs": (2, 16, 24, [(64, 64, 128, 2), (80, 80, 160, 4), (128, 96, 192, 3)]),
    "mobilevitv3_xs": (4, 32, 48, [(96, 96, 192, 2), (160, 120, 240, 4), (160, 144, 288, 3)]),
    "mobilevitv3_s": (4, 32, 64, [(128, 144, 288, 2), (256, 192, 384, 4), (320, 240, 480, 3)]),
}
V1["mobilevitv3_xs_l2"] = (4, 32, 48, [(96, 96, 192, 2), (160, 120, 240, 2), (160, 144, 288, 3)])
V2 = {"mobilevitv3_0_5": 0.5, "mobilevitv3_0_75": 0.75, "mobilevitv3_1_0": 1.0}


class Net(nn.Module):
    def __init__(self, name, classes):
        super().__init__()
        if name in V1:
            e, l1, l2, stages = V1[name]
            self.conv_1 = ConvLayer(3, 16, 3, 2)
            self.layer_1 = nn.Sequential(InvertedResidual(16, l1, 1, e))
            self.layer_2 = nn.Sequential(InvertedResidual(l1, l2, 2, e),
                                         InvertedResidual(l2, l2, 1, e),
                                         InvertedResidual(l2, l2, 1, e))
            c = l2
            for i, (cout, d, ffn, n) in enumerate(stages):
                setattr(self, f"layer_{i + 3}", nn.Sequential(InvertedResidual(c, cout, 2, e),
                                                              BlockV1(cout, d, ffn, n)))
                c = cout
            exp = min(4 * c, 960)
            self.conv_1x1_exp = ConvLayer(c, exp, 1)
            self.classifier = nn.Sequential(collections.OrderedDict([
                ("dropout", nn.Dropout(0.1)), ("fc", nn.Linear(exp, classes))]))
        else:
            w = V2[name]
            l0 = make_divisible(max(16, min(64, 32 * w)), 8, 16)
            l1, l2 = make_divisible(64 * w, 16), make_divisible(128 * w, 8)
            self.conv_1 = ConvLayer(3, l0, 3, 2)
            self.layer_1 = nn.Sequential(InvertedResidual(l0, l1, 1, 2))
            self.layer_2 = nn.Sequential(InvertedResidual(l1, l2, 2, 2),
                                         InvertedResidual(l2, l2, 1, 2))
            c = l2
            for i, (cout, d, n) in enumerate([(256, 128, 2), (384, 192, 4), (512, 256, 3)]):
                cout, d = make_divisible(cout * w, 8), make_divisible(d * w, 8)
                setattr(self, f"layer_{i + 3}", nn.Sequential(InvertedResidual(c, cout, 2, 2),
                                                              BlockV2(cout, d, 2 * d // 16 * 16, n)))
                c = cout
            self.conv_1x1_exp = nn.Identity()
            self.classifier = nn.Sequential(nn.Identity(), nn.Linear(c, classes))

    def forward(self, x):
        x = self.conv_1(x)
        for i in range(1, 6):
            x = getattr(self, f"layer_{i}")(x)
        return self.classifier(self.conv_1x1_exp(x).mean(dim=(2, 3)))


def main():
    folder, names = sys.argv[1], sys.argv[2:]
    worst = 0.0
    for name in names:
        tensors, _ = safetensors_io.load(os.path.join(folder, name + ".safetensors"))
        x, want = tensors.pop("__input"), tensors.pop("__logits")
        net = Net(name, want.shape[1])
        net.load_state_dict(tensors, strict=True)
        net.eval()
        with torch.no_grad():
            got = net(x)
        err = ((got - want).abs().max() / want.abs().max()).item()
        worst = max(worst, err)
        print(f"{name}: input {tuple(x.shape)} relative error {err:.3e}")
    sys.exit(0 if worst < 1e-4 else 1)


if __name__ == "__main__":
    main()
