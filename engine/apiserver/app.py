"""The API server: an aiohttp application in the cluster's own asyncio loop (no threads touch the store),
HTTPS on the loopback interface only, a bearer token, and a kubeconfig for kubectl.

    server = ApiServer(cluster, port=0)
    await server.start()
    print(f"export KUBECONFIG={server.kubeconfig}")
"""

from __future__ import annotations

import ipaddress
import logging
import platform
import socket
import ssl
import traceback
from pathlib import Path

from aiohttp import web

from ..cluster import Cluster
from ..errors import ApiError
from ..kinds import REGISTRY, Registry
from ..rbac.access import access_for
from ..satoken import signer_for
from . import connect, discovery, media, openapi
from .auth import bearer_auth
from .authz import RbacReviews
from .credentials import Credentials, load_or_create
from .events_view import EventsView
from .hpa_v1_view import HpaV1View
from .metrics_api import MetricsRoutes
from .rbac_filter import rbac_filter
from .resources import Resources
from .reviews import Reviews
from .status import error_response, failure, json_response, not_acceptable, not_found_path, page_not_found
from .tokenrequest import TokenRequests
from .watch import BOOKMARK_SECONDS

# Not 6443, which a real control plane on the same machine (kind, kubeadm, a test kit) usually holds.
DEFAULT_PORT = 16443
HOST = "127.0.0.1"
# The Kubernetes version the engine behaves as; `+k9py` is semver build metadata, which version comparisons
# ignore (Helm's kubeVersion constraints, client feature gates), unlike a `-k9py` pre-release suffix would.
KUBERNETES_VERSION = "v1.36.2"
GIT_VERSION = f"{KUBERNETES_VERSION}+k9py"
MAX_BODY = 3 * 1024 * 1024  # kube-apiserver's request body limit (3 MiB)

log = logging.getLogger("engine.apiserver")


def bind_socket(port: int = DEFAULT_PORT, host: str = HOST) -> socket.socket:
    """A listening socket on the loopback interface (port 0: any free port). Bound before the server starts, so
    the caller can print the address and fail early if the port is taken."""
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"the API server listens on the loopback interface only, not {host}")
    sock = socket.create_server((host, port), family=socket.AF_INET, backlog=128, reuse_port=False)
    sock.setblocking(False)
    return sock


def version_info() -> dict[str, str]:
    major, minor, _ = KUBERNETES_VERSION.lstrip("v").split(".")
    return {"major": major, "minor": minor, "emulationMajor": major, "emulationMinor": minor,
            "minCompatibilityMajor": major, "minCompatibilityMinor": str(int(minor) - 1),
            "gitVersion": GIT_VERSION, "gitCommit": "", "gitTreeState": "clean", "buildDate": "",
            "goVersion": f"python{platform.python_version()}", "compiler": "k9py",
            "platform": f"{platform.system().lower()}/{platform.machine().lower()}"}


class ApiServer:
    def __init__(self, cluster: Cluster, *, port: int = DEFAULT_PORT, sock: socket.socket | None = None,
                 state_dir: Path | None = None, registry: Registry = REGISTRY,
                 bookmark_seconds: float = BOOKMARK_SECONDS) -> None:
        self.cluster = cluster
        self.registry = registry
        self.credentials: Credentials = load_or_create(state_dir)
        # ServiceAccount tokens are signed with the state folder's key, so they outlive a restart of the server
        signer_for(cluster.store).use_key(self.credentials.service_account_key.read_bytes())
        self._sock = sock
        self._port = port
        self.resources = Resources(cluster, registry, bookmark_seconds=bookmark_seconds)
        self.openapi = openapi.OpenApi(registry, GIT_VERSION)
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1] if self._sock is not None else self._port

    @property
    def url(self) -> str:
        return f"https://{HOST}:{self.port}"

    @property
    def kubeconfig(self) -> Path:
        return self.credentials.kubeconfig

    @property
    def token(self) -> str:
        return self.credentials.token

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.credentials.server_cert, self.credentials.server_key)
        context.set_alpn_protocols(["http/1.1"])  # aiohttp speaks HTTP/1.1; Go clients then do too
        return context

    def make_app(self) -> web.Application:
        access = access_for(self.cluster.store)
        app = web.Application(middlewares=[bearer_auth(self.token, self.cluster.store, self.cluster.api.clock),
                                           rbac_filter(access), self._errors],
                              client_max_size=MAX_BODY)
        get = app.router.add_get
        for path in ("/healthz", "/livez", "/readyz"):
            get(path, self._ok, allow_head=True)
        get("/version", self._version)
        get("/api", self._api)
        get("/api/v1", self._core_resources)
        get("/apis", self._apis)
        get("/apis/{group}", self._group)
        get("/apis/{group}/{version}", self._group_resources)
        get("/openapi/v2", self._openapi_v2)
        get("/openapi/v3", self._openapi_root)
        get("/openapi/v3/api/{version}", self._openapi_group_version)
        get("/openapi/v3/apis/{group}/{version}", self._openapi_group_version)
        Reviews(RbacReviews(access), self.cluster.api.clock).register(app)
        EventsView(self.resources, self.registry).register(app)
        HpaV1View(self.resources, self.registry).register(app)  # autoscaling/v1 over the stored v2
        MetricsRoutes(self.cluster).register(app)  # metrics-server's metrics.k8s.io, for kubectl top
        connect.register(app, self.cluster)  # exec, attach, portforward, proxy: before the generic routes
        TokenRequests(self.cluster.store, self.cluster.api.clock).register(app)  # serviceaccounts/NAME/token
        app.router.add_route("*", "/api/v1/{path:.+}", self._core)
        app.router.add_route("*", "/apis/{group}/{version}/{path:.+}", self._grouped)
        return app

    async def start(self) -> None:
        if self._sock is None:
            self._sock = bind_socket(self._port)
        # handler_cancellation: a client that goes away cancels its handler, so an idle watch or a followed log
        # stops (and lets go of its store watcher) at once rather than at its next write. Writes to the store
        # happen with no await in between, so a cancelled request never leaves one half done.
        self._runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False, shutdown_timeout=1.0,
                                     handler_cancellation=True)
        await self._runner.setup()
        site = web.SockSite(self._runner, self._sock, ssl_context=self.ssl_context())
        await site.start()
        self.credentials.write_kubeconfig(self.url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- middleware ----------------------------------------------------------------------------------------

    @web.middleware
    async def _errors(self, request: web.Request, handler: object) -> web.StreamResponse:
        try:
            return await handler(request)  # type: ignore[operator]
        except ApiError as exc:
            return error_response(exc)
        except web.HTTPNotFound:
            return page_not_found()
        except web.HTTPMethodNotAllowed:
            return error_response(failure(405, "MethodNotAllowed",
                                          "the server does not allow this method on the requested resource"))
        except web.HTTPRequestEntityTooLarge:
            return error_response(failure(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728"))
        except web.HTTPException:
            raise
        except Exception as exc:  # a bug: answer as the API server does (500 InternalError), keep serving
            log.error("%s %s failed:\n%s", request.method, request.path, traceback.format_exc())
            return error_response(failure(500, "InternalError", f"Internal error occurred: {exc}"))

    # --- endpoints -----------------------------------------------------------------------------------------

    async def _ok(self, request: web.Request) -> web.Response:
        return web.Response(text="ok", content_type="text/plain")

    async def _version(self, request: web.Request) -> web.Response:
        return json_response(version_info())

    def _discovery(self, request: web.Request) -> media.Representation:
        chosen = media.choose(request.headers.get("Accept"), aggregated=True)
        if chosen is media.Representation.NONE:
            raise not_acceptable()
        return chosen

    async def _api(self, request: web.Request) -> web.Response:
        if self._discovery(request) is media.Representation.AGGREGATED:
            return self._aggregated(legacy=True)
        return json_response(discovery.api_versions(f"{HOST}:{self.port}"))

    async def _apis(self, request: web.Request) -> web.Response:
        if self._discovery(request) is media.Representation.AGGREGATED:
            return self._aggregated(legacy=False)
        return json_response(discovery.api_group_list(self.registry))

    def _aggregated(self, legacy: bool) -> web.Response:
        response = json_response(discovery.aggregated(self.registry, legacy), content_type=media.AGGREGATED_TYPE)
        response.headers["Vary"] = "Accept"
        return response

    async def _core_resources(self, request: web.Request) -> web.Response:
        found = discovery.resource_list(self.registry, "", "v1")
        if found is None:
            raise not_found_path()
        return json_response(found)

    def _served_group(self, request: web.Request) -> str:
        """The path's API group; a group not served is not routed at all in kube-apiserver, so its paths get the
        Go mux's plain-text 404, where an unknown version or resource of a served group gets a Status."""
        group = request.match_info["group"]
        if group not in discovery.group_versions(self.registry):
            raise web.HTTPNotFound()
        return group

    async def _group(self, request: web.Request) -> web.Response:
        found = discovery.api_group(self.registry, self._served_group(request))
        if found is None:
            raise not_found_path()
        return json_response(found)

    async def _group_resources(self, request: web.Request) -> web.Response:
        found = discovery.resource_list(self.registry, self._served_group(request), request.match_info["version"])
        if found is None:
            raise not_found_path()
        return json_response(found)

    async def _openapi_v2(self, request: web.Request) -> web.Response:
        if "protobuf" in request.headers.get("Accept", ""):
            return web.Response(body=openapi.v2_protobuf(GIT_VERSION), content_type=openapi.V2_PROTOBUF)
        return json_response(openapi.v2_document(GIT_VERSION))

    async def _openapi_root(self, request: web.Request) -> web.Response:
        return json_response(self.openapi.root())

    async def _openapi_group_version(self, request: web.Request) -> web.Response:
        info = request.match_info
        found = self.openapi.group_version(info.get("group", ""), info["version"])
        if found is None:
            raise not_found_path()
        return web.Response(body=found, content_type="application/json")

    async def _core(self, request: web.Request) -> web.StreamResponse:
        return await self.resources.handle(request, "", "v1", request.match_info["path"])

    async def _grouped(self, request: web.Request) -> web.StreamResponse:
        info = request.match_info
        return await self.resources.handle(request, self._served_group(request), info["version"], info["path"])
