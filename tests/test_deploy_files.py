"""The orchestrator files in deploy/ (not run here: no Kubernetes or Docker engine on this machine),
checked offline: they parse, say plainly that they were not run, agree with each other and with
the single-machine layout, and the pod's HAProxy names the pod in X-Mnist37-Replica."""
from __future__ import annotations

import http.server
import re
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from deploy.serve import TEMPLATE, find_haproxy
from harness.server import free_port

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
K8S = DEPLOY / "kubernetes"


def load(name: str) -> dict:
    return yaml.safe_load((K8S / name).read_text())


def test_every_file_parses_and_says_it_was_not_run_here():
    files = sorted(K8S.iterdir()) + [DEPLOY / "Dockerfile", DEPLOY / "Dockerfile.dockerignore"]
    assert len(files) >= 9
    for f in files:
        assert f.read_text().startswith("# NOT RUN HERE"), f.name
        if f.suffix == ".yaml":
            assert list(yaml.safe_load_all(f.read_text())), f.name
    assert {*load("kustomization.yaml")["resources"]} <= {f.name for f in files}


def test_the_files_agree_with_each_other_and_with_make_serve():
    dep, svc, ing, secret = load("deployment.yaml"), load("service.yaml"), load("ingress.yaml"), load(
        "secret.example.yaml")
    app, sidecar = dep["spec"]["template"]["spec"]["containers"]
    # The class store's URL comes from the Secret the README tells to create.
    db = next(e for e in app["env"] if e["name"] == "MNIST37_DB")["valueFrom"]["secretKeyRef"]
    assert db == {"name": secret["metadata"]["name"], "key": "url"} and secret["stringData"]["url"].startswith(
        "postgresql://")
    # Ingress -> Service -> the pod's HAProxy (the header) -> the app; the Dockerfile's port is the app's.
    assert ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"] == {
        "name": svc["metadata"]["name"], "port": {"name": svc["spec"]["ports"][0]["name"]}}
    assert svc["spec"]["ports"][0]["targetPort"] == sidecar["ports"][0]["name"]
    cfg = (K8S / "replica-header.cfg").read_text()
    assert f"bind :{sidecar['ports'][0]['containerPort']}" in cfg
    assert f"server app 127.0.0.1:{app['ports'][0]['containerPort']}" in cfg
    assert f'"--server.port", "{app["ports"][0]["containerPort"]}"' in (DEPLOY / "Dockerfile").read_text()
    assert next(e for e in sidecar["env"] if e["name"] == "POD_NAME")["valueFrom"]["fieldRef"] == {
        "fieldPath": "metadata.name"}
    # Cookie affinity under the same cookie name as make serve's HAProxy, websocket-friendly timeouts.
    notes = {k.removeprefix("nginx.ingress.kubernetes.io/"): v for k, v in ing["metadata"]["annotations"].items()}
    cookie = re.search(r"cookie (\w+) insert", TEMPLATE.read_text())[1]
    assert notes["affinity"] == "cookie" and notes["session-cookie-name"] == cookie
    assert int(notes["proxy-read-timeout"]) >= 600 and notes["proxy-buffering"] == "off"
    route = load("httproute.yaml")["spec"]["rules"][0]["sessionPersistence"]
    assert route["type"] == "Cookie" and route["sessionName"] == cookie


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_pods_haproxy_names_the_pod(tmp_path):
    """replica-header.cfg as it runs in a pod (ports moved to free ones, a stand-in app behind it)."""
    haproxy = find_haproxy()
    if haproxy is None:
        pytest.skip("no HAProxy here (apt-get install haproxy, or make haproxy)")
    app = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    port = free_port()
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text((K8S / "replica-header.cfg").read_text().replace("bind :8080", f"bind 127.0.0.1:{port}")
                   .replace("127.0.0.1:8501", f"127.0.0.1:{app.server_port}"))
    proc = subprocess.Popen([haproxy, "-db", "-f", str(cfg)], env={"POD_NAME": "mnist37-7d9f-abcde"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    assert r.headers["X-Mnist37-Replica"] == "mnist37-7d9f-abcde"
                    break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(10)
        app.shutdown()
