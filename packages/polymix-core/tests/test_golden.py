"""specs/golden is exactly what specs/generate_golden.py writes from polymix-core, and says what the contract says."""

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.polynomial import legendre as npleg

ROOT = Path(__file__).resolve().parents[3]
SPECS = ROOT / "specs"
GOLDEN = SPECS / "golden"
GENERATOR = SPECS / "generate_golden.py"


def _load_generator():
    spec = importlib.util.spec_from_file_location("polymix_generate_golden", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load(name):
    return json.loads((GOLDEN / name).read_text(encoding="utf-8"))


def _case(doc, case_id):
    (case,) = [c for c in doc["cases"] if c["id"] == case_id]
    return case


def test_regeneration_is_byte_identical(tmp_path):
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    generated = sorted(p.name for p in tmp_path.glob("*.json"))
    committed = sorted(p.name for p in GOLDEN.glob("*.json"))
    assert generated == committed, "specs/golden has stale or missing files: run python specs/generate_golden.py"
    differing = [n for n in generated if (tmp_path / n).read_bytes() != (GOLDEN / n).read_bytes()]
    assert differing == [], f"regenerating changed {differing}: run python specs/generate_golden.py and review the diff"


def test_rendering_is_deterministic_in_process():
    gen = _load_generator()
    for name in gen.GOLDEN_FILES:
        assert gen.render(name) == gen.render(name)
        assert gen.render(name) == (GOLDEN / name).read_text(encoding="utf-8")


def test_dumps_layout():
    gen = _load_generator()
    text = gen.dumps({"b": [1, 2.5, None], "a": {"z": [[1, 2], [3, 4]], "y": "s"}, "c": []})
    assert text == (
        '{\n "a": {\n  "y": "s",\n  "z": [\n   [1, 2],\n   [3, 4]\n  ]\n },\n "b": [1, 2.5, null],\n "c": []\n}'
    )
    assert json.loads(text) == {"b": [1, 2.5, None], "a": {"z": [[1, 2], [3, 4]], "y": "s"}, "c": []}
    with pytest.raises(ValueError):
        gen.dumps([math.nan])


def test_rounding_and_dyadic_inputs():
    gen = _load_generator()
    assert gen.rounded(math.pi) == 3.14159265359
    assert gen.rounded(-0.0) == 0.0 and math.copysign(1.0, gen.rounded(-0.0)) == 1.0
    v = gen.dyadic("k", (50,), -2.0, 2.0)
    assert np.all(v * 16 == np.round(v * 16)) and v.min() >= -2.0 and v.max() <= 2.0
    np.testing.assert_array_equal(v, gen.dyadic("k", (50,), -2.0, 2.0))


def test_every_file_is_tagged_and_valid_json():
    for path in GOLDEN.glob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert text.endswith("}\n")
        doc = json.loads(text)
        assert doc["format"] == "polymix-golden-v1"
        assert doc["significant_digits"] == 12
        assert doc["cases"], path.name
        assert len({c["id"] for c in doc["cases"]}) == len(doc["cases"]), f"duplicate ids in {path.name}"


# Sanity of the committed content against the prose contract (independent of the generator).


def test_golden_index_sets_follow_the_contract():
    doc = _load("index_sets.json")
    c = _case(doc, "d3-p2")
    assert ["".join(map(str, r)) for r in c["indices"]] == [
        "000", "001", "010", "100", "002", "011", "020", "101", "110", "200"
    ]  # fmt: skip
    for c in doc["cases"]:
        rows = [tuple(r) for r in c["indices"]]
        assert len(rows) == c["num_terms"] == len(set(rows))
        assert rows == sorted(rows, key=lambda a: (sum(a), a))
        if c["q"] == 1.0:
            assert c["num_terms"] == math.comb(c["num_inputs"] + c["degree"], c["num_inputs"])
        else:
            assert all(sum(x ** c["q"] for x in r) ** (1 / c["q"]) <= c["degree"] + 1e-9 for r in rows)
    ids = {c["id"] for c in doc["cases"]}
    assert {"d3-p2", "d6-p4", "d4-p3", "d6-p4-q0.5", "d4-p3-q0.5"} <= ids


def test_golden_layouts_follow_the_contract():
    doc = _load("surrogate_layouts.json")
    c = _case(doc, "mlp-2-1-w8-d2")
    assert c["num_params"] == 105
    for c in doc["cases"]:
        s = c["slices"]
        assert s[0]["start"] == 0 and s[-1]["stop"] == c["num_params"]
        assert all(a["stop"] == b["start"] for a, b in zip(s, s[1:]))
        assert all(x["stop"] - x["start"] == math.prod(x["shape"]) for x in s)
    tril = _load("group_layouts.json")["tril"]
    assert tril[2]["packed_positions"] == [[0, 0], [1, 0], [1, 1], [2, 0], [2, 1], [2, 2]]


def test_golden_pce_forward_agrees_with_legvander():
    c = _case(_load("forward.json"), "pce-1-1-p5")
    x, params = np.array(c["x"]), np.array(c["params"])
    expected = np.einsum("bk,sk->sb", npleg.legvander(x[:, 0], 5), params)
    np.testing.assert_allclose(np.array(c["output"])[:, :, 0], expected, rtol=1e-11, atol=1e-11)


def test_golden_iid_samples_agree_with_closed_form():
    c = _case(_load("sample_transform.json"), "iid-4")
    raw = dict((k, np.array(v)) for k, v in c["raw"])
    expected = raw["mean"] + np.exp(raw["log_std"]) * np.array(c["noise"])
    np.testing.assert_allclose(c["samples"], expected, rtol=1e-11)
