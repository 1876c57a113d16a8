"""The real side: the control plane kit in ../shared/kube (or $KUBE_KIT_DIR).

A cluster already running from the kit's state dir is used as it is (and left running); otherwise the kit is
started for this pytest session and stopped at its end. No kit (or no kubectl) skips the comparison, unless
K9PY_REQUIRE_KUBE=1 (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .sides import KUBECTL, kubeconfig_client_parts

KIT = Path(os.environ.get("KUBE_KIT_DIR") or Path(__file__).resolve().parents[3] / "shared" / "kube")
STATE = Path(os.environ.get("KUBE_KIT_HOME")
             or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kube-kit")
REQUIRED = os.environ.get("K9PY_REQUIRE_KUBE") == "1"


def _missing(why: str) -> None:
    if REQUIRED:
        pytest.fail(f"K9PY_REQUIRE_KUBE=1 but {why}", pytrace=False)
    pytest.skip(why)


def _ready(kubeconfig: Path) -> bool:
    """The kit's cluster answers /readyz (the kubeconfig outlives a stopped cluster, so its file proves nothing)."""
    if not kubeconfig.is_file():
        return False
    try:
        server, tls, token = kubeconfig_client_parts(kubeconfig)
        request = urllib.request.Request(server + "/readyz", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=3, context=tls) as response:
            return bool(response.status == 200)
    except (OSError, ssl.SSLError, KeyError, ValueError):
        return False


@contextmanager
def real_cluster() -> Iterator[Path]:
    """The kubeconfig of a running real control plane, for the whole pytest session."""
    if not (KIT / "start").is_file():
        _missing(f"no real control plane kit at {KIT}")
    if KUBECTL is None:
        _missing("kubectl is not installed")
    kubeconfig = STATE / "kubeconfig"
    if _ready(kubeconfig):
        yield kubeconfig
        return
    run = subprocess.run(["bash", str(KIT / "start")], capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        pytest.fail("the kube kit failed to start:\n" + run.stderr[-5000:], pytrace=False)
    kubeconfig = Path(run.stdout.strip().splitlines()[-1].split("=", 1)[1])
    try:
        yield kubeconfig
    finally:
        subprocess.run(["bash", str(KIT / "stop")], capture_output=True, timeout=300)
