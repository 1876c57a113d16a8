"""The seeds' networking examples (/work/shared/seeds/003_*: the web-server Pod, the web-service Service, the web
Deployment, `kubectl expose deployment web --type=NodePort --port=80`, the postgres StatefulSet's DNS name, and the
api-policy NetworkPolicy), applied as the seed writes them (indentation restored), and the requests the seed
shows: `nslookup web-service`, `curl http://web-service:80`, `curl http://<node-ip>:<nodePort>`, `curl
http://postgres-0.postgres.default.svc.cluster.local:5432`, and the traffic api-policy allows and denies."""

from __future__ import annotations

from collections import Counter

from network_support import SEED_API_POLICY, client, ensure_cluster_dns
from test_statefulset_seed import SEED as POSTGRES_SEED
from test_statefulset_seed import SERVICE as POSTGRES_SERVICE

from engine.cluster import Cluster

WEB_SERVER = """\
apiVersion: v1
kind: Pod
metadata:
  name: web-server
  labels:
    app: web
    tier: frontend
spec:
  containers:
  - name: nginx
    image: nginx:1.25
    ports:
    - containerPort: 80
    resources:
      requests:
        cpu: 250m
        memory: 128Mi
      limits:
        cpu: 500m
        memory: 256Mi
  restartPolicy: Always
"""

WEB_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web-service
spec:
  selector:
    app: web
  ports:
  - protocol: TCP
    port: 80
    targetPort: 8080
  type: ClusterIP
"""

WEB_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 5
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports:
        - containerPort: 80
"""

# What `kubectl expose deployment web --type=NodePort --port=80` creates.
EXPOSED = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  labels:
    app: web
spec:
  type: NodePort
  selector:
    app: web
  ports:
  - port: 80
    protocol: TCP
    targetPort: 80
"""

POSTGRES = POSTGRES_SEED + "---\n" + POSTGRES_SERVICE


def workload(name: str, port: int, image: str = "my-app:latest") -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
      - name: app
        image: {image}
        ports:
        - containerPort: {port}
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  selector:
    app: {name}
  ports:
  - port: {port}
"""


async def test_web_service_dns_and_load_balancing() -> None:
    async with Cluster(nodes=3) as c:
        await ensure_cluster_dns(c)
        for text in (WEB_SERVER, WEB_SERVICE, WEB_DEPLOYMENT):
            await c.apply(text)
        await c.apply(client("debug", labels={"run": "debug"}))
        await c.run_for(60)
        svc = c.get("service", "web-service")
        assert svc is not None
        # `nslookup web-service` from a pod: the Service's name answers with its cluster IP.
        trace = c.request("default/debug", "http://web-service:80")
        assert trace.dns[0].addresses == (svc["spec"]["clusterIP"],)
        assert trace.dns[0].answer is not None and trace.dns[0].answer.name == "web-service.default.svc.cluster.local"
        # The selector takes all six app=web pods, on targetPort 8080 - where nginx does not listen: a real
        # cluster refuses exactly so, and the trace says why.
        assert trace.outcome == "refused"
        assert "nothing listens on port 8080" in trace.render() and "it listens on 80 (nginx)" in trace.render()
        assert len(trace.choices[-1].usable) == 6
        full = c.request("default/debug", "http://web-service.default.svc.cluster.local:80")
        assert full.outcome == "refused" and full.services == ("default/web-service:80",)
        # `kubectl expose deployment web --type=NodePort --port=80`, then `curl http://<node-ip>:<nodePort>`.
        await c.apply(EXPOSED)
        await c.run_for(5)
        node_port = c.get("service", "web")["spec"]["ports"][0]["nodePort"]
        node = c.get("node", "node-2", None)
        node_ip = next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")
        answered = Counter()
        for _ in range(120):
            reply = c.request("outside", f"http://{node_ip}:{node_port}")
            assert reply.ok, reply.render()
            answered[reply.endpoint] += 1
        # Every pod behind the Service takes a share: the five of the Deployment and the web-server Pod.
        assert len(answered) == 6 and min(answered.values()) >= 8, answered


async def test_statefulset_pod_dns_name() -> None:
    async with Cluster(nodes=3) as c:
        await ensure_cluster_dns(c)
        await c.apply(POSTGRES)
        await c.apply(client("debug"))
        assert await c.run_until(lambda c: all(
            (c.get("pod", f"postgres-{i}") or {}).get("status", {}).get("phase") == "Running" for i in range(3)),
            timeout=600)
        trace = c.request("default/debug", "http://postgres-0.postgres.default.svc.cluster.local:5432")
        assert trace.ok and trace.endpoint == "default/postgres-0", trace.render()
        pod_ip = c.get("pod", "postgres-0")["status"]["podIP"]
        assert trace.dns[0].addresses == (pod_ip,)
        # The headless name answers every ready pod.
        assert len(c.request("default/debug", "http://postgres:5432").dns[0].addresses) == 3


async def test_api_policy_allows_what_the_seed_says_and_nothing_else() -> None:
    """"This policy: allows app: frontend to reach app: api on 8080; allows app: api to reach app: database on
    5432; allows app: api to reach CoreDNS on UDP 53." Everything else to or from api is denied."""
    async with Cluster(nodes=3) as c:
        await ensure_cluster_dns(c)
        await c.apply(workload("api", 8080))
        await c.apply(workload("database", 5432, image="postgres:16"))
        await c.apply(workload("cache", 6379, image="redis:7"))
        await c.apply(client("frontend", labels={"app": "frontend"}))
        await c.apply(client("other", labels={"app": "other"}))
        await c.run_for(60)
        api_pod = c.list("pods", "default", selector="app=api")[0]["metadata"]["name"]
        assert c.request("default/other", "http://api:8080").ok  # before the policy: open
        await c.apply(SEED_API_POLICY)
        allowed = c.request("default/frontend", "http://api:8080")
        assert allowed.ok and allowed.verdicts[-1].policy == "api-policy" and allowed.verdicts[-1].rule == 0
        denied = c.request("default/other", "http://api:8080")
        assert denied.outcome == "timeout"
        assert denied.verdicts[-1].reason == (f"default/{api_pod} is isolated for ingress by api-policy, and no "
                                              "ingress rule allows TCP 8080 from default/other")
        # api resolves names (its DNS rule) and reaches the database ...
        to_db = c.request(f"default/{api_pod}", "http://database:5432")
        assert to_db.ok, to_db.render()
        dns_egress = next(v for v in to_db.verdicts if v.direction == "egress")
        assert (dns_egress.policy, dns_egress.rule) == ("api-policy", 1)
        # ... but nothing else, though the name resolves.
        to_cache = c.request(f"default/{api_pod}", "http://cache:6379")
        assert to_cache.outcome == "timeout" and to_cache.dns[0].addresses
        assert "no egress rule allows TCP 6379" in to_cache.verdicts[-1].reason
