"""The Kubernetes API over HTTPS, for kubectl and client libraries: see app.py (`ApiServer`)."""

from .app import DEFAULT_PORT, GIT_VERSION, ApiServer, bind_socket

__all__ = ["DEFAULT_PORT", "GIT_VERSION", "ApiServer", "bind_socket"]
