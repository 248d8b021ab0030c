"""The misconception quiz of notebook 07: multiple choice, with feedback for every option.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431. Each wrong option is a plausible misreading (is ResNeXt an
ensemble? is `groups` the width of a group? are FLOPs time?), and its feedback says why it is
wrong and where the paper or a library's source says so. The questions are MultipleChoiceProblems like every
other exercise: `q1.check("b")`, `q1.hint()`, `q1.solution()`.

    >>> quiz()                      # in a notebook: radio buttons, feedback, a score line
    >>> q1.evaluate("b").correct    # without widgets, for tests and scripts
"""
from ..i18n import N_, _
from .core import MultipleChoiceProblem, bind_exercises


class Ensemble(MultipleChoiceProblem):
    _question = N_("ResNeXt-50 (32x4d) aggregates 32 paths in every block. Is it an ensemble of 32 networks?")
    _options = (
        N_("Yes: each path is a small network, and the block averages their votes."),
        N_("No: the paths are trained jointly, through one loss, and summed inside every block."),
        N_("Only form (a) is, because there the paths are separate modules."),
        N_("Yes: you could train each path alone and put them together afterwards."),
    )
    _answer = "b"
    _feedback = (
        N_("An ensemble averages a set of independently trained networks (Sec. 2, 'Ensembling'). A path is a "
           "piece of one block: its output is summed with the other paths' and feeds the next block."),
        N_("The paper argues exactly this: it is imprecise to call it ensembling, because the members being "
           "aggregated are trained jointly, not independently. Each block's sum is one transformation inside "
           "one network."),
        N_("Forms (a), (b) and (c) are strictly equivalent (Sec. 3.3, and Sec. 4 for BN and ReLU); form (a) only "
           "writes the paths out. If (a) were an ensemble, (c) would be one too."),
        N_("Nothing in ResNeXt trains a path alone. A path reads the previous block's output, which all paths "
           "of all earlier blocks shaped together through one loss."),
    )
    _source = N_("Xie et al. 2017, Sec. 2, 'Ensembling'")


class GroupsArgument(MultipleChoiceProblem):
    _question = N_("In the conv2 stage of ResNeXt-50 (32x4d) the block's 3x3 conv has 128 channels in and "
                   "out. What are the cardinality C, the bottleneck width d, and the `groups` argument of its "
                   "nn.Conv2d?")
    _options = (  # formulas, the same in every language: not marked for translation
        "C = 32, d = 4, groups=32",
        "C = 32, d = 4, groups=4",
        "C = 4, d = 32, groups=4",
        "C = 32, d = 128, groups=32",
    )
    _answer = "a"
    _feedback = (
        N_("`groups` is the number of groups, which is the cardinality C: the grouped layer of Fig. 3(c) "
           "'performs 32 groups of convolutions whose input and output channels are 4-dimensional' (Sec. 3.3). "
           "The group width C·d = 128 is the conv's whole width."),
        N_("`groups` counts groups, not channels per group: groups=4 makes 4 paths of 32 channels, another "
           "network. d2l's `ResNeXtBlock` takes an argument named `groups` that holds the channels per group "
           "(it passes `bot_channels // groups` to the conv), a name that invites exactly this slip."),
        N_("The name reads C x d: 32x4d is the template with cardinality 32 and bottleneck width 4d "
           "(Sec. 5.1, 'Notations'; Table 1)."),
        N_("128 is the group width C·d, the width of the whole 3x3 conv. d is the width of one path: 128 / 32 "
           "= 4."),
    )
    _source = N_("Xie et al. 2017, Table 1 and Sec. 3.3")


class Depthwise(MultipleChoiceProblem):
    _question = N_("Is a depthwise convolution the same thing as a grouped convolution?")
    _options = (
        N_("It is the extreme case: a grouped conv with groups equal to the number of channels."),
        N_("No: depthwise convolves every channel with every filter, a different operation."),
        N_("Yes: every grouped conv is a depthwise conv."),
        N_("No: depthwise means a 1x1 conv."),
    )
    _answer = "a"
    _feedback = (
        N_("nn.Conv2d(c, c, 3, groups=c) is depthwise: one channel per group, which PyTorch's Conv2d "
           "documentation calls a depthwise convolution. The paper calls this special case, groups equal to "
           "channels, channel-wise convolution, part of Sifre and Mallat's separable convolutions (Sec. 2). "
           "ResNeXt sits in between: in conv2, 32 groups of 4 channels; with groups=1 it is ResNet."),
        N_("That describes an ordinary conv. Depthwise filters each channel with its own filter only, which is "
           "a grouped conv with one channel per group."),
        N_("Only groups = channels is depthwise. With groups=32 over 128 channels, each group still mixes its "
           "4 channels."),
        N_("The 1x1 conv that usually follows a depthwise conv is the pointwise conv; the two together make a "
           "depthwise separable conv."),
    )
    _source = N_("Xie et al. 2017, Sec. 2, 'Grouped convolutions'; PyTorch torch/nn/modules/conv.py, Conv2d docs")


class FlopsAndSpeed(MultipleChoiceProblem):
    _question = N_("ResNeXt-50 (32x4d) and ResNet-50 need about the same FLOPs (4.2 and 4.1 billion "
                   "multiply-adds, Table 1). Do they run at the same speed?")
    _options = (
        N_("Yes: the same FLOPs take the same time."),
        N_("Not necessarily: time also depends on memory traffic, and grouped convs do less arithmetic per byte."),
        N_("ResNeXt is faster: its 32 groups are small convs that run in parallel."),
        N_("They are equal on a GPU and differ only on a CPU."),
    )
    _answer = "b"
    _feedback = (
        N_("FLOPs count arithmetic, not time. A grouped conv reads and writes as many activations as a dense "
           "conv of the same width but does fewer multiply-adds per value it moves, so memory traffic weighs "
           "more (ShuffleNet V2, Sec. 2, Eq. 2)."),
        N_("The paper measured it: training ResNeXt-101 (32x4d) took 0.95 s per mini-batch against 0.70 s for "
           "ResNet-101 of similar FLOPs (Sec. 5.1, 'Performance'). ShuffleNet V2 (Ma et al. 2018) calls FLOPs an "
           "indirect metric of speed, and its guideline G2 says that at equal FLOPs more groups cost more memory "
           "access. Time both models on your machine before you trust a FLOPs table."),
        N_("The paper's own measurement says otherwise: ResNeXt-101 (32x4d) trained at 0.95 s per mini-batch "
           "against 0.70 s for ResNet-101 of similar FLOPs, with Torch's grouped convolution, which the "
           "authors call 'brute-force and not parallelization-friendly' (Sec. 5.1, 'Performance')."),
        N_("The paper measured its overhead on GPUs and expected less on CPUs (Sec. 5.1). ShuffleNet V2 found 8 "
           "groups more than two times slower than 1 on a GPU and up to 30% slower on an ARM CPU, at equal FLOPs "
           "(Sec. 2, G2). The size of the gap depends on the device and the library: measure it on yours."),
    )
    _source = N_("Xie et al. 2017, Sec. 5.1, 'Performance'; Ma et al. 2018 (ShuffleNet V2), Sec. 2, guideline G2")


class FormsBAndC(MultipleChoiceProblem):
    _question = N_("Do forms (b) and (c) of the ResNeXt block (Fig. 3) compute different functions?")
    _options = (
        N_("No: with the weights copied they give the same output; (c) is (b) written as one grouped conv."),
        N_("Yes: (c) has fewer parameters, since grouping saves weights."),
        N_("Yes: (b) is more accurate, because its paths are separate modules."),
        N_("Only in training mode, because BatchNorm sees the paths together in (c)."),
    )
    _answer = "a"
    _feedback = (
        N_("The three forms are strictly equivalent (Sec. 3.3, and Sec. 4 for where BN and ReLU go). "
           "`blocks.convert(block, 'b')` copies the weights, and the outputs agree to float32 precision in "
           "training and in eval mode."),
        N_("They have exactly the same weights: the C path convs of (b) are the C groups' filters of (c) (the "
           "fused weight is block-diagonal, see grouped.py). Check with counting.count_params."),
        N_("The same function cannot be more accurate: the authors trained all three forms and obtained the "
           "same results, and chose (c) because it is more succinct and faster (Sec. 4)."),
        N_("BatchNorm normalises each channel on its own, with its own statistics and its own scale and shift "
           "(Ioffe and Szegedy 2015, Sec. 3.2), so one BN over the concatenated paths is the same as one BN per "
           "path, in training and in eval mode."),
    )
    _source = N_("Xie et al. 2017, Sec. 3.3, Sec. 4 and Fig. 3")


class WhereTheStrideGoes(MultipleChoiceProblem):
    _question = N_("In the first block of a stage, which conv of the main path should have stride 2 in "
                   "torchvision's ResNeXt?")
    _options = (
        N_("The 3x3 conv."),
        N_("The first 1x1 conv."),
        N_("All three convs."),
        N_("The last 1x1 conv."),
    )
    _answer = "a"
    _feedback = (
        N_("The ResNeXt paper puts it there too: 'stride-2 convolutions in the 3x3 layer of the first block in "
           "each stage' (Sec. 4); torchvision's Bottleneck calls this layout 'ResNet V1.5'. The strided 3x3 "
           "sees every input position, and the shortcut's 1x1 projection gets stride 2 too, so the shapes "
           "match at the addition."),
        N_("That is ResNet v1: torchvision's Bottleneck comment says the original implementation of He et al. "
           "2016 puts the stride on the first 1x1. It works, but a strided 1x1 reads one position in four and "
           "drops the rest. `diagnose` reports the v1 layout as info."),
        N_("Then the map shrinks 8x in one block instead of 2x, and the shortcut no longer fits. "
           "pitfalls.keras_strides shows the damage: a 1x1 map by conv4."),
        N_("Then the 1x1 and the 3x3 before it work at full resolution, and the stride throws away 3/4 of what "
           "they computed."),
    )
    _source = N_("Xie et al. 2017, Sec. 4; torchvision models/resnet.py, the comment on Bottleneck")


class Table2Widths(MultipleChoiceProblem):
    _question = N_("Table 2 keeps a conv2 block at about 70k parameters while it raises the cardinality C "
                   "from 1 to 32. What happens to d, the width of each path?")
    _options = (
        N_("It shrinks from 64 to 4, while the group width C·d grows from 64 to 128."),
        N_("It stays 64: more paths cost nothing extra."),
        N_("It shrinks as 64 / C, so C·d stays 64."),
        N_("It grows, because cardinality adds width."),
    )
    _answer = "a"
    _feedback = (
        N_("A block costs C·(256·d + 9·d² + d·256) parameters (Eq. 4). The 9·d² term of the 3x3 falls fast as d "
           "shrinks, so the thinner paths leave room for a wider block overall: C·d = 64, 80, 96, 112, 128."),
        N_("Each path has its own weights: 32 paths of width 64 would cost about 32x a ResNet block."),
        N_("That keeps the 1x1s' cost but not the 3x3s': at C·d = 64 the 3x3 term C·9·d² falls C-fold, so the "
           "budget is under-spent. Table 2's d = 4 at C = 32 gives C·d = 128."),
        N_("At fixed complexity, more paths must each be thinner; only the total C·d grows, and only a little "
           "(64 to 128)."),
    )
    _source = N_("Xie et al. 2017, Table 2 and Eq. 4")


class GroupedConvWeights(MultipleChoiceProblem):
    _question = N_("How many weights does nn.Conv2d(128, 128, 3, groups=32, bias=False) have?")
    _options = (
        N_("147,456, that is 128·128·9"),
        N_("4,608, that is 128·4·9"),
        N_("36,864, that is 128·32·9"),
        N_("1,152, that is 128·9"),
    )
    _answer = "b"
    _feedback = (
        N_("That is the ungrouped conv. With groups=32 each output channel sees only the 4 input channels of "
           "its own group: divide by 32."),
        N_("128 output channels, each with a 4x3x3 filter over its group's 128 / 32 = 4 input channels: 4,608 "
           "weights, 32x fewer than the ungrouped conv."),
        N_("32 is the number of groups, not the channels per group. Each group has 128 / 32 = 4 input "
           "channels."),
        N_("That is a depthwise conv (groups=128): one input channel per group."),
    )
    _source = N_("PyTorch torch/nn/modules/conv.py: Conv2d's weight has shape (out, in / groups, k, k)")


class GroupedFirst1x1(MultipleChoiceProblem):
    _question = N_("Form (c) groups only its 3x3 conv. What goes wrong if its first 1x1 is grouped too "
                   "(groups=C)?")
    _options = (
        N_("Each path then reads only 1/C of the block's input channels: information stops crossing groups."),
        N_("Nothing: it is form (c) written more consistently."),
        N_("The model crashes, because the channels do not divide by C."),
        N_("It turns into form (a)."),
    )
    _answer = "a"
    _feedback = (
        N_("In Fig. 3(a) every path reads all 256 input channels. ShuffleNet does group its 1x1s, and adds a "
           "channel shuffle so that each group of the next layer reads from every group (Zhang et al. 2018, "
           "Sec. 3.1). pitfalls.grouped_first_1x1 shows the cost: 8.4M fewer parameters and another network; "
           "`diagnose` flags it."),
        N_("It is another network: the paths stop seeing each other's input channels, and ResNeXt-50 loses "
           "8.4M of its 25.0M parameters. Table 1 marks only the 3x3 with C=32."),
        N_("64, 256, 512, 1024 and 2048 all divide by 32, so it runs. That is what makes the bug quiet: only the "
           "parameter count (16.6M instead of 25.0M) gives it away."),
        N_("In form (a) each path's 1x1 reads every input channel, so form (a) equals form (c) with an "
           "ungrouped first 1x1."),
    )
    _source = N_("Xie et al. 2017, Fig. 3 and Table 1; Zhang et al. 2018 (ShuffleNet), Sec. 3.1")

QUESTIONS = [Ensemble, GroupsArgument, Depthwise, FlopsAndSpeed, FormsBAndC, WhereTheStrideGoes, Table2Widths,
             GroupedConvWeights, GroupedFirst1x1]


def _score_html(results, total):
    right = sum(results.values())
    return _("<b>Score: {right} of {total} right</b> ({answered} answered)").format(
        right=right, total=total, answered=len(results))


def quiz(problems=None):
    """The quiz as a widget: radio buttons and feedback per question, and a score line (default: q1, q2, ...).

    The returned VBox carries `.radios`, `.feedbacks`, `.score` and `.problems`, so a test can set
    `box.radios[i].value = "b"` and read `box.feedbacks[i].value` and `box.score.value`.
    """
    import html

    import ipywidgets as widgets  # only the widget needs it; check() and evaluate() work without

    if problems is None:  # the bound questions q1, q2, ...
        problems = [globals()[name] for name in __all__ if name.startswith("q")]
    results = {}  # question index -> answered correctly
    score = widgets.HTML(_score_html(results, len(problems)))
    radios, feedbacks, boxes = [], [], []
    for i, problem in enumerate(problems):
        radio = widgets.RadioButtons(options=[(f"{letter}) {text}", letter) for letter, text in problem.options()],
                                     value=None, layout=widgets.Layout(width="auto"))
        feedback = widgets.HTML()

        def on_change(change, i=i, problem=problem, feedback=feedback):
            if change["new"] is None:
                return
            result = problem.evaluate(change["new"])  # the option's own feedback, labelled as every exercise's
            results[i] = result.correct
            feedback.value = result._repr_html_()
            score.value = _score_html(results, len(problems))

        radio.observe(on_change, names="value")
        radios.append(radio)
        feedbacks.append(feedback)
        boxes.append(widgets.VBox([widgets.HTML(f"<b>{i + 1}.</b> {html.escape(problem.question)}"), radio, feedback],
                                  layout=widgets.Layout(margin="0 0 12px 0")))
    heading = _("ResNeXt misconceptions: choose an answer to see why it is right or wrong")
    title = widgets.HTML(f"<h3>{html.escape(heading)}</h3>")
    box = widgets.VBox([title, *boxes, score])
    box.radios, box.feedbacks, box.score, box.problems = radios, feedbacks, score, problems
    return box


bind_exercises(globals(), QUESTIONS)
