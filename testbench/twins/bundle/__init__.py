"""The SME's twin bundle: export (:mod:`.export`), its documents (:mod:`.docs`) and the guard
that refuses a bundle holding a pseudonym or a secret from the lake (:mod:`.guard`)."""

__all__: list[str] = []  # exposes modules (export, docs, guard), not names
