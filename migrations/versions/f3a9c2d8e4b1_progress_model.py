"""one progress model: attempts keep their percent; stored mentor standings

Revision ID: f3a9c2d8e4b1
Revises: e2f8a6b41c57
Create Date: 2026-12-01 18:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f3a9c2d8e4b1'
down_revision = 'e2f8a6b41c57'
branch_labels = None
depends_on = None

INDEXES = {
    "state_name": ("state", "name_key", "user_id"),
    "name": ("name_key", "user_id"),
    "percent": ("percent",),
    "quiz": ("best_quiz_percent",),
    "issued": ("issued_at",),
    "expires": ("expires_at",),
    "renewal": ("renewal_opens_at", "expires_at", "state"),
    "activity": ("last_activity_at",),
    "specialty": ("specialty_key", "state", "percent"),
}


def upgrade():
    with op.batch_alter_table('attempts') as batch_op:
        batch_op.add_column(sa.Column('percent', sa.Integer(), nullable=True))
    # Whole percent rounded down, as grading stores it from now on.
    op.execute(
        "UPDATE attempts SET percent = (earned * 100) / possible"
        " WHERE earned IS NOT NULL AND possible > 0"
    )
    op.create_table(
        'mentor_standings',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('certification_id', sa.Integer(), nullable=False),
        sa.Column('name_key', sa.String(length=120), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('specialty', sa.String(length=120), nullable=True),
        sa.Column('specialty_key', sa.String(length=120), nullable=True),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('lessons_done', sa.Integer(), nullable=False),
        sa.Column('lessons_total', sa.Integer(), nullable=False),
        sa.Column('percent', sa.Integer(), nullable=False),
        sa.Column('best_quiz_percent', sa.Integer(), nullable=True),
        sa.Column('last_activity_at', sa.DateTime(), nullable=True),
        sa.Column('certificate_id', sa.Integer(), nullable=True),
        sa.Column('issued_at', sa.DateTime(), nullable=True),
        sa.Column('expires_at', sa.DateTime(), nullable=True),
        sa.Column('renewal_opens_at', sa.DateTime(), nullable=True),
        sa.Column('active_matches', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_mentor_standings_user_id_users'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['certification_id'], ['certifications.id'],
            name=op.f('fk_mentor_standings_certification_id_certifications'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['certificate_id'], ['certificates.id'],
            name=op.f('fk_mentor_standings_certificate_id_certificates'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('user_id', 'certification_id', name=op.f('pk_mentor_standings')),
    )
    for name, columns in INDEXES.items():
        op.create_index(
            f'ix_mentor_standings_{name}', 'mentor_standings', ['certification_id', *columns]
        )
    op.create_index(
        'ix_mentor_standings_matched', 'mentor_standings',
        ['certification_id', 'state', 'expires_at'],
        sqlite_where=sa.text('active_matches > 0'),
        postgresql_where=sa.text('active_matches > 0'),
    )
    # Fill the new table from what the database already holds, with the app's own rule.
    from app.certification.standing import rebuild_all

    rebuild_all(op.get_bind())


def downgrade():
    op.drop_index('ix_mentor_standings_matched', table_name='mentor_standings')
    for name in INDEXES:
        op.drop_index(f'ix_mentor_standings_{name}', table_name='mentor_standings')
    op.drop_table('mentor_standings')
    with op.batch_alter_table('attempts') as batch_op:
        batch_op.drop_column('percent')
