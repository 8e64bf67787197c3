"""Built-in losses; importing this package registers them all."""

from . import regression, binary, classes  # noqa: F401  (registration side effects)
