"""Per-area orchestration: deploy, probe and read through the shared adapters, then hand core the facts.

One package per area; the areas do not import each other (import-linter).
"""
