"""keyed audit chain; login throttling

`audit_log.keyed` tells HMAC-chained entries from the unkeyed (sha256) ones written before this
revision, which verify as a legacy prefix. `login_throttle` counts failed logins per user name
and per client address (back-off, lockout) and the failures not yet written to the audit log.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 04:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keyed', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        'login_throttle',
        sa.Column('key', sa.String(length=200), primary_key=True),
        sa.Column('failures', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('last_failure_ts', sa.Float(), nullable=False, server_default='0'),
        sa.Column('locked', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('window_start_ts', sa.Float(), nullable=False, server_default='0'),
        sa.Column('window_count', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('window_reported', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('last_address', sa.String(length=100), nullable=False, server_default=''),
    )


def downgrade() -> None:
    op.drop_table('login_throttle')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('keyed')
