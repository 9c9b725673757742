"""The connectivity baseline's rules: failure diagnosis, address ranges and node spread."""
