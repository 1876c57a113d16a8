"""Containers whose command is a shell loop or a network one-liner (engine/kubelet/shell_behaviour.py), on the
virtual clock: the seed's `until nc -z db-service 5432` init container, the Kubernetes docs' `until nslookup`
init containers (busybox 1.28), busybox 1.36's nslookup that never succeeds on a short name, an egress policy that
forgets DNS, `wget -qO-` one-liners and their log, a loop's log lines, a loop that never sleeps, and what a
script it cannot run keeps doing."""

from __future__ import annotations

import re

from network_support import app, ensure_cluster_dns, policy, service

from engine.cluster import Cluster
from engine.kubelet.shell import LOOP_ITERATIONS_PER_SECOND
from tests.test_kubelet_scenarios import container_status, row

# The seed's init containers (/work/shared/seeds/003_*, "Init containers"), indentation restored.
SEED_INIT = """\
apiVersion: v1
kind: Pod
metadata:
  name: my-app
spec:
  initContainers:
  - name: migrate
    image: my-app-migrate:latest
    command: ['node', 'migrations/run.js']
  - name: wait-for-db
    image: busybox:1.36
    command: ['sh', '-c', 'until nc -z db-service 5432; do sleep 1; done']
  containers:
  - name: app
    image: my-app:latest
"""

# The Kubernetes docs' example (concepts/workloads/pods/init-containers), as published.
DOCS_INIT = """\
apiVersion: v1
kind: Pod
metadata:
  name: myapp-pod
  labels:
    app.kubernetes.io/name: MyApp
spec:
  containers:
  - name: myapp-container
    image: busybox:1.28
    command: ['sh', '-c', 'echo The app is running! && sleep 3600']
  initContainers:
  - name: init-myservice
    image: busybox:1.28
    command: ['sh', '-c', "until nslookup myservice.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace)\
.svc.cluster.local; do echo waiting for myservice; sleep 2; done"]
  - name: init-mydb
    image: busybox:1.28
    command: ['sh', '-c', "until nslookup mydb.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace)\
.svc.cluster.local; do echo waiting for mydb; sleep 2; done"]
"""
DOCS_SERVICES = """\
apiVersion: v1
kind: Service
metadata:
  name: myservice
spec:
  ports:
  - protocol: TCP
    port: 80
    targetPort: 9376
---
apiVersion: v1
kind: Service
metadata:
  name: mydb
spec:
  ports:
  - protocol: TCP
    port: 80
    targetPort: 9377
"""


def waiter(name: str, script: str, image: str = "busybox:1.36", **spec: object) -> dict:
    """A pod whose one init container runs `script`, then an app that sleeps."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"initContainers": [{"name": "wait", "image": image, "command": ["sh", "-c", script]}],
                     "containers": [{"name": "app", "image": "busybox:1.36", "command": ["sleep", "infinity"]}],
                     **spec}}


def one_shot(name: str, command: list[str], image: str = "busybox:1.36", restart: str = "Never") -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"restartPolicy": restart, "containers": [{"name": "c", "image": image, "command": command}]}}


def status(c: Cluster, name: str) -> str:
    return row(c, name)["STATUS"]


async def test_the_seeds_init_container_waits_for_a_ready_database_endpoint() -> None:
    async with Cluster(nodes=2) as c:
        await ensure_cluster_dns(c)
        await c.apply(SEED_INIT)
        await c.run_for(30)
        # `node migrations/run.js` is not a script k9py can run: it completes after a second, as before.
        assert container_status(c, "my-app", "migrate", init=True)["state"]["terminated"]["exitCode"] == 0
        assert status(c, "my-app") == "Init:1/2"
        assert "running" in container_status(c, "my-app", "wait-for-db", init=True)["state"]
        # No Service yet: busybox nc says so on every try, once a second (the script's own pace).
        log = c.logs("my-app", container="wait-for-db", timestamps=True)
        assert {line.split(" ", 1)[1] for line in log} == {"nc: bad address 'db-service'"}
        stamps = [line.split(" ", 1)[0] for line in log[-5:]]
        assert [int(s[17:19]) for s in stamps] == [(int(stamps[0][17:19]) + i) % 60 for i in range(5)]

        # The Service without a ready endpoint: kube-proxy rejects, nc -z fails silently (no -v).
        await c.apply(service("db-service", selector={"app": "db"}, ports=[{"port": 5432}]))
        await c.run_for(10)
        assert status(c, "my-app") == "Init:1/2"
        quiet_from = len(c.logs("my-app", container="wait-for-db"))
        await c.run_for(10)
        assert len(c.logs("my-app", container="wait-for-db")) == quiet_from

        # A database that listens on 5432 (postgres' image EXPOSEs it): the next try connects.
        await c.apply(app("db", image="postgres:16", ports=[]))
        assert await c.run_until(lambda _: status(c, "my-app") == "Running", timeout=30)
        wait = container_status(c, "my-app", "wait-for-db", init=True)["state"]["terminated"]
        db = c.list("pod", "default", selector="app=db")[0]
        db_ready = next(cond["lastTransitionTime"] for cond in db["status"]["conditions"] if cond["type"] == "Ready")
        assert wait["exitCode"] == 0 and wait["reason"] == "Completed"
        assert wait["finishedAt"] >= db_ready  # not before there was a ready endpoint


async def test_the_docs_init_containers_wait_for_their_services_with_busybox_128_nslookup() -> None:
    async with Cluster(nodes=2) as c:
        await ensure_cluster_dns(c)
        await c.apply(DOCS_INIT)
        await c.run_for(20)
        assert row(c, "myapp-pod")["STATUS"] == "Init:0/2"
        log = c.logs("myapp-pod", container="init-myservice")
        # busybox 1.28 asks the C library and prints the server's and each address's reverse name.
        assert log[:5] == ["Server:    10.96.0.10", "Address 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local",
                           "", "nslookup: can't resolve 'myservice.default.svc.cluster.local'",
                           "waiting for myservice"]
        assert 4 <= log.count("waiting for myservice") <= 10  # every two seconds

        await c.apply(DOCS_SERVICES.split("---\n")[0])
        await c.run_for(5)
        assert row(c, "myapp-pod")["STATUS"] == "Init:1/2"
        ip = c.get("service", "myservice")["spec"]["clusterIP"]
        assert c.logs("myapp-pod", container="init-myservice")[-2:] == [
            "Name:      myservice.default.svc.cluster.local",
            f"Address 1: {ip} myservice.default.svc.cluster.local"]

        await c.apply(DOCS_SERVICES.split("---\n")[1])
        await c.run_for(5)
        assert row(c, "myapp-pod")["STATUS"] == "Running"
        assert c.logs("myapp-pod", container="myapp-container") == ["The app is running!"]


async def test_busybox_136_nslookup_of_a_short_name_exits_1_even_when_it_resolves() -> None:
    """busybox 1.29+ asks for the name under every search domain and fails on any NXDOMAIN (networking/nslookup.c;
    docker-library/busybox#48): such a loop never ends on a real cluster. The FQDN, or busybox 1.28, works."""
    async with Cluster(nodes=2) as c:
        await ensure_cluster_dns(c)
        await c.apply(service("db-service", selector={"app": "db"}, ports=[{"port": 5432}]))
        await c.apply(waiter("short", "until nslookup db-service; do sleep 2; done"))
        await c.apply(waiter("fqdn", "until nslookup db-service.default.svc.cluster.local; do sleep 2; done"))
        await c.apply(waiter("old", "until nslookup db-service; do sleep 2; done", image="busybox:1.28"))
        await c.run_for(30)
        assert (status(c, "short"), status(c, "fqdn"), status(c, "old")) == ("Init:0/1", "Running", "Running")
        ip = c.get("service", "db-service")["spec"]["clusterIP"]
        assert "\n".join(c.logs("short", container="wait")[:13]) == (
            "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"
            f"Name:\tdb-service.default.svc.cluster.local\nAddress: {ip}\n\n"
            "** server can't find db-service.svc.cluster.local: NXDOMAIN\n\n"
            "** server can't find db-service.cluster.local: NXDOMAIN\n\n"
            "\n"  # AAAA of the Service: an empty answer
            "** server can't find db-service.svc.cluster.local: NXDOMAIN\n")


async def test_the_kubelet_expands_a_variable_in_the_script_before_the_shell_runs_it() -> None:
    async with Cluster(nodes=1) as c:
        await ensure_cluster_dns(c)
        pod = waiter("w", "until nslookup $(DB_HOST); do echo waiting for $(DB_HOST); sleep 2; done")
        pod["spec"]["initContainers"][0]["env"] = [{"name": "DB_HOST", "value": "db.default.svc.cluster.local"}]
        await c.apply(pod)
        await c.run_for(10)
        assert status(c, "w") == "Init:0/1"
        assert "waiting for db.default.svc.cluster.local" in c.logs("w", container="wait")
        await c.apply(service("db", ports=[{"port": 5432}]))
        assert await c.run_until(lambda _: status(c, "w") == "Running", timeout=10)


async def test_an_egress_default_deny_that_forgets_dns_holds_the_init_container() -> None:
    async with Cluster(nodes=2) as c:
        await ensure_cluster_dns(c)
        await c.apply(service("db-service", selector={"app": "db"}, ports=[{"port": 5432}]))
        await c.apply(policy("deny-egress", {"podSelector": {}, "policyTypes": ["Egress"]}))
        await c.apply(waiter("w", "until nslookup db-service.default.svc.cluster.local; do sleep 2; done"))
        await c.run_for(30)
        assert status(c, "w") == "Init:0/1"
        log = c.logs("w", container="wait", timestamps=True)
        assert log[0].endswith(" ;; connection timed out; no servers could be reached")
        first, second = (int(line[17:19]) for line in log[0:4:2])  # each try waits 5 s, then sleeps 2
        assert (second - first) % 60 == 7
        await c.apply(policy("allow-dns", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
            {"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
             "ports": [{"protocol": "UDP", "port": 53}]}]}))
        assert await c.run_until(lambda _: status(c, "w") == "Running", timeout=20)


async def test_a_wget_one_liner_logs_the_answer_or_busyboxs_error() -> None:
    async with Cluster(nodes=2) as c:
        await ensure_cluster_dns(c)
        await c.apply(one_shot("early", ["wget", "-qO-", "http://web"]))
        await c.run_for(5)
        await c.apply(service("web"))
        await c.run_for(5)
        await c.apply(one_shot("refused", ["wget", "-O-", "http://web"]))
        await c.run_for(5)
        await c.apply(app("web"))
        await c.run_for(10)
        await c.apply(one_shot("fetch", ["wget", "-qO-", "http://web"]))
        await c.run_for(5)
        assert status(c, "early") == "Error"
        assert c.logs("early") == ["wget: bad address 'web'"]
        assert container_status(c, "early", "c")["state"]["terminated"]["exitCode"] == 1
        ip = c.get("service", "web")["spec"]["clusterIP"]
        assert c.logs("refused") == [f"Connecting to web ({ip}:80)",
                                     f"wget: can't connect to remote host ({ip}): Connection refused"]
        assert status(c, "fetch") == "Completed"
        pod = c.list("pod", "default", selector="app=web")[0]
        assert c.logs("fetch") == [f"Hello from {pod['metadata']['name']} (namespace default, node "
                                   f"{pod['spec']['nodeName']})"]


async def test_a_job_retries_its_curl_until_the_service_answers() -> None:
    async with Cluster(nodes=2) as c:
        await ensure_cluster_dns(c)
        await c.apply(one_shot("poke", ["curl", "-fsS", "http://web/"], image="curlimages/curl:8.10.1",
                               restart="OnFailure"))
        await c.run_for(15)
        assert status(c, "poke") in ("Error", "CrashLoopBackOff")
        assert c.logs("poke", previous=True) == ["curl: (6) Could not resolve host: web"]
        await c.apply(service("web"))
        await c.apply(app("web"))
        assert await c.run_until(lambda _: status(c, "poke") == "Completed", timeout=400)
        assert c.logs("poke")[0].startswith("Hello from web-")


async def test_the_docs_cronjob_one_liner_logs_the_date_and_its_greeting() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(one_shot("hello", ["/bin/sh", "-c", "date; echo Hello from the Kubernetes cluster"],
                               image="busybox:1.28", restart="OnFailure"))
        await c.run_for(5)
        assert status(c, "hello") == "Completed"
        assert c.logs("hello") == ["Thu Jan  1 00:00:01 UTC 2026", "Hello from the Kubernetes cluster"]


async def test_the_docs_counter_logs_a_numbered_line_a_second() -> None:
    """The Logging Architecture page's `counter` pod, as published."""
    async with Cluster(nodes=1) as c:
        await c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "counter"},
                       "spec": {"containers": [{"name": "count", "image": "busybox:1.28", "args": [
                           "/bin/sh", "-c", 'i=0; while true; do echo "$i: $(date)"; i=$((i+1)); sleep 1; done']}]}})
        await c.run_for(10)
        assert c.logs("counter")[:3] == ["0: Thu Jan  1 00:00:01 UTC 2026", "1: Thu Jan  1 00:00:02 UTC 2026",
                                         "2: Thu Jan  1 00:00:03 UTC 2026"]
        assert len(c.logs("counter")) == 9


async def test_a_loop_logs_what_it_prints_when_it_prints_it() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(one_shot("ticker", ["sh", "-c", 'i=; while true; do i=${i}x; echo "tick $i"; sleep 10;'
                                          " [ ${#i} = 4 ] && exit 3; done"], restart="Never"))
        await c.run_for(25)
        assert status(c, "ticker") == "Running"
        assert c.logs("ticker") == ["tick x", "tick xx", "tick xxx"]
        stamps = [re.match(r"\S+:(\d\d)\.", line).group(1) for line in c.logs("ticker", timestamps=True)]
        assert [(int(s) - int(stamps[0])) % 60 for s in stamps] == [0, 10, 20]
        await c.run_for(30)
        assert status(c, "ticker") == "Error"
        assert container_status(c, "ticker", "c")["state"]["terminated"]["exitCode"] == 3
        assert c.logs("ticker")[-1] == "tick xxxx"


async def test_a_loop_that_never_sleeps_does_not_hold_the_engine() -> None:
    async with Cluster(nodes=1) as c:
        await c.apply(one_shot("spin", ["sh", "-c", "while true; do :; done"]))
        await c.apply(one_shot("count", ["sh", "-c", "n=; while true; do n=${n}1; [ ${#n} = 300 ] && break; "
                                         "done; echo done; date +%s"]))
        await c.run_for(60)
        assert status(c, "spin") == "Running"
        started = container_status(c, "count", "c")["state"]["terminated"]
        assert status(c, "count") == "Completed" and c.logs("count")[0] == "done"
        # 300 iterations at LOOP_ITERATIONS_PER_SECOND, each second of them waited on the engine clock.
        assert int(c.logs("count")[1]) - int(c.now() - 60) >= 300 // LOOP_ITERATIONS_PER_SECOND
        assert started["exitCode"] == 0


async def test_a_scripted_container_ignores_sigterm_and_uses_its_whole_grace_period() -> None:
    async with Cluster(nodes=1) as c:
        pod = one_shot("w", ["sh", "-c", "until nc -z db 5432; do sleep 1; done"])
        pod["spec"]["terminationGracePeriodSeconds"] = 20
        await c.apply(pod)
        await c.run_for(10)
        await c.delete("pod", "w")
        await c.run_for(19)
        assert status(c, "w") == "Terminating"
        await c.run_for(2)
        assert c.get("pod", "w") is None


async def test_a_script_k9py_cannot_run_keeps_the_old_rules() -> None:
    async with Cluster(nodes=1) as c:
        # Writes a file (not simulated) and has no network program: an app that runs until stopped.
        await c.apply(one_shot("writer", ["sh", "-c", "while true; do date >> /tmp/log; sleep 5; done"]))
        # `wget URL` saves index.html: not simulated, so the init container completes after a second as before.
        await c.apply(waiter("saver", "wget http://example.com/", image="busybox:1.36"))
        # Nested past any parser's depth: read by the old rules (an echo, then the end), and the kubelet goes on.
        await c.apply(one_shot("deep", ["sh", "-c", "echo " + "$(" * 3000 + "x" + ")" * 3000]))
        await c.run_for(20)
        assert status(c, "writer") == "Running" and c.logs("writer")[0].startswith("Starting busybox:1.36")
        assert status(c, "saver") == "Running"
        assert status(c, "deep") == "Completed"
