"""Notebook 00: three warm-up questions that show how `check()`, `hint()` and `solution()` work."""
from ..i18n import N_, _
from .core import CS, EqualityProblem, Incorrect, bind_exercises


class Cardinality(EqualityProblem):
    """The C in ResNeXt-50 (32x4d)."""

    _var = "cardinality"
    _expected = 32
    _hints = (N_("The paper names a ResNeXt by its template, C×d: the cardinality first, then the width of one "
                 "path (Xie et al., Sec. 5.1)."),
              N_("In 32x4d, C is the number in front of the x."))
    _solution = CS("cardinality = 32")
    _typical_mistake = CS("cardinality = 4")
    _mistakes = {4: N_("4 is the width of each path, d. The number of paths, C, comes first in the name.")}
    _correct_message = N_("ResNeXt-50 (32x4d) has C = 32 paths in every block (Xie et al., Table 1).")


class BottleneckWidth(EqualityProblem):
    """The d in ResNeXt-50 (32x4d), in the first stage."""

    _var = "bottleneck_width"
    _expected = 4
    _hints = (N_("d is the number of channels inside one path, in the first stage (conv2)."),
              N_("In 32x4d, d is the number between the x and the letter d."))
    _solution = CS("bottleneck_width = 4")
    _typical_mistake = CS("bottleneck_width = 32")
    _mistakes = {32: N_("32 is the number of paths, C. The width of one path comes after the x."),
                 128: N_("128 is the width of all paths together, C·d. Each single path is narrower.")}
    _correct_message = N_("Each path is d = 4 channels wide in the first stage; d doubles in every later stage, "
                          "with the group width: 128, 256, 512, 1024 (Xie et al., Table 1).")


class GroupWidth(EqualityProblem):
    """The group width C·d of the first stage of ResNeXt-50 (32x4d)."""

    _var = "group_width"
    _hints = (N_("The group width is the number of channels in the block's 3x3 stage, all paths together."),
              N_("Multiply the number of paths by the width of one path."))
    _solution = CS("group_width = 32 * 4")
    _typical_mistake = CS("group_width = 32 + 4")
    _correct_message = N_("C·d = 128: the 3x3 conv of form (c) has 128 channels, in 32 groups of 4 (Xie et al., "
                          "Fig. 3(c) and Table 1).")

    def _check(self, value):
        if not isinstance(value, int):
            raise Incorrect(_("Expected a whole number of channels, but `group_width` is {value!r}.").format(
                value=value))
        if value == 36:
            raise Incorrect(_("You added C and d. The paths sit side by side, so their widths multiply: "
                              "C paths of d channels each."))
        if value != 128:
            raise Incorrect(_("`group_width` is {value}, which is not C·d for 32x4d. "
                              "C is the number of paths and d the width of one; call `q3.hint()`.").format(value=value))


bind_exercises(globals(), [Cardinality, BottleneckWidth, GroupWidth])
