# 80-errors.sh — integration tests: usage and drill errors. Sourced by run.sh (its helpers and mirror).
printf 'include "%s/scenarios/hkex-rrs/local-mirror.profile"\ntarget secondary\nstep "a" donwload x\n' "$root" > "$work/bad.drill"
out=$("$bin" run --report-dir "$work/reports" "$work/bad.drill" 2>&1); rc=$?
expect "a broken drill: exit 2 with FILE:LINE:COL and a suggestion" \
  grep -q "bad.drill:3:10: error: unknown step verb \`donwload\`; did you mean \`download\`?" <<<"$out"
expect "... exit status 2" eq "$rc" 2
# Broken drills: each gets exit 2 and a FILE:LINE:COL: message, never a crash.
mkdir -p "$work/broken"
head -c 3000 /dev/urandom > "$work/broken/garbage.drill"
printf 'target x\nstep "a\0" login\n' > "$work/broken/nul.drill"
printf 'drill "unterminated\n' > "$work/broken/quote.drill"
printf 'step "a" upload x\n' > "$work/broken/verb.drill"
printf 'user ${SD_SURELY_UNDEFINED_VAR}\n' > "$work/broken/undefined.drill"
printf 'include "cycle.drill"\n' > "$work/broken/cycle.drill"
printf 'include "not-there.profile"\n' > "$work/broken/missing-include.drill"
head -c 2000000 /dev/zero | tr '\0' 'x' > "$work/broken/huge-line.drill"
for f in "$work"/broken/*.drill; do
  out=$("$bin" check "$f" 2>&1); rc=$?
  expect "broken drill $(basename "$f"): exit 2 with FILE:LINE:COL" \
    bash -c '[ "$1" = 2 ] && grep -qE "^$2:[0-9]+:[0-9]+: error: " <<<"$3"' _ "$rc" "$f" "$out"
done

cp "$state/user_ed25519" "$work/loose_key"; chmod 644 "$work/loose_key"
out=$("$bin" check -D RRS_PROFILE=local-mirror.profile -D RRS_KEY="$work/loose_key" "$S1" 2>&1); rc=$?
expect "check warns about a key readable by others, at the profile line" \
  grep -qE "rrs-common.profile:[0-9]+:[0-9]+: warning: private key .* is open to group or others \(mode 644\), which OpenSSH refuses to use: run .chmod 600 " <<<"$out"
expect "... exit 0 without --strict" eq "$rc" 0
out=$("$bin" check --strict -D RRS_PROFILE=local-mirror.profile -D RRS_KEY="$work/loose_key" "$S1" 2>&1); rc=$?
expect "... exit 2 with --strict" eq "$rc" 2
out=$("$bin" check -D RRS_PROFILE=local-mirror.profile -D RRS_KNOWN_HOSTS="$work/empty_known_hosts" "$S1" 2>&1)
expect "check warns when known_hosts has no key for an endpoint" grep -q "no host key for 127.152.14.121:10022" <<<"$out"

# run applies the real client's rules before its first packet: a listener counts connections.
"$BUILD/silent-listener" 127.152.14.121 10094 60 > "$work/preflight.out" & fixture_pids+=($!)
ready "$work/preflight.out"
pre=(run --report-dir "$work/preflight-reports" -D RRS_PROFILE=local-mirror.profile -D RRS_SECONDARY=127.152.14.121:10094
  --business-date 2023-04-15)
out=$("$bin" "${pre[@]}" -D RRS_KEY="$work/loose_key" -D RRS_USER=CHANGE-ME-USER-ID -D RRS_SECNDARY=x "$S1" 2>&1); rc=$?
expect "run: a mistyped -D name, exit 2, with the name meant" \
  bash -c '[ "$1" = 2 ] && grep -q "^sftpdrill: -D RRS_SECNDARY: no drill or profile uses this name; did you mean RRS_SECONDARY?" <<<"$2"' _ "$rc" "$out"
out=$("$bin" "${pre[@]}" -D RRS_KEY="$work/loose_key" -D RRS_USER=CHANGE-ME-USER-ID "$S1" 2>&1); rc=$?
expect "run: a key open to others and the placeholder User ID, both reported at once; exit 2, nothing sent, both in the refusal's bundle" \
  bash -c '[ "$1" = 2 ] && grep -q "error: private key .* is open to group or others .*chmod 600" <<<"$2" &&
    grep -q "error: user is still the placeholder \"CHANGE-ME-USER-ID\"" <<<"$2" && grep -q "pre-flight failed; nothing was sent" <<<"$2" &&
    ! grep -q accepted "$3" && j=$(sed -n "s/^report: //p" <<<"$2") && [ "${j#$4/}" != "$j" ] &&
    grep -q "open to group or others" "${j%/*}/transcript.log" && grep -q "placeholder" "${j%/*}/transcript.log"' \
  _ "$rc" "$out" "$work/preflight.out" "$work/preflight-reports"
home_key=$HOME/.sftpdrill-it-key.$$; cp "$state/user_ed25519" "$home_key"; chmod 600 "$home_key"
out=$("$bin" plan -D RRS_PROFILE=local-mirror.profile -D RRS_KEY="~/${home_key##*/}" "$S1" 2>&1)
expect "a key path given as ~/... is the home folder's (cron's sh leaves it literal)" grep -q "^key      $home_key$" <<<"$out"
rm -f "$home_key"

d=$(mkdrill secret.drill 'target secondary
step "uses a secret" download "/reports/${RRS_KEY_PASSPHRASE}/x"')
out=$("$bin" plan -D RRS_KEY_PASSPHRASE=Sup3r-S3cret "$d" 2>&1); rc=$?
expect "plan masks secrets" bash -c '[ "$1" = 0 ] && ! grep -q Sup3r-S3cret <<<"$2" && grep -q "/reports/\*\*\*/x" <<<"$2"' _ "$rc" "$out"

out=$("$bin" 2>&1); rc=$?
expect "no arguments: usage, exit 2" eq "$rc" 2
out=$("$bin" run --no-such-option x 2>&1); rc=$?
expect "unknown option: exit 2" eq "$rc" 2

# The help and the man page are true to the option table: every option the program takes is in both.
opts=$(grep -o '\(FLAG\|STRING\|FN\)("[a-z-]*"' "$root/harness/sftpdrill.c" | sed 's/.*("\(.*\)"/\1/' | grep -v '^define$')
expect "every option of the program is in \`sftpdrill help\` and in the man page" \
  bash -c 'for o in $1; do grep -q -- "--$o\b" <<<"$2" || { echo "help lacks --$o"; exit 1; };
    tr -d "\\\\" < "$3" | grep -q -- "--$o\b" || { echo "man page lacks --$o"; exit 1; }; done' \
  _ "$opts" "$("$bin" help; for c in run check plan snapshot business-day verify sign record merge status; do "$bin" help $c; done)" "$root/harness/sftpdrill.1"
