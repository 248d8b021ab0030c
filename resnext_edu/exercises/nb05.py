"""Questions for notebook 05, training: `from resnext_edu.exercises.nb05 import *`.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Sec. 3.4 and Table 2 (equal complexity), Table 3, Appendix A (the CIFAR
recipe), Fig. 3(c) (paths as channel groups).
"""
import copy
import functools
import math
import statistics

import torch

from .. import ablation, data, experiment, train
from ..complexity import block_params, equal_complexity_width
from ..i18n import N_, _
from .core import CS, EqualityProblem, Incorrect, Problem, bind_exercises


class MiniWidthForC16(Problem):
    """The equal-complexity d for C = 16 in the ResNeXt-29 mini (128-d stage-1 blocks, ResNet d = 32)."""

    _var = "d_for_c16"
    _hints = (
        N_("Our mini's stage-1 block has 128 channels in and out, and its ResNet (C = 1) has d = 32. "
           "Write the block's conv weights for C = 16 as a function of d and compare them with the ResNet's."),
        N_("Budget: the ResNet's block has 128·32 + 3·3·32·32 + 32·128 conv weights; with C = 16 the block has "
           "16·(128·d + 3·3·d·d + d·128). Find where the two are equal, then compare the whole numbers on either "
           "side and keep the one whose block is nearer the budget."),
    )
    _solution = CS(
        "budget = 128 * 32 + 3 * 3 * 32 * 32 + 32 * 128  # the ResNet's block: C = 1, d = 32\n"
        "d_for_c16 = min(range(1, 33), key=lambda d: abs(16 * (128 * d + 3 * 3 * d * d + d * 128) - budget))"
    )
    _typical_mistake = CS("d_for_c16 = 32 // 16  # keep the group width C·d at the ResNet's 32")
    _correct_message = N_("Well done. `complexity.equal_complexity_width(16, in_out_channels=128, reference_width=32)` "
                          "agrees; `train.model_spec(cardinality=16)` uses the same rule.")

    def _check(self, d):
        if isinstance(d, bool) or not isinstance(d, (int, float)) or (isinstance(d, float) and not d.is_integer()):
            raise Incorrect(_("Expected a whole number of channels, but `d_for_c16` is {value!r}. Compare the whole "
                              "numbers on either side and keep the one whose block is nearer the budget.").format(
                                  value=d))
        d, budget = int(d), block_params(128, 1, 32)  # the ResNet's stage-1 block: C = 1, d = 32
        best = equal_complexity_width(16, in_out_channels=128, reference_width=32)
        if d == best:
            return
        if d < 1:
            raise Incorrect(_("`d_for_c16` is {d}, but each of the 16 paths needs at least one channel.").format(d=d))
        cost = block_params(128, 16, d)
        if d == 2:
            raise Incorrect(_("With d = 2 the group width C·d stays at the ResNet's 32, but the 3x3 conv costs "
                              "C·9·d², which falls as C grows: the block has only {cost:,} weights against the "
                              "ResNet's {budget:,}. There is budget left for a wider d.").format(cost=cost, budget=budget))
        if cost < budget:
            message = N_("With d = {d} the block has {cost:,} conv weights, {gap:,} below the ResNet's {budget:,}. "
                         "Is there a whole d whose block is nearer?")
        else:
            message = N_("With d = {d} the block has {cost:,} conv weights, {gap:,} above the ResNet's {budget:,}. "
                         "Is there a whole d whose block is nearer?")
        raise Incorrect(_(message).format(d=d, cost=cost, gap=abs(cost - budget), budget=budget))


class StepsPerEpochDDP(EqualityProblem):
    """Optimizer steps per epoch for each of 4 ranks under torchrun, full set, global batch 128."""

    _var = "steps_per_rank"
    _hints = (
        N_("DistributedSampler gives each of the 4 ranks its own quarter of the 60,000 training images. "
           "`--batch-size` is the global batch: how many images does each rank put in one step?"),
        N_("Each rank takes 128 / 4 = 32 images per step from its 15,000; our loop drops the last "
           "incomplete batch, so use whole steps (//)."),
    )
    _solution = CS("steps_per_rank = (60_000 // 4) // (128 // 4)")
    _typical_mistake = CS("steps_per_rank = (60_000 // 4) // 128  # each rank takes 128 images per step")
    _correct_message = N_("Well done: the same number of steps as one process with batch 128, so the learning-rate "
                          "schedule does not depend on how many GPUs you use. BatchNorm's statistics do: each rank "
                          "normalises its own 32 images, unless you pass `--sync-bn`.")

    @property
    def _expected(self):
        # What `fit` does with 4 ranks: rank 0's share of an epoch, cut into its micro-batches of the global batch.
        [shard] = train.epoch_shards(60_000, train.TrainConfig(), epoch=0, slots=[0], num_slots=4)
        return len(shard) // train.micro_batch(128, world=4, accumulate=1)

    @property
    def _mistakes(self):
        return {
            (60_000 // 4) // 128: N_("That is what you get when every rank takes a batch of 128: the global batch "
                                     "would be 512, with 4 times fewer steps, and the recipe would change with the "
                                     "number of GPUs. Here `--batch-size` is the global batch."),
            60_000 // 32: N_("That counts the whole training set on each rank. DistributedSampler hands each rank "
                             "only its own quarter of the images."),
            60_000 // 128 * 4: N_("Each rank takes a quarter of the images and a quarter of the batch: the two "
                                  "quarters cancel."),
        }


class MeanErrorC4(Problem):
    """Mean final test error of c4 over the seeds, from the committed results."""

    _var = "c4_mean_error"
    _setup = CS("from resnext_edu import experiment\nrows = experiment.load_results()")
    _hints = (
        N_("`rows` holds one dict per run. Keep the rows whose 'config' is 'c4', and read their "
           "'final_test_error'."),
        N_("Collect the 'final_test_error' of the c4 rows only (a comprehension with an `if` on 'config'), then "
           "average them with `statistics.mean`."),
    )
    _solution = CS("import statistics\n"
                   "c4_mean_error = statistics.mean(r['final_test_error'] for r in rows if r['config'] == 'c4')")
    _typical_mistake = CS("import statistics\n"
                          "c4_mean_error = statistics.mean(r['final_test_error'] for r in rows)")
    _correct_message = N_("Well done. The table at the start of section 5 shows it next to the other two "
                          "configurations, with the spread.")

    def _check(self, value):
        rows = experiment.load_results()
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Incorrect(_("Expected one number (an error in %), but `c4_mean_error` is a {kind}.").format(
                kind=type(value).__name__))
        mean = lambda key, config=None: statistics.mean(  # noqa: E731
            r[key] for r in rows if config is None or r["config"] == config)
        if math.isclose(value, mean("final_test_error", "c4"), abs_tol=0.005):
            return
        if math.isclose(value, mean("final_test_error"), abs_tol=0.005):
            raise Incorrect(_("That is the mean over all {n} runs, all three configurations together. "
                              "Keep only the rows whose 'config' is 'c4'.").format(n=len(rows)))
        seed0 = [r["final_test_error"] for r in rows if r["config"] == "c4" and r["seed"] == 0]
        if seed0 and math.isclose(value, seed0[0], abs_tol=0.005):
            raise Incorrect(_("That is one run, seed 0. Average the final error over every c4 seed: one seed "
                              "says little about a configuration."))
        if math.isclose(value, mean("final_train_error", "c4"), abs_tol=0.005):
            raise Incorrect(_("That is the training error, measured on the augmented training batches. The "
                              "question asks for the error on the test images: 'final_test_error'."))
        if math.isclose(value, 100 - mean("final_test_error", "c4"), abs_tol=0.005):
            raise Incorrect(_("That looks like an accuracy; the column holds the error in %."))
        raise Incorrect(_("`c4_mean_error` is {value:.2f}, which does not match the c4 rows' mean "
                          "'final_test_error'. Did you pick another column, such as an epoch's error?").format(
                              value=value))


ABLATION_IMAGES = 500  # the first 500 test images of the subset: notebook 05's few_x, few_y


@functools.lru_cache(maxsize=1)
def _trained_c4():
    model, _unused = train.load_model(experiment.committed_checkpoint("c4"))
    return model


def _few():
    x, y = data.load_fashion_mnist("test")
    return x[:ABLATION_IMAGES], y[:ABLATION_IMAGES]


@functools.lru_cache(maxsize=8)
def _accuracy_without(channels=()):
    """The reference, computed another way: a copy whose last 1x1 conv never reads those channels."""
    model = copy.deepcopy(_trained_c4())
    with torch.no_grad():
        model.layer1[1].conv3.weight[:, list(channels)] = 0
    return ablation.accuracy(model, *_few())


class PathOffDrop(Problem):
    """Points of accuracy the trained C = 4 network loses on few_x when path 2 of block layer1.1 is off."""

    _var = "drop"
    _setup = CS("from resnext_edu import ablation, data, experiment, train\n"
                "trained, _ = train.load_model(experiment.committed_checkpoint('c4'))\n"
                "test_x, test_y = data.load_fashion_mnist('test')\n"
                "few_x, few_y = test_x[:500], test_y[:500]\n"
                "baseline = ablation.accuracy(trained, few_x, few_y)")
    _hints = (
        N_("Path p of a C x d block owns channels p·d to (p+1)·d - 1 of the grouped 3x3's output. Here d = 12 "
           "and paths count from 0, so path 2 is the third block of 12 channels."),
        N_("Inside `with ablation.channels_off(trained.layer1[1].bn2, channels):` measure "
           "`ablation.accuracy(trained, few_x, few_y)`; the drop is `baseline` minus that accuracy."),
    )
    _solution = CS("with ablation.channels_off(trained.layer1[1].bn2, range(24, 36)):\n"
                   "    accuracy_off = ablation.accuracy(trained, few_x, few_y)\n"
                   "drop = baseline - accuracy_off")
    _typical_mistake = CS("with ablation.channels_off(trained.layer1[1].bn2, range(2, 3)):  # path 2\n"
                          "    accuracy_off = ablation.accuracy(trained, few_x, few_y)\n"
                          "drop = baseline - accuracy_off")
    _correct_message = N_("Well done. The table above does the same for every path, and for as many "
                          "channels of the ResNet's dense 3x3.")

    def _check(self, value):
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Incorrect(_("Expected one number (points of accuracy), but `drop` is a {kind}.").format(
                kind=type(value).__name__))
        baseline = _accuracy_without()
        expected = baseline - _accuracy_without(tuple(range(24, 36)))
        if math.isclose(value, expected, abs_tol=0.01):
            return
        if expected and math.isclose(value, -expected, abs_tol=0.01):
            raise Incorrect(_("The sign is the wrong way round: a drop is the accuracy with every path on "
                              "(`baseline`) minus the accuracy with the path off."))
        if math.isclose(value, baseline - expected, abs_tol=0.01):
            raise Incorrect(_("That is the accuracy with the path off. The drop is how much lower it is than "
                              "`baseline`."))
        if math.isclose(value, baseline - _accuracy_without((2,)), abs_tol=0.01):
            raise Incorrect(_("You switched off one channel, channel 2. A path of the 4x12d block is d = 12 "
                              "consecutive channels of the grouped 3x3's output."))
        if math.isclose(value, baseline - _accuracy_without(tuple(range(12, 24))), abs_tol=0.01):
            raise Incorrect(_("Those are channels 12 to 23, path 1: paths count from 0."))
        raise Incorrect(_("`drop` is {value:.2f} points. Switch off channels p·d to (p+1)·d - 1 of "
                          "`trained.layer1[1].bn2` for path p = 2, with d = 12, and measure on few_x, "
                          "few_y.").format(value=value))


bind_exercises(globals(), [MiniWidthForC16, MeanErrorC4, PathOffDrop, StepsPerEpochDDP])
