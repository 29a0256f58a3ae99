"""one open attempt per mentor and quiz

Revision ID: 3c2b7e91d0a4
Revises: 8ef38e3aa23f
Create Date: 2026-12-01 16:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '3c2b7e91d0a4'
down_revision = '8ef38e3aa23f'
branch_labels = None
depends_on = None

OPEN = sa.text("submitted_at IS NULL")


def upgrade():
    # A race could leave a mentor two open attempts. Answers are stored only on submit,
    # so an open one holds nothing of theirs: keep the newest, drop the others.
    op.execute(
        "DELETE FROM attempts WHERE submitted_at IS NULL AND id NOT IN "
        "(SELECT MAX(id) FROM attempts WHERE submitted_at IS NULL GROUP BY user_id, quiz_id)"
    )
    op.create_index(
        'uq_attempts_open', 'attempts', ['user_id', 'quiz_id'], unique=True,
        sqlite_where=OPEN, postgresql_where=OPEN,
    )


def downgrade():
    op.drop_index('uq_attempts_open', table_name='attempts')
