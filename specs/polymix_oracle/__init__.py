"""An independent reading of the polymix contract (``specs/README.md``), for tests only.

Nothing here imports polymix-core: every value is recomputed from the prose rules with
numpy, scipy and the standard library, in the most literal form (loops over layers and
units, explicit lower-triangular factors, ``numpy.polynomial.legendre.legval`` per input,
``scipy.stats`` densities, KLs from ``numpy.linalg.inv`` and ``det``), so that a bug shared
by polymix-core and every backend cannot agree with it by construction.

Specs are the JSON dictionaries of ``spec.to_dict()`` (the form the golden vectors and
checkpoints carry); raw parameters are ``{name: array}`` in ``state_dict`` order.

Modules:

* ``index_sets``: PCE multi-index sets by enumeration and sorting.
* ``surrogates``: parameter counts, slices and forward maps of MLPs, PCEs, gating networks, mixtures.
* ``groups``: raw layouts, constrained quantities, sample transforms, moments and log-densities.
* ``priors``: prior log-densities and moments.
* ``divergences``: Gaussian KL and the exact KL of a Gaussian against a Laplace prior.
* ``langevin``: unrolled Langevin trajectories.
"""
