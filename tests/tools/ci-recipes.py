#!/usr/bin/python3
"""ci-recipes.py — read the CI recipes in docs/ci/ the way their CI systems would, check that each
has what the issue asks (a matrix of shards covering 1..N, a merge after them, a JUnit report of the
merged junit.xml), and print, one per line, the jobs in the order the CI runs them:

    RECIPE<TAB>JOB<TAB>ENVIRONMENT<TAB>SHELL-COMMAND

ENVIRONMENT is what the CI puts in the job's environment (the matrix value, the pipeline's variables),
as NAME=VALUE words; GitHub's ${{ matrix.X }} is put into the command as GitHub would. The commands
are otherwise the file's own. Steps
that only install packages (apt-get) or move artifacts (`uses:`, stash) are left to the caller,
which shares one folder between jobs. Exit status 1 with the reason when a recipe is wrong.

Usage: ci-recipes.py DOCS-CI-FOLDER
"""
import os
import re
import sys

import yaml


def fail(recipe, why):
    sys.exit(f"{recipe}: {why}")


def shell_lines(recipe, job, lines, env):
    out = []
    words = " ".join(f"{k}={v}" for k, v in env.items())
    for line in lines:
        for k, v in env.items():
            line = line.replace("${{ matrix.%s }}" % k.lower(), v)
        if "${{" in line:
            fail(recipe, f"job {job}: an expression this reader cannot put in: {line}")
        if re.match(r"\s*apt-get\b", line):
            continue
        out.append((recipe, job, words, line))
    return out


def gitlab(path):
    doc = yaml.safe_load(open(path))
    shards = int(doc["variables"]["SHARDS"])
    drill, merge = doc["drill"], doc["merge"]
    values = drill["parallel"]["matrix"][0]["SHARD"]
    if sorted(int(v) for v in values) != list(range(1, shards + 1)):
        fail(path, f"the matrix {values} does not cover shards 1..{shards}")
    if merge.get("when") != "always" or merge["stage"] != doc["stages"][-1] or drill["stage"] != doc["stages"][0]:
        fail(path, "merge must come after the drills and run even when one failed")
    if drill["artifacts"].get("when") != "always":
        fail(path, "a failing shard must still hand over its evidence")
    if merge["artifacts"]["reports"]["junit"] != "sftpdrill-out/merged/junit.xml":
        fail(path, "the merge job must report the merged junit.xml")
    jobs = []
    for v in values:
        jobs += shell_lines(path, f"drill {v}/{shards}", drill["script"], {"SHARD": str(v), "SHARDS": str(shards)})
    return jobs + shell_lines(path, "merge", merge["script"], {"SHARDS": str(shards)})


def github(path):
    doc = yaml.safe_load(open(path))
    if True not in doc and "on" not in doc:   # YAML 1.1 reads the key `on` as true
        fail(path, "no trigger (on:)")
    shards = int(doc["env"]["SHARDS"])
    drill, merge = doc["jobs"]["drill"], doc["jobs"]["merge"]
    values = drill["strategy"]["matrix"]["shard"]
    if sorted(values) != list(range(1, shards + 1)):
        fail(path, f"the matrix {values} does not cover shards 1..{shards}")
    if drill["strategy"].get("fail-fast") is not False:
        fail(path, "fail-fast would cancel the other shards when one fails")
    if merge.get("needs") != "drill" or merge.get("if") != "always()":
        fail(path, "merge must need the drills and run even when one failed")
    reporters = [s for s in merge["steps"] if "junit" in s.get("uses", "")]
    if not reporters or reporters[0]["with"]["report_paths"] != "sftpdrill-out/merged/junit.xml":
        fail(path, "the merge job must publish the merged junit.xml")
    uploads = [s for s in drill["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    if not uploads or uploads[0].get("if") != "always()":
        fail(path, "a failing shard must still upload its evidence")
    jobs = []
    for v in values:
        jobs += shell_lines(path, f"drill {v}/{shards}", [s["run"] for s in drill["steps"] if "run" in s],
                            {"SHARD": str(v), "SHARDS": str(shards)})
    return jobs + shell_lines(path, "merge", [s["run"] for s in merge["steps"] if "run" in s], {"SHARDS": str(shards)})


def jenkins(path):
    """The declarative pipeline's shape, read with regular expressions (groovyc checks the syntax)."""
    text = open(path).read()
    shards = int(re.search(r"SHARDS\s*=\s*'(\d+)'", text).group(1))
    axis = re.search(r"axis\s*\{\s*name\s+'SHARD'\s+values\s+([^\n]*)", text)
    values = [int(v) for v in re.findall(r"'(\d+)'", axis.group(1))]
    if sorted(values) != list(range(1, shards + 1)):
        fail(path, f"the axis {values} does not cover shards 1..{shards}")
    drill_at, merge_at = text.index("stage('drill')"), text.index("stage('merge')")
    drill_text, merge_text = text[drill_at:merge_at], text[merge_at:]
    if "catchError" not in drill_text or "stash" not in drill_text:
        fail(path, "a failing shard must still stash its evidence")
    if not re.search(r"always\s*\{\s*junit\s+testResults:\s*'sftpdrill-out/merged/junit.xml'", merge_text):
        fail(path, "the merge stage must record the merged junit.xml")
    sh = re.compile(r"\bsh\s+'([^']*)'")
    jobs = []
    for v in values:
        jobs += shell_lines(path, f"drill {v}/{shards}", sh.findall(drill_text), {"SHARD": str(v), "SHARDS": str(shards)})
    return jobs + shell_lines(path, "merge", sh.findall(merge_text), {"SHARDS": str(shards)})


def main():
    folder = sys.argv[1]
    jobs = gitlab(os.path.join(folder, "gitlab-ci.yml")) + github(os.path.join(folder, "github-actions.yml")) + \
        jenkins(os.path.join(folder, "Jenkinsfile"))
    for recipe, job, words, line in jobs:
        print(f"{os.path.basename(recipe)}\t{job}\t{words}\t{line}")


if __name__ == "__main__":
    main()
