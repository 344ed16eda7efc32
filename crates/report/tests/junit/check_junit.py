"""Validates a junit.xml against tests/junit/junit.xsd (lxml) and reads it with
junitparser, a real JUnit consumer. Prints one JSON line with what the consumer saw.

Usage: python3 check_junit.py JUNIT_XML XSD
"""
import json
import sys

from lxml import etree
from junitparser import JUnitXml, Failure

junit_path, xsd_path = sys.argv[1], sys.argv[2]
schema = etree.XMLSchema(etree.parse(xsd_path))
doc = etree.parse(junit_path)
valid = schema.validate(doc)
errors = [str(e) for e in schema.error_log]

xml = JUnitXml.fromfile(junit_path)
suites = []
for suite in xml:
    cases = []
    for case in suite:
        failures = [r for r in case.result if isinstance(r, Failure)]
        cases.append({
            "name": case.name,
            "classname": case.classname,
            "passed": case.is_passed,
            "failure_message": failures[0].message if failures else None,
        })
    suites.append({"name": suite.name, "tests": suite.tests, "failures": suite.failures, "cases": cases})
print(json.dumps({"valid": valid, "schema_errors": errors, "suites": suites}))
