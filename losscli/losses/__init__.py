"""Built-in losses; importing this package registers them all."""

from . import binary, classes, regression  # noqa: F401  (registration side effects)
