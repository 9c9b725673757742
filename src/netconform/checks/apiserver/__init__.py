"""API server to pod: webhook and APIService servers, their probes, and proxy/exec/logs reachability."""
