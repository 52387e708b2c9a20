"""solverkit plugin wrapping scipy.optimize for EqualityConstrained problems."""

__version__ = "0.1.0"
