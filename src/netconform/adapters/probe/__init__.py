"""netconform.adapters.probe."""
