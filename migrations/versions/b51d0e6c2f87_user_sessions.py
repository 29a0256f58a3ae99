"""server-side sessions (one row per signed-in browser); account deactivation

Revision ID: b51d0e6c2f87
Revises: 3c2b7e91d0a4
Create Date: 2026-12-01 16:40:00

Every cookie issued before this names a per-user token that no longer exists, so
everyone signs in once more after the upgrade.
"""
from alembic import op
import sqlalchemy as sa


revision = 'b51d0e6c2f87'
down_revision = '3c2b7e91d0a4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('device', sa.String(length=200), nullable=False),
        sa.Column('remember', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    )
    op.create_index(op.f('ix_user_sessions_user_id'), 'user_sessions', ['user_id'])
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('deactivated_at', sa.DateTime(), nullable=True))
        batch.drop_column('session_token')


def downgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(
            sa.Column('session_token', sa.String(length=64), nullable=False, server_default='')
        )
        batch.drop_column('deactivated_at')
    op.drop_index(op.f('ix_user_sessions_user_id'), table_name='user_sessions')
    op.drop_table('user_sessions')
