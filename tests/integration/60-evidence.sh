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
expect "... but not with another key" bash -c '[ "$1" = 1 ] && grep -q "does not verify" <<<"$2"' _ "$rc" "$out"
run_drill --sign-key "$work/ec.pem" "$S1"; signed=$(dirname "$junit")
expect "an ECDSA-signed bundle verifies with stock openssl dgst" \
  openssl dgst -sha256 -verify "$work/ec.pub" -signature "$signed/MANIFEST.sig" "$signed/MANIFEST"
printf 'X' | dd of="$signed/MANIFEST" bs=1 seek=10 conv=notrunc 2>/dev/null
out=$("$bin" verify --pub "$work/ec.pub" "$signed" 2>&1); rc=$?
expect "... and a changed MANIFEST breaks the signature" bash -c '[ "$1" = 1 ] && grep -q "MANIFEST.sig: the signature does not verify" <<<"$2"' _ "$rc" "$out"

# A passphrase-protected key: the passphrase must appear in no output at all.
secret_pp='Pp-9f2c-NEVER-PRINT-ME'
ssh-keygen -q -t ed25519 -N "$secret_pp" -f "$work/encrypted" -C encrypted
cat "$work/encrypted.pub" >> "$state/authorized_keys"
out=$(RRS_KEY_PASSPHRASE=$secret_pp "$bin" run --report-dir "$work/secret-reports" -D RRS_PROFILE=local-mirror.profile \
  -D RRS_DOWNLOAD_DIR="$work/downloads" --business-date 2023-04-15 -D RRS_KEY="$work/encrypted" \
  -D EXTRA_TOKEN="$secret_pp" "$S1" 2>&1); rc=$?
expect "an encrypted key logs in with RRS_KEY_PASSPHRASE" eq "$rc" 0
expect "... and the passphrase is in no file of the bundle nor on the terminal" \
  bash -c '! grep -rqF "$1" "$2" "$3/baselines" && ! grep -qF "$1" <<<"$4"' _ "$secret_pp" "$work/secret-reports" "$state" "$out"
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
  expect "summary.html printed to PDF by headless Chromium shows every step's status" \
    bash -c '[ "$(grep -ow passed "$1" | wc -l)" -ge 29 ] && grep -q "ALL STEPS PASSED: 28 of 28" "$1" && grep -q "File count" "$1"' _ "$work/summary.txt"
else
  echo "# note: chromium or pdftotext missing: summary rendering test skipped" >&2
fi
