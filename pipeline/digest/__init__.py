"""The digest: grouping articles into stories, story summaries, facts, and rendering md/json/html."""
