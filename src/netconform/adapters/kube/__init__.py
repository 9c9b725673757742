"""netconform.adapters.kube."""
