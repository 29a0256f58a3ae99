"""observed practice: practice items, observations, the standings' two new columns

Practice items with their rubrics (synced from the content), the observations recorded
(nobody their own: a CHECK), and mentor_standings.courses_complete / practice_done.

Revision ID: c4e7a2f9b318
Revises: a71c5e0d93b2
Create Date: 2026-12-01 22:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4e7a2f9b318'
down_revision = 'a71c5e0d93b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'practice_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=100), nullable=False),
        sa.Column('certification_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('rubric_title', sa.String(length=200), nullable=False),
        sa.Column('intro_html', sa.Text(), nullable=False),
        sa.Column('criteria', sa.JSON(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('archived_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['certification_id'], ['certifications.id'],
            name=op.f('fk_practice_items_certification_id_certifications'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_items')),
        sa.UniqueConstraint('slug', name=op.f('uq_practice_items_slug')),
    )
    op.create_index(
        op.f('ix_practice_items_certification_id'), 'practice_items', ['certification_id']
    )
    op.create_table(
        'practice_observations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('item_version', sa.Integer(), nullable=False),
        sa.Column('observer_id', sa.Integer(), nullable=False),
        sa.Column('observed_on', sa.Date(), nullable=False),
        sa.Column('ratings', sa.JSON(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        # Nobody signs off their own practice.
        sa.CheckConstraint(
            'observer_id <> user_id', name=op.f('ck_practice_observations_not_self')
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_practice_observations_user_id_users'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['item_id'], ['practice_items.id'],
            name=op.f('fk_practice_observations_item_id_practice_items'),
        ),
        sa.ForeignKeyConstraint(
            ['observer_id'], ['users.id'],
            name=op.f('fk_practice_observations_observer_id_users'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_observations')),
    )
    for column in ('user_id', 'item_id', 'observer_id'):
        op.create_index(
            op.f(f'ix_practice_observations_{column}'), 'practice_observations', [column]
        )
    with op.batch_alter_table('mentor_standings') as batch_op:
        batch_op.add_column(
            sa.Column('courses_complete', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column('practice_done', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index(
        'ix_mentor_standings_awaiting', 'mentor_standings',
        ['certification_id', 'state', 'courses_complete', 'practice_done'],
    )
    # The new columns from what the database holds, with the app's own rule (a content
    # sync that brings in the practice items rebuilds them again).
    from app.certification.standing import rebuild_all

    rebuild_all(op.get_bind())


def downgrade():
    op.drop_index('ix_mentor_standings_awaiting', table_name='mentor_standings')
    with op.batch_alter_table('mentor_standings') as batch_op:
        batch_op.drop_column('practice_done')
        batch_op.drop_column('courses_complete')
    for column in ('observer_id', 'item_id', 'user_id'):
        op.drop_index(
            op.f(f'ix_practice_observations_{column}'), table_name='practice_observations'
        )
    op.drop_table('practice_observations')
    op.drop_index(op.f('ix_practice_items_certification_id'), table_name='practice_items')
    op.drop_table('practice_items')
