"""NetworkPolicy: the x/y/z topology on a cluster, one catalog case run end to end, the enforcement gate."""
