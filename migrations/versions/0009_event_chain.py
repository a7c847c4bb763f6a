"""A tamper-evident event log: every event chained to the previous one of its case by SHA-256.

Adds seq, prev_hash and hash to event, links the existing events of each chain in (at, id) order
with the application's own hashing code (portal/events/chain.py: pure, no app, no database), writes
each chain's head, then makes the columns required and seq unique per chain.

Revision ID: 0009
Revises: 0008
"""
from datetime import timezone

from alembic import op
import sqlalchemy as sa

from portal.events import chain

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

CASELESS = sa.text("application_id IS NULL")


def upgrade():
    op.create_table('event_chain_head',
    sa.Column('chain_key', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('chain_key', name=op.f('pk_event_chain_head'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))

    _backfill(op.get_bind())

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_event_application_id_seq'), ['application_id', 'seq'])
        batch_op.create_index('uq_event_caseless_seq', ['seq'], unique=True,
                              sqlite_where=CASELESS, postgresql_where=CASELESS)


def _backfill(bind):
    event = sa.table("event", sa.column("id", sa.Integer), sa.column("application_id", sa.Integer),
                     sa.column("at", sa.DateTime(timezone=True)), sa.column("actor_id", sa.Integer),
                     sa.column("kind", sa.String), sa.column("data", sa.JSON), sa.column("seq", sa.Integer),
                     sa.column("prev_hash", sa.String), sa.column("hash", sa.String))
    head = sa.table("event_chain_head", sa.column("chain_key", sa.Integer), sa.column("last_seq", sa.Integer),
                    sa.column("last_hash", sa.String))
    keys = bind.execute(sa.select(event.c.application_id).distinct()).scalars().all()
    for application_id in keys:
        where = event.c.application_id.is_(None) if application_id is None else event.c.application_id == application_id
        rows = [dict(row._mapping) for row in bind.execute(
            sa.select(event.c.id, event.c.application_id, event.c.at, event.c.actor_id, event.c.kind, event.c.data)
            .where(where).order_by(event.c.at, event.c.id))]
        for row in rows:
            if row["at"] is not None and row["at"].tzinfo is None:  # SQLite gives back UTC without its offset
                row["at"] = row["at"].replace(tzinfo=timezone.utc)
        links = chain.build(rows)
        for row, linked in zip(rows, links):
            bind.execute(sa.update(event).where(event.c.id == row["id"]).values(**linked))
        if links:
            bind.execute(sa.insert(head).values(chain_key=chain.chain_key(application_id),
                                                last_seq=links[-1]["seq"], last_hash=links[-1]["hash"]))


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('uq_event_caseless_seq', sqlite_where=CASELESS, postgresql_where=CASELESS)
        batch_op.drop_constraint(batch_op.f('uq_event_application_id_seq'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')

    op.drop_table('event_chain_head')
