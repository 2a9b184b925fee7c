"""Serving mnist37 on several processes and machines: deploy/serve.py (make serve) and its HAProxy
configuration; the Kubernetes files here are configuration only (see deploy/README.md)."""
