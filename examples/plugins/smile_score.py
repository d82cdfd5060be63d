#!/usr/bin/env python3
"""An EmoPipe exec plug-in (see `emopipe stages exec`): a small model over face features.

Reads face.actions rows and writes, per frame, `smile_score`: a logistic of AU12 (lip corner
puller) and AU06 (cheek raiser) minus AU04 (brow lowerer), and `frown_score`: AU04 plus AU15.
Standard library only.
"""
import json
import math
import sys


def main():
    hello = json.loads(sys.stdin.readline())
    if hello.get("emopipe") != "exec/1":
        sys.exit("expected an EmoPipe exec/1 schema line")
    columns = hello["inputs"][0]["columns"]
    try:
        au04, au06, au12, au15 = (columns.index(name) for name in ("AU04_r", "AU06_r", "AU12_r", "AU15_r"))
    except ValueError as missing:
        sys.exit(f"smile_score needs face.actions columns: {missing}")
    print(json.dumps({"columns": ["smile_score", "frown_score"]}), flush=True)
    for line in sys.stdin:
        values = json.loads(line)["values"]
        if values[au12] is None:  # no face in this frame
            print("{}", flush=True)
            continue
        smile = 1 / (1 + math.exp(-(0.8 * values[au12] + 0.4 * values[au06] - 0.5 * values[au04] - 1.5)))
        frown = min(1.0, (values[au04] + values[au15]) / 5)
        print(json.dumps({"values": [round(smile, 6), round(frown, 6)]}), flush=True)


if __name__ == "__main__":
    main()
