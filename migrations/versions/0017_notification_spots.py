"""The notifications consumer keeps holdings per owner, container and division, and each
marker's spot, so a deficit opens when what counts for the marker falls (issue 17).

``notification_spot_holdings`` replaces ``notification_holdings``: its key adds the spot
(unowned: '' and 0s, as in the stockpiles read model); the rows kept so far are copied as
unowned, which is what they were. ``notification_markers`` gains the marker's spot (NULL:
unowned, every marker placed before).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

SPOT = ("owner_type", "holder_id", "container_id", "division_number")


def upgrade() -> None:
    op.create_table(
        "notification_spot_holdings",
        sa.Column("assets_id", sa.Uuid, primary_key=True),
        sa.Column("location_id", sa.BigInteger, primary_key=True),
        sa.Column("type_id", sa.BigInteger, primary_key=True),
        sa.Column("owner_type", sa.String(12), primary_key=True),
        sa.Column("holder_id", sa.BigInteger, primary_key=True),
        sa.Column("container_id", sa.BigInteger, primary_key=True),
        sa.Column("division_number", sa.Integer, primary_key=True),
        sa.Column("quantity", sa.BigInteger, nullable=False),
    )
    old = sa.table(
        "notification_holdings",
        sa.column("assets_id"),
        sa.column("location_id"),
        sa.column("type_id"),
        sa.column("quantity"),
    )
    new = sa.table(
        "notification_spot_holdings",
        *(sa.column(name) for name in ("assets_id", "location_id", "type_id", *SPOT, "quantity")),
    )
    unowned = sa.select(
        old.c.assets_id,
        old.c.location_id,
        old.c.type_id,
        sa.literal(""),
        sa.literal(0),
        sa.literal(0),
        sa.literal(0),
        old.c.quantity,
    )
    op.execute(sa.insert(new).from_select(["assets_id", "location_id", "type_id", *SPOT, "quantity"], unowned))
    op.drop_table("notification_holdings")
    with op.batch_alter_table("notification_markers") as markers:
        markers.add_column(sa.Column("owner_type", sa.String(12), nullable=True))
        markers.add_column(sa.Column("holder_id", sa.BigInteger, nullable=True))
        markers.add_column(sa.Column("container_id", sa.BigInteger, nullable=True))
        markers.add_column(sa.Column("division_number", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification_markers") as markers:
        for name in SPOT:
            markers.drop_column(name)
    op.create_table(
        "notification_holdings",
        sa.Column("assets_id", sa.Uuid, primary_key=True),
        sa.Column("location_id", sa.BigInteger, primary_key=True),
        sa.Column("type_id", sa.BigInteger, primary_key=True),
        sa.Column("quantity", sa.BigInteger, nullable=False),
    )
    op.drop_table("notification_spot_holdings")
