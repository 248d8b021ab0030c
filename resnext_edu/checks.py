"""Argument checks shared by the package: errors that name the value and say what would work.

The course's rule: bad input fails at once, with a ValueError or TypeError a student can act on,
never deep inside torch. This module imports nothing from the rest of the package but i18n.

The messages are in the current language (resnext_edu.i18n). What a caller adds, a check_size `why`,
a check_choice `what` or `hint`, is translated here with _(): mark it with N_() where it is written.
"""
import operator

from torch import nn

from .i18n import N_, _


def _why(why):
    """check_size's reason, translated, after a colon (in Korean, a sentence of its own); "" adds nothing."""
    return _(": {why}").format(why=_(why)) if why else ""


def divisors(n):
    """All whole numbers that divide n, for error messages that suggest what would work."""
    return [k for k in range(1, n + 1) if n % k == 0]


def is_whole(value, minimum=1):
    """True for an int (not a bool) of at least minimum."""
    return not isinstance(value, bool) and isinstance(value, int) and value >= minimum


def check_size(name, value, minimum=1, why="", maximum=None):
    """Raise ValueError unless value is a whole number of at least minimum (and at most maximum)."""
    if maximum is not None and not (is_whole(value, minimum) and value <= maximum):
        raise ValueError(_("{name}={value!r} must be a whole number from {minimum} to {maximum}").format(
            name=name, value=value, minimum=minimum, maximum=maximum) + _why(why))
    if not is_whole(value, minimum):
        raise ValueError(_("{name}={value!r} must be a whole number of at least {minimum}").format(
            name=name, value=value, minimum=minimum) + _why(why))


def check_optional_size(name, value):
    """Raise ValueError unless value is None or a whole number of at least 1."""
    if value is not None and not is_whole(value):
        raise ValueError(_("{name}={value!r} must be None or a whole number of at least 1").format(
            name=name, value=value))


def check_choice(name, value, choices, what=N_("is unknown"), hint=""):
    """Raise ValueError unless value is one of choices (a bool never counts as 0 or 1); hint: another way.

    what and hint are marked with N_() by the caller and translated here.
    """
    if isinstance(value, bool) and not any(isinstance(c, bool) for c in choices) or value not in choices:
        raise ValueError(_("{name}={value!r} {what}; use one of {choices}").format(
            name=name, value=value, what=_(what) if what else what, choices=", ".join(map(repr, choices)))
            + (f" ({_(hint)})" if hint else ""))


def check_divides(name, value, channels_name, channels, suggest=None):
    """Raise ValueError unless value divides channels, suggesting the values that would (default: its divisors)."""
    if channels % value:
        fits = divisors(channels) if suggest is None else suggest
        raise ValueError(_("{name}={value} does not divide {channels_name}={channels}; try one of {fits}").format(
            name=name, value=value, channels_name=channels_name, channels=channels, fits=", ".join(map(str, fits))))


def check_stride(stride):
    """Raise ValueError unless stride is 1 or 2, the only strides of a residual block."""
    if stride not in (1, 2) or isinstance(stride, bool):
        raise ValueError(_("stride={stride!r} is not supported; use 1 (keep the size) or 2 (halve it)").format(
            stride=stride))


def check_module(module, caller):
    """Raise TypeError unless module is an nn.Module instance, with a hint for the common slips."""
    if isinstance(module, nn.Module):
        return
    if isinstance(module, type) and issubclass(module, nn.Module):
        raise TypeError(_("{caller} expects an nn.Module instance, got the class {name}; "
                          "did you forget the parentheses, {name}(...)?").format(caller=caller, name=module.__name__))
    if callable(module) and hasattr(module, "__name__"):
        raise TypeError(_("{caller} expects an nn.Module instance, got the function {name}; "
                          "did you forget the parentheses, {name}()?").format(caller=caller, name=module.__name__))
    if isinstance(module, str):
        raise TypeError(_("{caller} expects an nn.Module instance, got {module!r}, a string; "
                          "build the model first, e.g. registry.create_model({module!r})").format(
                              caller=caller, module=module))
    raise TypeError(_("{caller} expects an nn.Module instance, got {module!r} ({kind})").format(
        caller=caller, module=module, kind=type(module).__name__))


def check_input_size(input_size):
    """Return input_size as a tuple (C, H, W) of ints, or raise ValueError naming it."""
    try:
        size = tuple(input_size)
        whole = all(not isinstance(s, bool) and operator.index(s) >= 1 for s in size)
    except TypeError:
        whole = False
    if not whole or len(size) != 3:
        message = (_("input_size should be (channels, height, width), got {input_size!r}; leave out the batch "
                     "dimension") if whole and len(size) == 4 else
                   _("input_size should be (channels, height, width), got {input_size!r}"))
        raise ValueError(message.format(input_size=input_size))
    return tuple(operator.index(s) for s in size)
