"""The built-in ingress controller: what ingress-nginx (`k8s.io/ingress-nginx`, class `nginx`) does that a learner
can see through the API. Requests are routed by `engine/ingress_routing.py`.

- Each Ingress of its class gets the event `Normal Sync: Scheduled for sync` from `nginx-ingress-controller` when it
  is added and again at each change, the controller's own status write included (so a new Ingress shows it
  `x2`), as ingress-nginx's store does (`internal/ingress/controller/store/store.go`, ingEventHandler).
- Its status sync (`internal/ingress/status/status.go`) runs at start and then every 60 s
  (`--status-update-interval`): every Ingress of the class gets `status.loadBalancer.ingress: [{ip: <address>}]`.
  ingress-nginx publishes its LoadBalancer Service's address; k9py's controller has no Service, so it takes one
  address from the same pool as LoadBalancer Services (`lb_pool.py`) and keeps it while it has Ingresses.
- A `tls` entry whose Secret is missing, or holds no usable PEM certificate and key, is served with ingress-nginx's
  self-signed "Fake Certificate". ingress-nginx only logs why; k9py also records it as a Warning event
  `TLSSecret` on the Ingress, with ingress-nginx's log line as the message, so `kubectl describe ingress` shows it.
"""

from __future__ import annotations

from typing import Any

from .. import podutil
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
        self.pool = AddressPool.parse()
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

    def address(self) -> str | None:
        """The address the controller publishes: the one its Ingresses already carry, else the pool's first free."""
        ingresses = served_ingresses(self.store, self.ingress_class)
        for ing in ingresses:
            held = [ip for ip in ingress_ips(ing) if ip in self.pool]
            if held:
                return held[0]
        if not ingresses:
            return None
        return self.pool.first_free(self.pool.taken(self.store))

    def _sync_status(self) -> None:
        address = self.address()
        if address is None:
            return
        wanted = {"ingress": [{"ip": address}]}
        for ing in served_ingresses(self.store, self.ingress_class):
            if (ing.get("status") or {}).get("loadBalancer") != wanted:
                self.api.update_status({**ing, "status": {**(ing.get("status") or {}), "loadBalancer": wanted}})
