"""A run's vocabulary and reports: one Outcome and CaseResult, categories, the summary, the run diff."""
