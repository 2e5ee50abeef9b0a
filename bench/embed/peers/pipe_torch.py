"""PyTorch peer for bench/pipeline/run: JPEG files to pooled features, as a
user would write it at its best.  Run with Debian's /usr/bin/python3 (torch,
torchvision, PIL from python3-pil).

usage: pipe_torch.py DATA THREADS REPS [WORKERS]

torchvision.datasets.ImageFolder(DATA) (every image under DATA, recursively)
with a PIL loader in draft mode (Image.draft('RGB', (256, 256)): libjpeg
decodes at 1/2, 1/4 or 1/8 scale when the result still covers 256x256),
then Resize(256) (shorter side, bilinear, antialiased), CenterCrop(224),
ToTensor, Normalize (ImageNet mean and deviation); DataLoader(batch_size=32,
num_workers=WORKERS (1): decoding in a worker process overlaps the network,
persistent_workers, pin_memory off on a CPU).  The network: torchvision
mobilenet_v2 (random weights) features[:14] and features[14].conv[0] (block
13's expansion ConvBNReLU, the layer nsfwjs's Keras block_13_expand_relu
is), 576 x 14 x 14, averaged over H and W: the same layers, shapes and
multiply-adds as tl's mobilenetv2 feature layer.  torch.set_num_threads
(THREADS), eval mode, channels_last (model and each batch),
torch.jit.trace + torch.jit.freeze + torch.jit.optimize_for_inference,
run under torch.inference_mode().  glibc's malloc thresholds are the
caller's (bench/pipeline/run raises them in the environment).

One warm-up epoch over the data set, then REPS timed epochs; prints
"IPS <images/s>" per timed epoch (from the first batch asked for to the last
feature computed: the worker process, the model and its trace are made
before, outside the timing), then an INFO line of the settings.
"""
import os
import sys
import time

import torch
import torchvision
from PIL import Image
from torchvision import transforms


def draft_loader(path):
    with open(path, "rb") as f:
        img = Image.open(f)
        img.draft("RGB", (256, 256))
        return img.convert("RGB")


def network():
    m = torchvision.models.mobilenet_v2(weights=None)
    return torch.nn.Sequential(m.features[:14], m.features[14].conv[0],
                               torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())


def main():
    data, threads, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    workers = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    torch.set_num_threads(threads)
    tf = transforms.Compose([
        transforms.Resize(256),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    ds = torchvision.datasets.ImageFolder(data, transform=tf, loader=draft_loader)
    dl = torch.utils.data.DataLoader(ds, batch_size=32, shuffle=False, num_workers=workers,
                                     persistent_workers=workers > 0)
    model = network().eval().to(memory_format=torch.channels_last)
    with torch.no_grad():
        x = torch.zeros(32, 3, 224, 224).to(memory_format=torch.channels_last)
        model = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, x)))
    n = len(ds)
    with torch.inference_mode():
        for rep in range(-1, reps):
            t0 = time.perf_counter()
            got = 0
            for x, _ in dl:
                f = model(x.to(memory_format=torch.channels_last))
                got += f.shape[0]
            s = time.perf_counter() - t0
            if got != n or f.shape[1] != 576:
                sys.exit(f"pipe_torch.py: {got} features of {f.shape[1]} for {n} images")
            if rep >= 0:
                print(f"IPS {n / s:.3f}", flush=True)
    mal = " ".join(f"{k}={os.environ.get(k, '(unset)')}"
                   for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"))
    print(f"INFO torch {torch.__version__} torchvision {torchvision.__version__} "
          f"PIL {Image.__version__}: {n} images, DataLoader batch 32, num_workers {workers}, "
          f"persistent; set_num_threads {threads}; mkldnn {torch.backends.mkldnn.is_available()}; {mal}")


if __name__ == "__main__":
    main()
