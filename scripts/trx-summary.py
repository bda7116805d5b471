#!/usr/bin/env python3
"""Prints the failed tests of TRX files, then the closing line 'N passed, N failed[, N skipped]'.

A run aborted by a hang or a crash (vstest's blame collector stops a test that hangs) counts every test that started
and never finished, named from the blame's Sequence file next to the TRX; an aborted run without one counts as one
failure. Exits 1 when a test failed or no test ran at all."""
import glob
import os
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = unfinished = 0
aborted = []
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as error:
        print(f"cannot read {path}: {error}")
        failed += 1
        continue
    for info in root.iterfind(".//t:RunInfos/t:RunInfo", NS):
        text = info.find("t:Text", NS)
        if info.get("outcome") == "Error" and text is not None and "aborted" in (text.text or ""):
            aborted.append(f"{os.path.basename(path)}: {text.text.strip()}")
    for result in root.iterfind(".//t:UnitTestResult", NS):
        outcome = result.get("outcome")
        if outcome == "Passed":
            passed += 1
        elif outcome in ("NotExecuted", "Inconclusive"):
            skipped += 1
        else:
            failed += 1
            message = result.find(".//t:Message", NS)
            text = (message.text or "").strip().splitlines()[0] if message is not None and message.text else ""
            print(f"FAILED {result.get('testName')}: {text}")

sequences = set()
for path in sys.argv[1:]:
    pattern = os.path.join(os.path.dirname(os.path.abspath(path)), "**", "Sequence_*.xml")
    for sequence in glob.glob(pattern, recursive=True):
        # The blame collector leaves the same file in two places.
        if os.path.basename(sequence) in sequences:
            continue
        sequences.add(os.path.basename(sequence))
        try:
            tests = ET.parse(sequence).getroot().iterfind("Test")
        except (OSError, ET.ParseError):
            continue
        for test in tests:
            if test.get("Completed") == "False":
                failed += 1
                unfinished += 1
                print(f"DID NOT FINISH {test.get('DisplayName') or test.get('Name')}: the run was aborted while it ran (a hang or a crash)")

if aborted and not unfinished:
    failed += 1
    print(f"ABORTED: {aborted[0]}")

line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed or passed == 0 else 0)
