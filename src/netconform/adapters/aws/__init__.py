"""netconform.adapters.aws."""
