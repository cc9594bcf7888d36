#!/usr/bin/env node
// junit-readers.js — two JavaScript readers of JUnit XML, as CI dashboards built on them read it:
//   test-results-parser  the parser of the testbeats reporter: its own PASS/FAIL and totals
//   junit2json           the JSON form many GitHub and GitLab steps read: a case with a <failure> or
//                        <error> child is failed, one with <skipped> skipped (flakyFailure, rerunFailure
//                        and the like are notes on a case, not cases)
// For each file, both must say the same (failed or not, and the counts) and must say what sftpdrill's
// exit status in the RUN-INFO beside it says: 0 is a pass, anything else a failure. Prints a line per
// file; exit status 1 on any disagreement.
//   node junit-readers.js FILE...     (with NODE_PATH naming the node_modules they were installed in)
'use strict';
const fs = require('fs');
const path = require('path');
const { parse: trp } = require('test-results-parser');
const { parse: j2j } = require('junit2json');

function exitStatus(file) {
  const info = path.join(path.dirname(file), 'RUN-INFO');
  if (!fs.existsSync(info)) return null;
  const m = /^exit-status: (\d+)$/m.exec(fs.readFileSync(info, 'utf8'));
  return m ? Number(m[1]) : null;
}

function byTestResultsParser(file) {
  const r = trp({ type: 'junit', files: [file] });
  // PASS, FAIL, or SKIP when every case was skipped (a closed day: nothing failed).
  return { failed: r.status === 'FAIL', failures: r.failed, errors: r.errors };
}

async function byJunit2json(file) {
  const doc = await j2j(fs.readFileSync(file, 'utf8'));
  const suites = doc.testsuite || [];
  let failed = 0, errors = 0, skipped = 0, tests = 0;
  for (const s of suites)
    for (const c of s.testcase || []) {
      tests++;
      if (c.error) errors++;
      else if (c.failure) failed++;
      else if (c.skipped) skipped++;
    }
  return { failed: failed + errors > 0, failures: failed, errors, skipped, tests };
}

(async () => {
  let bad = 0;
  for (const file of process.argv.slice(2)) {
    const a = byTestResultsParser(file), b = await byJunit2json(file), status = exitStatus(file);
    const problems = [];
    if (a.failed !== b.failed) problems.push(`test-results-parser says ${a.failed ? 'failed' : 'passed'}, junit2json ${b.failed ? 'failed' : 'passed'}`);
    if (status !== null && a.failed !== (status !== 0))
      problems.push(`the readers say ${a.failed ? 'failed' : 'passed'} but sftpdrill exited ${status}`);
    if (problems.length) {
      bad = 1;
      for (const p of problems) console.log(`${file}: ${p}`);
    } else
      console.log(`${file}: both JavaScript readers agree${status === null ? '' : ` with exit status ${status}`}: ` +
        `${a.failed ? 'failed' : 'passed'}, tests=${b.tests} failures=${b.failures} errors=${b.errors} skipped=${b.skipped}`);
  }
  process.exit(bad);
})().catch((e) => { console.log(`junit-readers.js: ${e.stack || e}`); process.exit(1); });
