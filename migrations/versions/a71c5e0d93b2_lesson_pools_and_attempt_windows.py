"""quizzes drawn per lesson, attempts counted in a window, extra attempts, lesson workbooks

Revision ID: a71c5e0d93b2
Revises: f3a9c2d8e4b1
Create Date: 2026-12-01 21:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a71c5e0d93b2'
down_revision = 'f3a9c2d8e4b1'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE ... ADD COLUMN on both databases: on SQLite a batch rebuild of
    # quizzes or lessons (tables other rows point at) fails once they hold data.
    op.add_column('quizzes', sa.Column('attempt_window_days', sa.Integer(), nullable=True))
    op.add_column('quizzes', sa.Column('draw_per_lesson', sa.Integer(), nullable=True))
    op.add_column(
        'lessons', sa.Column('workbook', sa.Boolean(), nullable=False, server_default=sa.false())
    )
    # questions is pointed at by nothing, so SQLite may rebuild it to add the foreign key.
    with op.batch_alter_table('questions') as batch_op:
        batch_op.add_column(sa.Column('lesson_id', sa.Integer(), nullable=True))
        batch_op.create_index(op.f('ix_questions_lesson_id'), ['lesson_id'])
        batch_op.create_foreign_key(
            op.f('fk_questions_lesson_id_lessons'), 'lessons', ['lesson_id'], ['id']
        )
    op.create_table(
        'lesson_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('lesson_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_lesson_notes_user_id_users'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['lesson_id'], ['lessons.id'], name=op.f('fk_lesson_notes_lesson_id_lessons')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_notes')),
        sa.UniqueConstraint('user_id', 'lesson_id', name=op.f('uq_lesson_notes_user_id')),
    )
    op.create_index(op.f('ix_lesson_notes_user_id'), 'lesson_notes', ['user_id'])
    op.create_index(op.f('ix_lesson_notes_lesson_id'), 'lesson_notes', ['lesson_id'])
    op.create_table(
        'attempt_grants',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('quiz_id', sa.Integer(), nullable=False),
        sa.Column('extra', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('granted_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('extra > 0', name=op.f('ck_attempt_grants_extra_positive')),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_attempt_grants_user_id_users'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['quiz_id'], ['quizzes.id'], name=op.f('fk_attempt_grants_quiz_id_quizzes')
        ),
        sa.ForeignKeyConstraint(
            ['granted_by_id'], ['users.id'],
            name=op.f('fk_attempt_grants_granted_by_id_users'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt_grants')),
    )
    op.create_index(op.f('ix_attempt_grants_user_id'), 'attempt_grants', ['user_id'])
    op.create_index(op.f('ix_attempt_grants_quiz_id'), 'attempt_grants', ['quiz_id'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TYPE audit_action ADD VALUE IF NOT EXISTS 'attempts_granted'")


def downgrade():
    op.drop_index(op.f('ix_attempt_grants_quiz_id'), table_name='attempt_grants')
    op.drop_index(op.f('ix_attempt_grants_user_id'), table_name='attempt_grants')
    op.drop_table('attempt_grants')
    op.drop_index(op.f('ix_lesson_notes_lesson_id'), table_name='lesson_notes')
    op.drop_index(op.f('ix_lesson_notes_user_id'), table_name='lesson_notes')
    op.drop_table('lesson_notes')
    with op.batch_alter_table('lessons') as batch_op:
        batch_op.drop_column('workbook')
    with op.batch_alter_table('questions') as batch_op:
        batch_op.drop_constraint(op.f('fk_questions_lesson_id_lessons'), type_='foreignkey')
        batch_op.drop_index(op.f('ix_questions_lesson_id'))
        batch_op.drop_column('lesson_id')
    with op.batch_alter_table('quizzes') as batch_op:
        batch_op.drop_column('draw_per_lesson')
        batch_op.drop_column('attempt_window_days')
