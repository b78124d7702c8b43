#!/usr/bin/python3
"""Writes PyTorch iResNet state dicts (torch.save(model.state_dict())) and reference forward passes for the
fv-import iresnet tests.

The network is a transcription of insightface recognition/arcface_torch/backbones/iresnet.py (IBasicBlock,
IResNet, iresnet18/50/100; module names, shapes and forward pass as there). Every parameter and buffer is
then filled with seeded random values (BatchNorm running variances positive) so that a wrong mapping of
any tensor changes the output.

Usage: make_iresnet_state_dict.py OUT_DIR [--depths 18 50 100] [--seed 0]
Writes, for each depth d:
  iresnet{d}.pth         the state dict, as torch.save(model.state_dict(), path) writes it (zip format)
  iresnet{d}.keys.txt    one "name dim0xdim1x..." line per state-dict entry, in order
  iresnet{d}.input.f32   raw little-endian float32 input, shape [2, 3, 112, 112] (NCHW)
  iresnet{d}.output.f32  raw float32 output of model.eval()(input), shape [2, 512]
and, from the depth-18 network:
  iresnet18_module.pth    the same state dict with DataParallel's "module." prefix on every key
  iresnet18_mismatch.pth  layer1.0.conv1.weight renamed to layer1.0.conv_1.weight, fc.weight of shape
                          [512, 100] instead of [512, 25088], and an extra key "head.weight"
  iresnet18_half.pth      the same state dict in float16
  iresnet18_proto4.pth    the same state dict pickled with protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL, ...)
  iresnet18_legacy.pth    the same state dict in the pre-1.6 non-zip format (_use_new_zipfile_serialization=False)
and two files that are not state dicts:
  whole_module.pth        torch.save(nn.Linear(2, 2)) (a pickled module, not its state dict)
  non_tensor.pth          {"conv1.weight": 3} (a value that is not a tensor)
"""
import argparse
import collections
import os

import torch
from torch import nn


def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class IBasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes, eps=1e-05)
        self.conv1 = conv3x3(inplanes, planes)
        self.bn2 = nn.BatchNorm2d(planes, eps=1e-05)
        self.prelu = nn.PReLU(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn3 = nn.BatchNorm2d(planes, eps=1e-05)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return out


class IResNet(nn.Module):
    fc_scale = 7 * 7

    def __init__(self, layers, dropout=0, num_features=512):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes, eps=1e-05)
        self.prelu = nn.PReLU(self.inplanes)
        self.layer1 = self._make_layer(64, layers[0], stride=2)
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.bn2 = nn.BatchNorm2d(512, eps=1e-05)
        self.dropout = nn.Dropout(p=dropout, inplace=True)
        self.fc = nn.Linear(512 * self.fc_scale, num_features)
        self.features = nn.BatchNorm1d(num_features, eps=1e-05)
        nn.init.constant_(self.features.weight, 1.0)
        self.features.weight.requires_grad = False

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes, stride),
                                       nn.BatchNorm2d(planes, eps=1e-05))
        layers = [IBasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        for _ in range(1, blocks):
            layers.append(IBasicBlock(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.prelu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.bn2(x), 1)
        x = self.dropout(x)
        return self.features(self.fc(x))


LAYERS = {18: [2, 2, 2, 2], 50: [3, 4, 14, 3], 100: [3, 13, 30, 3]}


def randomise(model, generator):
    """Seeded random values in every tensor: conv/fc weights scaled to keep activations O(1)."""
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                tensor.fill_(7)
            elif name.endswith("running_var"):
                tensor.copy_(0.5 + torch.rand(tensor.shape, generator=generator))
            elif name.endswith("running_mean") or name.endswith(".bias"):
                tensor.copy_(0.1 * torch.randn(tensor.shape, generator=generator))
            elif tensor.dim() >= 2:  # conv / linear weights: He-like scale
                fan_in = tensor[0].numel()
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * (1.0 / fan_in) ** 0.5)
            else:  # BN and PReLU weights
                tensor.copy_(0.5 + 0.5 * torch.rand(tensor.shape, generator=generator))


def write_keys(state, path):
    with open(path, "w") as f:
        for name, tensor in state.items():
            f.write(f"{name} {'x'.join(str(s) for s in tensor.shape)}\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--depths", type=int, nargs="+", default=[18, 50, 100])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    for depth in args.depths:
        generator = torch.Generator().manual_seed(args.seed + depth)
        model = IResNet(LAYERS[depth])
        randomise(model, generator)
        model.eval()
        state = model.state_dict()
        stem = os.path.join(args.out_dir, f"iresnet{depth}")
        torch.save(state, stem + ".pth")
        write_keys(state, stem + ".keys.txt")
        x = torch.rand((2, 3, 112, 112), generator=generator) * 2 - 1
        with torch.no_grad():
            y = model(x)
        x.numpy().astype("<f4").tofile(stem + ".input.f32")
        y.numpy().astype("<f4").tofile(stem + ".output.f32")
        if depth == 18:
            module = collections.OrderedDict(("module." + k, v) for k, v in state.items())
            torch.save(module, os.path.join(args.out_dir, "iresnet18_module.pth"))
            bad = collections.OrderedDict()
            for k, v in state.items():
                if k == "layer1.0.conv1.weight":
                    bad["layer1.0.conv_1.weight"] = v
                elif k == "fc.weight":
                    bad[k] = torch.zeros(512, 100)
                else:
                    bad[k] = v
            bad["head.weight"] = torch.zeros(10, 512)
            torch.save(bad, os.path.join(args.out_dir, "iresnet18_mismatch.pth"))
            half = collections.OrderedDict(
                (k, v.half() if v.is_floating_point() else v) for k, v in state.items())
            torch.save(half, os.path.join(args.out_dir, "iresnet18_half.pth"))
            torch.save(state, os.path.join(args.out_dir, "iresnet18_proto4.pth"), pickle_protocol=4)
            torch.save(state, os.path.join(args.out_dir, "iresnet18_legacy.pth"), _use_new_zipfile_serialization=False)
            torch.save(nn.Linear(2, 2), os.path.join(args.out_dir, "whole_module.pth"))
            torch.save({"conv1.weight": 3}, os.path.join(args.out_dir, "non_tensor.pth"))


if __name__ == "__main__":
    main()
