# 77-ci-recipes.sh — the CI recipes of docs/ci/ read as their CI systems read them (YAML, Groovy),
# then every job's own commands run here in the order the CI runs them: four shards, each on a
# mirror of its own (as each CI job has its machine), and the merge of what they handed over.
# Sourced by run.sh (its helpers and mirror).
ci=$work/ci
mkdir -p "$ci"
groovy_ok() {  # FILE: does Groovy's compiler read it? (a Jenkinsfile is a Groovy script)
  local jh=${JAVA_HOME:-}
  [ -n "$jh" ] && [ -x "$jh/bin/java" ] || jh=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  JAVA_HOME=$jh groovyc -d "$ci/groovy" "$1" > "$ci/groovyc.out" 2>&1
}
for y in gitlab-ci.yml github-actions.yml; do
  expect "docs/ci/$y is YAML" /usr/bin/python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "docs/ci/$y"
done
if command -v groovyc >/dev/null && command -v java >/dev/null; then
  expect "docs/ci/Jenkinsfile is Groovy (groovyc compiles it)" groovy_ok docs/ci/Jenkinsfile
  printf 'pipeline {\n  stages { stage("x") { steps { sh "true" } }\n' > "$ci/Broken.groovy"
  expect "... and the same check refuses a pipeline with a brace missing" bash -c '! "$@"' _ groovy_ok "$ci/Broken.groovy"
else
  echo "# note: groovyc or java absent: the Jenkinsfile's Groovy syntax is not checked" >&2
fi
jobs=$(/usr/bin/python3 tests/tools/ci-recipes.py docs/ci 2>&1); rc=$?
expect "each recipe has a matrix covering its shards, a merge after them even when one fails, and a JUnit report" \
  bash -c '[ "$1" = 0 ] && [ "$(grep -c "	drill " <<<"$2")" = 12 ] && [ "$(grep -c "	merge	" <<<"$2")" = 3 ]' _ "$rc" "$jobs"
mkdir -p "$ci/broken"
sed 's/"3", "4"/"3"/' docs/ci/gitlab-ci.yml > "$ci/broken/gitlab-ci.yml"
cp docs/ci/github-actions.yml docs/ci/Jenkinsfile "$ci/broken/"
expect "... and the reader refuses a matrix that leaves a shard out" \
  bash -c '! /usr/bin/python3 tests/tools/ci-recipes.py "$1" 2>&1 | grep -q "does not cover shards 1..4"; [ "${PIPESTATUS[0]}" != 0 ]' _ "$ci/broken"

# Each job's commands, as its CI runs them, each recipe in an output folder of its own. Every shard
# job starts its own mirror in a namespace of its own (a CI job has a machine to itself).
if unshare -n true 2>/dev/null && [ "$rc" = 0 ]; then
  while IFS=$'\t' read -r recipe job vars cmd; do
    # shellcheck disable=SC2086 # vars are NAME=VALUE words
    env -u SFTPDRILL_NETNS -u SFTPDRILL_MIRROR_USER -u MIRROR_USER SFTPDRILL="$root/$bin" \
      SFTPDRILL_CI_OUT="$ci/$recipe" SFTPDRILL_CI_ACCOUNTS=8 SFTPDRILL_CI_JOBS=2 $vars bash -c "$cmd" \
      > "$ci/$recipe.${job//[ \/]/-}.out" 2>&1
    echo $? > "$ci/$recipe.${job//[ \/]/-}.rc"
  done <<<"$jobs"
  for recipe in gitlab-ci.yml github-actions.yml Jenkinsfile; do
    expect "$recipe: its four shard jobs and its merge job, run as written: 8 accounts once each, every step passed" \
      bash -c 'cd "$1" && for k in 1 2 3 4; do [ "$(cat "$2.drill-$k-4.rc")" = 0 ] || exit 1; done &&
        [ "$(cat "$2.merge.rc")" = 0 ] && grep -q "^4 bundles, 32 suites: 224 passed, 0 failed" "$2.merge.out" &&
        [ "$(xmllint --xpath "count(//testsuite)" "$2/merged/junit.xml")" = 32 ] &&
        [ "$(xmllint --xpath "//property[@name=\"account\"]/@value" "$2/merged/junit.xml" | grep -o "value=\"[^\"]*\"" | sort -u | wc -l)" = 8 ] &&
        [ "$(ls -d "$2"/shards/*-shard-*-of-4 | wc -l)" = 4 ] && "$3" verify "$2/merged" >/dev/null' _ "$ci" "$recipe" "$root/$bin"
  done
  expect "... each shard's mirror stopped: no sshd of theirs left" bash -c '! pgrep -f "sftpdrill-ci\." >/dev/null'
  expect "... and every account's evidence verifies alone" \
    bash -c 'n=0; for b in "$1"/*/shards/*/accounts/*/; do "$2" verify "$b" >/dev/null || exit 1; n=$((n + 1)); done; [ "$n" = 24 ]' \
    _ "$ci" "$root/$bin"
else
  echo "# note: no namespace for the recipes' own mirrors here (or the recipes could not be read): their jobs are not run" >&2
fi
