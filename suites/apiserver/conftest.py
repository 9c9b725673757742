"""Shared pieces of the API-server reachability suite: one namespace per module, and the verdicts of
every path collected for a summary at the end of the run."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from fixtures.namespaces import NamespaceFactory
from fixtures.reporting import attach, test_failed
from netconform.core.apiserver.paths import Observation, PathVerdict, judge, summary
from netconform.core.profiles import Profile

VerdictOf = Callable[[Observation], PathVerdict]
"""The ``verdict_of`` fixture: judge an observation under the run's profile."""

_verdicts = pytest.StashKey[list[PathVerdict]]()
_profile = pytest.StashKey[Profile]()


@pytest.fixture(scope="module")
def module_namespace(namespace_factory: NamespaceFactory, request: pytest.FixtureRequest) -> Iterator[str]:
    """One namespace for a module's servers: they are shared by its tests, to keep pods few."""
    base = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_").replace("_", "-")
    module = request.node

    def failed() -> bool:
        return any(test_failed(item) for item in request.session.items if item.parent is module)

    with namespace_factory.scoped(request.node.nodeid, failed) as owned:
        yield owned.make(base)


@pytest.fixture
def verdict_of(profile: Profile, pytestconfig: pytest.Config) -> VerdictOf:
    """Judge an observation under the profile, record it for the summary, and fail readably if it is
    not what the profile expects; skip with the observation when the profile makes no claim."""

    def check(observation: Observation) -> PathVerdict:
        verdict = judge(observation, profile)
        pytestconfig.stash.setdefault(_verdicts, []).append(verdict)
        pytestconfig.stash[_profile] = profile
        attach(f"{observation.path.id}: {observation.reach.value}", _details(verdict))
        if not verdict.judged:
            pytest.skip(verdict.message)
        if not verdict.ok:
            pytest.fail(verdict.message, pytrace=False)
        return verdict

    return check


def _details(verdict: PathVerdict) -> str:
    obs = verdict.observation
    return "\n".join(
        [
            verdict.message,
            f"expected reachable: {verdict.expected.value}",
            f"HTTP status: {obs.status if obs.status is not None else '-'}",
            f"API server said: {obs.detail}",
            f"reproduce: {obs.reproduce or '-'}",
        ]
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    verdicts = config.stash.get(_verdicts, [])
    if not verdicts:
        return
    terminalreporter.section("API server → cluster reachability")
    terminalreporter.write_line(summary(verdicts, config.stash[_profile]))
