#!/usr/bin/python3
"""Writes ONNX recognition models, real-photo inputs and PyTorch reference embeddings for the fv-import onnx tests.

The networks: insightface's iResNet-50 (the transcription in make_iresnet_state_dict.py) and its MobileFaceNet
(recognition/arcface_torch/backbones/mobilefacenet.py: ConvBlock / LinearBlock / DepthWise / Residual / GDC,
blocks (1, 4, 6, 2), scale 2, 512-D, its Flatten a view(x.size(0), -1)), with seeded random weights (BatchNorm
statistics included), exported the way insightface's recognition/arcface_torch/torch2onnx.py does it: eval mode,
torch.onnx.export(net, img, path, input_names=["data"], keep_initializers_as_inputs=False, opset_version=11),
then the input's batch dimension renamed 'None' with the onnx package.

Usage: make_onnx_models.py OUT_DIR [--seed 0] [--photos DIR ...]
Writes:
  photos/NAME.png          112x112 RGB crops of real photographs (skimage's astronaut.png, opencv-doc's messi5.jpg,
                           and up to 8 .jpg/.png under each --photos folder, at any depth), centre square, resized
                           with PIL's bilinear filter
  photos.input.f32         the crops as the networks' input: float32 [P, 3, 112, 112], (pixel - 127.5) / 127.5, RGB
  r50.onnx, r50.pth        iResNet-50 (the ONNX export, and its state dict for fv-import iresnet)
  r50.output.f32           PyTorch's eval-mode output for photos.input.f32, float32 [P, 512]
  mbf.onnx, mbf.output.f32 MobileFaceNet, likewise
  r50_submul.onnx          iResNet-50 behind (x - 127.5) * 0.0078125 (graph starts with Sub and Mul, as the
                           MXNet-converted models do), and r50_submul.output.f32: its output for the raw pixels
  bad_truncated.onnx       the first half of mbf.onnx's bytes
  bad_external.onnx        mbf with its weights saved as external data in mbf_weights.bin, which is then deleted
  bad_op.onnx              a small network with a Softplus (an operator fv-import onnx does not run)
  bad_two_outputs.onnx     MobileFaceNet with norm_output=True: two outputs (embedding, norm)
  photos.txt               one photo name per line, the row order of the .f32 files
"""
import argparse
import glob
import os
import sys

import numpy as np
import onnx
import torch
from PIL import Image
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_iresnet_state_dict import IResNet, LAYERS, randomise  # noqa: E402


class ConvBlock(nn.Module):
    """Conv (no bias) + BN + PReLU."""

    def __init__(self, cin, cout, kernel=1, stride=1, padding=0, groups=1, linear=False):
        super().__init__()
        layers = [nn.Conv2d(cin, cout, kernel, stride, padding, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        if not linear:
            layers.append(nn.PReLU(cout))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class DepthWise(nn.Module):
    """1x1 expand to `groups` channels, depthwise kxk with the stride, linear 1x1 project; optional shortcut."""

    def __init__(self, cin, cout, residual, stride, groups):
        super().__init__()
        self.residual = residual
        self.layers = nn.Sequential(ConvBlock(cin, groups), ConvBlock(groups, groups, 3, stride, 1, groups),
                                    ConvBlock(groups, cout, linear=True))

    def forward(self, x):
        return x + self.layers(x) if self.residual else self.layers(x)


class MobileFaceNet(nn.Module):
    def __init__(self, num_features=512, blocks=(1, 4, 6, 2), scale=2, norm_output=False):
        super().__init__()
        c1, c2 = 64 * scale, 128 * scale
        self.norm_output = norm_output
        layers = [ConvBlock(3, c1, 3, 2, 1), ConvBlock(c1, c1, 3, 1, 1, groups=64),
                  DepthWise(c1, c1, False, 2, 128)]
        layers += [DepthWise(c1, c1, True, 1, 128) for _ in range(blocks[1])]
        layers += [DepthWise(c1, c2, False, 2, 256)]
        layers += [DepthWise(c2, c2, True, 1, 256) for _ in range(blocks[2])]
        layers += [DepthWise(c2, c2, False, 2, 512)]
        layers += [DepthWise(c2, c2, True, 1, 256) for _ in range(blocks[3])]
        self.layers = nn.Sequential(*layers)
        self.conv_sep = ConvBlock(c2, 512)
        self.gdc = ConvBlock(512, 512, 7, 1, 0, groups=512, linear=True)
        self.linear = nn.Linear(512, num_features, bias=False)
        self.bn = nn.BatchNorm1d(num_features)

    def forward(self, x):
        x = self.gdc(self.conv_sep(self.layers(x)))
        x = self.bn(self.linear(x.view(x.size(0), -1)))  # insightface's Flatten
        if self.norm_output:
            norm = torch.norm(x, 2, 1, True)
            return torch.div(x, norm), norm
        return x


class SubMul(nn.Module):
    """The MXNet-converted models' own input normalisation in front of a network."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net((x - 127.5) * 0.0078125)


class WithSoftplus(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, 8)

    def forward(self, x):
        return self.fc(nn.functional.softplus(self.conv(x)).mean((2, 3)))


def export(net, path, example):
    """As torch2onnx.py: eval mode, input 'data', initializers not inputs, opset 11, batch dimension 'None'."""
    net.eval()
    torch.onnx.export(net, example, path, input_names=["data"], keep_initializers_as_inputs=False, verbose=False,
                      opset_version=11)
    model = onnx.load(path)
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "None"
    onnx.save(model, path)


def photo_crops(extra_dirs):
    paths = [("astronaut", "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"),
             ("messi5", "/usr/share/doc/opencv-doc/examples/data/messi5.jpg")]
    for d in extra_dirs:  # up to 8 more, named after their path under d
        found = sorted(glob.glob(os.path.join(d, "**", "*.jpg"), recursive=True) +
                       glob.glob(os.path.join(d, "**", "*.png"), recursive=True))[:8]
        paths += [(os.path.splitext(os.path.relpath(p, d))[0].replace(os.sep, "_"), p) for p in found]
    crops = []
    for name, p in paths:
        if not os.path.exists(p):
            continue
        im = Image.open(p).convert("RGB")
        side = min(im.size)
        left, top = (im.size[0] - side) // 2, (im.size[1] - side) // 2
        crop = im.crop((left, top, left + side, top + side)).resize((112, 112), Image.BILINEAR)
        crops.append((name, crop))
    if not crops:
        raise SystemExit("no photographs found (python3-skimage's astronaut.png, opencv-doc's messi5.jpg)")
    return crops


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--photos", nargs="*", default=[])
    args = parser.parse_args()
    out = args.out_dir
    os.makedirs(os.path.join(out, "photos"), exist_ok=True)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

    crops = photo_crops(args.photos)
    pixels = []
    with open(os.path.join(out, "photos.txt"), "w") as names:
        for name, crop in crops:
            crop.save(os.path.join(out, "photos", name + ".png"))
            names.write(name + "\n")
            pixels.append(np.asarray(crop, dtype=np.float32).transpose(2, 0, 1))
    # Contiguous NCHW: np.stack of the transposed crops has channels-last strides, on which Debian 13's PyTorch 2.6
    # computes an iResNet's forward ~10 % away from the same values laid out NCHW (measured; 1.13 agrees).
    raw = torch.from_numpy(np.ascontiguousarray(np.stack(pixels)))
    x = (raw - 127.5) / 127.5
    x.numpy().astype("<f4").tofile(os.path.join(out, "photos.input.f32"))
    example = x[:1]

    r50 = IResNet(LAYERS[50])
    randomise(r50, torch.Generator().manual_seed(args.seed + 50))
    r50.eval()
    torch.save(r50.state_dict(), os.path.join(out, "r50.pth"))
    mbf = MobileFaceNet()
    randomise(mbf, torch.Generator().manual_seed(args.seed + 1))
    mbf.eval()
    for name, net in (("r50", r50), ("mbf", mbf)):
        export(net, os.path.join(out, name + ".onnx"), example)
        with torch.no_grad():
            net(x).numpy().astype("<f4").tofile(os.path.join(out, name + ".output.f32"))
    export(SubMul(r50), os.path.join(out, "r50_submul.onnx"), raw[:1])
    with torch.no_grad():
        SubMul(r50)(raw).numpy().astype("<f4").tofile(os.path.join(out, "r50_submul.output.f32"))

    data = open(os.path.join(out, "mbf.onnx"), "rb").read()
    open(os.path.join(out, "bad_truncated.onnx"), "wb").write(data[: len(data) // 2])
    model = onnx.load(os.path.join(out, "mbf.onnx"))
    onnx.save_model(model, os.path.join(out, "bad_external.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="mbf_weights.bin", size_threshold=0)
    os.remove(os.path.join(out, "mbf_weights.bin"))
    export(WithSoftplus(), os.path.join(out, "bad_op.onnx"), example)
    two = MobileFaceNet(norm_output=True)
    randomise(two, torch.Generator().manual_seed(args.seed + 2))
    export(two, os.path.join(out, "bad_two_outputs.onnx"), example)


if __name__ == "__main__":
    main()
