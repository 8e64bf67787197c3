"""One setting, one signature: a parameter written three ways (issue 14).

``focal.gamma=3``, ``focal.gamma=3.0`` and ``focal_loss.gamma=3`` (``focal_loss`` is an alias of
``focal`` in ``losscli list``) are the same setting, so they should give the same report, signature
included: ``params:focal.gamma=3.0`` (the value typed, the loss under its canonical name).
"""

from __future__ import annotations

import json

from .conftest import SAMPLE_DATA, run

BINARY = SAMPLE_DATA / "binary_probabilities.csv"
SPELLINGS = ("focal.gamma=3", "focal.gamma=3.0", "focal_loss.gamma=3")


def _reports():
    reports = []
    for spelling in SPELLINGS:
        result = run("eval", BINARY, "--param", spelling, "--format", "json")
        assert result.code == 0, f"--param {spelling}: {result.stderr}"
        reports.append(result.json)
    return reports


def test_the_spellings_name_one_loss_and_one_value():
    """What already holds: focal_loss is focal's alias, and the three spellings give the same losses."""
    listing = run("list", "--format", "json").json["losses"]
    assert any(e["name"] == "focal" and "focal_loss" in e["aliases"] and "binary" in e["tasks"] for e in listing)
    reports = _reports()
    for report, spelling in zip(reports, SPELLINGS):
        assert report["results"][0]["losses"] == reports[0]["results"][0]["losses"], spelling
        assert report["results"][0]["params"]["focal"]["gamma"] == 3.0, spelling


def test_one_setting_gives_one_signature():
    reports = _reports()
    signatures = {spelling: r["signature"] for spelling, r in zip(SPELLINGS, reports)}
    assert len(set(signatures.values())) == 1, signatures
    params = {spelling: json.dumps(r["results"][0]["params"]) for spelling, r in zip(SPELLINGS, reports)}
    assert len(set(params.values())) == 1, params  # as JSON text: 3 and 3.0 are not the same
