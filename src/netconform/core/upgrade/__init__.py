"""vpc-cni add-on pre-upgrade validation: versions, findings, rules and subnet arithmetic."""
