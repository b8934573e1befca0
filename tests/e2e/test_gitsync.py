"""git-sync compatibility: the source is a symlink swapped per commit.

git-sync checks each commit out into its own worktree folder named after
the commit, then publishes it by creating a symlink under a temporary
name and renaming it over the old one (an atomic swap), and deletes the
old worktree. GitSync below does the same steps, so the controller sees
what it would see next to a real git-sync sidecar.
"""
import os
import shutil
import subprocess
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from rhone import Controller, alive, per_region, regionset, wait_for
from conftest import free_port


def sha(n):
    """A made-up commit hash, different for each n."""
    return ("%040x" % (0x5eed0000 + n * 0x1000193))[-40:]


class GitSync:
    """A git-sync root: .worktrees/<hash>/ and the `current` symlink."""

    def __init__(self, root, subdir="regionsets"):
        self.root = str(root)
        self.link = os.path.join(self.root, "current")
        self.source = os.path.join(self.link, subdir)
        self.subdir = subdir
        self.worktree = None

    def checkout(self, commit, files):
        wt = os.path.join(self.root, ".worktrees", commit)
        os.makedirs(os.path.join(wt, self.subdir), exist_ok=True)
        for name, text in files.items():
            with open(os.path.join(wt, self.subdir, name), "w") as f:
                f.write(text)
        return wt

    def swap(self, target):
        tmp = os.path.join(self.root, ".current.tmp")
        os.symlink(target, tmp)
        os.replace(tmp, self.link)

    def publish(self, commit, files):
        """Check out, swap the link, then delete the old worktree."""
        self.checkout(commit, files)
        old = self.worktree
        self.swap(os.path.join(".worktrees", commit))
        self.worktree = os.path.join(self.root, ".worktrees", commit)
        if old and old != self.worktree:
            shutil.rmtree(old, ignore_errors=True)


def web(image="registry.fly.io/web:v1", regions=("fra",)):
    return regionset("web", "web-app", image, "iad", list(regions))


def api(region="fra"):
    return regionset("api", "api-app", "registry.fly.io/api:v1", "iad",
                     [region])


def revision(c):
    return c.status()["metadata"]["revision"]


def metrics_revision(c):
    """The revision label of rhone_source_info on /metrics."""
    with urllib.request.urlopen(c.url + "/metrics", timeout=5) as r:
        text = r.read().decode()
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    (sample,) = fams["rhone_source_info"].samples
    assert sample.value == 1
    return sample.labels["revision"]


def wait_converged(c, sim, name, app, image, timeout=90):
    """Converged on the spec in force, every machine running image."""
    def done():
        item = c.item(name)
        st = item["status"]
        return (st["phase"] == "Converged" and
                st["observedGeneration"] == item["metadata"]["generation"]
                and item["spec"]["image"] == image and
                {m["image"] for m in alive(sim, app)} == {image})
    wait_for(done, timeout=timeout, what=f"{name} converged on {image}")


@pytest.fixture
def gitsync(tmp_path):
    return GitSync(tmp_path / "git")


@pytest.fixture
def ctl(ctl_factory, gitsync):
    """start() -> a controller on the git-sync folder."""
    return lambda: ctl_factory(source=gitsync.source)


def test_commits_in_a_row(sim, gitsync, ctl):
    gitsync.publish(sha(1), {"web.yaml": web()})
    c = ctl()
    c.wait_phase("web", "Converged")
    assert revision(c) == sha(1)

    gitsync.publish(sha(2), {"web.yaml": web("registry.fly.io/web:v2")})
    gitsync.publish(sha(3), {"web.yaml": web("registry.fly.io/web:v2"),
                             "api.yaml": api()})
    wait_for(lambda: revision(c) == sha(3), what="commit 3 in force")
    wait_converged(c, sim, "web", "web-app", "registry.fly.io/web:v2")
    wait_converged(c, sim, "api", "api-app", "registry.fly.io/api:v1")
    assert per_region(alive(sim, "api-app")) == {"iad": 1, "fra": 1}
    item = c.item("web")
    assert item["status"].get("lastError", "") == ""

    gitsync.publish(sha(4), {"web.yaml": web("registry.fly.io/web:v2")})
    wait_for(lambda: revision(c) == sha(4), what="commit 4 in force")
    wait_for(lambda: [i["metadata"]["name"] for i in c.status()["items"]]
             == ["web"], what="api forgotten")
    assert per_region(alive(sim, "api-app")) == {"iad": 1, "fra": 1}, \
        "a set gone from a commit leaves its machines running"


def test_broken_commit_is_rejected_whole(sim, gitsync, ctl):
    gitsync.publish(sha(1), {"web.yaml": web(), "api.yaml": api()})
    c = ctl()
    c.wait_phase("web", "Converged")
    c.wait_phase("api", "Converged")
    before = sorted(m["id"] for m in sim.machines())
    sim.reset_calls()

    # web's change is valid, api's is not: neither is applied
    gitsync.publish(sha(2), {"web.yaml": web("registry.fly.io/web:v2",
                                             ("fra", "syd")),
                             "api.yaml": api("fra1")})
    wait_for(lambda: c.status()["metadata"]["sourceFailed"],
             what="commit 2 rejected")
    meta = c.status()["metadata"]
    assert meta["revision"] == sha(1)
    assert metrics_revision(c) == sha(1), "metrics keep the commit in force"
    assert "commit %s rejected whole" % sha(2) in meta["lastLoadError"]
    assert "fra1" in meta["lastLoadError"]
    assert os.path.join(gitsync.source, "api.yaml") in \
        meta["lastLoadError"], "errors name files through the link"
    assert c.item("web")["spec"]["image"] == "registry.fly.io/web:v1"
    time.sleep(3)
    assert sim.calls()["mutating"] == 0
    assert sorted(m["id"] for m in sim.machines()) == before

    gitsync.publish(sha(3), {"web.yaml": web("registry.fly.io/web:v2",
                                             ("fra", "syd")),
                             "api.yaml": api()})
    wait_for(lambda: revision(c) == sha(3), what="commit 3 in force")
    assert not c.status()["metadata"]["sourceFailed"]
    assert metrics_revision(c) == sha(3)
    wait_converged(c, sim, "web", "web-app", "registry.fly.io/web:v2")
    assert per_region(alive(sim, "web-app")) == {"iad": 1, "fra": 1,
                                                "syd": 1}


def test_failed_sync_never_looks_empty(sim, gitsync, ctl):
    gitsync.publish(sha(1), {"web.yaml": web()})
    c = ctl()
    c.wait_phase("web", "Converged")
    before = sorted(m["id"] for m in alive(sim, "web-app"))
    sim.reset_calls()

    # a checkout that came out empty
    gitsync.publish(sha(2), {})
    wait_for(lambda: c.status()["metadata"]["sourceFailed"],
             what="empty commit reported")
    meta = c.status()["metadata"]
    assert "no RegionSet" in meta["lastLoadError"]
    assert meta["revision"] == sha(1)

    # a link to a worktree that is not there (deleted, or never made)
    gitsync.swap(os.path.join(".worktrees", sha(99)))
    wait_for(lambda: "does not resolve" in
             c.status()["metadata"]["lastLoadError"],
             what="dangling link reported")
    assert c.status()["metadata"]["sourceFailed"]
    assert revision(c) == sha(1)
    assert [i["metadata"]["name"] for i in c.status()["items"]] == ["web"]
    time.sleep(3)
    assert sim.calls()["mutating"] == 0

    gitsync.publish(sha(3), {"web.yaml": web()})
    wait_for(lambda: revision(c) == sha(3), what="commit 3 in force")
    assert not c.status()["metadata"]["sourceFailed"]
    c.wait_phase("web", "Converged")
    assert sorted(m["id"] for m in alive(sim, "web-app")) == before


def test_swap_in_the_middle_of_a_rollout(flysim_factory, gitsync, tmp_path):
    sim = flysim_factory(["--auto-apps", "--health-delay", "2"])
    gitsync.publish(sha(1), {"web.yaml": web(regions=[("fra", 2)])})
    c = Controller(sim.url, free_port(), source=gitsync.source).start()
    try:
        c.wait_phase("web", "Converged", timeout=90)
        gitsync.publish(sha(2), {"web.yaml": web("registry.fly.io/web:v2",
                                                 [("fra", 2)])})
        wait_for(lambda: any(m["image"].endswith(":v2")
                             for m in alive(sim, "web-app")),
                 what="the v2 rollout under way")
        gitsync.publish(sha(3), {"web.yaml": web("registry.fly.io/web:v3",
                                                 [("fra", 2)])})
        wait_for(lambda: revision(c) == sha(3), what="commit 3 in force")
        wait_converged(c, sim, "web", "web-app", "registry.fly.io/web:v3",
                       timeout=120)
        assert per_region(alive(sim, "web-app")) == {"iad": 1, "fra": 2}
    finally:
        assert c.stop() == 0, c.output()


def git(cwd, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    return subprocess.run(["git", "-C", str(cwd), *args], env=env,
                          check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_revision_from_git_head(sim, tmp_path):
    """A plain clone and a linked worktree: the revision is HEAD."""
    repo = tmp_path / "repo"
    (repo / "sets").mkdir(parents=True)
    (repo / "sets" / "web.yaml").write_text(web())
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    git(repo, "pack-refs", "--all")     # the ref only in packed-refs
    head = git(repo, "rev-parse", "HEAD")
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "--detach", str(wt), head)

    for source in (repo / "sets", wt / "sets"):
        c = Controller(sim.url, free_port(), source=str(source)).start()
        try:
            wait_for(lambda: c.status()["metadata"]["revision"] == head,
                     what=f"revision of {source}")
        finally:
            assert c.stop() == 0, c.output()


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_plain_checkout_is_a_folder_not_a_commit(sim, tmp_path):
    """Edits not committed yet in a plain clone are loaded as they are:
    a broken file freezes its own sets only, as in any folder; only a
    git-sync snapshot is rejected whole."""
    repo = tmp_path / "repo"
    (repo / "sets").mkdir(parents=True)
    (repo / "sets" / "web.yaml").write_text(web())
    (repo / "sets" / "api.yaml").write_text(api())
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    head = git(repo, "rev-parse", "HEAD")
    c = Controller(sim.url, free_port(), source=str(repo / "sets")).start()
    try:
        c.wait_phase("web", "Converged")
        c.wait_phase("api", "Converged")
        c.write("api.yaml", "apiVersion: rhone.dev/v1\nkind: RegionSet\n"
                "metadata: {name: api}\nspec: {app: api-app, image: x,\n")
        c.write("web.yaml", web(image="registry.fly.io/web:v2"))
        item = c.wait_converged_on("web", "registry.fly.io/web:v2")
        status = c.status()
        assert status["metadata"]["sourceFailed"] is False
        assert status["metadata"]["revision"] == head
        assert c.phase("api") == "Invalid"
        assert item["spec"]["image"] == "registry.fly.io/web:v2"
        assert {m["image"] for m in alive(sim, "web-app")} == \
            {"registry.fly.io/web:v2"}
        assert {m["image"] for m in alive(sim, "api-app")} == \
            {"registry.fly.io/api:v1"}
    finally:
        assert c.stop() == 0, c.output()
