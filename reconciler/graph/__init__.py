"""The only package that talks to Microsoft Graph, and the only importer of msgraph, kiota and
azure.identity, always inside functions: importing `reconciler.graph.connection` (or the CLI)
never loads the SDK.

- `connection`: tenants' endpoints and auth references, plain data (no SDK).
- `gateway`: `GraphGateway` and `open_gateways`, what the rest of the code calls.
- `client`: the msgraph-sdk stack and one raw request through it.
- `credentials`: azure-identity credentials from the `auth` block.
- `retry`, `failures`, `consistency`, `redact`: pure policies the gateway applies.
"""
