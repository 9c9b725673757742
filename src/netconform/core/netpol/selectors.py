"""The label selectors NetworkPolicy peers use: the shared model of core/selectors.py, under netpol's name.

It lives in core/selectors.py because the API-server area reads webhook namespaceSelectors with it too, and
core areas do not import each other; this path stays so the policy parser keeps its imports.
"""

from netconform.core.selectors import LabelSelector, Operator, Requirement

__all__ = ["LabelSelector", "Operator", "Requirement"]
