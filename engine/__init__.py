"""k9py's embedded Kubernetes control plane."""

from .cluster import Cluster
from .errors import ApiError

__all__ = ["ApiError", "Cluster"]
