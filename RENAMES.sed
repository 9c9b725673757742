# Renames and moves of branch `vocab` (issue 14, items 1-4), for the other branches before they merge.
# GNU sed -E. The lines before the first `# @files` apply to every Python file; each `# @files <paths>`
# section applies to those paths only (a name such as Finding or ClusterFacts means different things in
# different areas). To apply all of it to a branch's checkout:
#
#   python3 - <<'EOF'
#   import re, subprocess, pathlib
#   scope, rules = None, {}
#   for line in pathlib.Path("RENAMES.sed").read_text().splitlines():
#       if line.startswith("# @files "): scope = tuple(line[9:].split()); continue
#       if line.strip() and not line.startswith("#"): rules.setdefault(scope, []).append(line)
#   files = subprocess.run(["git", "ls-files", "*.py"], capture_output=True, text=True).stdout.split()
#   for scope, lines in rules.items():
#       targets = files if scope is None else [f for f in files if any(pathlib.PurePath(f).match(p) for p in scope)]
#       if targets: subprocess.run(["sed", "-i", "-E", *sum((["-e", l] for l in lines), []), *targets], check=True)
#   EOF
#
# Then `ruff check --fix` and `ruff format` (import lists re-sorted), and `make check`.
#
# Moved names (import them from the new module; a sed cannot split an import list, mypy names each miss):
#   netconform.core.findings          Severity, Finding, Evidence, evidence, worst, worst_first  (new, shared)
#   netconform.core.upgrade.versions  AddonVersion, parse_addon_version, V1_7, V1_12, PD_MIN_IPV4, PD_MIN_IPV6
#   netconform.core.upgrade.codes     Code
#   netconform.core.upgrade.facts     EksClusterFacts (was ClusterFacts), HealthIssue, AddonFacts, AvailableVersion,
#                                     InstanceTypeFacts, NodegroupFacts, SubnetFacts, PreflightInputs,
#                                     choose_target, configured_env, prefix_delegation_on, effective_env
#   netconform.core.upgrade.addon_rules   check_addon_state, check_target, check_upgrade_path
#   netconform.core.upgrade.config_rules  check_configuration, check_aws_node_drift, TUNING_DEFAULTS
#   netconform.core.upgrade.node_rules    check_prefix_delegation, check_subnets, CLUSTER_SUBNET_MIN_FREE
#   netconform.core.upgrade.preflight     RULES, PreflightRule (was Rule), PreflightReport, run_checks (stay)
#   netconform.core.selectors         LabelSelector, Operator, Requirement (core/netpol/selectors.py removed;
#                                     netconform.core.netpol still re-exports them)
#   netconform.core.density.maxpods   DensityOptions, max_pods, max_pods_for_all (package re-exports removed)
#   tests/child_pytest.py             was tests/plugin/child_pytest.py (import stays `from child_pytest import`)
#   tests/plugin/simulated_cluster.py was the SIMULATION string in tests/plugin/test_netpol_suite.py
# Severity levels: one ordered IntEnum OK < INFO < WARNING < ERROR. Preflight's BLOCKER and density's MISMATCH
# are ERROR; webhook_audit's four levels are unchanged. Preflight's output words stay (commands/preflight.py
# SEVERITY_WORDS). webhook_audit.Finding(severity, code, subject, backend, message, advice) is now the local
# _finding(...) with the same argument order; its backend is evidence ("backend"), its advice is `fix`.

# --- everywhere ---------------------------------------------------------------------------------------------
s/\bSeverity\.BLOCKER\b/Severity.ERROR/g
s/\bSeverity\.MISMATCH\b/Severity.ERROR/g
s/\bwebhook_audit\.Severity\b/Severity/g
s/\bwebhook_audit\.worst\b/worst/g
s/\b(finding|pod|f)\.backend\b/\1.fact("backend")/g
s/\b(finding|f)\.advice\b/\1.fix/g
s/\bf\.severity\.rank\b/-f.severity/g
s/^from netconform\.core\.netpol\.selectors import/from netconform.core.selectors import/
s/^from netconform\.core\.density import (DensityOptions|max_pods|max_pods_for_all)/from netconform.core.density.maxpods import \1/
s/^from netconform\.core\.upgrade\.preflight import (AddonVersion|parse_addon_version)$/from netconform.core.upgrade.versions import \1/
s/^from netconform\.core\.upgrade\.preflight import (Severity|Finding|evidence)$/from netconform.core.findings import \1/
s/^from netconform\.core\.upgrade\.preflight import (Code)$/from netconform.core.upgrade.codes import \1/
s/^from netconform\.core\.upgrade\.preflight import ((AddonFacts|AvailableVersion|HealthIssue|InstanceTypeFacts|NodegroupFacts|SubnetFacts|PreflightInputs|choose_target)(, )?)+$/from netconform.core.upgrade.facts import \1/
s/^(from netconform\.core\.connectivity\.diagnosis import .*)\bFinding\b/\1PathFailure/
s/^from fixtures\.density import DensityOptions$/from fixtures.density import FillTestOptions/
s/\bdensity_options: DensityOptions\b/density_options: FillTestOptions/g
s/\bCHILD_ADDOPTS\b/PYTESTER_ADDOPTS/g

# @files src/netconform/core/apiserver/webhook_audit.py
s/\bFinding\(/_finding(/g

# @files src/netconform/core/connectivity/diagnosis.py src/netconform/checks/connectivity/*.py tests/unit/test_diagnosis.py
s/\bFinding\b/PathFailure/g
s/\bRule\b/DiagnosisRule/g

# @files src/netconform/core/upgrade/*.py src/netconform/adapters/aws/*.py src/netconform/checks/upgrade/*.py src/netconform/commands/preflight.py tests/unit/upgrade/*.py tests/aws/*.py
s/\bClusterFacts\b/EksClusterFacts/g
s/\bIterable\[Rule\]/Iterable[PreflightRule]/g
s/\btuple\[Rule, \.\.\.\]/tuple[PreflightRule, ...]/g
s/^Rule = Callable/PreflightRule = Callable/

# @files fixtures/density.py
s/\bDensityOptions\b/FillTestOptions/g

# @files tests/plugin/*.py
s/\bREPO_ROOT\b/REPO/g

# Test-side names that repeated a src class name (now unique across src, fixtures, suites, tests, bench):
# @files tests/unit/netpol/*.py
s/\bCase\b/ScenarioCase/g

# @files tests/aws/*.py
s/\bWorld\b/AwsWorld/g

# @files tests/cluster/test_chaos.py
s/\bOutcome\b/InterruptOutcome/g

# @files tests/plugin/simulated_cluster.py
s/\bFakeKube\b/SimulatedKube/g
