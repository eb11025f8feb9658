"""Cross-cutting services. Nothing here imports a feature module."""
