"""The root of the test tree. Its presence puts ``tests/`` on ``sys.path`` (pytest's ``prepend``
import mode), so modules shared by several test packages live here (``lambda_processes``).

Lambda functions run in bubblewrap's sandbox (``.ci/run`` installs it). On a machine without it
the suite runs functions without a sandbox, on purpose and saying so, so that Lambda's semantics
are still tested; the isolation tests then skip with the reason."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    from localiam.services.awslambda.invoke import configure

    functions = configure(unsafe=True)
    if functions.sandbox is None:
        config.issue_config_time_warning(
            pytest.PytestWarning(f"Lambda functions run without a sandbox in these tests: {functions.refusal}"),
            stacklevel=2,
        )
