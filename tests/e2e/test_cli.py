"""The command line: help, version, and the README's option table."""
import os
import subprocess

from rhone import BINARY

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def run(*args, env=None):
    return subprocess.run([BINARY, *args], capture_output=True, text=True,
                          env=env)


def test_every_option_is_documented_in_the_readme():
    table = run("options-markdown").stdout.strip().splitlines()
    assert len(table) > 5
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    for row in table:
        assert row in readme, f"README lacks the option row: {row}"


def test_help_lists_every_option():
    out = run("run", "--help")
    assert out.returncode == 0
    for flag in ("--source", "--fly-api-url", "--fly-api-token-file",
                 "--listen", "--resync", "--log-format"):
        assert flag in out.stdout


def test_unknown_option_and_bad_duration_are_rejected():
    r = run("run", "--sourc", "x")
    assert r.returncode == 2 and "unknown option --sourc" in r.stderr
    r = run("run", "--source", "x", "--resync", "soon")
    assert r.returncode == 2 and "bad duration" in r.stderr


def test_missing_token_is_a_startup_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "FLY_API_TOKEN"}
    r = run("run", "--source", str(tmp_path), "--listen", "127.0.0.1:0",
            env=env)
    assert r.returncode == 1
    assert "no_token" in r.stderr


def test_token_file_content_never_printed(tmp_path):
    tok = tmp_path / "token"
    tok.write_text("FlyV1 super-secret-value\n")
    r = subprocess.run([BINARY, "run", "--source", str(tmp_path / "none"),
                        "--fly-api-token-file", str(tok),
                        "--listen", "256.0.0.1:1"],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1
    assert "super-secret-value" not in r.stdout + r.stderr


def test_validate_examples_and_broken():
    r = run("validate", os.path.join(ROOT, "examples", "regionsets"))
    assert r.returncode == 0, r.stdout
    assert "3 RegionSets valid" in r.stdout
    r = run("validate", os.path.join(ROOT, "examples", "broken"))
    assert r.returncode == 1
    first = r.stdout.splitlines()[0]
    path, line, col = first.split(":")[:3]
    assert path.endswith(".yaml") and line.isdigit() and col.isdigit()
