"""content images: uploaded images by content hash, and their names in course folders

content_images holds each image's re-encoded bytes once, by sha256; content_image_files
names an image in a course's folder (`courses/<course_slug>/images/<name>`), as lessons
refer to it.

Revision ID: 289c6bac8272
Revises: b5d1e8a3c642
Create Date: 2026-12-02 01:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '289c6bac8272'
down_revision = 'b5d1e8a3c642'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'content_images',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column(
            'media_type',
            sa.Enum('image/png', 'image/jpeg', 'image/webp', name='image_media_type'),
            nullable=False,
        ),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('original_filename', sa.String(length=255), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['uploaded_by_id'], ['users.id'],
            name=op.f('fk_content_images_uploaded_by_id_users'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_content_images')),
        sa.UniqueConstraint('sha256', name=op.f('uq_content_images_sha256')),
    )
    op.create_table(
        'content_image_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_slug', sa.String(length=100), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('image_id', sa.Integer(), nullable=False),
        sa.Column('alt_text', sa.String(length=500), nullable=False),
        sa.Column('added_at', sa.DateTime(), nullable=False),
        sa.Column('added_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['added_by_id'], ['users.id'],
            name=op.f('fk_content_image_files_added_by_id_users'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['image_id'], ['content_images.id'],
            name=op.f('fk_content_image_files_image_id_content_images'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_content_image_files')),
        sa.UniqueConstraint(
            'course_slug', 'name', name=op.f('uq_content_image_files_course_slug')
        ),
    )
    op.create_index(
        op.f('ix_content_image_files_image_id'), 'content_image_files', ['image_id'],
        unique=False,
    )


def downgrade():
    op.drop_index(op.f('ix_content_image_files_image_id'), table_name='content_image_files')
    op.drop_table('content_image_files')
    op.drop_table('content_images')
    if op.get_bind().dialect.name == 'postgresql':
        sa.Enum(name='image_media_type').drop(op.get_bind(), checkfirst=True)
