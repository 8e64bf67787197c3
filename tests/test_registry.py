"""The registry: partial sums merge exactly, weights, aliases, parameters, invariances."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from losscli import losses  # noqa: F401
from losscli.errors import UsageError
from losscli.options import typed_params
from losscli.registry import (
    Inputs,
    accumulate,
    for_task,
    lookup,
    loss,
    resolve,
    resolve_for_task,
    terms,
    weighted_median,
)
from losscli.sums import Partial

from .conftest import run

rng = np.random.default_rng(2)
N, K = 101, 7
CASES = {
    "regression": Inputs("regression", "values", rng.gamma(2, 2, N) + 0.1, rng.gamma(2, 2, N) + 0.1),
    "binary": Inputs("binary", "logits", (rng.uniform(size=N) < 0.4).astype(float), rng.normal(0, 2, N)),
    "sparse": Inputs("sparse", "logits", np.eye(K)[rng.integers(0, K, N)], rng.normal(0, 2, (N, K))),
    "multiclass": Inputs("multiclass", "probability", rng.dirichlet(np.ones(K), N), rng.dirichlet(np.ones(K), N)),
    "multilabel": Inputs("multilabel", "probability", (rng.uniform(size=(N, K)) < 0.5).astype(float), rng.uniform(size=(N, K))),
}


def _slice(inputs: Inputs, rows) -> Inputs:
    return Inputs(inputs.task, inputs.kind, inputs.y[rows], inputs.pred[rows], None if inputs.w is None else inputs.w[rows])


def _all_specs():
    return [(task, spec) for task in CASES for spec in for_task(task)]


def _value(spec, inputs: Inputs) -> float | None:
    """The loss over ``inputs``: from its sums, or a median (not a sum) from its terms."""
    if spec.reduction == "median":
        return float(weighted_median(terms(spec, inputs, spec.params), inputs.w)[0])
    return spec.value(accumulate(spec, inputs))


@pytest.mark.parametrize("task, spec", _all_specs(), ids=lambda x: getattr(x, "name", x))
def test_chunks_merge_to_the_whole(task, spec):
    inputs = CASES[task]
    whole = accumulate(spec, inputs)
    if whole.skipped:
        pytest.skip(str(whole.skipped))
    if spec.reduction == "median":
        pytest.skip("a median merges no sums: an evaluation keeps its rows (tests/test_reductions.py)")
    parts = [accumulate(spec, _slice(inputs, slice(i, i + 7))) for i in range(0, N, 7)]
    assert spec.value(sum(parts, Partial())) == pytest.approx(spec.value(whole), rel=1e-12)


@pytest.mark.parametrize("task, spec", _all_specs(), ids=lambda x: getattr(x, "name", x))
def test_weights_of_one_equal_no_weights_and_row_order_does_not_matter(task, spec):
    inputs = CASES[task]
    plain = accumulate(spec, inputs)
    if plain.skipped:
        pytest.skip(str(plain.skipped))
    ones = Inputs(inputs.task, inputs.kind, inputs.y, inputs.pred, np.ones(N))
    assert _value(spec, ones) == pytest.approx(_value(spec, inputs), rel=1e-12)
    shuffled = _slice(inputs, rng.permutation(N))
    assert _value(spec, shuffled) == pytest.approx(_value(spec, inputs), rel=1e-12)


@pytest.mark.parametrize("task, spec", _all_specs(), ids=lambda x: getattr(x, "name", x))
def test_integer_weights_equal_repeated_rows(task, spec):
    inputs = CASES[task]
    counts = rng.integers(1, 4, N)
    weighted = Inputs(inputs.task, inputs.kind, inputs.y, inputs.pred, counts.astype(float))
    repeated = _slice(inputs, np.repeat(np.arange(N), counts))
    got = accumulate(spec, weighted)
    if got.skipped:
        pytest.skip(str(got.skipped))
    assert _value(spec, weighted) == pytest.approx(_value(spec, repeated), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_merging_any_split_is_exact(data):
    y = data.draw(hnp.arrays(float, st.integers(2, 40), elements=st.sampled_from([0.0, 1.0])))
    z = data.draw(hnp.arrays(float, len(y), elements=st.floats(-50, 50)))
    cut = data.draw(st.integers(1, len(y) - 1))
    for name in ("binary_crossentropy", "weighted_crossentropy", "brier", "focal"):
        spec = lookup(name, "binary")
        whole = accumulate(spec, Inputs("binary", "logits", y, z))
        parts = accumulate(spec, Inputs("binary", "logits", y[:cut], z[:cut])) + \
            accumulate(spec, Inputs("binary", "logits", y[cut:], z[cut:]))
        assert spec.value(parts) == pytest.approx(spec.value(whole), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("alias, task, canonical", [
    ("log_loss", "binary", "binary_crossentropy"),
    ("log_loss", "sparse", "sparse_categorical_crossentropy"),
    ("crossentropy", "multiclass", "categorical_crossentropy"),
    ("BCELoss", "binary", "binary_crossentropy"),
    ("BinaryCrossentropy", "multilabel", "binary_crossentropy"),
    ("CrossEntropyLoss", "sparse", "sparse_categorical_crossentropy"),
    ("mean_squared_error", "regression", "mse"),
    ("MSELoss", "regression", "mse"),
    ("mean_absolute_error", "regression", "mae"),
    ("L1Loss", "regression", "mae"),
    ("HuberLoss", "regression", "huber"),
    ("KLDivergence", "multiclass", "kl_divergence"),
    ("CategoricalHinge", "sparse", "categorical_hinge"),
    ("brier_score_loss", "binary", "brier"),
    ("hamming_loss", "multilabel", "hamming"),
])
def test_aliases_resolve_per_task(alias, task, canonical):
    assert resolve_for_task(alias, task) == canonical


def test_unknown_loss_suggests_the_closest_name():
    with pytest.raises(UsageError, match="did you mean 'brier'"):
        resolve("breir")


def test_params_are_parsed_to_the_default_type_and_unknown_keys_suggest():
    assert typed_params({"focal": {"gamma": "3"}}) == {"focal": {"gamma": 3.0}}
    assert typed_params({"top_k": {"k": "3"}})["top_k_error"]["k"] == 3
    # one setting, one value: a later layer (the flags) wins over an earlier one (the config file) by canonical name
    assert typed_params({"focal": {"gamma": 2}}, {"focal_loss": {"gamma": "3.0"}}) == {"focal": {"gamma": 3.0}}
    with pytest.raises(UsageError, match="did you mean 'gamma'"):
        typed_params({"focal": {"gama": "3"}})
    with pytest.raises(UsageError, match="expected a number"):
        typed_params({"focal": {"gamma": "lots"}})
    with pytest.raises(UsageError, match="expected a number"):
        typed_params({"focal": {"gamma": True}})


def test_registering_a_clashing_name_is_refused():
    with pytest.raises(UsageError, match="already registered"):
        loss("mse", tasks=["regression"])(lambda y, v: (y - v) ** 2)


def test_a_loss_returning_the_wrong_shape_or_nan_is_a_clear_error():
    from losscli.errors import DataError

    @loss("test_bad_shape", tasks=["regression"], origin="tests", default=False)
    def bad_shape(y, v):
        return np.ones(3)

    @loss("test_nan", tasks=["regression"], origin="tests", default=False)
    def nan(y, v):
        return np.log(v - 10)

    inputs = Inputs("regression", "values", np.ones(5), np.ones(5))
    with pytest.raises(DataError, match=r"test_bad_shape.*shape"):
        accumulate(lookup("test_bad_shape", "regression"), inputs)
    with pytest.raises(DataError, match=r"test_nan.*row 1"):
        accumulate(lookup("test_nan", "regression"), inputs)


@pytest.mark.parametrize("spec", [s for s in for_task("sparse")], ids=lambda s: s.name)
def test_sparse_gathers_equal_the_one_hot_sums(spec):
    # sparse labels carry their class index; the gathered terms equal the one-hot sums
    inputs = CASES["sparse"]
    indexed = Inputs("sparse", "logits", inputs.y, inputs.pred, None, inputs.y.argmax(axis=1))
    plain, fast = accumulate(spec, inputs), accumulate(spec, indexed)
    if plain.skipped:
        pytest.skip(str(plain.skipped))
    assert spec.value(fast) == pytest.approx(spec.value(plain), rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(matrix=hnp.arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 12)),
                         elements=st.sampled_from([-1.0, 0.0, 0.25, 0.5, 1.0, 3.0])))
def test_row_argmax_and_gather_on_column_major_matrices_agree_with_numpy(matrix):
    """Prediction matrices are stored column-major; the fast paths must equal numpy's argmax (ties to the
    first column; the few distinct values make ties common) and take_along_axis."""
    from losscli.registry import gather, row_argmax

    column_major = np.asfortranarray(matrix)
    expected = matrix.argmax(axis=1)
    assert np.array_equal(row_argmax(column_major), expected)
    assert np.array_equal(row_argmax(matrix), expected)  # row-major: numpy's own
    index = np.arange(len(matrix)) % matrix.shape[1]
    assert np.array_equal(gather(column_major, index), matrix[np.arange(len(matrix)), index])


@pytest.mark.parametrize("flag, must", [
    ("huber.delta=-1", "must be > 0"),  # (a negative loss, exit 0, before)
    ("huber.delta=0", "must be > 0"),
    ("pinball.alpha=1.5", "must be in [0, 1]"),
    ("focal.gamma=-1", "must be ≥ 0"),
    ("binary_crossentropy.eps=0.7", "must be in [0, 0.5)"),
    ("binary_crossentropy.eps=0.5", "must be in [0, 0.5)"),
    ("sparse_categorical_crossentropy.label_smoothing=1.2", "must be in [0, 1]"),
    ("top_k_error.k=0", "must be a whole number ≥ 1"),
    ("top_k_error.k=2.5", "must be a whole number ≥ 1"),
    ("ece.bins=0", "must be a whole number in [1, 1024]"),
    ("asymmetric_mse.under=-2", "must be ≥ 0"),
    ("gaussian_nll.eps=-1", "must be ≥ 0"),
    ("tweedie_deviance.power=0.5", "must be ≤ 0 or ≥ 1"),  # (no Tweedie distribution: skipped before)
])
def test_a_parameter_outside_its_range_is_a_usage_error(flag, must):
    name, _, value = flag.partition("=")
    loss, key = name.split(".")
    with pytest.raises(UsageError) as refused:
        typed_params({loss: {key: value}})
    assert str(refused.value) == f"--param {flag}: {must}"


def test_a_negative_focal_alpha_is_no_alpha_as_in_torchvision(write):
    """torchvision's sigmoid_focal_loss skips the α balance for alpha < 0 (its alpha=-1); over K
    classes α is a scale (Keras), so 2 is taken. Before: alpha=-1 weighed positives by −1."""
    path = write("b.csv", "y_true,y_pred\n1,0.8\n0,0.3\n1,0.6\n0,0.1\n")
    plain = run("eval", path, "--loss", "focal").losses()["focal"]
    assert run("eval", path, "--loss", "focal", "--param", "focal.alpha=-1").losses()["focal"] == plain
    p, y = np.array([0.8, 0.3, 0.6, 0.1]), np.array([1, 0, 1, 0])
    p_t = np.where(y == 1, p, 1 - p)
    assert plain == pytest.approx(np.mean(-((1 - p_t) ** 2) * np.log(p_t)), rel=1e-12)  # (γ = 2, no α)
    assert typed_params({"focal": {"alpha": "2"}}) == {"focal": {"alpha": 2.0}}  # (the K-class focal's scale)


def test_a_value_one_task_refuses_is_refused_where_a_pair_of_that_task_uses_it(write):
    binary = write("b.csv", "y_true,y_pred\n1,0.8\n0,0.3\n1,0.6\n0,0.1\n")
    refused = run("eval", binary, "--loss", "focal", "--param", "focal.alpha=2")
    assert refused.code == 2
    assert "--param focal.alpha=2: must be ≤ 1 for binary and multilabel pairs" in refused.stderr


def test_a_config_files_value_a_flag_overrides_is_not_checked():
    assert typed_params({"huber": {"delta": "-1"}}, {"huber": {"delta": "2"}}) == {"huber": {"delta": 2.0}}


def test_the_ends_of_a_range_are_taken(write):
    from sklearn.metrics import mean_pinball_loss

    accepted = typed_params({"pinball": {"alpha": "1"}, "focal": {"gamma": "0", "alpha": "0"},
                             "binary_crossentropy": {"eps": "0"}, "huber": {"delta": "1e-300"},
                             "ece": {"bins": "1024"}, "top_k_error": {"k": "1"}})
    assert accepted["pinball"] == {"alpha": 1.0} and accepted["top_k_error"] == {"k": 1}
    for power in ("0", "1", "-0.5", "1.5"):  # (the Tweedie power's gap is open: 0 and 1 are in)
        assert typed_params({"tweedie_deviance": {"power": power}}) == {"tweedie_deviance": {"power": float(power)}}
    path = write("r.csv", "y_true,y_pred\n1.0,0.5\n2.0,2.5\n3.0,2.0\n")
    result = run("eval", path, "--loss", "pinball", "--param", "pinball.alpha=1")
    assert result.code == 0, result.stderr
    assert result.losses()["pinball"] == pytest.approx(mean_pinball_loss([1, 2, 3], [0.5, 2.5, 2.0], alpha=1.0))
