"""Issue 18's losses end to end: class-weight mappings (command line, config file, Python API), and
a few of the new losses through ``losscli eval FILE --loss NAME --format json``."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

import losscli
from losscli.errors import UsageError
from losscli.losses.binary import ClassWeights
from losscli.registry import Inputs, accumulate, lookup
from losscli.sums import Partial

from .conftest import run

rng = np.random.default_rng(18)
N = 500
ANIMALS = np.array(["cat", "dog"])[(rng.uniform(size=N) < 0.35).astype(int)]
P_DOG = np.clip(rng.beta(2, 2, N) + 0.3 * (ANIMALS == "dog") - 0.15, 0.01, 0.99)
W = rng.uniform(0.1, 3.0, N)


def _binary_csv(write, weights: bool = False) -> str:
    frame = pd.DataFrame({"y_true": ANIMALS, "y_pred": P_DOG})
    if weights:
        frame["w"] = W
    return write("animals.csv", frame.to_csv(index=False))


def _sklearn(mapping, sample_weight=None) -> float:
    weights = np.array([mapping[a] for a in ANIMALS]) * (1 if sample_weight is None else sample_weight)
    return metrics.log_loss(ANIMALS, P_DOG, sample_weight=weights, labels=["cat", "dog"])


def test_class_weight_mapping_by_hand():
    # labels cat, dog, dog with p(dog) 0.2, 0.9, 0.4 and weights cat 2, dog 1:
    # (2·(−ln 0.8) + 1·(−ln 0.9) + 1·(−ln 0.4)) / (2 + 1 + 1) = (0.4462871 + 0.1053605 + 0.9162907) / 4 = 0.3669846
    frame = pd.DataFrame({"y_true": ["cat", "dog", "dog"], "y_pred": [0.2, 0.9, 0.4]})
    report = losscli.evaluate(frame, loss="weighted_crossentropy",
                              params={"weighted_crossentropy": {"class_weight": {"cat": 2, "dog": 1}}})
    expected = (2 * -math.log(0.8) - math.log(0.9) - math.log(0.4)) / 4
    assert report["results"][0]["losses"]["weighted_crossentropy"] == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("weighted", [False, True])
def test_class_weight_on_the_command_line_is_sklearn_log_loss_with_those_sample_weights(write, weighted):
    path = _binary_csv(write, weighted)
    args = ["eval", path, "--loss", "weighted_crossentropy", "--param",
            "weighted_crossentropy.class_weight={cat: 2, dog: 1}", "--format", "json"]
    result = run(*args, *(["--weight", "w"] if weighted else []))
    assert result.code == 0, result.stderr
    res = result.json["results"][0]
    assert res["positive"] == "dog"
    assert res["losses"]["weighted_crossentropy"] == pytest.approx(_sklearn({"cat": 2, "dog": 1}, W if weighted else None),
                                                                   rel=1e-12)
    assert res["params"]["weighted_crossentropy"]["class_weight"] == {"cat": 2.0, "dog": 1.0}  # as given
    assert "class_weight={cat:2.0;dog:1.0}" in result.json["signature"]


def test_class_weight_in_a_config_file_and_in_python(write, tmp_path, monkeypatch):
    path = _binary_csv(write)
    (tmp_path / "losscli.toml").write_text('loss = ["weighted_crossentropy"]\n'
                                           "params = { weighted_crossentropy = { class_weight = { cat = 3, dog = 0.5 } } }\n")
    monkeypatch.chdir(tmp_path)
    expected = _sklearn({"cat": 3, "dog": 0.5})
    assert run("eval", path, "--format", "json").json["results"][0]["losses"]["weighted_crossentropy"] == \
        pytest.approx(expected, rel=1e-12)
    report = losscli.evaluate(path, loss="weighted_crossentropy",
                              params={"weighted_crossentropy": {"class_weight": {"cat": 3, "dog": 0.5}}})
    assert report["results"][0]["losses"]["weighted_crossentropy"] == pytest.approx(expected, rel=1e-12)
    # the default stays the class-balanced mean
    balanced = run("eval", path, "--no-config", "--loss", "weighted_crossentropy", "--format", "json").json
    per_class = [np.mean(-np.log(np.where(ANIMALS == "dog", P_DOG, 1 - P_DOG))[ANIMALS == c]) for c in ("cat", "dog")]
    assert balanced["results"][0]["losses"]["weighted_crossentropy"] == pytest.approx(np.mean(per_class), rel=1e-12)
    assert balanced["results"][0]["params"]["weighted_crossentropy"]["class_weight"] == "balanced"


def test_class_weight_for_k_classes_sparse_and_one_hot():
    k = 4
    names = ["ant", "bee", "cow", "doe"]
    labels = rng.integers(0, k, N)
    z = rng.normal(0, 1.5, (N, k)) + 1.5 * np.eye(k)[labels]
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    mapping = {"ant": 1.0, "bee": 4.0, "cow": 0.5, "doe": 2.0}
    vector = np.array([mapping[n] for n in names])
    expected = metrics.log_loss(labels, p, sample_weight=vector[labels] * W, labels=range(k))
    sparse = pd.DataFrame({"species": np.array(names)[labels], **{f"p_{n}": p[:, j] for j, n in enumerate(names)},
                           "w": W})
    one_hot = pd.DataFrame({**{f"y_true_{n}": (labels == j).astype(float) for j, n in enumerate(names)},
                            **{f"y_pred_{n}": p[:, j] for j, n in enumerate(names)}, "w": W})
    for frame, task in ((sparse, "sparse"), (one_hot, "multiclass")):
        report = losscli.evaluate(frame, weight="w", loss="weighted_crossentropy",
                                  params={"weighted_crossentropy": {"class_weight": mapping}})
        res = report["results"][0]
        assert (res["task"], res["classes"]) == (task, names)
        assert res["losses"]["weighted_crossentropy"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("mapping, message", [
    ("{cat: 2, dog: 1, eel: 3}", "'eel' is not among them"),
    ("{cat: 2}", "no weight for 'dog'"),
    ("{cat: 2, dog: -1}", "weights must be numbers ≥ 0, not dog=-1.0"),
    ("{cat: 2, dog: lots}", "weights must be numbers ≥ 0, not dog='lots'"),
    ("{cat 2}", "expected a mapping such as {cat: 2, dog: 1}"),
    ("uniform", "expected 'balanced' or a mapping"),
])
def test_bad_class_weights_are_usage_errors_listing_the_classes(write, mapping, message):
    result = run("eval", _binary_csv(write), "--loss", "weighted_crossentropy",
                 "--param", f"weighted_crossentropy.class_weight={mapping}")
    assert result.code == 2, result.stderr
    assert message in result.stderr
    if "mapping such" not in message and "balanced" not in message:
        assert "pair 'y' has the classes 'cat', 'dog'" in result.stderr


def test_class_weighted_sums_merge_over_chunks_and_group_by(write):
    """Class weights fold into the rows' weights: chunks add up to the whole, and --group-by's values
    are each group's own weighted mean."""
    spec = lookup("weighted_crossentropy", "binary")
    y = (ANIMALS == "dog").astype(float)
    weights = ClassWeights({"cat": 2.0, "dog": 1.0})
    weights.vector = np.array([2.0, 1.0])  # [negative (cat), positive (dog)]
    params = {"class_weight": weights, "eps": spec.params["eps"]}
    whole = accumulate(spec, Inputs("binary", "probability", y, P_DOG, W), params)
    parts = [accumulate(spec, Inputs("binary", "probability", y[i:i + 37], P_DOG[i:i + 37], W[i:i + 37]), params)
             for i in range(0, N, 37)]
    assert spec.value(sum(parts, Partial())) == pytest.approx(spec.value(whole), rel=1e-12)
    assert spec.value(whole) == pytest.approx(_sklearn({"cat": 2, "dog": 1}, W), rel=1e-12)
    frame = pd.DataFrame({"y_true": ANIMALS, "y_pred": P_DOG, "g": np.arange(N) % 3})
    report = losscli.evaluate(frame, group_by="g", loss="weighted_crossentropy",
                              params=["weighted_crossentropy.class_weight={cat: 2, dog: 1}"])
    rows = [r for r in report["results"] if r.get("group") is not None]
    assert len(rows) == 3
    for r in rows:
        keep = np.arange(N) % 3 == int(r["group"])
        weights_g = np.array([{"cat": 2, "dog": 1}[a] for a in ANIMALS[keep]])
        assert r["losses"]["weighted_crossentropy"] == pytest.approx(
            metrics.log_loss(ANIMALS[keep], P_DOG[keep], sample_weight=weights_g), rel=1e-12)


def test_a_mapping_outside_an_evaluation_is_refused():
    spec = lookup("weighted_crossentropy", "binary")
    with pytest.raises(UsageError, match="resolved against a pair's classes"):
        accumulate(spec, Inputs("binary", "probability", np.array([0.0, 1.0]), np.array([0.5, 0.5])),
                   {"class_weight": {"0": 1.0, "1": 2.0}, "eps": 1e-15})


def test_new_losses_end_to_end_through_the_command_line(write):
    y = rng.gamma(2.0, 2.0, 60) + 0.1
    v = y * rng.lognormal(0.0, 0.3, 60)
    path = write("reg.csv", pd.DataFrame({"y_true": y, "y_pred": v}).to_csv(index=False))
    result = run("eval", path, "--loss", "tweedie_deviance", "--param", "tweedie_deviance.power=1.5",
                 "--loss", "rmsle", "--loss", "Poisson", "--loss", "SmoothL1Loss", "--format", "json")
    assert result.code == 0, result.stderr
    losses = result.json["results"][0]["losses"]
    assert list(losses) == ["tweedie_deviance", "rmsle", "poisson", "smooth_l1"]  # (as asked for)
    assert losses["tweedie_deviance"] == pytest.approx(metrics.mean_tweedie_deviance(y, v, power=1.5), rel=1e-12)
    assert losses["rmsle"] == pytest.approx(metrics.root_mean_squared_log_error(y, v), rel=1e-12)
    assert losses["poisson"] == pytest.approx(np.mean(v - y * np.log(v + 1e-7)), rel=1e-12)
    r = np.abs(y - v)
    assert losses["smooth_l1"] == pytest.approx(np.mean(np.where(r < 1, 0.5 * r * r, r - 0.5)), rel=1e-12)
    # not listed by default: the default regression report is unchanged
    default = run("eval", path, "--format", "json").json["results"][0]["losses"]
    assert not set(default) & {"tweedie_deviance", "rmsle", "poisson", "poisson_nll", "smooth_l1"}


def test_label_smoothing_pos_weight_and_hinge_end_to_end(write):
    from scipy.special import log_softmax

    k = 3
    labels = rng.integers(0, k, 80)
    z = rng.normal(0, 2, (80, k)) + 2 * np.eye(k)[labels]
    frame = pd.DataFrame({"label": labels, **{f"logit_{j}": z[:, j] for j in range(k)}})
    path = write("logits.csv", frame.to_csv(index=False))
    result = run("eval", path, "--loss", "log_loss", "--loss", "hinge", "--param",
                 "CrossEntropyLoss.label_smoothing=0.1", "--format", "json")
    assert result.code == 0, result.stderr
    res = result.json["results"][0]
    smooth = np.eye(k)[labels] * 0.9 + 0.1 / k
    assert res["losses"]["sparse_categorical_crossentropy"] == \
        pytest.approx(np.mean(-(smooth * log_softmax(z, axis=1)).sum(axis=1)), rel=1e-12)
    assert res["losses"]["hinge"] == pytest.approx(metrics.hinge_loss(labels, z, labels=range(k)), rel=1e-12)
    assert res["params"]["sparse_categorical_crossentropy"]["label_smoothing"] == 0.1
    # optional parameters are listed only when set: today's params and values otherwise
    plain = run("eval", path, "--loss", "log_loss", "--format", "json").json["results"][0]
    assert plain["params"]["sparse_categorical_crossentropy"] == {"eps": np.finfo(float).eps}
    binary = write("b.csv", "y_true,y_pred\n1,2.0\n0,-1.0\n1,-0.5\n")
    out = run("eval", binary, "--loss", "bce", "--param", "BCEWithLogitsLoss.pos_weight=3", "--format", "json").json
    # 3·softplus(−2) + softplus(−1) + 3·softplus(0.5), over 3 rows
    sp = lambda x: math.log1p(math.exp(x))  # noqa: E731
    expected = (3 * sp(-2.0) + sp(-1.0) + 3 * sp(0.5)) / 3
    assert out["results"][0]["losses"]["binary_crossentropy"] == pytest.approx(expected, rel=1e-12)
    plain = run("eval", binary, "--loss", "bce", "--format", "json").json["results"][0]["params"]
    assert plain == {"binary_crossentropy": {"eps": np.finfo(float).eps}}


def test_shards_merge_and_dask_give_the_one_piece_values(write, tmp_path):
    """The new losses and parameters through --state shards + merge and --engine dask: the values
    of one run over the whole file, to 1e-12 (class weights and label smoothing included)."""
    k = 3
    labels = np.array(["ant", "bee", "cow"])[rng.integers(0, k, 900)]
    z = rng.normal(0, 2, (900, k))
    frame = pd.DataFrame({"label": labels, **{name: z[:, j] for j, name in enumerate(["ant", "bee", "cow"])}})
    folder = tmp_path / "shards"
    folder.mkdir()
    for i, part in enumerate(np.array_split(np.arange(900), 3)):
        frame.iloc[part].to_csv(folder / f"part{i}.csv", index=False)
    whole = write("all.csv", frame.to_csv(index=False))
    args = ["--loss", "log_loss", "--loss", "hinge", "--loss", "weighted_crossentropy",
            "--param", "CrossEntropyLoss.label_smoothing=0.1",
            "--param", "weighted_crossentropy.class_weight={ant: 1, bee: 2, cow: 0.5}", "--format", "json"]
    expected = run("eval", whole, *args).json["results"][0]["losses"]
    assert set(expected) == {"sparse_categorical_crossentropy", "hinge", "weighted_crossentropy"}
    states = [tmp_path / f"s{i}.json" for i in range(3)]
    for i, state in enumerate(states):
        assert run("eval", folder / f"part{i}.csv", *args, "--state", state).code == 0
    merged = run("merge", *states, "--format", "json").json["results"][0]["losses"]
    assert merged == pytest.approx(expected, rel=1e-12)
    pytest.importorskip("dask")
    sharded = run("eval", str(folder / "*.csv"), *args, "--engine", "dask").json["results"][0]["losses"]
    assert sharded == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("mapping", ['{cat: 1, dog: 2, cat: 0}', '{"cat": 1, "dog": 2, "cat": 0}'])
def test_a_class_given_twice_is_refused(write, mapping):
    found = run("eval", _binary_csv(write), "--param", f"weighted_crossentropy.class_weight={mapping}")
    assert found.code == 2 and "'cat' given twice" in found.stderr
