"""The command line, `python -m resnext_edu`: in-process through main(argv), and once for real."""
import pathlib
import subprocess
import sys

from resnext_edu.__main__ import main
from resnext_edu.registry import MODELS

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_help_lists_every_model(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "tables" in out and "summary" in out
    assert all(name in out for name in MODELS)


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err


def test_tables(capsys):
    assert main(["tables"]) == 0
    out = capsys.readouterr().out
    # Table 1: torchvision's counts (CONTRIBUTING.md) beside the paper's 25.5M / 25.0M.
    assert "Table 1" in out and "25,557,032" in out and "25,028,904" in out
    # Table 2: group widths C·d = 64, 80, 96, 112, 128.
    table2 = out[out.index("Table 2"):]
    assert all(f" {w} " in table2 for w in (80, 96, 112, 128))


def test_summary(capsys):
    assert main(["summary", "resnet18"]) == 0
    out = capsys.readouterr().out
    assert "Total params: 11,689,512" in out  # torchvision's resnet18 (CONTRIBUTING.md)
    assert "conv5" in out and "layer4" in out and "Mult-Adds" in out


def test_summary_with_input_size(capsys):
    # 64x64: stem /4 -> 16, then layer2..layer4 halve it: 8, 4, 2.
    assert main(["summary", "resnet18", "--input-size", "3", "64", "64"]) == 0
    assert "512x2x2" in capsys.readouterr().out


def test_summary_of_an_input_that_does_not_fit(capsys):
    assert main(["summary", "resnet18", "--input-size", "1", "64", "64"]) == 2
    err = capsys.readouterr().err
    assert "(1, 64, 64)" in err and "Traceback" not in err


def test_unknown_model_gets_one_line_listing_the_valid_ones(capsys):
    assert main(["summary", "resnet5"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "unknown model 'resnet5'" in err and "Did you mean resnet50?" in err
    assert all(name in err for name in MODELS)


def test_diagnose_a_named_model(capsys):
    # A sound model: no errors, exit 0; the findings print as the notebook's table does.
    assert main(["diagnose", "resnext29_8x64d", "--cardinality", "8", "--num-classes", "10"]) == 0
    out = capsys.readouterr().out
    assert "diagnose: ResNet at input (3, 32, 32)" in out and "0 errors" in out


def test_diagnose_says_the_call_and_the_model_disagree(capsys):
    # resnext50_32x4d has 32 groups; told 4, diagnose shows both readings as a warning: no error, exit 0.
    assert main(["diagnose", "resnext50_32x4d", "--cardinality", "4"]) == 0
    out = capsys.readouterr().out
    assert "warning" in out and "disagree" in out and "layer1.0.conv2" in out


def test_diagnose_compares_with_an_expected_model_and_exits_1(capsys):
    assert main(["diagnose", "resnext50_32x4d", "--expect", "resnet50"]) == 1
    out = capsys.readouterr().out
    assert "error     layer1.0  Stage 1 (layer1.0 to layer1.2): the 3x3 conv layer1.0.conv2 has 128" in out


def test_diagnose_of_an_unknown_model(capsys):
    assert main(["diagnose", "resnext50_32x4"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Did you mean resnext50_32x4d?" in err


def test_module_runs_as_a_program():
    run = subprocess.run([sys.executable, "-m", "resnext_edu", "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "usage: python -m resnext_edu" in run.stdout
    assert all(name in run.stdout for name in MODELS)


def test_program_exits_2_without_a_traceback_for_an_unknown_model():
    run = subprocess.run([sys.executable, "-m", "resnext_edu", "summary", "resnext50"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
