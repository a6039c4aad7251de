"""crosstenant: a GitOps reconciler for Entra ID cross-tenant access and sync.

Imports nothing heavy: msgraph and kiota are loaded lazily by `reconciler.graph`.
"""

__version__ = "0.1.0"
