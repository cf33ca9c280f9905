"""Project-wide pytest policy: a skipped or xfailed test is a failed test.

Odoo skips browser tours silently when Chromium or websocket-client is
missing; here that must fail the run instead of passing it.
"""

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped or hasattr(report, "wasxfail"):
        reason = getattr(report, "wasxfail", None) or (
            report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        )
        report.outcome = "failed"
        report.longrepr = f"skipped/xfailed tests fail this suite: {reason}"
