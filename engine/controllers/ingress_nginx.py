"""The built-in ingress controller: what ingress-nginx (`k8s.io/ingress-nginx`, class `nginx`) does that a learner
can see through the API. Its pod, Service and IngressClass are add-ons (`engine/addons_ingress.py`); requests
reach that pod and are routed by `engine/ingress_routing.py` (`engine/network/ingress.py`).

- Each Ingress of its class gets the event `Normal Sync: Scheduled for sync` from `nginx-ingress-controller` when it
  is added and again at each change, the controller's own status write included (so a new Ingress shows it
  `x2`), as ingress-nginx's store does (`internal/ingress/controller/store/store.go`, ingEventHandler).
- Its status sync (`internal/ingress/status/status.go`) runs at start and then every 60 s
  (`--status-update-interval`): every Ingress of the class gets the addresses of the Service named by
  `--publish-service` (`ingress-nginx/ingress-nginx-controller`, a LoadBalancer whose EXTERNAL-IP comes from the
  pool, `lb_pool.py`) as `status.loadBalancer.ingress` (runningAddresses: its load-balancer IPs, then its
  externalIPs); while the Service has none, the Ingresses' status is emptied, as ingress-nginx does.
- A `tls` entry whose Secret is missing, or holds no usable PEM certificate and key, is served with ingress-nginx's
  self-signed "Fake Certificate". ingress-nginx only logs why; k9py also records it as a Warning event
  `TLSSecret` on the Ingress, with ingress-nginx's log line as the message, so `kubectl describe ingress` shows it.
"""

from __future__ import annotations

from typing import Any

from .. import podutil
from ..addons_ingress import NAME as SERVICE_NAME
from ..addons_ingress import NAMESPACE as SERVICE_NAMESPACE
from ..ingress_routing import INGRESSES, NGINX_CLASS, ingress_class_of, served_ingresses, tls_problem
from ..runtime import Controller, register_controller
from ..store import WatchEvent
from .lb_pool import AddressPool, ingress_ips

Obj = dict[str, Any]
STATUS_KEY = "<status>"  # the status sync's own work item
STATUS_INTERVAL = 60.0  # --status-update-interval


@register_controller
class IngressNginxController(Controller):
    name = "nginx-ingress-controller"  # the event source ingress-nginx's recorder uses
    resources = (INGRESSES, "secrets")

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.pool = AddressPool.parse()  # the cluster's load-balancer pool (its Service's address comes from it)
        self.ingress_class = NGINX_CLASS
        self._announce: set[str] = set()  # Ingresses added or changed since their last `Sync` event
        self._secret_users: dict[str, set[str]] = {}  # namespace/secret -> keys of the Ingresses naming it
        self._reported: dict[str, str] = {}  # `ingress key|secret` -> the TLS problem last recorded

    def start(self) -> None:
        for ing in served_ingresses(self.store, self.ingress_class):
            self._watch_secrets(ing)
            self.queue.add(podutil.key_of(ing))
        self.queue.add(STATUS_KEY)

    def _watch_secrets(self, ing: Obj) -> None:
        key, namespace = podutil.key_of(ing), ing["metadata"].get("namespace", "")
        for entry in (ing.get("spec") or {}).get("tls") or ():
            if isinstance(entry, dict) and entry.get("secretName"):
                self._secret_users.setdefault(f"{namespace}/{entry['secretName']}", set()).add(key)

    def on_event(self, event: WatchEvent) -> None:
        obj = event.object
        if event.resource == "secrets":
            for key in self._secret_users.get(podutil.key_of(obj), ()):
                self.queue.add(key)
            return
        ours = ingress_class_of(obj) == self.ingress_class
        if not ours or event.type == "DELETED":
            return
        key = podutil.key_of(obj)
        self._watch_secrets(obj)
        # AddFunc always; UpdateFunc when anything at all changed (reflect.DeepEqual of the two objects).
        if event.type == "ADDED" or event.old != obj:
            self._announce.add(key)
            self.queue.add(key)

    def object_for_key(self, key: str) -> Obj | None:
        if key == STATUS_KEY:
            return None
        namespace, name = podutil.split_key(key)
        return self.store.get(INGRESSES, namespace, name)

    def reconcile(self, key: str) -> float | None:
        if key == STATUS_KEY:
            self._sync_status()
            return STATUS_INTERVAL
        ing = self.object_for_key(key)
        if ing is None or ingress_class_of(ing) != self.ingress_class:
            self._announce.discard(key)
            return None
        if key in self._announce:
            self._announce.discard(key)
            self.recorder.record(ing, "Normal", "Sync", "Scheduled for sync", self.name)
        namespace = ing["metadata"].get("namespace", "")
        for entry in (ing.get("spec") or {}).get("tls") or ():
            secret = entry.get("secretName") if isinstance(entry, dict) else None
            if not secret:
                continue
            problem = tls_problem(self.store, namespace, secret)
            seen = f"{key}|{secret}"
            if problem and self._reported.get(seen) != problem:
                self.recorder.record(ing, "Warning", "TLSSecret", problem, self.name)
            if problem:
                self._reported[seen] = problem
            else:
                self._reported.pop(seen, None)
        return None

    def addresses(self) -> list[str]:
        """runningAddresses with --publish-service: the Service's load-balancer IPs, then its external IPs."""
        svc = self.store.get("services", SERVICE_NAMESPACE, SERVICE_NAME)
        if svc is None:
            return []
        found = ingress_ips(svc)
        found += [ip for ip in (svc.get("spec") or {}).get("externalIPs") or () if ip not in found]
        return found

    def _sync_status(self) -> None:
        found = self.addresses()
        wanted = {"ingress": [{"ip": ip} for ip in found]} if found else {}
        for ing in served_ingresses(self.store, self.ingress_class):
            if ((ing.get("status") or {}).get("loadBalancer") or {}) != wanted:
                self.api.update_status({**ing, "status": {**(ing.get("status") or {}), "loadBalancer": wanted}})
