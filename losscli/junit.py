"""``--junit FILE``: the gates as a JUnit XML report, one test case per gate, which GitLab, Jenkins,
Azure Pipelines and CircleCI show as passed and failed tests.

A failed gate is a ``<failure>`` whose message says the value and the limit (as the terminal
does, :func:`losscli.gates.describe`). Data values (pair names) are attribute and element text,
escaped by ElementTree, and written on one line first (:func:`_text`): XML 1.0 cannot hold most
control characters at all.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .escape import one_line
from .gates import describe
from .results import Gate, Report


def to_junit(report: Report, command: str) -> bytes:
    """The report's gates as JUnit XML (UTF-8): a suite named ``losscli COMMAND``, a test case per
    gate named ``LOSS (SOURCE)`` in the class ``losscli.PAIR``; no gates, no test cases."""
    failures = sum(not gate.passed and gate.level != "warn" for gate in report.gates)
    counts = {"tests": str(len(report.gates)), "failures": str(failures), "errors": "0", "skipped": "0", "time": "0"}
    suites = ET.Element("testsuites", {"name": "losscli", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": f"losscli {command}", **counts})
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", {"name": "signature", "value": _text(report.signature)})
    for gate in report.gates:
        case = ET.SubElement(suite, "testcase", {"classname": f"losscli.{_text(gate.pair)}",
                                                 "name": _case_name(gate), "time": "0"})
        if not gate.passed and gate.level == "warn":  # (reported, not failed: the run passes)
            ET.SubElement(case, "system-out").text = "warning: " + _details(gate)
        elif not gate.passed:
            failure = ET.SubElement(case, "failure", {"message": _text(describe(gate)), "type": "gate"})
            failure.text = _details(gate)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True) + b"\n"


NOT_XML = re.compile("[\ufffe\uffff\ud800-\udfff]")  # (besides the control characters one_line escapes)


def _text(value: object) -> str:
    """``value`` as text XML 1.0 can hold, on one line."""
    return NOT_XML.sub("\ufffd", one_line(value))


def _case_name(gate: Gate) -> str:
    scope = f" of {gate.scope}" if gate.scope else ""
    return _text(f"{gate.loss or 'every loss'}{scope} ({gate.source})")  # (a source may be a config file's path)


def _details(gate: Gate) -> str:
    """What the failure's text shows: the value, the limit and where the limit came from."""
    lines = [_text(describe(gate))]
    if gate.value is not None:
        lines.append(f"value: {gate.value!r}")
    if gate.max is not None:
        lines.append(f"max: {gate.max!r}")
    if gate.baseline is not None:
        lines.append(f"baseline: {gate.baseline!r} (tolerance {gate.tolerance})")
    if gate.reason:
        lines.append(f"reason: {_text(gate.reason)}")
    return "\n".join(lines)
