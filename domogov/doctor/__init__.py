"""``domogov doctor``: what this instance does where the API documents say nothing.

table.py    the assumptions (one per undocumented answer), their kinds, endpoints and probes
probes.py   the read-only probes and what each finding says
session.py  timed reads, shared list reads, the manifests' objects
report.py   running the probes, which kinds are safe, the text and JSON report
command.py  the click command (``cli`` imports it only when ``doctor`` is run)
"""

from .probes import Finding, Status
from .report import Report, Result, run_doctor
from .table import ALL_ASSUMPTIONS, ASSUMPTIONS, Assumption

__all__ = [
    "ALL_ASSUMPTIONS",
    "ASSUMPTIONS",
    "Assumption",
    "Finding",
    "Report",
    "Result",
    "Status",
    "run_doctor",
]
