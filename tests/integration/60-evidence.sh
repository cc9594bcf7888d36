# 60-evidence.sh — integration tests: the evidence bundle. Sourced by run.sh (its helpers and mirror).
bundle=$(dirname "$first_report")
expect "the run folder is a bundle: junit.xml, summary.html, transcript.log, RUN-INFO, downloads/, MANIFEST" \
  bash -c 'cd "$1" && ls junit.xml summary.html transcript.log RUN-INFO MANIFEST downloads/SHA256SUMS >/dev/null' _ "$bundle"
expect "... downloads/SHA256SUMS checks with sha256sum -c" bash -c 'cd "$1/downloads" && sha256sum --quiet -c SHA256SUMS' _ "$bundle"
expect "... MANIFEST checks with sha256sum -c" bash -c 'cd "$1" && sha256sum --quiet -c MANIFEST' _ "$bundle"
expect "... the transcript has UTC and Hong Kong times for each phase" \
  bash -c 'grep -qE "^[0-9T:.-]+Z  [0-9 :.-]+ HKT  \[127.152.14.121:10022\] step .* host-key: host key ssh-ed25519 SHA256:" "$1/transcript.log"' _ "$bundle"
expect "... RUN-INFO names the operator, versions and each drill file's SHA-256" \
  bash -c 'grep -q "^operator: " "$1/RUN-INFO" && grep -q "^libraries: libssh2" "$1/RUN-INFO" && grep -q "^drill-file: $(sha256sum "$2" | cut -c1-64)  $2" "$1/RUN-INFO"' _ "$bundle" "$S1"
out=$("$bin" verify "$bundle" 2>&1); rc=$?
expect "verify passes on a fresh bundle" eq "$rc" 0
cp -r "$bundle" "$work/tampered"
printf 'X' | dd of="$work/tampered/junit.xml" bs=1 seek=100 conv=notrunc 2>/dev/null
out=$("$bin" verify "$work/tampered" 2>&1); rc=$?
expect "verify names a one-byte change" bash -c '[ "$1" = 1 ] && grep -q "^junit.xml: changed" <<<"$2"' _ "$rc" "$out"
rm -rf "$work/tampered"; cp -r "$bundle" "$work/tampered"
rm "$work/tampered/transcript.log"; echo extra > "$work/tampered/downloads/note.txt"
out=$("$bin" verify "$work/tampered" 2>&1); rc=$?
expect "verify names a missing and an extra file" \
  bash -c '[ "$1" = 1 ] && grep -q "^transcript.log: missing" <<<"$2" && grep -q "^downloads/note.txt: extra" <<<"$2"' _ "$rc" "$out"

openssl genpkey -algorithm ed25519 -out "$work/ed.pem" 2>/dev/null && openssl pkey -in "$work/ed.pem" -pubout -out "$work/ed.pub"
openssl ecparam -name prime256v1 -genkey -noout -out "$work/ec.pem" && openssl pkey -in "$work/ec.pem" -pubout -out "$work/ec.pub"
run_drill --sign-key "$work/ed.pem" "$S1"; signed=$(dirname "$junit")
expect "an Ed25519-signed bundle verifies with stock openssl pkeyutl" \
  openssl pkeyutl -verify -pubin -inkey "$work/ed.pub" -rawin -in "$signed/MANIFEST" -sigfile "$signed/MANIFEST.sig"
out=$("$bin" verify --pub "$work/ed.pub" "$signed" 2>&1); rc=$?
expect "... and with sftpdrill verify --pub" eq "$rc" 0
out=$("$bin" verify --pub "$work/ec.pub" "$signed" 2>&1); rc=$?
expect "... but not with another key: intact (the files), the signature by a key not given, that key signed nothing" \
  bash -c '[ "$1" = 1 ] && grep -q ": intact (every file matches MANIFEST; 1 signature)" <<<"$2" &&
    grep -q "^signature MANIFEST.sig: signed by the key beside it (signer.pub.pem), which was not given" <<<"$2" &&
    grep -q "^key .*ec.pub: signed no signature of this bundle" <<<"$2"' _ "$rc" "$out"
run_drill --sign-key "$work/ec.pem" "$S1"; signed=$(dirname "$junit")
expect "an ECDSA-signed bundle verifies with stock openssl dgst" \
  openssl dgst -sha256 -verify "$work/ec.pub" -signature "$signed/MANIFEST.sig" "$signed/MANIFEST"
printf 'X' | dd of="$signed/MANIFEST" bs=1 seek=10 conv=notrunc 2>/dev/null
out=$("$bin" verify --pub "$work/ec.pub" "$signed" 2>&1); rc=$?
expect "... and a changed MANIFEST breaks the signature: BAD" bash -c '[ "$1" = 1 ] && grep -q "^signature MANIFEST.sig: BAD" <<<"$2"' _ "$rc" "$out"

# A passphrase-protected key: the passphrase must appear in no output at all.
secret_pp='Pp-9f2c-NEVER-PRINT-ME'
ssh-keygen -q -t ed25519 -N "$secret_pp" -f "$work/encrypted" -C encrypted
cat "$work/encrypted.pub" >> "$state/authorized_keys"
# A drill that uses a secret-looking -D value (EXTRA_TOKEN) as well as the encrypted key.
d=$(mkdrill token.drill 'set SEEN_TOKEN "${EXTRA_TOKEN}"
target secondary
step "Login" login
step "Download TP001" download "${RRS_REPORT_DIR}/${RRS_TP001_PATTERN}"
step "Logout" logout')
out=$(RRS_KEY_PASSPHRASE=$secret_pp "$bin" run --report-dir "$work/secret-reports" -D RRS_PROFILE=local-mirror.profile \
  -D RRS_DOWNLOAD_DIR="$work/downloads" --business-date 2023-04-15 -D RRS_KEY="$work/encrypted" \
  -D EXTRA_TOKEN="$secret_pp" "$d" 2>&1); rc=$?
expect "an encrypted key logs in with RRS_KEY_PASSPHRASE" eq "$rc" 0
expect "... and the passphrase is in no file of the bundle nor on the terminal" \
  bash -c '! grep -rqF "$1" "$2" "$3" && ! grep -qF "$1" <<<"$4"' _ "$secret_pp" "$work/secret-reports" "$SFTPDRILL_STATE" "$out"
expect "... while the masked -D value is recorded as ***" grep -q "^definition: -D EXTRA_TOKEN=\*\*\*" "$work"/secret-reports/*/RUN-INFO

# Hostile names on the server: XML stays well-formed, HTML stays inert, nothing unsafe touches disk.
for n in '<img src=x onerror=alert(1)>.csv' 'a]]>b&amp;c.csv' $'tab\there.csv' $'new\nline.csv' $'bad\xff\xfeutf8.csv' \
         $'\x1b[31mred.csv' "$(printf 'L%.0s' {1..240}).csv"; do
  printf 'x' > "$state/secondary/root/reports/$n"
done
run_drill "$S1"
expect "hostile names are counted and listed (CountMismatch)" eq "$(xval '(//failure/@type)[1]')" CountMismatch
[ -n "$schemas" ] && expect "... the JUnit stays valid" "$BUILD/junit-check" "$junit" "$schemas"
expect "... the HTML has no live markup from the server" \
  bash -c 'grep -q "&lt;img src=x onerror=alert(1)&gt;" "$1" && ! grep -q "<img" "$1" && xmllint --html --noout "$1" 2>/dev/null' _ "$(dirname "$junit")/summary.html"
d=$(mkdrill hostile.drill 'target secondary
step "Download everything" download "/reports/*"')
run_drill -D RRS_DOWNLOAD_DIR="$work/hostile-dl" "$d"
expect "... a name that cannot be a local file is refused: UnsafeName" eq "$(xval '(//failure/@type)[1]')" UnsafeName
expect "... and nothing was written outside the download folder" eq "$(find "$work" -maxdepth 1 -name '*script*' | wc -l)" 0
rm -f "$state"/secondary/root/reports/{'<img'*,'a]]>'*,tab*,new*,bad*,$'\x1b'*,LLLL*}

if command -v chromium >/dev/null && command -v pdftotext >/dev/null; then
  html=$(dirname "$first_report")/summary.html
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/chromium" --print-to-pdf="$work/summary.pdf" "file://$html" >/dev/null 2>&1
  pdftotext -layout "$work/summary.pdf" "$work/summary.txt" 2>/dev/null
  pdftotext -layout -f 1 -l 1 "$work/summary.pdf" "$work/page1.txt" 2>/dev/null
  expect "summary.html printed to PDF by headless Chromium shows every step's status" \
    bash -c '[ "$(grep -ow passed "$1" | wc -l)" -ge 29 ] && grep -q "ALL STEPS PASSED: 28 of 28" "$1" && grep -q "File count" "$1"' _ "$work/summary.txt"
  expect "... on A4, page 1 holding the verdict, the facts and the whole steps × endpoints matrix" \
    bash -c 'pdfinfo "$1" | grep -q "^Page size: .* pts (A4)$" && pages=$(pdfinfo "$1" | sed -n "s/^Pages: *//p") &&
      [ "$pages" -ge 2 ] && grep -q "ALL STEPS PASSED: 28 of 28" "$2" &&
      for w in "Window status" Operator "Business date" "User ID" "User key SHA256" "127.152.14.121:10022" "127.151.14.122:10022" \
        "Download TP002" "Logout"; do grep -q "$w" "$2" || { echo "#   page 1 lacks $w" >&2; exit 1; }; done &&
      [ "$(grep -c "Logout" "$2")" -ge 2 ] && ! grep -q "Key exchange\|Cipher" "$2"' _ "$work/summary.pdf" "$work/page1.txt"
  # The timeline: a bar per step on page one, the window said in words, and a picture of it.
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --window-size=1000,1400 \
    --user-data-dir="$work/chromium" --screenshot="$work/summary.png" "file://$html" >/dev/null 2>&1
  expect "... page 1 draws a timeline: one bar per step and endpoint, inline SVG with no script, said in words too" \
    bash -c '[ "$(grep -o "<rect x=\"[0-9.]*\" y=\"[0-9.]*\" width=\"[0-9.]*\" height=\"12\" fill=\"#2e7d32\"" "$1" | wc -l)" = 28 ] &&
      grep -q "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"timeline-caption\"" "$1" &&
      ! grep -qi "<script" "$1" && grep -q "Timeline of the steps" "$2" &&
      grep -q "The window 2023-04-15 14:30 15:30 Asia/Hong_Kong" "$1" && [ -s "$3" ]' _ "$html" "$work/page1.txt" "$work/summary.png"
else
  echo "# note: chromium or pdftotext missing: summary rendering test skipped" >&2
fi

# ---- Signing: before the first packet, and afterwards (countersignatures) ----
"$BUILD/silent-listener" 127.152.14.121 10092 60 > "$work/sign-listen.out" & fixture_pids+=($!)
ready "$work/sign-listen.out"
d=$(mkdrill sign-target.drill 'endpoints quiet "127.152.14.121:10092"
target quiet
step "Login" login timeout 2s')
openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048 -out "$work/rsa.pem" 2>/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$work/ssh-ed" -C not-a-pem
openssl genpkey -algorithm ed25519 -aes-256-cbc -pass pass:sign-pp-4242 -out "$work/ed-enc.pem" 2>/dev/null
openssl pkey -in "$work/ed-enc.pem" -passin pass:sign-pp-4242 -pubout -out "$work/ed-enc.pub"
for k in "$work/missing.pem:cannot" "$work/rsa.pem:RSA" "$work/ssh-ed:" "$work/ed.pub:" "$work/ed-enc.pem:"; do
  key=${k%%:*}; word=${k#*:}
  out=$("$bin" run --report-dir "$work/sign-reports" --sign-key "$key" "$d" 2>&1); rc=$?
  expect "a --sign-key that cannot sign (${key##*/}): exit 2 before any connection, the refusal recorded in a sealed bundle" \
    bash -c '[ "$1" = 2 ] && grep -q "^sftpdrill: --sign-key: .*nothing was run$" <<<"$2" && grep -qi -- "$3" <<<"$2" &&
      ! grep -q accepted "$4" && j=$(sed -n "s/^report: //p" <<<"$2") && [ "${j%/*}" != "" ] &&
      [ "$(xmllint --xpath "count(//testcase/error[@type=\"PreflightRefused\"])" "$j")" = 1 ] &&
      grep -q -- "--sign-key" "${j%/*}/transcript.log" && "$5" verify "${j%/*}" >/dev/null' \
    _ "$rc" "$out" "$word" "$work/sign-listen.out" "$bin"
done
out=$(SFTPDRILL_SIGN_PASSPHRASE=sign-pp-4242 "$bin" run --report-dir "$work/sign-reports" --sign-key "$work/ed-enc.pem" "$d" 2>&1); rc=$?
expect "... an encrypted signing key with SFTPDRILL_SIGN_PASSPHRASE signs (the run itself fails: nobody answers)" \
  bash -c '[ "$1" = 1 ] && grep -q accepted "$2" && "$3" verify --pub "$4" "$(dirname "$(sed -n "s/^report: //p" <<<"$6")")" >/dev/null &&
    ! grep -rqF sign-pp-4242 "$5"' _ "$rc" "$work/sign-listen.out" "$bin" "$work/ed-enc.pub" "$work/sign-reports" "$out"

run_drill --sign-key "$work/ed.pem" "$S1"; signed=$(dirname "$junit")
out=$("$bin" sign --key "$work/ec.pem" "$signed" 2>&1); rc=$?
expect "sign adds a countersignature to a sealed bundle: MANIFEST.sig.2 beside MANIFEST.sig" \
  bash -c '[ "$1" = 0 ] && [ -s "$2/MANIFEST.sig" ] && [ -s "$2/MANIFEST.sig.2" ] && [ -s "$2/signer.2.pub.pem" ]' _ "$rc" "$signed"
out=$("$bin" verify --pub "$work/ed.pub" --pub "$work/ec.pub" "$signed" 2>&1); rc=$?
expect "... verify --pub with both keys checks both signatures" \
  bash -c '[ "$1" = 0 ] && grep -q "intact (every file matches MANIFEST; 2 signatures)" <<<"$2" &&
    grep -q "^signature MANIFEST.sig: verified with .*ed.pub" <<<"$2" && grep -q "^signature MANIFEST.sig.2: verified with .*ec.pub" <<<"$2"' _ "$rc" "$out"
out=$("$bin" verify --pub "$work/ed.pub" "$signed" 2>&1); rc=$?
expect "... with the operator's key only: intact, the operator's verified, the countersignature by a key not given (exit 0)" \
  bash -c '[ "$1" = 0 ] && grep -q ": intact (every file matches MANIFEST; 2 signatures)" <<<"$2" &&
    grep -q "^signature MANIFEST.sig: verified with" <<<"$2" &&
    grep -q "^signature MANIFEST.sig.2: signed by the key beside it (signer.2.pub.pem), which was not given" <<<"$2"' _ "$rc" "$out"
cp "$signed/MANIFEST.sig.2" "$signed/MANIFEST.sig.evil"; cp "$signed/signer.2.pub.pem" "$signed/signer.x.pub.pem"
out=$("$bin" verify --pub "$work/ed.pub" "$signed" 2>&1); rc=$?
expect "... a file named like a signature that is no signature slot is named as extra" \
  bash -c '[ "$1" = 1 ] && grep -q "^MANIFEST.sig.evil: extra (not in MANIFEST)" <<<"$2" && grep -q "^signer.x.pub.pem: extra" <<<"$2"' _ "$rc" "$out"
rm -f "$signed/MANIFEST.sig.evil" "$signed/signer.x.pub.pem"
openssl genpkey -algorithm ed25519 -out "$work/ed2.pem" 2>/dev/null && openssl pkey -in "$work/ed2.pem" -pubout -out "$work/ed2.pub"
out=$("$bin" verify --pub "$work/ed.pub" --pub "$work/ec.pub" --pub "$work/ed2.pub" "$signed" 2>&1); rc=$?
expect "... and a key that signed nothing is named" bash -c '[ "$1" = 1 ] && grep -q "ed2.pub: signed no signature of this bundle" <<<"$2"' _ "$rc" "$out"
run_drill "$S1"; unsigned=$(dirname "$junit")
"$bin" sign --key "$work/ed.pem" "$unsigned" >/dev/null 2>&1
out=$("$bin" verify --pub "$work/ed.pub" "$unsigned" 2>&1); rc=$?
expect "sign seals an unsigned bundle after the fact" eq "$rc" 0
printf 'X' | dd of="$unsigned/transcript.log" bs=1 seek=5 conv=notrunc 2>/dev/null
out=$("$bin" sign --key "$work/ec.pem" "$unsigned" 2>&1); rc=$?
expect "... but never one that changed since it was sealed (exit 1, no new signature)" \
  bash -c '[ "$1" = 1 ] && grep -q "is not intact" <<<"$2" && [ ! -e "$3/MANIFEST.sig.2" ]' _ "$rc" "$out" "$unsigned"
out=$("$bin" sign --key "$work/rsa.pem" "$signed" 2>&1); rc=$?
expect "... nor with a key that cannot sign (exit 2)" eq "$rc" 2

# ---- What verify accepts and rejects ----
run_drill -D RRS_DOWNLOAD_DIR="$work/standalone-dl" "$S1"; sb=$(dirname "$junit")
work_copy=$work/standalone-dl/127.152.14.121_10022/reports/TP001_CP0001_20230414.csv
ev_copy=$sb/downloads/127.152.14.121_10022/reports/TP001_CP0001_20230414.csv
expect "downloads enter the bundle as files of their own (one link each), identical to the working copy" \
  bash -c '[ "$(stat -c %h "$1")" = 1 ] && [ "$(stat -c %i "$1")" != "$(stat -c %i "$2")" ] && cmp -s "$1" "$2"' _ "$ev_copy" "$work_copy"
echo "edited after the run" >> "$work_copy"; rm -f "$work/standalone-dl/127.152.14.122_10022/reports/TP002_CP0001_20230414.csv"
expect "... editing or deleting the working copies leaves the bundle intact" "$bin" verify "$sb"
expect "... the bundle's copy is the downloaded bytes (its SHA-256 is the one the transcript recorded)" \
  grep -q "$(sha256sum "$ev_copy" | cut -c1-64)  .*TP001_CP0001_20230414.csv" "$sb/transcript.log"
cp -a "$sb" "$work/dots"
printf 'x' > "$work/dots/downloads/127.152.14.121_10022/reports/a..b.csv"
(cd "$work/dots" && sha256sum downloads/127.152.14.121_10022/reports/a..b.csv >> MANIFEST)
expect "verify accepts a file whose name merely contains .." "$bin" verify "$work/dots"
cp -a "$sb" "$work/linked"
rm "$work/linked/downloads/127.152.14.121_10022/reports/TP001_CP0001_20230414.csv"
ln -s "$work_copy" "$work/linked/downloads/127.152.14.121_10022/reports/TP001_CP0001_20230414.csv"
out=$("$bin" verify "$work/linked" 2>&1); rc=$?
expect "verify flags a symlink inside a bundle, even to a file with the right content" \
  bash -c '[ "$1" = 1 ] && grep -q "TP001_CP0001_20230414.csv: not a regular file" <<<"$2"' _ "$rc" "$out"
cp -a "$sb" "$work/escape"
echo "$(sha256sum "$work/dots/MANIFEST" | cut -c1-64)  ../dots/MANIFEST" >> "$work/escape/MANIFEST"
mkfifo "$work/escape/downloads/fifo"
out=$(timeout 20 "$bin" verify "$work/escape" 2>&1); rc=$?
expect "verify rejects a real .. component and a FIFO (without blocking on it)" \
  bash -c '[ "$1" = 1 ] && grep -q "^../dots/MANIFEST: MANIFEST names a path outside the bundle" <<<"$2" && grep -q "^downloads/fifo: not a regular file" <<<"$2"' _ "$rc" "$out"

# ---- Who may read the evidence: run folders 0700, files 0600, whatever the caller's umask ----
expect "under umask 022 a run folder is 0700 and its files 0600, downloads too" \
  bash -c 'umask 022; [ "$(stat -c %a "$1")" = 700 ] && [ -z "$(find "$1" -type f ! -perm 600)" ] && [ -z "$(find "$1" -type d ! -perm 700)" ] &&
    [ "$(stat -c %a "$2")" = 600 ]' _ "$sb" "$work/standalone-dl/127.152.14.122_10022/reports/TP001_CP0001_20230414.csv"
run_drill --umask 027 "$S1"
expect "--umask 027 widens that on purpose: 0750 and 0640" \
  bash -c '[ "$(stat -c %a "$1")" = 750 ] && [ -z "$(find "$1" -type f ! -perm 640)" ]' _ "$(dirname "$junit")"

# ---- Secrets: masked in the result model, so every writer gets the same masked text ----
d=$(mkdrill secrets.drill 'secret SITE_CODE
set PIN_HOLDER "${PIN_SECRET}"
target secondary
step "Login" login
step "Pattern holds a secret" download "/reports/${SITE_CODE}-${API_TOKEN}*"
step "Logout" logout')
out=$("$bin" run --report-dir "$work/secrets" -D RRS_PROFILE=local-mirror.profile -D RRS_DOWNLOAD_DIR="$work/downloads" \
  --business-date 2023-04-15 -D SITE_CODE=zq7-site-code -D API_TOKEN=tok-55-hidden -D PIN_SECRET=26 "$d" 2>&1); rc=$?
sdir=$(ls -d "$work"/secrets/*/ | tail -n 1)
expect "a secret variable and a secret-looking -D value: masked in junit.xml, summary.html, RUN-INFO, transcript and terminal" \
  bash -c '[ "$1" = 1 ] && ! grep -rqE "zq7-site-code|tok-55-hidden" "$2" && ! grep -qE "zq7-site-code|tok-55-hidden" <<<"$3" &&
    for f in junit.xml summary.html transcript.log; do grep -q "matches \*\*\*-\*\*\*\*" "$2/$f" || exit 1; done &&
    grep -q "matches \*\*\*-\*\*\*\*" <<<"$3"' _ "$rc" "$sdir" "$out"
expect "... a value under 4 characters is masked only where it stands alone (2026 stays 2026)" \
  bash -c 'grep -q "^started: 20" "$1/RUN-INFO" && ! grep -rq "\*\*\*26\|20\*\*\*" "$1"' _ "$sdir"
d=$(mkdrill bad-secret.drill 'target secondary
step "Count" count "/reports" == ${API_TOKEN}')
out=$("$bin" check -D API_TOKEN=tok-55-hidden "$d" 2>&1); rc=$?
expect "check's diagnostics mask a secret value they quote" \
  bash -c '[ "$1" = 2 ] && grep -q "bad-secret.drill:3:34: " <<<"$2" && ! grep -q tok-55-hidden <<<"$2" && grep -qF "***" <<<"$2"' _ "$rc" "$out"

# A secret holding a tab or a bidi override is masked whatever escaped it first; a secret given on the
# command line is warned about and blanked from /proc/PID/cmdline, the passphrase gone from
# /proc/PID/environ once read; -D NAME=@FILE keeps a value off the command line altogether.
tab_secret=$(printf 'hun\tter-77') bidi_secret=$(printf 'bidi\xe2\x80\xaezz-88')
printf '%s\n' "$bidi_secret" > "$work/site-code"; chmod 600 "$work/site-code"
d=$(mkdrill hostile-secrets.drill 'secret SITE_CODE
target secondary
step "Login" login
step "Pattern holds secrets" download "/reports/${SITE_CODE}-${API_TOKEN}*"')
out=$("$bin" run --report-dir "$work/hostile-secrets" -D RRS_PROFILE=local-mirror.profile --business-date 2023-04-15 \
  -D SITE_CODE=@"$work/site-code" -D API_TOKEN="$tab_secret" "$d" 2>&1); rc=$?
sdir=$(ls -d "$work"/hostile-secrets/*/ | tail -n 1)
expect "secrets with a tab and a bidi override: masked in every output, however escaped (junit, html, transcript, RUN-INFO, terminal)" \
  bash -c '[ "$3" = 1 ] && for s in "hun" "ter-77" "zz-88" "bidi"; do ! grep -rqF -- "$s" "$1" && ! grep -qF -- "$s" <<<"$2" || exit 1; done &&
    grep -q "matches \*\*\*-\*\*\*\*" "$1/transcript.log"' _ "$sdir" "$out" "$rc"
expect "... a secret given as a -D value warned about once; one given as -D NAME=@FILE not" \
  bash -c '[ "$(grep -c "^warning: -D API_TOKEN: a secret.s value on the command line" <<<"$1")" = 1 ] && ! grep -q "warning: -D SITE_CODE" <<<"$1"' _ "$out"
# While a run waits (a server that never answers), what other local users could read of it.
"$BUILD/silent-listener" 127.152.14.121 10089 60 > "$work/silent-secret.out" & fixture_pids+=($!)
d=$(mkdrill silent-secrets.drill 'set SEEN "${API_TOKEN}"
endpoints silent "127.152.14.121:10089"
target silent
step "Connect" connect timeout 4s')
RRS_KEY_PASSPHRASE=$secret_pp "$bin" run --report-dir "$work/silent-secrets" -D RRS_PROFILE=local-mirror.profile \
  -D RRS_KEY="$work/encrypted" --business-date 2023-04-15 -D API_TOKEN="$tab_secret" "$d" > "$work/silent-secrets.out" 2>&1 &
spid=$!
for _ in $(seq 50); do grep -q "warning: -D API_TOKEN" "$work/silent-secrets.out" 2>/dev/null && break; sleep 0.1; done
sleep 0.5
cmdline=$(tr '\0' ' ' < "/proc/$spid/cmdline" 2>/dev/null); environ=$(tr '\0' '\n' < "/proc/$spid/environ" 2>/dev/null)
core=$(grep "^Max core file size" "/proc/$spid/limits" 2>/dev/null)
wait "$spid"
expect "... blanked from /proc/PID/cmdline while it runs, the passphrase gone from /proc/PID/environ, no core dumps" \
  bash -c '[ -n "$1" ] && ! grep -qF "ter-77" <<<"$1" && grep -q "API_TOKEN=\*\**" <<<"$1" && [ -n "$2" ] &&
    ! grep -qF "$3" <<<"$2" && ! grep -q "^RRS_KEY_PASSPHRASE=." <<<"$2" && grep -q "core file size *0 *0" <<<"$4"' \
  _ "$cmdline" "$environ" "$secret_pp" "$core"

# ---- One run of both sessions: one bundle whose name and title cover both ----
run_drill "$S1" "$S2"
both=$(dirname "$junit")
expect "run S1 S2: one bundle named for both, titled \"Session 1 + Session 2\", one suite per endpoint" \
  bash -c '[[ "$1" == *-and-1-more ]] && grep -q "<title>.*(Session 1) + .*(Session 2)</title>" "$1/summary.html" &&
    [ "$(xmllint --xpath "count(//testsuite)" "$1/junit.xml")" = 4 ]' _ "$both"

# ---- The record for the registration form: what the bundle says, and only from an intact bundle ----
rb=$(dirname "$first_report")
out=$("$bin" record "$rb" 2>&1); rc=$?
expect "record: a statement of the bundle: verdict, User ID, key, each session's nodes and steps, its MANIFEST's hash" \
  bash -c '[ "$1" = 0 ] && grep -q "^Verdict: *ALL STEPS PASSED" <<<"$2" && grep -q "^User ID: *root$" <<<"$2" &&
    grep -q "^User key: *SHA256:" <<<"$2" && grep -q "MANIFEST SHA-256 $(sha256sum "$3/MANIFEST" | cut -c1-64); intact" <<<"$2" &&
    [ "$(grep -c "passed on 2 of 2 nodes" <<<"$2")" = 14 ] && grep -q "Data centre:  secondary; nodes 127.152.14.121:10022, 127.152.14.122:10022" <<<"$2"' \
  _ "$rc" "$out" "$rb"
"$bin" record --format csv "$rb" > "$work/record.csv" 2>&1; rc1=$?
"$bin" record --format json "$rb" > "$work/record.json" 2>&1; rc2=$?
expect "... as CSV (a row per node and step) and JSON, both matching junit.xml" \
  /usr/bin/python3 - "$work/record.csv" "$work/record.json" "$rb/junit.xml" "$rc1$rc2" <<'PY'
import csv, json, sys
import xml.etree.ElementTree as ET
rows = list(csv.DictReader(open(sys.argv[1])))
doc = json.load(open(sys.argv[2]))
cases = [(s.find("properties/property[@name='endpoint']").get("value"), c.get("name"),
          "failed" if c.find("failure") is not None else "error" if c.find("error") is not None
          else "skipped" if c.find("skipped") is not None else "passed")
         for s in ET.parse(sys.argv[3]).getroot().findall("testsuite") for c in s.findall("testcase")]
assert sys.argv[4] == "00", sys.argv[4]
assert [(r["endpoint"], r["step"], r["status"]) for r in rows] == cases, rows[:2]
assert [(s["endpoint"], st["name"], st["status"]) for s in doc["suites"] for st in s["steps"]] == cases
assert doc["intact"] is True and doc["verdict"] == rows[0]["verdict"]
PY
# A sealed bundle full of what a hostile server or operator could put in it: record escapes it for the
# terminal, keeps every CSV cell from starting a formula, and writes valid JSON.
# (outside $work: a hand-made junit.xml is no output of sftpdrill's for the suite's schema check)
hb=$(mktemp -d "$work.hostile.XXXXXX")
/usr/bin/python3 - "$hb" <<'PY'
import sys, os
d = sys.argv[1]
evil = '=HYPERLINK("x?"&A1,"click") \x1b[31mred\x1b[0m \u202eevil\u202c \x07'
def x(s):  # as XML text: & < > " escaped, the C0 controls XML 1.0 allows none of written as they would be... not at all
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("\x1b", "&#x1b;").replace("\x07", "")
open(os.path.join(d, "junit.xml"), "w").write(f"""<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="t"><testsuite name="d @ h:1" tests="2" failures="1" errors="0" skipped="0" time="0">
<properties><property name="drill" value="d"/><property name="endpoint" value="h:1"/><property name="user" value="{x('@SUM(1+1)')}"/>
<property name="target" value="{x('+cmd|calc')}"/></properties>
<testcase name="{x(evil)}" classname="d" time="0"/>
<testcase name="-2+3" classname="d" time="0"><failure type="CountMismatch" message="{x(evil)}">{x(evil)}</failure></testcase>
</testsuite></testsuites>
""".replace("&#x1b;", "\u241b"))
open(os.path.join(d, "RUN-INFO"), "w").write("operator: \x1b]0;pwned\x07eve\u202e\nstarted: 2023-04-15T06:45:00Z\nverdict: NOT ALL STEPS PASSED\n")
PY
( cd "$hb" && sha256sum junit.xml RUN-INFO | sort -k2 > MANIFEST )
"$bin" record "$hb" > "$work/hostile.txt" 2>&1; rc1=$?
"$bin" record --format csv "$hb" > "$work/hostile.csv" 2>&1; rc2=$?
"$bin" record --format json "$hb" > "$work/hostile.json" 2>&1; rc3=$?
expect "record of hostile content: no control or bidi byte reaches the terminal, no CSV cell starts a formula, the JSON parses" \
  /usr/bin/python3 - "$work/hostile.txt" "$work/hostile.csv" "$work/hostile.json" "$rc1$rc2$rc3" <<'PY'
import csv, json, sys
assert sys.argv[4] == "000", sys.argv[4]
text = open(sys.argv[1], encoding="utf-8").read()
assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text, repr(text)
assert "\\x1b]0;pwned" in text and "\\u202e" in text, text
rows = list(csv.reader(open(sys.argv[2], encoding="utf-8")))
for row in rows[1:]:
    for cell in row:
        assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), (cell, row)
assert any(c.startswith("'=HYPERLINK") for r in rows for c in r) and any(c == "'@SUM(1+1)" for r in rows for c in r)
assert any(c == "'-2+3" for r in rows for c in r)
raw = open(sys.argv[3], encoding="utf-8").read()
doc = json.loads(raw)
assert all(ord(ch) >= 0x20 for ch in raw.strip()), "a raw control character in the JSON"
assert doc["suites"][0]["steps"][1]["name"] == "-2+3" and doc["verdict"] == "NOT ALL STEPS PASSED"
PY
rm -rf "$hb"
cp -a "$rb" "$work/record-tampered"; printf 'X' | dd of="$work/record-tampered/RUN-INFO" bs=1 seek=3 conv=notrunc 2>/dev/null
out=$("$bin" record "$work/record-tampered" 2>"$work/record.err"); rc=$?
expect "... but no record from a bundle that is not intact (exit 1, nothing on stdout)" \
  bash -c '[ "$1" = 1 ] && [ -z "$2" ] && grep -q "RUN-INFO: changed" "$3"' _ "$rc" "$out" "$work/record.err"
