"""k9py's embedded Kubernetes control plane."""

from .cluster import Cluster
from .errors import ApiError
from .tuning import tune_gc

__all__ = ["ApiError", "Cluster", "tune_gc"]
