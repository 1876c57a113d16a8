"""Usage and metrics: what each container consumes (`profile.py`, `usage.py`, accounted by the kubelets), the load
sent to Services and Deployments (`load.py`), metrics-server's scrapes and API (`scrape.py`, `api.py`), and
`kubectl top` (`top.py`). `Cluster.metrics` is the `MetricsApi`."""

from .api import MetricsApi

__all__ = ["MetricsApi"]
