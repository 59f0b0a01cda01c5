"""What a retired revision runs: nothing.

Revisions 0002-0006 and 0010 once created or altered read-model tables. Those tables are now
defined only by their projections, which create them and rebuild them when their definition
changes (``projections.runtime``); the revisions stay, empty, so that databases stamped with
them upgrade on.
"""


def upgrade() -> None:
    """Nothing: the projections create their own tables."""


def downgrade() -> None:
    """Nothing: the projections drop their own tables."""
