"""resnext_edu.data: the idx reader, sha256 checks, the committed subset, augmentation."""
import gzip
import struct
import sys
from pathlib import Path

import pytest
import torch

from resnext_edu import data

ROOT = Path(__file__).resolve().parents[1]
full_set = pytest.mark.skipif(not data.full_set_available(),
                              reason="the full set is not installed (apt install dataset-fashion-mnist)")


def idx_bytes(array):
    """An idx file written by hand: 0, 0, type 0x08 (uint8), ndim, big-endian sizes, then the bytes."""
    return bytes([0, 0, 8, array.dim()]) + struct.pack(f">{array.dim()}I", *array.shape) + array.numpy().tobytes()


@pytest.fixture
def images():
    return torch.arange(3 * 4 * 5, dtype=torch.uint8).reshape(3, 4, 5)


# --- the idx reader ----------------------------------------------------------------------------


def test_read_idx_raw_and_gzipped(tmp_path, images):
    (tmp_path / "x").write_bytes(idx_bytes(images))
    (tmp_path / "x.gz").write_bytes(gzip.compress(idx_bytes(images)))
    for name in ("x", "x.gz"):
        out = data.read_idx(tmp_path / name)
        assert out.dtype == torch.uint8 and torch.equal(out, images)
    labels = torch.tensor([3, 1, 4, 1, 5], dtype=torch.uint8)
    (tmp_path / "y").write_bytes(idx_bytes(labels))
    assert torch.equal(data.read_idx(tmp_path / "y"), labels)


@pytest.mark.parametrize("damage, message", [
    (lambda b: b[:-1], "truncated"),                       # one byte short
    (lambda b: b + b"\0", "needs"),                        # one byte too many
    (lambda b: b[:6], "header is cut off"),
    (lambda b: b"\1" + b[1:], "not an idx file"),          # wrong magic
    (lambda b: b[:2] + b"\x0d" + b[3:], "not supported"),  # float32 type
])
def test_read_idx_rejects_damaged_files(tmp_path, images, damage, message):
    path = tmp_path / "bad"
    path.write_bytes(damage(idx_bytes(images)))
    with pytest.raises(data.DataError, match=message) as err:
        data.read_idx(path)
    assert str(path) in str(err.value)


def test_read_idx_rejects_a_truncated_gzip(tmp_path, images):
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(idx_bytes(images))[:-10])
    with pytest.raises(data.DataError, match="truncated"):
        data.read_idx(path)


# --- sha256 checks -----------------------------------------------------------------------------


def fake_full_set(folder):
    """Four well-formed idx files with Fashion-MNIST's names, but not its contents."""
    for images_name, labels_name in data.FILES.values():
        (folder / f"{images_name}.gz").write_bytes(gzip.compress(idx_bytes(torch.zeros(2, 28, 28, dtype=torch.uint8))))
        (folder / f"{labels_name}.gz").write_bytes(gzip.compress(idx_bytes(torch.zeros(2, dtype=torch.uint8))))


def test_a_wrong_file_fails_its_checksum_before_parsing(tmp_path, monkeypatch):
    fake_full_set(tmp_path)
    monkeypatch.setattr(data, "read_idx", lambda path: pytest.fail("parsed a file that failed its sha256"))
    with pytest.raises(data.DataError) as err:
        data.load_fashion_mnist("train", path=tmp_path)
    message = str(err.value)
    assert "train-images-idx3-ubyte.gz" in message and "sha256" in message
    assert "apt install dataset-fashion-mnist" in message and "zalandoresearch" in message


def test_a_missing_file_says_how_to_get_it(tmp_path):
    with pytest.raises(data.DataError) as err:
        data.load_fashion_mnist("test", path=tmp_path)
    assert "t10k-images-idx3-ubyte.gz is missing" in str(err.value)
    assert "apt install dataset-fashion-mnist" in str(err.value)
    with pytest.raises(data.DataError, match="not a folder"):
        data.load_fashion_mnist("test", path=tmp_path / "nowhere")


def test_a_damaged_subset_file_is_named(tmp_path, monkeypatch):
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (tmp_path / name).write_bytes((data.SUBSET_DIR / name).read_bytes())
    images = tmp_path / "t10k-images-idx3-ubyte.gz"
    images.write_bytes(images.read_bytes()[:-100])  # truncated
    monkeypatch.setattr(data, "SUBSET_DIR", tmp_path)
    with pytest.raises(data.DataError, match="t10k-images-idx3-ubyte.gz has sha256") as err:
        data.load_fashion_mnist("test")
    assert "make data" in str(err.value)


def test_unknown_split():
    with pytest.raises(ValueError, match="split='val'"):
        data.load_fashion_mnist("val")


# --- the committed subset ----------------------------------------------------------------------


def test_the_subset_is_balanced_small_and_verified():
    total = sum(p.stat().st_size for p in data.SUBSET_DIR.glob("*.gz"))
    assert total <= 6_000_000
    sums = dict(reversed(line.split()) for line in (data.SUBSET_DIR / "SHA256SUMS").read_text().splitlines())
    for name, digest in data.SUBSET_SHA256.items():
        assert sums[f"{name}.gz"] == digest == data.sha256(data.SUBSET_DIR / f"{name}.gz")
        assert digest in (ROOT / "data" / "README.md").read_text()
    for split, per_class in [("train", 1000), ("test", 200)]:
        x, y = data.load_fashion_mnist(split)
        assert x.shape == (10 * per_class, 28, 28) and x.dtype == torch.uint8 and y.dtype == torch.int64
        assert y.bincount().tolist() == [per_class] * 10


@full_set
def test_the_full_set_and_the_subset_made_from_it():
    sys.path.insert(0, str(ROOT / "scripts"))
    import make_data

    x, y = data.load_fashion_mnist("train", full=True)
    assert x.shape == (60_000, 28, 28) and y.bincount().tolist() == [6000] * 10
    keep = make_data.stratified(y, 1000)
    sub_x, sub_y = data.load_fashion_mnist("train")
    assert torch.equal(sub_x, x[keep]) and torch.equal(sub_y, y[keep])
    # MEAN and STD are the full training set's
    f = x.float() / 255
    assert abs(f.mean() - data.MEAN) < 1e-4 and abs(f.std() - data.STD) < 1e-4


# --- augmentation ------------------------------------------------------------------------------


def test_augment_is_a_seeded_shift_and_flip():
    x = torch.rand(16, 1, 28, 28)
    assert torch.equal(data.random_crop(x, 0), x)  # no padding: nothing to shift
    a = data.augment(x, torch.Generator().manual_seed(1))
    b = data.augment(x, torch.Generator().manual_seed(1))
    assert a.shape == x.shape and torch.equal(a, b)
    # each output is the input shifted by at most 2 pixels (with black borders), maybe mirrored
    for img, out in zip(x, a):
        padded = torch.nn.functional.pad(img, (2, 2, 2, 2))
        crops = [padded[:, i:i + 28, j:j + 28] for i in range(5) for j in range(5)]
        assert any(torch.equal(out, c) or torch.equal(out, c.flip(2)) for c in crops)


def test_normalize_gives_zero_mean_unit_std():
    x, _ = data.load_fashion_mnist("test")
    z = data.normalize(data.to_float(x))
    assert z.shape == (2000, 1, 28, 28)
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05
