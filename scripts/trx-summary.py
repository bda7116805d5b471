#!/usr/bin/env python3
"""Prints the failed tests of TRX files, then the closing line 'N passed, N failed[, N skipped]'.

Exits 1 when a test failed or no test ran at all."""
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as error:
        print(f"cannot read {path}: {error}")
        failed += 1
        continue
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

line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed or passed == 0 else 0)
