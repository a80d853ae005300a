"""A fleet: one configuration directory governing several instances (SPEC §7, issue 16).

``plan``, ``apply``, ``drift`` and ``doctor`` with ``--all-instances`` (or ``--instance a,b`` on
a directory whose ``domogov.yaml`` declares ``instances``) run every selected instance at
once, each with its own client, token (``DOMO_TOKEN_<NAME>``), rate limit and sandbox, and
print one report: a section per instance, then a summary table. One instance failing never
stops the others; the exit code is the worst of them (0 < 2 changes < 1 error < 3 partial).

The package, module by module: ``members`` (which instances, each one's connection and
configuration, running them at once), ``workers`` (the same, in worker processes),
``planfile`` (one saved plan for the fleet), ``report`` (the combined text, markdown and
JSON), ``apply`` and ``commands`` (what cli.py calls for a fleet run).
"""
