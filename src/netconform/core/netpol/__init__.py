"""netconform.core.netpol."""
