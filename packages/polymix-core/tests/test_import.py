"""polymix-core must import without torch or jax, and export what it promises."""

import json
import subprocess
import sys

import polymix_core

HEAVY = ("torch", "jax", "jaxlib", "scipy", "equinox", "numpyro")


def _modules_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_import_polymix_core_pulls_in_neither_torch_nor_jax():
    loaded = _modules_after("import polymix_core, polymix_core.reference")
    assert "polymix_core" in loaded
    assert "polymix_core.reference" in loaded
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert heavy == [], f"import polymix_core imported {heavy}"


def test_using_the_spec_layer_pulls_in_neither_torch_nor_jax():
    statement = (
        "import numpy as np, polymix_core as pc\n"
        "s = pc.PCESpec(2, 1, degree=3)\n"
        "pc.pce_basis(np.zeros((4, 2)), s.multi_indices)\n"
        "pc.reference.forward(s, np.zeros((4, 2)), np.zeros((1, s.num_params)))\n"
        "pc.as_float_array('mean', [0.0, 1.0])"
    )
    loaded = _modules_after(statement)
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert heavy == []


def test_all_names_resolve_and_are_sorted_unique():
    names = polymix_core.__all__
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(polymix_core, name), name
    assert json.loads(json.dumps(polymix_core.__version__)) == polymix_core.__version__


def test_reference_all_names_resolve():
    for name in polymix_core.reference.__all__:
        assert callable(getattr(polymix_core.reference, name)) or isinstance(
            getattr(polymix_core.reference, name), dict
        ), name
