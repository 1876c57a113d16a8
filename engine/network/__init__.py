"""The simulated data plane: what a request meets on its way from a client to a pod's app.

`app` (what a pod answers on a port), `dns` (a pod's resolv.conf and what CoreDNS's kubernetes plugin answers),
`endpoints` (a Service's endpoints from its EndpointSlices, or its Endpoints), `proxy` (kube-proxy's choice of
endpoint), `policy` (NetworkPolicy verdicts), `index` (the lookups a request needs, rebuilt lazily), `request`
(the whole path, `DataPlane.request`, behind `Cluster.request`) and `trace` (the record of it, and its rendering).
"""
