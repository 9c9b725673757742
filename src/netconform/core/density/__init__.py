"""Pod density: max pods per node from ENI limits and CNI mode, the ceilings' verdicts and the fill's plan.

The calculator's entry points are re-exported here: they are the area's public face (the test bed's KWOK nodes
and the CLI size themselves with them).
"""

from netconform.core.density.maxpods import DensityOptions, max_pods, max_pods_for_all

__all__ = ["DensityOptions", "max_pods", "max_pods_for_all"]
