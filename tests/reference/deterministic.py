"""Deterministic weights and input, so our models and torchvision's can be compared without sharing files."""
import torch


def fill_deterministic(model):
    """Fill every tensor of a state_dict from a generator seeded by its position: same in any model
    with the same keys and shapes. BN variances are kept positive."""
    sd = model.state_dict()
    with torch.no_grad():
        for i, (key, tensor) in enumerate(sorted(sd.items())):
            if tensor.dtype != torch.float32:
                continue
            g = torch.Generator().manual_seed(i)
            values = torch.rand(tensor.shape, generator=g)
            if key.endswith("running_var"):
                values = values + 0.5
            elif key.endswith(("weight", "bias")) and tensor.dim() > 1:
                values = (values - 0.5) * (2.0 / max(1, tensor[0].numel())) ** 0.5
            else:
                values = values - 0.5 if not key.endswith("weight") else values + 0.5
            tensor.copy_(values)
    return model


def reference_input():
    return torch.rand((2, 3, 64, 64), generator=torch.Generator().manual_seed(1234))
