"""The course's named models in one registry: a decorator and one dict, as timm's `@register_model`.

    @register_model                            # in models.py and family/: the builder's name is the key
    def resnext50_32x4d(num_classes=1000): ...

    create_model("resnext50_32x4d")            # the CLI, the tests and the explorers build by name
    MODELS["resnext29_8x64d"].input_size       # (3, 32, 32): the input the model is made for

`import resnext_edu` registers every model (the package imports models and family). This module
imports nothing from the rest of the package but i18n.
"""
import difflib
from typing import Callable, NamedTuple

from .i18n import _


class Entry(NamedTuple):
    """A registered model: its builder and the input size (C, H, W) it is made for."""

    builder: Callable
    input_size: tuple


MODELS = {}  # name -> Entry, in the order the builders were registered


def register_model(fn=None, *, input_size=(3, 224, 224)):
    """Register a builder under its own name; use as @register_model or @register_model(input_size=...)."""
    def add(builder):
        name = builder.__name__
        if name in MODELS:
            raise ValueError(_("a model named {name!r} is registered already (by {module})").format(
                name=name, module=MODELS[name].builder.__module__))
        MODELS[name] = Entry(builder, tuple(input_size))
        return builder
    return add if fn is None else add(fn)


def unknown_model(name):
    """One line naming the valid models, with the closest one first if there is one."""
    close = difflib.get_close_matches(str(name), MODELS, n=1)
    hint = _(" Did you mean {model}?").format(model=close[0]) if close else ""
    return _("unknown model {name!r}.{hint} Valid models: {models}").format(name=name, hint=hint,
                                                                           models=", ".join(MODELS))


def check_model_name(name):
    """Raise ValueError unless name is a registered model, naming the closest one."""
    if name not in MODELS:
        raise ValueError(unknown_model(name))


def create_model(name, **kwargs):
    """Build a registered model by name, e.g. create_model("resnext50_32x4d", num_classes=10)."""
    check_model_name(name)
    return MODELS[name].builder(**kwargs)


def list_models(module=None):
    """Names of the registered models, or of those defined in one module (e.g. "resnest")."""
    return [name for name, entry in MODELS.items()
            if module is None or entry.builder.__module__.rsplit(".", 1)[-1] == module]
