"""The enforcement decision: the profile's expectation against what the deny-all probe proved."""

from __future__ import annotations

import pytest

from netconform.core.netpol.enforcement import Action, EnforcementProof, decide
from netconform.core.profiles import PROFILES, ProfileName

BLOCKED = EnforcementProof(True, "y/b -> x/a 80/TCP: refused after 2 attempt(s); reproduce: kubectl exec ...")
ALLOWED = EnforcementProof(
    False, "y/b -> x/a 80/TCP: still allowed after 15 attempts; reproduce: kubectl exec"
)


@pytest.mark.parametrize(
    ("profile", "proof", "action", "words"),
    [
        (ProfileName.VPC_CNI_NETPOL, BLOCKED, Action.RUN, ""),
        (ProfileName.CALICO_OVERLAY, BLOCKED, Action.RUN, ""),
        (ProfileName.GENERIC, BLOCKED, Action.RUN, ""),
        (ProfileName.VPC_CNI, ALLOWED, Action.SKIP, "as profile vpc-cni (Amazon VPC CNI"),
        (ProfileName.VPC_CNI_PREFIX, ALLOWED, Action.SKIP, "as profile vpc-cni-prefix"),
        (ProfileName.GENERIC, ALLOWED, Action.SKIP, "profile generic (Unrecognised or generic CNI"),
        (
            ProfileName.VPC_CNI_NETPOL,
            ALLOWED,
            Action.FAIL,
            "is aws-network-policy-agent running and healthy?",
        ),
        (ProfileName.CALICO_POLICY, ALLOWED, Action.FAIL, "is calico-felix running and healthy?"),
        (ProfileName.VPC_CNI, BLOCKED, Action.FAIL, "the profile does not match the cluster"),
    ],
)
def test_decision(profile: ProfileName, proof: EnforcementProof, action: Action, words: str) -> None:
    decision = decide(PROFILES[profile], proof)
    assert decision.action is action
    assert words in decision.reason
    if action is Action.RUN:
        assert decision.reason == ""
    else:
        # The proof travels with every skip and failure, on one line.
        assert proof.evidence in decision.reason
        assert "\n" not in decision.reason


def test_a_skip_says_not_enforced_and_a_failure_says_which_way_it_is_wrong() -> None:
    skip = decide(PROFILES[ProfileName.VPC_CNI], ALLOWED).reason
    assert skip.startswith("NetworkPolicy is not enforced on this cluster, as profile vpc-cni")
    dead = decide(PROFILES[ProfileName.CALICO_OVERLAY], ALLOWED).reason
    assert dead.startswith("NetworkPolicy is not enforced, though profile calico-overlay")
    wrong = decide(PROFILES[ProfileName.VPC_CNI], BLOCKED).reason
    assert wrong.startswith(
        "profile vpc-cni (Amazon VPC CNI (secondary IPs, no network policy)) does not enforce"
    )
