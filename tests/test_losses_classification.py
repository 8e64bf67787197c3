"""Classification losses against scikit-learn, and Keras/PyTorch conventions worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics
from sklearn.utils.class_weight import compute_sample_weight

from losscli import losses  # noqa: F401
from losscli.errors import UsageError
from losscli.registry import Inputs, accumulate, lookup

REL = 1e-9
rng = np.random.default_rng(1)
N = 300
YB = (rng.uniform(size=N) < 0.3).astype(float)
Z = rng.normal(0, 2, N) + 1.5 * YB  # logits / decision scores
PB = 1 / (1 + np.exp(-Z))
W = rng.uniform(0.1, 3.0, N)
K = 7
YS = rng.integers(0, K, N)
ZK = rng.normal(0, 2, (N, K)) + 2 * np.eye(K)[YS]
PK = np.exp(ZK) / np.exp(ZK).sum(axis=1, keepdims=True)
ONEHOT = np.eye(K)[YS]


def value(name, task, kind, y, pred, w=None, **params):
    spec = lookup(name, task)
    inputs = Inputs(task, kind, np.asarray(y, float), np.asarray(pred, float), None if w is None else np.asarray(w, float))
    return spec.value(accumulate(spec, inputs, {**spec.params, **params}))


def test_binary_crossentropy_by_hand_and_against_sklearn():
    # rows: -ln 0.8 = 0.2231, -ln(1 - 0.4) = 0.5108; mean 0.3670
    got = value("binary_crossentropy", "binary", "probability", [1, 0], [0.8, 0.4])
    assert got == pytest.approx((-math.log(0.8) - math.log(0.6)) / 2, rel=1e-12)
    assert got == pytest.approx(metrics.log_loss([1, 0], [0.8, 0.4]), rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_binary_probability_losses_against_sklearn(weighted):
    w = W if weighted else None
    assert value("binary_crossentropy", "binary", "probability", YB, PB, w) == \
        pytest.approx(metrics.log_loss(YB, PB, sample_weight=w), rel=REL)
    assert value("brier", "binary", "probability", YB, PB, w) == \
        pytest.approx(metrics.brier_score_loss(YB, PB, sample_weight=w), rel=REL)
    assert value("zero_one", "binary", "probability", YB, PB, w) == \
        pytest.approx(metrics.zero_one_loss(YB, PB > 0.5, sample_weight=w), rel=REL)


def test_binary_logits_match_the_probabilities_they_stand_for():
    for name in ("binary_crossentropy", "brier", "zero_one", "focal", "weighted_crossentropy"):
        assert value(name, "binary", "logits", YB, Z) == pytest.approx(value(name, "binary", "probability", YB, PB), rel=1e-9)
    assert value("binary_crossentropy", "binary", "logits", YB, Z) == pytest.approx(metrics.log_loss(YB, PB), rel=REL)


def test_extreme_logits_are_finite_and_exact():
    # softplus(z) - y z: z = 1000, y = 0 -> 1000; z = -1000, y = 1 -> 1000; z = 1000, y = 1 -> e^-1000 ~ 0
    got = value("binary_crossentropy", "binary", "logits", [0, 1, 1], [1000.0, -1000.0, 1000.0])
    assert got == pytest.approx(2000 / 3, rel=1e-15)
    # softmax: true-class logit 0 against 3000 -> loss 3000
    got = value("sparse_categorical_crossentropy", "sparse", "logits", [[1, 0]], [[0.0, 3000.0]])
    assert got == pytest.approx(3000.0, rel=1e-15)
    assert value("focal", "binary", "logits", [0], [5000.0]) == pytest.approx(5000.0, rel=1e-15)


def test_probabilities_are_clipped_with_float64_epsilon_like_sklearn():
    eps = np.finfo(float).eps
    got = value("binary_crossentropy", "binary", "probability", [1, 0], [0.0, 1.0])
    assert got == pytest.approx(-math.log(eps), rel=1e-12)
    assert got == pytest.approx(metrics.log_loss([1, 0], [0.0, 1.0]), rel=1e-12)
    keras = value("binary_crossentropy", "binary", "probability", [1], [0.0], eps=1e-7)
    assert keras == pytest.approx(-math.log(1e-7), rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_weighted_crossentropy_is_sklearn_log_loss_with_balanced_weights(weighted):
    w = W if weighted else np.ones(N)
    balanced = compute_sample_weight("balanced", YB) * w
    # mean of per-class weighted means == log_loss with balanced weights (times the sample weights)
    per_class = [np.average(-np.log(np.where(YB == 1, PB, 1 - PB))[YB == c], weights=w[YB == c]) for c in (0, 1)]
    got = value("weighted_crossentropy", "binary", "probability", YB, PB, w if weighted else None)
    assert got == pytest.approx(np.mean(per_class), rel=REL)
    if not weighted:
        assert got == pytest.approx(metrics.log_loss(YB, PB, sample_weight=balanced), rel=REL)
    balanced_k = compute_sample_weight("balanced", YS)
    assert value("weighted_crossentropy", "sparse", "probability", ONEHOT, PK) == \
        pytest.approx(metrics.log_loss(YS, PK, sample_weight=balanced_k, labels=range(K)), rel=REL)
    # sparse labels as read (a class index per row): the class sums come from the index
    sparse = Inputs("sparse", "probability", np.asarray(ONEHOT, float), np.asfortranarray(PK), w if weighted else None,
                    index=np.asarray(YS))
    per_class_k = [np.average(-np.log(PK[YS == c, c]), weights=w[YS == c]) for c in range(K)]
    assert value_of("weighted_crossentropy", sparse) == pytest.approx(np.mean(per_class_k), rel=REL)


def test_focal_by_hand():
    # gamma 2: y=1, p=0.8: -(0.2^2) ln 0.8 = 0.04 * 0.22314 = 0.0089257
    #          y=0, p=0.4: -(0.4^2) ln 0.6 = 0.16 * 0.51083 = 0.0817326
    expected = (0.04 * -math.log(0.8) + 0.16 * -math.log(0.6)) / 2
    assert value("focal", "binary", "probability", [1, 0], [0.8, 0.4]) == pytest.approx(expected, rel=1e-12)
    # gamma 0 is the cross-entropy
    assert value("focal", "binary", "probability", YB, PB, gamma=0.0) == pytest.approx(metrics.log_loss(YB, PB), rel=REL)
    # K classes: -(1 - p_true)^2 ln p_true; rows p_true 0.7 and 0.5
    expected = (0.09 * -math.log(0.7) + 0.25 * -math.log(0.5)) / 2
    got = value("focal", "sparse", "probability", [[1, 0, 0], [0, 1, 0]], [[0.7, 0.2, 0.1], [0.3, 0.5, 0.2]])
    assert got == pytest.approx(expected, rel=1e-12)


def test_hinge_against_sklearn_and_squared_hinge_by_hand():
    assert value("hinge", "binary", "logits", YB, Z) == pytest.approx(metrics.hinge_loss(2 * YB - 1, Z), rel=REL)
    # t z = 0.5 -> (1 - 0.5)^2 = 0.25; t z = 2 -> 0; t z = -1 -> 4; mean 4.25/3
    assert value("squared_hinge", "binary", "logits", [1, 1, 0], [0.5, 2.0, 1.0]) == pytest.approx(4.25 / 3, rel=1e-15)


def test_hinge_needs_scores():
    spec = lookup("hinge", "binary")
    partial = accumulate(spec, Inputs("binary", "probability", YB, PB))
    assert str(partial.skipped) == "predictions are probabilities; hinge needs decision scores"


@pytest.mark.parametrize("weighted", [False, True])
def test_class_losses_against_sklearn(weighted):
    w = W if weighted else None
    for task, y in (("sparse", ONEHOT), ("multiclass", ONEHOT)):
        ce = "sparse_categorical_crossentropy" if task == "sparse" else "categorical_crossentropy"
        assert value(ce, task, "probability", y, PK, w) == pytest.approx(metrics.log_loss(YS, PK, sample_weight=w), rel=REL)
        assert value(ce, task, "logits", y, ZK, w) == pytest.approx(metrics.log_loss(YS, PK, sample_weight=w), rel=REL)
        assert value("brier", task, "probability", y, PK, w) == \
            pytest.approx(metrics.brier_score_loss(YS, PK, sample_weight=w, labels=range(K)), rel=REL)
        assert value("zero_one", task, "probability", y, PK, w) == \
            pytest.approx(metrics.zero_one_loss(YS, PK.argmax(axis=1), sample_weight=w), rel=REL)
        assert value("top_k_error", task, "logits", y, ZK, w, k=3) == \
            pytest.approx(1 - metrics.top_k_accuracy_score(YS, ZK, k=3, sample_weight=w, labels=range(K)), rel=REL)


def test_brier_with_two_class_columns_is_the_binary_brier_like_sklearn():
    p2 = np.column_stack([1 - PB, PB])
    y2 = np.column_stack([1 - YB, YB])
    assert value("brier", "sparse", "probability", y2, p2) == pytest.approx(metrics.brier_score_loss(YB, PB), rel=REL)


def test_kl_divergence_soft_labels_by_hand():
    # y = (0.5, 0.5, 0), p = (0.25, 0.5, 0.25): 0.5 ln(0.5/0.25) + 0.5 ln(0.5/0.5) = 0.5 ln 2
    got = value("kl_divergence", "multiclass", "probability", [[0.5, 0.5, 0.0]], [[0.25, 0.5, 0.25]])
    assert got == pytest.approx(0.5 * math.log(2), rel=1e-12)
    # cross-entropy of the same: -(0.5 ln 0.25 + 0.5 ln 0.5) = 1.5 ln 2
    got = value("categorical_crossentropy", "multiclass", "probability", [[0.5, 0.5, 0.0]], [[0.25, 0.5, 0.25]])
    assert got == pytest.approx(1.5 * math.log(2), rel=1e-12)


def test_categorical_hinge_keras_formula_by_hand():
    # y = (0, 1, 0), ŷ = (0.3, 0.6, 0.1): pos 0.6, neg max(0.3, 0.1) = 0.3 -> max(0, 0.3 - 0.6 + 1) = 0.7
    # y = (1, 0, 0), ŷ = (2, 5, -1):     pos 2,   neg 5                -> 5 - 2 + 1 = 4
    got = value("categorical_hinge", "sparse", "logits", [[0, 1, 0], [1, 0, 0]], [[0.3, 0.6, 0.1], [2, 5, -1]])
    assert got == pytest.approx((0.7 + 4) / 2, rel=1e-12)


def test_multilabel_losses_against_sklearn_per_column():
    y = (rng.uniform(size=(N, 4)) < 0.4).astype(float)
    z = rng.normal(0, 2, (N, 4)) + 2 * y
    p = 1 / (1 + np.exp(-z))
    bce = np.mean([metrics.log_loss(y[:, j], p[:, j], labels=[0, 1]) for j in range(4)])
    brier = np.mean([metrics.brier_score_loss(y[:, j], p[:, j]) for j in range(4)])
    assert value("binary_crossentropy", "multilabel", "probability", y, p) == pytest.approx(bce, rel=REL)
    assert value("binary_crossentropy", "multilabel", "logits", y, z) == pytest.approx(bce, rel=REL)
    assert value("brier", "multilabel", "probability", y, p) == pytest.approx(brier, rel=REL)
    assert value("hamming", "multilabel", "probability", y, p) == pytest.approx(metrics.hamming_loss(y, p > 0.5), rel=REL)
    assert value("hamming", "multilabel", "logits", y, z) == pytest.approx(metrics.hamming_loss(y, z > 0), rel=REL)
    assert value("zero_one", "multilabel", "probability", y, p) == pytest.approx(metrics.zero_one_loss(y, p > 0.5), rel=REL)


def test_hard_class_predictions_only_zero_one():
    spec = lookup("zero_one", "sparse")
    got = spec.value(accumulate(spec, Inputs("sparse", "class", np.array([0., 1, 2, 2]), np.array([0., 2, 2, 2]))))
    assert got == 0.25
    assert "hard class ids" in str(accumulate(lookup("brier", "sparse"), Inputs("sparse", "class", np.zeros(2), np.zeros(2))).skipped)


def test_focal_alpha_torchvision_and_keras_conventions_by_hand():
    # torchvision sigmoid_focal_loss(alpha=0.25, gamma=2): y=1, p=0.8 -> 0.25 * 0.04 * -ln 0.8
    #                                                      y=0, p=0.4 -> 0.75 * 0.16 * -ln 0.6
    expected = (0.25 * 0.04 * -math.log(0.8) + 0.75 * 0.16 * -math.log(0.6)) / 2
    assert value("focal", "binary", "probability", [1, 0], [0.8, 0.4], alpha=0.25) == pytest.approx(expected, rel=1e-12)
    # Keras CategoricalFocalCrossentropy(alpha=0.25, gamma=2): 0.25 * (1 - 0.7)^2 * -ln 0.7
    got = value("focal", "sparse", "probability", [[1, 0, 0]], [[0.7, 0.2, 0.1]], alpha=0.25)
    assert got == pytest.approx(0.25 * 0.09 * -math.log(0.7), rel=1e-12)


def test_per_row_terms_of_confident_rows_keep_their_relative_precision():
    """Per-row terms feed --per-row and --worst: a confident row's tiny term must not drown in the
    rounding of a formula that cancels (e.g. Σp² − 2p_y + 1, or log(1-p) + y(log p − log(1-p))).
    By hand: −log(1 − 1e−10) = 1e−10 + 5e−21; (1e−9)² + (1e−9)² = 2e−18."""
    from losscli.registry import Inputs, lookup, terms

    def row_terms(name, inputs):
        spec = lookup(name, inputs.task)
        return terms(spec, inputs, spec.params)

    binary = Inputs("binary", "probability", np.array([1.0, 0.0]), np.array([1 - 1e-10, 1e-10]))
    assert row_terms("binary_crossentropy", binary) == pytest.approx([1e-10, 1e-10], rel=1e-6, abs=0)
    p = np.asfortranarray([[1 - 2e-9, 1e-9, 1e-9], [0.2, 0.3, 0.5]])
    index = np.array([0, 2])
    sparse = Inputs("sparse", "probability", np.eye(3)[index], p, index=index)
    brier = row_terms("brier", sparse)
    assert brier[0] == pytest.approx((2e-9) ** 2 + 2 * (1e-9) ** 2, rel=1e-6, abs=0)
    assert brier[1] == pytest.approx(0.2**2 + 0.3**2 + 0.5**2, rel=1e-12)
    assert row_terms("sparse_categorical_crossentropy", sparse) == pytest.approx([2e-9, -np.log(0.5)], rel=1e-6, abs=0)
    # sigmoid logits z = ±40 on their own label: 1 − σ(40) = e^−40 / (1 + e^−40) ≈ 4.248e−18, which
    # 1 − σ(z) rounds to 0; Brier (1 − p_t)², focal (γ = 2) (1 − p_t)² · log(1 + e^−40), BCE log(1 + e^−40)
    logits = Inputs("binary", "logits", np.array([1.0, 0.0]), np.array([40.0, -40.0]))
    other = math.exp(-40) / (1 + math.exp(-40))
    assert row_terms("brier", logits) == pytest.approx([other**2, other**2], rel=1e-12, abs=0)
    assert row_terms("focal", logits) == pytest.approx([other**2 * math.log1p(math.exp(-40))] * 2, rel=1e-12, abs=0)
    assert row_terms("binary_crossentropy", logits) == pytest.approx([math.log1p(math.exp(-40))] * 2, rel=1e-12, abs=0)


def test_zero_one_and_top_k_on_tied_scores_follow_argmax_and_favour_the_true_class():
    """argmax takes the first of tied classes (numpy's, and scikit-learn's zero_one_loss on it);
    top-k counts only classes scoring strictly higher. By hand, rows (true class → scores):
    0 → [.4 .4 .2]: argmax 0, hit; 1 → [.4 .4 .2]: argmax 0, miss; 2 → [.3 .3 .4]: hit;
    2 → [.5 .25 .25]: argmax 0, miss, one class higher; 1 → [.25 .5 .25]: hit."""
    p = np.asfortranarray([[.4, .4, .2], [.4, .4, .2], [.3, .3, .4], [.5, .25, .25], [.25, .5, .25]])
    true = np.array([0, 1, 2, 2, 1])
    for index in (None, true):
        inputs = Inputs("sparse", "probability", np.eye(3)[true], p, index=index)
        assert value_of("zero_one", inputs) == pytest.approx(2 / 5, rel=1e-15)
        assert value_of("zero_one", inputs) == pytest.approx(metrics.zero_one_loss(true, p.argmax(axis=1)), rel=1e-15)
        assert value_of("top_k_error", inputs, k=1) == pytest.approx(1 / 5, rel=1e-15)  # only row 4 is outranked
        assert value_of("top_k_error", inputs, k=2) == 0.0


def value_of(name, inputs, **params):
    spec = lookup(name, inputs.task)
    return spec.value(accumulate(spec, inputs, {**spec.params, **params}))


def test_zero_one_and_top_k_with_more_classes_than_a_byte_counts():
    """Past 255 classes the counts of higher-scoring classes are kept in wider integers."""
    gen = np.random.default_rng(7)
    p = np.asfortranarray(gen.uniform(size=(400, 300)))
    true = gen.integers(0, 300, 400)
    inputs = Inputs("sparse", "probability", np.eye(300)[true], p, index=true)
    assert value_of("zero_one", inputs) == pytest.approx(metrics.zero_one_loss(true, p.argmax(axis=1)), rel=1e-15)
    expected = 1 - metrics.top_k_accuracy_score(true, p, k=260, labels=range(300))
    assert value_of("top_k_error", inputs, k=260) == pytest.approx(expected, rel=1e-12)


# --- issue 18: label smoothing, pos_weight, scikit-learn's multiclass hinge ---

def _smoothed_reference(onehot, logits, eps):
    """Keras CategoricalCrossentropy(label_smoothing=ε, from_logits=True), as documented: the labels
    become y(1 − ε) + ε/K, then −Σ_c y_c log softmax(z)_c (scipy's log_softmax, independent of losscli)."""
    from scipy.special import log_softmax

    k = onehot.shape[1]
    smooth = onehot * (1 - eps) + eps / k
    return np.mean(-(smooth * log_softmax(logits, axis=1)).sum(axis=1))


def _torch_smoothed_reference(index, logits, eps):
    """PyTorch CrossEntropyLoss(label_smoothing=ε) with class-index targets, as its documentation
    writes it: (1 − ε)·(−log p_y) + ε/K·Σ_c (−log p_c)."""
    from scipy.special import log_softmax

    logp = log_softmax(logits, axis=1)
    k = logits.shape[1]
    return np.mean((1 - eps) * -logp[np.arange(len(index)), index] + eps / k * -logp.sum(axis=1))


@pytest.mark.parametrize("smoothing", [0.1, 0.3, 1.0])
def test_label_smoothing_against_keras_and_pytorch_formulas(smoothing):
    keras = _smoothed_reference(ONEHOT, ZK, smoothing)
    torch = _torch_smoothed_reference(YS, ZK, smoothing)
    assert keras == pytest.approx(torch, rel=1e-12)  # the two conventions agree on one-hot labels
    assert value("categorical_crossentropy", "multiclass", "logits", ONEHOT, ZK, label_smoothing=smoothing) == \
        pytest.approx(keras, rel=REL)
    sparse = Inputs("sparse", "logits", ONEHOT, np.asfortranarray(ZK), index=YS)
    assert value_of("sparse_categorical_crossentropy", sparse, label_smoothing=smoothing) == pytest.approx(torch, rel=REL)
    # probabilities: the same logs, of the probabilities the logits stand for
    assert value("sparse_categorical_crossentropy", "sparse", "probability", ONEHOT, PK, label_smoothing=smoothing) == \
        pytest.approx(keras, rel=1e-9)


def test_label_smoothing_by_hand_weights_and_soft_labels():
    # K = 2, ε = 0.2, p = (0.8, 0.2), true class 0: labels (1·0.8 + 0.1, 0 + 0.1) = (0.9, 0.1)
    # -(0.9 ln 0.8 + 0.1 ln 0.2) = 0.9·0.2231436 + 0.1·1.6094379 = 0.2008292 + 0.1609438 = 0.3617730
    expected = -(0.9 * math.log(0.8) + 0.1 * math.log(0.2))
    got = value("sparse_categorical_crossentropy", "sparse", "probability", [[1, 0]], [[0.8, 0.2]], label_smoothing=0.2)
    assert got == pytest.approx(expected, rel=1e-14)
    # soft labels (0.5, 0.5, 0) with ε = 0.3, K = 3 -> (0.45, 0.45, 0.1) against p = (0.25, 0.5, 0.25)
    soft = -(0.45 * math.log(0.25) + 0.45 * math.log(0.5) + 0.1 * math.log(0.25))
    got = value("categorical_crossentropy", "multiclass", "probability", [[0.5, 0.5, 0.0]], [[0.25, 0.5, 0.25]],
                label_smoothing=0.3)
    assert got == pytest.approx(soft, rel=1e-14)
    # weights: Σ w ℓ / Σ w of the smoothed terms
    from scipy.special import log_softmax
    logp = log_softmax(ZK, axis=1)
    terms = -((ONEHOT * 0.9 + 0.1 / K) * logp).sum(axis=1)
    assert value("categorical_crossentropy", "multiclass", "logits", ONEHOT, ZK, W, label_smoothing=0.1) == \
        pytest.approx(np.average(terms, weights=W), rel=REL)


def test_label_smoothing_zero_is_todays_value_exactly_and_out_of_range_is_skipped():
    for name, task in (("sparse_categorical_crossentropy", "sparse"), ("categorical_crossentropy", "multiclass")):
        assert value(name, task, "logits", ONEHOT, ZK, label_smoothing=0.0) == value(name, task, "logits", ONEHOT, ZK)
        spec = lookup(name, task)
        partial = accumulate(spec, Inputs(task, "logits", ONEHOT, ZK), {"eps": 1e-7, "label_smoothing": 1.5})
        assert str(partial.skipped) == "label_smoothing must be in [0, 1]"


def _torch_bce_with_logits(y, z, pos_weight):
    """PyTorch BCEWithLogitsLoss(pos_weight=p), as documented: −[p·y·log σ(z) + (1 − y)·log(1 − σ(z))]."""
    sig = 1 / (1 + np.exp(-z))
    return np.mean(-(pos_weight * y * np.log(sig) + (1 - y) * np.log(1 - sig)))


@pytest.mark.parametrize("pos_weight", [0.0, 0.5, 3.0])
def test_pos_weight_against_the_pytorch_formula(pos_weight):
    expected = _torch_bce_with_logits(YB, Z, pos_weight)
    assert value("binary_crossentropy", "binary", "logits", YB, Z, pos_weight=pos_weight) == pytest.approx(expected, rel=REL)
    assert value("binary_crossentropy", "binary", "probability", YB, PB, pos_weight=pos_weight) == \
        pytest.approx(expected, rel=1e-9)
    soft = rng.uniform(size=(N, 2))  # soft (multilabel) labels take the two-logarithm path
    z2 = np.column_stack([Z, -Z])
    assert value("binary_crossentropy", "multilabel", "logits", soft, z2, pos_weight=pos_weight) == \
        pytest.approx(_torch_bce_with_logits(soft, z2, pos_weight), rel=REL)


def test_pos_weight_by_hand_with_weights_and_clipping():
    # p = 3: y=1, p=0.8 -> 3·(−ln 0.8) = 0.6694307; y=0, p=0.4 -> −ln 0.6 = 0.5108256; weights 1, 3
    expected = (1 * 3 * -math.log(0.8) + 3 * -math.log(0.6)) / 4
    got = value("binary_crossentropy", "binary", "probability", [1, 0], [0.8, 0.4], [1, 3], pos_weight=3.0)
    assert got == pytest.approx(expected, rel=1e-14)
    # clipped as without it: p = 0 for a positive -> 2·(−ln eps)
    eps = np.finfo(float).eps
    assert value("binary_crossentropy", "binary", "probability", [1], [0.0], pos_weight=2.0) == \
        pytest.approx(-2 * math.log(eps), rel=1e-14)
    # unset (the default) is exactly today's value, and pos_weight = 1 the same number
    plain = value("binary_crossentropy", "binary", "logits", YB, Z)
    assert value("binary_crossentropy", "binary", "logits", YB, Z, pos_weight=None) == plain
    assert value("binary_crossentropy", "binary", "logits", YB, Z, pos_weight=1.0) == pytest.approx(plain, rel=1e-15)
    # multilabel: one pos_weight for every cell
    y = (rng.uniform(size=(N, 3)) < 0.4).astype(float)
    z = rng.normal(0, 2, (N, 3))
    assert value("binary_crossentropy", "multilabel", "logits", y, z, pos_weight=2.0) == \
        pytest.approx(_torch_bce_with_logits(y, z, 2.0), rel=REL)


@pytest.mark.parametrize("weighted", [False, True])
def test_multiclass_hinge_against_sklearn(weighted):
    w = W if weighted else None
    expected = metrics.hinge_loss(YS, ZK, labels=range(K), sample_weight=w)
    for task in ("sparse", "multiclass"):
        assert value("hinge", task, "logits", ONEHOT, ZK, w) == pytest.approx(expected, rel=REL)
    sparse = Inputs("sparse", "logits", ONEHOT, np.asfortranarray(ZK), w, index=YS)
    assert value_of("hinge", sparse) == pytest.approx(expected, rel=REL)


def test_multiclass_hinge_by_hand_and_it_needs_scores():
    # true 1, z = (0.3, 0.6, 0.1): margin 0.6 − 0.3 = 0.3 -> 0.7
    # true 0, z = (2, 5, −1):      margin 2 − 5 = −3      -> 4
    # true 2, z = (−3, −2, 1):     margin 1 − (−2) = 3    -> 0 (Keras's categorical hinge: max(0, 0 − 1 + 1) = 0 too)
    # true 0, z = (−1, −2, −3):    margin −1 − (−2) = 1   -> 0 (categorical_hinge: 1 + max(0, −2, −3) − (−1) = 2)
    y = [[0, 1, 0], [1, 0, 0], [0, 0, 1], [1, 0, 0]]
    z = [[0.3, 0.6, 0.1], [2, 5, -1], [-3, -2, 1], [-1, -2, -3]]
    assert value("hinge", "sparse", "logits", y, z) == pytest.approx((0.7 + 4 + 0 + 0) / 4, rel=1e-14)
    assert value("hinge", "sparse", "logits", y, z) == pytest.approx(
        metrics.hinge_loss([1, 0, 2, 0], np.array(z), labels=[0, 1, 2]), rel=1e-14)
    assert value("categorical_hinge", "sparse", "logits", y, z) == pytest.approx((0.7 + 4 + 0 + 2) / 4, rel=1e-14)
    spec = lookup("hinge", "sparse")
    assert "needs decision scores" in str(accumulate(spec, Inputs("sparse", "probability", ONEHOT, PK)).skipped)
    assert spec.default is False


@pytest.mark.parametrize(("name", "task", "pred"), [("zero_one", "binary", [0.9, 0.2]),
                                                    ("zero_one", "multilabel", [[0.9, 0.1], [0.2, 0.7]]),
                                                    ("hamming", "multilabel", [[0.9, 0.1], [0.2, 0.7]])])
@pytest.mark.parametrize("threshold", [1.5, 1.0, 0.0, -0.2])
def test_a_threshold_outside_0_1_for_probabilities_is_refused(name, task, pred, threshold):
    """p > 1.5 (or > 1) is never true and p > 0 (or > −0.2) always: every row in one class, a number
    that means nothing; a logit threshold is any number."""
    y = [1, 0] if task == "binary" else [[1, 0], [0, 1]]
    with pytest.raises(UsageError, match=rf"--param {name}\.threshold=.*probabilities.*--predictions logits"):
        value(name, task, "probability", y, pred, threshold=threshold)
    reference = metrics.zero_one_loss if name == "zero_one" else metrics.hamming_loss
    assert value(name, task, "probability", y, pred, threshold=0.8) == pytest.approx(
        reference(y, (np.asarray(pred) > 0.8).astype(int)))  # (binary 0; multilabel: 0.7 ≤ 0.8 misses a label)
    logits = np.log(np.asarray(pred) / (1 - np.asarray(pred)))
    assert value(name, task, "logits", y, logits, threshold=threshold) == pytest.approx(
        reference(y, (logits > threshold).astype(int)))
