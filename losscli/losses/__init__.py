"""Built-in losses; importing this package registers them all (``losscli list`` lists them in this order)."""

from . import binary, classes, regression  # noqa: F401, I001  (registration side effects)
from . import calibration  # noqa: F401  (after the others: listed after them)
from . import distributional  # noqa: F401  (quantile sets and Gaussian predictions: listed last)
