"""Kinds k9py does not simulate, on a real cluster: custom resources and the built-ins the engine lacks, found by
discovery and printed by the API server (k9py/kube_discovery.py), as `kubectl get` and k9s show them.

Upstream: aggregated discovery (staging/src/k8s.io/api/apidiscovery/v2), server-side printing
(staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/types.go Table; a CRD's additionalPrinterColumns,
staging/src/k8s.io/apiextensions-apiserver/pkg/registry/customresource/tableconvertor), kubectl's cell printing
(staging/src/k8s.io/cli-runtime/pkg/printers/tableprinter.go: a null cell prints empty).
"""

from __future__ import annotations

import contextlib
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from tui_support import CONFIRM, burst, command, screen_lines, table, until

from engine.kinds import KindInfo
from k9py.app import K9App, MainScreen
from k9py.kube_backend import KubeBackend
from k9py.kube_client import KubeClient
from k9py.kube_discovery import ServerPrinting, lookup
from k9py.views.table import TableView

NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def widget_table(with_columns: bool = True) -> dict[str, Any]:
    columns = [
        {"name": "Name", "type": "string", "priority": 0},
        {"name": "Colour", "type": "string", "priority": 0},
        {"name": "Ready", "type": "boolean", "priority": 1},
        {"name": "Age", "type": "date", "priority": 0},
    ]
    meta = {"name": "blue", "namespace": "shop", "uid": "u1", "creationTimestamp": "2023-11-14T22:08:20Z"}
    return {
        "kind": "Table",
        "columnDefinitions": columns if with_columns else [],
        "rows": [{"cells": ["blue", None, True, "1s"], "object": {"metadata": meta}}],
    }


def test_the_servers_cells_print_as_kubectl_prints_them_with_the_age_kept_current() -> None:
    printing = ServerPrinting()
    [obj] = printing.learn(widget_table())
    assert printing.header(wide=False) == ["NAME", "COLOUR", "AGE"]
    assert printing.header(wide=True) == ["NAME", "COLOUR", "READY", "AGE"]
    # The Table said 1s when it was served; five minutes have passed since the object was made.
    assert printing.row(obj, NOW, wide=False) == ["blue", "", "5m"]
    assert printing.row(obj, NOW, wide=True) == ["blue", "", "true", "5m"]
    printing.learn(widget_table(with_columns=False))  # a watch event's Table: the columns stay
    assert printing.header(wide=False) == ["NAME", "COLOUR", "AGE"]
    unknown = {"metadata": {"name": "new", "uid": "u2", "creationTimestamp": "2023-11-14T22:13:10Z"}}
    assert printing.row(unknown, NOW, wide=False) == ["new", "10s"]  # no cells yet: name and age


def test_a_discovered_kind_is_found_by_the_names_kubectl_accepts() -> None:
    widget = KindInfo(kind="Widget", group="k9py.example", version="v1", plural="widgets", namespaced=True,
                      short_names=("wdg",), singular="widget")
    service = KindInfo(kind="APIService", group="apiregistration.k8s.io", version="v1", plural="apiservices",
                       namespaced=False, singular="apiservice")
    kinds = [widget, service]
    for name in ("widgets", "widget", "wdg", "Widget", "WIDGETS", "widgets.k9py.example", "widget.k9py.example"):
        assert lookup(kinds, name) is widget, name
    assert lookup(kinds, "apiservice") is service
    assert lookup(kinds, "gadgets") is None and lookup(kinds, "widgets.other.example") is None


# --- on the kit ----------------------------------------------------------------------------------------------------


def kubectl(kubeconfig: Path, *args: str, stdin: str = "") -> str:
    run = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), *args], input=stdin, capture_output=True,
                         text=True, timeout=60)
    return run.stdout + run.stderr


CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {plural}.{group}
spec:
  group: {group}
  names: {{plural: {plural}, singular: {singular}, kind: {kind}, shortNames: [{short}]}}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {{type: object, x-kubernetes-preserve-unknown-fields: true}}
      additionalPrinterColumns:
        - {{name: Colour, type: string, jsonPath: .spec.colour}}
        - {{name: Size, type: integer, jsonPath: .spec.size}}
        - {{name: Ready, type: boolean, jsonPath: .status.ready, priority: 1}}
        - {{name: Age, type: date, jsonPath: .metadata.creationTimestamp}}
"""


def widget(kind: str, group: str, namespace: str, name: str, spec: str) -> str:
    return f"apiVersion: {group}/v1\nkind: {kind}\nmetadata: {{name: {name}, namespace: {namespace}}}\nspec: {spec}\n"


@pytest.fixture
def widgets(real_kubeconfig: Path) -> Iterator[dict[str, str]]:
    """A CRD of its own (a kind and group no other run shares), and a namespace with two of its objects."""
    tag = uuid.uuid4().hex[:6]
    names = {"kind": f"Widget{tag.upper()}", "plural": f"widget{tag}s", "singular": f"widget{tag}",
             "short": f"w{tag}", "group": f"k9py-{tag}.example", "namespace": f"k9py-kd-{tag}"}
    kubectl(real_kubeconfig, "apply", "-f", "-", stdin=CRD.format(**names))
    crd = f"crd/{names['plural']}.{names['group']}"
    kubectl(real_kubeconfig, "wait", "--for", "condition=established", crd, "--timeout=30s")
    kubectl(real_kubeconfig, "create", "namespace", names["namespace"])
    documents = [widget(names["kind"], names["group"], names["namespace"], "blue", "{colour: blue, size: 3}"),
                 widget(names["kind"], names["group"], names["namespace"], "plain", "{}")]
    kubectl(real_kubeconfig, "apply", "-f", "-", stdin="---\n".join(documents))
    try:
        yield names
    finally:
        kubectl(real_kubeconfig, "delete", "namespace", names["namespace"], "--wait=false")
        kubectl(real_kubeconfig, "delete", crd, "--wait=false")


@contextlib.asynccontextmanager
async def dashboard_on(kubeconfig: Path, command_text: str) -> AsyncIterator[tuple[K9App, Pilot[None], MainScreen]]:
    app = K9App(KubeBackend(KubeClient(str(kubeconfig))), [], command=command_text)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.main is not None and isinstance(app.main.view, TableView), timeout=10)
        assert app.main is not None
        yield app, pilot, app.main


def header_cells(app: K9App) -> list[str]:
    return next(line for line in screen_lines(app) if "NAME" in line).strip("│ ").split()


def row_of(app: K9App, name: str) -> list[str]:
    return next(line.strip("│ ").split() for line in screen_lines(app) if f" {name} " in f" {line.strip('│ ')} ")


async def test_a_custom_resource_shows_the_servers_columns_live_and_deletes(
    real_kubeconfig: Path, widgets: dict[str, str]
) -> None:
    ns = widgets["namespace"]
    async with dashboard_on(real_kubeconfig, f"{widgets['short']} {ns}") as (app, pilot, screen):
        await until(pilot, lambda: table(screen).row_count == 2, timeout=15)
        assert f"{widgets['plural']}({ns})[2]" in screen.view_title
        assert header_cells(app) == ["NAME", "COLOUR", "SIZE", "AGE"]  # the CRD's printer columns
        assert row_of(app, "blue")[:3] == ["blue", "blue", "3"]
        assert len(row_of(app, "plain")) == 2  # no colour, no size: empty cells, then the age

        # The watch (Tables too): an object made by kubectl shows up.
        kubectl(real_kubeconfig, "apply", "-f", "-",
                stdin=widget(widgets["kind"], widgets["group"], ns, "green", "{colour: green, size: 7}"))
        await until(pilot, lambda: table(screen).row_count == 3, timeout=15)
        assert row_of(app, "green")[:3] == ["green", "green", "7"]

        # describe: kubectl's generic layout of the fetched object
        assert table(screen).visible_names()[0] == "blue"  # sorted by name: the cursor is on it
        burst(app, "d")
        await until(pilot, lambda: any("Colour:" in line for line in screen_lines(app)), timeout=15)
        text = "\n".join(screen_lines(app))
        assert "Name:" in text and "blue" in text and f"{widgets['group']}/v1" in text
        burst(app, "escape")
        await until(pilot, lambda: isinstance(screen.view, TableView) and table(screen).row_count == 3)

        burst(app, "ctrl+d", *CONFIRM)  # on blue
        await until(pilot, lambda: table(screen).row_count == 2, timeout=15)
        assert "NotFound" in kubectl(real_kubeconfig, "-n", ns, "get", widgets["plural"], "blue")


async def test_crds_and_built_ins_k9py_does_not_simulate_are_listed(
    real_kubeconfig: Path, widgets: dict[str, str]
) -> None:
    async with dashboard_on(real_kubeconfig, "crd") as (app, pilot, screen):
        crd = f"{widgets['plural']}.{widgets['group']}"
        await until(pilot, lambda: any(crd in line for line in screen_lines(app)), timeout=15)
        assert header_cells(app) == ["NAME", "CREATED", "AT"]  # kubectl get crd: NAME, CREATED AT
        await command(pilot, "apiservices")
        await until(pilot, lambda: any("v1.apps" in line for line in screen_lines(app)), timeout=15)
        assert header_cells(app) == ["NAME", "SERVICE", "AVAILABLE", "AGE"]
        assert row_of(app, "v1.apps")[:3] == ["v1.apps", "Local", "True"]
        await command(pilot, "no-such-things")
        await until(pilot, lambda: 'unknown resource "no-such-things"' in screen.flash_line.message)

        # A CRD installed while k9py runs: unknown the first time its name is typed, which discovers again, as
        # kubectl does when its cached discovery lacks a name; there the next time.
        tag = uuid.uuid4().hex[:6]
        names = {"kind": f"Gadget{tag.upper()}", "plural": f"gadget{tag}s", "singular": f"gadget{tag}",
                 "short": f"g{tag}", "group": f"k9py-{tag}.example"}
        kubectl(real_kubeconfig, "apply", "-f", "-", stdin=CRD.format(**names))
        crd = f"crd/{names['plural']}.{names['group']}"
        try:
            kubectl(real_kubeconfig, "wait", "--for", "condition=established", crd, "--timeout=30s")
            await command(pilot, names["plural"])
            await until(pilot, lambda: f'unknown resource "{names["plural"]}"' in screen.flash_line.message)
            await until(pilot, lambda: names["kind"] in app.backend.discovered, timeout=10)  # type: ignore[attr-defined]
            await command(pilot, names["plural"])
            await until(pilot, lambda: f"{names['plural']}(all)[0]" in screen.view_title, timeout=15)
        finally:
            kubectl(real_kubeconfig, "delete", crd, "--wait=false")
