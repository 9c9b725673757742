"""netconform: a pytest conformance harness for Kubernetes pod networking on Amazon EKS."""

__version__ = "0.1.0"
