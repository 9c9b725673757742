"""The local test bed: a real Kubernetes cluster of 1-3 nodes built from upstream Go modules, each node in its
own network and mount namespace (see network.py and nodes.py).

Entry points: :func:`netconform.testbed.lifecycle.up`, ``down``, ``status`` (driven by
``netconform testbed``) and
``python -m netconform.testbed.session -- CMD`` (bring up when needed, run CMD, tear down what it started).
"""
