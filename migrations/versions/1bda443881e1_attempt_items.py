"""attempt items: one row per question shown and per option chosen in a graded attempt

The question statistics add these up in SQL instead of reading every attempt's JSON
(and read the attempts' scores from an index on attempts).
Both tables are filled here from the attempts already submitted, in batches, in Python
(the same on SQLite and PostgreSQL); from now on grading writes them.

Revision ID: 1bda443881e1
Revises: 289c6bac8272
Create Date: 2026-12-02 12:00:00

"""
import json

from alembic import op
import sqlalchemy as sa


revision = '1bda443881e1'
down_revision = '289c6bac8272'
branch_labels = None
depends_on = None

BATCH = 2000  # attempts read at a time


def upgrade():
    op.create_table(
        'attempt_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attempt_id', sa.Integer(), nullable=False),
        sa.Column('quiz_id', sa.Integer(), nullable=False),
        sa.Column('quiz_version', sa.Integer(), nullable=False),
        sa.Column('question_key', sa.String(length=100), nullable=False),
        sa.Column('lesson_slug', sa.String(length=100), nullable=True),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('correct', sa.Boolean(), nullable=False),
        sa.Column('rest_share', sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['quiz_id'], ['quizzes.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('attempt_items', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_attempt_items_attempt_id'), ['attempt_id'], unique=False
        )
        batch_op.create_index(
            'ix_attempt_items_quiz_question',
            [
                'quiz_id',
                'question_key',
                'quiz_version',
                'lesson_slug',
                'correct',
                'points',
                'rest_share',
                'attempt_id',
            ],
            unique=False,
        )
    op.create_table(
        'attempt_item_choices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attempt_id', sa.Integer(), nullable=False),
        sa.Column('quiz_id', sa.Integer(), nullable=False),
        sa.Column('question_key', sa.String(length=100), nullable=False),
        sa.Column('option_source', sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['quiz_id'], ['quizzes.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('attempt_item_choices', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_attempt_item_choices_attempt_id'), ['attempt_id'], unique=False
        )
        batch_op.create_index(
            'ix_attempt_item_choices_quiz_question',
            ['quiz_id', 'question_key', 'option_source'],
            unique=False,
        )
    op.create_index(
        'ix_attempts_quiz_scores',
        'attempts',
        ['quiz_id', 'percent', 'passed', 'submitted_at'],
        unique=False,
    )
    backfill(op.get_bind())


def downgrade():
    op.drop_index('ix_attempts_quiz_scores', table_name='attempts')
    with op.batch_alter_table('attempt_item_choices', schema=None) as batch_op:
        batch_op.drop_index('ix_attempt_item_choices_quiz_question')
        batch_op.drop_index(batch_op.f('ix_attempt_item_choices_attempt_id'))
    op.drop_table('attempt_item_choices')
    with op.batch_alter_table('attempt_items', schema=None) as batch_op:
        batch_op.drop_index('ix_attempt_items_quiz_question')
        batch_op.drop_index(batch_op.f('ix_attempt_items_attempt_id'))
    op.drop_table('attempt_items')


# --- filling both tables from the attempts already submitted ------------------------------
# A copy of app.quizzes.models.graded_rows as it was at this revision: a migration does
# not follow the application's code as it changes.

metadata = sa.MetaData()
attempts = sa.Table(
    'attempts',
    metadata,
    sa.Column('id', sa.Integer),
    sa.Column('quiz_id', sa.Integer),
    sa.Column('quiz_version', sa.Integer),
    sa.Column('snapshot', sa.JSON),
    sa.Column('submitted_at', sa.DateTime),
    sa.Column('answers', sa.JSON),
    sa.Column('results', sa.JSON),
    sa.Column('earned', sa.Integer),
    sa.Column('possible', sa.Integer),
)
items_table = sa.Table(
    'attempt_items',
    metadata,
    sa.Column('attempt_id', sa.Integer),
    sa.Column('quiz_id', sa.Integer),
    sa.Column('quiz_version', sa.Integer),
    sa.Column('question_key', sa.String(100)),
    sa.Column('lesson_slug', sa.String(100)),
    sa.Column('points', sa.Integer),
    sa.Column('correct', sa.Boolean),
    sa.Column('rest_share', sa.Double),
)
choices_table = sa.Table(
    'attempt_item_choices',
    metadata,
    sa.Column('attempt_id', sa.Integer),
    sa.Column('quiz_id', sa.Integer),
    sa.Column('question_key', sa.String(100)),
    sa.Column('option_source', sa.String(100)),
)


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def graded_rows(row) -> tuple[list[dict], list[dict]]:
    answers, results = _json(row.answers) or {}, _json(row.results) or {}
    earned, possible = row.earned or 0, row.possible
    items, choices = [], []
    for question in _json(row.snapshot) or []:
        key, points = question['key'], question['points']
        right = bool(results.get(key))
        rest = possible - points
        lesson = question.get('lesson')
        items.append(
            {
                'attempt_id': row.id,
                'quiz_id': row.quiz_id,
                'quiz_version': row.quiz_version,
                'question_key': key,
                'lesson_slug': lesson['slug'] if lesson else None,
                'points': points,
                'correct': right,
                'rest_share': (earned - points * right) / rest if rest > 0 else None,
            }
        )
        answer = answers.get(key)
        if question['kind'] == 'text' or not isinstance(answer, list):
            continue
        for option in question['options']:
            if option['key'] in answer:
                choices.append(
                    {
                        'attempt_id': row.id,
                        'quiz_id': row.quiz_id,
                        'question_key': key,
                        'option_source': option.get('source', option['key']),
                    }
                )
    return items, choices


def backfill(connection) -> None:
    after = 0
    while True:
        rows = connection.execute(
            sa.select(attempts)
            .where(attempts.c.submitted_at.is_not(None), attempts.c.id > after)
            .order_by(attempts.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        items, choices = [], []
        for row in rows:
            more_items, more_choices = graded_rows(row)
            items += more_items
            choices += more_choices
        if items:
            connection.execute(items_table.insert(), items)
        if choices:
            connection.execute(choices_table.insert(), choices)
        after = rows[-1].id
