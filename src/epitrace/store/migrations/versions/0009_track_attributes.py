"""track attributes: named clothing colours and height per track

`track_attributes` holds what a describer can say about a person (upper/lower colour from a
fixed palette, height in metres with its spread), one optional row per track, removed with it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 04:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'track_attributes',
        sa.Column('track_id', sa.Integer(), sa.ForeignKey('tracks.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('upper', sa.String(length=16), nullable=True),
        sa.Column('upper_share', sa.Float(), nullable=False, server_default='0'),
        sa.Column('lower', sa.String(length=16), nullable=True),
        sa.Column('lower_share', sa.Float(), nullable=False, server_default='0'),
        sa.Column('height_m', sa.Float(), nullable=True),
        sa.Column('height_spread_m', sa.Float(), nullable=True),
    )
    op.create_index('ix_track_attributes_colours', 'track_attributes', ['upper', 'lower'])


def downgrade() -> None:
    op.drop_index('ix_track_attributes_colours', table_name='track_attributes')
    op.drop_table('track_attributes')
