"""End-to-end accuracy of the matcher on generated statement lines."""

import importlib.util

from conftest import REPO_ROOT


def _benchmark():
    path = REPO_ROOT / "benchmarks" / "matching_accuracy.py"
    spec = importlib.util.spec_from_file_location("matching_accuracy", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_accuracy_targets_on_generated_lines():
    figures, timing = _benchmark().run(3000, 20000, seed=11, verbose=False)
    overall = figures["overall"]
    # the targets (the full benchmark: 10,000 lines, 100,000 items)
    assert overall["precision"] >= 0.995, overall
    assert overall["auto_share"] >= 0.90, overall
    # a small sample: a few hard lines move the share of the rest a lot
    assert overall["top3_rest"] >= 0.95, overall
    assert figures["exact reference"]["auto_share"] >= 0.98
    assert figures["pays nothing"]["wrong_auto"] <= 1
    assert timing["lines_per_second"] > 100
