"""Probers: the I/O boundary of every reachability check; one protocol, a real and a simulated one."""
