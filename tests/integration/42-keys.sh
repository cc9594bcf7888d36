# 42-keys.sh — integration tests: RSA keys and host keys, and the key exchange that was negotiated.
# With libssh2 >= 1.11 an RSA key logs in (rsa-sha2-*); with 1.10 (LIBSSH2=system on Debian 12) the
# diagnosis is exact, before connecting (`check`, `run`) and after (AuthRejected).
if "$bin" version | grep -qE "libssh2 1\.(1[1-9]|[2-9][0-9])"; then lib111=1; else lib111=""; fi
login_drill=$(mkdrill login-rsa.drill 'target secondary
step "Login" login
step "Logout" logout')

# RSA-3072 user keys: OpenSSH and PEM formats, plain and encrypted; each registered with the server.
rsa_pp='Rsa-Pp-4471-NEVER-PRINT'
ssh-keygen -q -t rsa -b 3072 -N '' -f "$work/rsa-openssh" -C rsa-openssh
ssh-keygen -q -t rsa -b 3072 -N '' -m PEM -f "$work/rsa-pem" -C rsa-pem
ssh-keygen -q -t rsa -b 3072 -N "$rsa_pp" -f "$work/rsa-openssh-enc" -C rsa-openssh-enc
ssh-keygen -q -t rsa -b 3072 -N "$rsa_pp" -m PEM -f "$work/rsa-pem-enc" -C rsa-pem-enc
cat "$work"/rsa-*.pub >> "$state/authorized_keys"
# A PEM key whose .pub is not beside it: its type still shows in its header.
mv "$work/rsa-pem.pub" "$work/rsa-pem.pub.kept"
for k in rsa-openssh rsa-pem rsa-openssh-enc rsa-pem-enc; do
  out=$(RRS_KEY_PASSPHRASE=$rsa_pp guarded "$bin" run --report-dir "$work/rsa-reports" -D RRS_PROFILE=local-mirror.profile \
    --business-date 2023-04-15 -D RRS_KEY="$work/$k" "$login_drill" 2>&1); rc=$?; junit=$(sed -n 's/^report: //p' <<<"$out")
  if [ -n "$lib111" ]; then
    expect "RSA-3072 user key ($k) logs in to OpenSSH 9 with libssh2 >= 1.11" eq "$rc" 0
  else
    expect "RSA-3072 user key ($k) with libssh2 1.10: RsaSha1Refused that says SHA-1 and the libssh2 to build with" \
      bash -c '[ "$(xmllint --xpath "string((//failure/@type)[1])" "$1")" = RsaSha1Refused ] && grep -q "signs RSA keys only with SHA-1" "$1" && grep -q "libssh2 1.11 or later" "$1"' _ "$junit"
    expect "... and run warned about it before connecting, labelled once; the recap's fix names the libssh2, not the User ID" \
      bash -c 'grep -q "warning: .*$1 is RSA.*the login will fail" <<<"$2" && ! grep -q "warning: .*: warning: " <<<"$2" &&
        grep -q "fix: build sftpdrill with libssh2 1.11 or later" <<<"$2" && ! grep -q "fix: check the User ID" <<<"$2"' _ "$k" "$out"
  fi
done
expect "... no RSA passphrase in any report or on the terminal" \
  bash -c '! grep -rqF "$1" "$2" && ! grep -qF "$1" <<<"$3"' _ "$rsa_pp" "$work/rsa-reports" "$out"
mv "$work/rsa-pem.pub.kept" "$work/rsa-pem.pub"
out=$("$bin" check -D RRS_PROFILE=local-mirror.profile -D RRS_KEY="$work/rsa-pem" "$S1" 2>&1); rc=$?
if [ -n "$lib111" ]; then
  expect "check: no RSA warning with libssh2 >= 1.11" bash -c '[ "$1" = 0 ] && ! grep -q "is RSA" <<<"$2"' _ "$rc" "$out"
else
  expect "check warns about an RSA key with libssh2 1.10, at the profile line" \
    grep -qE "rrs-common.profile:[0-9]+:[0-9]+: warning: private key .*rsa-pem is RSA" <<<"$out"
fi

# The same RSA key through ssh-agent.
ssh-agent -a "$work/rsa-agent.sock" > "$work/rsa-agent.env"
fixture_pids+=("$(sed -n 's/^SSH_AGENT_PID=\([0-9]*\).*/\1/p' "$work/rsa-agent.env")")
SSH_AUTH_SOCK="$work/rsa-agent.sock" ssh-add -q "$work/rsa-openssh" 2>/dev/null
out=$(SSH_AUTH_SOCK="$work/rsa-agent.sock" guarded "$bin" run --report-dir "$work/reports" -D RRS_PROFILE=local-mirror.profile \
  --business-date 2023-04-15 -D RRS_KEY=ssh-agent "$login_drill" 2>&1); rc=$?; junit=$(sed -n 's/^report: //p' <<<"$out")
if [ -n "$lib111" ]; then
  expect "an RSA key held by ssh-agent logs in" bash -c '[ "$1" = 0 ] && grep -q "$2" "$3"' _ "$rc" \
    "$(ssh-keygen -lf "$work/rsa-openssh.pub" | cut -d' ' -f2)" "$junit"
else
  expect "an RSA key held by ssh-agent with libssh2 1.10: AuthRejected" eq "$(xval '(//failure/@type)[1]')" AuthRejected
fi

# What the key exchange settled, recorded truthfully.
run_drill "$login_drill"
if [ -n "$lib111" ]; then
  expect "strict key exchange recorded (kex.strict yes: OpenSSH offers it, libssh2 1.11 asks for it)" \
    eq "$(xval "//testsuite[1]/properties/property[@name='kex.strict']/@value")" yes
  expect "... and in the transcript" grep -q "kex-strict: yes" "$(dirname "$junit")/transcript.log"
  expect "curve25519 key exchange and an encrypt-then-MAC MAC were chosen" \
    eq "$(xval "//testsuite[1]/properties/property[@name='kex']/@value") $(xval "//testsuite[1]/properties/property[@name='mac.server-to-client']/@value")" \
    "curve25519-sha256 hmac-sha2-256-etm@openssh.com"
else
  expect "libssh2 1.10: no strict key exchange, and the report says so" \
    eq "$(xval "//testsuite[1]/properties/property[@name='kex.strict']/@value")" no
fi
expect "what the server offered is recorded" \
  bash -c 'grep -q "name=\"server.kex-algorithms\" value=\"[^\"]*curve25519-sha256" "$1"' _ "$junit"

# An RSA-only server that refuses SHA-1, as OpenSSH does by default.
staterh=$(mktemp -d /run/sftpdrill-rsa.XXXXXX)
SFTPDRILL_MIRROR_PORT=10028 SFTPDRILL_MIRROR_HOSTKEYS=rsa tests/mirror/mirror.sh start "$staterh" 2>/dev/null
rsahost=(-D RRS_SECONDARY=127.152.14.121:10028,127.152.14.122:10028 -D RRS_KEY="$staterh/user_ed25519"
  -D RRS_KNOWN_HOSTS="$staterh/known_hosts")
guarded_run "${rsahost[@]}" "$login_drill"
if [ -n "$lib111" ]; then
  expect "an RSA-only host key: verified with rsa-sha2-512, never SHA-1" \
    bash -c '[ "$1" = 0 ] && [ "$2" = rsa-sha2-512 ] && [ "$3" = ssh-rsa ]' _ "$rc" \
    "$(xval "//testsuite[1]/properties/property[@name='hostkey.algorithm']/@value")" \
    "$(xval "//testsuite[1]/properties/property[@name='hostkey.type']/@value")"
  expect "... its fingerprint recorded" eq "$(xval "//testsuite[1]/properties/property[@name='hostkey.sha256']/@value")" \
    "$(node_fp "$staterh" 127.152.14.121 rsa)"
  : > "$work/rsa_tofu_known_hosts"
  guarded_run --trust-on-first-use "${rsahost[@]}" -D RRS_KNOWN_HOSTS="$work/rsa_tofu_known_hosts" "$login_drill"
  expect "... trust on first use writes it as ssh-rsa, as OpenSSH does" \
    bash -c '[ "$1" = 0 ] && grep -q "^\[127.152.14.121\]:10028 ssh-rsa " "$2"' _ "$rc" "$work/rsa_tofu_known_hosts"
else
  expect "an RSA-only host key with libssh2 1.10: HostKeyUnsupported naming the way out, no packet of SHA-1" \
    bash -c '[ "$(xmllint --xpath "string((//error/@type)[1])" "$1")" = HostKeyUnsupported ] && grep -q "libssh2 1.11 or later" "$1"' _ "$junit"
fi
SFTPDRILL_MIRROR_PORT=10028 tests/mirror/mirror.sh stop "$staterh"; rm -rf "$staterh"
