"""Shared test set-up: puts tests/ on sys.path for the helper modules (servekit)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
