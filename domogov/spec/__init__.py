"""Building blocks of the manifest language: value types, collections, and the Spec base.

Kinds (``domogov.resources``) build their spec models from these; ``domogov.config`` loads
manifests into those models. This package imports nothing else from domogov but ``errors``.
"""
