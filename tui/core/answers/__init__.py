"""Answers computed from the event index: questions asked of what the log holds.

``rbac``  least-privilege RBAC objects allowing exactly the requests one identity made
"""
