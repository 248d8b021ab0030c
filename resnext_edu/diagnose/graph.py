"""Reading the autograd graph of a traced forward pass: which values fed which.

Every tensor made in the forward pass carries its autograd node (`grad_fn`). Walking that graph
backwards from a layer's input finds the layers that fed it, through functional code too
(`x + y`, `torch.cat`, `torch.split`). Nodes are numbered in creation order, so a walk that
starts inside a module's call stops where that call's input was made.
"""


def seq(node):
    """Creation number of an autograd node (parameters' AccumulateGrad nodes come last)."""
    return node._sequence_nr()


def is_add(node):
    return type(node).__name__.startswith("AddBackward")


def parents(node):
    """The nodes a node reads from, without parameters (AccumulateGrad)."""
    return [n for n, _index in node.next_functions if n is not None and type(n).__name__ != "AccumulateGrad"]


def bound(call):
    """Creation number of the call's input: nodes made before it lie outside the call."""
    return min((seq(n) for n in call.in_nodes), default=-1)


def walk(starts, stop, limit, targets):
    """Walk back from `starts` to the nodes in `stop`, not past nodes made at or before `limit`.

    Returns (indices of the targets met, each ending its branch; all nodes seen; whether a node in
    `stop` was reached). targets maps a leaf's output node to the leaf's call index.
    """
    found, seen, reached = set(), set(), False
    todo = list(starts)
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        if node in stop:
            reached = True
        elif node in targets:
            found.add(targets[node])
        elif seq(node) > limit:
            todo.extend(parents(node))
    return found, seen, reached
