"""The RegionSet JSON Schema agrees with the examples and the catalog.

Every document under examples/regionsets must validate against
specs/regionset.schema.json, and the deliberately broken example must not.
Runs with Debian's python3-jsonschema and python3-yaml; no binaries needed.
"""
import csv
import json
import pathlib

import jsonschema
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "specs" / "regionset.schema.json"
GOOD = ROOT / "examples" / "regionsets"
BROKEN = ROOT / "examples" / "broken"


def yaml_files(folder):
    return sorted(p for p in folder.rglob("*")
                  if p.suffix in (".yaml", ".yml") and p.is_file())


def documents(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_examples_exist():
    files = yaml_files(GOOD)
    docs = [d for p in files for d in documents(p)]
    names = {d["metadata"]["name"] for d in docs}
    assert len(files) >= 2
    assert {"hello", "acme-web", "atlas-api"} <= names


@pytest.mark.parametrize("path", yaml_files(GOOD), ids=lambda p: p.name)
def test_example_is_valid(validator, path):
    docs = documents(path)
    assert docs, f"{path} holds no document"
    for doc in docs:
        errors = [e.message for e in validator.iter_errors(doc)]
        assert errors == [], f"{path}: {errors}"


@pytest.mark.parametrize("path", yaml_files(BROKEN), ids=lambda p: p.name)
def test_broken_example_is_rejected(validator, path):
    docs = documents(path)
    assert docs
    assert any(not validator.is_valid(d) for d in docs)


def test_region_enum_matches_catalog():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    with open(ROOT / "specs" / "regions.csv", encoding="utf-8") as f:
        codes = [row["code"] for row in csv.DictReader(f)]
    assert len(codes) == 28
    assert schema["$defs"]["region"]["enum"] == codes


@pytest.mark.parametrize("patch, ok", [
    ({}, True),
    ({"primaryRegon": "iad"}, False),
    ({"regions": ["fra1"]}, False),
    ({"regions": [{"code": "fra", "count": 0}]}, False),
    ({"regions": [{"code": "fra", "count": 2}, "nrt"]}, True),
    ({"env": {"FLY_REGION": "x"}}, False),
    ({"env": {"GOOD": "x", "N": 1}}, True),
    ({"strategy": {"type": "canary"}}, False),
    ({"strategy": {"type": "rolling", "maxSurge": "25%",
                   "maxUnavailable": 1, "maxParallelRegions": 2,
                   "soakTime": "30s", "progressDeadline": "5m"}}, True),
    ({"strategy": {"maxSurge": "125%"}}, False),
    ({"checks": {"t": {"type": "tcp", "port": 80, "path": "/"}}}, False),
    ({"checks": {"h": {"type": "http", "port": 80}}}, False),
    ({"checks": {"h": {"type": "http", "port": 80, "path": "/",
                       "interval": "1m30s"}}}, True),
    ({"services": []}, True),
    ({"guest": {"cpus": 3}}, False),
    ({"guest": {"memoryMB": 300}}, False),
])
def test_schema_rules(validator, patch, ok):
    doc = {"apiVersion": "rhone.dev/v1", "kind": "RegionSet",
           "metadata": {"name": "x"},
           "spec": {"app": "x", "image": "img:1", "primaryRegion": "iad"}}
    doc["spec"].update(patch)
    assert validator.is_valid(doc) == ok
