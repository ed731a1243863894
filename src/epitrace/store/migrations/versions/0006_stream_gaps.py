"""stream gaps (times a live stream was down)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 16:05:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stream_gaps',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('camera_id', sa.String(length=64), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('start_ts', sa.Float(), nullable=False),
    sa.Column('end_ts', sa.Float(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['camera_id'], ['cameras.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stream_gaps', schema=None) as batch_op:
        batch_op.create_index('ix_stream_gaps_camera_time', ['camera_id', 'start_ts'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stream_gaps', schema=None) as batch_op:
        batch_op.drop_index('ix_stream_gaps_camera_time')
    op.drop_table('stream_gaps')
