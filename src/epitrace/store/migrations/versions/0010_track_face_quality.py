"""track face quality: size, quality and frontalness of a track's best face sample

Face bands (tracing.face_bands) judge a face score by the face it came from: a 24 px or turned
face is shown as "possible" rather than matched, and faces too small to carry identity are not
compared. Rows stored before this revision keep 0 (unknown) and are shown for review at most.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 06:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

COLUMNS = ('face_px', 'face_quality', 'face_frontal')


def upgrade() -> None:
    with op.batch_alter_table('tracks') as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Float(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('tracks') as batch:
        for name in COLUMNS:
            batch.drop_column(name)
