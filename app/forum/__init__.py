"""The peer discussion forum: categories, threads, posts, notifications, moderation."""
