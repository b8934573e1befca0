"""make install into a staging DESTDIR, and the example systemd unit."""
import glob
import os
import shutil
import stat
import subprocess

import pytest

from rhone import BINARY, BUILD

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
UNIT = os.path.join(REPO, "examples", "systemd", "rhone-controller.service")


def make_install(destdir, *args):
    subprocess.run(["make", "-s", "-C", REPO, "install",
                    f"DESTDIR={destdir}", f"BUILD={BUILD}", *args],
                   check=True, capture_output=True, text=True)
    found = set()
    for top, _, files in os.walk(destdir):
        for f in files:
            found.add(os.path.relpath(os.path.join(top, f), destdir))
    return found


def unit_settings(path):
    """The unit's Key=value lines (a key may repeat)."""
    pairs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and line[0] not in "#;[" and "=" in line:
                key, value = line.split("=", 1)
                pairs.append((key, value))
    return pairs


def test_install_with_prefix_and_destdir(tmp_path):
    dest = tmp_path / "stage"
    found = make_install(dest, "PREFIX=/opt/rhone")
    share = "opt/rhone/share/rhone-controller"
    expected = {"opt/rhone/bin/rhone-controller",
                f"{share}/regionset.schema.json",
                f"{share}/systemd/rhone-controller.service"}
    if glob.glob(os.path.join(REPO, "rhone-controller.1")) + \
            glob.glob(os.path.join(REPO, "*", "rhone-controller.1")):
        expected.add("opt/rhone/share/man/man1/rhone-controller.1")
    assert expected <= found
    assert not [f for f in found if not f.startswith("opt/rhone/")], \
        "nothing is installed outside PREFIX"

    binary = dest / "opt/rhone/bin/rhone-controller"
    assert os.stat(binary).st_mode & 0o777 == 0o755
    with open(binary, "rb") as a, open(BINARY, "rb") as b:
        assert a.read() == b.read()
    out = subprocess.run([str(binary), "--help"], capture_output=True,
                         text=True)
    assert "--source" in out.stdout + out.stderr

    unit = dest / share / "systemd/rhone-controller.service"
    assert stat.S_IMODE(os.stat(unit).st_mode) == 0o644
    exec_start = dict(unit_settings(unit))["ExecStart"]
    assert exec_start.startswith("/opt/rhone/bin/rhone-controller run")


def test_default_prefix_is_usr_local(tmp_path):
    found = make_install(tmp_path / "stage")
    assert "usr/local/bin/rhone-controller" in found
    assert "usr/local/share/rhone-controller/regionset.schema.json" in found


def test_systemd_unit_is_hardened():
    settings = unit_settings(UNIT)
    keys = dict(settings)
    for key, value in {"DynamicUser": "yes", "NoNewPrivileges": "yes",
                       "ProtectSystem": "strict", "PrivateTmp": "yes",
                       "ProtectHome": "read-only",
                       "RestrictSUIDSGID": "yes",
                       "CapabilityBoundingSet": ""}.items():
        assert keys.get(key) == value, key
    # the token comes from a root-only file, never from the command line
    assert keys["EnvironmentFile"].startswith("/etc/rhone-controller/")
    assert "token" not in keys["ExecStart"].lower()
    assert "--log-format json" in keys["ExecStart"]
    assert keys["ExecReload"].endswith("-HUP $MAINPID")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze not installed")
def test_systemd_unit_verifies(tmp_path):
    """systemd parses every directive (it needs an existing binary)."""
    text = open(UNIT).read()
    text = text.replace("/usr/local/bin/rhone-controller",
                        os.path.abspath(BINARY))
    unit = tmp_path / "rhone-controller.service"
    unit.write_text(text)
    out = subprocess.run(["systemd-analyze", "verify", "--man=no",
                          str(unit)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Unknown key" not in out.stderr, out.stderr


# Dockerfile: the runtime stage must install the package of every library
# the binary links. libc6, and libgcc-s1 and libstdc++6 (which apt needs),
# are in every Debian image; the rest must be named,
# or come in as a dependency of a named package.
DOCKERFILE = os.path.join(REPO, "Dockerfile")
BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}
# A SAN=1 build links the sanitizer runtimes; the image is built without.
SANITIZER_LIBS = ("libasan.", "libubsan.", "liblsan.", "libtsan.")


def dockerfile_stages():
    """[(FROM line, [instructions])], continuation lines joined."""
    stages, logical = [], ""
    with open(DOCKERFILE) as f:
        for line in f:
            if line.lstrip().startswith("#") and not logical:
                continue
            logical += line.rstrip("\n")
            if logical.endswith("\\"):
                logical = logical[:-1] + " "
                continue
            words = logical.split()
            logical = ""
            if not words:
                continue
            if words[0].upper() == "FROM":
                stages.append((" ".join(words), []))
            elif stages:
                stages[-1][1].append(words)
    return stages


def apt_installed(instructions):
    """Package names given to apt-get install in RUN instructions."""
    names = set()
    for words in instructions:
        if words[0].upper() != "RUN":
            continue
        for i, w in enumerate(words):
            if w == "install" and i > 0 and words[i - 1] == "apt-get":
                for name in words[i + 1:]:
                    if name in ("&&", ";", "||"):
                        break
                    if not name.startswith("-"):
                        names.add(name)
    return names


def package_of(path):
    """The Debian package that owns a library file, or None."""
    for p in (path, os.path.realpath(path), "/usr" + path):
        out = subprocess.run(["dpkg", "-S", p], capture_output=True,
                             text=True)
        if out.returncode == 0:
            return out.stdout.split(":")[0].strip()
    return None


def linked_libraries(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True,
                         check=True).stdout
    libs = {}
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts and len(parts) > parts.index("=>") + 1:
            path = parts[parts.index("=>") + 1]
            if path.startswith("/") and \
                    not parts[0].startswith(SANITIZER_LIBS):
                libs[parts[0]] = path
    return libs


def needed(binary):
    out = subprocess.run(["readelf", "-d", binary], capture_output=True,
                         text=True, check=True).stdout
    return {line.split("[")[1].split("]")[0]
            for line in out.splitlines() if "(NEEDED)" in line}


def depends_closure(packages):
    out = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends",
         "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces",
         "--no-enhances", *sorted(packages)],
        capture_output=True, text=True, check=True).stdout
    return {line.strip("<>").split(":")[0] for line in out.splitlines()
            if line and not line[0].isspace()}


def test_dockerfile_stages():
    stages = dockerfile_stages()
    assert len(stages) == 2, "a build stage and a runtime stage"
    assert stages[0][0].startswith("FROM debian:bookworm AS")
    assert stages[1][0] == "FROM debian:bookworm-slim"
    runtime = stages[1][1]
    users = [w[1] for w in runtime if w[0].upper() == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root"), \
        "the image runs as a numeric non-root user"
    assert users[-1].split(":")[0].isdigit()
    assert not {"build-essential", "gcc", "make"} & apt_installed(runtime)


@pytest.mark.skipif(not all(shutil.which(t) for t in
                            ("dpkg", "ldd", "readelf", "apt-cache")),
                    reason="needs Debian's dpkg, apt-cache, ldd, readelf")
def test_dockerfile_runtime_packages_match_ldd():
    listed = apt_installed(dockerfile_stages()[-1][1])
    libs = linked_libraries(BINARY)
    owners = {lib: package_of(path) for lib, path in libs.items()}
    unknown = sorted(lib for lib, pkg in owners.items() if pkg is None)
    assert not unknown, f"libraries no package owns: {unknown}"

    direct = {owners[lib] for lib in needed(BINARY) if lib in owners}
    missing = sorted(direct - listed - BASE_IMAGE_PACKAGES)
    assert not missing, f"add to the Dockerfile's runtime stage: {missing}"

    reachable = depends_closure(listed) | listed | BASE_IMAGE_PACKAGES
    unreached = sorted(set(owners.values()) - reachable)
    assert not unreached, \
        f"linked but not installed by the runtime stage: {unreached}"
