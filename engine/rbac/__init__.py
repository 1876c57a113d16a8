"""Role-based access control: who may do what (the RBAC authorizer), the bootstrap policy a cluster starts with,
and the identities requests act as. See access.py for where k9py checks and where it trusts."""
