"""netconform.testbed."""
