"""The local test bed: a real single-node Kubernetes cluster built from upstream Go modules.

Entry points: :func:`netconform.testbed.lifecycle.up`, ``down``, ``status`` (driven by
``netconform testbed``) and
``python -m netconform.testbed.session -- CMD`` (bring up when needed, run CMD, tear down what it started).
"""
