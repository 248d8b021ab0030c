"""Fashion-MNIST, offline: an idx reader that checks sha256 first, a committed subset, plain-torch augmentation.

Fashion-MNIST (Xiao, Rasul and Vollgraf 2017, https://arxiv.org/abs/1708.07747;
https://github.com/zalandoresearch/fashion-mnist, MIT licence, Zalando SE): 60,000 training and
10,000 test images of clothing, 28x28 greyscale, 10 balanced classes. It stands in for CIFAR
(Xie et al. 2017, Sec. 5.3) because it trains in minutes, not hours.

Where the images come from (nothing is ever downloaded):
- by default, the stratified subset committed in data/fashion-mnist-subset (1,000 training and
  200 test images per class), made once from the full set by `make data` (scripts/make_data.py);
- with full=True, the full set from Debian's `dataset-fashion-mnist` package
  (/usr/share/datasets/fashion-mnist);
- with path=..., the four files in a folder of your own (as .gz, or gunzipped).
Every file's sha256 is checked before it is parsed, so a damaged copy fails with a message that
names the file, instead of training on garbage.
"""
import gzip
import hashlib
import struct
from pathlib import Path

import torch
import torch.nn.functional as F

from .i18n import N_, _

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
FILES = {  # split: (images, labels), the names Zalando publishes them under (without .gz)
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
ROOT = Path(__file__).resolve().parents[1]
SUBSET_DIR = ROOT / "data" / "fashion-mnist-subset"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
MEAN, STD = 0.2860, 0.3530  # pixel mean and std of the full training set, in [0, 1]

# sha256 of each file of the full set, in the three forms it comes in. The Fashion-MNIST README
# publishes MD5s of the .gz files (train-images 8d4fb7e6..., train-labels 25c81989...,
# t10k-images bef4ecab..., t10k-labels bb300cfd...). Debian's copies have other MD5s, because
# strip-nondeterminism rewrote the gzip header (file name dropped, time set to the upload). We
# checked on 2026-11-23 that putting the original header back (name, and the 2017-08-31 time)
# reproduces all four published MD5s byte for byte, so Debian's deflate streams, and the images,
# are Zalando's. The sha256 below were computed then, from those files.
FULL_SHA256 = {
    "train-images-idx3-ubyte": {
        "published .gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "Debian .gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
        "gunzipped": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    },
    "train-labels-idx1-ubyte": {
        "published .gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "Debian .gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
        "gunzipped": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    },
    "t10k-images-idx3-ubyte": {
        "published .gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "Debian .gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
        "gunzipped": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    },
    "t10k-labels-idx1-ubyte": {
        "published .gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        "Debian .gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
        "gunzipped": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}
# sha256 of the committed subset's .gz files, as scripts/make_data.py writes them (data/README.md).
SUBSET_SHA256 = {
    "train-images-idx3-ubyte": "30835e9a71a899502c217225095904295550dd83bc57062483662e91e05b8255",
    "train-labels-idx1-ubyte": "24d6917c5adbe64204fcd918b8438e4d282a755248768af93c30c16ae40e796e",
    "t10k-images-idx3-ubyte": "f44448a4643cec813e8d6d2e274675e5ecfdb844bbc94ab995a2718032e0769f",
    "t10k-labels-idx1-ubyte": "0218bee0a51c2e6de772cca9cb42ae1f174f037cc61a87c9057252f280532886",
}

# What to do when the data is missing, the last sentence of a DataError: marked here, translated where raised.
HOW_TO_GET_FULL_TEMPLATE = N_(
    "To get the full set: `sudo apt install dataset-fashion-mnist` (Debian/Ubuntu, installs it in "
    "{folder}), or download the four .gz files listed at "
    "https://github.com/zalandoresearch/fashion-mnist#get-the-data into a folder and pass that folder "
    "(path=... in Python, --data in the CLI).")
HOW_TO_GET_FULL = HOW_TO_GET_FULL_TEMPLATE.format(folder=DEBIAN_DIR)  # in English, for the command line
HOW_TO_GET_SUBSET = N_("The subset is committed with the course: restore it with `git checkout -- data/`, "
                       "or rebuild it from the full set with `make data`.")


class DataError(OSError):
    """A data file is missing, damaged or not what we expect; the message names it and says what to do."""


def sha256(path):
    """Hex sha256 of a file, read in 1 MB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# idx: a big-endian header, then the raw array (http://yann.lecun.com/exdb/mnist/, bottom of the page).
# Bytes 0-1 are zero, byte 2 is the type (0x08 = uint8), byte 3 the number of dimensions, then
# one 4-byte size per dimension. Images are (N, 28, 28) uint8; labels are (N,) uint8.
IDX_TYPES = {0x08: torch.uint8}


def read_idx(path):
    """Parse an idx file (gzipped or not) into a tensor, e.g. (N, 28, 28) uint8 images.

    This checks the format only; load_fashion_mnist checks the sha256 before calling it.
    """
    path = Path(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":  # gzip's magic number: decompress first
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise DataError(_("{path} is not a complete gzip file ({err}); it may be truncated").format(
                path=path, err=err)) from None
    if len(raw) < 4 or raw[:2] != b"\0\0":
        raise DataError(_("{path} is not an idx file: it should start with two zero bytes").format(path=path))
    dtype, ndim = raw[2], raw[3]
    if dtype not in IDX_TYPES:
        raise DataError(_("{path}: idx type 0x{dtype:02x} is not supported; Fashion-MNIST uses 0x08 (uint8)").format(
            path=path, dtype=dtype))
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(_("{path} is truncated: its header is cut off").format(path=path))
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = header + torch.Size(shape).numel()
    if len(raw) != expected:
        raise DataError(_("{path} holds {size:,} bytes but its header {shape} needs {expected:,}; "
                          "it is truncated or damaged").format(path=path, size=len(raw), shape=shape,
                                                               expected=expected))
    data = torch.frombuffer(bytearray(raw[header:]), dtype=IDX_TYPES[dtype])
    return data.reshape(shape)


def _find(folder, name):
    """The file for `name` in folder, gzipped or not, or None."""
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    return None


def _read_checked(folder, name, known, how_to_get):
    """read_idx after checking the file's sha256 against the known ones (a dict of form: sha256)."""
    path = _find(folder, name)
    if path is None:
        raise DataError(_("{path} is missing. {how_to_get}").format(path=folder / (name + ".gz"),
                                                                     how_to_get=how_to_get))
    digest = sha256(path)
    if digest not in known.values():
        raise DataError(_("{path} has sha256 {digest}, which is not a known copy of Fashion-MNIST's {name} "
                          "({forms}): it is damaged, truncated or a different file. {how_to_get}").format(
                              path=path, digest=digest, name=name, forms=", ".join(known), how_to_get=how_to_get))
    return read_idx(path)


def load_fashion_mnist(split="train", full=False, path=None):
    """(images (N, 28, 28) uint8, labels (N,) int64) of one split, each file's sha256 checked first.

    split: "train" or "test".
    full:  False gives the committed subset (10,000 train, 2,000 test, balanced); True the full
           set (60,000 / 10,000) from Debian's package.
    path:  a folder holding the four Fashion-MNIST files (implies the full set).
    """
    if split not in FILES:
        raise ValueError(_("split={split!r} is unknown; use 'train' or 'test'").format(split=split))
    how_to_get_full = _(HOW_TO_GET_FULL_TEMPLATE).format(folder=DEBIAN_DIR)
    if path is not None:
        folder, how_to_get = Path(path), how_to_get_full
        if not folder.is_dir():
            raise DataError(_("data path {folder} is not a folder. {how_to_get}").format(folder=folder,
                                                                                         how_to_get=how_to_get))
    elif full:
        folder, how_to_get = DEBIAN_DIR, how_to_get_full
    else:
        folder, how_to_get = SUBSET_DIR, _(HOW_TO_GET_SUBSET)
    subset = folder == SUBSET_DIR

    def known(name):
        """The sha256 this file may have, by the form it comes in."""
        return {"subset": SUBSET_SHA256[name]} if subset else FULL_SHA256[name]

    images_name, labels_name = FILES[split]
    images = _read_checked(folder, images_name, known(images_name), how_to_get)
    labels = _read_checked(folder, labels_name, known(labels_name), how_to_get)
    if images.dim() != 3 or labels.dim() != 1 or len(images) != len(labels):
        raise DataError(_("{folder}: images {images} and labels {labels} do not match").format(
            folder=folder, images=tuple(images.shape), labels=tuple(labels.shape)))
    return images, labels.long()


def full_set_available(path=None):
    """True when the full set's four files are in path (default: Debian's folder)."""
    folder = Path(path) if path is not None else DEBIAN_DIR
    return all(_find(folder, name) for pair in FILES.values() for name in pair)


# --- turning uint8 images into network inputs, with plain torch ops -----------------------


def to_float(images):
    """uint8 (N, 28, 28) -> float (N, 1, 28, 28) in [0, 1]."""
    return images.unsqueeze(1).float().div_(255)


def normalize(x):
    """Shift and scale to zero mean and unit variance (over the full training set): BN-friendly inputs."""
    return (x - MEAN) / STD


def random_crop(x, padding, generator=None):
    """Pad each image with `padding` black pixels, then cut a random crop of the original size.

    x: (N, C, H, W) in [0, 1] (0 is Fashion-MNIST's black background). Each image gets its own
    shift of up to `padding` pixels in each direction, so the network cannot rely on exact positions.
    """
    n, c, h, w = x.shape
    padded = F.pad(x, (padding, padding, padding, padding))  # (N, C, H + 2p, W + 2p)
    # Draw on the CPU (where the generator lives), so a GPU run makes the same crops as a CPU run.
    top = torch.randint(0, 2 * padding + 1, (n,), generator=generator).to(x.device)
    left = torch.randint(0, 2 * padding + 1, (n,), generator=generator).to(x.device)
    rows = (top[:, None] + torch.arange(h, device=x.device))[:, None, :, None]    # (N, 1, H, 1)
    cols = (left[:, None] + torch.arange(w, device=x.device))[:, None, None, :]   # (N, 1, 1, W)
    batch = torch.arange(n, device=x.device)[:, None, None, None]                 # (N, 1, 1, 1)
    channel = torch.arange(c, device=x.device)[None, :, None, None]               # (1, C, 1, 1)
    return padded[batch, channel, rows, cols]  # broadcasts to (N, C, H, W)


def random_flip(x, generator=None):
    """Mirror each image left-right with probability 1/2 (a mirrored shirt is still a shirt)."""
    flip = (torch.rand(len(x), generator=generator) < 0.5).to(x.device)
    return torch.where(flip[:, None, None, None], x.flip(3), x)


def augment(x, generator=None, padding=2):
    """Random crop with padding, then a random horizontal flip: (N, C, H, W) in [0, 1]."""
    return random_flip(random_crop(x, padding, generator), generator)
