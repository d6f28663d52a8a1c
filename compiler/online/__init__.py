"""The online theory kind: the general online rule (ARCHITECTURE.md) derived
from a Model IR — update rules, order-parameter ODEs and their adjoint partials."""
