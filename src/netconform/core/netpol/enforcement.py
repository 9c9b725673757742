"""Whether the NetworkPolicy catalog should run, from what the profile expects and what one probe proved.

Before any case, the suite applies a deny-all ingress policy and probes one pair once it has had time to take
effect. That single observation, set against the profile's expectation, decides:

==================  ===================  ==========================================================
profile expects     probe shows          the suite
==================  ===================  ==========================================================
enforced / unknown  enforced             runs the catalog
not enforced        not enforced         skips every case with the proof (VPC CNI without the agent)
unknown             not enforced         skips every case with the proof (nothing to hold it to)
enforced            not enforced         fails every case in one line (the engine is down or absent)
not enforced        enforced             fails every case in one line (the profile is the wrong one)
==================  ===================  ==========================================================

Without this, a dead policy engine shows up as a hundred and eighty diff grids, and a cluster that never
enforced anything would be skipped on the profile's word alone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from netconform.core.profiles import Expect, Profile


class Action(enum.Enum):
    RUN = "run"
    SKIP = "skip"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class EnforcementProof:
    """What the deny-all probe found, and the words that let a person check it."""

    enforced: bool
    evidence: str  # the policy, the pair, what it saw over how many attempts, and a kubectl line


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    reason: str  # one line; empty when the catalog runs


def decide(profile: Profile, proof: EnforcementProof) -> Decision:
    expected = profile.network_policy_enforced
    named = f"profile {profile.name.value} ({profile.title})"
    if proof.enforced:
        if expected is Expect.NO:
            return Decision(
                Action.FAIL,
                f"{named} does not enforce NetworkPolicy, but this cluster does: {proof.evidence}; "
                "the profile does not match the cluster (let detection choose, or pass the right --profile)",
            )
        return Decision(Action.RUN, "")
    if expected is Expect.YES:
        engine = profile.network_policy_enforcer or "the policy engine"
        return Decision(
            Action.FAIL,
            f"NetworkPolicy is not enforced, though {named} enforces it with {engine}: {proof.evidence}; "
            f"is {engine} running and healthy?",
        )
    why = (
        f"as {named} says"
        if expected is Expect.NO
        else f"and {named} makes no claim, so there is nothing to hold the catalog to"
    )
    return Decision(
        Action.SKIP, f"NetworkPolicy is not enforced on this cluster, {why}; proved: {proof.evidence}"
    )
