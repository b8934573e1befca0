"""examples/gitops: a RegionSet repository's CI workflow and pre-commit
hook, run for real.

The workflow's Validate and Plan steps are taken from the parsed YAML and
run with bash the way GitHub's runner runs them (`shell: bash`), with the
built binary on PATH instead of the image wrapper the Install step makes.
The hook is installed in a real git repository and driven by `git
commit`.
"""
import os
import re
import shutil
import subprocess

import pytest
import yaml

from rhone import BINARY, TOKEN, regionset

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
GITOPS = os.path.join(ROOT, "examples", "gitops")
WORKFLOW = os.path.join(GITOPS, ".github", "workflows", "regionsets.yml")
HOOK = os.path.join(GITOPS, "hooks", "pre-commit")
BIN_DIR = os.path.dirname(os.path.abspath(BINARY))

GOOD = regionset("web", "web-app", "registry.fly.io/web:v1", "iad",
                 ["fra"])
BROKEN = GOOD.replace("- fra", "- fra1")
# "file:line:column: field: message", the file as named in the repository
BROKEN_AT = re.compile(
    r'^regionsets/web\.yaml:\d+:\d+: spec\.regions\[0\]: '
    r'unknown region "fra1"', re.M)


def workflow():
    with open(WORKFLOW) as f:
        return yaml.safe_load(f)


def step(name):
    """The job and step dicts of the step called name."""
    for job in workflow()["jobs"].values():
        for s in job["steps"]:
            if s.get("name") == name:
                return job, s
    raise AssertionError(f"no step {name!r} in the workflow")


def run_step(name, cwd, env=None):
    """Run one step's script as the runner would: bash -eo pipefail,
    the workflow's env, RUNNER_TEMP and GITHUB_STEP_SUMMARY set."""
    _, s = step(name)
    temp = os.path.join(cwd, ".runner")
    os.makedirs(temp, exist_ok=True)
    script = os.path.join(temp, "step.sh")
    with open(script, "w") as f:
        f.write(s["run"])
    summary = os.path.join(temp, "summary.md")
    full = {"PATH": BIN_DIR + ":/usr/bin:/bin", "HOME": cwd,
            "RUNNER_TEMP": temp, "GITHUB_STEP_SUMMARY": summary}
    full.update({k: str(v) for k, v in workflow()["env"].items()
                 if "${{" not in str(v)})
    full.update(env or {})
    r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail",
                        script], cwd=cwd, env=full, capture_output=True,
                       text=True, timeout=60)
    text = open(summary).read() if os.path.exists(summary) else ""
    return r, text


def repo_with(tmp_path, files):
    """A copy of the example layout with regionsets/ holding files."""
    d = tmp_path / "repo"
    os.makedirs(d / "regionsets")
    for name, text in files.items():
        (d / "regionsets" / name).write_text(text)
    return str(d)


def test_example_regionsets_validate():
    r = subprocess.run([BINARY, "validate",
                        os.path.join(GITOPS, "regionsets")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 RegionSets valid" in r.stdout
    assert os.path.exists(os.path.join(GITOPS, "README.md"))


def test_workflow_validates_and_plans_every_pull_request():
    wf = workflow()
    # YAML 1.1 reads the key `on` as true
    triggers = wf.get("on", wf.get(True))
    assert "pull_request" in triggers
    scripts = [s.get("run", "") for job in wf["jobs"].values()
               for s in job["steps"]]
    assert any("rhone-controller validate" in s for s in scripts)
    assert any("rhone-controller plan --source" in s for s in scripts)
    assert wf["env"]["REGIONSETS"] == "regionsets/"
    job, plan = step("Plan")
    assert plan["env"]["FLY_API_TOKEN"] == "${{ secrets.FLY_API_TOKEN }}"
    assert job["needs"] == "validate"
    for job in wf["jobs"].values():
        assert job["steps"][0]["uses"].startswith("actions/checkout@")


def test_validate_step_passes_and_annotates(tmp_path):
    d = repo_with(tmp_path, {"web.yaml": GOOD})
    r, _ = run_step("Validate", d)
    assert r.returncode == 0, r.stdout + r.stderr
    with open(os.path.join(d, "regionsets", "web.yaml"), "w") as f:
        f.write(BROKEN)
    r, _ = run_step("Validate", d)
    assert r.returncode == 1
    assert BROKEN_AT.search(r.stdout), r.stdout
    assert re.search(r"^::error file=regionsets/web\.yaml,line=\d+,col=\d+"
                     r"::spec\.regions\[0\]: unknown region", r.stdout,
                     re.M), r.stdout


@pytest.fixture
def sim(flysim_factory):
    s = flysim_factory(["--auto-apps"])
    s.configure(rate_limit=False)
    return s


def test_plan_step_exit_codes(sim, tmp_path):
    d = repo_with(tmp_path, {"web.yaml": GOOD})

    # an app with no machines yet: changes pending (plan exits 2), which
    # is what a pull request is for, so the step passes
    env = {"FLY_API_TOKEN": TOKEN, "FLY_API_URL": sim.url}
    r, summary = run_step("Plan", d, env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "::notice::changes pending" in r.stdout
    assert "### rhone-controller plan" in summary
    assert "change" in summary and "fra" in summary
    assert TOKEN not in r.stdout + r.stderr + summary
    assert sim.calls()["mutating"] == 0

    # no token (a pull request from a fork): skipped with a warning
    r, _ = run_step("Plan", d, {"FLY_API_TOKEN": "",
                                "FLY_API_URL": sim.url})
    assert r.returncode == 0 and "::warning::" in r.stdout

    # the API unreachable: plan exits 1 and the step fails
    r, _ = run_step("Plan", d, {"FLY_API_TOKEN": TOKEN,
                                "FLY_API_URL": "http://127.0.0.1:1"})
    assert r.returncode == 1
    assert "::error::plan failed (exit 1)" in r.stdout


# --- the pre-commit hook in a real repository --------------------------

def git_env(home):
    return {"PATH": BIN_DIR + ":/usr/bin:/bin", "HOME": str(home),
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com"}


@pytest.fixture
def repo(tmp_path):
    """git(*args) in a new repository with the hook installed."""
    d = tmp_path / "fleet"
    os.makedirs(d / "regionsets")
    env = git_env(tmp_path)

    def git(*args, **extra):
        return subprocess.run(["git", *args], cwd=d, env=dict(env, **extra),
                              capture_output=True, text=True, timeout=30)
    assert git("init", "-q").returncode == 0
    shutil.copy(HOOK, d / ".git" / "hooks" / "pre-commit")
    git.dir = d
    return git


def test_hook_lets_a_valid_commit_through(repo):
    (repo.dir / "regionsets" / "web.yaml").write_text(GOOD)
    repo("add", "regionsets/web.yaml")
    r = repo("commit", "-q", "-m", "add web")
    assert r.returncode == 0, r.stdout + r.stderr
    assert repo("rev-parse", "--verify", "HEAD").returncode == 0


def test_hook_refuses_a_broken_regionset(repo):
    (repo.dir / "regionsets" / "web.yaml").write_text(GOOD)
    repo("add", "regionsets/web.yaml")
    assert repo("commit", "-q", "-m", "add web").returncode == 0
    head = repo("rev-parse", "HEAD").stdout

    (repo.dir / "regionsets" / "web.yaml").write_text(BROKEN)
    repo("add", "regionsets/web.yaml")
    r = repo("commit", "-q", "-m", "typo")
    assert r.returncode != 0
    assert BROKEN_AT.search(r.stderr), r.stderr
    assert "commit refused" in r.stderr
    assert repo("rev-parse", "HEAD").stdout == head


def test_hook_checks_the_staged_copy_not_the_work_tree(repo):
    path = repo.dir / "regionsets" / "web.yaml"
    path.write_text(BROKEN)
    repo("add", "regionsets/web.yaml")
    path.write_text(GOOD)                 # fixed, but not staged
    r = repo("commit", "-q", "-m", "typo")
    assert r.returncode != 0 and BROKEN_AT.search(r.stderr), r.stderr

    repo("add", "regionsets/web.yaml")
    path.write_text(BROKEN)               # broken again, not staged
    r = repo("commit", "-q", "-m", "fixed")
    assert r.returncode == 0, r.stderr


def test_hook_catches_mistakes_across_files(repo):
    (repo.dir / "regionsets" / "web.yaml").write_text(GOOD)
    repo("add", "regionsets/web.yaml")
    assert repo("commit", "-q", "-m", "add web").returncode == 0
    # a second set for the same app, in a new file: only the folder as
    # a whole shows it
    (repo.dir / "regionsets" / "web2.yaml").write_text(
        GOOD.replace("name: web", "name: web2"))
    repo("add", "regionsets/web2.yaml")
    r = repo("commit", "-q", "-m", "twice")
    assert r.returncode != 0
    assert re.search(r"^regionsets/web2?\.yaml:\d+:\d+: spec\.app: app "
                     r'"web-app" is also managed by', r.stderr,
                     re.M), r.stderr


def test_hook_ignores_commits_without_regionsets(repo):
    (repo.dir / "README.md").write_text("fleet\n")
    repo("add", "README.md")
    # not even run: a binary that is not there does not matter
    r = repo("commit", "-q", "-m", "docs",
             RHONE_CONTROLLER="/nonexistent/rhone-controller")
    assert r.returncode == 0, r.stderr
    (repo.dir / "regionsets" / "web.yaml").write_text(GOOD)
    repo("add", "regionsets/web.yaml")
    r = repo("commit", "-q", "-m", "web",
             RHONE_CONTROLLER="/nonexistent/rhone-controller")
    assert r.returncode != 0
