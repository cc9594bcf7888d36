#!/usr/bin/python3
"""vendor-recipes.py — read the vendor recipes in docs/ci/vendor/ the way their CI systems would, check
what a vendor's pipeline needs (a shard matrix covering 1..N, a merge after them even when one fails,
the merged junit.xml reported, sftpdrill unpacked from its package with no root, every secret put in a
file outside the workspace by `sftpdrill-ci secret`, never echoed), and print the jobs in the order
the CI runs them, one command per line:

    RECIPE<TAB>JOB<TAB>ENVIRONMENT<TAB>SHELL-COMMAND

ENVIRONMENT is what the CI puts in the job's environment as NAME=VALUE words (the matrix value, the
pipeline's and job's literal variables). What the CI itself supplies is left to the caller's
environment under the same name: GitHub's ${{ secrets.X }} and ${{ vars.X }} (a step's env entry
X: ${{ secrets.X }}), ${{ runner.temp }} ($RUNNER_TEMP), Jenkins's ${env.WORKSPACE_TMP}, parameters
and withCredentials files, GitLab's CI/CD variables. Package installs (apt-get) and artifact moves are
the caller's. Exit status 1 with the reason when a recipe is wrong.

Usage: vendor-recipes.py DOCS-CI-VENDOR-FOLDER
"""
import os
import re
import sys

import yaml

GH_SAME = re.compile(r"^\$\{\{\s*(secrets|vars)\.([A-Z0-9_]+)\s*\}\}$")


def fail(recipe, why):
    sys.exit(f"{recipe}: {why}")


def check_line(recipe, job, line):
    if re.search(r"\b(echo|cat)\b[^|<]*\$(CP[0-9]+_KEY|RRS_KNOWN_HOSTS)\b", line) and "sftpdrill-ci secret" not in line:
        fail(recipe, f"job {job} prints a secret: {line}")


def emit(recipe, job, env, lines, out):
    words = " ".join(f"{k}={v}" for k, v in env.items())
    for line in lines:
        if re.match(r"\s*apt-get\b", line):
            continue
        check_line(recipe, job, line)
        out.append((recipe, job, words, line))


def literal_env(recipe, where, env):
    """A mapping's literal values; ${{ secrets.X }} / ${{ vars.X }} must keep the name X (the caller's)."""
    kept = {}
    for k, v in (env or {}).items():
        v = str(v)
        m = GH_SAME.match(v)
        if m:
            if m.group(2) != k:
                fail(recipe, f"{where}: {k} takes {v}: keep the same name")
            continue
        v = v.replace("${{ runner.temp }}", "$RUNNER_TEMP")
        if "${{" in v:
            fail(recipe, f"{where}: an expression this reader cannot put in: {v}")
        kept[k] = v
    return kept


def github(path):
    doc = yaml.safe_load(open(path))
    top = literal_env(path, "env", doc.get("env"))
    shards = int(top["SHARDS"])
    drill, merge = doc["jobs"]["drill"], doc["jobs"]["merge"]
    if "container" in drill or "container" in merge:
        fail(path, "the jobs run on the runner's own system, not in a container")
    values = drill["strategy"]["matrix"]["shard"]
    if sorted(values) != list(range(1, shards + 1)):
        fail(path, f"the matrix {values} does not cover shards 1..{shards}")
    if drill["strategy"].get("fail-fast") is not False or merge.get("needs") != "drill" or merge.get("if") != "always()":
        fail(path, "merge must need the drills and run even when one failed (and fail-fast off)")
    reporters = [s for s in merge["steps"] if "junit" in s.get("uses", "")]
    if not reporters or reporters[0]["with"]["report_paths"] != "sftpdrill-out/merged/junit.xml":
        fail(path, "the merge job must publish the merged junit.xml")
    out = []
    for job, name, shard in [(drill, f"drill {v}/{shards}", v) for v in values] + [(merge, "merge", None)]:
        env = dict(top, **literal_env(path, name, job.get("env")))
        if shard is not None:
            env["SHARD"] = str(shard)
        lines = []
        for step in job["steps"]:
            if "run" not in step:
                continue
            literal_env(path, name, step.get("env"))
            run = step["run"].replace("${{ matrix.shard }}", str(shard))
            if "${{" in run:
                fail(path, f"job {name}: an expression this reader cannot put in: {run}")
            lines += [l for l in run.splitlines() if l.strip()]
        emit(path, name, env, lines, out)
    return out


def gitlab(path):
    doc = yaml.safe_load(open(path))
    top = {k: str(v) for k, v in doc["variables"].items()}
    shards = int(top["SHARDS"])
    drill, merge = doc["drill"], doc["merge"]
    values = drill["parallel"]["matrix"][0]["SHARD"]
    if sorted(int(v) for v in values) != list(range(1, shards + 1)):
        fail(path, f"the matrix {values} does not cover shards 1..{shards}")
    if merge.get("when") != "always" or drill["artifacts"].get("when") != "always":
        fail(path, "merge must run even when a shard failed, and a failing shard must hand over its evidence")
    if merge["artifacts"]["reports"]["junit"] != "sftpdrill-out/merged/junit.xml":
        fail(path, "the merge job must report the merged junit.xml")
    before = doc["default"].get("before_script", [])
    out = []
    for v in values:
        emit(path, f"drill {v}/{shards}", dict(top, SHARD=str(v)), before + drill["script"], out)
    emit(path, "merge", top, before + merge["script"], out)
    return out


def jenkins(path):
    text = open(path).read()
    if "-u root" in text or "docker {" in text:
        fail(path, "the stages run as the agent's own user: nothing left owned by root in the workspace")
    top = dict(re.findall(r"^\s*(SHARDS|SFTPDRILL_ROSTER|SFTPDRILL_OUT)\s*=\s*'([^']*)'", text, re.M))
    shards = int(top["SHARDS"])
    axis = re.search(r"axis\s*\{\s*name\s+'SHARD'\s+values\s+([^\n]*)", text)
    values = [int(v) for v in re.findall(r"'(\d+)'", axis.group(1))]
    if sorted(values) != list(range(1, shards + 1)):
        fail(path, f"the axis {values} does not cover shards 1..{shards}")
    drill_at, merge_at = text.index("stage('drill')"), text.index("stage('merge')")
    drill_text, merge_text = text[drill_at:merge_at], text[merge_at:]
    if "catchError" not in drill_text or "stash" not in drill_text or "withCredentials" not in drill_text:
        fail(path, "a shard takes its keys with withCredentials and stashes its evidence even when it failed")
    if not re.search(r"always\s*\{\s*junit\s+testResults:\s*'sftpdrill-out/merged/junit.xml'", merge_text):
        fail(path, "the merge stage must record the merged junit.xml")

    def stage_env(part):
        env = {}
        for k, v in re.findall(r"^\s*(SFTPDRILL_[A-Z_]+)\s*=\s*\"([^\"]*)\"", part, re.M):
            env[k] = v.replace("${env.WORKSPACE_TMP}", "$WORKSPACE_TMP")
        return env
    sh = re.compile(r"\bsh\s+'([^']*)'")
    out = []
    for v in values:
        emit(path, f"drill {v}/{shards}", dict(top, SHARD=str(v), **stage_env(drill_text)), sh.findall(drill_text), out)
    emit(path, "merge", dict(top, **stage_env(merge_text)), sh.findall(merge_text), out)
    return out


def main():
    folder = sys.argv[1]
    jobs = gitlab(os.path.join(folder, "gitlab-ci.yml")) + github(os.path.join(folder, "github-actions.yml")) + \
        jenkins(os.path.join(folder, "Jenkinsfile"))
    for recipe, job, words, line in jobs:
        print(f"{os.path.basename(recipe)}\t{job}\t{words}\t{line}")


if __name__ == "__main__":
    main()
