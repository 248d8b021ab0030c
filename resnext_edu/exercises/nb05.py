"""Questions for notebook 05, training: `from resnext_edu.exercises.nb05 import *`.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017,
https://arxiv.org/abs/1611.05431, Sec. 3.4 and Table 2 (equal complexity), Table 3, Appendix A (the CIFAR recipe).
"""
import math
import statistics

import torch

from .. import experiment, train
from ..complexity import block_params, equal_complexity_width
from .core import CS, EqualityProblem, Incorrect, Problem, bind_exercises


class MiniWidthForC16(Problem):
    """The equal-complexity d for C = 16 in the ResNeXt-29 mini (128-d stage-1 blocks, ResNet d = 32)."""

    _var = "d_for_c16"
    _hints = (
        "Our mini's stage-1 block has 128 channels in and out, and its ResNet (C = 1) has d = 32. "
        "Write the block's conv weights for C = 16 as a function of d and compare them with the ResNet's.",
        "Budget: the ResNet's block has 128·32 + 3·3·32·32 + 32·128 conv weights; with C = 16 the block has "
        "16·(128·d + 3·3·d·d + d·128). Find where the two are equal, then compare the whole numbers on either "
        "side and keep the one whose block is nearer the budget.",
    )
    _solution = CS(
        "budget = 128 * 32 + 3 * 3 * 32 * 32 + 32 * 128  # the ResNet's block: C = 1, d = 32\n"
        "d_for_c16 = min(range(1, 33), key=lambda d: abs(16 * (128 * d + 3 * 3 * d * d + d * 128) - budget))"
    )
    _typical_mistake = CS("d_for_c16 = 32 // 16  # keep the group width C·d at the ResNet's 32")
    _correct_message = ("Well done. `complexity.equal_complexity_width(16, in_out_channels=128, reference_width=32)` "
                        "agrees; `train.model_spec(cardinality=16)` uses the same rule.")

    def _check(self, d):
        if isinstance(d, bool) or not isinstance(d, (int, float)) or (isinstance(d, float) and not d.is_integer()):
            raise Incorrect(f"Expected a whole number of channels, but `d_for_c16` is {d!r}. Compare the whole "
                            "numbers on either side and keep the one whose block is nearer the budget.")
        d, budget = int(d), block_params(128, 1, 32)  # the ResNet's stage-1 block: C = 1, d = 32
        best = equal_complexity_width(16, in_out_channels=128, reference_width=32)
        if d == best:
            return
        if d < 1:
            raise Incorrect(f"`d_for_c16` is {d}, but each of the 16 paths needs at least one channel.")
        cost = block_params(128, 16, d)
        if d == 2:
            raise Incorrect(f"With d = 2 the group width C·d stays at the ResNet's 32, but the 3x3 conv costs "
                            f"C·9·d², which falls as C grows: the block has only {cost:,} weights against the "
                            f"ResNet's {budget:,}. There is budget left for a wider d.")
        side = "below" if cost < budget else "above"
        raise Incorrect(f"With d = {d} the block has {cost:,} conv weights, {abs(cost - budget):,} {side} the "
                        f"ResNet's {budget:,}. Is there a whole d whose block is nearer?")


class StepsPerEpochDDP(EqualityProblem):
    """Optimizer steps per epoch for each of 4 ranks under torchrun, full set, global batch 128."""

    _var = "steps_per_rank"
    _hints = (
        "DistributedSampler gives each of the 4 ranks its own quarter of the 60,000 training images. "
        "`--batch-size` is the global batch: how many images does each rank put in one step?",
        "Each rank takes 128 / 4 = 32 images per step from its 15,000; our loop drops the last "
        "incomplete batch, so use whole steps (//).",
    )
    _solution = CS("steps_per_rank = (60_000 // 4) // (128 // 4)")
    _typical_mistake = CS("steps_per_rank = (60_000 // 4) // 128  # each rank takes 128 images per step")
    _correct_message = ("Well done: the same number of steps as one process with batch 128, so the learning-rate "
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
            (60_000 // 4) // 128: "That is what you get when every rank takes a batch of 128: the global batch "
                                  "would be 512, with 4 times fewer steps, and the recipe would change with the "
                                  "number of GPUs. Here `--batch-size` is the global batch.",
            60_000 // 32: "That counts the whole training set on each rank. DistributedSampler hands each rank "
                          "only its own quarter of the images.",
            60_000 // 128 * 4: "Each rank takes a quarter of the images and a quarter of the batch: the two "
                               "quarters cancel.",
        }


class MeanErrorC32(Problem):
    """Mean final test error of c32 over the seeds, from the committed results."""

    _var = "c32_mean_error"
    _setup = CS("from resnext_edu import experiment\nrows = experiment.load_results()")
    _hints = (
        "`rows` holds one dict per run. Keep the rows whose 'config' is 'c32', and read their "
        "'final_test_error'.",
        "Collect the 'final_test_error' of the c32 rows only (a comprehension with an `if` on 'config'), then "
        "average them with `statistics.mean`.",
    )
    _solution = CS("import statistics\n"
                   "c32_mean_error = statistics.mean(r['final_test_error'] for r in rows if r['config'] == 'c32')")
    _typical_mistake = CS("import statistics\n"
                          "c32_mean_error = statistics.mean(r['final_test_error'] for r in rows)")
    _correct_message = ("Well done. The table at the start of section 6 shows it next to the other two "
                        "configurations, with the spread.")

    def _check(self, value):
        rows = experiment.load_results()
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Incorrect(f"Expected one number (an error in %), but `c32_mean_error` is a {type(value).__name__}.")
        mean = lambda key, config=None: statistics.mean(  # noqa: E731
            r[key] for r in rows if config is None or r["config"] == config)
        if math.isclose(value, mean("final_test_error", "c32"), abs_tol=0.005):
            return
        if math.isclose(value, mean("final_test_error"), abs_tol=0.005):
            raise Incorrect(f"That is the mean over all {len(rows)} runs, all three configurations together. "
                            "Keep only the rows whose 'config' is 'c32'.")
        seed0 = [r["final_test_error"] for r in rows if r["config"] == "c32" and r["seed"] == 0]
        if seed0 and math.isclose(value, seed0[0], abs_tol=0.005):
            raise Incorrect("That is one run, seed 0. Average the final error over every c32 seed: one seed "
                            "says little about a configuration.")
        if math.isclose(value, 100 - mean("final_test_error", "c32"), abs_tol=0.005):
            raise Incorrect("That looks like an accuracy; the column holds the error in %.")
        raise Incorrect(f"`c32_mean_error` is {value:.2f}, which does not match the c32 rows' mean "
                        "'final_test_error'. Did you pick another column, such as an epoch's error?")


class GroupWeightNorms(Problem):
    """The L2 norm of each group's filters in the trained C = 32 model's first grouped conv."""

    _var = "group_norms"
    _setup = CS("from resnext_edu import experiment, train\n"
                "trained, _ = train.load_model(experiment.committed_checkpoint('c32'))")
    _hints = (
        "The conv is `trained.layer1[0].conv2`: groups=32 and weight shape (C·d, d, 3, 3) = (64, 2, 3, 3). "
        "The output filters of group g are rows g·d to (g+1)·d - 1: consecutive blocks of d = 2 rows.",
        "Reshape the weight so that each of 32 rows holds one group's 2·2·3·3 = 36 numbers (the first dimension "
        "is the number of groups, the rest is flattened), then take the L2 norm along each row.",
    )
    _solution = CS("conv = trained.layer1[0].conv2\n"
                   "group_norms = conv.weight.detach().reshape(conv.groups, -1).norm(dim=1)")
    _typical_mistake = CS("conv = trained.layer1[0].conv2\n"
                          "group_norms = conv.weight.detach().flatten(1).norm(dim=1)")
    _correct_message = "Well done: 32 norms, one per path. The plot below shows them for every stage."

    def _check(self, norms):
        if not isinstance(norms, torch.Tensor):
            raise Incorrect(f"Expected a tensor of 32 norms, but `group_norms` is a {type(norms).__name__}.")
        model, _ = train.load_model(experiment.committed_checkpoint("c32"))
        w = model.layer1[0].conv2.weight.detach()  # (64, 2, 3, 3)
        expected = w.reshape(32, -1).norm(dim=1)
        if norms.shape == (64,):
            raise Incorrect("You have 64 norms, one per output filter. A group holds d = 2 filters (consecutive "
                            "rows of the weight); put both in the same norm, so there are 32, one per path.")
        if tuple(norms.shape) != (32,):
            raise Incorrect(f"Expected 32 norms (one per group), but `group_norms` has shape {tuple(norms.shape)}.")
        if torch.allclose(norms.float(), expected, rtol=1e-4, atol=1e-5):
            return
        if torch.allclose(norms.float(), expected ** 2, rtol=1e-4, atol=1e-5):
            raise Incorrect("Those are squared norms (sums of squares). Take the square root, or use `.norm()`.")
        raise Incorrect("You have 32 numbers, but they are not the norms of the groups' filters. Groups are "
                        "consecutive blocks of output filters (rows of the weight), not input channels: reshape "
                        "the weight to (32, -1) before taking each row's norm.")


bind_exercises(globals(), [MiniWidthForC16, StepsPerEpochDDP, MeanErrorC32, GroupWeightNorms])
