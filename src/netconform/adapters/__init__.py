"""netconform.adapters."""
