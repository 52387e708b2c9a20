"""The standard problem kinds: pure data plus validation, no algorithm."""

from .base import Problem
from .bilevel import Bilevel
from .constrained import EqualityConstrained
from .structure import StructureLearning
from .submodular import CallableSetFunction, SetFunction, SubmodularMax, SubmodularStream
from .tucker import TuckerRank, tucker_size

KINDS = (
    "EqualityConstrained",
    "Bilevel",
    "TuckerRank",
    "SubmodularMax",
    "SubmodularStream",
    "StructureLearning",
)

__all__ = [
    "Problem",
    "EqualityConstrained",
    "Bilevel",
    "TuckerRank",
    "SubmodularMax",
    "SubmodularStream",
    "StructureLearning",
    "SetFunction",
    "CallableSetFunction",
    "tucker_size",
    "KINDS",
]
