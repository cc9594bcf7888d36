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
  expect "docs/ci/vendor/Jenkinsfile is Groovy (groovyc compiles it)" groovy_ok docs/ci/vendor/Jenkinsfile
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

# ---- The vendor's recipes (docs/ci/vendor/): a repository that holds only its roster and a recipe ----
# Each job's commands as its CI runs them, as an unprivileged user (the CI's own), in a workspace of
# their own: sftpdrill unpacked from its package (no root), each key handed over as the CI's secret
# store does (GitHub: the value; GitLab and Jenkins: a file), the roster's accounts drilled on the mirror.
vjobs=$(/usr/bin/python3 tests/tools/vendor-recipes.py docs/ci/vendor 2>&1); vrc=$?
expect "vendor recipes: a shard matrix, a merge after it, the merged report, no root, every secret through sftpdrill-ci" \
  bash -c '[ "$1" = 0 ] && [ "$(grep -c "	merge	" <<<"$2")" = 6 ] && [ "$(grep -c "sftpdrill-ci\" secret" <<<"$2")" = 36 ]' _ "$vrc" "$vjobs"
if [ "$vrc" = 0 ] && command -v setpriv >/dev/null && command -v curl >/dev/null && command -v dpkg-deb >/dev/null; then
  vend=$(mktemp -d /tmp/sftpdrill-vendor.XXXXXX); chmod 755 "$vend"
  # The package a release would hold: what `make install` puts in it, built as a .deb.
  make --no-print-directory -s install DESTDIR="$vend/pkg" PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system >/dev/null 2>&1
  mkdir -p "$vend/pkg/DEBIAN"
  printf 'Package: sftpdrill\nVersion: 0.0-test\nArchitecture: %s\nMaintainer: test <test@example.org>\nDescription: test\n' \
    "$(dpkg --print-architecture)" > "$vend/pkg/DEBIAN/control"
  dpkg-deb --build --root-owner-group "$vend/pkg" "$vend/sftpdrill.deb" >/dev/null
  # Two accounts the mirror admits; their keys live in the CI's secret store, never in the repository.
  mkdir -p "$vend/store"
  for a in cp0042 cp0107; do
    ssh-keygen -q -t ed25519 -N '' -C "vendor-$a" -f "$vend/store/$a"
    cat "$vend/store/$a.pub" >> "$state/authorized_keys"
  done
  cp "$state/known_hosts" "$vend/store/known_hosts"
  # The state the sessions compare with: the last business day's listing, as that evening's backup records it.
  "$bin" snapshot --state-dir "$vend/state" -D RRS_PROFILE=local-mirror.profile --business-date 2023-04-14 \
    --now 2023-04-14T19:30:00+08:00 --report-dir "$vend/snap" --quiet "$S1" "$S2" >/dev/null 2>&1
  chown -R 65534:65534 "$vend"
  chmod 600 "$vend"/store/*
  rm -rf /tmp/sftpdrill /tmp/sftpdrill.deb /tmp/sftpdrill-secrets
  while IFS=$'\t' read -r recipe job vars cmd; do
    ws=$vend/ws-$recipe jt=$vend/tmp-$recipe-${job//[ \/]/-}
    if [ ! -d "$ws" ]; then
      # The documented roster, with the User ID the mirror admits.
      mkdir -p "$ws" && sed 's/,CP0[0-9]*,/,root,/' docs/ci/vendor/roster.csv > "$ws/roster.csv"
      cp "docs/ci/vendor/$recipe" "$ws/" && chown -R 65534:65534 "$ws"
    fi
    mkdir -p "$jt" && chown 65534:65534 "$jt"
    if [ "$recipe" = github-actions.yml ]; then k42=$(cat "$vend/store/cp0042") k107=$(cat "$vend/store/cp0107") kh=$(cat "$vend/store/known_hosts")
    else k42=$vend/store/cp0042 k107=$vend/store/cp0107 kh=$vend/store/known_hosts; fi
    (cd "$ws" && setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/usr/bin:/bin HOME="$jt" LANG=C.UTF-8 \
      RUNNER_TEMP="$jt" WORKSPACE_TMP="$jt" SFTPDRILL_DEB_URL="file://$vend/sftpdrill.deb" SFTPDRILL_STATE="$vend/state" \
      SFTPDRILL_ARGS="-D RRS_PROFILE=local-mirror.profile --business-date 2023-04-15 --now 2023-04-15T14:45:00+08:00" \
      CP0042_KEY="$k42" CP0107_KEY="$k107" RRS_KNOWN_HOSTS="$kh" SFTPDRILL_JOBS=2 \
      bash -c 'eval "export $1"; eval "$2"' _ "$vars" "$cmd") >> "$vend/$recipe.${job//[ \/]/-}.out" 2>&1
    echo $? >> "$vend/$recipe.${job//[ \/]/-}.rc"
    # What the job left in the CI's temporary folder: the secrets go with the shard's end.
    [[ "$cmd" == *" shard "* ]] && [ -e "$jt/sftpdrill-secrets" ] && echo "secrets left" >> "$vend/$recipe.${job//[ \/]/-}.rc"
  done <<<"$vjobs"
  for recipe in gitlab-ci.yml github-actions.yml Jenkinsfile; do
    expect "vendor $recipe: run as the CI's own user from a folder with only the roster: both accounts, every step passed" \
      bash -c 'cd "$1" && [ -z "$(cat "$2".*.rc | grep -v "^0$")" ] && grep -q "^4 bundles, 8 suites: 56 passed, 0 failed" "$2.merge.out" &&
        "$3" verify "ws-$2/sftpdrill-out/merged" >/dev/null' _ "$vend" "$recipe" "$root/$bin"
    expect "... no key in any job's output, nothing owned by root in the workspace, the secrets gone after each shard" \
      bash -c '! grep -rqF "$(sed -n 2p "$1/store/cp0042")" "$1"/"$2".*.out && ! grep -rq "PRIVATE KEY" "$1"/"$2".*.out &&
        [ -z "$(find "$1/ws-$2" ! -user 65534)" ] && ! grep -q "secrets left" "$1"/"$2".*.rc' _ "$vend" "$recipe"
  done
  [ -n "${SFTPDRILL_KEEP_WORK:-}" ] || rm -rf "$vend"
  rm -rf /tmp/sftpdrill /tmp/sftpdrill.deb /tmp/sftpdrill-secrets
else
  echo "# note: setpriv, curl or dpkg-deb missing (or the vendor recipes unreadable): the vendor recipes were not run" >&2
fi
