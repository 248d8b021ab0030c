"""pitfalls: each buggy model shows its symptom, diagnose names the planted layer, the fix is ResNeXt-50."""
import pytest
import torch

from resnext_edu import models, pitfalls
from resnext_edu.diagnose import diagnose

TORCHVISION_RESNEXT50 = 25_028_904  # torchvision's resnext50_32x4d (CONTRIBUTING.md)


def build_meta(builder, *args, **kwargs):
    with torch.device("meta"):  # shapes only: no memory, no init time
        return builder(*args, **kwargs)


def shapes(model):
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def test_every_pitfall_is_planted_and_checked():
    assert set(pitfalls.PITFALLS) == set(pitfalls.PLANTED)
    assert len(pitfalls.PITFALLS) == 5


@pytest.mark.parametrize("name", sorted(pitfalls.PITFALLS))
def test_diagnose_names_each_planted_bug(name):
    model = build_meta(pitfalls.PITFALLS[name])
    findings = diagnose(model, (3, 224, 224), cardinality=32, num_classes=1000)
    for check, layer in pitfalls.PLANTED[name].items():
        found = findings.of(check).at_least("warning")
        assert found, f"{name}: no {check} finding in\n{findings}"
        assert any(f.names(layer) for f in found), f"{name}: {check} does not name {layer}:\n{findings}"


@pytest.mark.parametrize("name", sorted(pitfalls.PITFALLS))
def test_the_fix_is_resnext50_with_torchvision_params_and_no_findings(name):
    fixed = build_meta(pitfalls.fixed, name)
    assert sum(p.numel() for p in fixed.parameters()) == pitfalls.PAPER_PARAMS == TORCHVISION_RESNEXT50
    assert shapes(fixed) == shapes(build_meta(models.resnext50_32x4d))
    assert list(diagnose(fixed, (3, 224, 224), cardinality=32, num_classes=1000)) == []


# Symptoms: parameters, output at 160x160, map sizes at 224x224 (stem after the max pool, then stages).
NORMAL = {"maxpool": (56, 56), "layer1": (56, 56), "layer2": (28, 28), "layer3": (14, 14), "layer4": (7, 7)}
SYMPTOMS = {
    "keras_strides": (25_028_904, (1000,),
                      {"maxpool": (56, 56), "layer1": (56, 56), "layer2": (7, 7), "layer3": (1, 1), "layer4": (1, 1)}),
    "grouped_first_1x1": (16_640_552, (1000,), NORMAL),
    "stem_padding_fixed_pool": (25_028_904, "Output size is too small",
                                {"maxpool": (57, 57), "layer1": (57, 57), "layer2": (29, 29), "layer3": (15, 15),
                                 "layer4": (8, 8)}),
    "biased_convs_projections": (39_645_736, (1000,), NORMAL),
    "hardcoded_100_classes": (23_184_804, (100,), NORMAL),
}


@pytest.mark.parametrize("name", sorted(SYMPTOMS))
def test_symptoms(name):
    params, output, stages = SYMPTOMS[name]
    s = pitfalls.symptoms(build_meta(pitfalls.PITFALLS[name]))
    assert s.params == params and s.params_vs_paper == params - TORCHVISION_RESNEXT50
    if isinstance(output, str):
        assert isinstance(s.output_160, str) and output in s.output_160
    else:
        assert s.output_160 == output
    assert s.stages == stages
    assert "parameters" in str(s) and "<table" in s._repr_html_()


def test_symptoms_of_the_fixed_model():
    s = pitfalls.symptoms(build_meta(pitfalls.fixed, "keras_strides"))
    assert (s.params, s.output_160, s.stages) == (TORCHVISION_RESNEXT50, (1000,), NORMAL)
    assert s.params_vs_paper == 0


def test_a_pitfall_model_keeps_num_classes_unless_that_is_the_bug():
    assert build_meta(pitfalls.keras_strides, num_classes=10).fc.out_features == 10
    assert build_meta(pitfalls.hardcoded_100_classes, num_classes=10).fc.out_features == 100
    assert build_meta(pitfalls.hardcoded_100_classes, num_classes=10, buggy=False).fc.out_features == 10


def test_symptoms_table_prints_one_row_per_model():
    table = pitfalls.table()
    text = str(table)
    assert len(table) == 6 and "keras_strides" in text and "+0" in text and "fails" in text
    assert table._repr_html_().count("<tr>") == 7


def test_unknown_pitfall():
    with pytest.raises(ValueError, match="name='keras' is not a pitfall; use one of 'keras_strides'"):
        pitfalls.fixed("keras")
