"""content files: the content's texts in the database, drafts and revisions

content_files holds each file of the content folder (published text, an educator's
draft, the hash of what `content sync` last read); content_revisions every saved text.
The rows are filled by the next `preceptor content sync`.

Revision ID: b5d1e8a3c642
Revises: c4e7a2f9b318
Create Date: 2026-12-02 00:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b5d1e8a3c642'
down_revision = 'c4e7a2f9b318'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'content_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('path', sa.String(length=300), nullable=False),
        sa.Column('text', sa.Text(), nullable=True),
        sa.Column('draft', sa.Text(), nullable=True),
        sa.Column('draft_path', sa.String(length=300), nullable=True),
        sa.Column('draft_removed', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('revisions_count', sa.Integer(), nullable=False),
        sa.Column('synced_hash', sa.String(length=64), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['updated_by_id'], ['users.id'], name=op.f('fk_content_files_updated_by_id_users')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_content_files')),
        sa.UniqueConstraint('path', name=op.f('uq_content_files_path')),
    )
    op.create_table(
        'content_revisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('file_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['author_id'], ['users.id'], name=op.f('fk_content_revisions_author_id_users')
        ),
        sa.ForeignKeyConstraint(
            ['file_id'], ['content_files.id'],
            name=op.f('fk_content_revisions_file_id_content_files'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_content_revisions')),
        sa.UniqueConstraint('file_id', 'number', name=op.f('uq_content_revisions_file_id')),
    )
    op.create_index(
        op.f('ix_content_revisions_file_id'), 'content_revisions', ['file_id'], unique=False
    )


def downgrade():
    op.drop_index(op.f('ix_content_revisions_file_id'), table_name='content_revisions')
    op.drop_table('content_revisions')
    op.drop_table('content_files')
