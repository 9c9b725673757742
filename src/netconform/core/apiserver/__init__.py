"""API server to pod reachability: the paths, their verdicts under a profile, and the webhook audit."""
