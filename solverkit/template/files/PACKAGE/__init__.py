"""solverkit plugin '$name'."""

__version__ = "0.1.0"
