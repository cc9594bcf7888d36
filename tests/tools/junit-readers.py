#!/usr/bin/python3
"""junit-readers — read JUnit files the ways CI reporters do, and insist they all agree.

    junit-readers.py FILE...

Three readers, each as the named consumers read a file:
  junitparser  Debian's python3-junitparser, the parser of the GitHub action
               publish-unit-test-result-action: its own totals and per-case results.
  root-first   a reader that takes totals from <testsuites> when it declares them and
               otherwise sums the suites (as Jenkins' and several dashboards' readers do).
  elements     counts <testcase> elements and their failure/error/skipped children
               (as GitLab and xmllint-based scripts do), ignoring every declared count.
Every reader must give the same tests/passed/failures/errors/skipped for each file and the
same status for every case, and the run each says (failed when a case failed or erred) must be
what sftpdrill's exit status in the RUN-INFO beside the file says (0 passed, else failed). Each classname must display whole where a reporter splits
package from class at the last dot (Jenkins, GitHub annotations): no dot at all. Each
timestamp must carry its zone. Prints one line per file; exit status 1 on any disagreement.
"""
import sys
from pathlib import Path
import xml.etree.ElementTree as ET
from datetime import datetime

from junitparser import JUnitXml, TestSuite, Error, Failure, Skipped


def by_junitparser(path):
    doc = JUnitXml.fromfile(path)
    suites = [doc] if isinstance(doc, TestSuite) else list(doc)
    cases = {}
    for s in suites:
        for c in s:
            kinds = {type(r).__name__ for r in c.result}
            status = ("error" if "Error" in kinds else "failure" if "Failure" in kinds
                      else "skipped" if "Skipped" in kinds else "passed")
            cases[(s.name, c.classname, c.name)] = status
    tot = dict(tests=doc.tests, failures=doc.failures, errors=doc.errors, skipped=doc.skipped)
    tot["passed"] = tot["tests"] - tot["failures"] - tot["errors"] - tot["skipped"]
    return tot, cases


def by_root_first(path):
    root = ET.parse(path).getroot()
    keys = ("tests", "failures", "errors", "skipped")
    if root.tag == "testsuites" and any(k in root.attrib for k in keys):
        tot = {k: int(root.get(k, 0)) for k in keys}
    else:
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        tot = {k: sum(int(s.get(k, 0)) for s in suites) for k in keys}
    tot["passed"] = tot["tests"] - tot["failures"] - tot["errors"] - tot["skipped"]
    return tot, None


def by_elements(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    tot = dict(tests=0, failures=0, errors=0, skipped=0, passed=0)
    cases = {}
    for s in suites:
        for c in s.findall("testcase"):
            status = ("error" if c.find("error") is not None else "failure" if c.find("failure") is not None
                      else "skipped" if c.find("skipped") is not None else "passed")
            tot["tests"] += 1
            tot[{"error": "errors", "failure": "failures", "skipped": "skipped", "passed": "passed"}[status]] += 1
            cases[(s.get("name"), c.get("classname"), c.get("name"))] = status
    return tot, cases


def shape(path):
    """Classnames that display whole and timestamps with a zone."""
    problems = []
    root = ET.parse(path).getroot()
    for s in [root] if root.tag == "testsuite" else root.findall("testsuite"):
        ts = s.get("timestamp")
        if ts is not None:
            try:
                if datetime.fromisoformat(ts.replace("Z", "+00:00")).tzinfo is None:
                    problems.append(f"timestamp {ts} has no zone")
            except ValueError:
                problems.append(f"timestamp {ts} is not ISO 8601")
        for c in s.findall("testcase"):
            cn = c.get("classname", "")
            if "." in cn:
                problems.append(f"classname {cn!r} splits at its last dot into {cn.rsplit('.', 1)!r}")
    return problems


def exit_status(path):
    """sftpdrill's own exit status for the run, from the RUN-INFO beside the file (None: not a run's bundle)."""
    info = Path(path).parent / "RUN-INFO"
    if not info.exists():
        return None
    for line in info.read_text(errors="replace").splitlines():
        if line.startswith("exit-status: "):
            return int(line.split(": ", 1)[1])
    return None


def main(paths):
    bad = 0
    for path in paths:
        results = {"junitparser": by_junitparser(path), "root-first": by_root_first(path),
                   "elements": by_elements(path)}
        totals = {name: r[0] for name, r in results.items()}
        problems = shape(path)
        if len({tuple(sorted(t.items())) for t in totals.values()}) != 1:
            problems.append("readers disagree on the totals: " + "; ".join(f"{n} {t}" for n, t in totals.items()))
        if results["junitparser"][1] != results["elements"][1]:
            problems.append("readers disagree on a case's status")
        t = totals["elements"]
        status = exit_status(path)
        if status is not None and (t["failures"] + t["errors"] > 0) != (status != 0):
            problems.append(f"the readers say {'failed' if t['failures'] + t['errors'] else 'passed'} "
                            f"but sftpdrill exited {status}")
        if problems:
            bad = 1
            for p in problems:
                print(f"{path}: {p}")
        else:
            print(f"{path}: all readers agree: tests={t['tests']} passed={t['passed']} failures={t['failures']} "
                  f"errors={t['errors']} skipped={t['skipped']}")
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]) if len(sys.argv) > 1 else 2)
