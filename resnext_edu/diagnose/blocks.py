"""Finding the residual blocks of any traced model, and the dataflow between the layers inside them.

A container is a block if (a) its output is an addition (perhaps followed by a ReLU) of two values
that both come from the container's input and meet first there, or (b) it has a child named like
a shortcut (`downsample`, `shortcut`, `skip`): that catches blocks whose shortcut is never used.
A stage (nn.Sequential of blocks) is not a block: its additions meet at the previous block's
output. The innermost block around a layer is "its" block. Within one block, a path is a chain
of leaves linked by dataflow (He et al. 2016, Fig. 2; Xie et al. 2017, Fig. 3).
"""
import re
from dataclasses import dataclass

from torch import nn

from ..i18n import _
from ..trace import Call
from .graph import bound, is_add, parents, seq, walk

SHORTCUT_NAMES = re.compile(r"downsample|shortcut|skip", re.IGNORECASE)
SHUFFLE_NODES = re.compile(r"Transpose|Permute|ChannelShuffle")  # how a channel shuffle shows in autograd
TAIL_OPS = 8  # single-input ops allowed after the addition: ReLU, dropout, a cast


@dataclass(eq=False)
class Block:
    """A residual block found in the trace."""

    call: Call
    leaves: list        # leaf calls inside it, in execution order
    preds: dict         # leaf index -> indices of the leaves in the block that feed it
    add: tuple = None   # (side_a, side_b): leaf indices on each side of its residual addition
    shuffled: bool = False  # a channel shuffle (transpose or permute) happens inside it

    @property
    def name(self):
        return self.call.name or "(model)"

    @property
    def label(self):
        """How the text names it: "layer1.0", or "the model" (in the current language) for diagnose(block)."""
        return self.call.name or _("the model")


def residual_sides(call, leaf_out):
    """Leaves on each side of the call's residual addition, or None if it has none.

    The output, after single-input tail ops (ReLU), must be an addition whose two operands
    both come from the container's input, and meet there first: no addition is shared by both.
    leaf_out maps each leaf's output node to its call index.
    """
    stop, limit = set(call.in_nodes), bound(call)
    node = call.out_node
    for _step in range(TAIL_OPS):
        if node is None or node in stop or seq(node) <= limit:
            return None
        if is_add(node):
            break
        inputs = parents(node)
        if len(inputs) != 1:
            return None
        node = inputs[0]
    else:
        return None
    operands = parents(node)
    if len(operands) != 2:
        return None
    walks = [walk([op], stop, limit, {}) for op in operands]
    if not all(reached for _found, _seen, reached in walks):
        return None
    shared = (walks[0][1] & walks[1][1]) - stop
    if any(is_add(n) for n in shared):
        return None  # a stage: its additions meet at the previous block's output
    return tuple({leaf_out[n] for n in seen if n in leaf_out} for _found, seen, _reached in walks)


def find_blocks(trace):
    """The innermost residual blocks of a trace (run with backward=True), each with its dataflow."""
    calls = trace.calls
    leaf_out = {c.out_node: c.index for c in calls if c.leaf and not c.passthrough}
    found = {}
    for call in calls:
        if call.leaf or call.out_node is None:
            continue
        sides = residual_sides(call, leaf_out)
        # The model itself is a block only by its addition (diagnose(block)), not by a child's name.
        # A shortcut container itself (`shortcut` holding `shortcut_conv`) is not a block.
        named = (bool(call.parents) and any(SHORTCUT_NAMES.search(child) for child in call.module._modules)
                 and not SHORTCUT_NAMES.search(call.name.rpartition(".")[2]))
        if sides is not None or named:
            found[call.index] = sides
    inner = [i for i in found if not any(i in calls[j].parents for j in found)]
    blocks = []
    for i in inner:
        call = calls[i]
        leaves = [c for c in calls if c.leaf and i in c.parents]
        targets = {c.out_node: c.index for c in leaves if not c.passthrough}
        stop, limit = set(call.in_nodes), bound(call)
        preds = {c.index: walk(c.in_nodes, stop, limit, targets)[0] for c in leaves}
        region = walk([call.out_node], stop, limit, {})[1]
        shuffled = any(SHUFFLE_NODES.search(type(n).__name__) for n in region) or any(
            isinstance(c.module, nn.ChannelShuffle) for c in leaves)
        blocks.append(Block(call, leaves, preds, found[i], shuffled))
    return blocks
