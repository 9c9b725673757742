"""netconform.core."""
