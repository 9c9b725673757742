"""The connectivity baseline (smoke): the bed, its checks, and the cross-node/ENI spread checks."""
