#!/usr/bin/env python3
"""Launcher of the offline API simulator, the package tools/apisim/ (docs/apisim.md).

    python3 tools/apisim.py [--port 0] [--seed 42] [--faults FILE.json | --fault-rate 0.2]
                            [--catalog-seed N] [--audio-features-403] [--dump-catalog FILE.jsonl]
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from apisim.__main__ import main  # noqa: E402  (the path above makes the package importable)

if __name__ == "__main__":
    sys.exit(main())
