"""diagnose on code from the wild: tests/zoo.py's models, written the way real repositories write them.

Each entry lists the exact findings expected, as (severity, check, first layer). The zoo covers
the kinds of issue 18: layers the hooks cannot see (`.forward()` calls, a plain list of paths,
a functional pool), a head that folds the map into the batch, a call that disagrees with the
model, wrappers, severities that fit the model, and ports that differ from the paper's
configuration (with expect=). The course's own and the family's models are checked clean in
test_diagnose.py.
"""
import time

import pytest
import torch

import zoo
from resnext_edu.diagnose import diagnose

META = {"resnext50_32x4d_correct", "authors_port_avgpool7", "cifar_resnext_wrong_widths",
        "cifar_resnext_1x1_stem", "kuangliu_style_resnext29"}  # large: shapes are all the checks need

EXPECTED = {
    "forward_call_resnext": [("warning", "grouped-1x1", "layer1.0.conv1"), ("info", "coverage", "layer1.0.conv1")],
    "plain_list_paths": [("error", "coverage", "(model)"), ("info", "cardinality", "(model)")],
    "functional_fixed_pool": [("warning", "fixed-pool", "(model): F.avg_pool2d")],
    "view_folds_batch": [("error", "batch", "(model): .view")],
    "resnext50_32x4d_correct": [("warning", "cardinality", "layer1.0.conv2")],
    "data_parallel": [],
    "checkpointed": [],
    "authors_port_avgpool7": [("warning", "fixed-pool", "avgpool")],
    "resnet_v1_stride_on_1x1": [("info", "stride-on-1x1", "layer2.0.conv1")],
    "stem_padding_off": [("warning", "padding", "maxpool")],
    "inception_like": [],
    "dilated_os16": [("info", "total-stride", "layer4.1.conv2")],
    "kuangliu_style_resnext29": [("info", "expect", "(model)")],
    "cifar_resnext_wrong_widths": [("error", "expect", "(model)"), ("error", "expect", "layer1.0"),
                                   ("error", "expect", "layer2.0"), ("error", "expect", "layer3.0")],
    "cifar_resnext_1x1_stem": [("error", "expect", "conv1")],
    "wild_patient": [("warning", "fixed-pool", "(model): F.avg_pool2d"), ("warning", "grouped-1x1", "layer1.0.conv1"),
                     ("info", "coverage", "layer1.0.conv1")],
}


# the ports compared with the paper's configuration
EXPECT = {name: "resnext29_8x64d" for name in ("kuangliu_style_resnext29", "cifar_resnext_wrong_widths",
                                               "cifar_resnext_1x1_stem")}


def build(name):
    builder, size, kwargs = zoo.ZOO[name]
    kwargs = {**kwargs, **({"expect": EXPECT[name]} if name in EXPECT else {})}
    if name in META:
        with torch.device("meta"):
            return builder(), size, kwargs
    return builder(), size, kwargs


def found(findings):
    return [(f.severity, f.check, f.layers[0]) for f in findings]


@pytest.mark.parametrize("name", list(EXPECTED))
def test_the_zoo_gets_exactly_its_findings(name):
    model, size, kwargs = build(name)
    findings = diagnose(model, size, **kwargs)
    assert found(findings) == EXPECTED[name]
    assert findings.facts[-1].startswith("coverage: the trace reached")  # the coverage line, in every report


def test_blind_spots_are_seen_or_said():
    model, size, kwargs = build("forward_call_resnext")
    report = diagnose(model, size, **kwargs)
    assert "22 of 22 conv/linear layers, 4 of them as module calls" in report.facts[-1]
    assert "(not everything was checked)" not in report.facts[-1]  # seen through its operations
    model, size, kwargs = build("plain_list_paths")
    report = diagnose(model, size, **kwargs)
    assert "257,280 weights it used are not parameters of the model (not everything was checked)" in report.facts[-1]
    assert "Nothing to fix" not in str(report)  # never a clean bill below full coverage
    assert "nn.ModuleList" in report.of("coverage")[0].fix


def test_expect_finds_what_no_other_check_looks_for():
    model, size, kwargs = build("cifar_resnext_wrong_widths")
    first = diagnose(model, size, **kwargs).of("expect")[0]
    assert first.what == "The model has 89,599,818 parameters, 2.6 times resnext29_8x64d's 34,426,698."
    model, size, kwargs = build("cifar_resnext_1x1_stem")
    (stem,) = diagnose(model, size, **kwargs)
    assert "1x1 conv of 64 filters" in stem.what and "3x3, 64 filters" in stem.what
    assert stem.fix == "Make conv1 nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1)."
    with pytest.raises(ValueError, match="expect='resnext29' is unknown; use one of 'resnet18'"):
        diagnose(model, size, expect="resnext29")


def test_the_call_and_the_model_disagree_shows_both_readings():
    model, size, kwargs = build("resnext50_32x4d_correct")
    (finding,) = diagnose(model, size, **kwargs)
    assert "groups=32" in finding.what and "32x4d" in finding.what and "cardinality=4" in finding.what
    assert finding.fix.startswith("Check the call first: if the model is meant to be 32x4d, pass cardinality=32")
    assert len(finding.layers) == 16  # every grouped 3x3, one finding: the same reading in every stage


def test_wrappers_are_unwrapped_and_checkpointing_is_handled():
    model, size, kwargs = build("data_parallel")
    report = diagnose(model, size, **kwargs)
    assert report.facts[0].startswith("inside DataParallel (the report reads its .module")
    assert list(report) == []
    model, size, kwargs = build("checkpointed")
    report = diagnose(model, size, **kwargs)
    assert report.facts[1].startswith("6 residual blocks")  # the recomputation in backward adds no calls


def test_the_fixed_pool_is_graded_by_the_stated_size():
    model, size, kwargs = build("authors_port_avgpool7")
    (finding,) = diagnose(model, size, **kwargs)
    assert finding.severity == "warning" and "right at 224x224" in finding.what and "160x160" in finding.what
    # At 256x256 the 7x7 pool leaves 2x2 positions and the fc fails: one clear message, no traceback.
    with pytest.raises(ValueError, match=r"fails at input_size=\(3, 256, 256\) in fc: a and b must have same"):
        diagnose(model, (3, 256, 256), **kwargs)


def test_a_report_on_resnext50_is_fast():
    with torch.device("meta"):
        model = zoo.ZOO["resnext50_32x4d_correct"][0]()
    diagnose(model, (3, 224, 224))  # the first call in a process also pays torch's one-time set-up
    t0 = time.perf_counter()
    diagnose(model, (3, 224, 224))
    assert time.perf_counter() - t0 < 5  # benchmarks/diagnose_speed.py measures it; here only a loose bound
