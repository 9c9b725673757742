"""netpol."""
