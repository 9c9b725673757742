"""Pod density: max pods per node from ENI limits and CNI mode, the ceilings' verdicts and the fill's plan."""
