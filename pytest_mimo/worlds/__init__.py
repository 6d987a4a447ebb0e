"""World builders: the objects a realistic ARO cluster holds, for ``mimo_world`` and the fakes.

``from pytest_mimo.worlds import kube, azure``: :mod:`.kube` (Kubernetes objects, Key Vault
certificate bundles) and :mod:`.azure` (control-plane load balancers and NICs).
"""
