"""Pre-upgrade validation: gathering EKS and EC2 facts for the rules in core/upgrade."""
