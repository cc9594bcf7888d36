#!/usr/bin/python3
"""matrix.py RESULTS.TSV VERSION — the interoperability matrix (docs/interop.md) from run.sh's results.

RESULTS.TSV: case, server and version, key type, line, step, cell ("✓" or "KIND: message"), the
step's seconds, what the server allowed (the download step's "server:" line). Markdown on stdout.
"""
import collections
import datetime
import sys

rows = collections.OrderedDict()
steps = []
for line in open(sys.argv[1], encoding="utf-8"):
    f = line.rstrip("\n").split("\t")
    case, server, key, link, step, cell, secs, note = (f + [""] * 8)[:8]
    r = rows.setdefault((case, key), {"server": server, "link": link, "cells": collections.OrderedDict(), "notes": []})
    if step == "-":
        r["missing"] = cell
        continue
    if step not in steps:
        steps.append(step)
    r["cells"][step] = (cell, secs)
    if note:
        r["notes"].append(note)


def short(cell, width=90):
    if cell == "✓":
        return "✓"
    if cell.startswith("skipped: "):
        return "– not run"
    cell = cell.replace("|", "\\|")
    return "✗ " + (cell if len(cell) <= width else cell[: width - 1] + "…")


def table(selected):
    out = ["| case | server (Debian package) | key | " + " | ".join(steps) + " |",
           "|---|---|---|" + "---|" * len(steps)]
    for (case, key), r in selected:
        if "missing" in r:
            out.append("| %s | %s | — | %s |" % (case, r["server"], " | ".join(["not installed here"] * len(steps))))
            continue
        out.append("| %s | %s | %s | %s |" % (case, r["server"], key,
                                               " | ".join(short(r["cells"].get(s, ("—", ""))[0]) for s in steps)))
    return out


plain = [(k, r) for k, r in rows.items() if not r["link"].startswith("rtt=")]
lined = [(k, r) for k, r in rows.items() if r["link"].startswith("rtt=")]
print("# Interoperability matrix")
print()
print("Written by `make interop` (tests/interop/run.sh) on %s with %s." % (datetime.date.today().isoformat(), sys.argv[2]))
print("Each server is the one Debian packages on the machine that ran it, started on loopback in a private")
print("network namespace and drilled as a participant would (tests/interop/participant.drill): connect, log in")
print("with the key type shown, count the 53 reports, stat TP001, download TP001 and TP002, back up every")
print("report, log out. ✓: the step passed (every backed-up report was checked against the server's SHA-256);")
print("✗: the failure kind sftpdrill reported and the first words of its message — what a participant whose")
print("service runs that server will see.")
print()
print("## Servers")
print()
print("\n".join(table(plain)))
print()
print("## The limits real services set, over a line with a round trip")
print()
print("The same drill through tests/tools/link-emu (the round trip shown, 100 Mbit/s), against a server set")
print("the way real services are: max-sessions is OpenSSH's MaxSessions, max-channels ProFTPD's SFTPMaxChannels,")
print("rekey OpenSSH's RekeyLimit, max-handles an open refused while that many are open on the connection,")
print("stall a server that stops answering reads of the matching files; timeout settings are the drill's.")
print("\"What the server allowed\" is what the download steps said they adapted to (docs/field.md).")
print()
print("\n".join(table(lined)))
print()
print("| case | line and settings | what the server allowed | backup step took |")
print("|---|---|---|---|")
for (case, key), r in lined:
    backup = [v for s, v in r["cells"].items() if s.startswith("Back up")]
    took = "%s s" % backup[0][1] if backup and backup[0][1] else "—"
    notes = "; ".join(dict.fromkeys(r["notes"])) or "nothing refused"
    print("| %s (%s key) | %s | %s | %s |" % (case, key, r["link"], notes.replace("|", "\\|"), took))
