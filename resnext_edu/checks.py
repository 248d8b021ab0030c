"""Argument checks shared by the package: errors that name the value and say what would work.

The course's rule: bad input fails at once, with a ValueError or TypeError a student can act on,
never deep inside torch. This module imports nothing from the rest of the package.
"""
import operator

from torch import nn


def divisors(n):
    """All whole numbers that divide n, for error messages that suggest what would work."""
    return [k for k in range(1, n + 1) if n % k == 0]


def check_size(name, value):
    """Raise ValueError unless value is a whole number of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}={value!r} must be a whole number of at least 1")


def check_stride(stride):
    """Raise ValueError unless stride is 1 or 2, the only strides of a residual block."""
    if stride not in (1, 2) or isinstance(stride, bool):
        raise ValueError(f"stride={stride!r} is not supported; use 1 (keep the size) or 2 (halve it)")


def check_module(module, caller):
    """Raise TypeError unless module is an nn.Module instance, with a hint for the common slips."""
    if isinstance(module, nn.Module):
        return
    if isinstance(module, type) and issubclass(module, nn.Module):
        raise TypeError(f"{caller} expects an nn.Module instance, got the class {module.__name__}; "
                        f"did you forget the parentheses, {module.__name__}(...)?")
    if callable(module) and hasattr(module, "__name__"):
        raise TypeError(f"{caller} expects an nn.Module instance, got the function {module.__name__}; "
                        f"did you forget the parentheses, {module.__name__}()?")
    if isinstance(module, str):
        raise TypeError(f"{caller} expects an nn.Module instance, got {module!r}, a string; "
                        f"build the model first, e.g. models.{module}()")
    raise TypeError(f"{caller} expects an nn.Module instance, got {module!r} ({type(module).__name__})")


def check_input_size(input_size):
    """Return input_size as a tuple (C, H, W) of ints, or raise ValueError naming it."""
    message = f"input_size should be (channels, height, width), got {input_size!r}"
    try:
        size = tuple(input_size)
        whole = all(not isinstance(s, bool) and operator.index(s) >= 1 for s in size)
    except TypeError:
        whole = False
    if whole and len(size) == 4:
        message += "; leave out the batch dimension"
    if not whole or len(size) != 3:
        raise ValueError(message)
    return tuple(operator.index(s) for s in size)
