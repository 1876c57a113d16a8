"""The simulated data plane: what a request meets on its way from a client to a pod's app.

`app` (what a pod answers on a port), `dns` (cluster DNS, as CoreDNS's kubernetes plugin answers), `proxy`
(kube-proxy's choice of endpoint), `policy` (NetworkPolicy verdicts) and `request` (the whole path, as a trace).
"""
