"""case approval and closing; supervisor and operator roles

Who approved and closed a case, when, and its outcome. Cases opened before this revision keep
their status ("open"); new ones start "pending". Users may also be supervisors (approve cases)
and operators (cameras and ingest).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 03:20:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

ROLES = "role IN ({})"
OLD_ROLES = "'admin', 'investigator', 'auditor'"
NEW_ROLES = "'admin', 'investigator', 'auditor', 'supervisor', 'operator'"


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.String(length=500), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('ck_users_role', type_='check')
        batch_op.create_check_constraint('ck_users_role', sa.text(ROLES.format(NEW_ROLES)))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('ck_users_role', type_='check')
        batch_op.create_check_constraint('ck_users_role', sa.text(ROLES.format(OLD_ROLES)))
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('outcome')
        batch_op.drop_column('closed_by')
        batch_op.drop_column('approved_at')
        batch_op.drop_column('approved_by')
