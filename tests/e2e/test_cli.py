"""The command line: help, version, regions, the README's option table
and the man page."""
import csv
import os
import shutil
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


def test_each_command_helps_with_its_own_options():
    own = {"run": {"--source", "--listen", "--resync", "--leader-elect",
                   "--webhook-url", "--fly-api-url", "--fly-api-token-file"},
           "plan": {"--source", "--fly-api-url", "--fly-api-token-file"},
           "status": {"--server", "--watch", "--timeout"},
           "migrate": {"--source"}}
    every = set().union(*own.values())
    for cmd, flags in own.items():
        r = run(cmd, "--help")
        assert r.returncode == 0, cmd
        assert r.stdout.startswith(f"usage: rhone-controller {cmd} "), cmd
        shown = {w for w in r.stdout.split() if w.startswith("--")}
        assert flags <= shown, (cmd, flags - shown)
        assert not (every - flags) & shown, (cmd, (every - flags) & shown)
        assert max(map(len, r.stdout.splitlines()[:4])) < 80, cmd
    r = run("status", "--listen", "127.0.0.1:1")
    assert r.returncode == 2 and "unknown option --listen for status" \
        in r.stderr
    r = run("migrate", "--fly-api-url", "http://x")
    assert r.returncode == 2 and "for migrate" in r.stderr


def test_commands_without_options_help_too():
    for cmd in ("version", "regions", "options-man", "options-markdown"):
        r = run(cmd, "--help")
        assert r.returncode == 0, cmd
        assert r.stdout.startswith(f"usage: rhone-controller {cmd}"), cmd
        r = run(cmd, "extra")
        assert r.returncode == 2 and r.stdout == "", cmd


def test_a_token_flag_is_refused_with_where_the_token_goes():
    r = run("run", "--fly-api-token", "secret-xyz")
    assert r.returncode == 2
    assert "unknown option --fly-api-token for run" in r.stderr
    assert "$FLY_API_TOKEN or --fly-api-token-file" in r.stderr
    assert "secret-xyz" not in r.stderr
    r = run("run", "--fly-api-token=secret-xyz")
    assert r.returncode == 2 and "--fly-api-token for run" in r.stderr
    assert "secret-xyz" not in r.stderr


def test_no_command_is_a_usage_error():
    out = run()
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.startswith("usage: rhone-controller run")
    out = run("frobnicate")
    assert out.returncode == 2
    assert 'unknown command "frobnicate"' in out.stderr


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


def test_port_in_use_is_one_json_log_line_per_message(tmp_path):
    import json
    import socket
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = dict(os.environ, FLY_API_TOKEN="t")
        r = subprocess.run([BINARY, "run", "--source", str(tmp_path),
                            "--listen", f"127.0.0.1:{port}",
                            "--fly-api-url", "http://127.0.0.1:1",
                            "--log-format", "json"],
                           capture_output=True, text=True, env=env,
                           timeout=20)
    assert r.returncode == 1
    lines = [json.loads(line) for line in r.stderr.splitlines()]
    start = lines[0]
    assert start["event"] == "starting"
    for lib in ("libev", "libcurl", "json-c", "libyaml", "libmicrohttpd",
                "libpq"):
        assert isinstance(start[lib], str) and start[lib][0].isdigit(), lib
    failed = [x for x in lines if x["event"] == "listen_failed"]
    assert len(failed) == 1
    assert failed[0]["listen"] == f"127.0.0.1:{port}"
    assert "in use" in failed[0]["error"]
    # libmicrohttpd's own line names the port asked for, not "port 0"
    said = [x["error"] for x in lines if x["event"] == "httpd_error"]
    assert any("bind" in e for e in said), said
    assert all(f"port {port}" in e for e in said if "bind" in e), said


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


MAN = os.path.join(ROOT, "man", "rhone-controller.1")
BEGIN = ".\\\" BEGIN generated by: rhone-controller options-man\n"
END = ".\\\" END generated\n"


def test_man_page_options_match_the_option_table():
    with open(MAN) as f:
        page = f.read()
    generated = page[page.index(BEGIN) + len(BEGIN):page.index(END)]
    assert generated == run("options-man").stdout, (
        "man/rhone-controller.1 is out of date: replace the lines between "
        "its BEGIN and END markers with `rhone-controller options-man`")


def test_man_page_documents_every_command_and_renders_cleanly():
    with open(MAN) as f:
        page = f.read()
    usage = run("--help").stdout
    for line in usage.splitlines():
        if line.strip().startswith(("usage:", "rhone-controller")):
            cmd = line.split("rhone-controller", 1)[1].split()[0]
            assert f".B {cmd}" in page or f".BI {cmd}" in page or \
                f".BR {cmd}" in page, f"man page lacks the command {cmd}"
    for path in ("/status", "/metrics", "/healthz", "/readyz"):
        assert path in page
    groff = shutil.which("groff")
    if groff:
        r = subprocess.run([groff, "-man", "-ww", "-z", MAN],
                           capture_output=True, text=True)
        assert r.returncode == 0 and r.stderr == "", r.stderr


def test_version_names_the_linked_libraries():
    for arg in ("--version", "version"):
        r = run(arg)
        assert r.returncode == 0
        first, libs = r.stdout.splitlines()[:2]
        assert first.startswith("rhone-controller ")
        found = dict(kv.split("=", 1) for kv in libs.split())
        assert set(found) == {"libev", "libcurl", "json-c", "libyaml",
                              "libmicrohttpd", "libpq"}
        assert all(v and v[0].isdigit() for v in found.values()), found


def test_regions_prints_the_catalog():
    r = run("regions")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0].split()[:2] == ["CODE", "NAME"]
    with open(os.path.join(ROOT, "specs", "regions.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [l.split()[0] for l in lines[1:]] == [x["code"] for x in rows]
    for line, row in zip(lines[1:], rows):
        assert row["city"] in line and row["continent"] in line
        assert line.split()[-2:] == [f"{float(row['latitude']):.4f}",
                                     f"{float(row['longitude']):.4f}"]
    assert run("regions", "--help").returncode == 0
    assert run("regions", "extra").returncode == 2
