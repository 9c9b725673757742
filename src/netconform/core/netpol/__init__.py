"""NetworkPolicy (networking.k8s.io/v1) semantics: model, parsing, the truth-table engine and ``explain``.

Typical use::

    scenario = parse_scenario(yaml.safe_load(text))          # or build Cluster/Pod/NetworkPolicy directly
    engine = PolicyEngine(scenario.cluster, scenario.policies)
    expected = engine.truth_table(scenario.probes)           # a netconform.core.truthtable.TruthTable
    print(explain(scenario.cluster, scenario.policies, "x/a", "y/b", Probe(80, Protocol.TCP)).render())
"""

from netconform.core.netpol.engine import PolicyEngine
from netconform.core.netpol.explain import Explanation, explain
from netconform.core.netpol.model import Cluster, ContainerPort, Namespace, Pod, Probe, Protocol
from netconform.core.netpol.parse import Scenario, parse_policies, parse_policy, parse_scenario
from netconform.core.netpol.policy import Direction, IPBlock, NetworkPolicy, Peer, PortRule, Rule
from netconform.core.selectors import LabelSelector, Operator, Requirement

__all__ = [
    "Cluster",
    "ContainerPort",
    "Direction",
    "Explanation",
    "IPBlock",
    "LabelSelector",
    "Namespace",
    "NetworkPolicy",
    "Operator",
    "Peer",
    "Pod",
    "PolicyEngine",
    "PortRule",
    "Probe",
    "Protocol",
    "Requirement",
    "Rule",
    "Scenario",
    "explain",
    "parse_policies",
    "parse_policy",
    "parse_scenario",
]
